"""``python -m portfolio_lib.report``: the ``portfolio-report`` command without its script."""

import sys

from portfolio_lib.report.cli import main

sys.exit(main())
