"""``portfolio-report``: run every analysis notebook on given data and publish an HTML report.

Each ``notebooks/[0-9][0-9]_*.ipynb`` (in name order, never ``app.ipynb``) is executed with
papermill, two at a time (``--jobs``), each worker process reusing one ``python3`` kernel from
notebook to notebook with an emptied namespace; the kernels work in the report's folder and
share one load of the data. Each is converted by nbconvert to a standalone HTML page without
code, in the report's language only (images embedded, readable offline). The run writes
``reports/<YYYY-MM-DD>/`` (the run date), a folder that can be moved or sent as is::

    index.html          the executive summary: headline figures, the most important findings
                        with links to their pages, the pages, downloads, and an appendix
                        (data files by name, analysis date, parameters by their meaning)
    run.json            every fact of the run (paths, parameters, durations), for scripts
    01_weight.html      the analysis without code, for the client
    01_weight.ipynb     the executed notebook, for the analyst
    05_rfm.xlsx         the Excel hand-out of the notebooks that write one, linked by its page
    rapport-portefeuille-<date>.pdf   the whole report (printed with headless Chromium;
                                      without Chromium a one-line note, the HTML is complete)
    rapport-portefeuille-<date>.pptx  one slide per key chart, titled by its finding
                        (``portfolio-report-<date>.*`` in English)

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
the folder the command is launched from and must exist before anything runs. Once a data file
is given, the files not given mean "none": a run on your transactions never reads the sample's
customers or costs (customers or costs without transactions are refused); with no data file at
all the notebooks run on the sample, and the index says so. The index names the data files
used (names only; ``run.json`` keeps the paths).

Each notebook that writes a client hand-out writes it as ``<notebook>.xlsx`` next to its page
(``05_rfm.xlsx``, ``07_alerts.xlsx``): a report writes nothing outside its folder and no
hand-out overwrites another, so ``excel_output`` is refused in a report's parameters.

Exit status: 0 success, 1 a notebook failed, 2 bad command line, configuration or data path,
130 interrupted.

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
import contextlib
import datetime as dt
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any, TextIO

from portfolio_lib import i18n
from portfolio_lib.config import NOTEBOOKS_DIR, REPORTS_DIR
from portfolio_lib.engine.shared import SHARED_CACHE_ENV
from portfolio_lib.report.documents import MissingTool, write_pdf, write_slides
from portfolio_lib.report.execute import (
    DEFAULT_KERNEL,
    DEFAULT_TIMEOUT,
    KernelSession,
    NotebookFailure,
    execute_notebook,
)
from portfolio_lib.report.pages import Chart
from portfolio_lib.report.params import (
    NOTEBOOK_PATTERN,
    ReportError,
    RunPlan,
    declared_parameters,
    find_notebooks,
    parameters_for,
    parse_assignments,
    read_config,
    report_parameters,
    resolve_parameters,
)
from portfolio_lib.report.publish import (
    NotebookResult,
    document_names,
    export_html,
    keep_failed,
    page_content,
    remove_stale_folders,
    replace_folder,
    run_metadata,
    update_latest,
    write_index,
    write_run_json,
)

__all__ = ["build_parser", "main", "plan_run", "run_report"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


DEFAULT_JOBS = 2  # notebooks at once; each kernel holds the data, so not every core
# The notebooks that take longest (the predictive models; the Excel hand-outs of every
# customer on big files) start first, so no worker is left alone with a long one at the end.
LONGEST_FIRST = ("06_clv", "07_alerts", "05_rfm")


@dataclass(frozen=True)
class PageJob:
    """One notebook to execute and convert (sent to a worker process)."""

    notebook: Path
    folder: Path  # the report's staging folder: the kernel works there, pages are written there
    parameters: dict[str, Any]  # what the notebook receives
    values: dict[str, Any]  # every parameter as it runs (defaults completed), for the text
    lang: str
    kernel: str
    timeout: int | None
    env: dict[str, str]

    @property
    def log_path(self) -> Path:
        return self.folder / ".logs" / f"{self.notebook.stem}.log"


@dataclass(frozen=True)
class PageDone:
    result: NotebookResult
    charts: list[Chart]


def run_page(job: PageJob, session: KernelSession | None = None) -> PageDone:
    """Execute one notebook in the report folder, write its page; return what the report needs.

    With a ``session``, the notebook runs in that kernel (see :class:`KernelSession`).
    """
    executed = job.folder / job.notebook.name
    duration = execute_notebook(
        job.notebook,
        executed,
        job.parameters,
        kernel=job.kernel,
        timeout=job.timeout,
        log_path=job.log_path,
        cwd=job.folder,  # a file the notebook writes lands in the report, linked relatively
        env=job.env,
        sharp_figures=True,  # print and slides want more than screen pixels
        session=session,
    )
    stem = job.notebook.stem
    title = export_html(
        executed,
        job.folder / f"{stem}.html",
        source_dir=job.notebook.parent,
        lang=job.lang,
        values=job.values,
    )
    records, charts = page_content(executed, job.lang, job.values)
    excel = job.folder / f"{stem}.xlsx"
    result = NotebookResult(
        job.notebook.name,
        title,
        duration,
        job.parameters,
        excel=excel.name if excel.exists() else None,
        records=records,
    )
    return PageDone(result, charts)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _worker(jobs: Any, results: Any, stop: Any) -> None:
    """A worker process: run notebooks from ``jobs`` in one kernel until told to stop."""
    signal.signal(signal.SIGTERM, _interrupt)  # terminated: still shut the kernel down
    session = None
    try:
        while not stop.is_set():
            item = jobs.get()
            if item is None:
                break
            index, job = item
            session = session or KernelSession(job.kernel)
            try:
                results.put((index, run_page(job, session), None))
            except NotebookFailure as failure:
                results.put((index, None, failure))
            except Exception as err:  # converting, not running: still a failure of this page
                results.put((index, None, NotebookFailure(
                    job.notebook.name, cell=None, ename=type(err).__name__, evalue=str(err)
                )))  # fmt: skip
    except KeyboardInterrupt:
        pass
    finally:
        if session is not None:
            session.close()


def _pages(jobs: Sequence[PageJob], workers: int, out: TextIO) -> list[PageDone]:
    """Run the jobs, ``workers`` at a time, printing one line per notebook as it ends.

    Each worker is a process with its own kernel, which runs its notebooks one after the
    other (:class:`KernelSession`). Returns the pages in the jobs' order. A failure stops the
    notebooks not yet started, waits for the running ones and is raised (after its progress
    line).
    """
    total = len(jobs)
    done: dict[int, PageDone] = {}

    def report(index: int, page: PageDone) -> None:
        done[index] = page
        line = f"ok ({page.result.duration:.1f} s)"
        print(f"[{len(done)}/{total}] {jobs[index].notebook.stem} {line}", file=out, flush=True)

    def failed(index: int, failure: NotebookFailure) -> NotebookFailure:
        print(
            f"[{len(done) + 1}/{total}] {jobs[index].notebook.stem} "
            f"FAILED ({failure.duration:.1f} s)",
            file=out,
            flush=True,
        )
        return failure

    if workers <= 1 or total <= 1:
        with KernelSession(jobs[0].kernel) as session:
            for index, job in enumerate(jobs):
                try:
                    report(index, run_page(job, session))
                except NotebookFailure as failure:
                    raise failed(index, failure) from None
        return [done[index] for index in range(total)]
    # Forked workers start with the library imported (seconds of CPU each); a process with
    # other threads is never forked (their locks would be copied held): spawn then.
    forkable = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context(
        "fork" if forkable and threading.active_count() == 1 else "spawn"
    )
    queue, results, stop = context.Queue(), context.Queue(), context.Event()
    count = min(workers, total)
    for item in [*sorted(enumerate(jobs), key=_start_order), *[None] * count]:
        queue.put(item)
    processes = [
        context.Process(target=_worker, args=(queue, results, stop), name=f"report-worker-{n}")
        for n in range(count)
    ]
    for process in processes:
        process.start()
    try:
        while len(done) < total:
            try:
                index, page, failure = results.get(timeout=1.0)
            except Empty:
                if not any(process.is_alive() for process in processes):
                    message = "the report's worker processes stopped unexpectedly"
                    raise RuntimeError(message) from None
                continue
            if failure is not None:
                raise failed(index, failure)
            report(index, page)
    except BaseException:
        stop.set()  # no new notebook; the running ones end (or are interrupted)
        if not isinstance(sys.exc_info()[1], NotebookFailure):
            for process in processes:
                process.terminate()
        raise
    finally:
        for process in processes:
            process.join()
    return [done[index] for index in range(total)]


def _start_order(item: tuple[int, PageJob]) -> tuple[int, int]:
    """Longest notebooks first (:data:`LONGEST_FIRST`), then the others in name order."""
    index, job = item
    stem = job.notebook.stem
    return (LONGEST_FIRST.index(stem) if stem in LONGEST_FIRST else len(LONGEST_FIRST), index)


def run_report(plan: RunPlan, *, out: TextIO | None = None) -> Path:
    """Execute, convert and publish; return the published report folder.

    Notebooks run ``plan.jobs`` at a time, each in its kernel working in the report's
    folder; they share one load of the data (:mod:`portfolio_lib.engine.shared`). Then the
    summary (``index.html``), the PDF and the slides are written.

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
    (staging / ".logs").mkdir(parents=True)
    shared = staging / ".shared"
    lang = plan.lang
    jobs = []
    for notebook in plan.notebooks:
        declared = plan.declared[notebook.name]
        parameters = report_parameters(
            declared, plan.parameters, folder=staging, stem=notebook.stem
        )
        jobs.append(
            PageJob(
                notebook=notebook,
                folder=staging,
                parameters=parameters,
                values={**declared, **parameters},
                lang=lang,
                kernel=plan.kernel,
                timeout=plan.timeout,
                env={SHARED_CACHE_ENV: str(shared)},
            )
        )
    try:
        try:
            pages = _pages(jobs, plan.jobs, out)
        except NotebookFailure as failure:
            job = next(j for j in jobs if j.notebook.name == failure.notebook)
            failure.kept = keep_failed(failure, root, job.log_path, plan.date)
            raise
        shutil.rmtree(staging / ".logs")
        shutil.rmtree(shared, ignore_errors=True)  # the loaded data: not part of the report
        results = [page.result for page in pages]
        names = document_names(plan.date, lang)
        run = run_metadata(plan, results, dt.datetime.now(), documents=names)
        run["timings"] = _documents(staging, run, {p.result.html: p.charts for p in pages}, out)
        write_run_json(run, staging / "run.json")
        write_index(run, staging / "index.html")
        target = replace_folder(staging, root / plan.date.isoformat())
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when published
    update_latest(root)
    return target


def _documents(
    folder: Path, run: dict[str, Any], charts: dict[str, list[Chart]], out: TextIO
) -> dict[str, float]:
    """Write the slides and the PDF named in ``run``; a document that cannot be written is
    said in one line and dropped from ``run`` (the HTML report is complete without it)."""
    timings = {}
    writers = (
        ("slides", lambda path: write_slides(run, charts, path)),
        ("pdf", lambda path: write_pdf(folder, run, path)),
    )
    for kind, write in writers:
        started = time.perf_counter()
        try:
            write(folder / run[kind])
        except (MissingTool, RuntimeError, OSError, ImportError, subprocess.SubprocessError) as err:
            run[kind] = None
            print(str(err).splitlines()[0] if isinstance(err, MissingTool) else
                  f"{kind.upper()} not written: {err}", file=out, flush=True)  # fmt: skip
            continue
        timings[f"{kind}_s"] = round(time.perf_counter() - started, 1)
        print(f"{run[kind]} ({timings[f'{kind}_s']:.1f} s)", file=out, flush=True)
    return timings


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
        "--transactions",
        metavar="PATH",
        help="transaction log (CSV, Excel, Parquet) or a table: postgresql://user@host/db?table=ventes",
    )
    data.add_argument("--customers", metavar="PATH", help="customer file ('' for none)")
    data.add_argument("--costs", metavar="PATH", help="acquisition/retention costs ('' for none)")
    data.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help="analysis date (default: last transaction)"
    )
    data.add_argument("--lang", choices=i18n.LANGS, help="language of the report")
    data.add_argument(
        "--engine",
        metavar="NAME",
        help="where to aggregate: duckdb (default), postgres (the --transactions database), "
        "spark or a Spark Connect URL sc://host:15002",
    )
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
        "--jobs",
        type=int,
        default=min(DEFAULT_JOBS, os.cpu_count() or 1),
        metavar="N",
        help=f"notebooks run at once (default: {DEFAULT_JOBS}, or 1 on a single core)",
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
        for name in ("transactions", "customers", "costs", "as_of", "lang", "engine")
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
    if args.jobs < 1:
        raise ReportError("--jobs must be 1 or more")
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
        jobs=args.jobs,
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
