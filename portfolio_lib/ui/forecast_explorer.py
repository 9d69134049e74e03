"""Explorer of the forecast and the what-if (issue 18, items 5 and 6).

The forecast and its intervals are computed once (:func:`portfolio_lib.studies.forecast.
forecast_study`); the sliders only redo :func:`~portfolio_lib.studies.forecast.what_if_study`
(retention, new customers per month, CAC, basket), through the same fitted models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.plots.forecast import plot_forecast, plot_what_if
from portfolio_lib.studies.clv import ClvModels
from portfolio_lib.studies.forecast import (
    HOLDOUT_FORMATS,
    WHAT_IF_FORMATS,
    forecast_study,
    what_if_study,
)
from portfolio_lib.ui.controls import float_slider, share_slider
from portfolio_lib.ui.explorer import Chart, Explorer, View, explorer, study_view

__all__ = ["forecast_explorer"]

# Half the report's draws (coarser interval ends): the tab opens in half the time (about 5 s
# of draws at 100k customers, plus as much for the check on the last 12 months).
_EXPLORER_DRAWS = 50

i18n.register(
    {
        "tab_forecast": {"fr": "Prévision", "en": "Forecast"},
        "view_forecast": {"fr": "Prévision à 12 mois", "en": "12-month forecast"},
        "view_forecast_by_sales_rep": {
            "fr": "Prévision par commercial",
            "en": "Forecast by sales rep",
        },
        "view_forecast_by_segment": {"fr": "Prévision par segment", "en": "Forecast by segment"},
        "view_forecast_check": {
            "fr": "Contrôle de la prévision (12 derniers mois)",
            "en": "Check of the forecast (last 12 months)",
        },
        "view_what_if": {"fr": "Simulation", "en": "What-if"},
        "control_what_if_retention_points": {
            "fr": "Fidélisation (± points par an)",
            "en": "Retention (± points a year)",
        },
        "control_what_if_new_per_month": {
            "fr": "Nouveaux clients par mois (rythme actuel : {pace})",
            "en": "New customers a month (current pace: {pace})",
        },
        "control_what_if_cac": {
            "fr": "CAC (€ par nouveau client)",
            "en": "CAC (€ per new customer)",
        },
        "control_what_if_basket": {"fr": "Panier moyen (± %)", "en": "Average basket (± %)"},
    }
)


def forecast_explorer(
    agg: Aggregates,
    costs: pd.DataFrame | None = None,
    *,
    transactions: pd.DataFrame | None = None,
    models: ClvModels | None = None,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
    name: str | None = None,
    subtitle: str = "",
) -> Explorer:
    """Next 12 months' revenue and active customers (portfolio, sales reps, segments) with
    their intervals and check, and the what-if sliders.

    ``models``: the CLV's fitted models when the caller has them (``clv_study(...).models``);
    fitted here otherwise. ``transactions`` (the canonical log) adds the check on the last 12
    months. Controls: retention (± points of the model's yearly retention), new customers per
    month, CAC, average basket (± %).
    """
    study = forecast_study(
        agg, costs, models=models, transactions=transactions, draws=_EXPLORER_DRAWS
    )
    charts_once: dict[str, Chart] = {}
    tables_once: dict[str, pd.DataFrame] = {}
    if study.portfolio is not None:
        tables_once["view_forecast"] = study.portfolio
        for key, table in study.by_group.items():
            charts_once[f"view_forecast_by_{key}"] = Chart(
                plot_forecast, table, {"level": study.level}
            )
            tables_once[f"view_forecast_by_{key}"] = table
    holdout = study.holdout_shown(lang)
    if holdout is not None:
        tables_once["view_forecast_check"] = holdout

    def render(retention_points: float, new_per_month: float, cac: float, basket: float) -> View:
        what_if = what_if_study(
            study,
            retention_points=retention_points,
            new_per_month=new_per_month,
            cac=cac if cac > 0 else None,
            basket=basket,
        )
        charts, tables = dict(charts_once), dict(tables_once)
        if what_if.table is not None:
            charts = {"view_what_if": Chart(plot_what_if, what_if.table), **charts}
            tables = {"view_what_if": what_if.shown(lang), **tables}
        formats = {"view_what_if": WHAT_IF_FORMATS, "view_forecast_check": HOLDOUT_FORMATS}
        return study_view(study, lang, charts, tables, formats=formats)

    pace = study.new_per_month
    cac = study.cac or 0.0
    new_control = float_slider(
        "what_if_new_per_month", 0.0, 0.0, max(20.0, round(3 * pace)), lang,
        step=1.0, readout_format=".0f",
    )  # fmt: skip
    new_control.description = i18n.label("control_what_if_new_per_month", lang).format(
        pace=i18n.format_number(pace, lang)
    )
    controls = {
        "retention_points": float_slider(
            "what_if_retention_points", 0.0, -20.0, 20.0, lang, step=1.0, readout_format=".0f"
        ),
        "new_per_month": new_control,
        "cac": float_slider(
            "what_if_cac",
            cac,
            0.0,
            max(1000.0, round(3 * cac, -2)),
            lang,
            step=max(10.0, round(cac / 50, -1)),
            readout_format=".0f",
        ),  # fmt: skip
        "basket": share_slider("what_if_basket", 0.0, -0.5, 0.5, lang),
    }
    return explorer(controls, render, name=name or "forecast", lang=lang, start=start,
                    subtitle=subtitle, prepared={"study": study})  # fmt: skip
