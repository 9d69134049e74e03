"""One interactive explorer per analysis, wired to the studies of :mod:`portfolio_lib.studies`.

This module only wires. Each explorer receives the aggregated portfolio (the expensive step,
done once), prepares what does not depend on its controls once (12-month totals, the RFM table,
the predictive model fit), and on every control change calls its study function (the cheap
step) and returns a :class:`View` of chart specs and tables; :class:`Explorer`
(:mod:`portfolio_lib.ui.explorer`) draws only the charts whose data changed, so moving the
discount rate does not redraw the BG/NBD checks.

Every explorer takes ``start``, the control values to begin with (a notebook passes its
parameters, so the explorer opens on what the page above shows). The machinery
(:class:`Explorer`, :func:`with_filters`, :func:`download_links`...) is re-exported here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import ipywidgets as w
import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics.alerts import alerts_by_rep
from portfolio_lib.metrics.clv import clv_formulas
from portfolio_lib.metrics.rfm import rfm_table
from portfolio_lib.models import parameter_table
from portfolio_lib.plots.alerts import plot_revenue_at_risk_by_rep, plot_top_at_risk
from portfolio_lib.plots.balance import (
    plot_class_mix,
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
    plot_revenue_retention,
)
from portfolio_lib.plots.overview import plot_headline
from portfolio_lib.plots.predictive import (
    plot_calibration_vs_holdout,
    plot_clv_by_segment,
    plot_frequency_recency_matrix,
    plot_p_alive_matrix,
    plot_period_transactions,
)
from portfolio_lib.plots.purchase_models import (
    plot_clv_intervals,
    plot_model_comparison,
    plot_tracking,
)
from portfolio_lib.plots.rfm import plot_rfm_grid, plot_rfm_segments
from portfolio_lib.plots.weight import plot_weight_by, plot_weight_trend
from portfolio_lib.studies import (
    PURCHASES_GRID_DAYS,
    WEIGHT_GROUPS,
    ClvModels,
    Note,
    alerts_study,
    clv_study,
    costs_study,
    customer_totals,
    fit_clv_models,
    movements_study,
    overview_study,
    rfm_study,
    weight_study,
)
from portfolio_lib.studies.clv import clv_uncertainty
from portfolio_lib.studies.rfm import rfm_weighted
from portfolio_lib.ui.balance_explorer import balance_explorer
from portfolio_lib.ui.controls import (
    amount_box,
    float_slider,
    group_dropdown,
    int_slider,
    period_dropdown,
    share_slider,
    window_slider,
)
from portfolio_lib.ui.explorer import (
    Chart,
    Explorer,
    FilterBar,
    FilteredExplorer,
    View,
    download_links,
    explorer,
    figures_row,
    filter_bar,
    filters_text,
    key_findings,
    study_view,
    with_filters,
)
from portfolio_lib.ui.value_explorers import rep_portfolio_explorer, value_explorer

__all__ = [
    "Chart",
    "Explorer",
    "FilterBar",
    "FilteredExplorer",
    "View",
    "alerts_explorer",
    "balance_explorer",
    "clv_explorer",
    "costs_explorer",
    "download_links",
    "explorer",
    "filter_bar",
    "filters_text",
    "movements_explorer",
    "overview_explorer",
    "rep_portfolio_explorer",
    "rfm_explorer",
    "value_explorer",
    "weight_explorer",
    "with_filters",
]

# Attributes the CLV explorer can compare groups by, when the customer table has them.
_CLV_GROUPS = ("segment", "region", "sales_rep", "acquisition_channel")
_SHOW_TOP = 15
# Model diagnostics, in the collapsed "Annexe technique" of the CLV tab (a client reads the
# values, an analyst checks the fit).
_MODEL_CHECKS = (
    "view_model_comparison",
    "view_tracking",
    "view_parameters",
    "view_fit_check",
    "view_holdout_check",
    "view_p_alive",
    "view_purchases_grid",
)  # accounts of the alerts priority chart (notebook 07's SHOW_TOP)
_PERIOD_COLUMNS = ("period_start", "period_end", "period")
_COST_COLUMNS = {
    "acquisition": ("acquisition_spend", "new_customers", "cac"),
    "retention": ("retention_spend", "retained_customers", "crc"),
}


i18n.register(
    {
        "note_abc_cuts_order": {
            "fr": "La fin de la classe A ({a_cut}) doit précéder celle de la classe B ({b_cut}) : "
            "déplacez l'un des deux curseurs.",
            "en": "The end of class A ({a_cut}) must come before the end of class B ({b_cut}): "
            "move one of the two sliders.",
        },
        "note_partial_month": {
            "fr": "Le dernier mois ({month}) est incomplet : les données s'arrêtent au {as_of}. "
            "Son CAC et son CRC ne portent que sur une partie du mois : ne le comparez pas aux "
            "mois entiers.",
            "en": "The last month ({month}) is partial: the data stop on {as_of}. Its CAC and "
            "CRC cover only part of the month: do not compare it with full months.",
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
        "view_nrr": {"fr": "Rétention du CA (NRR, GRR)", "en": "Revenue retention (NRR, GRR)"},
        "view_cohorts_nrr": {"fr": "Cohortes (NRR)", "en": "Cohorts (NRR)"},
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
        "view_vivier": {"fr": "Vivier : zone de fragilité", "en": "Vivier: zone of fragility"},
        "view_rfm_grid": {"fr": "Grille R × F", "en": "R × F grid"},
        "view_rfm_segments": {"fr": "Segments RFM", "en": "RFM segments"},
        "view_simple_clv": {"fr": "CLV simple", "en": "Simple CLV"},
        "view_simple_clv_total": {"fr": "CLV simple (total)", "en": "Simple CLV (total)"},
        "view_fit_check": {"fr": "Contrôle du modèle", "en": "Model check"},
        "view_model_comparison": {
            "fr": "Modèles d'achats comparés",
            "en": "Purchase models compared",
        },
        "view_tracking": {"fr": "Achats par semaine", "en": "Purchases per week"},
        "view_parameters": {
            "fr": "Paramètres du modèle d'achats",
            "en": "Purchase model parameters",
        },
        "view_clv_intervals": {"fr": "Incertitude de la CLV", "en": "CLV uncertainty"},
        "control_intervals": {
            "fr": "Calculer les intervalles (bootstrap)",
            "en": "Compute the intervals (bootstrap)",
        },
        "view_holdout_check": {"fr": "Contrôle hors échantillon", "en": "Holdout check"},
        "view_p_alive": {"fr": "Probabilité d'être actif", "en": "P(alive)"},
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
        # Issue 14 (value): weighted RFM classes, CLV formulas, break-even, equity, profile
        "view_rfm_classes": {"fr": "Classes RFM pondérées", "en": "Weighted RFM classes"},
        "view_clv_formulas": {"fr": "CLV : les deux formules", "en": "CLV: the two formulas"},
    }
)


def _partial_month(as_of: pd.Timestamp, summary: pd.DataFrame | None, lang: str) -> Note | None:
    """A note when the data stop before the end of their last month: that month's CAC and
    CRC count only part of a month's new customers (not a full month to compare)."""
    if summary is None or summary.empty:
        return None
    as_of = pd.Timestamp(as_of)
    month_end = as_of + pd.offsets.MonthEnd(0)
    if as_of.normalize() >= month_end.normalize():
        return None
    month = i18n.month_label(as_of.to_period("M").to_timestamp(), lang)
    return Note("note_partial_month", {"month": month, "as_of": f"{as_of:%d/%m/%Y}"})


def overview_explorer(
    agg: Aggregates,
    *,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
    name: str | None = None,
    subtitle: str = "",
) -> Explorer:
    """Headline tiles (revenue, active customers, churn, concentration...) by activity window.

    Controls: activity window (months).
    """

    def render(activity_window: int) -> View:
        study = overview_study(agg, activity_window=activity_window)
        charts = {"view_kpis": Chart(plot_headline, study.kpis, {"shares": study.concentration})}
        tables = {
            "view_kpis": figures_row(study.kpis),
            "view_concentration": figures_row(study.concentration),
        }
        return study_view(study, lang, charts, tables)

    return explorer(
        {"activity_window": window_slider(lang)},
        render,
        name=name or "overview",
        lang=lang,
        start=start,
        subtitle=subtitle,
    )


def weight_explorer(
    agg: Aggregates,
    *,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
    name: str | None = None,
    subtitle: str = "",
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
        tables = {"view_kpis": figures_row(study.kpis), "view_weight_trend": study.trend}
        tables.update({f"view_weight_by_{column}": table for column, table in study.by.items()})
        return study_view(study, lang, charts, tables)

    controls: dict[str, w.ValueWidget] = {
        "period": period_dropdown("period", DEFAULTS["period"], lang),
        "activity_window": window_slider(lang),
    }
    if groups:
        controls["by"] = group_dropdown(groups, groups[0], lang)
    return explorer(
        controls, render, name=name or "weight", lang=lang, start=start, subtitle=subtitle
    )


def movements_explorer(
    agg: Aggregates,
    *,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
    name: str | None = None,
    subtitle: str = "",
) -> Explorer:
    """Movements, churn, revenue bridge, net and gross revenue retention and cohorts.

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
        if study.retention is not None:
            charts["view_nrr"] = Chart(plot_revenue_retention, study.retention)
            tables["view_nrr"] = study.retention
            formats["view_nrr"] = {"new": "money", "reactivated": "money", "nrr": "percent",
                                   "grr": "percent"}  # fmt: skip
        for value, matrix in (("active", study.cohort_active), ("revenue", study.cohort_revenue)):
            options = {"value": f"{value}_share", "period": cohort_period}
            charts[f"view_cohorts_{value}"] = Chart(plot_cohorts, matrix, options)
            # The table names its cohorts as the chart does ("T1 2023", not "janv. 2023").
            tables[f"view_cohorts_{value}"] = matrix.rename(
                index=lambda stamp: i18n.period_name(stamp, cohort_period, lang)
            )
            formats[f"view_cohorts_{value}"] = dict.fromkeys(matrix.columns, "percent")
        if study.cohort_nrr is not None and study.cohort_nrr.size:
            options = {"value": "nrr", "period": bridge_period}
            charts["view_cohorts_nrr"] = Chart(plot_cohorts, study.cohort_nrr, options)
            tables["view_cohorts_nrr"] = study.cohort_nrr.rename(
                index=lambda stamp: i18n.period_name(stamp, bridge_period, lang)
            )
            formats["view_cohorts_nrr"] = dict.fromkeys(study.cohort_nrr.columns, "percent")
        return study_view(study, lang, charts, tables, formats=formats)

    controls = {
        "period": period_dropdown("period", DEFAULTS["period"], lang),
        "activity_window": window_slider(lang),
        "bridge_period": period_dropdown("bridge_period", DEFAULTS["bridge_period"], lang),
        "cohort_period": period_dropdown("cohort_period", DEFAULTS["cohort_period"], lang),
    }
    return explorer(
        controls, render, name=name or "movements", lang=lang, start=start, subtitle=subtitle
    )


def costs_explorer(
    full_agg: Aggregates,
    costs: pd.DataFrame | None,
    *,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
    name: str | None = None,
    subtitle: str = "",
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
        view = study_view(study, lang, charts, tables, formats=formats)
        partial = _partial_month(full_agg.as_of, study.summary, lang)
        if partial is not None:
            view.notes.insert(0, partial)
        return view

    controls: dict[str, w.ValueWidget] = {
        "period": period_dropdown("period", DEFAULTS["period"], lang),
        "activity_window": window_slider(lang),
        "payback_horizon_months": int_slider(
            "payback_horizon_months", DEFAULTS["payback_horizon_months"], 1, 36, lang
        ),
    }
    if costs is None:
        for key in ("acquisition_budget", "retention_budget"):
            controls[key] = amount_box(key, lang)
    return explorer(
        controls, render, name=name or "costs", lang=lang, start=start, subtitle=subtitle
    )


def rfm_explorer(
    agg: Aggregates,
    *,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
    name: str | None = None,
    subtitle: str = "",
) -> Explorer:
    """RFM grid, segment weights, weighted-score classes and the customer list.

    Controls: number of scores (the named segments need 5) and the weights w_R, w_F, w_M of
    the weighted score (course text 000: "chaque poids est défini arbitrairement").
    """
    values = rfm_table(agg.customers, as_of=agg.as_of)  # kept between changes
    by_bins: dict[int, Any] = {}  # the scores and segments of each number of scores

    def render(bins: int, w_r: float = 1.0, w_f: float = 1.0, w_m: float = 1.0) -> View:
        if bins not in by_bins:
            by_bins[bins] = rfm_study(agg, bins=bins, lang=lang, values=values)
        study = rfm_weighted(by_bins[bins], (w_r, w_f, w_m))  # a weight moves: classes only
        charts = {
            "view_rfm_grid": Chart(plot_rfm_grid, study.grid_data),
            "view_rfm_classes": Chart(plot_class_mix, study.classes),
        }
        tables = {"view_rfm_classes": study.classes}
        if study.summary is not None:
            charts["view_rfm_segments"] = Chart(plot_rfm_segments, study.summary)
            tables["rfm_summary"] = study.summary
        tables["rfm_customers"] = study.customer_segments
        return study_view(study, lang, charts, tables)

    weights = DEFAULTS["rfm_weights"]
    controls = {
        "bins": int_slider("rfm_bins", DEFAULTS["rfm_bins"], 2, 9, lang),
        **{
            key: float_slider(key, weight, 0.0, 5.0, lang, step=0.5, readout_format=".1f")
            for key, weight in zip(("w_r", "w_f", "w_m"), weights, strict=True)
        },
    }
    return explorer(
        controls,
        render,
        name=name or "rfm",
        lang=lang,
        start=start,
        subtitle=subtitle,
        prepared={"values": values, "by_bins": by_bins},
    )


def clv_explorer(
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

    def render(
        discount_rate: float, horizon_months: int, by: str = default_by, intervals: bool = False
    ) -> View:
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
            tables["view_clv_formulas"] = clv_formulas(study.simple_total)
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
        if models.comparison is not None:
            comparison = models.comparison
            charts["view_model_comparison"] = Chart(
                plot_model_comparison, comparison.by_frequency, {"chosen": comparison.chosen}
            )
            tables["view_model_comparison"] = comparison.table
        if models.tracking is not None:
            charts["view_tracking"] = Chart(plot_tracking, models.tracking)
        if models.purchases is not None:
            tables["view_parameters"] = parameter_table(models.purchases)
        if intervals and study.predicted is not None:
            # The bootstrap costs ~100 CLVs: once per discount rate and horizon (the button).
            key = ("intervals", discount_rate, horizon_months)
            if key not in memo:
                memo[key] = clv_uncertainty(
                    agg, models, horizon_months=horizon_months, discount_rate=discount_rate
                )
            found = memo[key]
            study = dataclasses.replace(study, intervals=found)
            charts["view_clv_intervals"] = Chart(
                plot_clv_intervals,
                study.predicted,
                {"intervals": found.per_customer, "level": found.level},
            )
            tables["view_clv_intervals"] = found.totals
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
            # P(actif) is a probability: a percentage in every table (as in the notebook).
            "view_top_clv": {"p_alive": "percent"},
            "view_clv_by_group": {"p_alive_mean": "percent", "clv_share": "percent"},
        }
        return study_view(study, lang, charts, tables, formats=formats, appendix=_MODEL_CHECKS)

    controls: dict[str, w.ValueWidget] = {
        "discount_rate": share_slider("discount_rate", DEFAULTS["discount_rate"], 0.01, 0.30, lang),
        "horizon_months": int_slider(
            "horizon_months", DEFAULTS["clv_horizon_months"], 6, 120, lang, step=6
        ),
    }
    if len(groups) > 1:
        controls["by"] = group_dropdown(groups, default_by, lang)
    controls["intervals"] = w.ToggleButton(
        value=False, description=i18n.label("control_intervals", lang), icon="bar-chart"
    )
    prepared = {"models": models, "totals": totals, "memo": memo}
    return explorer(controls, render, name=name or "clv", lang=lang, start=start,
                    subtitle=subtitle, prepared=prepared)  # fmt: skip


def alerts_explorer(
    agg: Aggregates,
    *,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
    name: str | None = None,
    subtitle: str = "",
    within: Aggregates | None = None,
) -> Explorer:
    """Customers at risk per sales rep: revenue at risk by rep, priority accounts, the list.

    Controls: revenue drop threshold, overdue threshold (in usual gaps). ``within``, the
    filtered portfolio (the app's filters), restricts the alerts shown to its customers;
    the key accounts at risk stay the largest of ``agg``, the whole portfolio, so a filter
    does not turn a mid-sized customer into a key account.
    """
    kept = None if within is None else set(within.customers["customer_id"])

    def render(drop_alert: float, gap_alert: float) -> View:
        study = alerts_study(agg, drop_alert=drop_alert, gap_alert=gap_alert)
        alerts, by_rep, notes = study.alerts, study.by_rep, list(study.notes)
        if kept is not None:
            alerts = alerts[alerts["customer_id"].isin(kept)].reset_index(drop=True)
            reps = within.customers.get("sales_rep")
            by_rep = alerts_by_rep(alerts, reps=reps)
            if len(alerts) == 0 and not any(getattr(n, "key", "") == "no_alerts" for n in notes):
                notes.append(Note("no_alerts"))
        charts: dict[str, Chart] = {}
        if len(alerts):
            charts["view_risk_by_rep"] = Chart(plot_revenue_at_risk_by_rep, alerts)
            charts["view_top_at_risk"] = Chart(plot_top_at_risk, alerts, {"n": _SHOW_TOP})
        tables = {"alerts_summary": by_rep, "view_alerts": alerts}
        formats = {"revenue_change": "percent", "revenue_drop": "integer", "days_since_last": "integer",
                   "usual_gap_days": "integer"}  # fmt: skip
        return View(
            charts=charts,
            tables=tables,
            notes=notes,
            findings=key_findings(study, lang),
            formats=dict.fromkeys(tables, formats),
        )

    controls: dict[str, w.ValueWidget] = {
        "drop_alert": share_slider("drop_alert", DEFAULTS["drop_alert"], 0.05, 0.9, lang),
        "gap_alert": float_slider(
            "gap_alert", DEFAULTS["gap_alert"], 1.0, 6.0, lang, step=0.25, readout_format=".2f"
        ),
    }
    return explorer(
        controls, render, name=name or "alerts", lang=lang, start=start, subtitle=subtitle
    )
