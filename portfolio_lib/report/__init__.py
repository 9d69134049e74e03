"""``portfolio-report``: run every analysis notebook on given data and publish an HTML report.

Each ``notebooks/[0-9][0-9]_*.ipynb`` (in name order, never ``app.ipynb``) is executed with
papermill in a fresh ``python3`` kernel whose working folder is the notebooks folder, then
converted by nbconvert to a standalone HTML page without code (images embedded, readable
offline). The run writes ``reports/<YYYY-MM-DD>/`` (the run date)::

    index.html          title, run date, data files, analysis date, language, parameters,
                        one link per notebook (its first heading) with its duration
    run.json            the same metadata, for scripts
    01_weight.html      the analysis without code, for the client
    01_weight.ipynb     the executed notebook, for the analyst

and points ``reports/latest`` at the newest good report (a symlink; where symlinks are not
allowed, a ``latest/`` folder whose ``index.html`` links into the dated folder).

Everything is first written to a temporary folder next to the target (``reports/.tmp-...``);
only when every notebook succeeded does it replace the report of the same date. A failed or
interrupted run leaves the previous report untouched, exits with status 1 (130 on Ctrl+C),
prints ``FAILED: <notebook> cell <n> (<error>: <message>)`` with the cell's first lines
(``cell <n>`` counts every cell of the notebook from 1, as in JupyterLab) and keeps the failed
executed notebook in ``reports/failed-<YYYY-MM-DD>-<HHMMSS>/`` for debugging.

Parameters come from a YAML file (keys are the notebooks' parameter names, any case), from
``--set KEY=VALUE`` (the value is read as YAML) and from the flags ``--transactions
--customers --costs --as-of --lang``; flags override ``--set``, which overrides the file::

    # params.yaml
    transactions: /data/ventes_2025.csv
    customers: /data/clients.xlsx
    costs: ""            # none
    as_of: 2025-12-31
    lang: en
    a_cut: 0.7

Each notebook receives only the parameters its ``parameters`` cell declares; a name that no
notebook declares is refused with the list of known names. Relative data paths are taken from
the folder the command is launched from and must exist before anything runs. Exit status: 0
success, 1 a notebook failed, 2 bad command line, configuration or data path, 130 interrupted.

Examples
--------
From the project folder::

    make report CONFIG=params.yaml
    .venv/bin/portfolio-report --transactions ventes.csv --as-of 2025-12-31 --lang en
    .venv/bin/portfolio-report --config params.yaml --notebooks 01 03 --set a_cut=0.7

Every Monday at 6:00 with cron (``crontab -e``). The run needs no display nor activated
environment (the kernel runs on the venv's Python); the log keeps one line per notebook, and
the failing notebook and cell when a run fails (cron mails the output when ``MAILTO`` is set)::

    0 6 * * 1 cd /path/to/portfolio-workbook && mkdir -p reports && .venv/bin/portfolio-report --config /path/params.yaml >> reports/cron.log 2>&1
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import functools
import html
import json
import logging
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS, NOTEBOOKS_DIR, REPORTS_DIR
from portfolio_lib.ui.present import RECORD_MIME

__all__ = [
    "DATA_PARAMETERS",
    "NotebookFailure",
    "ReportError",
    "declared_parameters",
    "execute_notebook",
    "export_html",
    "find_notebooks",
    "main",
    "parse_assignments",
    "publish",
    "read_config",
    "resolve_parameters",
    "update_latest",
    "write_index",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"
DATA_PARAMETERS = ("TRANSACTIONS", "CUSTOMERS", "COSTS")
DEFAULT_KERNEL = "python3"
DEFAULT_TIMEOUT = 600  # seconds per cell
# Cells dropped from the HTML: papermill's bookkeeping, plus the usual "hide me" tags.
_HTML_REMOVED_CELL_TAGS = {"parameters", "injected-parameters", "remove-cell", "remove_cell"}
_HTML_REMOVED_OUTPUT_TAGS = {"remove-output", "remove_output"}
_PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
_DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_STALE_FOLDER = re.compile(r"^\.(tmp|old)-(\d{4}-\d{2}-\d{2})-(\d+)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SOURCE_PREVIEW_LINES = 3
_NBCLIENT_LOGGER = "portfolio_lib.report.nbclient"

i18n.register(
    {
        "report_title": {
            "fr": "Analyse du portefeuille client",
            "en": "Customer portfolio analysis",
        },
        "report_run_date": {"fr": "Date du rapport", "en": "Report date"},
        "report_as_of": {"fr": "Date d'analyse", "en": "Analysis date"},
        "report_as_of_default": {
            "fr": "date de la dernière transaction",
            "en": "date of the last transaction",
        },
        "report_language": {"fr": "Langue", "en": "Language"},
        "report_data": {"fr": "Données", "en": "Data"},
        "report_transactions": {"fr": "Transactions", "en": "Transactions"},
        "report_customers": {"fr": "Fichier clients", "en": "Customer file"},
        "report_costs": {"fr": "Coûts", "en": "Costs"},
        "report_none": {"fr": "aucun", "en": "none"},
        "report_default": {"fr": "valeur par défaut", "en": "default"},
        "report_parameters": {"fr": "Paramètres", "en": "Parameters"},
        "report_parameter": {"fr": "Paramètre", "en": "Parameter"},
        "report_value": {"fr": "Valeur", "en": "Value"},
        "report_analyses": {"fr": "Analyses", "en": "Analyses"},
        "report_analysis": {"fr": "Analyse", "en": "Analysis"},
        "report_duration": {"fr": "Durée", "en": "Duration"},
        "report_notebook": {"fr": "Notebook exécuté", "en": "Executed notebook"},
        "report_generated": {
            "fr": "Produit par portfolio-report {version} le {when}, en {seconds}.",
            "en": "Made by portfolio-report {version} on {when}, in {seconds}.",
        },
    }
)
_LANGUAGE_NAMES = {
    "fr": {"fr": "français", "en": "French"},
    "en": {"fr": "anglais", "en": "English"},
}


class ReportError(Exception):
    """A problem with the command line, the configuration or the data paths (exit status 2)."""


class NotebookFailure(Exception):
    """A notebook failed: which one, which cell, which error, and where its output is."""

    def __init__(
        self,
        notebook: str,
        *,
        cell: int | None,
        ename: str,
        evalue: str,
        source: str = "",
        line: int | None = None,
        duration: float = 0.0,
        executed: Path | None = None,
    ) -> None:
        self.notebook = notebook
        self.cell = cell
        self.ename = ename
        self.evalue = evalue
        self.source = source
        self.line = line
        self.duration = duration
        self.executed = executed
        self.kept: Path | None = None
        super().__init__(self.headline())

    def headline(self) -> str:
        """``FAILED: 02_movements.ipynb cell 7 (ValueError: ...)``."""
        where = f" cell {self.cell}" if self.cell is not None else ""
        message = self.evalue.strip().splitlines()[0] if self.evalue.strip() else ""
        error = f"{self.ename}: {message}" if message else self.ename
        return f"FAILED: {self.notebook}{where} ({error})"

    def describe(self) -> str:
        """The headline, then the first lines of the failing cell and the line that raised."""
        lines = [self.headline()]
        source = self.source.splitlines()
        shown = [(n, text) for n, text in enumerate(source, 1) if text.strip()]
        shown = shown[:_SOURCE_PREVIEW_LINES]
        for number, text in shown:
            arrow = "->" if number == self.line else "  "
            lines.append(f"  {arrow} {number:>3} | {text}")
        last_shown = shown[-1][0] if shown else 0
        if self.line is not None and last_shown < self.line <= len(source):
            if self.line > last_shown + 1:
                lines.append("         ...")
            lines.append(f"  -> {self.line:>3} | {source[self.line - 1]}")
        return "\n".join(lines)


@dataclass(frozen=True)
class NotebookResult:
    """One executed and converted notebook."""

    name: str  # file name, e.g. "01_weight.ipynb"
    title: str
    duration: float
    parameters: dict[str, Any]
    excel: str | None = None  # the Excel hand-out the notebook wrote, if any

    @property
    def stem(self) -> str:
        return Path(self.name).stem


@dataclass
class RunPlan:
    """Everything decided before the first notebook runs."""

    notebooks: list[Path]
    declared: dict[str, dict[str, Any]]  # notebook file name -> {PARAMETER: default}
    parameters: dict[str, Any]  # the given parameters, validated, paths absolute
    output_root: Path
    date: dt.date
    kernel: str = DEFAULT_KERNEL
    timeout: int | None = DEFAULT_TIMEOUT
    config: Path | None = None
    started: dt.datetime = field(default_factory=dt.datetime.now)

    @property
    def lang(self) -> str:
        return str(self.effective_parameters().get("LANG") or DEFAULTS["lang"])

    def effective_parameters(self) -> dict[str, Any]:
        """Given values, completed with the notebooks' defaults (first notebook wins)."""
        values: dict[str, Any] = {}
        for defaults in self.declared.values():
            for name, default in defaults.items():
                values.setdefault(name, default)
        values.update(self.parameters)
        return dict(sorted(values.items()))


# --------------------------------------------------------------------------------------------
# Planning: notebooks and parameters
# --------------------------------------------------------------------------------------------
def find_notebooks(
    notebooks_dir: str | os.PathLike, names: Sequence[str] | None = None
) -> list[Path]:
    """The notebooks to run: every ``NN_*.ipynb`` in name order, or the ones named.

    A name may be a path, a file name (``01_weight.ipynb``), a stem (``01_weight``) or the
    number prefix (``01``). ``app.ipynb`` and other unnumbered notebooks run only when named.
    """
    folder = Path(notebooks_dir)
    if not folder.is_dir():
        raise ReportError(f"notebooks folder not found: {folder}")
    numbered = sorted(folder.glob(NOTEBOOK_PATTERN))
    if not names:
        if not numbered:
            raise ReportError(f"no notebook named like {NOTEBOOK_PATTERN} in {folder}")
        return numbered
    chosen: list[Path] = []
    for name in names:
        path = _find_notebook(folder, numbered, name)
        if path not in chosen:
            chosen.append(path)
    return chosen


def _find_notebook(folder: Path, numbered: list[Path], name: str) -> Path:
    as_path = Path(name).expanduser()
    if as_path.suffix == ".ipynb" and as_path.is_file():
        return as_path.resolve()
    for candidate in (folder / name, folder / f"{name}.ipynb"):
        if candidate.is_file():
            return candidate
    by_number = [path for path in numbered if path.name.split("_", 1)[0] == name]
    if len(by_number) == 1:
        return by_number[0]
    available = ", ".join(path.stem for path in numbered) or "none"
    raise ReportError(f"notebook {name!r} not found in {folder}. Available: {available}")


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """The parameters of a YAML file: a mapping ``name: value`` (names in any case)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ReportError(f"configuration file not found: {path}")
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ReportError(f"{path}: not valid YAML ({err})") from err
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ReportError(
            f"{path}: expected 'name: value' lines (a YAML mapping), found a "
            f"{type(content).__name__}. Example:\ntransactions: data/ventes.csv\nlang: en"
        )
    return content


def parse_assignments(items: Sequence[str]) -> dict[str, Any]:
    """``["a_cut=0.7", "lang=en"]`` -> ``{"a_cut": 0.7, "lang": "en"}``.

    Values are read as YAML (numbers, booleans, lists); an empty value is the empty string.
    """
    values: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ReportError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text  # not YAML: keep the text as typed
        values[key.strip()] = value
    return values


def declared_parameters(notebooks: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """For each notebook file name, the parameters its ``parameters`` cell declares.

    Values are the defaults as Python literals when they are literals (else their source).
    The cell is read with Python's parser: ``papermill.inspect_notebook`` drops every line
    with two ``=`` signs, comments included (``AS_OF = ""  # "" = last date``); it is only
    used for cells Python cannot parse (IPython magics).
    """
    import nbformat

    declared = {}
    for path in notebooks:
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception as err:  # an unreadable notebook must not look like "no parameters"
            raise ReportError(f"{path}: cannot read the notebook ({err})") from err
        cell = next(
            (c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])), None
        )
        declared[path.name] = _cell_parameters(cell.source) if cell is not None else {}
    return declared


def _cell_parameters(source: str) -> dict[str, Any]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax: papermill's line-by-line reading
        from papermill.translators import PythonTranslator

        found = PythonTranslator.inspect({"source": source})
        return {parameter.name: _literal(parameter.default) for parameter in found}
    parameters: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names = [target.id for target in node.targets if isinstance(target, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            names = [node.target.id] if isinstance(node.target, ast.Name) else []
        else:
            continue
        default = _literal(ast.get_source_segment(source, node.value) or "")
        for name in names:
            parameters[name] = default
    return parameters


def _literal(source: str) -> Any:
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return source


def _canonical_name(key: Any) -> str:
    return str(key).strip().replace("-", "_").upper()


def _plain_value(value: Any) -> Any:
    """YAML dates become ISO text: notebooks take dates as "YYYY-MM-DD" strings."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain_value(item) for item in value]
    if isinstance(value, list):
        return [_plain_value(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain_value(v) for k, v in value.items()}
    return value


def resolve_parameters(
    sources: Sequence[tuple[str, Mapping[str, Any]]],
    declared: Mapping[str, Mapping[str, Any]],
    *,
    cwd: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Merge, check and normalise the parameters given for a run.

    Parameters
    ----------
    sources : sequence of (description, mapping)
        From lowest to highest priority, e.g. ``[("params.yaml", {...}), ("--set", {...}),
        ("flags", {...})]``. Names are matched case-insensitively (``as_of``, ``AS-OF``).
    declared : mapping
        :func:`declared_parameters` of the notebooks to run.
    cwd : path, optional
        Folder relative data paths are taken from (default: the current folder).

    Returns
    -------
    dict
        ``{PARAMETER: value}`` with upper-case names, data paths absolute and checked, dates
        as ``"YYYY-MM-DD"``, values matching the type of the notebooks' defaults.

    Raises
    ------
    ReportError
        Unknown names (with the known ones), missing data files, bad date, language or type.
    """
    base = Path(cwd) if cwd is not None else Path.cwd()
    known = {name: default for params in declared.values() for name, default in params.items()}
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    unknown: list[str] = []
    for description, values in sources:
        seen: dict[str, str] = {}
        for key, value in values.items():
            name = _canonical_name(key)
            if name in seen:
                raise ReportError(
                    f"{description}: {seen[name]!r} and {key!r} name the same parameter"
                )
            seen[name] = str(key)
            if name not in known:
                unknown.append(f"{key} (from {description})")
                continue
            merged[name] = _plain_value(value)
            origin[name] = description
    if unknown:
        raise ReportError(
            f"unknown parameter(s): {', '.join(unknown)}. The notebooks declare: "
            f"{', '.join(sorted(known))}"
        )
    for name, value in merged.items():
        merged[name] = _check_value(name, value, known[name], origin[name], base)
    return merged


def _check_value(name: str, value: Any, default: Any, origin: str, base: Path) -> Any:
    where = f"{name} (from {origin})"
    if name in DATA_PARAMETERS:
        return _resolve_data_path(value, where, base)
    if name == "AS_OF" and value not in (None, ""):
        try:
            return dt.date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError:
            raise ReportError(f"{where}: {value!r} is not a date; write it as YYYY-MM-DD") from None
    if name == "LANG" and value not in i18n.LANGS:
        raise ReportError(
            f"{where}: language must be one of {', '.join(i18n.LANGS)}, got {value!r}"
        )
    return _match_default_type(value, default, where)


def _resolve_data_path(value: Any, where: str, base: Path) -> str:
    if value is None or str(value).strip() == "":
        return ""  # optional table left out
    path = Path(str(value)).expanduser()
    if not path.is_absolute():
        path = base / path
    path = Path(os.path.normpath(path))
    if not path.is_file():
        raise ReportError(
            f"{where}: file not found: {path} (given as {value!r}, relative paths are taken "
            f"from {base}). Check the path, or give an absolute one."
        )
    return str(path)


def _match_default_type(value: Any, default: Any, where: str) -> Any:
    """Refuse values a notebook cannot use (text where it expects a number) and turn
    numbers into text where it expects text (a rep code 12 -> "12")."""
    if value is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ReportError(f"{where}: expected true or false, got {value!r}")
    elif isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ReportError(
                f"{where}: expected a number like the default {default!r}, got {value!r} "
                "(write decimals with a point: 0.7)"
            )
    elif (
        isinstance(default, str) and isinstance(value, (int, float)) and not isinstance(value, bool)
    ):
        return str(value)
    elif isinstance(default, (tuple, list)) and not isinstance(value, list):
        raise ReportError(f"{where}: expected a list like {list(default)!r}, got {value!r}")
    return value


def parameters_for(declared: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of ``parameters`` one notebook declares."""
    return {name: value for name, value in parameters.items() if name in declared}


def report_parameters(
    declared: Mapping[str, Any], parameters: Mapping[str, Any], *, folder: Path, stem: str
) -> dict[str, Any]:
    """What one notebook receives in a report run.

    The user's parameters it declares, plus two report defaults the user can override: no
    interactive explorer (``INTERACTIVE=False``: widgets mean nothing in a static page) and,
    for notebooks that write a client hand-out, the Excel file next to its HTML page.
    """
    given = parameters_for(declared, parameters)
    if "INTERACTIVE" in declared and "INTERACTIVE" not in given:
        given["INTERACTIVE"] = False
    if "EXCEL_OUTPUT" in declared and not given.get("EXCEL_OUTPUT"):
        given["EXCEL_OUTPUT"] = str(folder / f"{stem}.xlsx")
    return given


# --------------------------------------------------------------------------------------------
# Execution and conversion
# --------------------------------------------------------------------------------------------
@functools.cache
def _engine_name() -> str:
    """Register (once) papermill's nbclient engine with the kernel's own output redirected.

    The kernel process writes warnings and tracebacks of its own to stderr (not the cells'
    output); in a cron log they would hide the progress lines, so they go to a log file.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    class QuietKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            kernel_log=None,
            **kwargs,
        ):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            options = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client = PapermillNotebookClient(nb_man, **options)
            return client.execute(stdout=kernel_log, stderr=kernel_log, env=_kernel_environment())

    name = "portfolio-quiet-kernel"
    papermill_engines.register(name, QuietKernelEngine)
    return name


def _kernel_environment() -> dict[str, str]:
    """The launching environment without ``MPLBACKEND``.

    Headless setups (cron, CI, test suites) often export ``MPLBACKEND=Agg``; a kernel that
    inherits it draws charts nowhere and the report has none. Without it, ipykernel picks
    its inline backend, which puts every figure in the notebook.
    """
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    return env


@contextlib.contextmanager
def _kernel_log(path: Path) -> Iterator[TextIO]:
    """A file for the kernel's own output and the log messages of nbclient and papermill
    (papermill warns about parameter cells it cannot parse; the failure report is ours)."""
    loggers = [logging.getLogger(_NBCLIENT_LOGGER), logging.getLogger("papermill")]
    with path.open("w", encoding="utf-8") as stream:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        propagate = [logger.propagate for logger in loggers]
        for logger in loggers:
            logger.addHandler(handler)
            logger.propagate = False
        try:
            yield stream
        finally:
            for logger, previous in zip(loggers, propagate, strict=True):
                logger.removeHandler(handler)
                logger.propagate = previous


def execute_notebook(
    source: Path,
    output: Path,
    parameters: Mapping[str, Any],
    *,
    kernel: str = DEFAULT_KERNEL,
    timeout: int | None = DEFAULT_TIMEOUT,
    log_path: Path | None = None,
) -> float:
    """Run ``source`` with papermill into ``output``; return the duration in seconds.

    The kernel works in the notebook's folder. ``timeout`` limits each cell (None: no limit).

    Raises
    ------
    NotebookFailure
        With the failing cell (counted from 1 as in JupyterLab), error and duration; the
        partly executed notebook is in ``output``.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    log_path = log_path or output.with_suffix(".log")
    started = time.perf_counter()
    error: BaseException | None = None
    with _kernel_log(log_path) as log:
        try:
            papermill.execute_notebook(
                str(source),
                str(output),
                parameters=dict(parameters),
                engine_name=_engine_name(),
                kernel_name=kernel,
                progress_bar=False,
                cwd=str(source.parent),
                execution_timeout=timeout,
                kernel_log=log,
                log=logging.getLogger(_NBCLIENT_LOGGER),
            )
        except PapermillExecutionError as err:
            error = err
        except Exception as err:  # timeout, dead kernel, unknown kernel: still name the cell
            error = err
    duration = time.perf_counter() - started
    if error is None:
        return duration
    raise _failure(source.name, output, error, duration, timeout) from error


def _failure(
    notebook: str, output: Path, error: BaseException, duration: float, timeout: int | None
) -> NotebookFailure:
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        ename, evalue = error.ename, _ANSI.sub("", str(error.evalue))
    elif isinstance(error, CellTimeoutError):
        ename, evalue = "Timeout", f"the cell ran longer than {timeout} s (see --timeout)"
    else:
        ename, evalue = type(error).__name__, str(error)
    cell_number, cell = _failed_cell(output)
    source = cell.get("source", "") if cell is not None else ""
    traceback = getattr(error, "traceback", None) or []
    return NotebookFailure(
        notebook,
        cell=cell_number,
        ename=ename,
        evalue=evalue,
        source=source,
        line=_failing_line(traceback),
        duration=duration,
        executed=output if output.is_file() else None,
    )


def _failed_cell(output: Path) -> tuple[int | None, Any]:
    """The failing cell of a partly executed notebook, numbered as in the source notebook.

    Papermill marks the cell that raised (``metadata.papermill.exception``); on a timeout or a
    dead kernel it is the last cell that started.
    """
    import nbformat

    try:
        nb = nbformat.read(str(output), as_version=4)
    except Exception:  # not written at all (kernel never started)
        return None, None
    cells = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if _PAPERMILL_ERROR_TAG in tags:
            continue
        cells.append((cell, "injected-parameters" in tags))
    failed, last_started = None, None
    number = 0
    for cell, injected in cells:
        number += 0 if injected else 1  # papermill's injected cell is not the user's
        state = cell.get("metadata", {}).get("papermill", {})
        if state.get("exception"):
            failed = (number, cell)
            break
        if state.get("start_time"):
            last_started = (number, cell)
    found = failed or last_started
    return found if found is not None else (None, None)


def _failing_line(traceback: Sequence[str]) -> int | None:
    """The line of the cell that raised, from IPython's ``Cell In[4], line 3`` frame."""
    for frame in traceback:
        match = re.search(r"Cell In\s*\[\d*\], line (\d+)", _ANSI.sub("", frame))
        if match:
            return int(match.group(1))
    return None


def notebook_title(nb: Any, default: str) -> str:
    """The first markdown heading of a notebook, else ``default``."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            match = re.match(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", line)
            if match:
                return match.group(1).strip()
    return default


def _html_exporter():
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,  # markdown images too: the page works offline and when moved
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags=_HTML_REMOVED_CELL_TAGS,
            remove_all_outputs_tags=_HTML_REMOVED_OUTPUT_TAGS,
            enabled=True,
        ),
        enabled=True,
    )
    return exporter


def export_html(
    executed: Path, html_path: Path, *, source_dir: Path | None = None, exporter: Any = None
) -> str:
    """Write the executed notebook as HTML without code or prompts; return its title.

    Figures are embedded (base64), as are markdown images, looked up in ``source_dir``.
    Cells tagged ``remove-cell`` and outputs tagged ``remove-output`` are left out.
    """
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    title = notebook_title(nb, executed.stem)
    # Key-figure records are data for tests and scripts (kept in the .ipynb), not for readers:
    # nbconvert has no HTML for their mimetype and would warn about each one.
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if RECORD_MIME not in o.get("data", {})]
    exporter = exporter or _html_exporter()
    resources = {"metadata": {"name": title, "path": str(source_dir or executed.parent)}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html_path.write_text(body, encoding="utf-8")
    return title


# --------------------------------------------------------------------------------------------
# Index and metadata
# --------------------------------------------------------------------------------------------
def _run_metadata(plan: RunPlan, results: Sequence[NotebookResult], finished: dt.datetime) -> dict:
    from portfolio_lib import __version__

    effective = plan.effective_parameters()
    return {
        "status": "ok",
        "date": plan.date.isoformat(),
        "started": plan.started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - plan.started).total_seconds(), 1),
        "lang": plan.lang,
        "as_of": str(effective.get("AS_OF") or ""),
        "data": {
            name: {"path": effective.get(name, ""), "default": name not in plan.parameters}
            for name in DATA_PARAMETERS
            if name in effective
        },
        "parameters": plan.parameters,
        "effective_parameters": effective,
        "config": str(plan.config) if plan.config else None,
        "kernel": plan.kernel,
        "timeout_s": plan.timeout,
        "notebooks": [
            {
                "notebook": result.name,
                "title": result.title,
                "html": f"{result.stem}.html",
                "executed": result.name,
                "excel": result.excel,
                "duration_s": round(result.duration, 1),
                "parameters": result.parameters,
            }
            for result in results
        ],
        "version": __version__,
    }


def _format_seconds(seconds: float, lang: str) -> str:
    return f"{i18n.format_number(seconds, lang, decimals=1)}\u00a0s"


def _format_day(day: str, lang: str) -> str:
    try:
        parsed = dt.date.fromisoformat(day)
    except ValueError:
        return day
    return parsed.strftime("%d/%m/%Y") if lang == "fr" else parsed.isoformat()


def _format_value(value: Any) -> str:
    if isinstance(value, str):
        return value if value else '""'
    return json.dumps(value, ensure_ascii=False)


def write_index(run: Mapping[str, Any], path: Path, *, link_prefix: str = "") -> Path:
    """Write the report's ``index.html`` from its run metadata (as in ``run.json``).

    ``link_prefix`` is put before every link (``"../2025-06-02/"`` for a copy elsewhere).
    """
    lang = run.get("lang", DEFAULTS["lang"])
    if lang not in i18n.LANGS:
        lang = DEFAULTS["lang"]

    def t(key: str) -> str:
        return html.escape(i18n.label(key, lang))

    esc = html.escape
    as_of = run.get("as_of") or ""
    as_of_text = esc(_format_day(as_of, lang)) if as_of else t("report_as_of_default")
    data_rows = []
    for name, info in run.get("data", {}).items():
        value = info.get("path") or ""
        text = esc(value) if value else t("report_none")
        if info.get("default") and value:
            text += f" <span class=muted>({t('report_default')})</span>"
        data_rows.append(
            f"<tr><th>{t('report_' + name.lower())}</th><td><code>{text}</code></td></tr>"
        )
    shown = {*DATA_PARAMETERS, "AS_OF", "LANG"}
    given = run.get("parameters", {})
    parameter_rows = [
        f"<tr><td><code>{esc(name)}</code></td><td><code>{esc(_format_value(value))}</code>"
        + ("" if name in given else f" <span class=muted>({t('report_default')})</span>")
        + "</td></tr>"
        for name, value in run.get("effective_parameters", {}).items()
        if name not in shown
    ]
    notebook_rows = [
        f'<tr><td><a href="{esc(link_prefix + item["html"], quote=True)}">{esc(item["title"])}</a>'
        f"</td><td class=num>{_format_seconds(item['duration_s'], lang)}</td><td>"
        f'<a class=muted href="{esc(link_prefix + item["executed"], quote=True)}">'
        f"{esc(item['executed'])}</a>"
        + (
            f' · <a href="{esc(link_prefix + item["excel"], quote=True)}">{esc(item["excel"])}</a>'
            if item.get("excel")
            else ""
        )
        + "</td></tr>"
        for item in run.get("notebooks", [])
    ]
    footer = i18n.label("report_generated", lang).format(
        version=run.get("version", ""),
        when=run.get("finished", "").replace("T", " "),
        seconds=_format_seconds(run.get("duration_s", 0.0), lang),
    )
    language = _LANGUAGE_NAMES.get(lang, {}).get(lang, lang)
    parameters_section = (
        f"<h2>{t('report_parameters')}</h2><table><tr><th>{t('report_parameter')}</th>"
        f"<th>{t('report_value')}</th></tr>{''.join(parameter_rows)}</table>"
        if parameter_rows
        else ""
    )
    page = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t("report_title")} – {esc(_format_day(run.get("date", ""), lang))}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }}
h1 {{ color: #1f4e79; margin-bottom: .2rem; }}
h2 {{ color: #1f4e79; margin-top: 2rem; border-bottom: 1px solid #d9e2ec; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #eef2f6;
          vertical-align: top; }}
th {{ font-weight: 600; width: 14rem; }}
td.num {{ text-align: right; white-space: nowrap; }}
.muted {{ color: #7b8794; font-size: .9em; }}
a {{ color: #1f4e79; }}
</style>
</head>
<body>
<h1>{t("report_title")}</h1>
<table>
<tr><th>{t("report_run_date")}</th><td>{esc(_format_day(run.get("date", ""), lang))}</td></tr>
<tr><th>{t("report_as_of")}</th><td>{as_of_text}</td></tr>
<tr><th>{t("report_language")}</th><td>{esc(language)}</td></tr>
</table>
<h2>{t("report_data")}</h2>
<table>{"".join(data_rows)}</table>
<h2>{t("report_analyses")}</h2>
<table><tr><th>{t("report_analysis")}</th><th class=num>{t("report_duration")}</th>
<th>{t("report_notebook")}</th></tr>
{"".join(notebook_rows)}
</table>
{parameters_section}
<p class=muted>{esc(footer)}</p>
</body>
</html>
"""
    path.write_text(page, encoding="utf-8")
    return path


def _write_run_json(run: Mapping[str, Any], path: Path) -> None:
    path.write_text(json.dumps(run, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")


# --------------------------------------------------------------------------------------------
# Publishing
# --------------------------------------------------------------------------------------------
def publish(new: Path, target: Path) -> Path:
    """Put the folder ``new`` at ``target``, replacing what was there, all or nothing.

    Both are on the same file system, so each step is an atomic rename: the previous folder
    is moved aside, the new one moved in, then the previous one removed. If moving in fails,
    the previous folder is put back.
    """
    backup = None
    if target.exists() or target.is_symlink():
        backup = target.with_name(f".old-{target.name}-{os.getpid()}")
        if backup.exists():
            shutil.rmtree(backup)
        os.rename(target, backup)
    try:
        os.rename(new, target)
    except BaseException:
        if backup is not None:
            os.rename(backup, target)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    return target


def _good_reports(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.iterdir()
        if _DATE_FOLDER.match(path.name) and path.is_dir() and (path / "run.json").is_file()
    )


def update_latest(root: Path) -> Path | None:
    """Point ``root/latest`` at the newest dated report (by date); return that report.

    A relative symlink when the file system allows it, else a ``latest/`` folder with an
    ``index.html`` (and ``run.json``) whose links go into the dated folder.
    """
    reports = _good_reports(root)
    if not reports:
        return None
    newest = reports[-1]
    latest = root / "latest"
    link = root / f".latest-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    try:
        os.symlink(newest.name, link, target_is_directory=True)
    except (OSError, NotImplementedError):
        _copy_latest(newest, latest)
        return newest
    if latest.is_dir() and not latest.is_symlink():
        shutil.rmtree(latest)  # a copy left by a run without symlinks
    os.replace(link, latest)
    return newest


def _copy_latest(report: Path, latest: Path) -> None:
    run = json.loads((report / "run.json").read_text(encoding="utf-8"))
    staging = latest.with_name(f".tmp-latest-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        write_index(run, staging / "index.html", link_prefix=f"../{report.name}/")
        shutil.copy2(report / "run.json", staging / "run.json")
        if latest.is_symlink():
            latest.unlink()
        publish(staging, latest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_stale_folders(root: Path) -> None:
    """Clean up after runs that were killed (``kill -9``, power cut): drop their temporary
    folders, and put back a previous report they had moved aside but not replaced."""
    for path in root.iterdir():
        match = _STALE_FOLDER.match(path.name)
        if not match or _process_alive(int(match.group(3))):
            continue
        kind, day = match.group(1), match.group(2)
        target = root / day
        if kind == "old" and not target.exists():
            os.rename(path, target)
        else:
            shutil.rmtree(path, ignore_errors=True)


def keep_failed(failure: NotebookFailure, root: Path, log_path: Path | None, day: dt.date) -> Path:
    """Copy the failed executed notebook (and the kernel log) to ``failed-<date>-<HHMMSS>/``."""
    stamp = dt.datetime.now().strftime("%H%M%S")
    folder = root / f"failed-{day.isoformat()}-{stamp}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = root / f"failed-{day.isoformat()}-{stamp}-{suffix}"
    folder.mkdir(parents=True)
    if failure.executed is not None and failure.executed.is_file():
        shutil.copy2(failure.executed, folder / failure.notebook)
    if log_path is not None and log_path.is_file() and log_path.stat().st_size:
        shutil.copy2(log_path, folder / f"{Path(failure.notebook).stem}.kernel.log")
    (folder / "error.txt").write_text(failure.describe() + "\n", encoding="utf-8")
    return folder


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------
def run_report(plan: RunPlan, *, out: TextIO | None = None) -> Path:
    """Execute, convert and publish; return the published report folder.

    Raises
    ------
    NotebookFailure
        After printing the progress line; ``failure.kept`` is the debugging folder.
    """
    out = out or sys.stdout
    root = plan.output_root
    root.mkdir(parents=True, exist_ok=True)
    remove_stale_folders(root)
    staging = root / f".tmp-{plan.date.isoformat()}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    logs = staging / ".logs"
    logs.mkdir(parents=True)
    exporter = _html_exporter()
    results: list[NotebookResult] = []
    total = len(plan.notebooks)
    try:
        for number, notebook in enumerate(plan.notebooks, 1):
            print(f"[{number}/{total}] {notebook.stem} ...", end=" ", file=out, flush=True)
            parameters = report_parameters(
                plan.declared[notebook.name], plan.parameters, folder=staging, stem=notebook.stem
            )
            executed = staging / notebook.name
            log_path = logs / f"{notebook.stem}.log"
            try:
                duration = execute_notebook(
                    notebook,
                    executed,
                    parameters,
                    kernel=plan.kernel,
                    timeout=plan.timeout,
                    log_path=log_path,
                )
            except NotebookFailure as failure:
                print(f"FAILED ({failure.duration:.1f} s)", file=out, flush=True)
                failure.kept = keep_failed(failure, root, log_path, plan.date)
                raise
            title = export_html(
                executed,
                staging / f"{notebook.stem}.html",
                source_dir=notebook.parent,
                exporter=exporter,
            )
            excel = staging / f"{notebook.stem}.xlsx"
            results.append(
                NotebookResult(
                    notebook.name,
                    title,
                    duration,
                    parameters,
                    excel=excel.name if excel.exists() else None,
                )
            )
            print(f"ok ({duration:.1f} s)", file=out, flush=True)
        shutil.rmtree(logs)
        run = _run_metadata(plan, results, dt.datetime.now())
        _write_run_json(run, staging / "run.json")
        write_index(run, staging / "index.html")
        target = publish(staging, root / plan.date.isoformat())
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when published
    update_latest(root)
    return target


def _display(path: Path) -> str:
    """A path as short as possible for messages (relative to the current folder if inside)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portfolio-report",
        description=(
            "Run the analysis notebooks on your data and write reports/<date>/ with one HTML "
            "page per analysis (no code) and an index. The previous report is replaced only "
            "when every notebook succeeds."
        ),
        epilog=(
            "Example: portfolio-report --config params.yaml --as-of 2025-12-31 --set a_cut=0.7\n"
            "Cron: 0 6 * * 1 cd /path/to/portfolio-workbook && mkdir -p reports && "
            ".venv/bin/portfolio-report --config /path/params.yaml >> reports/cron.log 2>&1"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = parser.add_argument_group(
        "data and parameters (flags override --set, which overrides --config)"
    )
    data.add_argument("--config", metavar="YAML", help="parameters file: 'name: value' lines")
    data.add_argument(
        "--transactions", metavar="PATH", help="transaction log (CSV, Excel, Parquet)"
    )
    data.add_argument("--customers", metavar="PATH", help="customer file ('' for none)")
    data.add_argument("--costs", metavar="PATH", help="acquisition/retention costs ('' for none)")
    data.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help="analysis date (default: last transaction)"
    )
    data.add_argument("--lang", choices=i18n.LANGS, help="language of the report")
    data.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="any notebook parameter, e.g. --set a_cut=0.7 (repeatable; value read as YAML)",
    )
    run = parser.add_argument_group("run")
    run.add_argument(
        "--notebooks",
        nargs="+",
        metavar="NAME",
        help="only these notebooks (01, 01_weight or a path); default: every NN_*.ipynb",
    )
    run.add_argument(
        "--notebooks-dir",
        metavar="DIR",
        default=str(NOTEBOOKS_DIR),
        help="where the notebooks are (default: the project's notebooks/)",
    )
    run.add_argument("--output", metavar="DIR", default=str(REPORTS_DIR), help="reports folder")
    run.add_argument(
        "--date", metavar="YYYY-MM-DD", help="name of the report folder (default: today)"
    )
    run.add_argument("--kernel", default=DEFAULT_KERNEL, help="Jupyter kernel (default: python3)")
    run.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"time limit per cell (default {DEFAULT_TIMEOUT}; 0 for none)",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="check everything and show what each notebook would receive, run nothing",
    )
    return parser


def plan_run(args: argparse.Namespace, *, cwd: Path | None = None) -> RunPlan:
    """Check the command line and decide notebooks, parameters and output folder."""
    cwd = cwd or Path.cwd()
    notebooks_dir = Path(args.notebooks_dir).expanduser()
    notebooks = find_notebooks(notebooks_dir, args.notebooks)
    declared = declared_parameters(notebooks)
    # Names are checked against every notebook of the folder, so one configuration file
    # serves runs of a few notebooks (--notebooks) as well as full runs.
    others = [
        path for path in sorted(notebooks_dir.glob(NOTEBOOK_PATTERN)) if path not in notebooks
    ]
    known = {**declared_parameters(others), **declared}
    sources: list[tuple[str, Mapping[str, Any]]] = []
    config = None
    if args.config:
        config = Path(args.config).expanduser()
        config = config if config.is_absolute() else cwd / config
        sources.append((str(config), read_config(config)))
    if args.set:
        sources.append(("--set", parse_assignments(args.set)))
    flags = {
        name: getattr(args, name)
        for name in ("transactions", "customers", "costs", "as_of", "lang")
        if getattr(args, name) is not None
    }
    if flags:
        sources.append(("command-line flags", flags))
    parameters = resolve_parameters(sources, known, cwd=cwd)
    try:
        day = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
    except ValueError:
        raise ReportError(f"--date: {args.date!r} is not a date; write it as YYYY-MM-DD") from None
    if args.timeout < 0:
        raise ReportError("--timeout must be 0 (no limit) or a number of seconds")
    _check_kernel(args.kernel)
    output_root = Path(args.output).expanduser()
    if not output_root.is_absolute():
        output_root = cwd / output_root
    return RunPlan(
        notebooks=notebooks,
        declared=declared,
        parameters=parameters,
        output_root=output_root,
        date=day,
        kernel=args.kernel,
        timeout=args.timeout or None,
        config=config,
    )


def _check_kernel(name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        manager.get_kernel_spec(name)
    except NoSuchKernel:
        installed = ", ".join(sorted(manager.find_kernel_specs())) or "none"
        raise ReportError(
            f"--kernel: no Jupyter kernel named {name!r}. Installed: {installed}"
        ) from None


def _print_plan(plan: RunPlan, out: TextIO) -> None:
    print(f"Report folder: {_display(plan.output_root / plan.date.isoformat())}", file=out)
    for number, notebook in enumerate(plan.notebooks, 1):
        given = parameters_for(plan.declared[notebook.name], plan.parameters)
        text = ", ".join(f"{name}={value!r}" for name, value in given.items()) or "defaults only"
        print(f"[{number}/{len(plan.notebooks)}] {notebook.stem}: {text}", file=out)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, a cron timeout) cleans up like Ctrl+C."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (see the module docstring)."""
    args = build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    started = time.perf_counter()
    try:
        with _terminate_as_interrupt():
            plan = plan_run(args)
            if args.dry_run:
                _print_plan(plan, out)
                return EXIT_OK
            target = run_report(plan, out=out)
    except ReportError as error:
        print(f"portfolio-report: error: {error}", file=err, flush=True)
        return EXIT_USAGE
    except NotebookFailure as failure:
        print(failure.describe(), file=err)
        if failure.kept is not None:
            print(f"The failed notebook is kept in {_display(failure.kept)}/", file=err)
        print("No report was published; the previous one is unchanged.", file=err, flush=True)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\nInterrupted: no report was published; the previous one is unchanged.", file=err)
        return EXIT_INTERRUPTED
    elapsed = time.perf_counter() - started
    print(
        f"Report written to {_display(target)}/index.html "
        f"({len(plan.notebooks)} notebooks, {elapsed:.1f} s)",
        file=out,
        flush=True,
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
