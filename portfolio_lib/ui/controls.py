"""Control factories of the explorers: sliders, dropdowns and the euro range, labelled in French or English.

Each factory takes the control's key (its label is ``control_<key>``), its starting value and
the language. Sliders update on release (``continuous_update=False``): a drag costs one redraw.
"""

from __future__ import annotations

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
    "period_dropdown",
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


def wide_layout() -> w.Layout:
    """The width of a slider (a new Layout per control: a shared one would be one model)."""
    return w.Layout(width="380px")


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
        # SI prefixes ("8.50k – 35.9k"): the readout box cuts a pair of full amounts.
        readout_format=".3s",
        continuous_update=False,
        style=STYLE,
        layout=w.Layout(width="520px"),
    )
