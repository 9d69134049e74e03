"""Portfolio movements: new, reactivated, retained and lost customers, revenue bridge, cohorts.

Every function takes the aggregated tables of :func:`portfolio_lib.engine.aggregate.aggregate`
(``monthly`` and the month grid ``months``), never the raw log, and works on the dense
customer x month matrix with numpy, so a million customers over three years stay fast.

Definitions (DESIGN.md, completed here; every function of this module uses them)
--------------------------------------------------------------------------------
- **First purchase month** of a customer: the first month of ``monthly`` with ``orders > 0``
  (orders count positive-amount invoices, so this is the month of
  ``Aggregates.customers.first_purchase``). Customers with only credit notes have none.
- **Active at month t**: net revenue > 0 over the ``activity_window`` months ending with t
  (:func:`portfolio_lib.engine.tables.active_matrix`). Nobody is active before the first month of
  the grid: the log starts there.
- **Periods** (month, quarter, year) end at :func:`portfolio_lib.engine.tables.period_ends`; a
  period runs from the month after the previous period end (the first month of the grid for
  the first period, so a partial first quarter or year starts at the data start) to its end.
  The last period may be partial (it ends at ``as_of``'s month).
- **Active at start** of a period = active at the end of the previous period.
- **Statuses** of a customer in a period (exclusive, exhaustive):

  - ``new``: first purchase in the period *and* active at its end. A first purchase that is
    cancelled by credit notes before the period end (net <= 0) is counted nowhere: the
    customer is ``inactive`` in that period, and ``reactivated`` if they buy again later;
  - ``retained``: active at start and at end;
  - ``lost``: active at start, not at end;
  - ``reactivated``: not active at start, not new, active at end;
  - ``inactive``: active neither at start nor at end (prospects, lapsed customers).

  Hence active_start = retained + lost and active_end = retained + new + reactivated, so
  active_end = active_start + new + reactivated - lost exactly, for every period and group,
  and active_start of a period is active_end of the one before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.engine.tables import (
    PERIOD_MONTHS,
    Period,
    TableViews,
    TrailingPanel,
    grid_key,
    read_only,
    views,
)
from portfolio_lib.i18n import register
from portfolio_lib.metrics.common import (
    Periods,
    calendar_periods,
    check_monthly,
    customer_codes,
    customer_groups,
    month_grid,
    period_frame,
    periods_ending,
    require_attribute,
)

__all__ = [
    "NOISE",
    "STATUSES",
    "ActivityPanel",
    "activity_panel",
    "annual_churn",
    "customer_status",
    "first_periods",
    "first_purchase_positions",
    "movements",
    "revenue_bridge",
    "window_movements",
]

#: Status of a customer in a period, in the order of the codes used internally.
STATUSES: tuple[str, ...] = ("new", "reactivated", "retained", "lost", "inactive")
_NEW, _REACTIVATED, _RETAINED, _LOST, _INACTIVE = range(len(STATUSES))
_NO_PURCHASE = np.iinfo(np.int64).max  # first-purchase position of customers who never bought
_BEFORE_GRID = -1  # first purchase before the first month of the grid
# Sums of money carry floating-point noise: below half a nano-euro is zero, as
# tables.trailing_sum's rounding to 9 decimals.
NOISE = 5e-10

register(
    {
        "period_start": {"fr": "Début de période", "en": "Period start"},
        "period_end": {"fr": "Fin de période", "en": "Period end"},
        "active_start": {"fr": "Actifs en début de période", "en": "Active at start"},
        "active_end": {"fr": "Actifs en fin de période", "en": "Active at end"},
        "new": {"fr": "Nouveaux", "en": "New"},
        "reactivated": {"fr": "Réactivés", "en": "Reactivated"},
        "retained": {"fr": "Conservés", "en": "Retained"},
        "lost": {"fr": "Perdus", "en": "Lost"},
        "inactive": {"fr": "Inactifs", "en": "Inactive"},
        "status": {"fr": "Statut", "en": "Status"},
        "churn_rate": {"fr": "Taux d'attrition", "en": "Churn rate"},
        "annual_churn": {"fr": "Taux d'attrition annuel", "en": "Annual churn rate"},
        "retention_rate": {"fr": "Taux de rétention", "en": "Retention rate"},
        "complete_history": {"fr": "Historique complet", "en": "Complete history"},
        "revenue_start": {"fr": "CA début", "en": "Revenue at start"},
        "revenue_end": {"fr": "CA fin", "en": "Revenue at end"},
        "expansion": {"fr": "Hausse des clients actifs", "en": "Expansion"},
        "contraction": {"fr": "Baisse des clients actifs", "en": "Contraction"},
        "churned": {"fr": "CA des clients perdus", "en": "Churned revenue"},
        "cohort": {"fr": "Cohorte", "en": "Cohort"},
        "offset": {"fr": "Périodes depuis l'acquisition", "en": "Periods since acquisition"},
        "active_share": {"fr": "Part de clients actifs", "en": "Active share"},
        "revenue_share": {"fr": "Part du chiffre d'affaires", "en": "Revenue share"},
    }
)


# --------------------------------------------------------------------------------------------
# Shared machinery (also used by weight and costs: one definition of periods and statuses)


def first_purchase_positions(
    monthly: pd.DataFrame,
    months: pd.DatetimeIndex,
    codes: np.ndarray,
    n_customers: int,
) -> np.ndarray:
    """Grid position of each customer's first month with orders > 0 (read-only, cached).

    ``_BEFORE_GRID`` when it precedes the grid, ``_NO_PURCHASE`` when there is none (prospects,
    customers with only credit notes, first purchase after the grid).
    """
    cached = views(monthly)

    def compute() -> np.ndarray:
        position = cached.positions(months)  # -1 off the grid (read-only, shared)
        orders = cached.frame["orders"].to_numpy()
        keep = None  # None: the rows with orders > 0 (every row on the grid), not made yet
        before = None  # rows before the grid: none when every row is on it (Aggregates)
        if not cached.on_grid(months):
            month = cached.frame["month"].to_numpy(dtype="datetime64[ns]")
            before = month < months[0].to_datetime64()
            keep = orders > 0
            keep &= (position >= 0) | before
        first = np.full(n_customers, _NO_PURCHASE, dtype=np.int64)
        if cached.sorted_cells():
            # Rows run by customer, months increasing: each customer's first kept row is
            # their earliest month (np.minimum.at gives the same, many times slower). With
            # every row on the grid, the orders are read at the rows walked only.
            row = _first_rows(orders if keep is None else keep, cached.row_bounds())
            found = np.flatnonzero(row >= 0)
            row = row[found]
            at = position[row]
            if before is not None:
                at[before[row]] = _BEFORE_GRID
            first[found] = at
        else:
            if before is not None:
                position = np.where(before, _BEFORE_GRID, position)
            if keep is None:
                keep = orders > 0
            np.minimum.at(first, codes[keep], position[keep])
        first.flags.writeable = False
        return first

    return cached.get(("first_purchase", grid_key(months), n_customers), compute)


def _first_rows(keep: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Each customer's first row where ``keep`` is > 0 (booleans, or counts such as orders;
    -1: none); rows run by customer, those of customer ``c`` are ``bounds[c]:bounds[c + 1]``.

    Starts from each customer's first row and moves on only the customers whose current row
    is not kept: a few steps over a few customers, not a pass over every row.
    """
    row, end = bounds[:-1].copy(), bounds[1:]
    pending = np.flatnonzero(row < end)
    while len(pending):
        pending = pending[~(keep[row[pending]] > 0)]  # NaN counts: not kept
        row[pending] += 1
        pending = pending[row[pending] < end[pending]]
    row[row >= end] = -1  # past their rows (or none): nothing kept
    return row


@dataclass(frozen=True)
class ActivityPanel:
    """What every movement needs: activity at each period end, first purchases, and on request
    the trailing revenue (shared by every analysis of the table, see
    :func:`portfolio_lib.engine.tables.views`)."""

    index: pd.Index  # the customers: columns of the matrices below
    rows: np.ndarray  # customer code of every row of ``monthly``
    periods: Periods
    first_period: np.ndarray  # period of each customer's first purchase, -1 if not in the grid
    buyers: np.ndarray  # the customers whose first purchase is in the grid (first_period >= 0)
    buyer_cells: np.ndarray  # their cells (first period, customer) in the flat ``active``
    # Period-major (periods x customers, C order) so that each period is one contiguous row;
    # read-only (shared).
    active: np.ndarray  # trailing net revenue > 0 at each period end
    trailing_source: TrailingPanel

    def trailing(self) -> list[np.ndarray]:
        """Trailing net revenue of every customer at each period end (read-only rows)."""
        return self.trailing_source.rows(self.periods.ends)

    def trailing_totals(self, group: np.ndarray, n_groups: int) -> np.ndarray:
        """Trailing net revenue summed per period end and group: array (periods, groups)."""
        return self.trailing_source.group_totals(self.periods.ends, group, n_groups)


def activity_panel(
    monthly: pd.DataFrame, months: pd.DatetimeIndex, periods: Periods, window: int
) -> ActivityPanel:
    """Who is active at each end of ``periods`` (activity window of ``window`` months) and
    when each customer first bought: what every movement, and the weight over time, read.

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    months : DatetimeIndex
        The checked month grid (:func:`portfolio_lib.metrics.common.month_grid`).
    periods : Periods
        Periods of the grid (:func:`portfolio_lib.metrics.common.calendar_periods`).
    window : int
        Months of trailing net revenue that make a customer active.
    """
    check_monthly(monthly)
    cached = views(monthly)
    rows, index = customer_codes(monthly)
    first = first_purchase_positions(monthly, months, rows, len(index))
    source = cached.panel(months, window)
    # Monthly periods read every month: the shared matrix itself, no copy.
    active = source.active if len(periods) == len(months) else source.active[periods.ends]
    first_period, buyers, cells = first_periods(cached, months, periods, first)
    return ActivityPanel(index, rows, periods, first_period, buyers, cells, active, source)


def first_periods(
    cached: TableViews, months: pd.DatetimeIndex, periods: Periods, first: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Period of each customer's first purchase (-1 when not in the grid), the customers who
    have one there, and their cells (first period, customer) in a flat periods x customers
    matrix; ``first``: :func:`first_purchase_positions`. Read-only, kept with the table:
    every movement analysis of the same periods reads them."""

    buyers, buyer_month = _buyers(cached, months, first)

    def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # A period per month: the periods are the months (of_month is the identity).
        monthly_periods = len(periods) == len(months)
        buyer_period = buyer_month if monthly_periods else periods.of_month[buyer_month]
        first_period = np.full(len(first), -1, dtype=np.int64)
        first_period[buyers] = buyer_period
        cells = buyer_period * len(first)
        cells += buyers
        for values in (first_period, cells):
            values.flags.writeable = False
        return first_period, buyers, cells

    key = ("first_periods", grid_key(months), periods.ends.tobytes(), len(first))
    return cached.get(key, compute)


def _buyers(
    cached: TableViews, months: pd.DatetimeIndex, first: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The customers whose first purchase is in the grid and its grid position (read-only,
    kept with the table): the same for every period, so :func:`first_periods` of the
    months, quarters and years of a grid find them once."""

    def compute() -> tuple[np.ndarray, np.ndarray]:
        buyers = np.flatnonzero((first >= 0) & (first < len(months)))
        return read_only(buyers), read_only(first[buyers])

    return cached.get(("buyers", grid_key(months), len(first)), compute)


def _transitions(active: np.ndarray) -> np.ndarray:
    """2 x active at start + active at end, per period and customer (uint8, 0..3).

    Activity at the start of a period is activity at the end of the one before; nobody is
    active at the start of the first period (the data start).
    """
    out = active.astype(np.uint8)
    out[1:] += np.uint8(2) * active[:-1]
    return out


# Status of each transition code (2 x start + end) before new customers are singled out.
_STATUS_OF_TRANSITION = np.array([_INACTIVE, _REACTIVATED, _LOST, _RETAINED], dtype=np.int8)


def _new_rows(panel: ActivityPanel) -> np.ndarray:
    """Customers counted new (in the period ``panel.first_period`` of each of them).

    A first purchase cannot follow activity (no positive invoice before it), so these
    customers are inactive at the start of that period: new only splits "reactivated".
    """
    # Each one's cell (first period, customer) in the flat matrix: one gather, cheaper than
    # indexing its two axes with two arrays.
    return panel.buyers[panel.active.reshape(-1)[panel.buyer_cells]]


def _status_codes(panel: ActivityPanel) -> np.ndarray:
    """Period x customer status codes (indices into ``STATUSES``)."""
    codes = _STATUS_OF_TRANSITION[_transitions(panel.active)]
    new = _new_rows(panel)
    codes[panel.first_period[new], new] = _NEW
    return codes


def _movement_counts(
    panel: ActivityPanel, group: np.ndarray, n_groups: int
) -> dict[str, np.ndarray]:
    """Counts of every movement, each an array (periods, groups)."""
    active = panel.active
    n_periods = len(panel.periods)
    # Per period, customers by transition (2 x active at start + active at end): 1 entered,
    # 2 lost, 3 retained.
    by_transition = np.zeros((n_periods, n_groups, 4), dtype=np.int64)
    slots = group * 4 if n_groups > 1 else None  # group x transition slot, once

    for p in range(n_periods):  # a loop over periods (tens), never over customers
        end = active[p]
        if n_groups == 1:
            at_end = np.count_nonzero(end)
            if p:
                at_start = np.count_nonzero(active[p - 1])
                retained = np.count_nonzero(active[p - 1] & end)
            else:
                at_start = retained = 0
            by_transition[p, 0, 1:] = (at_end - retained, at_start - retained, retained)
        else:
            transition = end.astype(np.uint8)
            if p:
                transition += np.uint8(2) * active[p - 1]
            by_transition[p] = np.bincount(slots + transition, minlength=n_groups * 4).reshape(
                n_groups, 4
            )

    rows = _new_rows(panel)
    slot = panel.first_period[rows]
    if n_groups > 1:
        slot = slot * n_groups + group[rows]
    new = np.bincount(slot, minlength=n_periods * n_groups).reshape(n_periods, n_groups)
    entered, lost, retained = (by_transition[..., k] for k in (1, 2, 3))
    return {
        "active_start": lost + retained,
        "new": new,
        "reactivated": entered - new,
        "retained": retained,
        "lost": lost,
        "active_end": entered + retained,
    }


def _churn(lost: np.ndarray, active_start: np.ndarray) -> np.ndarray:
    """lost / active at start, NaN where nobody was active at the start."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(active_start > 0, lost / np.maximum(active_start, 1), np.nan)


def _sum_by_group(values: Sequence[np.ndarray], group: np.ndarray, n_groups: int) -> np.ndarray:
    """Sums of period x customer values (rows) per period and group: array (periods, groups)."""
    if n_groups == 1:
        return np.array([row.sum(dtype=float) for row in values]).reshape(len(values), 1)
    return np.stack(
        [np.bincount(group, weights=row, minlength=n_groups) for row in values]  # read-only rows
    ).reshape(len(values), n_groups)


# --------------------------------------------------------------------------------------------
# Public analyses


def customer_status(
    monthly: pd.DataFrame,
    *,
    months: Sequence[object],
    period: Period = DEFAULTS["period"],
    activity_window: int = DEFAULTS["activity_window"],
) -> pd.DataFrame:
    """Status of every customer in every period: the drill-down behind :func:`movements`.

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    period : {'month', 'quarter', 'year'}, default 'month'
    activity_window : int, default 12
        Months of trailing net revenue that make a customer active.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id`` (every customer of the categorical, prospects included), one
        column per period (its label, e.g. ``2025-Q1``), categorical values among
        ``STATUSES``: 'new', 'reactivated', 'retained', 'lost', 'inactive' (see the module
        docstring for the exact rules).
    """
    grid = month_grid(months)
    panel = activity_panel(monthly, grid, calendar_periods(grid, period), activity_window)
    status = _status_codes(panel)
    frame = pd.DataFrame(
        {
            label: pd.Categorical.from_codes(status[p], categories=list(STATUSES))
            for p, label in enumerate(panel.periods.labels)
        },
        index=panel.index,
    )
    frame.columns.name = "period"
    return frame


def movements(
    monthly: pd.DataFrame,
    *,
    months: Sequence[object],
    period: Period = DEFAULTS["period"],
    activity_window: int = DEFAULTS["activity_window"],
    customers: pd.DataFrame | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """New, reactivated, retained and lost customers per period (and group), with churn.

    Counts of :func:`customer_status`; the definitions are in the module docstring.

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    period : {'month', 'quarter', 'year'}, default 'month'
    activity_window : int, default 12
        Months of trailing net revenue that make a customer active.
    customers : pandas.DataFrame, optional
        Customer table (``Aggregates.customers``) holding the ``by`` column.
    by : str, optional
        Customer attribute to split by (e.g. ``'sales_rep'``); customers without a value are
        grouped under ``'unknown'``. Every period has a row for every group.

    Returns
    -------
    pandas.DataFrame
        One row per period (and group): ``period_start``, ``period_end`` (first and last
        month), ``period`` (label), [``by``], ``active_start``, ``new``, ``reactivated``,
        ``retained``, ``lost``, ``active_end``, ``churn_rate`` (lost / active_start, NaN when
        nobody was active), ``retention_rate`` (1 - churn_rate), ``complete_history``.

        ``complete_history`` is True when ``period_start`` minus ``activity_window`` months is
        on or after the first month of the grid. Before that, activity at the period start
        is computed on a truncated window and customers who bought before the log starts
        count as new: read those periods' "new" with care.

    Raises
    ------
    PortfolioDataError
        ``missing_attribute`` when ``by`` is not a column of ``customers``.

    Examples
    --------
    >>> from portfolio_lib.engine.aggregate import aggregate
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-10", "2024-03-05", "2024-02-01"]),
    ...                    "amount": [100.0, 50.0, 80.0]})
    >>> agg = aggregate(tx)
    >>> movements(agg.monthly, months=agg.months, activity_window=1)[
    ...     ["period", "active_start", "new", "reactivated", "lost", "active_end"]]
    ... # doctest: +NORMALIZE_WHITESPACE
        period  active_start  new  reactivated  lost  active_end
    0  2024-01             0    1            0     0           1
    1  2024-02             1    1            0     1           1
    2  2024-03             1    0            1     1           1
    """
    grid = month_grid(months)
    periods = calendar_periods(grid, period)
    panel = activity_panel(monthly, grid, periods, activity_window)
    group, groups = customer_groups(customers, by, panel.index, "movements")
    counts = _movement_counts(panel, group, len(groups))
    churn = _churn(counts["lost"], counts["active_start"])
    complete = np.repeat((periods.starts - activity_window >= 0)[:, None], len(groups), axis=1)
    counts.update(churn_rate=churn, retention_rate=1.0 - churn, complete_history=complete)
    return period_frame(periods, np.arange(len(periods)), by, groups, counts)


_YEAR = 12  # months


def annual_churn(
    monthly: pd.DataFrame,
    *,
    months: Sequence[object],
    customers: pd.DataFrame | None = None,
    by: str | None = None,
    activity_window: int = DEFAULTS["activity_window"],
) -> float | pd.Series:
    """Churn over the last 12 months: lost / customers active 12 months before the last month.

    The customers active at month ``t - 12`` (``t`` the last month of the grid, ``as_of``'s)
    who are no longer active at ``t``, over those active at ``t - 12``: the movements of the
    last 12 months taken as one period. It is the ``churn_rate`` of
    :func:`portfolio_lib.metrics.weight.headline_kpis` (default window), and the ``churn_rate`` of
    :func:`movements` with ``period="year"`` for the last year when ``as_of`` falls in
    December. The annual churn the simple CLV needs (:func:`portfolio_lib.metrics.clv.simple_clv`).

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    customers : pandas.DataFrame, optional
        Customer table (``Aggregates.customers``) holding the ``by`` column.
    by : str, optional
        Customer attribute to split by; customers without a value are in ``'unknown'``.
    activity_window : int, default 12
        Months of trailing net revenue that make a customer active.

    Returns
    -------
    float or pandas.Series
        The rate; with ``by``, a Series named ``annual_churn`` indexed by the groups (NaN for
        a group nobody of which was active 12 months ago). NaN too when nobody at all was.
        When the log starts less than ``activity_window`` months before ``t - 12``, activity
        at ``t - 12`` is read on a truncated window (as :func:`movements` flags with
        ``complete_history``).

    Raises
    ------
    PortfolioDataError
        ``history_too_short`` when the grid has 12 months or fewer (the month 12 months
        before the last is not in the data); ``missing_attribute`` when ``by`` is not a
        column of ``customers``.

    Examples
    --------
    >>> from portfolio_lib.engine.aggregate import aggregate
    >>> tx = pd.DataFrame({"customer_id": ["a", "b", "b", "c"],
    ...                    "date": pd.to_datetime(["2024-01-15", "2024-01-20", "2025-01-05",
    ...                                            "2024-06-01"]),
    ...                    "amount": [100.0, 50.0, 70.0, 30.0]})
    >>> agg = aggregate(tx)  # January 2024 to January 2025
    >>> annual_churn(agg.monthly, months=agg.months)  # a and b active in Jan 2024, a lost
    0.5
    """
    grid = month_grid(months)
    if len(grid) <= _YEAR:
        raise PortfolioDataError(
            "history_too_short",
            analysis="annual churn",
            months_needed=_YEAR + 1,
            months_available=len(grid),
        )
    if by is not None:
        require_attribute(customers, by, "annual churn")
    moves = window_movements(
        monthly,
        months=grid,
        window=_YEAR,
        activity_window=activity_window,
        customers=customers,
        by=by,
    )
    if by is None:
        return float(moves["churn_rate"].iloc[0])
    return moves["churn_rate"].rename("annual_churn")


def window_movements(
    monthly: pd.DataFrame,
    *,
    months: Sequence[object],
    window: int,
    activity_window: int = DEFAULTS["activity_window"],
    customers: pd.DataFrame | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """The movements of the last ``window`` months taken as one period.

    The period runs from the month after ``t - window`` to ``t`` (the last month of the grid):
    active at its start means active at ``t - window``; the statuses are those of the module
    docstring. When the grid has ``window`` months or fewer, nobody is active at the start.
    :func:`annual_churn` is its ``churn_rate`` for ``window = 12``.

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    window : int
        Months of the period.
    activity_window : int, default 12
        Months of trailing net revenue that make a customer active.
    customers, by
        As in :func:`movements`.

    Returns
    -------
    pandas.DataFrame
        One row per group (index ``by``; a single row, index value None, without ``by``):
        ``active_start``, ``new``, ``reactivated``, ``retained``, ``lost``, ``active_end``
        and ``churn_rate`` (lost / active_start, NaN when nobody was active at the start).
    """
    grid = month_grid(months)
    last = len(grid) - 1
    split = last - window
    ends = [split, last] if split >= 0 else [last]
    periods = periods_ending(grid, ends, [f"{grid[e]:%Y-%m}" for e in ends])
    panel = activity_panel(monthly, grid, periods, activity_window)
    group, groups = customer_groups(customers, by, panel.index, "movements")
    counts = {name: n[-1] for name, n in _movement_counts(panel, group, len(groups)).items()}
    counts["churn_rate"] = _churn(counts["lost"], counts["active_start"])
    return pd.DataFrame(counts, index=pd.Index(groups, name=by, dtype=object))


def revenue_bridge(
    monthly: pd.DataFrame,
    *,
    months: Sequence[object],
    period: Period = "year",
    window: int = DEFAULTS["activity_window"],
    customers: pd.DataFrame | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Revenue bridge between consecutive period ends: new, reactivated, expansion, churn.

    ``R_c(t)`` is customer c's net revenue over the ``window`` months ending at period end t
    and ``R(t)`` its sum over customers. A customer is active at t when ``R_c(t) > 0`` (the
    activity rule with ``activity_window = window``). Between the previous end t-1 and t, with
    ``delta = R_c(t) - R_c(t-1)``, each customer falls in exactly one bucket:

    - first purchase in (t-1, t] and active at t: ``new += delta``;
    - else active at t-1 and not at t: ``churned += -delta`` (a positive number);
    - else not active at t-1 and active at t: ``reactivated += delta``;
    - else (active at both, or at neither): ``expansion += max(delta, 0)``,
      ``contraction += max(-delta, 0)`` (credit notes of lapsed customers land here).

    So ``revenue_end = revenue_start + new + reactivated + expansion - contraction - churned``
    exactly (up to floating point rounding), for every period and group.

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    period : {'month', 'quarter', 'year'}, default 'year'
        Spacing of the compared period ends (the last one may be partial).
    window : int, default 12
        Months of the trailing revenue compared (and of the activity rule).
    customers, by
        As in :func:`movements`.

    Returns
    -------
    pandas.DataFrame
        One row per period except the first (and group): ``period_start`` (month after t-1),
        ``period_end`` (t), ``period``, [``by``], ``revenue_start`` (R(t-1)), ``new``,
        ``reactivated``, ``expansion``, ``contraction``, ``churned``, ``revenue_end`` (R(t)),
        ``complete_history``.

        ``complete_history`` is True when both windows compared lie inside the data: t-1
        minus ``window`` plus one month is on or after the first month of the grid. Before
        that R(t-1) covers fewer months than R(t), so the bridge mixes growth with history.

    Raises
    ------
    PortfolioDataError
        ``history_too_short`` when the grid holds a single period end (e.g. four months and
        ``period="year"``): the bridge needs the end of the period before the last one;
        ``missing_attribute`` when ``by`` is not a column of ``customers``.
    """
    grid = month_grid(months)
    periods = calendar_periods(grid, period)
    if by is not None:  # the clearer error first
        require_attribute(customers, by, "revenue bridge")
    if len(periods) < 2:
        # From the end of the calendar period before the last month to the last month.
        last = grid[-1]
        into_period = (last.month - 1) % PERIOD_MONTHS[period]
        raise PortfolioDataError(
            "history_too_short",
            analysis=f"revenue bridge by {period}",
            months_needed=into_period + 2,
            months_available=len(grid),
        )
    panel = activity_panel(monthly, grid, periods, window)
    group, groups = customer_groups(customers, by, panel.index, "revenue bridge")
    n_groups, n_periods = len(groups), len(periods)
    trailing = panel.trailing()
    totals = _sum_by_group(trailing, group, n_groups)  # R(t) at every period end
    sums = np.zeros((n_periods, n_groups, 5))
    key_base = group * 5 if n_groups > 1 else None  # one group: the buckets are the keys
    for p in range(1, n_periods):  # a loop over periods (tens), never over customers
        delta = trailing[p] - trailing[p - 1]
        bucket = _bridge_buckets(panel.active[p - 1], panel.active[p], delta)
        # New in p (:func:`_new_rows`): first purchase in p and active at its end. One pass
        # over the period's rows, cheaper than the gathers that list the new customers.
        new = panel.first_period == p
        new &= panel.active[p]
        bucket[new] = 0
        key = bucket if n_groups == 1 else key_base + bucket
        sums[p] = np.bincount(key, weights=delta, minlength=n_groups * 5).reshape(n_groups, 5)
    columns = {
        "revenue_start": totals[:-1],
        "new": sums[1:, :, 0],
        "reactivated": sums[1:, :, 1],
        "expansion": sums[1:, :, 3],
        "contraction": -sums[1:, :, 4],
        "churned": -sums[1:, :, 2],
        "revenue_end": totals[1:],
    }
    columns = {name: np.round(values, 9) + 0.0 for name, values in columns.items()}  # no -0.0
    complete = periods.ends[:-1] - window + 1 >= 0  # the window ending at t-1 is in the grid
    columns["complete_history"] = np.repeat(complete[:, None], n_groups, axis=1)
    return period_frame(periods, np.arange(1, n_periods), by, groups, columns)


def _bridge_buckets(start: np.ndarray, end: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Bucket of every customer in the revenue bridge of a period, before new customers are
    singled out (they are "reactivated" here): 1 reactivated (active at the end only),
    2 churned (at the start only), 3 expansion or 4 contraction (active at both or neither:
    by the sign of ``delta``). The statuses of :func:`_status_codes`, computed from the two
    activity rows in uint8 arithmetic instead of the whole status matrix."""
    bucket = np.left_shift(start.view(np.uint8), 1)  # 2 x active at start + active at end:
    bucket += end.view(np.uint8)  # 1 reactivated, 2 churned, 3 active at both, 0 at neither
    neither = (bucket == 0).view(np.uint8)
    neither *= 3
    bucket += neither  # 3: active at both or neither
    contraction = bucket == 3
    contraction &= delta < 0
    bucket += contraction.view(np.uint8)
    return bucket
