"""Cohorts: customers grouped by the period of their first purchase, followed period by period.

A cell is the share of the cohort buying (net revenue > 0) k periods later, and its revenue
against period 0 (docs/definitions.md, Movements). The first purchases and periods are those of
:mod:`portfolio_lib.metrics.movements`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.tables import Period, views
from portfolio_lib.metrics.common import (
    Periods,
    calendar_periods,
    check_monthly,
    customer_codes,
    month_grid,
)
from portfolio_lib.metrics.movements import NOISE, first_periods, first_purchase_positions

__all__ = ["cohort_matrix", "cohort_table"]


def cohort_table(
    monthly: pd.DataFrame,
    *,
    months: Sequence[object],
    period: Period = DEFAULTS["period"],
) -> pd.DataFrame:
    """Cohorts of first purchase followed period by period: share active, revenue retained.

    A customer's cohort is the period of their first purchase month. In the k-th period after
    it (k = 0 is the cohort period itself) a member is *active* when their net revenue
    **within that period** is > 0: period activity, not the trailing ``activity_window``,
    so that monthly curves are not flat for a year.

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    period : {'month', 'quarter', 'year'}, default 'month'

    Returns
    -------
    pandas.DataFrame
        Long format, one row per cohort and observable offset (cohort period + k <= last,
        possibly partial, period): ``cohort`` (first month of the cohort period in the grid),
        ``offset`` (k), ``customers`` (cohort size), ``active`` (members with net revenue > 0
        in period k), ``active_share`` (active / customers), ``revenue`` (the cohort's net
        revenue in period k, credit notes included) and ``revenue_share`` (revenue / cohort
        revenue in period 0; NaN when that is <= 0). Customers without a purchase (prospects,
        credit notes only) belong to no cohort.
    """
    grid = month_grid(months)
    check_monthly(monthly)
    periods = calendar_periods(grid, period)
    cached = views(monthly)
    codes, index = customer_codes(monthly)
    first = first_purchase_positions(monthly, grid, codes, len(index))
    # Cohort + 1 of every customer, 0 for customers in no cohort (dropped after counting).
    slot = first_periods(cached, grid, periods, first)[0] + 1
    n_periods = len(periods)
    size = np.bincount(slot, minlength=n_periods + 1)[1:]
    active, revenue = _cohort_cells(monthly, grid, periods, codes, slot)
    cohort_of, period_of = np.nonzero(
        (np.arange(n_periods)[None, :] >= np.arange(n_periods)[:, None]) & (size[:, None] > 0)
    )
    start_revenue = revenue[cohort_of, cohort_of]
    cell_revenue = np.round(revenue[cohort_of, period_of], 9)
    with np.errstate(divide="ignore", invalid="ignore"):
        revenue_share = np.where(start_revenue > 0, cell_revenue / start_revenue, np.nan)
    return pd.DataFrame(
        {
            "cohort": periods.start_months[cohort_of],
            "offset": (period_of - cohort_of).astype(np.int64),
            "customers": size[cohort_of].astype(np.int64),
            "active": active[cohort_of, period_of].astype(np.int64),
            "active_share": active[cohort_of, period_of] / size[cohort_of],
            "revenue": cell_revenue,
            "revenue_share": revenue_share,
        }
    )


def cohort_matrix(cohorts: pd.DataFrame, *, value: str = "active_share") -> pd.DataFrame:
    """Pivot :func:`cohort_table` into the classic triangle: cohorts x periods since.

    Parameters
    ----------
    cohorts : pandas.DataFrame
        Output of :func:`cohort_table`.
    value : str, default 'active_share'
        Column shown in the cells ('active_share', 'revenue_share', 'active', 'revenue').

    Returns
    -------
    pandas.DataFrame
        Index ``cohort``, columns ``offset`` (0, 1, ...), NaN where not yet observable.
    """
    if value not in cohorts or value in ("cohort", "offset"):
        choices = [c for c in cohorts.columns if c not in ("cohort", "offset")]
        raise ValueError(f"value must be one of {choices}, got {value!r}")
    return cohorts.pivot(index="cohort", columns="offset", values=value)


def _cohort_cells(
    monthly: pd.DataFrame,
    months: pd.DatetimeIndex,
    periods: Periods,
    codes: np.ndarray,
    slot: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Active members and net revenue per cohort (rows) and absolute period (columns).

    ``slot`` is each customer's cohort + 1 (0: no cohort). A member is active in a period
    when their net revenue within it is > ``NOISE``.
    """
    n_periods = len(periods)
    shape = (n_periods + 1, n_periods)  # slot 0 (no cohort) is dropped at the end
    cached = views(monthly)
    if not cached.sorted_cells():
        by_period = _customer_period_sums(monthly, months, periods, codes, len(slot), "revenue")
        active, revenue = np.zeros(shape), np.zeros(shape)
        for p, row in enumerate(by_period):  # absolute period p; a loop over periods only
            active[:, p] = np.bincount(slot, weights=row > NOISE, minlength=n_periods + 1)
            revenue[:, p] = np.bincount(slot, weights=row, minlength=n_periods + 1)
        return active[1:], revenue[1:]
    # Rows run by customer then month: each customer's rows of one period are consecutive, so
    # their sum is a bincount over runs, and the cells add those sums in customer order (as
    # the dense customer x period matrix's bincounts, without that matrix).
    period, customer, sums = cached.positions(months), codes, cached.values("revenue")
    if not cached.on_grid(months):
        inside = period >= 0
        period, customer, sums = period[inside], customer[inside], sums[inside]
    active = np.zeros(shape[0] * shape[1], dtype=np.int64)
    revenue = np.zeros(shape[0] * shape[1])
    if len(period) and n_periods < len(months):  # several months per period: sum the runs
        period = periods.of_month[period]
        new_run = np.ones(len(period), dtype=bool)
        new_run[1:] = (period[1:] != period[:-1]) | (customer[1:] != customer[:-1])
        sums = np.bincount(np.cumsum(new_run) - 1, weights=sums)  # each run's rows, in order
        start = np.flatnonzero(new_run)
        customer, period = customer[start], period[start]
    cell = slot[customer].astype(np.intp) * n_periods + period
    active += np.bincount(cell[sums > NOISE], minlength=len(active))
    revenue += np.bincount(cell, weights=sums, minlength=len(revenue))
    return active.reshape(shape)[1:].astype(float), revenue.reshape(shape)[1:]


def _customer_period_sums(
    monthly: pd.DataFrame,
    months: pd.DatetimeIndex,
    periods: Periods,
    codes: np.ndarray,
    n_customers: int,
    value: str,
) -> np.ndarray:
    """Period x customer sums of ``value`` straight from the long table (months in the grid).

    Not rounded: compare with ``> NOISE`` rather than ``> 0``.
    """
    position = months.get_indexer(monthly["month"].to_numpy(dtype="datetime64[ns]"))
    keep = position >= 0
    key = periods.of_month[position[keep]] * n_customers + codes[keep].astype(np.int64)
    sums = np.bincount(
        key, weights=monthly[value].fillna(0).to_numpy()[keep], minlength=n_customers * len(periods)
    )
    return sums.reshape(len(periods), n_customers)
