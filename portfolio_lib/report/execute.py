"""Run one notebook with papermill and, when it fails, say which cell failed and why.

:func:`execute_notebook` runs a notebook in a fresh kernel whose working folder is the
notebook's folder. The kernel's own output (warnings, tracebacks of its own) and the log
messages of nbclient and papermill go to a log file, not to the terminal, so a cron log keeps
one line per notebook. A failure raises :class:`NotebookFailure`, which names the notebook, the
cell (counted from 1 as in JupyterLab), the error and the line of the cell that raised.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "DEFAULT_KERNEL",
    "DEFAULT_TIMEOUT",
    "KernelSession",
    "NotebookFailure",
    "execute_notebook",
]

DEFAULT_KERNEL = "python3"
DEFAULT_TIMEOUT = 600  # seconds per cell
_PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SOURCE_PREVIEW_LINES = 3
_NBCLIENT_LOGGER = "portfolio_lib.report.nbclient"
# ipykernel command-line option: PNG figures at twice the pixels, shown at the same size.
_SHARP_FIGURES = ["--InlineBackend.figure_formats=retina"]


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

    def __reduce__(self):
        # Notebooks run in worker processes: the failure crosses back pickled, with its fields.
        fields = {name: getattr(self, name) for name in _FAILURE_FIELDS}
        return _rebuild_failure, (self.notebook, fields, self.kept)

    def headline(self) -> str:
        """``FAILED: 02_movements.ipynb cell 7 (ValueError: ...)``."""
        where = f" cell {self.cell}" if self.cell is not None else ""
        message = self.evalue.strip().splitlines()[0] if self.evalue.strip() else ""
        error = f"{self.ename}: {message}" if message else self.ename
        return f"FAILED: {self.notebook}{where} ({error})"

    def describe(self) -> str:
        """The headline, the rest of the error's message (a data error's "what to do"), then
        the first lines of the failing cell and the line that raised."""
        lines = [self.headline()]
        lines += [f"  {text}" for text in self.evalue.strip().splitlines()[1:] if text.strip()]
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


_FAILURE_FIELDS = ("cell", "ename", "evalue", "source", "line", "duration", "executed")


def _rebuild_failure(notebook: str, fields: dict, kept: Path | None) -> NotebookFailure:
    failure = NotebookFailure(notebook, **fields)
    failure.kept = kept
    return failure


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
            kernel_env=None,
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
            # The user's --timeout is for the notebook's cells; the report's setup cell (pyplot
            # imported in a fresh kernel: seconds on a busy machine) is not theirs to time.
            options["timeout_func"] = functools.partial(_cell_timeout, limit=execution_timeout)
            client = PapermillNotebookClient(nb_man, **options)
            env = _kernel_environment(kernel_env)
            # Papermill rewrites the whole notebook (charts included) after every cell; once
            # at the end is enough here (also when a cell fails or times out: papermill's
            # notebook_complete saves after this returns or raises).
            save, nb_man.save = nb_man.save, lambda *args, **kwargs: None
            try:
                return client.execute(stdout=kernel_log, stderr=kernel_log, env=env)
            finally:
                nb_man.save = save
                if not client.owns_km and client.kc is not None:  # a session's kernel lives on
                    client.kc.stop_channels()

    name = "portfolio-quiet-kernel"
    papermill_engines.register(name, QuietKernelEngine)
    return name


def _cell_timeout(cell: Any, *, limit: int | None) -> int | None:
    """``limit`` for a notebook's cell, none for the report's setup cell."""
    return None if _SETUP_TAG in cell.get("metadata", {}).get("tags", []) else limit


def _kernel_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The launching environment without ``MPLBACKEND``, plus ``extra``.

    Headless setups (cron, CI, test suites) often export ``MPLBACKEND=Agg``; a kernel that
    inherits it draws charts nowhere and the report has none. Without it, ipykernel picks
    its inline backend, which puts every figure in the notebook.
    """
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    env.update(extra or {})
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


# Run first in every report kernel, left out of every output. pyplot redraws every new figure
# after each cell (its REPL hook, for interactive windows) and the inline backend then draws it
# again to make the PNG: the first drawing is thrown away and costs a third of a chart's time.
# The hook is pyplot's public switch; the inline backend still shows every figure.
_QUIET_DRAW_SOURCE = (
    "import matplotlib.pyplot\n"
    "matplotlib.pyplot.close(matplotlib.pyplot.figure())  # the inline backend is set up\n"
    "matplotlib.pyplot.uninstall_repl_displayhook()"
)
# Then, in a kernel that already ran a notebook: the next one starts from an empty
# namespace, as in a fresh kernel (modules stay imported: that is the time saved).
_RESET_SOURCE = "%reset -f\nimport matplotlib.pyplot\nmatplotlib.pyplot.close('all')"
_SETUP_TAG = "report-kernel-setup"


class KernelSession:
    """One kernel that runs several notebooks in turn, each from an empty namespace.

    A fresh kernel spends seconds importing pandas, matplotlib, scipy and the library before
    the first cell does any work; a report of eight notebooks pays it once per session
    instead. Between notebooks the session clears every variable (``%reset -f``) and closes
    the figures, so a notebook cannot use what another one defined. Use as a context manager:
    the kernel is shut down on exit.
    """

    def __init__(self, kernel: str = DEFAULT_KERNEL) -> None:
        from jupyter_client.manager import AsyncKernelManager

        self.kernel = kernel
        self.manager = AsyncKernelManager(kernel_name=kernel)
        self.notebooks = 0  # run so far

    def __enter__(self) -> KernelSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        from jupyter_core.utils import run_sync

        if self.manager.has_kernel:
            with contextlib.suppress(Exception):  # already dead: nothing to stop
                run_sync(self.manager.shutdown_kernel)(now=True)


def _with_setup(source: Path, *, reset: bool) -> Any:
    """The notebook with a first cell that sets the kernel up (left out of every output):
    no throw-away drawing of the charts and, with ``reset``, an empty namespace."""
    import nbformat

    nb = nbformat.read(str(source), as_version=4)
    code = f"{_RESET_SOURCE}\n{_QUIET_DRAW_SOURCE}" if reset else _QUIET_DRAW_SOURCE
    cell = nbformat.v4.new_code_cell(code)
    cell.metadata["tags"] = [_SETUP_TAG, "remove-cell"]
    nb.cells.insert(0, cell)
    return nb


def _drop_setup(output: Path) -> None:
    import nbformat

    if not output.is_file():
        return
    nb = nbformat.read(str(output), as_version=4)
    nb.cells = [c for c in nb.cells if _SETUP_TAG not in c.get("metadata", {}).get("tags", [])]
    nbformat.write(nb, str(output))


def execute_notebook(
    source: Path,
    output: Path,
    parameters: Mapping[str, Any],
    *,
    kernel: str = DEFAULT_KERNEL,
    timeout: int | None = DEFAULT_TIMEOUT,
    log_path: Path | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    sharp_figures: bool = False,
    session: KernelSession | None = None,
) -> float:
    """Run ``source`` with papermill into ``output``; return the duration in seconds.

    The kernel works in ``cwd`` (default: the notebook's folder), with ``env`` added to the
    environment. ``timeout`` limits each cell (None: no limit). ``sharp_figures`` draws the
    charts at twice the resolution (IPython's "retina" format), for print and slides.
    With a ``session``, the notebook runs in the session's kernel (started by its first
    notebook, with that notebook's ``cwd``, ``env`` and figure format), from an empty
    namespace. A hidden first cell (not timed by ``timeout``, left out of ``output``) turns
    off pyplot's redrawing of every new figure after its cell: each chart is drawn once,
    for its PNG.

    Raises
    ------
    NotebookFailure
        With the failing cell (counted from 1 as in JupyterLab), error and duration; the
        partly executed notebook is in ``output``.
    """
    import papermill

    log_path = log_path or output.with_suffix(".log")
    started = time.perf_counter()
    error: BaseException | None = None
    reused = session is not None and session.notebooks > 0
    extra = {"km": session.manager} if session is not None else {}
    with _kernel_log(log_path) as log:
        try:
            papermill.execute_notebook(
                _with_setup(source, reset=reused),
                str(output),
                parameters=dict(parameters),
                engine_name=_engine_name(),
                kernel_name=kernel,
                progress_bar=False,
                cwd=str(cwd or source.parent),
                execution_timeout=timeout,
                kernel_log=log,
                kernel_env=dict(env or {}),
                extra_arguments=_SHARP_FIGURES if sharp_figures else [],
                log=logging.getLogger(_NBCLIENT_LOGGER),
                **extra,
            )
        except Exception as err:  # a cell raised, timed out or the kernel died: name the cell
            error = err
    if session is not None:
        session.notebooks += 1
    _drop_setup(output)
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
    first = _error_outputs(cell) if cell is not None else []
    if first and isinstance(error, PapermillExecutionError):  # that cell's own error
        ename, evalue = first[0].get("ename", ename), _ANSI.sub("", first[0].get("evalue", ""))
        traceback = first[0].get("traceback", traceback)
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

    The first cell with an error output, or that papermill marks as raising
    (``metadata.papermill.exception``); on a timeout or a dead kernel, the last cell that
    started.
    """
    import nbformat

    try:
        nb = nbformat.read(str(output), as_version=4)
    except Exception:  # not written at all (kernel never started)
        return None, None
    cells = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if _PAPERMILL_ERROR_TAG in tags or _SETUP_TAG in tags:
            continue
        cells.append((cell, "injected-parameters" in tags))
    failed, last_started = None, None
    number = 0
    for cell, injected in cells:
        number += 0 if injected else 1  # papermill's injected cell is not the user's
        state = cell.get("metadata", {}).get("papermill", {})
        # The first cell with an error: papermill marks the last one, and a chart that fails
        # when drawn after its cell leaves its error in that cell and every later one.
        if state.get("exception") or _error_outputs(cell):
            failed = (number, cell)
            break
        if state.get("start_time"):
            last_started = (number, cell)
    found = failed or last_started
    return found if found is not None else (None, None)


def _error_outputs(cell: Any) -> list[Any]:
    """The error outputs of an executed cell, in order."""
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _failing_line(traceback: Sequence[str]) -> int | None:
    """The line of the cell that raised, from IPython's ``Cell In[4], line 3`` frame."""
    for frame in traceback:
        match = re.search(r"Cell In\s*\[\d*\], line (\d+)", _ANSI.sub("", frame))
        if match:
            return int(match.group(1))
    return None
