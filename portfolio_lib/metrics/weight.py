"""Weight of the portfolio: active customers, revenue, margin and potential, over time and by group.

Every function takes the aggregated tables of :func:`portfolio_lib.engine.aggregate.aggregate`; the
activity rule and the periods are those of :mod:`portfolio_lib.metrics.movements` (active at month t:
net revenue > 0 over the ``activity_window`` months ending with t).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.tables import Period, same_customers, views, window_arrays
from portfolio_lib.i18n import register
from portfolio_lib.metrics.common import (
    aligned,
    calendar_periods,
    customer_groups,
    month_grid,
    period_frame,
    ratio,
    require_attribute,
)
from portfolio_lib.metrics.movements import (
    activity_panel,
    movements,
    window_movements,
)

__all__ = ["headline_kpis", "weight_by", "weight_over_time"]

register(
    {
        "active_customers": {"fr": "Clients actifs", "en": "Active customers"},
        "revenue_window": {"fr": "CA glissant", "en": "Trailing revenue"},
        "customer_share": {"fr": "Part des clients", "en": "Customer share"},
        "margin_rate": {"fr": "Taux de marge", "en": "Margin rate"},
        "revenue_per_customer": {"fr": "CA par client actif", "en": "Revenue per active customer"},
        "penetration": {"fr": "Taux de pénétration", "en": "Penetration"},
        "revenue_previous": {"fr": "CA période précédente", "en": "Revenue, previous window"},
        "revenue_growth": {"fr": "Croissance du CA", "en": "Revenue growth"},
        "new_customers": {"fr": "Nouveaux clients", "en": "New customers"},
        "lost_customers": {"fr": "Clients perdus", "en": "Lost customers"},
    }
)


def weight_over_time(
    monthly: pd.DataFrame,
    *,
    months: Sequence[object],
    customers: pd.DataFrame | None = None,
    by: str | None = None,
    period: Period = DEFAULTS["period"],
    activity_window: int = DEFAULTS["activity_window"],
) -> pd.DataFrame:
    """Active customers, revenue, margin and potential per period (and group).

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    customers : pandas.DataFrame, optional
        ``Aggregates.customers``: gives the ``by`` column and ``potential``.
    by : str, optional
        Customer attribute to split by; customers without a value go to ``'unknown'``.
    period : {'month', 'quarter', 'year'}, default 'month'
    activity_window : int, default 12
        Months of trailing net revenue that make a customer active.

    Returns
    -------
    pandas.DataFrame
        One row per period (and group): ``period_start``, ``period_end``, ``period``,
        [``by``], ``active_customers`` (active at the period end), ``revenue`` and ``margin``
        (net, *within* the period; margin NaN when the log has none), ``revenue_window``
        (trailing ``activity_window``-month net revenue at the period end, all customers) and,
        when ``customers`` has a ``potential`` column, ``potential`` (sum over the customers
        active at the period end).

    Raises
    ------
    PortfolioDataError
        ``missing_attribute`` when ``by`` is not a column of ``customers``.
    """
    grid = month_grid(months)
    periods = calendar_periods(grid, period)
    panel = activity_panel(monthly, grid, periods, activity_window)
    group, groups = customer_groups(customers, by, panel.index, "weight over time")
    n_groups = len(groups)
    shape = (len(periods), n_groups)
    # Revenue and margin within each period, straight from the long table: each row keyed by
    # its period (and group), in the positions' narrow integers when there is one group.
    cached = views(monthly)
    position = cached.positions(grid)
    rows = slice(None) if cached.on_grid(grid) else position >= 0
    key = position[rows]
    if len(periods) < len(grid):  # else the positions are the periods
        key = periods.of_month.astype(position.dtype)[key]
    if n_groups > 1:
        key = key.astype(np.intp) * n_groups + group[panel.rows[rows]]

    def period_sums(column: str) -> np.ndarray:
        values = cached.values(column)[rows]
        return np.round(np.bincount(key, weights=values, minlength=shape[0] * shape[1]), 9)

    has_margin = cached.has_values("margin")
    moves = movements(
        monthly,
        months=grid,
        period=period,
        activity_window=activity_window,
        customers=customers,
        by=by,
    )
    columns: dict[str, np.ndarray] = {
        "active_customers": moves["active_end"].to_numpy(),
        "revenue": period_sums("revenue"),
        "margin": period_sums("margin") if has_margin else np.full(shape, np.nan),
        "revenue_window": np.round(panel.trailing_totals(group, n_groups), 9),
    }
    if customers is not None and "potential" in customers:
        potential = aligned(customers["potential"], customers["customer_id"], panel.index)
        potential = potential.fillna(0).to_numpy(dtype=float)
        columns["potential"] = _active_sums(panel.active, potential, group, n_groups)
    return period_frame(periods, np.arange(len(periods)), by, groups, columns)


def _active_sums(
    active: np.ndarray, values: np.ndarray, group: np.ndarray, n_groups: int
) -> np.ndarray:
    """Per period (rows of ``active``) and group, the sum of ``values`` over the customers
    active at the period end: the sum of the period before, plus the values of the customers
    who became active, minus those of the customers who stopped (activity moves slowly: a
    few percent of the customers change from one period to the next)."""
    out = np.zeros((len(active), n_groups))
    before = np.zeros(active.shape[1], dtype=bool)
    for period, row in enumerate(active):
        moved = np.flatnonzero(row != before)
        signed = np.where(row[moved], values[moved], -values[moved])
        change = np.bincount(group[moved], weights=signed, minlength=n_groups)
        out[period] = (out[period - 1] if period else 0.0) + change
        before = row
    return out + 0.0  # no -0.0


def _window_end(months: pd.DatetimeIndex, end: object) -> pd.Timestamp:
    if end is None:
        return months[-1]
    month = pd.Timestamp(end).to_period("M").to_timestamp()
    if month < months[0] or month > months[-1]:
        raise ValueError(
            f"end {pd.Timestamp(end):%Y-%m-%d} is outside the data "
            f"({months[0]:%Y-%m} to {months[-1]:%Y-%m}): choose a month in between"
        )
    return month


def weight_by(
    monthly: pd.DataFrame,
    *,
    months: Sequence[object],
    customers: pd.DataFrame,
    by: str,
    window: int = DEFAULTS["activity_window"],
    end: object = None,
) -> pd.DataFrame:
    """Weight of each group (sales rep, segment, region...) over the window ending at ``end``.

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    customers : pandas.DataFrame
        ``Aggregates.customers`` (with the ``by`` column, and ``potential`` if known).
    by : str
        Customer attribute; customers without a value (or not in ``customers``) go to
        ``'unknown'``.
    window : int, default 12
        Months of the window; a customer is active when their net revenue over it is > 0.
    end : date-like, optional
        Last month of the window (any day in it), default the last month of the grid.

    Returns
    -------
    pandas.DataFrame
        One row per group (every group of the customer table, prospects-only groups too),
        sorted by revenue, largest first, no total row: [``by``], ``customers`` (active in the
        window), ``customer_share`` (of all active customers), ``revenue`` (net revenue of
        all the group's customers over the window), ``revenue_share``, ``margin`` (NaN
        without margin in the log), ``margin_rate`` (margin / revenue), ``revenue_per_customer``
        (revenue / active customers) and, when ``customers`` has ``potential``,
        ``potential`` (sum over all the group's customers, prospects included) and
        ``penetration`` (revenue / potential). Ratios with a zero (or negative potential)
        denominator are NaN.

    Raises
    ------
    PortfolioDataError
        ``missing_attribute`` when ``by`` is not a column of ``customers``.
    """
    require_attribute(customers, by, "weight by group")
    grid = month_grid(months)
    last = _window_end(grid, end)
    index, arrays = window_arrays(monthly, grid, window=window, end=last)
    # Every customer of the log and of the customer table (prospects count for potential).
    ids = customers["customer_id"]
    same = same_customers(index, ids)
    if same:  # Aggregates: the cached arrays, in the table's order
        totals = {name: arrays[name] for name in ("revenue", "margin")}
    else:
        extra = pd.Index(ids).difference(index)
        frame = pd.DataFrame(arrays, index=index)
        index = index.append(extra) if len(extra) else index
        frame = frame.reindex(index).fillna(0.0)  # customers without a row: nothing
        totals = {name: frame[name].to_numpy() for name in ("revenue", "margin")}
    group, groups = customer_groups(customers, by, index, "weight by group", same=same)
    n_groups = len(groups)

    def group_sum(values: np.ndarray) -> np.ndarray:  # the cached totals: read-only
        return np.bincount(group, weights=values, minlength=n_groups)

    out = pd.DataFrame(
        {
            "customers": np.bincount(group[totals["revenue"] > 0], minlength=n_groups),
            "revenue": np.round(group_sum(totals["revenue"]), 9),
            "margin": group_sum(totals["margin"])
            if views(monthly).has_values("margin")
            else np.nan,
        },
        index=pd.Index(groups, name=by, dtype=object),
    )
    if "potential" in customers:
        potential = aligned(customers["potential"], ids, index, same=same)
        out["potential"] = group_sum(potential.fillna(0).to_numpy(dtype=float))
    total_customers, total_revenue = out["customers"].sum(), out["revenue"].sum()
    out["customer_share"] = ratio(out["customers"], total_customers)
    out["revenue_share"] = ratio(out["revenue"], total_revenue)
    out["margin_rate"] = ratio(out["margin"], out["revenue"])
    out["revenue_per_customer"] = ratio(out["revenue"], out["customers"])
    columns = ["customers", "customer_share", "revenue", "revenue_share", "margin"]
    columns += ["margin_rate", "revenue_per_customer"]
    if "potential" in out:
        out["penetration"] = ratio(out["revenue"], out["potential"], positive=True)
        columns += ["potential", "penetration"]
    # Groups come sorted by name, so ties in revenue keep a readable order.
    out = out[columns].sort_values("revenue", ascending=False, kind="stable")
    return out.reset_index()


def headline_kpis(
    monthly: pd.DataFrame,
    *,
    months: Sequence[object],
    customers: pd.DataFrame | None = None,
    window: int = DEFAULTS["activity_window"],
) -> pd.Series:
    """The overview tiles: active customers, revenue and growth, margin, churn, penetration.

    The "window" is the last ``window`` months of the grid (ending with ``as_of``'s month);
    a customer is active when their net revenue over it is > 0 (activity rule with
    ``activity_window = window``). Active, new and lost customers and the churn are
    :func:`portfolio_lib.metrics.movements.window_movements` of the window (the function
    :func:`portfolio_lib.metrics.movements.annual_churn` is built on: the same rate for a
    12-month window); the revenue is the trailing revenue of the last month (as
    ``revenue_window`` of :func:`weight_over_time`), the margin the sum of
    :func:`portfolio_lib.engine.tables.window_totals`.

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    customers : pandas.DataFrame, optional
        ``Aggregates.customers``, for ``potential``.
    window : int, default 12
        Months of the window.

    Returns
    -------
    pandas.Series
        ``active_customers``, ``revenue`` (net, last window), ``revenue_previous`` (the
        window before; NaN when the data do not cover it entirely), ``revenue_growth``
        (revenue / revenue_previous - 1; NaN when revenue_previous is missing or <= 0),
        ``margin`` (NaN without margin), ``margin_rate``, ``revenue_per_customer``,
        ``new_customers`` and ``lost_customers`` (the movements of the window taken as one
        period: first purchase in it and active at its end; active at its start and not at
        its end), ``churn_rate`` (lost / active at the start of the window, i.e. at the
        month before it; NaN when nobody was: with the default 12-month window, the
        :func:`portfolio_lib.metrics.movements.annual_churn` of the portfolio), and when
        ``customers`` has ``potential``: ``potential`` (all customers, prospects included)
        and ``penetration`` (revenue / potential).
    """
    grid = month_grid(months)
    moves = window_movements(monthly, months=grid, window=window, activity_window=window)
    # The window's revenue: the trailing revenue of the last month (the activity rule's sums,
    # as weight_over_time's revenue_window); the window before: that of its last month.
    trailing = views(monthly).panel(grid, window).totals
    revenue = round(float(trailing[-1]), 9)
    split = len(grid) - 1 - window  # the month before the window (-1 or less: none)
    complete = split - window + 1 >= 0  # the window before is entirely in the data
    revenue_previous = round(float(trailing[split]), 9) if complete else np.nan
    margin = np.nan
    if views(monthly).has_values("margin"):
        _, totals = window_arrays(monthly, grid, window=window)
        margin = round(float(totals["margin"].sum()), 9)
    active = int(moves["active_end"].iloc[0])
    kpis: dict[str, float] = {
        "active_customers": active,
        "revenue": revenue,
        "revenue_previous": revenue_previous,
        "revenue_growth": (revenue / revenue_previous - 1.0 if revenue_previous > 0 else np.nan),
        "margin": margin,
        "margin_rate": ratio(margin, revenue),
        "revenue_per_customer": ratio(revenue, active),
        "new_customers": int(moves["new"].iloc[0]),
        "lost_customers": int(moves["lost"].iloc[0]),
        "churn_rate": float(moves["churn_rate"].iloc[0]),
    }
    if customers is not None and "potential" in customers:
        potential = float(customers["potential"].sum())
        kpis["potential"] = potential
        kpis["penetration"] = ratio(revenue, potential, positive=True)
    return pd.Series(kpis, dtype=float, name="value")
