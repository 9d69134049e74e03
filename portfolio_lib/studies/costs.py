"""03 costs: CAC, CRC and payback per period and per year, CAC by channel, LTV and LTV/CAC."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.engine.tables import Period
from portfolio_lib.metrics.costs import acquisition_costs, cost_summaries, ltv_to_cac
from portfolio_lib.studies.base import (
    StudyNote,
    StudyResult,
    annual_churn_or_note,
    attempt,
    portfolio_simple_clv,
)

__all__ = ["CostsStudy", "costs_study"]


@dataclass(frozen=True, eq=False, repr=False)
class CostsStudy(StudyResult):
    """Acquisition and retention costs (notebook 03), on the whole portfolio.

    Attributes
    ----------
    summary : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.costs.cost_summary` per ``period`` (CAC, CRC, payback); None
        without cost table nor budget.
    yearly : pandas.DataFrame or None
        The same per year.
    channel_costs : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.costs.acquisition_costs` per year and channel (only with a cost
        table, and a customer table with ``acquisition_channel``).
    annual_churn : float or None
        Churn of the last 12 months (:func:`portfolio_lib.metrics.movements.annual_churn`); None
        (and a note) with less than 13 months of history or nobody active a year ago.
    clv : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.clv.simple_clv` of the whole portfolio (row ``"total"``).
    ltv : float or None
        Its CLV, the LTV.
    ltv_to_cac : float or None
        LTV over the CAC of the last year.
    notes : tuple
    """

    summary: pd.DataFrame | None
    yearly: pd.DataFrame | None
    channel_costs: pd.DataFrame | None
    annual_churn: float | None
    clv: pd.DataFrame | None
    ltv: float | None
    ltv_to_cac: float | None
    notes: tuple[StudyNote, ...] = ()


def costs_study(
    full_agg: Aggregates,
    costs: pd.DataFrame | None,
    *,
    period: Period = DEFAULTS["period"],
    activity_window: int = DEFAULTS["activity_window"],
    acquisition_budget: float | None = None,
    retention_budget: float | None = None,
    payback_horizon_months: int = DEFAULTS["payback_horizon_months"],
) -> CostsStudy:
    """CAC, CRC, CAC payback per period and per year, CAC by channel, LTV and LTV/CAC.

    Spend is company-wide: pass the whole portfolio (``Prepared.full``), not a filtered one.

    Parameters
    ----------
    full_agg : Aggregates
        The unfiltered portfolio.
    costs : pandas.DataFrame or None
        Canonical cost table (:func:`portfolio_lib.data.load.load_costs`); None to use the budgets.
    period : {'month', 'quarter', 'year'}, default 'month'
    activity_window : int, default 12
        Months of trailing revenue that make a customer active (retained customers, CRC).
    acquisition_budget, retention_budget : float, optional
        € per month, used only without a cost table; None or 0 for none.
    payback_horizon_months : int, default 12
        Months of margin after the first purchase counted for the CAC payback.

    Returns
    -------
    CostsStudy
    """
    agg = full_agg
    notes: list[StudyNote] = []
    options = {
        "months": agg.months,
        "activity_window": activity_window,
        "acquisition_budget": acquisition_budget or None,
        "retention_budget": retention_budget or None,
        "horizon_months": payback_horizon_months,
    }
    # Both tables from one call: the first purchases and payback margins are shared.
    tables = attempt(
        notes,
        lambda: cost_summaries(
            costs, agg.monthly, agg.customers, periods=(period, "year"), **options
        ),
    )
    summary = yearly = None
    if tables is not None:
        summary, yearly = tables[period], tables["year"]
        if period == "year":  # one table, two attributes: distinct objects, as before
            yearly = yearly.copy()
    channel_costs = None
    if costs is not None:  # budgets have no channel
        channel_costs = attempt(
            notes,
            lambda: acquisition_costs(
                costs, agg.customers, months=agg.months, period="year", by_channel=True
            ),
        )
    # LTV = simple CLV, whose expected lifetime is 1 / the annual churn (the last 12 months).
    churn = annual_churn_or_note(agg, activity_window, notes)
    clv = ltv = ratio = None
    if churn is not None:
        clv = portfolio_simple_clv(
            agg, DEFAULTS["activity_window"], churn, DEFAULTS["clv_max_lifetime_years"]
        )
        ltv = float(clv.loc["total", "clv"])
        if yearly is not None:
            ratio = ltv_to_cac(ltv, yearly["cac"].iloc[-1])
    return CostsStudy(
        summary=summary,
        yearly=yearly,
        channel_costs=channel_costs,
        annual_churn=churn,
        clv=clv,
        ltv=ltv,
        ltv_to_cac=ratio,
        notes=tuple(notes),
    )
