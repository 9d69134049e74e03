"""Explorers of the portfolio's value (issue 14): break-even, customer equity, clientele price,
ideal customer profile, and the sales rep's portfolio document.

Wired like the explorers of :mod:`portfolio_lib.ui.widgets` (which re-exports them): what does
not depend on the controls is prepared once, the render function calls a study and returns a
:class:`~portfolio_lib.ui.explorer.View`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as w
import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.plots.value import plot_break_even, plot_profile_lift
from portfolio_lib.studies.base import customer_totals
from portfolio_lib.studies.portfolio import RANK_COLUMNS, rank_portfolio, rep_portfolio_study
from portfolio_lib.studies.value import VALUE_FORMATS, profile_traits, value_study
from portfolio_lib.ui.controls import STYLE, amount_box, share_slider
from portfolio_lib.ui.explorer import Chart, Explorer, View, explorer

__all__ = ["rep_portfolio_explorer", "value_explorer"]

i18n.register(
    {
        "view_break_even": {"fr": "Point mort", "en": "Break-even"},
        "view_equity": {"fr": "Capital client", "en": "Customer equity"},
        "view_equity_by_sales_rep": {
            "fr": "Capital client par commercial",
            "en": "Customer equity by sales rep",
        },
        "view_equity_by_segment": {
            "fr": "Capital client par segment",
            "en": "Customer equity by segment",
        },
        "view_equity_by_tier": {
            "fr": "Capital client par tranche",
            "en": "Customer equity by tier",
        },
        "view_clientele_price": {"fr": "Prix de la clientèle", "en": "Clientele price"},
        "view_profile": {"fr": "Profil du client idéal", "en": "Ideal customer profile"},
        "control_w_r": {"fr": "Poids R (récence)", "en": "R weight (recency)"},
        "control_w_f": {"fr": "Poids F (fréquence)", "en": "F weight (frequency)"},
        "control_w_m": {"fr": "Poids M (montant)", "en": "M weight (monetary)"},
        "control_fixed_charges": {
            "fr": "Charges fixes annuelles (€)",
            "en": "Yearly fixed charges (€)",
        },
        "control_small_customers_share": {
            "fr": "Part des clients comptés petits",
            "en": "Share of customers counted small",
        },
        "control_price_rates": {
            "fr": "Prix de la clientèle (% de la base)",
            "en": "Clientele price (% of the base)",
        },
        "control_profile_top": {"fr": "Meilleurs clients", "en": "Best customers"},
    }
)


def value_explorer(
    agg: Aggregates,
    *,
    predicted: pd.DataFrame | None = None,
    tiers: pd.DataFrame | None = None,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
    name: str | None = None,
    subtitle: str = "",
) -> Explorer:
    """Break-even, customer equity, clientele price and ideal customer profile.

    ``predicted`` (``clv_study(...).predicted``) makes the equity predictive; without it the
    simple formula is used. ``tiers`` (``customer_id``, ``tier``) adds the equity by tier.
    Controls: yearly fixed charges, share of customers counted small, the clientele price's
    percentage range and who the best customers are (ABC class A or top CLV).
    """
    window = DEFAULTS["activity_window"]
    totals = customer_totals(agg, window=window)
    traits = profile_traits(agg, totals)  # kept between changes
    memo: dict[object, object] = {}  # ranking, equity and profile: what the controls leave

    def render(
        fixed_charges: float,
        small_customers_share: float,
        price_rates: tuple[float, float],
        profile_top: str,
    ) -> View:
        study = value_study(
            agg,
            predicted=predicted,
            tiers=tiers,
            fixed_charges=fixed_charges,
            small_customers_share=small_customers_share,
            price_rates=tuple(price_rates),
            profile_top=profile_top,
            activity_window=window,
            totals=totals,
            traits=traits,
            memo=memo,
        )
        options = {"fixed_charges": fixed_charges, "value": study.break_even_value}
        charts: dict[str, Chart] = {
            "view_break_even": Chart(plot_break_even, study.ranked, options),
            "view_profile": Chart(plot_profile_lift, study.profile, {"top": study.profile_top}),
        }
        tables = {"view_break_even": study.break_even_row, "view_clientele_price": study.price}
        if study.equity is not None:
            tables["view_equity"] = study.equity
        tables.update({f"view_equity_by_{by}": table for by, table in study.equity_by.items()})
        tables["view_profile"] = study.profile
        formats = {
            f"view_{key}": VALUE_FORMATS[name]
            for key, name in (("break_even", "break_even"), ("clientele_price", "price"),
                              ("profile", "profile"))
        }  # fmt: skip
        return View(charts=charts, tables=tables, notes=list(study.notes), formats=formats)

    low, high = DEFAULTS["clientele_price_range"]
    controls: dict[str, w.ValueWidget] = {
        "fixed_charges": amount_box("fixed_charges", lang),
        "small_customers_share": share_slider(
            "small_customers_share", DEFAULTS["small_customers_share"], 0.5, 0.95, lang
        ),
        "price_rates": w.FloatRangeSlider(
            value=(low, high),
            min=0.0,
            max=0.20,
            step=0.005,
            readout_format=".1%",
            description=i18n.label("control_price_rates", lang),
            continuous_update=False,
            style=STYLE,
            layout=w.Layout(width="520px"),
        ),  # fmt: skip
        "profile_top": w.Dropdown(
            options=[(i18n.label(f"profile_top_{key}", lang), key) for key in ("abc", "clv")],
            value=DEFAULTS["profile_top"],
            description=i18n.label("control_profile_top", lang),
            style=STYLE,
        ),
    }
    prepared = {"totals": totals, "traits": traits, "memo": memo}
    return explorer(controls, render, name=name or "value", lang=lang, start=start,
                    subtitle=subtitle, prepared=prepared)  # fmt: skip


def rep_portfolio_explorer(
    agg: Aggregates,
    *,
    transactions: pd.DataFrame | None = None,
    tiers: pd.DataFrame | None = None,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
    name: str | None = None,
    subtitle: str = "",
) -> Explorer:
    """The sales rep's portfolio document: their active customers classed and ranked.

    The classes (ABC, PMG, lifecycle, RFM, tier) are computed once; the controls only filter
    and rank. Controls: sales rep (or all: one Excel sheet per rep), rank by (revenue,
    margin, orders, quantity when present, a product family's revenue) and, when
    ``transactions`` (the canonical log) has product families, the family.
    """
    families: list[str] = []
    if transactions is not None and "product" in transactions.columns:
        families = sorted(transactions["product"].dropna().astype(str).unique())
    studies: dict[str, Any] = {}

    def study_for(family: str) -> Any:
        if family not in studies:  # classes computed once per family
            studies[family] = rep_portfolio_study(
                agg, tiers=tiers, transactions=transactions, family=family or None
            )
        return studies[family]

    def render(rank_by: str, sales_rep: str = "", family: str = "") -> View:
        study = study_for(family if rank_by == "family_revenue" else "")
        if sales_rep:  # one rep: filter, then rank their rows only
            rows = study.table[study.table["sales_rep"].to_numpy() == sales_rep]
            tables = {str(sales_rep): rank_portfolio(rows, rank_by=rank_by)}
        else:
            table = rank_portfolio(study.table, rank_by=rank_by)
            tables = {"rep_summary": study.by_rep}
            tables.update(
                {
                    str(rep): rows
                    for rep, rows in table.groupby("sales_rep", sort=True, observed=True)
                }
            )
        formats = dict.fromkeys(tables, {"revenue_share_company": "percent",
                                         "penetration": "percent"})  # fmt: skip
        return View(tables=tables, notes=list(study.notes), formats=formats)

    first = study_for("")
    columns = [c for c in RANK_COLUMNS if c in first.table.columns or
               (c == "family_revenue" and families)]  # fmt: skip
    controls: dict[str, w.ValueWidget] = {
        "rank_by": w.Dropdown(
            options=[(i18n.label(c, lang), c) for c in columns],
            value="revenue",
            description=i18n.label("control_rank_by", lang),
            style=STYLE,
        )
    }
    reps = sorted(first.table["sales_rep"].unique())
    controls["sales_rep"] = w.Dropdown(
        options=[(i18n.label("all", lang), ""), *[(rep, rep) for rep in reps]],
        value="",
        description=i18n.label("control_sales_rep", lang),
        style=STYLE,
    )
    if families:
        controls["family"] = w.Dropdown(
            options=families, value=families[0], description=i18n.label("control_family", lang),
            style=STYLE,
        )  # fmt: skip
    return explorer(controls, render, name=name or "portfolio", lang=lang, start=start,
                    subtitle=subtitle, prepared={"studies": studies})  # fmt: skip
