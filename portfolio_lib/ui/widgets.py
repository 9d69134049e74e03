"""Interactive explorers: ipywidgets controls wired to the studies of :mod:`portfolio_lib.studies`.

This module only wires. Each explorer receives the aggregated portfolio (the expensive step,
done once), prepares what does not depend on its controls once (12-month totals, the RFM table,
the predictive model fit), and on every control change calls its study function (the cheap
step) and redraws. Sliders update on release (``continuous_update=False``), so a drag costs one
redraw.

Drawing is what costs (matplotlib takes 0.1 to 0.6 s per chart, the studies a few
milliseconds), so a redraw only draws the charts whose data changed: ``render`` returns
:class:`Chart` specs (the plot function and its inputs) and the explorer keeps the PNG of each
chart with a fingerprint of its inputs, so moving the discount rate does not redraw the BG/NBD
checks. The downloads (one Excel file of the tables, a 150 dpi PNG per chart) are built when
asked for, not on every change.

Every explorer is an :class:`Explorer` (an ``ipywidgets.VBox``): its controls, then the notes,
charts and tables of the current values, then the download bar. It works the same in JupyterLab
and in the Voilà app; ``last_view`` holds what the render function last returned, for tests and
for code that wants the numbers. Every explorer takes ``start``, the control values to begin
with (a notebook passes its parameters, so the explorer opens on what the page above shows).
"""

from __future__ import annotations

import base64
import html
import io
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
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics.rfm import rfm_table
from portfolio_lib.plots.alerts import plot_revenue_at_risk_by_rep, plot_top_at_risk
from portfolio_lib.plots.balance import (
    plot_class_mix,
    plot_concentration,
    plot_lifecycle,
    plot_pareto_curve,
    plot_potential_matrix,
)
from portfolio_lib.plots.clv import plot_clv_comparison, plot_clv_distribution, plot_simple_clv
from portfolio_lib.plots.costs import (
    plot_cac_by_channel,
    plot_cost_trend,
    plot_ltv_to_cac,
    plot_payback,
)
from portfolio_lib.plots.movements import (
    plot_churn,
    plot_cohorts,
    plot_movements,
    plot_revenue_bridge,
)
from portfolio_lib.plots.overview import plot_headline
from portfolio_lib.plots.predictive import (
    plot_calibration_vs_holdout,
    plot_clv_by_segment,
    plot_frequency_recency_matrix,
    plot_p_alive_matrix,
    plot_period_transactions,
)
from portfolio_lib.plots.rfm import plot_rfm_grid, plot_rfm_segments
from portfolio_lib.plots.weight import plot_weight_by, plot_weight_trend
from portfolio_lib.studies import (
    PURCHASES_GRID_DAYS,
    WEIGHT_GROUPS,
    ClvModels,
    Note,
    alerts_study,
    balance_study,
    clv_study,
    costs_study,
    customer_totals,
    fit_clv_models,
    movements_study,
    overview_study,
    rfm_study,
    weight_study,
)
from portfolio_lib.ui.export import figure_png_bytes, workbook_bytes
from portfolio_lib.ui.present import show_table

__all__ = [
    "Chart",
    "Explorer",
    "FilteredExplorer",
    "View",
    "alerts_explorer",
    "balance_explorer",
    "clv_explorer",
    "costs_explorer",
    "download_links",
    "explorer",
    "filter_bar",
    "movements_explorer",
    "overview_explorer",
    "rfm_explorer",
    "weight_explorer",
    "with_filters",
]

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PERIODS = ("month", "quarter", "year")
# Charts are shown at the 100 dpi of the notebooks and downloaded at 150 dpi (sharp on slides).
_SCREEN_DPI = 100
_DOWNLOAD_DPI = 150
# Charts kept per explorer: enough for every chart of every explorer plus a few variants.
_CACHE_SIZE = 32
# Attributes the CLV explorer can compare groups by, when the customer table has them.
_CLV_GROUPS = ("segment", "region", "sales_rep", "acquisition_channel")
# Rows of the tables shown on screen (the Excel download has them all).
_SCREEN_ROWS = 50
_SHOW_TOP = 15  # accounts of the alerts priority chart (notebook 07's SHOW_TOP)
_PERIOD_COLUMNS = ("period_start", "period_end", "period")
_COST_COLUMNS = {
    "acquisition": ("acquisition_spend", "new_customers", "cac"),
    "retention": ("retention_spend", "retained_customers", "crc"),
}

i18n.register(
    {
        "download": {"fr": "Télécharger", "en": "Download"},
        "tables_excel": {"fr": "Tableaux (Excel)", "en": "Tables (Excel)"},
        "prepare_downloads": {
            "fr": "Préparer les téléchargements (Excel, PNG)",
            "en": "Prepare the downloads (Excel, PNG)",
        },
        "filters": {"fr": "Filtres", "en": "Filters"},
        "all": {"fr": "Tous", "en": "All"},
        # Controls
        "control_period": {"fr": "Période", "en": "Period"},
        "control_activity_window": {
            "fr": "Fenêtre d'activité (mois)",
            "en": "Activity window (months)",
        },
        "control_bridge_period": {"fr": "Période du pont de CA", "en": "Revenue bridge period"},
        "control_cohort_period": {"fr": "Période des cohortes", "en": "Cohort period"},
        "control_acquisition_budget": {
            "fr": "Budget d'acquisition (€ par mois)",
            "en": "Acquisition budget (€ per month)",
        },
        "control_retention_budget": {
            "fr": "Budget de fidélisation (€ par mois)",
            "en": "Retention budget (€ per month)",
        },
        "control_payback_horizon_months": {
            "fr": "Marge comptée pour le retour sur CAC (mois)",
            "en": "Margin counted for the CAC payback (months)",
        },
        "control_a_cut": {
            "fr": "Fin de la classe A (part du CA)",
            "en": "End of class A (revenue share)",
        },
        "control_b_cut": {
            "fr": "Fin de la classe B (part du CA)",
            "en": "End of class B (revenue share)",
        },
        "control_dependence_alert": {
            "fr": "Seuil de dépendance (part du CA)",
            "en": "Dependence threshold (revenue share)",
        },
        "control_pmg_thresholds": {
            "fr": "PMG : moyen à partir de, gros à partir de (€)",
            "en": "PMG: medium from, large from (€)",
        },
        "control_lifecycle_growth": {
            "fr": "Cycle de vie : tendance ± g",
            "en": "Lifecycle: trend ± g",
        },
        "control_rfm_bins": {"fr": "Nombre de scores", "en": "Number of scores"},
        "control_discount_rate": {
            "fr": "Taux d'actualisation annuel",
            "en": "Yearly discount rate",
        },
        "control_horizon_months": {
            "fr": "Horizon de la CLV prédictive (mois)",
            "en": "Predictive CLV horizon (months)",
        },
        "control_by": {"fr": "Par", "en": "By"},
        "control_drop_alert": {
            "fr": "Alerte si le CA baisse de plus de",
            "en": "Alert when revenue falls by more than",
        },
        "control_gap_alert": {
            "fr": "Alerte si le silence dépasse (× l'intervalle habituel)",
            "en": "Alert when the silence exceeds (× usual gap)",
        },
        "control_sales_rep": {"fr": "Commercial", "en": "Sales rep"},
        "note_abc_cuts_order": {
            "fr": "La fin de la classe A ({a_cut}) doit précéder celle de la classe B ({b_cut}) : "
            "déplacez l'un des deux curseurs.",
            "en": "The end of class A ({a_cut}) must come before the end of class B ({b_cut}): "
            "move one of the two sliders.",
        },
        "note_render_error": {
            "fr": "Calcul impossible avec ces réglages : {error}",
            "en": "These settings cannot be computed: {error}",
        },
        # Charts and tables (captions, Excel sheet names, PNG links)
        "view_kpis": {"fr": "Chiffres clés", "en": "Key figures"},
        "view_concentration": {"fr": "Concentration", "en": "Concentration"},
        "view_revenue_trend": {"fr": "CA et CA glissant", "en": "Revenue and trailing revenue"},
        "view_active_trend": {"fr": "CA et clients actifs", "en": "Revenue and active customers"},
        "view_weight_trend": {"fr": "Poids par période", "en": "Weight per period"},
        "view_weight_by_segment": {"fr": "Poids par segment", "en": "Weight by segment"},
        "view_weight_by_sales_rep": {"fr": "Poids par commercial", "en": "Weight by sales rep"},
        "view_weight_by_region": {"fr": "Poids par région", "en": "Weight by region"},
        "view_movements": {"fr": "Mouvements", "en": "Movements"},
        "view_churn": {"fr": "Attrition", "en": "Churn"},
        "view_bridge": {"fr": "Pont du CA", "en": "Revenue bridge"},
        "view_cohorts_active": {"fr": "Cohortes (clients actifs)", "en": "Cohorts (active)"},
        "view_cohorts_revenue": {"fr": "Cohortes (CA)", "en": "Cohorts (revenue)"},
        "view_acquisition": {"fr": "Acquisition et CAC", "en": "Acquisition and CAC"},
        "view_retention": {"fr": "Fidélisation et CRC", "en": "Retention and CRC"},
        "view_cac_by_channel": {"fr": "CAC par canal", "en": "CAC by channel"},
        "view_payback": {"fr": "Retour sur CAC", "en": "CAC payback"},
        "view_ltv_to_cac": {"fr": "LTV et CAC", "en": "LTV and CAC"},
        "view_costs": {"fr": "CAC et CRC par période", "en": "CAC and CRC per period"},
        "view_costs_yearly": {"fr": "CAC et CRC par année", "en": "CAC and CRC per year"},
        "view_ltv": {"fr": "LTV (CLV simple)", "en": "LTV (simple CLV)"},
        "view_pareto": {"fr": "Pareto et ABC", "en": "Pareto and ABC"},
        "view_abc_mix": {"fr": "Classes ABC", "en": "ABC classes"},
        "view_pmg_mix": {"fr": "Classes PMG", "en": "PMG classes"},
        "view_dependent": {"fr": "Clients dépendance", "en": "Dependence customers"},
        "view_lifecycle": {"fr": "Cycle de vie", "en": "Lifecycle"},
        "view_potential_matrix": {"fr": "Potentiel × pénétration", "en": "Potential × penetration"},
        "view_vivier": {"fr": "Vivier à développer", "en": "Pool to develop"},
        "view_rfm_grid": {"fr": "Grille R × F", "en": "R × F grid"},
        "view_rfm_segments": {"fr": "Segments RFM", "en": "RFM segments"},
        "view_simple_clv": {"fr": "CLV simple", "en": "Simple CLV"},
        "view_simple_clv_total": {"fr": "CLV simple (total)", "en": "Simple CLV (total)"},
        "view_fit_check": {"fr": "Contrôle du modèle", "en": "Model check"},
        "view_holdout_check": {"fr": "Contrôle hors échantillon", "en": "Holdout check"},
        "view_p_alive": {"fr": "Probabilité d'être actif", "en": "P(alive)"},
        "no_customer_match": {
            "fr": "Aucun client ne correspond à ces filtres.",
            "en": "No customer matches these filters.",
        },
        "view_purchases_grid": {
            "fr": "Achats attendus sur un an",
            "en": "Expected purchases over a year",
        },
        "view_clv_distribution": {"fr": "Distribution de la CLV", "en": "CLV distribution"},
        "view_clv_by_group": {"fr": "CLV prédictive par groupe", "en": "Predictive CLV by group"},
        "view_clv_comparison": {"fr": "Trois méthodes de CLV", "en": "Three CLV methods"},
        "view_top_clv": {"fr": "Plus fortes CLV", "en": "Largest CLVs"},
        "view_ltv_cac": {"fr": "LTV / CAC par canal", "en": "LTV / CAC by channel"},
        "view_risk_by_rep": {"fr": "CA à risque par commercial", "en": "Revenue at risk by rep"},
        "view_top_at_risk": {"fr": "Comptes prioritaires", "en": "Priority accounts"},
        "view_alerts": {"fr": "Clients en alerte", "en": "Customers with an alert"},
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


def _png(chart: Figure | Axes | Chart, lang: str, *, dpi: int = _DOWNLOAD_DPI) -> bytes:
    """PNG of a chart. Its figure is closed: open figures pile up in pyplot, and the inline
    backend would show them again under the cell (a closed figure can still be saved).

    At the download resolution the image is cropped to its content (``figure_png_bytes``).
    On screen the whole figure is drawn once on its canvas and encoded: ``savefig`` would
    make a layout pass before the drawing pass, and cropping is not needed since the charts
    use constrained layout, which keeps every label inside the figure. Same pixels, about
    15 % faster.
    """
    drawn = chart.draw(lang=lang) if isinstance(chart, Chart) else chart
    figure = _figure(drawn)
    try:
        if dpi == _DOWNLOAD_DPI:
            return figure_png_bytes(figure, dpi=dpi)
        figure.set_dpi(dpi)
        canvas = figure.canvas
        if not isinstance(canvas, FigureCanvasAgg):  # e.g. a figure made with another backend
            canvas = FigureCanvasAgg(figure)
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba())
        buffer = io.BytesIO()
        PILImage.fromarray(pixels).save(buffer, format="png")
        return buffer.getvalue()
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
    pngs = {key: _png(chart, lang) for key, chart in view.charts.items()}
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


def _fingerprint(value: Any) -> object:
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
        return tuple((str(k), _fingerprint(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_fingerprint(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if value is None or isinstance(value, (str, int, float, bool, np.generic)):
        return value
    return repr(value)  # fitted models are frozen dataclasses with a full repr


def _chart_key(chart: Chart, lang: str, dpi: int) -> object:
    plot = f"{chart.plot.__module__}.{chart.plot.__qualname__}"
    return (plot, lang, dpi, _fingerprint(chart.data), _fingerprint(dict(chart.options)))


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

    def _chart_png(self, chart: Figure | Axes | Chart, dpi: int) -> bytes:
        if not isinstance(chart, Chart):
            return _png(chart, self.lang, dpi=dpi)
        key = _chart_key(chart, self.lang, dpi)
        png = self._cache.pop(key, None)  # popped and put back: the most recent last
        if png is None:
            png = _png(chart, self.lang, dpi=dpi)
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
                    self.pngs[key] = png = self._chart_png(chart, _SCREEN_DPI)
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
                pngs[key] = self._chart_png(chart, _DOWNLOAD_DPI)
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


# --------------------------------------------------------------------------------------------
# Controls

_STYLE = {"description_width": "initial"}


def _wide() -> w.Layout:
    return w.Layout(width="380px")  # one Layout per control: a shared one would be one model


def _period(key: str, value: str, lang: str) -> w.Dropdown:
    return w.Dropdown(
        options=[(i18n.label(p, lang), p) for p in _PERIODS],
        value=value,
        description=i18n.label(f"control_{key}", lang),
        style=_STYLE,
    )


def _int_slider(key: str, value: int, low: int, high: int, lang: str, step: int = 1) -> w.IntSlider:
    return w.IntSlider(
        value=int(value),
        min=low,
        max=max(high, int(value)),
        step=step,
        description=i18n.label(f"control_{key}", lang),
        continuous_update=False,
        style=_STYLE,
        layout=_wide(),
    )


def _share_slider(
    key: str, value: float, low: float, high: float, lang: str, step: float = 0.01
) -> w.FloatSlider:
    return w.FloatSlider(
        value=float(value),
        min=low,
        max=high,
        step=step,
        description=i18n.label(f"control_{key}", lang),
        readout_format=".0%",
        continuous_update=False,
        style=_STYLE,
        layout=_wide(),
    )


def _window_slider(lang: str) -> w.IntSlider:
    return _int_slider("activity_window", DEFAULTS["activity_window"], 1, 24, lang)


def _group_dropdown(groups: list[str], value: str, lang: str) -> w.Dropdown:
    return w.Dropdown(
        options=[(i18n.label(column, lang), column) for column in groups],
        value=value,
        description=i18n.label("control_by", lang),
        style=_STYLE,
    )


def _round_step(span: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about 200 positions on ``span``."""
    raw = span / 200
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def _euro_range(
    key: str, value: tuple[float, float], values: np.ndarray, lang: str
) -> w.FloatRangeSlider:
    """Range slider in € up to the 99th percentile of ``values`` (or the upper value)."""
    top = max(float(np.quantile(values, 0.99)), value[1]) if values.size else value[1]
    step = _round_step(top) if top > 0 else 1.0
    high = math.ceil(top / step) * step
    return w.FloatRangeSlider(
        value=value,  # the exact thresholds: the first view is the quantiles' one
        min=0.0,
        max=high,
        step=step,
        description=i18n.label(f"control_{key}", lang),
        # SI prefixes ("8.50k – 35.9k"): the readout box cuts a pair of full amounts.
        readout_format=".3s",
        continuous_update=False,
        style=_STYLE,
        layout=w.Layout(width="520px"),
    )


# --------------------------------------------------------------------------------------------
# Explorers


def _row(series: pd.Series) -> pd.DataFrame:
    """A Series of named figures as a one-row table (one column per figure, formats by name)."""
    return series.to_frame().T.reset_index(drop=True)


def overview_explorer(
    agg: Aggregates, *, lang: str = DEFAULTS["lang"], start: Mapping[str, Any] | None = None
) -> Explorer:
    """Headline tiles (revenue, active customers, churn, concentration...) by activity window.

    Controls: activity window (months).
    """

    def render(activity_window: int) -> View:
        study = overview_study(agg, activity_window=activity_window)
        return View(
            charts={"view_kpis": Chart(plot_headline, study.kpis, {"shares": study.concentration})},
            tables={"view_kpis": _row(study.kpis), "view_concentration": _row(study.concentration)},
            notes=list(study.notes),
        )

    return explorer(
        {"activity_window": _window_slider(lang)}, render, name="overview", lang=lang, start=start
    )


def weight_explorer(
    agg: Aggregates, *, lang: str = DEFAULTS["lang"], start: Mapping[str, Any] | None = None
) -> Explorer:
    """Weight of the portfolio: revenue and active customers per period, weight by group.

    Controls: period, activity window and, when the customer table has segments, sales reps
    or regions, the group whose weight is drawn (the Excel download has every group's table).
    """
    groups = [column for column in WEIGHT_GROUPS if column in agg.customers.columns]

    def render(period: str, activity_window: int, by: str | None = None) -> View:
        study = weight_study(agg, period=period, activity_window=activity_window)
        # The headline tiles are the overview explorer's (a table here): one chart less to
        # draw on every change of the activity window.
        charts: dict[str, Chart] = {
            "view_revenue_trend": Chart(plot_weight_trend, study.trend, {"line": "revenue_window"}),
            "view_active_trend": Chart(
                plot_weight_trend, study.trend, {"line": "active_customers"}
            ),
        }
        if by in study.by:
            charts[f"view_weight_by_{by}"] = Chart(plot_weight_by, study.by[by])
        tables = {"view_kpis": _row(study.kpis), "view_weight_trend": study.trend}
        tables.update({f"view_weight_by_{column}": table for column, table in study.by.items()})
        return View(charts=charts, tables=tables, notes=list(study.notes))

    controls: dict[str, w.ValueWidget] = {
        "period": _period("period", DEFAULTS["period"], lang),
        "activity_window": _window_slider(lang),
    }
    if groups:
        controls["by"] = _group_dropdown(groups, groups[0], lang)
    return explorer(controls, render, name="weight", lang=lang, start=start)


def movements_explorer(
    agg: Aggregates, *, lang: str = DEFAULTS["lang"], start: Mapping[str, Any] | None = None
) -> Explorer:
    """Movements, churn, revenue bridge and cohorts.

    Controls: period, activity window, bridge period, cohort period.
    """

    def render(period: str, activity_window: int, bridge_period: str, cohort_period: str) -> View:
        study = movements_study(
            agg,
            period=period,
            activity_window=activity_window,
            bridge_period=bridge_period,
            cohort_period=cohort_period,
        )
        charts: dict[str, Chart] = {
            "view_movements": Chart(plot_movements, study.movements),
            "view_churn": Chart(plot_churn, study.movements),
        }
        tables = {"view_movements": study.movements}
        formats = {}
        if study.bridge is not None:
            charts["view_bridge"] = Chart(plot_revenue_bridge, study.bridge)
            tables["view_bridge"] = study.bridge
            # In the bridge, new and reactivated are euros (in the movements, customers).
            formats["view_bridge"] = {"new": "money", "reactivated": "money"}
        for value, matrix in (("active", study.cohort_active), ("revenue", study.cohort_revenue)):
            options = {"value": f"{value}_share", "period": cohort_period}
            charts[f"view_cohorts_{value}"] = Chart(plot_cohorts, matrix, options)
            tables[f"view_cohorts_{value}"] = matrix
            formats[f"view_cohorts_{value}"] = dict.fromkeys(matrix.columns, "percent")
        return View(charts=charts, tables=tables, notes=list(study.notes), formats=formats)

    controls = {
        "period": _period("period", DEFAULTS["period"], lang),
        "activity_window": _window_slider(lang),
        "bridge_period": _period("bridge_period", DEFAULTS["bridge_period"], lang),
        "cohort_period": _period("cohort_period", DEFAULTS["cohort_period"], lang),
    }
    return explorer(controls, render, name="movements", lang=lang, start=start)


def costs_explorer(
    full_agg: Aggregates,
    costs: pd.DataFrame | None,
    *,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
) -> Explorer:
    """CAC, CRC, payback, CAC by channel and LTV / CAC, on the whole (unfiltered) portfolio.

    Controls: period, activity window, payback horizon and, without a cost table, the monthly
    acquisition and retention budgets (0 for none).
    """

    def render(
        period: str,
        activity_window: int,
        payback_horizon_months: int,
        acquisition_budget: float = 0.0,
        retention_budget: float = 0.0,
    ) -> View:
        study = costs_study(
            full_agg,
            costs,
            period=period,
            activity_window=activity_window,
            acquisition_budget=acquisition_budget,
            retention_budget=retention_budget,
            payback_horizon_months=payback_horizon_months,
        )
        charts: dict[str, Chart] = {}
        tables: dict[str, pd.DataFrame] = {}
        if study.summary is not None:
            # Each chart gets the columns it reads: a change of the payback horizon or of the
            # activity window then redraws only the chart it moves.
            for kind, columns in _COST_COLUMNS.items():
                data = study.summary[[*_PERIOD_COLUMNS, *columns]]
                charts[f"view_{kind}"] = Chart(plot_cost_trend, data, {"kind": kind})
            tables["view_costs"] = study.summary
            tables["view_costs_yearly"] = study.yearly
        if study.channel_costs is not None:
            charts["view_cac_by_channel"] = Chart(plot_cac_by_channel, study.channel_costs)
            tables["view_cac_by_channel"] = study.channel_costs
        if study.summary is not None:
            data = study.summary[[*_PERIOD_COLUMNS, "payback_months"]]
            charts["view_payback"] = Chart(plot_payback, data)
        if study.ltv_to_cac is not None:
            cac = study.yearly["cac"].iloc[-1]
            charts["view_ltv_to_cac"] = Chart(plot_ltv_to_cac, study.ltv, {"cac": cac})
        if study.clv is not None:
            tables["view_ltv"] = study.clv.reset_index(drop=True)
        formats = {"view_ltv": {"annual_churn": "percent"}}
        return View(charts=charts, tables=tables, notes=list(study.notes), formats=formats)

    controls: dict[str, w.ValueWidget] = {
        "period": _period("period", DEFAULTS["period"], lang),
        "activity_window": _window_slider(lang),
        "payback_horizon_months": _int_slider(
            "payback_horizon_months", DEFAULTS["payback_horizon_months"], 1, 36, lang
        ),
    }
    if costs is None:
        for key in ("acquisition_budget", "retention_budget"):
            controls[key] = w.BoundedFloatText(
                value=0.0,
                min=0.0,
                max=1e9,
                step=1000.0,
                description=i18n.label(f"control_{key}", lang),
                style=_STYLE,
            )
    return explorer(controls, render, name="costs", lang=lang, start=start)


def balance_explorer(
    agg: Aggregates, *, lang: str = DEFAULTS["lang"], start: Mapping[str, Any] | None = None
) -> Explorer:
    """Pareto/ABC, PMG, concentration, lifecycle and potential matrix.

    Controls: end of class A and of class B, dependence threshold, PMG thresholds in € (start
    at the revenue quantiles), lifecycle growth g.
    """
    window = DEFAULTS["activity_window"]
    totals = customer_totals(agg, window=window)  # kept between changes
    first = balance_study(agg, activity_window=window, totals=totals)
    medium_from, large_from = first.pmg_thresholds

    def render(
        a_cut: float,
        b_cut: float,
        dependence_alert: float,
        lifecycle_growth: float,
        pmg_thresholds: tuple[float, float] | None = None,
    ) -> View:
        if a_cut > b_cut:
            texts = {"a_cut": i18n.format_percent(a_cut, lang, decimals=0)}
            texts["b_cut"] = i18n.format_percent(b_cut, lang, decimals=0)
            return View(notes=[Note("note_abc_cuts_order", texts)])
        study = balance_study(
            agg,
            activity_window=window,
            a_cut=a_cut,
            b_cut=b_cut,
            pmg_thresholds=pmg_thresholds,
            dependence_alert=dependence_alert,
            lifecycle_growth=lifecycle_growth,
            totals=totals,
        )
        charts: dict[str, Chart] = {
            "view_pareto": Chart(plot_pareto_curve, study.abc),
            "view_abc_mix": Chart(plot_class_mix, study.abc_mix),
            "view_pmg_mix": Chart(
                plot_class_mix, study.pmg_mix, {"thresholds": study.pmg_thresholds}
            ),
            "view_concentration": Chart(
                plot_concentration,
                study.concentration,
                {"dependent": study.dependent, "dependence_alert": dependence_alert},
            ),
            "view_lifecycle": Chart(plot_lifecycle, study.lifecycle),
        }
        tables = {
            "view_abc_mix": study.abc_mix,
            "view_pmg_mix": study.pmg_mix,
            "view_concentration": _row(study.concentration),
            "view_dependent": study.dependent,
            "view_lifecycle": study.lifecycle[
                ["customers", "revenue_recent", "revenue_share", "trend", "action"]
            ],
        }
        if study.matrix_cells is not None:
            charts["view_potential_matrix"] = Chart(plot_potential_matrix, study.matrix_cells)
            tables["view_vivier"] = study.vivier
        formats = {"view_lifecycle": {"trend": "percent"}, "view_vivier": {"gap": "money"}}
        return View(charts=charts, tables=tables, notes=list(study.notes), formats=formats)

    controls: dict[str, w.ValueWidget] = {
        "a_cut": _share_slider("a_cut", DEFAULTS["a_cut"], 0.5, 0.95, lang),
        "b_cut": _share_slider("b_cut", DEFAULTS["b_cut"], 0.6, 0.99, lang),
        "dependence_alert": _share_slider(
            "dependence_alert", DEFAULTS["dependence_alert"], 0.01, 0.5, lang
        ),
        "lifecycle_growth": _share_slider(
            "lifecycle_growth", DEFAULTS["lifecycle_growth"], 0.0, 0.5, lang
        ),
    }
    if np.isfinite(large_from):  # no buyer: no € scale, the quantile rule (an empty class)
        revenue = first.buyers["revenue"].to_numpy(dtype=float)
        controls["pmg_thresholds"] = _euro_range(
            "pmg_thresholds", (medium_from, large_from), revenue, lang
        )
    return explorer(
        controls, render, name="balance", lang=lang, start=start, prepared={"totals": totals}
    )


def rfm_explorer(
    agg: Aggregates, *, lang: str = DEFAULTS["lang"], start: Mapping[str, Any] | None = None
) -> Explorer:
    """RFM grid, segment weights and the customer list.

    Controls: number of scores (the named segments need 5).
    """
    values = rfm_table(agg.customers, as_of=agg.as_of)  # kept between changes

    def render(bins: int) -> View:
        study = rfm_study(agg, bins=bins, lang=lang, values=values)
        charts = {"view_rfm_grid": Chart(plot_rfm_grid, study.grid_data)}
        tables = {}
        if study.summary is not None:
            charts["view_rfm_segments"] = Chart(plot_rfm_segments, study.summary)
            tables["rfm_summary"] = study.summary
        tables["rfm_customers"] = study.customer_segments
        return View(charts=charts, tables=tables, notes=list(study.notes))

    controls = {"bins": _int_slider("rfm_bins", DEFAULTS["rfm_bins"], 2, 9, lang)}
    return explorer(
        controls, render, name="rfm", lang=lang, start=start, prepared={"values": values}
    )


def clv_explorer(
    agg: Aggregates,
    costs: pd.DataFrame | None = None,
    *,
    transactions: pd.DataFrame | None = None,
    models: ClvModels | None = None,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
) -> Explorer:
    """Simple, retention and predictive CLV, model checks and LTV / CAC per channel.

    The predictive models are fitted once: ``models`` when the caller already has them (the
    notebook's ``clv_study(...).models``), otherwise here (with the check on unseen months when
    ``transactions``, the canonical log, is given); the controls only redo the discounted
    values. Controls: yearly discount rate, predictive horizon (months) and, when the
    customer table has several attributes, the one groups are compared by.
    """
    if models is None:
        models = fit_clv_models(agg, transactions=transactions)
    window = DEFAULTS["activity_window"]
    totals = customer_totals(agg, window=window)
    memo: dict[object, object] = {}  # what a discount or horizon change does not redo
    groups = [column for column in _CLV_GROUPS if column in agg.customers.columns]
    default_by = DEFAULTS["clv_by"]
    if groups and default_by not in groups:
        default_by = groups[0]

    def render(discount_rate: float, horizon_months: int, by: str = default_by) -> View:
        study = clv_study(
            agg,
            costs,
            models=models,
            totals=totals,
            by=by,
            activity_window=window,
            discount_rate=discount_rate,
            horizon_months=horizon_months,
            memo=memo,
        )
        charts: dict[str, Chart] = {}
        tables: dict[str, pd.DataFrame] = {}
        if study.simple is not None:
            charts["view_simple_clv"] = Chart(plot_simple_clv, study.simple)
            tables["view_simple_clv"] = study.simple.assign(clv_retention=study.retention)
        if study.simple_total is not None:
            tables["view_simple_clv_total"] = study.simple_total.assign(
                clv_retention=study.retention_total
            ).rename_axis(by)
        checks = models.fit_check, models.holdout_check, models.alive_grid
        plots = plot_period_transactions, plot_calibration_vs_holdout, plot_p_alive_matrix
        for key, data, plot in zip(
            ("fit_check", "holdout_check", "p_alive"), checks, plots, strict=True
        ):
            if data is not None:
                charts[f"view_{key}"] = Chart(plot, data)
        if models.purchases_grid is not None:
            charts["view_purchases_grid"] = Chart(
                plot_frequency_recency_matrix,
                models.purchases_grid,
                {"horizon_days": PURCHASES_GRID_DAYS},
            )
        if study.predicted is not None:
            charts["view_clv_distribution"] = Chart(plot_clv_distribution, study.predicted)
            tables["view_top_clv"] = study.top_customers
        if study.predictive_by_group is not None:
            charts["view_clv_by_group"] = Chart(
                plot_clv_by_segment, study.predictive_by_group, {"value": "clv_mean"}
            )
            tables["view_clv_by_group"] = study.predictive_by_group
        if study.simple is not None:
            charts["view_clv_comparison"] = Chart(
                plot_clv_comparison,
                study.simple,
                {
                    "retention": study.retention,
                    "predictive": study.predictive_by_group,
                    "horizon_months": horizon_months,
                },
            )
        if study.ltv_cac is not None:
            tables["view_ltv_cac"] = study.ltv_cac
        formats = {
            "view_simple_clv": {"annual_churn": "percent"},
            "view_simple_clv_total": {"annual_churn": "percent"},
            "view_ltv_cac": {"ltv_to_cac": "ratio"},
        }
        return View(charts=charts, tables=tables, notes=list(study.notes), formats=formats)

    controls: dict[str, w.ValueWidget] = {
        "discount_rate": _share_slider(
            "discount_rate", DEFAULTS["discount_rate"], 0.01, 0.30, lang
        ),
        "horizon_months": _int_slider(
            "horizon_months", DEFAULTS["clv_horizon_months"], 6, 120, lang, step=6
        ),
    }
    if len(groups) > 1:
        controls["by"] = _group_dropdown(groups, default_by, lang)
    prepared = {"models": models, "totals": totals, "memo": memo}
    return explorer(controls, render, name="clv", lang=lang, start=start, prepared=prepared)


def alerts_explorer(
    agg: Aggregates, *, lang: str = DEFAULTS["lang"], start: Mapping[str, Any] | None = None
) -> Explorer:
    """Customers at risk per sales rep: revenue at risk by rep, priority accounts, the list.

    Controls: revenue drop threshold, overdue threshold (in usual gaps) and, when the customer
    table has sales reps, one rep (the portfolio restricted to their customers, as the
    notebook's ``SALES_REP`` filter) or all.
    """
    subsets: dict[str, Aggregates] = {}

    def portfolio(rep: str) -> Aggregates:
        if not rep:
            return agg
        if rep not in subsets:
            subsets[rep] = agg.subset(sales_rep=rep)  # a cheap filter, kept
        return subsets[rep]

    def render(drop_alert: float, gap_alert: float, sales_rep: str = "") -> View:
        study = alerts_study(portfolio(sales_rep), drop_alert=drop_alert, gap_alert=gap_alert)
        charts: dict[str, Chart] = {}
        if len(study.alerts):
            charts["view_risk_by_rep"] = Chart(plot_revenue_at_risk_by_rep, study.alerts)
            charts["view_top_at_risk"] = Chart(plot_top_at_risk, study.alerts, {"n": _SHOW_TOP})
        tables = {"alerts_summary": study.by_rep, "view_alerts": study.alerts}
        formats = {"revenue_change": "percent", "revenue_drop": "integer"}
        return View(
            charts=charts,
            tables=tables,
            notes=list(study.notes),
            formats=dict.fromkeys(tables, formats),
        )

    controls: dict[str, w.ValueWidget] = {
        "drop_alert": _share_slider("drop_alert", DEFAULTS["drop_alert"], 0.05, 0.9, lang),
        "gap_alert": w.FloatSlider(
            value=DEFAULTS["gap_alert"],
            min=1.0,
            max=6.0,
            step=0.25,
            description=i18n.label("control_gap_alert", lang),
            readout_format=".2f",
            continuous_update=False,
            style=_STYLE,
            layout=_wide(),
        ),
    }
    if "sales_rep" in agg.customers.columns:
        reps = sorted(agg.customers["sales_rep"].dropna().astype(str).unique())
        controls["sales_rep"] = w.Dropdown(
            options=[(i18n.label("all", lang), ""), *[(rep, rep) for rep in reps]],
            value="",
            description=i18n.label("control_sales_rep", lang),
            style=_STYLE,
        )
    return explorer(
        controls, render, name="alerts", lang=lang, start=start, prepared={"subsets": subsets}
    )
