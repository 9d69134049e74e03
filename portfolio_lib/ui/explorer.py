"""The explorer machinery: controls wired to a render function, its charts, tables and downloads.

An explorer receives what does not depend on its controls, prepared once, and on every
control change calls its render function (a study, the cheap step) and redraws. Sliders
update on release (``continuous_update=False``), so a drag costs one redraw.

Drawing is what costs (matplotlib takes 0.1 to 0.6 s per chart, the studies a few
milliseconds), so a redraw only draws the charts whose data changed: ``render`` returns
:class:`Chart` specs (the plot function and its inputs) and the explorer keeps the PNG of each
chart with a fingerprint of its inputs. The downloads (one Excel file of the tables, a 150 dpi
PNG per chart) are built when asked for, not on every change.

Every explorer is an :class:`Explorer` (an ``ipywidgets.VBox``): its controls, then the notes,
charts and tables of the current values, then the download bar. It works the same in JupyterLab
and in the Voilà app; ``last_view`` holds what the render function last returned, for tests and
for code that wants the numbers. :func:`with_filters` puts an explorer under a filter bar.
The explorers of each analysis are in :mod:`portfolio_lib.ui.widgets`.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython import get_ipython
from IPython.display import HTML, display
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from traitlets import TraitError

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.plots.common import plain_text
from portfolio_lib.studies import Note
from portfolio_lib.studies.findings import findings as study_findings
from portfolio_lib.ui.controls import labelled
from portfolio_lib.ui.export import figure_png_bytes, workbook_bytes
from portfolio_lib.ui.filters import FilterBar, filter_bar, filters_text
from portfolio_lib.ui.present import show_table

__all__ = [
    "figures_row",
    "key_findings",
    "study_view",
    "Chart",
    "Explorer",
    "TableBlock",
    "FilteredExplorer",
    "View",
    "chart_png",
    "download_links",
    "explorer",
    "FilterBar",
    "filter_bar",
    "filters_text",
    "fingerprint",
    "with_filters",
]

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Charts are drawn at 140 dpi: a 9-inch chart is then as wide as the page at 1280 px (drawn
# once, shown full width, and the PNG beside it); the download bar's PNGs are 150 dpi.
_SCREEN_DPI = 140
_DOWNLOAD_DPI = 150
# Charts kept per explorer: enough for every chart of every explorer plus a few variants.
_CACHE_SIZE = 32
# Rows of a table shown on screen ("10 sur N"); "voir les N lignes" shows up to _EXPAND_ROWS
# (the Excel file has them all). Tables up to _EAGER_EXCEL_ROWS get their Excel link at once
# (< 0.1 s), longer ones on a click (0.2 s per 1,000 rows).
_SCREEN_ROWS = 10
_EXPAND_ROWS = 500
_EAGER_EXCEL_ROWS = 500

i18n.register(
    {
        "download": {"fr": "Télécharger", "en": "Download"},
        "tables_excel": {"fr": "Tableaux (Excel)", "en": "Tables (Excel)"},
        "prepare_downloads": {
            "fr": "Préparer les téléchargements (Excel, PNG)",
            "en": "Prepare the downloads (Excel, PNG)",
        },
        "filters": {"fr": "Filtres", "en": "Filters"},
        "rows_shown": {"fr": "{shown} sur {total}", "en": "{shown} of {total}"},
        "show_all_rows": {"fr": "Voir les {total} lignes", "en": "Show the {total} rows"},
        "show_fewer_rows": {"fr": "Voir les {shown} premières", "en": "Show the first {shown}"},
        "rows_cut": {
            "fr": "Les {shown} premières lignes sur {total} : toutes sont dans le fichier Excel.",
            "en": "The first {shown} rows of {total}: the Excel file has them all.",
        },
        "excel_link": {"fr": "Excel", "en": "Excel"},
        "prepare_excel": {"fr": "Préparer l'Excel", "en": "Prepare the Excel file"},
        "key_findings": {"fr": "À retenir", "en": "Key findings"},
        "technical_annex": {"fr": "Annexe technique", "en": "Technical annex"},
        "note_render_error": {
            "fr": "Calcul impossible avec ces réglages : {error}",
            "en": "These settings cannot be computed: {error}",
        },
        "no_customer_match": {
            "fr": "Aucun client ne correspond à ces filtres.",
            "en": "No customer matches these filters.",
        },
    }
)


# --------------------------------------------------------------------------------------------
# What a render function returns


@dataclass(frozen=True, eq=False)
class Chart:
    """A chart to draw: ``plot(data, lang=lang, **options)``.

    Explorers draw it only when ``plot``, ``data`` or ``options`` differ from the previous
    drawing (compared by content), and keep its PNG otherwise.
    """

    plot: Callable[..., Axes]
    data: Any
    options: Mapping[str, Any] = field(default_factory=dict)

    def draw(self, *, lang: str = "fr") -> Axes:
        """Draw on a new figure and return the Axes."""
        return self.plot(self.data, lang=lang, **self.options)


@dataclass
class View:
    """What an explorer shows for one set of control values.

    Attributes
    ----------
    charts : dict
        ``{key: Figure, Axes or Chart}``; keys are label keys (titles of the PNG links).
    tables : dict
        ``{key: DataFrame}``: shown under the charts (first rows) and, in full, in the Excel
        download (one sheet per table, named by the key's label).
    notes : list
        Messages shown above the charts: :class:`~portfolio_lib.data.errors.PortfolioDataError`,
        :class:`~portfolio_lib.studies.Note` or plain text.
    formats : dict
        ``{table key: {column: kind}}`` number formats overriding the inferred ones (see
        :func:`portfolio_lib.ui.export.write_workbook`).
    findings : list
        The study's key findings (sentences, or objects with ``text(lang)``), shown first.
    appendix : tuple of str
        Chart and table keys shown in the collapsed "Annexe technique" (model diagnostics).
    """

    charts: dict[str, Figure | Axes | Chart] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[object] = field(default_factory=list)
    formats: dict[str, dict[str, str]] = field(default_factory=dict)
    findings: list[object] = field(default_factory=list)
    appendix: tuple[str, ...] = ()


def _show(obj: object) -> None:
    """Show ``obj`` in the current output; nothing outside IPython (tests, scripts)."""
    if get_ipython() is not None:
        display(obj)


def _figure(chart: Figure | Axes) -> Figure:
    return chart if isinstance(chart, Figure) else chart.figure


def _add_subtitle(figure: Figure, subtitle: str) -> None:
    """Put ``subtitle`` (the active filters) under the title of the figure's first Axes."""
    if not subtitle or not figure.axes:
        return
    ax = figure.axes[0]
    title = ax.get_title()
    ax.set_title(f"{title}\n{plain_text(subtitle)}" if title else plain_text(subtitle))


def chart_png(
    chart: Figure | Axes | Chart, lang: str, *, dpi: int = _DOWNLOAD_DPI, subtitle: str = ""
) -> bytes:
    """PNG of a chart, cropped to its content, ``subtitle`` (active filters) under its title.

    Its figure is closed: open figures pile up in pyplot, and the inline backend would show
    them again under the cell (a closed figure can still be saved).
    """
    drawn = chart.draw(lang=lang) if isinstance(chart, Chart) else chart
    figure = _figure(drawn)
    _add_subtitle(figure, subtitle)
    try:
        return figure_png_bytes(figure, dpi=dpi)
    finally:
        plt.close(figure)


def _data_link(data: bytes, filename: str, mime: str, text: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<a download="{html.escape(filename)}" href="data:{mime};base64,{encoded}" '
        f'class="portfolio-download" style="margin-right:1em">⬇ {html.escape(text)}</a>'
    )


def _file_key(key: str) -> str:
    return key.removeprefix("view_")


def _links(view: View, pngs: Mapping[str, bytes], *, name: str, lang: str) -> str:
    links = []
    if view.tables:
        data = workbook_bytes(view.tables, lang=lang, formats=view.formats or None)
        links.append(_data_link(data, f"{name}.xlsx", _XLSX, i18n.label("tables_excel", lang)))
    for key, png in pngs.items():
        text = f"{i18n.label(key, lang)} (PNG)"
        links.append(_data_link(png, f"{name}-{_file_key(key)}.png", "image/png", text))
    return "".join(links)


def download_links(view: View, *, name: str, lang: str = "fr") -> str:
    """HTML links that download the view's tables (one Excel file) and charts (PNG files)."""
    pngs = {key: chart_png(chart, lang) for key, chart in view.charts.items()}
    return _links(view, pngs, name=name, lang=lang)


def _message_html(message: object, lang: str) -> str:
    """A note as a highlighted box (the look of :func:`portfolio_lib.ui.present.show_message`)."""
    text = message.text(lang) if callable(getattr(message, "text", None)) else str(message)
    title = "Attention" if lang == "fr" else "Note"
    body = "<br>".join(html.escape(line) for line in text.splitlines())
    return (
        '<div class="portfolio-note" style="border-left:4px solid #d08c00;'
        'background:#fff8e5;padding:6px 12px;margin:4px 0">'
        f"<b>{title}</b><br>{body}</div>"
    )


# --------------------------------------------------------------------------------------------
# Fingerprints: has a chart's input changed since it was drawn?


def fingerprint(value: Any) -> object:
    """A hashable summary of ``value``'s content (frames by their hashed rows)."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        columns = tuple(map(str, value.columns)) if isinstance(value, pd.DataFrame) else value.name
        try:
            digest = pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
        except TypeError:  # unhashable cells (lists): compare the text
            digest = value.to_string()
        index_names = tuple(map(str, value.index.names))
        return (type(value).__name__, value.shape, columns, index_names, str(value.attrs), digest)
    if isinstance(value, np.ndarray):
        return ("ndarray", value.shape, str(value.dtype), value.tobytes())
    if isinstance(value, Mapping):
        return tuple((str(k), fingerprint(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(fingerprint(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if value is None or isinstance(value, (str, int, float, bool, np.generic)):
        return value
    return repr(value)  # fitted models are frozen dataclasses with a full repr


def _chart_key(chart: Chart, lang: str, dpi: int, subtitle: str = "") -> object:
    plot = f"{chart.plot.__module__}.{chart.plot.__qualname__}"
    return (plot, lang, dpi, subtitle, fingerprint(chart.data), fingerprint(dict(chart.options)))


# --------------------------------------------------------------------------------------------
# The scaffolding


def _text_of(item: object, lang: str) -> str:
    return item.text(lang) if callable(getattr(item, "text", None)) else str(item)


def _findings_html(findings: list[object], lang: str) -> str:
    """The key findings as a list on top of the tab (empty when the study has none)."""
    if not findings:
        return ""
    items = "".join(f"<li>{html.escape(_text_of(item, lang))}</li>" for item in findings)
    return (
        '<div class="portfolio-findings" style="border-left:4px solid #1f6f8b;'
        'background:#eef6f9;padding:6px 12px;margin:4px 0;font-size:1.1em">'
        f"<b>{i18n.label('key_findings', lang)}</b><ul style='margin:4px 0'>{items}</ul></div>"
    )


def _chart_html(png: bytes, filename: str, text: str) -> str:
    """A chart as wide as the page, its PNG download link above its right corner."""
    encoded = base64.b64encode(png).decode("ascii")
    return (
        '<div class="portfolio-chart" style="margin:8px 0 16px 0">'
        '<div style="text-align:right;font-size:0.9em">'
        f'<a download="{html.escape(filename)}" href="data:image/png;base64,{encoded}" '
        f'class="portfolio-download">⬇ {html.escape(text)} (PNG)</a></div>'
        f'<img src="data:image/png;base64,{encoded}" alt="{html.escape(text)}" '
        'style="display:block;max-width:100%;max-height:85vh;height:auto;width:auto"></div>'
    )


class TableBlock(w.VBox):
    """One table on screen: its caption, "10 sur N", an Excel link, the first rows and a
    button that shows the others (up to 500; the Excel file has them all).
    """

    def __init__(
        self,
        key: str,
        table: pd.DataFrame,
        *,
        formats: Mapping[str, str] | None,
        filename: str,
        lang: str,
    ) -> None:
        self.key, self.table, self.lang = key, table, lang
        # Day counts are whole days ("7 jours", not "7,17 jours") unless the view says otherwise.
        days = {column: "integer" for column in table.columns if "days" in str(column)}
        self.formats, self.filename = {**days, **(formats or {})} or None, filename
        total = len(table)
        shown = min(total, _SCREEN_ROWS)
        caption = html.escape(i18n.label(key, lang))
        count = i18n.label("rows_shown", lang).format(
            shown=i18n.format_number(shown, lang), total=i18n.format_number(total, lang)
        )
        self.head = w.HTML(
            f'<span class="portfolio-table-caption" style="font-weight:bold">{caption}</span>'
            f' <span class="portfolio-row-count" style="color:#555">({count})</span>'
        )
        self.excel = w.HTML()
        self.excel_button = w.Button(
            description=i18n.label("prepare_excel", lang), icon="download",
            layout=w.Layout(width="auto"),
        )  # fmt: skip
        self.excel_button.on_click(lambda _b: self.prepare_excel())
        if total <= _EAGER_EXCEL_ROWS:
            self.prepare_excel()
        self.rows = w.HTML(self._rows_html(_SCREEN_ROWS))
        self.more = w.Button(
            description=i18n.label("show_all_rows", lang).format(
                total=i18n.format_number(total, lang)
            ),
            layout=w.Layout(width="auto", display="" if total > _SCREEN_ROWS else "none"),
        )
        self.more.add_class("portfolio-show-all")
        self.more.on_click(lambda _b: self.toggle())
        self.expanded = False
        top = w.HBox(
            [self.head, self.excel, self.excel_button],
            layout=w.Layout(align_items="center", flex_flow="row wrap"),
        )
        super().__init__([top, self.rows, self.more], layout=w.Layout(margin="6px 0 14px 0"))
        self.add_class("portfolio-table")

    def _rows_html(self, rows: int) -> str:
        styler = show_table(self.table, lang=self.lang, formats=self.formats, max_rows=rows)
        cut = ""
        if len(self.table) > rows > _SCREEN_ROWS:
            text = i18n.label("rows_cut", self.lang).format(
                shown=i18n.format_number(rows, self.lang),
                total=i18n.format_number(len(self.table), self.lang),
            )
            cut = f"<p><i>{html.escape(text)}</i></p>"
        return f'<div style="overflow-x:auto">{styler.to_html()}</div>{cut}'

    def toggle(self) -> None:
        """Show every row (up to 500) or only the first ones again."""
        self.expanded = not self.expanded
        total = i18n.format_number(len(self.table), self.lang)
        if self.expanded:
            self.rows.value = self._rows_html(_EXPAND_ROWS)
            text = i18n.label("show_fewer_rows", self.lang).format(shown=_SCREEN_ROWS)
        else:
            self.rows.value = self._rows_html(_SCREEN_ROWS)
            text = i18n.label("show_all_rows", self.lang).format(total=total)
        self.more.description = text

    def prepare_excel(self) -> str:
        """Build this table's Excel file; its link replaces the button."""
        data = workbook_bytes({self.key: self.table}, lang=self.lang,
                              formats={self.key: self.formats} if self.formats else None)  # fmt: skip
        self.excel.value = _data_link(
            data, self.filename, _XLSX, i18n.label("excel_link", self.lang)
        )
        self.excel_button.layout.display = "none"
        return self.excel.value


class Explorer(w.VBox):
    """Controls wired to a render function; shows its findings, notes, charts, tables and
    downloads.

    ``children[0]`` is the box of controls (each labelled above, in the order given),
    ``children[1]`` the key findings (empty when the study has none), ``children[2]`` the
    output (notes, then the charts, full width, each with its PNG link), ``children[3]`` the
    tables (first 10 rows, "10 sur N", an Excel link and a button for the other rows),
    ``children[4]`` the collapsed "Annexe technique" (model diagnostics) and ``children[5]``
    the download bar: a button that prepares one Excel file of every table and a PNG per
    chart (150 dpi), then their links.

    Attributes
    ----------
    controls : dict
        ``{keyword: widget}`` passed to ``render``.
    last_view : View or None
        What ``render`` returned for the current values (None when it failed).
    last_error : Exception or None
        The error of the last render, shown as a note, when it failed.
    pngs : dict
        ``{chart key: PNG bytes}`` of the charts on screen.
    prepared : dict
        What the explorer computed once when built and reuses on every change (12-month
        totals, the RFM table, the fitted CLV models...).
    subtitle : str
        The active filters, written under each chart's title.
    """

    def __init__(
        self,
        controls: Mapping[str, w.ValueWidget],
        render: Callable[..., View],
        *,
        name: str,
        lang: str = "fr",
        prepared: Mapping[str, Any] | None = None,
        subtitle: str = "",
    ) -> None:
        self.controls = dict(controls)
        self.prepared = dict(prepared or {})
        self.render = render
        self.name = name
        self.lang = lang
        self.subtitle = subtitle
        self.last_view: View | None = None
        self.last_error: Exception | None = None
        self.pngs: dict[str, bytes] = {}
        self._cache: dict[object, bytes] = {}
        self._marks: dict[w.Widget, object] = {}  # table block -> fingerprint of its table
        self._blocks: dict[object, w.Widget] = {}
        self.findings = w.HTML()
        self.output = w.Output(layout=w.Layout(min_height="200px", width="100%"))
        self.tables = w.VBox(layout=w.Layout(width="100%"))
        self.annex_output = w.Output(layout=w.Layout(width="100%"))
        self.annex_tables = w.VBox()
        self.annex = w.Accordion([w.VBox([self.annex_output, self.annex_tables])])
        self.annex.set_title(0, i18n.label("technical_annex", lang))
        self.annex.selected_index = None  # collapsed
        self.annex.add_class("portfolio-annex")
        self.download_button = w.Button(
            description=i18n.label("prepare_downloads", lang),
            icon="download",
            layout=w.Layout(width="auto"),
        )
        self.download_button.on_click(lambda _button: self.prepare_downloads())
        self.links = w.HTML()
        bar = w.HBox(
            [labelled(control, lang) for control in self.controls.values()],
            layout=w.Layout(flex_flow="row wrap", width="100%"),
        )
        bar.add_class("portfolio-controls")
        downloads = w.HBox(
            [self.download_button, self.links], layout=w.Layout(flex_flow="row wrap")
        )
        super().__init__(
            [bar, self.findings, self.output, self.tables, self.annex, downloads],
            layout=w.Layout(width="100%"),
        )
        for control in self.controls.values():
            control.observe(self.update, names="value")
        self.update()

    def values(self) -> dict[str, Any]:
        """The controls' current values, ``{keyword: value}`` (what ``start`` takes back)."""
        return {key: control.value for key, control in self.controls.items()}

    def _cached_png(self, chart: Figure | Axes | Chart, dpi: int) -> bytes:
        if not isinstance(chart, Chart):
            return chart_png(chart, self.lang, dpi=dpi, subtitle=self.subtitle)
        key = _chart_key(chart, self.lang, dpi, self.subtitle)
        png = self._cache.pop(key, None)  # popped and put back: the most recent last
        if png is None:
            png = chart_png(chart, self.lang, dpi=dpi, subtitle=self.subtitle)
        self._cache[key] = png
        while len(self._cache) > _CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        return png

    def _clear(self, output: w.Output) -> None:
        if get_ipython() is not None:  # outside IPython it would print terminal codes
            output.clear_output(wait=True)

    def _show_charts(self, view: View, keys: list[str]) -> None:
        for key in keys:
            try:
                self.pngs[key] = png = self._cached_png(view.charts[key], _SCREEN_DPI)
            except ValueError as error:  # one chart's data it cannot draw: say so, go on
                _show(HTML(_message_html(_render_error(error), self.lang)))
                continue
            filename = f"{self.name}-{_file_key(key)}.png"
            _show(HTML(_chart_html(png, filename, i18n.label(key, self.lang))))

    def _table_blocks(self, view: View, keys: list[str]) -> list[TableBlock]:
        """A block per table; a table whose content did not change keeps its block (an HTML
        table and an Excel file cost 0.1 s each: a slider moves one or two tables)."""
        blocks = []
        for key in keys:
            formats = view.formats.get(key)
            mark = (key, fingerprint(view.tables[key]), fingerprint(formats or {}))
            block = self._blocks.get(mark)
            if block is None:
                block = TableBlock(
                    key,
                    view.tables[key],
                    formats=formats,
                    filename=f"{self.name}-{_file_key(key)}.xlsx",
                    lang=self.lang,
                )
            blocks.append(block)
            self._marks[block] = mark
        return blocks

    def _set_tables(self, box: w.VBox, blocks: list[w.Widget]) -> None:
        old = box.children
        box.children = blocks
        for block in old:  # the previous values' widgets no longer shown: free their models
            if block not in blocks:
                self._marks.pop(block, None)
                block.close()
        self._blocks = {mark: block for block, mark in self._marks.items()}

    def update(self, _change: object = None) -> None:
        """Call ``render`` with the controls' values and show what it returns.

        Each chart is shown as soon as it is drawn; charts whose inputs did not change since
        they were last drawn are not drawn again.
        """
        self.links.value = ""  # the downloads of the previous values are stale
        self.pngs = {}
        try:
            view = self.render(**self.values())
        except ValueError as error:  # bad data or settings (PortfolioDataError included)
            self.last_view, self.last_error = None, error
            note = error if callable(getattr(error, "text", None)) else _render_error(error)
            self.findings.value = ""
            with self.output:
                self._clear(self.output)
                _show(HTML(_message_html(note, self.lang)))
            self._set_tables(self.tables, [])
            return
        self.last_view, self.last_error = view, None
        self.findings.value = _findings_html(view.findings, self.lang)
        main = [key for key in view.charts if key not in view.appendix]
        annex = [key for key in view.charts if key in view.appendix]
        with self.output:
            self._clear(self.output)
            for note in view.notes:
                _show(HTML(_message_html(note, self.lang)))
            self._show_charts(view, main)
        tables = [key for key in view.tables if key not in view.appendix]
        self._set_tables(self.tables, self._table_blocks(view, tables))
        with self.annex_output:
            self._clear(self.annex_output)
            self._show_charts(view, annex)
        annex_tables = [key for key in view.tables if key in view.appendix]
        self._set_tables(self.annex_tables, self._table_blocks(view, annex_tables))
        self.annex.layout.display = "" if annex or annex_tables else "none"

    def prepare_downloads(self) -> str:
        """Build the Excel file and the PNGs of the current view and show their links.

        Returns
        -------
        str
            The HTML of the links (also in ``self.links.value``); empty without a view.
        """
        view = self.last_view
        if view is None:
            self.links.value = ""
            return ""
        pngs = {}
        for key, chart in view.charts.items():
            if key in self.pngs:  # drawn on screen, so drawable
                pngs[key] = self._cached_png(chart, _DOWNLOAD_DPI)
        self.links.value = _links(view, pngs, name=self.name, lang=self.lang)
        return self.links.value


def _render_error(error: Exception) -> Note:
    return Note("note_render_error", {"error": str(error)})


def explorer(
    controls: Mapping[str, w.ValueWidget],
    render: Callable[..., View],
    *,
    name: str,
    lang: str = "fr",
    prepared: Mapping[str, Any] | None = None,
    start: Mapping[str, Any] | None = None,
    subtitle: str = "",
) -> Explorer:
    """Wire ``controls`` to ``render`` and show its charts, tables and download links.

    Parameters
    ----------
    controls : mapping
        ``{keyword: widget}``; ``render`` is called with ``keyword=widget.value``.
    render : callable
        Cheap enough to call on every change: a study function and chart specs; returns a
        :class:`View`. A ``ValueError`` (bad settings, :class:`PortfolioDataError`) is shown
        as a note instead of the view.
    name : str
        Base of the download file names.
    lang : {'fr', 'en'}
    prepared : mapping, optional
        What ``render`` reuses, computed once (kept as ``Explorer.prepared``).
    start : mapping, optional
        ``{keyword: value}`` to start from instead of the controls' defaults (a notebook's
        parameters). Keywords without a control here (a control that depends on the data)
        and values that are None or an empty list keep the default; lists become tuples
        (range sliders). A value the control no longer offers (a group whose column the new
        data lacks) keeps the default too.
    subtitle : str, optional
        The active filters, written under each chart's title.

    Returns
    -------
    Explorer
        Controls on top, then the output and the download bar. ``.update()`` redraws;
        ``.last_view`` is the current :class:`View`.
    """
    for key, value in (start or {}).items():
        if key not in controls or value is None or (isinstance(value, list | tuple) and not value):
            continue
        try:
            controls[key].value = tuple(value) if isinstance(value, list) else value
        except TraitError:
            continue
    return Explorer(controls, render, name=name, lang=lang, prepared=prepared, subtitle=subtitle)


class FilteredExplorer(w.VBox):
    """An explorer under a filter bar: a filter change rebuilds it on the filtered customers,
    its controls keeping their values.

    ``explorer`` is the current :class:`Explorer` (None while no customer matches).
    """

    def __init__(
        self,
        build: Callable[..., Explorer],
        agg: Aggregates,
        *args: Any,
        lang: str,
        columns: tuple[str, ...],
        **options: Any,
    ) -> None:
        super().__init__()
        self._start = dict(options.pop("start", None) or {})

        def rebuild(subset: Aggregates) -> Explorer:
            return build(subset, *args, lang=lang, start=self._start, **options)

        self._build = rebuild
        self._lang = lang
        self.explorer: Explorer | None = self._build(agg)
        self._holder = w.VBox([self.explorer])
        self.children = [filter_bar(agg, self._filtered, columns=columns, lang=lang), self._holder]

    def _filtered(self, subset: Aggregates) -> None:
        if self.explorer is not None:
            self._start.update(self.explorer.values())
        if subset.customers.empty:
            self.explorer = None
            note = i18n.label("no_customer_match", self._lang)
            self._holder.children = [w.HTML(_message_html(note, self._lang))]
            return
        self.explorer = self._build(subset)
        self._holder.children = [self.explorer]


def with_filters(
    build: Callable[..., Explorer],
    agg: Aggregates,
    *args: Any,
    lang: str = DEFAULTS["lang"],
    columns: tuple[str, ...] = ("sales_rep", "segment", "region"),
    **options: Any,
) -> FilteredExplorer:
    """``build(agg, *args, lang=lang, **options)`` under sales rep, segment and region filters.

    Parameters
    ----------
    build : callable
        An explorer function of this module, e.g. :func:`balance_explorer`.
    agg : Aggregates
        The portfolio to filter (the notebook's, already filtered by its parameters).
    *args, **options
        Passed on to ``build`` (cost table, ``start`` values, fitted models...).
    lang : {'fr', 'en'}
    columns : tuple of str
        Customer attributes to filter on (those present in ``agg.customers``).

    Returns
    -------
    FilteredExplorer
        The filter bar (drop-downs, "Tous" for everyone, and a reset) over the explorer,
        rebuilt on :meth:`Aggregates.subset` at every filter change.
    """
    return FilteredExplorer(build, agg, *args, lang=lang, columns=columns, **options)


def key_findings(study: object, lang: str) -> list[str]:
    """The study's key findings (:func:`portfolio_lib.studies.findings.findings`), most
    important first; none for a study that has no findings function (its TypeError)."""
    try:
        found = study_findings(study, lang=lang)
    except TypeError:
        return []
    return [finding.text for finding in found]


def study_view(study: object, lang: str, charts: dict, tables: dict, **options: Any) -> View:
    """The View of a study: its charts and tables, its notes and key findings."""
    notes = list(getattr(study, "notes", ()))
    return View(
        charts=charts, tables=tables, notes=notes, findings=key_findings(study, lang), **options
    )


def figures_row(series: pd.Series) -> pd.DataFrame:
    """A Series of named figures as a one-row table (one column per figure, formats by name)."""
    return series.to_frame().T.reset_index(drop=True)
