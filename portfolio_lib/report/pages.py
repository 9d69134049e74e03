"""What of an executed notebook goes into the report, in the report's language.

The notebooks read well in JupyterLab in both languages: each guide is a pair of markdown
cells tagged ``lang-fr`` and ``lang-en``, and the sections that only make sense in JupyterLab
(Load, Compute, the interactive Explorer) are tagged ``notebook-only``. A report page keeps
one language (:func:`report_notebook`): the other language's cells and the notebook-only ones
are dropped, and a parameter named in a guide (```ACTIVITY_WINDOW```) is replaced by its value
as the run used it ("12", "15 %"), so no parameter name reaches the reader.

:func:`page_charts` lists the charts of a page with the heading they sit under, for the slides.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portfolio_lib import i18n

__all__ = [
    "LANG_TAG",
    "PRINT_CSS",
    "NOTEBOOK_ONLY_TAG",
    "SHARE_PARAMETERS",
    "Chart",
    "page_charts",
    "parameter_text",
    "report_notebook",
]

LANG_TAG = "lang-{lang}"
NOTEBOOK_ONLY_TAG = "notebook-only"
# Parameters that are shares of 1, said as percentages in the text ("au-delà de 15 %").
SHARE_PARAMETERS = frozenset(
    {
        "DEPENDENCE_ALERT",
        "A_CUT",
        "B_CUT",
        "LIFECYCLE_GROWTH",
        "DROP_ALERT",
        "DISCOUNT_RATE",
        "PMG_QUANTILES",
        "POTENTIAL_QUANTILES",
        "PENETRATION_CUTS",
    }
)
# How the pages print: A4, charts and table rows never split, small table text.
PRINT_CSS = """<style>
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .jp-OutputArea-output img, img { max-width: 100% !important; height: auto !important;
    break-inside: avoid; page-break-inside: avoid; }
  .jp-OutputArea-output { overflow: visible !important; }
  .jp-RenderedHTMLCommon table { font-size: 7.5pt; table-layout: auto; max-width: 100%; }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 2px 4px !important;
    white-space: normal !important; }
  tr, .jp-RenderedImage, figure { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
}
</style>
"""
_PARAMETER_IN_TEXT = re.compile(r"`([A-Z][A-Z0-9_]*)`")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$", re.M)


def parameter_text(name: str, value: Any, lang: str) -> str:
    """A parameter's value as a reader reads it: ``0.15`` -> "15 %", ``12`` -> "12"."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float)):
        if name in SHARE_PARAMETERS:
            share = float(value) * 100
            return i18n.format_percent(value, lang, decimals=0 if share.is_integer() else 1)
        decimals = 0 if float(value).is_integer() else 2
        return i18n.format_number(value, lang, decimals=decimals)
    if isinstance(value, (list, tuple)):
        return ", ".join(parameter_text(name, item, lang) for item in value)
    return str(value)


def _tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def report_notebook(nb: Any, lang: str, values: Mapping[str, Any]) -> Any:
    """A copy of the executed notebook as the report shows it, in ``lang``.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook.
    lang : {'fr', 'en'}
    values : mapping
        Every parameter of the notebook as it ran (its defaults completed by the run's).

    Returns
    -------
    nbformat.NotebookNode
        Without the cells of the other language nor the notebook-only ones; parameter names
        written ```NAME``` in markdown replaced by their values.
    """
    other = {LANG_TAG.format(lang=code) for code in i18n.LANGS if code != lang}
    nb = copy.deepcopy(nb)
    kept = []
    for cell in nb.cells:
        tags = _tags(cell)
        if NOTEBOOK_ONLY_TAG in tags or tags & other:
            continue
        if cell.cell_type == "markdown":
            cell.source = _PARAMETER_IN_TEXT.sub(
                lambda m: (
                    parameter_text(m.group(1), values[m.group(1)], lang)
                    if m.group(1) in values
                    else m.group(0)
                ),
                cell.source,
            )
        kept.append(cell)
    nb.cells = kept
    return nb


@dataclass(frozen=True)
class Chart:
    """A chart of a report page: the heading it sits under and its PNG image."""

    heading: str
    png: bytes


def page_charts(nb: Any) -> list[Chart]:
    """The charts (PNG outputs) of a notebook, in order, each with the last heading above it.

    ``nb`` is a notebook as :func:`report_notebook` returns it (one language).
    """
    charts: list[Chart] = []
    heading = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = _HEADING.findall(cell.source)
            if found:
                heading = found[-1][1].strip()
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                charts.append(Chart(heading, base64.b64decode(data["image/png"])))
    return charts
