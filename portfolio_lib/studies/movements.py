"""02 movements: new, reactivated, retained and lost customers, revenue bridge, net and gross
revenue retention, cohorts."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.engine.tables import Period
from portfolio_lib.metrics.cohorts import cohort_matrix, cohort_table
from portfolio_lib.metrics.movements import movements, revenue_bridge
from portfolio_lib.metrics.retention import (
    cohort_revenue_retention,
    retention_matrix,
    revenue_retention,
)
from portfolio_lib.studies.base import StudyNote, StudyResult, attempt

__all__ = ["MovementsStudy", "movements_study"]

_BRIDGE_PERIOD: Period = DEFAULTS["bridge_period"]
_COHORT_PERIOD: Period = DEFAULTS["cohort_period"]


@dataclass(frozen=True, eq=False, repr=False)
class MovementsStudy(StudyResult):
    """Movements of the portfolio (notebook 02).

    Attributes
    ----------
    movements : pandas.DataFrame
        :func:`portfolio_lib.metrics.movements.movements` per ``period``.
    bridge : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.movements.revenue_bridge` per ``bridge_period``; None (and a
        note) when the data hold a single period end.
    cohorts : pandas.DataFrame
        :func:`portfolio_lib.metrics.movements.cohort_table` per ``cohort_period``.
    cohort_active, cohort_revenue : pandas.DataFrame
        Its triangles of active share and revenue share (:func:`cohort_matrix`).
    notes : tuple
    retention : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.retention.revenue_retention` of ``bridge`` (NRR, GRR per
        period); None without a bridge.
    cohort_retention : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.retention.cohort_revenue_retention` by ``bridge_period``
        (NRR, GRR per acquisition cohort and period); None without a bridge.
    cohort_nrr : pandas.DataFrame or None
        Its matrix of NRR, cohorts x periods since (:func:`retention_matrix`).
    """

    movements: pd.DataFrame
    bridge: pd.DataFrame | None
    cohorts: pd.DataFrame
    cohort_active: pd.DataFrame
    cohort_revenue: pd.DataFrame
    notes: tuple[StudyNote, ...] = ()
    retention: pd.DataFrame | None = None
    cohort_retention: pd.DataFrame | None = None
    cohort_nrr: pd.DataFrame | None = None


def movements_study(
    agg: Aggregates,
    *,
    period: Period = DEFAULTS["period"],
    activity_window: int = DEFAULTS["activity_window"],
    bridge_period: Period = _BRIDGE_PERIOD,
    cohort_period: Period = _COHORT_PERIOD,
) -> MovementsStudy:
    """New, reactivated, retained and lost customers, revenue bridge and cohorts.

    Parameters
    ----------
    agg : Aggregates
    period : {'month', 'quarter', 'year'}, default 'month'
        Periods of the movements and churn.
    activity_window : int, default 12
        Months of trailing revenue that make a customer active (and of the bridge windows).
    bridge_period : {'month', 'quarter', 'year'}, default 'year'
        Spacing of the period ends the revenue bridge compares.
    cohort_period : {'month', 'quarter', 'year'}, default 'quarter'
        Cohorts of first purchase.

    Returns
    -------
    MovementsStudy
    """
    notes: list[StudyNote] = []
    moves = movements(
        agg.monthly, months=agg.months, period=period, activity_window=activity_window
    )
    # Needs two period ends: history_too_short with a single one (4 months by year).
    bridge = attempt(
        notes,
        lambda: revenue_bridge(
            agg.monthly, months=agg.months, period=bridge_period, window=activity_window
        ),
    )
    cohorts = cohort_table(agg.monthly, months=agg.months, period=cohort_period)
    retention = by_cohort = None
    if bridge is not None:
        retention = revenue_retention(bridge)
        by_cohort = cohort_revenue_retention(
            agg.monthly, agg.customers, months=agg.months, period=bridge_period,
            window=activity_window,
        )  # fmt: skip
    return MovementsStudy(
        movements=moves,
        bridge=bridge,
        cohorts=cohorts,
        cohort_active=cohort_matrix(cohorts, value="active_share"),
        cohort_revenue=cohort_matrix(cohorts, value="revenue_share"),
        notes=tuple(notes),
        retention=retention,
        cohort_retention=by_cohort,
        cohort_nrr=None if by_cohort is None else retention_matrix(by_cohort, value="nrr"),
    )
