"""The balance explorer: Pareto/ABC, PMG, concentration, lifecycle, potential matrix and
vivier, hit-parade tiers and resources, relationship quality (course texts 000 to 003)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as w
import numpy as np

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics.balance import check_abc_cuts
from portfolio_lib.metrics.hitparade import ALLOCATIONS, RESOURCE_UNITS, tier_services
from portfolio_lib.plots.balance import (
    plot_class_mix,
    plot_concentration,
    plot_hit_parade,
    plot_lifecycle,
    plot_pareto_curve,
    plot_potential_matrix,
    plot_relationship,
)
from portfolio_lib.studies import Note, balance_study, customer_totals
from portfolio_lib.ui.controls import STYLE, amount_box, euro_range, int_slider, share_slider
from portfolio_lib.ui.explorer import Chart, Explorer, View, explorer, figures_row, study_view

__all__ = ["balance_explorer"]


i18n.register(
    {
        # The balance explorer's controls and views (course texts 000 to 003)
        "control_lifecycle_use_margin": {
            "fr": "Cycle de vie sur la marge et le CA",
            "en": "Lifecycle on margin and revenue",
        },
        "control_relationship_alert": {
            "fr": "Relation fragile sous (qualité)",
            "en": "Weak relationship below (quality)",
        },
        "control_tiers": {"fr": "Tranches du hit-parade", "en": "Hit-parade tiers"},
        "control_resources": {"fr": "Ressources par an", "en": "Resources per year"},
        "control_resource_unit": {"fr": "Unité des ressources", "en": "Resource unit"},
        "control_allocation": {"fr": "Répartition des ressources", "en": "Resource allocation"},
        "allocation_tier": {
            "fr": "À peu près identiques par tranche (texte 003)",
            "en": "Roughly equal per tier (text 003)",
        },
        "allocation_customer": {
            "fr": "Identiques par client (même traitement pour tous)",
            "en": "Equal per customer (same treatment for all)",
        },
        "control_services": {
            "fr": "Mode de relation par tranche (séparés par ;)",
            "en": "Service model per tier (separated by ;)",
        },
        "control_spend_per_employee": {
            "fr": "Dépense par salarié (€/an, 0 = non)",
            "en": "Spend per employee (€/year, 0 = off)",
        },
        "control_estimate_all_potentials": {
            "fr": "Estimer tous les potentiels (effectif)",
            "en": "Estimate every potential (headcount)",
        },
        "view_hit_parade": {"fr": "Hit-parade", "en": "Hit-parade"},
        "view_tiers": {"fr": "Tranches du hit-parade", "en": "Hit-parade tiers"},
        "view_resource_check": {
            "fr": "Contrôle 80-20 des ressources",
            "en": "80-20 resource check",
        },
        "view_relationship": {"fr": "Qualité de la relation", "en": "Relationship quality"},
        "view_relationship_by_segment": {
            "fr": "Relation par segment",
            "en": "Relationship by segment",
        },
        "view_relationship_by_sales_rep": {
            "fr": "Relation par commercial",
            "en": "Relationship by sales rep",
        },
        "view_weak_relationships": {"fr": "Relations fragiles", "en": "Weak relationships"},
    }
)


def balance_explorer(
    agg: Aggregates,
    *,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
    name: str | None = None,
    subtitle: str = "",
) -> Explorer:
    """Pareto/ABC, PMG, concentration, lifecycle, potential matrix, hit-parade, relationship.

    Controls: end of class A and of class B, dependence threshold, PMG thresholds in € (start
    at the revenue quantiles), lifecycle growth g and whether the lifecycle reads the margin,
    the weak relationship threshold, the hit-parade's tiers, yearly resources, their unit,
    allocation and service models, and (when the customer file has a headcount) the spend
    per employee that estimates potentials.
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
        lifecycle_use_margin: bool,
        relationship_alert: float,
        tiers: int,
        resources: float,
        resource_unit: str,
        allocation: str,
        services: str,
        pmg_thresholds: tuple[float, float] | None = None,
        spend_per_employee: float = 0.0,
        estimate_all_potentials: bool = False,
    ) -> View:
        try:
            check_abc_cuts(a_cut, b_cut)  # the sliders keep both within 0 and 1: their order
        except ValueError:
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
            lifecycle_use_margin=lifecycle_use_margin,
            relationship_alert=relationship_alert,
            spend_per_employee=spend_per_employee,
            estimate_all_potentials=estimate_all_potentials,
            tiers=tiers,
            resources=resources,
            resource_unit=resource_unit,
            allocation=allocation,
            services=services.split(";"),
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
            # Without the service column: a new service text redraws no chart.
            "view_hit_parade": Chart(
                plot_hit_parade, study.tiers.drop(columns="service"), {"unit": resource_unit}
            ),
        }
        tables = {
            "view_abc_mix": study.abc_mix,
            "view_pmg_mix": study.pmg_mix,
            "view_concentration": figures_row(study.concentration),
            "view_dependent": study.dependent,
            "view_lifecycle": study.lifecycle.drop(columns="revenue_previous"),
            "view_tiers": study.tiers,
            "view_resource_check": figures_row(study.resources),
            "view_hit_parade": study.hit,
        }
        if study.matrix_cells is not None:
            charts["view_potential_matrix"] = Chart(plot_potential_matrix, study.matrix_cells)
            tables["view_vivier"] = study.vivier
        if study.relationship_bands is not None:
            charts["view_relationship"] = Chart(plot_relationship, study.relationship_bands)
            tables["view_relationship"] = study.relationship_bands
            for column, table in study.relationship_by.items():
                tables[f"view_relationship_by_{column}"] = table
            tables["view_weak_relationships"] = study.weak_relationships
        trends = {"trend": "percent", "margin_trend": "percent"}
        formats = {
            "view_lifecycle": trends,
            "view_vivier": {"gap": "money"},
            # Counts of customers, whatever their name says (export guesses by words).
            "view_tiers": {"high_potential": "integer"},
            "view_resource_check": {"small_high_potential": "integer", "resource_alert": "integer"},
        }
        view = study_view(study, lang, charts, tables, formats=formats)
        view.notes.extend(study.resource_notes)
        return view

    controls: dict[str, w.ValueWidget] = {
        "a_cut": share_slider("a_cut", DEFAULTS["a_cut"], 0.5, 0.95, lang),
        "b_cut": share_slider("b_cut", DEFAULTS["b_cut"], 0.6, 0.99, lang),
        "dependence_alert": share_slider(
            "dependence_alert", DEFAULTS["dependence_alert"], 0.01, 0.5, lang
        ),
        "lifecycle_growth": share_slider(
            "lifecycle_growth", DEFAULTS["lifecycle_growth"], 0.0, 0.5, lang
        ),
        "lifecycle_use_margin": w.Checkbox(
            value=DEFAULTS["lifecycle_use_margin"],
            description=i18n.label("control_lifecycle_use_margin", lang),
            style=STYLE,
        ),
        "relationship_alert": share_slider(
            "relationship_alert", DEFAULTS["relationship_alert"], 0.05, 0.95, lang
        ),
        "tiers": int_slider("tiers", DEFAULTS["hitparade_tiers"], 2, 10, lang),
        "resources": w.BoundedFloatText(
            value=DEFAULTS["hitparade_resources"],
            min=0.0,
            max=1e9,
            step=100.0,
            description=i18n.label("control_resources", lang),
            style=STYLE,
        ),
        "resource_unit": w.Dropdown(
            options=[(i18n.label(unit, lang), unit) for unit in RESOURCE_UNITS],
            value=DEFAULTS["hitparade_unit"],
            description=i18n.label("control_resource_unit", lang),
            style=STYLE,
        ),
        "allocation": w.Dropdown(
            options=[(i18n.label(f"allocation_{key}", lang), key) for key in ALLOCATIONS],
            value=DEFAULTS["hitparade_allocation"],
            description=i18n.label("control_allocation", lang),
            style=STYLE,
        ),
        "services": w.Text(
            value="",
            placeholder=" ; ".join(i18n.label(key, lang) for key in tier_services(2)),
            description=i18n.label("control_services", lang),
            continuous_update=False,
            style=STYLE,
        ),
    }
    if np.isfinite(large_from):  # no buyer: no € scale, the quantile rule (an empty class)
        revenue = first.buyers["revenue"].to_numpy(dtype=float)
        controls["pmg_thresholds"] = euro_range(
            "pmg_thresholds", (medium_from, large_from), revenue, lang
        )
    if "headcount" in agg.customers.columns:
        controls["spend_per_employee"] = amount_box("spend_per_employee", lang)
        controls["estimate_all_potentials"] = w.Checkbox(
            value=False,
            description=i18n.label("control_estimate_all_potentials", lang),
            style=STYLE,
        )
    return explorer(controls, render, name=name or "balance", lang=lang, start=start,
                    subtitle=subtitle, prepared={"totals": totals})  # fmt: skip
