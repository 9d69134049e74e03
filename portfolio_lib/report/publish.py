"""Write and publish a report: HTML pages, index, ``run.json``, ``latest``, failed runs.

:func:`export_html` turns an executed notebook into a standalone page without code (images
embedded, readable offline). :func:`write_index` writes the report's ``index.html`` from its
run metadata (:func:`run_metadata`, saved as ``run.json`` by :func:`write_run_json`).
:func:`replace_folder` puts a finished report in place all or nothing, :func:`update_latest`
points ``latest`` at the newest good report, :func:`remove_stale_folders` cleans up after
killed runs and :func:`keep_failed` keeps a failed notebook for debugging.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portfolio_lib.config import RECORD_MIME
from portfolio_lib.report.execute import NotebookFailure
from portfolio_lib.report.pages import (
    NOTEBOOK_ONLY_TAG,
    PRINT_CSS,
    Chart,
    page_charts,
    report_notebook,
)
from portfolio_lib.report.params import DATA_PARAMETERS, RunPlan
from portfolio_lib.report.summary import summary_facts, write_index
from portfolio_lib.ui.present import read_records

__all__ = [
    "NotebookResult",
    "document_names",
    "page_content",
    "export_html",
    "html_exporter",
    "keep_failed",
    "notebook_title",
    "offline_page",
    "remove_stale_folders",
    "replace_folder",
    "run_metadata",
    "update_latest",
    "write_index",
    "write_run_json",
]

# Cells dropped from the HTML: papermill's bookkeeping, plus the usual "hide me" tags.
_HTML_REMOVED_CELL_TAGS = {
    "parameters",
    "injected-parameters",
    "remove-cell",
    "remove_cell",
    NOTEBOOK_ONLY_TAG,
}
_HTML_REMOVED_OUTPUT_TAGS = {"remove-output", "remove_output"}
_DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_STALE_FOLDER = re.compile(r"^\.(tmp|old)-(\d{4}-\d{2}-\d{2})-(\d+)$")


@dataclass(frozen=True)
class NotebookResult:
    """One executed and converted notebook."""

    name: str  # file name, e.g. "01_weight.ipynb"
    title: str
    duration: float
    parameters: dict[str, Any]
    excel: str | None = None  # the Excel hand-out the notebook wrote, if any
    records: dict[str, Any] = field(default_factory=dict)  # its present.record figures

    @property
    def stem(self) -> str:
        return Path(self.name).stem

    @property
    def html(self) -> str:
        return f"{self.stem}.html"


def document_names(day: dt.date, lang: str) -> dict[str, str]:
    """The file names of the PDF and the slides, in the report's language."""
    base = "rapport-portefeuille" if lang == "fr" else "portfolio-report"
    return {"pdf": f"{base}-{day.isoformat()}.pdf", "slides": f"{base}-{day.isoformat()}.pptx"}


def page_content(
    executed: Path, lang: str, values: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Chart]]:
    """The recorded figures of an executed notebook and the charts of its page (in ``lang``)."""
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    return read_records(nb), page_charts(report_notebook(nb, lang, values))


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


def html_exporter() -> Any:
    """An nbconvert HTML exporter without code, prompts or hidden cells, images embedded.

    One exporter serves every notebook of a run (:func:`export_html` makes one when not given).
    """
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
    executed: Path,
    html_path: Path,
    *,
    source_dir: Path | None = None,
    exporter: Any = None,
    lang: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> str:
    """Write the executed notebook as HTML without code or prompts; return its title.

    With ``lang``, the page is in that language only and names no parameter (see
    :func:`portfolio_lib.report.pages.report_notebook`; ``values`` are the notebook's
    parameters as it ran). Figures are embedded (base64), as are markdown images, looked up
    in ``source_dir``. Cells tagged ``remove-cell`` and outputs tagged ``remove-output`` are
    left out. The page loads nothing from the network (it is read offline) and prints on
    A4 without cutting charts or table rows.
    """
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    if lang is not None:
        nb = report_notebook(nb, lang, values or {})
    title = notebook_title(nb, executed.stem)
    # Key-figure records are data for tests and scripts (kept in the .ipynb), not for readers:
    # nbconvert has no HTML for their mimetype and would warn about each one.
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if RECORD_MIME not in o.get("data", {})]
    exporter = exporter or html_exporter()
    resources = {"metadata": {"name": title, "path": str(source_dir or executed.parent)}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html_path.write_text(offline_page(body), encoding="utf-8")
    return title


# The pages have no widget and no formula: the scripts nbconvert loads from CDNs (RequireJS,
# MathJax, the widget manager) would only make an offline page wait for the network.
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>\s*", re.S)


def offline_page(page: str) -> str:
    """An nbconvert page without remote scripts, with the print rules added."""
    page = _SCRIPT.sub(
        lambda m: "" if "://" in m.group(0) or "MathJax" in m.group(0) else m.group(0), page
    )
    return page.replace("</head>", PRINT_CSS + "</head>", 1)


def run_metadata(
    plan: RunPlan,
    results: Sequence[NotebookResult],
    finished: dt.datetime,
    *,
    documents: Mapping[str, str | None] | None = None,
) -> dict:
    """The facts of a finished run, as saved in ``run.json`` and shown by :func:`write_index`.

    ``documents`` names the PDF and the slides written beside the pages
    (``{"pdf": "rapport.pdf", "slides": ...}``, None for one not written).
    """
    from portfolio_lib import __version__

    effective = plan.effective_parameters()
    # INTERACTIVE is the report's decision (no explorer in a static page), not a default.
    for result in results:
        if "INTERACTIVE" in result.parameters:
            effective["INTERACTIVE"] = result.parameters["INTERACTIVE"]
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
                "html": result.html,
                "executed": result.name,
                "excel": result.excel,
                "duration_s": round(result.duration, 1),
                "parameters": result.parameters,
                "findings": result.records.get("findings") or [],
            }
            for result in results
        ],
        "summary": summary_facts({result.stem: result.records for result in results}),
        **{kind: (documents or {}).get(kind) for kind in ("pdf", "slides")},
        "version": __version__,
    }


def write_run_json(run: Mapping[str, Any], path: Path) -> None:
    """Save :func:`run_metadata` as indented UTF-8 JSON, for scripts."""
    path.write_text(json.dumps(run, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")


def replace_folder(new: Path, target: Path) -> Path:
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
        replace_folder(staging, latest)
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
