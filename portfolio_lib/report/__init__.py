"""``portfolio-report``: run every analysis notebook on given data and publish an HTML report.

The package is split the way papermill splits its verbs:

- :mod:`~portfolio_lib.report.params`: the notebooks to run, the parameters they declare,
  reading the YAML file and ``--set``, checking values before anything runs;
- :mod:`~portfolio_lib.report.execute`: running one notebook with papermill, naming the cell
  that failed;
- :mod:`~portfolio_lib.report.pages`: what of a notebook a page shows, in one language, with
  the parameters' values instead of their names; the charts of a page;
- :mod:`~portfolio_lib.report.publish`: HTML pages, ``run.json``, replacing the report all or
  nothing, ``latest``, failed runs kept for debugging;
- :mod:`~portfolio_lib.report.summary`: the executive summary (``index.html``);
- :mod:`~portfolio_lib.report.documents`: the whole report as one PDF, and the slides;
- :mod:`~portfolio_lib.report.cli`: the command line (``portfolio-report``), planning and
  running a report; its docstring describes the command, its output and exit statuses.

The main names are re-exported here.
"""

from __future__ import annotations

from portfolio_lib.report.cli import build_parser, main, plan_run, run_report
from portfolio_lib.report.documents import write_pdf, write_slides
from portfolio_lib.report.execute import KernelSession, NotebookFailure, execute_notebook
from portfolio_lib.report.pages import report_notebook
from portfolio_lib.report.params import (
    DATA_PARAMETERS,
    ReportError,
    RunPlan,
    declared_parameters,
    find_notebooks,
    parse_assignments,
    read_config,
    report_parameters,
    resolve_parameters,
)
from portfolio_lib.report.publish import (
    export_html,
    keep_failed,
    remove_stale_folders,
    replace_folder,
    update_latest,
)
from portfolio_lib.report.summary import write_index

__all__ = [
    "DATA_PARAMETERS",
    "KernelSession",
    "NotebookFailure",
    "ReportError",
    "RunPlan",
    "build_parser",
    "declared_parameters",
    "execute_notebook",
    "export_html",
    "find_notebooks",
    "keep_failed",
    "main",
    "parse_assignments",
    "plan_run",
    "read_config",
    "remove_stale_folders",
    "replace_folder",
    "report_notebook",
    "report_parameters",
    "resolve_parameters",
    "run_report",
    "update_latest",
    "write_index",
    "write_pdf",
    "write_slides",
]
