"""Weight of the portfolio: active customers, revenue, margin and potential, over time and by group.

Every function takes the aggregated tables of :func:`portfolio_lib.engine.aggregate.aggregate`; the
activity rule and the periods are those of :mod:`portfolio_lib.metrics.movements` (active at month t:
net revenue > 0 over the ``activity_window`` months ending with t).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import (
    Period,
    _bincount,
    _bincount_by_chunks,
    _grid_key,
    _same_customers,
    _views,
    _window_arrays,
)
from portfolio_lib.i18n import register
from portfolio_lib.metrics.movements import (
    _aligned,
    _churn_of_last_period,
    _counts_of,
    _groups,
    _masked_sum_by_group,
    _month_grid,
    _panel,
    _period_frame,
    _periods,
    _require_attribute,
    _window_panel,
)
from portfolio_lib.runtime import parallel_map

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


def _has_margin(monthly: pd.DataFrame) -> bool:
    return _views(monthly).has_values("margin")  # False without the column too


def _group_period_sums(
    values: np.ndarray, key: np.ndarray, keep: np.ndarray | None, shape: tuple[int, int]
) -> np.ndarray:
    """(periods, groups) sums of a column of the long table (missing values 0), rows keyed
    period x group; ``keep``: the rows on the grid (None: all of them)."""
    weights = values if keep is None else values[keep]
    sums = _bincount_by_chunks(key, weights, shape[0] * shape[1])  # narrow keys: no intp copy
    return np.round(sums, 9).reshape(shape)


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
    grid = _month_grid(months)
    periods = _periods(grid, period)
    panel = _panel(monthly, grid, periods, activity_window)
    group, groups = _groups(customers, by, panel.index, "weight over time")
    n_groups = len(groups)
    # Revenue and margin within each period, straight from the long table.
    views = _views(monthly)
    position = views.positions(grid)
    keep = None if views.on_grid(grid) else position >= 0  # None: all rows
    key = position if keep is None else position[keep]
    if len(periods) < len(grid):  # monthly periods: the positions are the periods
        key = periods.of_month[key]
    if n_groups > 1:  # widened first: positions come in the narrowest integers
        key = (
            key.astype(np.intp) * n_groups + group[panel.rows if keep is None else panel.rows[keep]]
        )
    shape = (len(periods), n_groups)
    names = ["revenue", "margin"] if views.has_values("margin") else ["revenue"]
    sums = parallel_map(  # two columns, two threads
        lambda values: _group_period_sums(values, key, keep, shape),
        [views.values(name) for name in names],  # here: workers must not lock views
    )
    columns: dict[str, np.ndarray] = {
        "active_customers": _counts_of(monthly, panel, group, n_groups)["active_end"],
        "revenue": sums[0],
        "margin": sums[1] if len(sums) > 1 else np.full(shape, np.nan),
        "revenue_window": np.round(panel.trailing_totals(group, n_groups), 9),
    }
    if customers is not None and "potential" in customers:
        potential = _aligned(customers["potential"], customers["customer_id"], panel.index)
        potential = potential.fillna(0).to_numpy(dtype=float)
        columns["potential"] = _masked_sum_by_group(panel.active, potential, group, n_groups)
    return _period_frame(periods, np.arange(len(periods)), by, groups, columns)


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
    _require_attribute(customers, by, "weight by group")
    grid = _month_grid(months)
    last = _window_end(grid, end)
    index, arrays = _window_arrays(monthly, grid, window=window, end=last)
    # Every customer of the log and of the customer table (prospects count for potential).
    ids = customers["customer_id"]
    same = _same_customers(index, ids)
    if same:  # Aggregates: the cached arrays, in the table's order
        totals = {name: arrays[name] for name in ("revenue", "margin")}
    else:
        extra = pd.Index(ids).difference(index)
        frame = pd.DataFrame(arrays, index=index)
        index = index.append(extra) if len(extra) else index
        frame = frame.reindex(index).fillna(0.0)  # customers without a row: nothing
        totals = {name: frame[name].to_numpy() for name in ("revenue", "margin")}
    group, groups = _groups(customers, by, index, "weight by group", same=same)
    n_groups = len(groups)

    def group_sum(values: np.ndarray) -> np.ndarray:  # the cached totals: read-only
        return _bincount(group, weights=values, minlength=n_groups)

    out = pd.DataFrame(
        {
            "customers": np.bincount(group[totals["revenue"] > 0], minlength=n_groups),
            "revenue": np.round(group_sum(totals["revenue"]), 9),
            "margin": group_sum(totals["margin"]) if _has_margin(monthly) else np.nan,
        },
        index=pd.Index(groups, name=by, dtype=object),
    )
    if "potential" in customers:
        potential = _aligned(customers["potential"], ids, index, same=same)
        out["potential"] = group_sum(potential.fillna(0).to_numpy(dtype=float))
    total_customers, total_revenue = out["customers"].sum(), out["revenue"].sum()
    out["customer_share"] = _ratio(out["customers"], total_customers)
    out["revenue_share"] = _ratio(out["revenue"], total_revenue)
    out["margin_rate"] = _ratio(out["margin"], out["revenue"])
    out["revenue_per_customer"] = _ratio(out["revenue"], out["customers"])
    columns = ["customers", "customer_share", "revenue", "revenue_share", "margin"]
    columns += ["margin_rate", "revenue_per_customer"]
    if "potential" in out:
        out["penetration"] = _ratio(out["revenue"], out["potential"], positive=True)
        columns += ["potential", "penetration"]
    # Groups come sorted by name, so ties in revenue keep a readable order.
    out = out[columns].sort_values("revenue", ascending=False, kind="stable")
    return out.reset_index()


def _ratio(numerator: object, denominator: object, *, positive: bool = False) -> object:
    """numerator / denominator, NaN where the denominator is 0 (or <= 0 with ``positive``)."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    valid = denominator > 0 if positive else denominator != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(valid, numerator / np.where(valid, denominator, 1.0), np.nan)
    return out if out.ndim else float(out)


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
    ``activity_window = window``). New and lost customers come from the movements machinery
    of :mod:`portfolio_lib.metrics.movements` with two periods, everything up to the month before
    the window and the window itself, so they match ``movements(period="year")`` when the
    window is a calendar year.

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
    grid = _month_grid(months)
    # The figures of the monthly table are kept with it: the overview and the weight study
    # both show them.
    kpis = dict(
        _views(monthly).get(
            ("headline_kpis", _grid_key(grid), int(window)),
            lambda: _monthly_kpis(monthly, grid, window),
        )
    )
    if customers is not None and "potential" in customers:
        potential = float(customers["potential"].sum())
        kpis["potential"] = potential
        kpis["penetration"] = _ratio(kpis["revenue"], potential, positive=True)
    return pd.Series(kpis, dtype=float, name="value")


def _monthly_kpis(
    monthly: pd.DataFrame, grid: pd.DatetimeIndex, window: int
) -> Mapping[str, float]:
    """The tiles of :func:`headline_kpis` that only need the monthly table."""
    last = len(grid) - 1
    # The window and everything before it as two periods of the movements machinery (the
    # panel of annual_churn): the trailing sums at their ends are the revenue of the window
    # and of the window before.
    split = last - window  # -1 or less: the window starts with the data
    panel = _window_panel(monthly, grid, window, window)
    trailing = panel.trailing()
    revenue = round(float(trailing[-1].sum()), 9)
    active = int(np.count_nonzero(panel.active[-1]))
    # NaN when the window before is not (entirely) in the data.
    complete = split - window + 1 >= 0
    revenue_previous = round(float(trailing[0].sum()), 9) if complete else np.nan
    margin = np.nan
    views = _views(monthly)
    if views.has_values("margin"):
        in_window = views.positions(grid) > max(split, -1)  # -1: off the grid
        margin = round(float(views.values("margin")[in_window].sum()), 9)
    everyone = np.zeros(len(panel.index), dtype=np.int64)  # a single group
    counts = _counts_of(monthly, panel, everyone, 1)
    moves = {name: int(n[-1, 0]) for name, n in counts.items()}
    kpis: dict[str, float] = {
        "active_customers": active,
        "revenue": revenue,
        "revenue_previous": revenue_previous,
        "revenue_growth": (revenue / revenue_previous - 1.0 if revenue_previous > 0 else np.nan),
        "margin": margin,
        "margin_rate": _ratio(margin, revenue),
        "revenue_per_customer": _ratio(revenue, active),
        "new_customers": moves["new"],
        "lost_customers": moves["lost"],
        "churn_rate": float(_churn_of_last_period(counts)[0]),
    }
    return MappingProxyType(kpis)
