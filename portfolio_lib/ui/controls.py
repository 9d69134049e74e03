"""Control factories of the explorers: sliders, dropdowns and the euro range, labelled in French or English.

Each factory takes the control's key (its label is ``control_<key>``), its starting value and
the language. Sliders update on release (``continuous_update=False``): a drag costs one redraw.

Sliders have no readout of their own (the browser's number format is English: "8.50k", "2.00"):
:func:`labelled` lays a control out in a box of fixed width, its label on top (wrapped, never
cut) and, for a slider, its value beside the track in the page's language ("8 500 – 35 900 €",
"2,00", "30 %"), written by :func:`readout_text`.
"""

from __future__ import annotations

import html
import math

import ipywidgets as w
import numpy as np

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS

__all__ = [
    "PERIODS",
    "STYLE",
    "amount_box",
    "euro_range",
    "float_slider",
    "group_dropdown",
    "int_slider",
    "labelled",
    "period_dropdown",
    "readout_text",
    "share_slider",
    "wide_layout",
    "window_slider",
]

PERIODS = ("month", "quarter", "year")
STYLE = {"description_width": "initial"}

i18n.register(
    {
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
    }
)


# Width of a control's box, and of a slider's readout within it: a fixed layout does not move
# with the language (the English labels were shorter and shrank the tracks to 30 px).
CONTROL_WIDTH = 360
READOUT_WIDTH = 130


def wide_layout() -> w.Layout:
    """The width of a control under its label (a new Layout per control: a shared one would be
    one model)."""
    return w.Layout(width="100%")


def _slider_layout(readout_width: int) -> w.Layout:
    return w.Layout(width=f"{CONTROL_WIDTH - readout_width - 10}px", min_width="150px")


def readout_text(control: w.ValueWidget, lang: str) -> str:
    """A slider's value as the page writes numbers: 30 % / 30%, 2,00 / 2.00, 12,
    8 500 – 35 900 € / €8,500 – €35,900.

    The kind comes from the control: a range slider holds euros (:func:`euro_range`), a
    ``readout_format`` ending in ``%`` a share, ``.Nf`` N decimals; other values are whole.
    """
    value = control.value
    if isinstance(control, w.FloatRangeSlider):
        if lang == "fr":
            low, high = (i18n.format_number(v, lang) for v in value)
            return f"{low} – {high}\u00a0€"
        low, high = (i18n.format_currency(v, lang) for v in value)
        return f"{low} – {high}"
    spec = getattr(control, "readout_format", "d") or "d"
    if spec.endswith("%"):
        decimals = int(spec.strip(".%") or 0)
        return i18n.format_percent(value, lang, decimals=decimals)
    if spec.endswith("f"):
        return i18n.format_number(value, lang, decimals=int(spec.strip(".f") or 0))
    return i18n.format_number(value, lang)


def labelled(control: w.ValueWidget, lang: str) -> w.VBox:
    """``control`` in a box of fixed width: its label above (wrapped), then the control and,
    for a slider, its readout in the page's number format (kept up to date).

    The control's ``description`` stays its label (for code and screen readers) but is not
    drawn: the label above is.
    """
    text = control.description
    label = w.HTML(
        f'<span class="portfolio-control-label">{html.escape(text)}</span>',
        layout=w.Layout(width="100%"),
    )
    control.style.description_width = "0px"
    control.add_class("portfolio-control-input")
    row: list[w.Widget] = [control]
    if isinstance(control, (w.IntSlider, w.FloatSlider, w.FloatRangeSlider)):
        # A pair of amounts needs more room than one value.
        width = READOUT_WIDTH + 50 if isinstance(control, w.FloatRangeSlider) else READOUT_WIDTH
        control.readout = False
        control.layout = _slider_layout(width)
        readout = w.HTML(
            readout_text(control, lang),
            layout=w.Layout(width=f"{width}px", min_width=f"{width}px"),
        )
        readout.add_class("portfolio-readout")
        control.observe(
            lambda change: setattr(readout, "value", readout_text(control, lang)), names="value"
        )
        row.append(readout)
    else:
        control.layout = w.Layout(width=f"{CONTROL_WIDTH - 10}px")
    box = w.VBox(
        [label, w.HBox(row, layout=w.Layout(align_items="center"))],
        layout=w.Layout(width=f"{CONTROL_WIDTH}px", margin="0 16px 6px 0"),
    )
    box.add_class("portfolio-control")
    return box


def period_dropdown(key: str, value: str, lang: str) -> w.Dropdown:
    """Month, quarter or year."""
    return w.Dropdown(
        options=[(i18n.label(p, lang), p) for p in PERIODS],
        value=value,
        description=i18n.label(f"control_{key}", lang),
        style=STYLE,
    )


def int_slider(key: str, value: int, low: int, high: int, lang: str, step: int = 1) -> w.IntSlider:
    """Whole numbers from ``low`` to ``high`` (or ``value`` when larger)."""
    return w.IntSlider(
        value=int(value),
        min=low,
        max=max(high, int(value)),
        step=step,
        description=i18n.label(f"control_{key}", lang),
        continuous_update=False,
        style=STYLE,
        layout=wide_layout(),
    )


def float_slider(
    key: str,
    value: float,
    low: float,
    high: float,
    lang: str,
    *,
    step: float,
    readout_format: str,
) -> w.FloatSlider:
    """Decimal numbers from ``low`` to ``high``, shown with ``readout_format``."""
    return w.FloatSlider(
        value=float(value),
        min=low,
        max=high,
        step=step,
        description=i18n.label(f"control_{key}", lang),
        readout_format=readout_format,
        continuous_update=False,
        style=STYLE,
        layout=wide_layout(),
    )


def share_slider(
    key: str, value: float, low: float, high: float, lang: str, step: float = 0.01
) -> w.FloatSlider:
    """A share, shown as a percentage."""
    return float_slider(key, value, low, high, lang, step=step, readout_format=".0%")


def window_slider(lang: str) -> w.IntSlider:
    """The activity window, 1 to 24 months."""
    return int_slider("activity_window", DEFAULTS["activity_window"], 1, 24, lang)


def group_dropdown(groups: list[str], value: str, lang: str) -> w.Dropdown:
    """The customer attribute to group by, among ``groups``."""
    return w.Dropdown(
        options=[(i18n.label(column, lang), column) for column in groups],
        value=value,
        description=i18n.label("control_by", lang),
        style=STYLE,
    )


def amount_box(key: str, lang: str) -> w.BoundedFloatText:
    """An amount in €, from 0 (the default) by steps of 1,000."""
    return w.BoundedFloatText(
        value=0.0,
        min=0.0,
        max=1e9,
        step=1000.0,
        description=i18n.label(f"control_{key}", lang),
        style=STYLE,
    )


def _round_step(span: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about 200 positions on ``span``."""
    raw = span / 200
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def euro_range(
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
        readout_format=".0f",  # not drawn: labelled() writes "8 500 – 35 900 €"
        continuous_update=False,
        style=STYLE,
        layout=wide_layout(),
    )
