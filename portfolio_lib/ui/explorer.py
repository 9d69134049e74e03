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
from IPython.display import HTML, Image, display
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.studies import Note
from portfolio_lib.ui.export import figure_png_bytes, workbook_bytes
from portfolio_lib.ui.present import show_table

__all__ = [
    "Chart",
    "Explorer",
    "FilteredExplorer",
    "View",
    "chart_png",
    "download_links",
    "explorer",
    "filter_bar",
    "fingerprint",
    "with_filters",
]

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Charts are shown at the 100 dpi of the notebooks and downloaded at 150 dpi (sharp on slides).
_SCREEN_DPI = 100
_DOWNLOAD_DPI = 150
# Charts kept per explorer: enough for every chart of every explorer plus a few variants.
_CACHE_SIZE = 32
# Rows of the tables shown on screen (the Excel download has them all).
_SCREEN_ROWS = 50

i18n.register(
    {
        "download": {"fr": "Télécharger", "en": "Download"},
        "tables_excel": {"fr": "Tableaux (Excel)", "en": "Tables (Excel)"},
        "prepare_downloads": {
            "fr": "Préparer les téléchargements (Excel, PNG)",
            "en": "Prepare the downloads (Excel, PNG)",
        },
        "filters": {"fr": "Filtres", "en": "Filters"},
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
    """

    charts: dict[str, Figure | Axes | Chart] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[object] = field(default_factory=list)
    formats: dict[str, dict[str, str]] = field(default_factory=dict)


def _show(obj: object) -> None:
    """Show ``obj`` in the current output; nothing outside IPython (tests, scripts)."""
    if get_ipython() is not None:
        display(obj)


def _figure(chart: Figure | Axes) -> Figure:
    return chart if isinstance(chart, Figure) else chart.figure


def chart_png(chart: Figure | Axes | Chart, lang: str, *, dpi: int = _DOWNLOAD_DPI) -> bytes:
    """PNG of a chart, cropped to its content. Its figure is closed: open figures pile up in
    pyplot, and the inline backend would show them again under the cell (a closed figure can
    still be saved).
    """
    drawn = chart.draw(lang=lang) if isinstance(chart, Chart) else chart
    figure = _figure(drawn)
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


def _chart_key(chart: Chart, lang: str, dpi: int) -> object:
    plot = f"{chart.plot.__module__}.{chart.plot.__qualname__}"
    return (plot, lang, dpi, fingerprint(chart.data), fingerprint(dict(chart.options)))


# --------------------------------------------------------------------------------------------
# The scaffolding


class Explorer(w.VBox):
    """Controls wired to a render function; shows its notes, charts, tables and downloads.

    ``children[0]`` is the box of controls (in the order given), ``children[1]`` the output
    (notes, charts, first rows of the tables) and ``children[2]`` the download bar: a button
    that prepares the Excel file of the tables and a PNG per chart (at 150 dpi), then their
    links. Downloads are built on request: a control change redraws only the screen.

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
    """

    def __init__(
        self,
        controls: Mapping[str, w.ValueWidget],
        render: Callable[..., View],
        *,
        name: str,
        lang: str = "fr",
        prepared: Mapping[str, Any] | None = None,
    ) -> None:
        self.controls = dict(controls)
        self.prepared = dict(prepared or {})
        self.render = render
        self.name = name
        self.lang = lang
        self.last_view: View | None = None
        self.last_error: Exception | None = None
        self.pngs: dict[str, bytes] = {}
        self._cache: dict[object, bytes] = {}
        self.output = w.Output(layout=w.Layout(min_height="200px"))
        self.download_button = w.Button(
            description=i18n.label("prepare_downloads", lang),
            icon="download",
            layout=w.Layout(width="auto"),
        )
        self.download_button.on_click(lambda _button: self.prepare_downloads())
        self.links = w.HTML()
        bar = w.HBox(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap"))
        downloads = w.HBox([self.download_button, self.links])
        super().__init__([bar, self.output, downloads])
        for control in self.controls.values():
            control.observe(self.update, names="value")
        self.update()

    def _cached_png(self, chart: Figure | Axes | Chart, dpi: int) -> bytes:
        if not isinstance(chart, Chart):
            return chart_png(chart, self.lang, dpi=dpi)
        key = _chart_key(chart, self.lang, dpi)
        png = self._cache.pop(key, None)  # popped and put back: the most recent last
        if png is None:
            png = chart_png(chart, self.lang, dpi=dpi)
        self._cache[key] = png
        while len(self._cache) > _CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        return png

    def _clear(self) -> None:
        if get_ipython() is not None:  # outside IPython it would print terminal codes
            self.output.clear_output(wait=True)

    def update(self, _change: object = None) -> None:
        """Call ``render`` with the controls' values and show what it returns.

        Each chart is shown as soon as it is drawn; charts whose inputs did not change since
        they were last drawn are not drawn again.
        """
        values = {key: control.value for key, control in self.controls.items()}
        self.links.value = ""  # the downloads of the previous values are stale
        self.pngs = {}
        try:
            view = self.render(**values)
        except ValueError as error:  # bad data or settings (PortfolioDataError included)
            self.last_view, self.last_error = None, error
            note = error if callable(getattr(error, "text", None)) else _render_error(error)
            with self.output:
                self._clear()
                _show(HTML(_message_html(note, self.lang)))
            return
        self.last_view, self.last_error = view, None
        with self.output:
            self._clear()
            for note in view.notes:
                _show(HTML(_message_html(note, self.lang)))
            for key, chart in view.charts.items():
                try:
                    self.pngs[key] = png = self._cached_png(chart, _SCREEN_DPI)
                except ValueError as error:  # one chart's data it cannot draw: say so, go on
                    _show(HTML(_message_html(_render_error(error), self.lang)))
                    continue
                _show(Image(data=png, format="png"))
            for key, table in view.tables.items():
                styler = show_table(
                    table,
                    lang=self.lang,
                    formats=view.formats.get(key),
                    max_rows=_SCREEN_ROWS,
                    caption=i18n.label(key, self.lang),
                )
                _show(HTML(f'<div style="overflow-x:auto">{styler.to_html()}</div>'))

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
        (range sliders).

    Returns
    -------
    Explorer
        Controls on top, then the output and the download bar. ``.update()`` redraws;
        ``.last_view`` is the current :class:`View`.
    """
    for key, value in (start or {}).items():
        if key not in controls or value is None or (isinstance(value, list | tuple) and not value):
            continue
        controls[key].value = tuple(value) if isinstance(value, list) else value
    return Explorer(controls, render, name=name, lang=lang, prepared=prepared)


def filter_bar(
    agg: Aggregates,
    on_change: Callable[[Aggregates], None],
    *,
    columns: tuple[str, ...] = ("sales_rep", "segment", "region"),
    lang: str = "fr",
) -> w.HBox:
    """Multi-select filters on the customer attributes present; calls ``on_change(subset)``."""
    selects: dict[str, w.SelectMultiple] = {}
    for column in columns:
        if column in agg.customers:
            values = sorted(agg.customers[column].dropna().astype(str).unique())
            selects[column] = w.SelectMultiple(
                options=values,
                description=i18n.label(column, lang),
                rows=min(6, max(2, len(values))),
                style={"description_width": "initial"},
            )

    def changed(_change: object = None) -> None:
        on_change(agg.subset(**{column: list(s.value) for column, s in selects.items()}))

    for select in selects.values():
        select.observe(changed, names="value")
    return w.HBox(list(selects.values()), layout=w.Layout(flex_flow="row wrap"))


class FilteredExplorer(w.VBox):
    """An explorer under a filter bar: a filter change rebuilds it on the filtered customers.

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
        self._build = lambda subset: build(subset, *args, lang=lang, **options)
        self._lang = lang
        self.explorer: Explorer | None = self._build(agg)
        self._holder = w.VBox([self.explorer])
        self.children = [filter_bar(agg, self._filtered, columns=columns, lang=lang), self._holder]

    def _filtered(self, subset: Aggregates) -> None:
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
        The filter bar (multi-selects: nothing selected means everyone) over the explorer,
        rebuilt on :meth:`Aggregates.subset` at every filter change.
    """
    return FilteredExplorer(build, agg, *args, lang=lang, columns=columns, **options)
