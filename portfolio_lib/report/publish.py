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
import html
import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS, RECORD_MIME
from portfolio_lib.engine.sources import is_table_source, parse_source
from portfolio_lib.report.execute import NotebookFailure
from portfolio_lib.report.params import DATA_PARAMETERS, RunPlan

__all__ = [
    "NotebookResult",
    "export_html",
    "html_exporter",
    "keep_failed",
    "notebook_title",
    "remove_stale_folders",
    "replace_folder",
    "run_metadata",
    "update_latest",
    "write_index",
    "write_run_json",
]

# Cells dropped from the HTML: papermill's bookkeeping, plus the usual "hide me" tags.
_HTML_REMOVED_CELL_TAGS = {"parameters", "injected-parameters", "remove-cell", "remove_cell"}
_HTML_REMOVED_OUTPUT_TAGS = {"remove-output", "remove_output"}
_DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_STALE_FOLDER = re.compile(r"^\.(tmp|old)-(\d{4}-\d{2}-\d{2})-(\d+)$")

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
        "report_sample": {"fr": "données d'exemple", "en": "sample data"},
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
    exporter = exporter or html_exporter()
    resources = {"metadata": {"name": title, "path": str(source_dir or executed.parent)}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html_path.write_text(body, encoding="utf-8")
    return title


def run_metadata(plan: RunPlan, results: Sequence[NotebookResult], finished: dt.datetime) -> dict:
    """The facts of a finished run, as saved in ``run.json`` and shown by :func:`write_index`."""
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

    The data files are named (file names, not paths: the page is for the client), with
    "none" for a file not used and "sample data" when the run used the notebooks' defaults.
    Every text is HTML-escaped.

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
        # The file's name only: the page goes to the client, the full path is in run.json.
        value = info.get("path") or ""
        # A database source shows its table (or 'SQL query'): no host, user or password.
        shown = parse_source(value).name if is_table_source(value) else Path(value).name
        text = esc(shown) if value else t("report_none")
        if info.get("default") and value:  # no data given: the notebooks' own, the sample
            text += f" <span class=muted>({t('report_sample')})</span>"
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
