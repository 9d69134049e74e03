"""``python -m portfolio_lib.report``: the ``portfolio-report`` command without its script."""

import sys

from portfolio_lib.report.cli import main

if __name__ == "__main__":  # the report's worker processes import this module again
    sys.exit(main())
