"""The "show" step of the notebooks: readable tables, messages and recorded key figures.

- :func:`show_table` translates headers and formats money, shares and counts the French or
  English way (the kinds come from :func:`portfolio_lib.ui.export.infer_format`, so a table looks
  the same on screen and in the Excel export).
- :func:`show_message` shows a bilingual error or note (e.g. "no cost table") instead of a
  traceback, so a notebook carries on with the analyses that are possible;
  :func:`warnings_shown` does the same for the data-quality warnings raised in a block.
- :func:`findings_placeholder` reserves the top of a notebook for its key findings and
  :func:`show_findings` fills it once the study is computed (the HTML report shows them there).
- :func:`record` publishes a notebook's key figures as machine-readable output (invisible in
  the HTML report); :func:`read_records` reads them back from an executed notebook, which is
  how tests check a notebook's numbers against the library.
"""

from __future__ import annotations

import html
import json
import math
import numbers
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import DisplayHandle, Markdown, display

from portfolio_lib import i18n
from portfolio_lib.config import RECORD_MIME
from portfolio_lib.data.errors import DataQualityWarning
from portfolio_lib.studies.findings import Finding
from portfolio_lib.ui.export import infer_format

__all__ = [
    "RECORD_MIME",
    "findings_html",
    "findings_placeholder",
    "format_table",
    "read_records",
    "record",
    "show_findings",
    "show_message",
    "show_table",
    "warnings_shown",
]

i18n.register({"yes": {"fr": "Oui", "en": "Yes"}, "no": {"fr": "Non", "en": "No"}})


def _formatter(kind: str | None, lang: str):
    if kind in ("money", "money_cents"):
        return lambda v: i18n.format_currency(v, lang, decimals=2 if kind == "money_cents" else 0)
    if kind == "percent":
        return lambda v: i18n.format_percent(v, lang)
    if kind == "integer":
        return lambda v: i18n.format_number(v, lang)
    if kind in ("number", "ratio"):
        return lambda v: i18n.format_number(v, lang, decimals=2)
    if kind == "date":
        return lambda v: "–" if pd.isna(v) else f"{pd.Timestamp(v):%d/%m/%Y}"
    if kind == "month":
        return lambda v: "–" if pd.isna(v) else i18n.month_label(pd.Timestamp(v), lang)
    return None


def _is_boolean(values: pd.Series) -> bool:
    """Booleans, also when stored as objects next to missing values (after a reindex)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return True
    if values.dtype != object:
        return False
    present = values.dropna()
    return len(present) > 0 and all(isinstance(v, (bool, np.bool_)) for v in present)


def _yes_no(lang: str):
    yes, no = i18n.label("yes", lang), i18n.label("no", lang)
    return lambda v: "–" if _missing(v) else yes if v else no


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_table(
    frame: pd.DataFrame,
    *,
    lang: str = "fr",
    formats: Mapping[str, str] | None = None,
    categories: bool = True,
) -> pd.DataFrame:
    """A display copy of ``frame``: values as formatted text, headers translated.

    Parameters
    ----------
    frame : pandas.DataFrame
    lang : {'fr', 'en'}
    formats : mapping, optional
        ``{column: kind}`` overriding the inferred kind (money, percent, integer, number, ratio,
        date, month).
    categories : bool, default True
        Translate text values that are label keys (class names, segments, phases).

    Returns
    -------
    pandas.DataFrame
        Same shape, string cells; booleans (``complete_history``, ``vivier``...) read
        Oui/Non or Yes/No.
    """
    out = frame.reset_index() if _has_index(frame) else frame.copy()
    known = i18n.labels(lang)
    for column in out.columns:
        values = out[column]
        if _is_boolean(values):  # a flag, never a number (as in the Excel export)
            out[column] = values.map(_yes_no(lang)).astype(object)
            continue
        kind = (formats or {}).get(column) or infer_format(values, column)
        formatter = _formatter(kind, lang)
        if formatter is not None:
            out[column] = values.map(formatter).astype(object)
        elif categories and (values.dtype == object or isinstance(values.dtype, pd.CategoricalDtype)
                             or pd.api.types.is_string_dtype(values.dtype)):  # fmt: skip
            out[column] = values.map(lambda v: known.get(v, v) if isinstance(v, str) else v)
    return i18n.translate_columns(out, lang)


def show_table(
    frame: pd.DataFrame,
    *,
    lang: str = "fr",
    formats: Mapping[str, str] | None = None,
    max_rows: int | None = 50,
    caption: str | None = None,
):
    """A formatted, translated table for notebook output (also readable in the HTML report).

    Returns a pandas Styler; make it the last expression of a cell (or ``display`` it).
    Cells, headers and the caption are written as text (HTML-escaped): names come from the
    client's files, and ``<script>`` in a customer name must not run in the reader's browser.
    """
    head = frame.head(max_rows) if max_rows else frame
    shown = format_table(head, lang=lang, formats=formats)
    flat = head.reset_index() if _has_index(head) else head
    numeric = [
        label
        for column, label in zip(flat.columns, shown.columns, strict=True)
        if pd.api.types.is_numeric_dtype(flat[column].dtype) and not _is_boolean(flat[column])
    ]
    styler = (
        shown.style.hide(axis="index")
        .format(escape="html")
        .format_index(escape="html", axis=0)
        .format_index(escape="html", axis=1)
        .set_properties(subset=numeric, **{"text-align": "right"})
    )
    if caption:
        styler = styler.set_caption(html.escape(caption))
    return styler


def _has_index(frame: pd.DataFrame) -> bool:
    return frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex)


def show_message(message: object, *, lang: str = "fr") -> None:
    """Show a note or a :class:`~portfolio_lib.data.errors.PortfolioDataError` as a highlighted box."""
    text = message.text(lang) if callable(getattr(message, "text", None)) else str(message)
    quoted = "\n".join(f"> {_markdown_text(line)}" for line in text.splitlines())
    display(Markdown(f"> **{'Attention' if lang == 'fr' else 'Note'}**\n>\n{quoted}"))


def _markdown_text(line: str) -> str:
    """``line`` as text in Markdown: messages quote values from the client's files, and
    Markdown passes raw HTML (``<script>``) and links (``[x](javascript:...)``) through."""
    return re.sub(r"([\\\[\]])", r"\\\1", html.escape(line, quote=False))


@contextmanager
def warnings_shown(*, lang: str = "fr") -> Iterator[None]:
    """Show the data-quality warnings raised inside the block as notes, not on stderr.

    Each :class:`~portfolio_lib.data.errors.DataQualityWarning` of the block (duplicate rows at
    loading, customers left out of a model...) is shown with :func:`show_message` in ``lang``, once the block ends (also when
    it raises), instead of a raw line on stderr that names a source file and reaches the
    HTML report untranslated. Other warnings pass on to the usual filters unchanged.

    Examples
    --------
    >>> with warnings_shown(lang="en"):  # doctest: +SKIP
    ...     prepared = prepare("sales.csv")
    """
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataQualityWarning)  # every one, not once per line
            yield
    finally:
        for item in caught:
            if isinstance(item.message, DataQualityWarning):
                show_message(item.message, lang=lang)
            else:
                warnings.warn_explicit(
                    item.message, item.category, item.filename, item.lineno, source=item.source
                )


def _plain(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return None if math.isnan(value) else value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, pd.Series, np.ndarray)):
        return [_plain(v) for v in list(value)]
    return value if value is None else str(value)


def record(**figures: Any) -> None:
    """Publish key figures of a notebook (JSON under :data:`RECORD_MIME`, not shown)."""
    display({RECORD_MIME: _plain(figures)}, raw=True)


def read_records(notebook: Any) -> dict[str, Any]:
    """Every figure published with :func:`record` in an executed notebook (a nbformat node)."""
    found: dict[str, Any] = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RECORD_MIME in data:
                payload = data[RECORD_MIME]
                found.update(json.loads(payload) if isinstance(payload, str) else payload)
    return found


# --------------------------------------------------------------------------------------------
# Key findings at the top of a notebook


def findings_placeholder() -> DisplayHandle:
    """An empty output, kept for the key findings, to call in the first cell of a notebook.

    The findings are computed after the study, far below the title; this output sits right under
    it and :func:`show_findings` fills it in place (an ``update_display_data`` message, which
    JupyterLab, Voilà, nbclient and papermill apply to the output already shown), so the
    executed notebook and its HTML report show the findings first.
    """
    return display({"text/plain": "", "text/html": ""}, raw=True, display_id=True)


def findings_html(items: Sequence[Finding], *, lang: str = "fr") -> str:
    """The findings as an HTML list under a "Constats clés" / "Key findings" heading.

    Every text is escaped: the sentences quote customer, rep and channel names from the
    client's files.
    """
    title = html.escape(i18n.label("findings_title", lang))
    if not items:
        body = f"<p>{html.escape(i18n.label('findings_none', lang))}</p>"
    else:
        body = "<ul>" + "".join(f"<li>{html.escape(f.text)}</li>" for f in items) + "</ul>"
    return f'<div class="portfolio-findings"><h2>{title}</h2>{body}</div>'


def show_findings(box: DisplayHandle | None, items: Sequence[Finding], *, lang: str = "fr") -> None:
    """Show ``items`` (from :func:`portfolio_lib.studies.findings.findings`) in ``box``.

    ``box`` is the handle of :func:`findings_placeholder`; None shows them here instead.
    """
    lines = [f"- {f.text}" for f in items] or [i18n.label("findings_none", lang)]
    plain = "\n".join([i18n.label("findings_title", lang), *lines])
    bundle = {"text/plain": plain, "text/html": findings_html(items, lang=lang)}
    if box is None:
        display(bundle, raw=True)
    else:
        box.update(bundle, raw=True)
