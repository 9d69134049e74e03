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
  (:func:`portfolio_lib.engine.aggregate.active_matrix`). Nobody is active before the first month of
  the grid: the log starts there.
- **Periods** (month, quarter, year) end at :func:`portfolio_lib.engine.aggregate.period_ends`; a
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
from portfolio_lib.engine.aggregate import (
    PERIOD_MONTHS,
    Period,
    _bincount,
    _grid_key,
    _read_only,
    _same_customers,
    _TableViews,
    _TrailingPanel,
    _views,
    period_ends,
    period_label,
)
from portfolio_lib.i18n import register
from portfolio_lib.runtime import parallel_map

__all__ = [
    "STATUSES",
    "annual_churn",
    "cohort_matrix",
    "cohort_table",
    "customer_status",
    "movements",
    "revenue_bridge",
]

#: Status of a customer in a period, in the order of the codes used internally.
STATUSES: tuple[str, ...] = ("new", "reactivated", "retained", "lost", "inactive")
_NEW, _REACTIVATED, _RETAINED, _LOST, _INACTIVE = range(len(STATUSES))
_NO_PURCHASE = np.iinfo(np.int64).max  # first-purchase position of customers who never bought
_BEFORE_GRID = -1  # first purchase before the first month of the grid
# Sums of money carry floating-point noise: below half a nano-euro is zero, as
# aggregate.trailing_sum's rounding to 9 decimals.
_NOISE = 5e-10

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


@dataclass(frozen=True)
class _Periods:
    """The periods of a month grid, as positions in the grid and as labels."""

    starts: np.ndarray  # position of each period's first month
    ends: np.ndarray  # position of each period's last month
    of_month: np.ndarray  # period index of every month of the grid
    start_months: pd.DatetimeIndex
    end_months: pd.DatetimeIndex
    labels: list[str]

    def __len__(self) -> int:
        return len(self.ends)


def _month_grid(months: Sequence[object]) -> pd.DatetimeIndex:
    """The month grid, checked: consecutive first days of months (as ``Aggregates.months``)."""
    grid = pd.DatetimeIndex(months).as_unit("ns")
    if len(grid) == 0:
        raise ValueError("months is empty: pass the month grid of the data (Aggregates.months)")
    expected = pd.date_range(grid[0], periods=len(grid), freq="MS").as_unit("ns")
    if not grid.equals(expected):
        raise ValueError(
            "months must be consecutive first days of months, e.g. Aggregates.months or "
            "pd.date_range('2024-01-01', '2024-12-01', freq='MS')"
        )
    return grid


def _date_positions(dates: object, grid: pd.DatetimeIndex) -> np.ndarray:
    """Grid position of the month of each date (any day of it); -1 outside the grid or NaT."""
    values = np.asarray(dates, dtype="datetime64[ns]")
    end = (grid[-1] + pd.DateOffset(months=1)).to_datetime64()
    position = np.searchsorted(grid.to_numpy(), values, side="right") - 1
    return np.where((values >= grid[0].to_datetime64()) & (values < end), position, -1)


def _aligned(
    values: pd.Series, ids: pd.Series, index: pd.Index, *, same: bool | None = None
) -> pd.Series:
    """``values`` (one per id of ``ids``) in the order of ``index``; NaN for missing ids.

    ``same``: whether ``ids`` are ``index`` in its order, when the caller knows (None: check).
    """
    if same is None:
        same = _same_customers(index, ids)
    if same:  # the usual case: Aggregates.customers
        return pd.Series(values.to_numpy(), index=index)
    return pd.Series(values.to_numpy(), index=ids.to_numpy()).reindex(index)


def _factorize(values: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Codes (-1 missing) and the distinct values, as ``pd.factorize`` but in any order.

    A categorical column gives its own codes, recoded to the categories some row has (those
    ``pd.factorize`` keeps): no pass over the values. Callers must not rely on the order of
    the values (``pd.factorize`` lists them by first appearance, categories in their order).
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = pd.factorize(values)
        return codes, list(uniques)
    codes = values.array.codes.astype(np.int64)
    categories = values.cat.categories
    # Counts of code + 1: missing values (-1) in the first slot, no compression of the codes.
    used = np.flatnonzero(np.bincount(codes + 1, minlength=len(categories) + 1)[1:])
    if len(used) < len(categories):
        recode = np.full(len(categories) + 1, -1, dtype=np.int64)  # the last slot: code -1
        recode[used] = np.arange(len(used))
        codes, categories = recode[codes], categories[used]
    return codes, list(categories)


def _aligned_codes(
    values: pd.Series, ids: pd.Series, index: pd.Index, *, same: bool | None = None
) -> tuple[np.ndarray, list[object]]:
    """``pd.factorize`` of ``_aligned(values, ids, index)``: codes (-1 missing) and values.

    Factorized on the column itself (Arrow strings are encoded without a Python string per
    customer), then aligned by position; only the values of customers in ``index`` are kept.
    ``same`` as in :func:`_aligned`.
    """
    codes, uniques = _factorize(values)
    if same is None:
        same = _same_customers(index, ids)
    if same:  # the usual case: Aggregates.customers
        return codes, uniques
    position = pd.Series(np.arange(len(ids)), index=ids.to_numpy()).reindex(index)
    position = position.fillna(-1).to_numpy(dtype=np.int64)
    codes = np.where(position >= 0, codes[position], -1)
    present = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(uniques)))
    recode = np.full(len(uniques) + 1, -1, dtype=np.int64)
    recode[present] = np.arange(len(present))
    return recode[codes], [uniques[i] for i in present]


# _periods of recent grids: the studies ask for the same few divisions ~20 times a run, at
# ~1 ms each (period ends by a groupby, a label per period). Small: a grid has few periods.
_PERIODS: dict[tuple, _Periods] = {}
_MAX_PERIODS = 32


def _periods(months: pd.DatetimeIndex, period: Period) -> _Periods:
    """The calendar periods of the grid (:func:`portfolio_lib.engine.aggregate.period_ends`).

    Shared between calls on equal grids: the arrays are read-only, the labels not to be
    changed.
    """
    try:
        key = (_grid_key(months), str(months.dtype), months.name, months.freq, period)
        found = _PERIODS.get(key)
    except TypeError:  # a name that is not hashable: not kept
        key, found = None, None
    if found is not None:
        return found
    end_months = period_ends(months, period)
    periods = _periods_ending(
        months, months.get_indexer(end_months), [period_label(m, period) for m in end_months]
    )
    for values in (periods.starts, periods.ends, periods.of_month):
        values.flags.writeable = False
    if key is not None:
        if len(_PERIODS) >= _MAX_PERIODS:
            _PERIODS.clear()
        _PERIODS[key] = periods
    return periods


def _periods_ending(months: pd.DatetimeIndex, ends: np.ndarray, labels: list[str]) -> _Periods:
    """Periods ending at the grid positions ``ends`` (increasing, the last = last month)."""
    ends = np.asarray(ends, dtype=np.int64)
    starts = np.concatenate([[0], ends[:-1] + 1])
    return _Periods(
        starts=starts,
        ends=ends,
        of_month=np.repeat(np.arange(len(ends)), ends - starts + 1),
        start_months=months[starts],
        end_months=months[ends],
        labels=labels,
    )


def _customer_codes(
    monthly: pd.DataFrame, *, views: _TableViews | None = None
) -> tuple[np.ndarray, pd.Index]:
    """Row codes and customer index, in the order of :func:`revenue_matrix`.

    ``views``: the table's ``_views(monthly)`` when the caller has it (each lookup checks the
    table's fingerprint, most of a millisecond).
    """
    codes, index = (views or _views(monthly)).customers("customer_id")
    return codes, pd.Index(index, name="customer_id")


def _first_purchase_positions(
    monthly: pd.DataFrame,
    months: pd.DatetimeIndex,
    codes: np.ndarray,
    n_customers: int,
    *,
    views: _TableViews | None = None,
) -> np.ndarray:
    """Grid position of each customer's first month with orders > 0 (read-only, cached).

    ``_BEFORE_GRID`` when it precedes the grid, ``_NO_PURCHASE`` when there is none (prospects,
    customers with only credit notes, first purchase after the grid). ``views`` as in
    :func:`_customer_codes`.
    """
    views = views or _views(monthly)

    def compute() -> np.ndarray:
        position = views.positions(months)  # -1 off the grid (read-only, shared)
        orders = views.frame["orders"].to_numpy()
        keep = None  # None: the rows with orders > 0 (every row on the grid), not made yet
        before = None  # rows before the grid: none when every row is on it (Aggregates)
        if not views.on_grid(months):
            month = views.frame["month"].to_numpy(dtype="datetime64[ns]")
            before = month < months[0].to_datetime64()
            keep = orders > 0
            keep &= (position >= 0) | before
        first = np.full(n_customers, _NO_PURCHASE, dtype=np.int64)
        if views.sorted_cells():
            # Rows run by customer, months increasing: each customer's first kept row is
            # their earliest month (np.minimum.at gives the same, many times slower). With
            # every row on the grid, the orders are read at the rows walked only.
            row = _first_rows(orders if keep is None else keep, views.row_bounds())
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

    return views.get(("first_purchase", _grid_key(months), n_customers), compute)


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
class _Panel:
    """What every movement needs: activity at each period end, first purchases, and on request
    the trailing revenue (shared by every analysis of the table, see ``aggregate._views``)."""

    index: pd.Index  # the customers: columns of the matrices below
    rows: np.ndarray  # customer code of every row of ``monthly``
    periods: _Periods
    first_period: np.ndarray  # period of each customer's first purchase, -1 if not in the grid
    buyers: np.ndarray  # the customers whose first purchase is in the grid (first_period >= 0)
    buyer_cells: np.ndarray  # their cells (first period, customer) in the flat ``active``
    # Period-major (periods x customers, C order) so that each period is one contiguous row;
    # read-only (shared).
    active: np.ndarray  # trailing net revenue > 0 at each period end
    trailing_source: _TrailingPanel
    key: tuple  # what the panel derives from: month grid, activity window, period ends

    def trailing(self) -> list[np.ndarray]:
        """Trailing net revenue of every customer at each period end (read-only rows)."""
        return self.trailing_source.rows(self.periods.ends)

    def trailing_totals(self, group: np.ndarray, n_groups: int) -> np.ndarray:
        """Trailing net revenue summed per period end and group: array (periods, groups)."""
        return self.trailing_source.group_totals(self.periods.ends, group, n_groups)


def _panel(
    monthly: pd.DataFrame, months: pd.DatetimeIndex, periods: _Periods, window: int
) -> _Panel:
    _check_monthly(monthly)
    views = _views(monthly)
    rows, index = _customer_codes(monthly, views=views)
    first = _first_purchase_positions(monthly, months, rows, len(index), views=views)
    source = views.panel(months, window)
    # Monthly periods read every month: the shared matrix itself, no copy.
    active = source.active if len(periods) == len(months) else source.active[periods.ends]
    key = (_grid_key(months), int(window), periods.ends.tobytes())
    first_period, buyers, cells = _first_periods(views, months, periods, first)
    return _Panel(index, rows, periods, first_period, buyers, cells, active, source, key)


def _first_periods(
    views: _TableViews, months: pd.DatetimeIndex, periods: _Periods, first: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Period of each customer's first purchase (-1 when not in the grid), the customers who
    have one there, and their cells (first period, customer) in a flat periods x customers
    matrix; ``first``: :func:`_first_purchase_positions`. Read-only, kept with the table:
    every movement analysis of the same periods reads them."""

    buyers, buyer_month = _buyers(views, months, first)

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

    key = ("first_periods", _grid_key(months), periods.ends.tobytes(), len(first))
    return views.get(key, compute)


def _buyers(
    views: _TableViews, months: pd.DatetimeIndex, first: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The customers whose first purchase is in the grid and its grid position (read-only,
    kept with the table): the same for every period, so :func:`_first_periods` of the
    months, quarters and years of a grid find them once."""

    def compute() -> tuple[np.ndarray, np.ndarray]:
        buyers = np.flatnonzero((first >= 0) & (first < len(months)))
        return _read_only(buyers), _read_only(first[buyers])

    return views.get(("buyers", _grid_key(months), len(first)), compute)


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


def _new_rows(panel: _Panel) -> np.ndarray:
    """Customers counted new (in the period ``panel.first_period`` of each of them).

    A first purchase cannot follow activity (no positive invoice before it), so these
    customers are inactive at the start of that period: new only splits "reactivated".
    """
    # Each one's cell (first period, customer) in the flat matrix: one gather, cheaper than
    # indexing its two axes with two arrays.
    return panel.buyers[panel.active.reshape(-1)[panel.buyer_cells]]


def _status_codes(panel: _Panel) -> np.ndarray:
    """Period x customer status codes (indices into ``STATUSES``)."""
    codes = _STATUS_OF_TRANSITION[_transitions(panel.active)]
    new = _new_rows(panel)
    codes[panel.first_period[new], new] = _NEW
    return codes


def _movement_counts(panel: _Panel, group: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """Counts of every movement, each an array (periods, groups)."""
    active = panel.active
    n_periods = len(panel.periods)
    # Per period, customers by transition (2 x active at start + active at end): 1 entered,
    # 2 lost, 3 retained. A loop over periods (tens), never over customers.
    by_transition = np.zeros((n_periods, n_groups, 4), dtype=np.int64)
    slots = group * 4 if n_groups > 1 else None  # group x transition slot, once

    def count(p: int) -> None:
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

    if n_groups == 1:  # counting is quick: threads would cost more than they save
        for p in range(n_periods):
            count(p)
    else:
        parallel_map(count, range(n_periods))
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


def _counts_of(
    monthly: pd.DataFrame, panel: _Panel, group: np.ndarray, n_groups: int
) -> dict[str, np.ndarray]:
    """:func:`_movement_counts` of ``panel`` (a panel of ``monthly``), the portfolio's (one
    group) kept with the table: weight and movements both count the same monthly panel."""
    if n_groups > 1:
        return _movement_counts(panel, group, n_groups)
    counts = _views(monthly).get(
        ("movement_counts", *panel.key), lambda: _movement_counts(panel, group, 1)
    )
    return {name: values.copy() for name, values in counts.items()}  # the caller's own


def _check_monthly(monthly: pd.DataFrame) -> None:
    missing = [c for c in ("customer_id", "month", "revenue", "orders") if c not in monthly]
    if missing:
        raise ValueError(
            f"monthly lacks column(s) {missing}: pass Aggregates.monthly from "
            "portfolio_lib.engine.aggregate.aggregate, not the raw transactions"
        )


def _groups(
    customers: pd.DataFrame | None,
    by: str | None,
    index: pd.Index,
    analysis: str,
    *,
    same: bool | None = None,
) -> tuple[np.ndarray, list[object]]:
    """Group code of every customer of ``index`` and the group values (``unknown`` last).

    Customers without a value (or missing from ``customers``) are in the group "unknown".
    ``same``: whether the customer table's ids are ``index`` in its order (None: check).
    """
    if by is None:
        return np.zeros(len(index), dtype=np.int64), [None]
    _require_attribute(customers, by, analysis)
    codes, names = _aligned_codes(customers[by], customers["customer_id"], index, same=same)
    try:
        order = sorted(range(len(names)), key=lambda i: names[i])
    except TypeError:  # mixed types: sort by their text
        order = sorted(range(len(names)), key=lambda i: str(names[i]))
    order = [i for i in order if names[i] != "unknown"]
    # New code of each factorize code, the last slot for missing values (code -1).
    recode = np.full(len(names) + 1, len(order), dtype=np.int64)
    recode[order] = np.arange(len(order))
    codes = recode[codes]
    groups = [names[i] for i in order]
    if (codes == len(order)).any():
        groups.append("unknown")
    return codes, groups


def _require_attribute(customers: pd.DataFrame | None, column: str, analysis: str) -> None:
    if customers is None or column not in customers:
        found = "–" if customers is None else ", ".join(map(str, customers.columns))
        raise PortfolioDataError(
            "missing_attribute", file="customers", analysis=analysis, column=column, found=found
        )
    if "customer_id" not in customers:
        raise ValueError("the customer table needs a 'customer_id' column (see io.load_customers)")


def _window_panel(
    monthly: pd.DataFrame, grid: pd.DatetimeIndex, window: int, activity_window: int
) -> _Panel:
    """Two periods: everything up to the month before the last ``window`` months, then them.

    The movements of the second period are those of the last ``window`` months taken as one
    period (new, lost... between the month before them and the last month). When the grid
    has ``window`` months or fewer there is a single period, whose start nobody is active at.
    """
    last = len(grid) - 1
    split = last - window
    ends = [split, last] if split >= 0 else [last]
    periods = _periods_ending(grid, ends, [f"{grid[e]:%Y-%m}" for e in ends])
    return _panel(monthly, grid, periods, activity_window)


def _last_period_counts(panel: _Panel, group: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """``lost`` and ``active_start`` of :func:`_movement_counts` for the last period only
    (what a churn rate reads), without the other periods and the new customers."""
    start = panel.active[-2] if len(panel.periods) > 1 else np.zeros_like(panel.active[-1])
    end = panel.active[-1]
    if n_groups == 1:
        at_start = np.count_nonzero(start)
        lost = at_start - np.count_nonzero(start & end)
        return {"lost": np.array([[lost]]), "active_start": np.array([[at_start]])}
    transition = end.astype(np.uint8)
    transition += np.uint8(2) * start
    counts = np.bincount(group * 4 + transition, minlength=n_groups * 4).reshape(n_groups, 4)
    return {"lost": counts[None, :, 2], "active_start": counts[None, :, 2] + counts[None, :, 3]}


def _churn_of_last_period(counts: dict[str, np.ndarray]) -> np.ndarray:
    """lost / active at start of the last period, per group (NaN where nobody was active)."""
    lost, start = counts["lost"][-1].astype(float), counts["active_start"][-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(start > 0, lost / np.maximum(start, 1), np.nan)


def _sum_by_group(values: Sequence[np.ndarray], group: np.ndarray, n_groups: int) -> np.ndarray:
    """Sums of period x customer values (rows) per period and group: array (periods, groups)."""
    if n_groups == 1:
        return np.array([row.sum(dtype=float) for row in values]).reshape(len(values), 1)
    return np.stack(
        [_bincount(group, weights=row, minlength=n_groups) for row in values]  # read-only rows
    ).reshape(len(values), n_groups)


def _masked_sum_by_group(
    mask: np.ndarray, values: np.ndarray, group: np.ndarray, n_groups: int
) -> np.ndarray:
    """Per period and group, the sum of ``values`` (one per customer) where ``mask`` holds.

    Sums add the customers in their order (a bincount), with one group as with several.
    Whole values (potentials usually are) whose magnitudes add up to less than 2**52 take
    an exact path instead, with the same results: every partial sum is then an integer
    that a float holds exactly, so any order of additions gives the same float, and each
    period is the one before plus the customers who became active minus those who left
    (:func:`_masked_sum_by_changes`).
    """
    if _exact_in_any_order(values):
        return _masked_sum_by_changes(mask, values, group, n_groups)
    out = np.empty((len(mask), n_groups))
    one_group = np.zeros(len(values) if n_groups == 1 else 0, dtype=np.intp)

    def period_sums(period: int) -> None:
        # Only the customers the mask holds (the others would add zeros), in customer order:
        # the sums of the full bincount, bit for bit, in half the time (and without the
        # float copy of every boolean row a dot product makes).
        if n_groups == 1:  # no group to look up: the kept values, keyed by a shared 0
            kept_values = values[mask[period]]
            keys = one_group[: len(kept_values)]
        else:
            kept = np.flatnonzero(mask[period])
            kept_values, keys = values[kept], group[kept]
        out[period] = np.bincount(keys, weights=kept_values, minlength=n_groups)

    parallel_map(period_sums, range(len(mask)))  # periods are independent
    return out


# Whole floats whose magnitudes add up to less than this are summed exactly in any order
# (2**53 is where floats stop holding every integer; the margin covers the rounding of the
# check's own sum).
_EXACT_TOTAL = 2.0**52


def _exact_in_any_order(values: np.ndarray) -> bool:
    """Whether every sum of any subset of ``values``, in any order, is exact (whole values,
    magnitudes adding up to less than :data:`_EXACT_TOTAL`)."""
    magnitude = np.abs(values)
    total = magnitude.sum()
    return bool(total < _EXACT_TOTAL and np.array_equal(np.floor(magnitude), magnitude))


def _masked_sum_by_changes(
    mask: np.ndarray, values: np.ndarray, group: np.ndarray, n_groups: int
) -> np.ndarray:
    """:func:`_masked_sum_by_group` for values every sum of which is exact (see there).

    Each period adds the values of the customers whose mask changed since the period before
    (plus those entering, minus those leaving): activity moves slowly, so a few percent of
    the customers instead of all the active ones. The changes of each period are independent
    (two threads); their running total is exact, as every sum here.
    """
    n_periods = len(mask)
    changes = np.empty((n_periods, n_groups))

    def period_change(period: int) -> None:
        row = mask[period]
        moved = np.flatnonzero(row if period == 0 else row != mask[period - 1])
        signed = values[moved]
        np.negative(signed, out=signed, where=~row[moved])  # left: subtract
        if n_groups == 1:
            changes[period] = signed.sum()
        else:
            changes[period] = np.bincount(group[moved], weights=signed, minlength=n_groups)

    parallel_map(period_change, range(n_periods))
    out = np.cumsum(changes, axis=0)
    out += 0.0  # -0.0 (customers of value -0.0) is 0.0, as the bincount's sums from 0.0
    return out


def _period_frame(
    periods: _Periods,
    selected: np.ndarray,
    by: str | None,
    groups: list[object],
    columns: dict[str, np.ndarray],
) -> pd.DataFrame:
    """Long output frame: rows period-major then group; ``columns`` are (periods, groups)."""
    n_groups = len(groups)
    frame = pd.DataFrame(
        {
            "period_start": np.repeat(periods.start_months[selected], n_groups),
            "period_end": np.repeat(periods.end_months[selected], n_groups),
            "period": np.repeat(np.asarray(periods.labels, dtype=object)[selected], n_groups),
        }
    )
    if by is not None:
        frame[by] = np.tile(np.asarray(groups, dtype=object), len(selected))
    for name, values in columns.items():
        frame[name] = np.asarray(values).reshape(-1)
    return frame


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
    grid = _month_grid(months)
    panel = _panel(monthly, grid, _periods(grid, period), activity_window)
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
    grid = _month_grid(months)
    periods = _periods(grid, period)
    panel = _panel(monthly, grid, periods, activity_window)
    group, groups = _groups(customers, by, panel.index, "movements")
    counts = _counts_of(monthly, panel, group, len(groups))
    active_start, lost = counts["active_start"], counts["lost"]
    with np.errstate(divide="ignore", invalid="ignore"):
        churn = np.where(active_start > 0, lost / np.maximum(active_start, 1), np.nan)
    complete = np.repeat((periods.starts - activity_window >= 0)[:, None], len(groups), axis=1)
    counts.update(churn_rate=churn, retention_rate=1.0 - churn, complete_history=complete)
    return _period_frame(periods, np.arange(len(periods)), by, groups, counts)


_YEAR = 12  # months
_COHORT_BLOCK = 2**14  # customers per step of _cohort_cells: its arrays stay in cache


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
    grid = _month_grid(months)
    if len(grid) <= _YEAR:
        raise PortfolioDataError(
            "history_too_short",
            analysis="annual churn",
            months_needed=_YEAR + 1,
            months_available=len(grid),
        )
    panel = _window_panel(monthly, grid, _YEAR, activity_window)
    group, groups = _groups(customers, by, panel.index, "annual churn")
    churn = _churn_of_last_period(_last_period_counts(panel, group, len(groups)))
    if by is None:
        return float(churn[0])
    return pd.Series(churn, index=pd.Index(groups, name=by, dtype=object), name="annual_churn")


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
    grid = _month_grid(months)
    periods = _periods(grid, period)
    if by is not None:  # the clearer error first
        _require_attribute(customers, by, "revenue bridge")
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
    panel = _panel(monthly, grid, periods, window)
    group, groups = _groups(customers, by, panel.index, "revenue bridge")
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
    return _period_frame(periods, np.arange(1, n_periods), by, groups, columns)


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
    grid = _month_grid(months)
    _check_monthly(monthly)
    periods = _periods(grid, period)
    views = _views(monthly)
    codes, index = _customer_codes(monthly, views=views)
    first = _first_purchase_positions(monthly, grid, codes, len(index), views=views)
    # Cohort + 1 of every customer, 0 for customers in no cohort (dropped after counting).
    slot = _first_periods(views, grid, periods, first)[0] + 1
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
    periods: _Periods,
    codes: np.ndarray,
    slot: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Active members and net revenue per cohort (rows) and absolute period (columns).

    ``slot`` is each customer's cohort + 1 (0: no cohort). A member is active in a period
    when their net revenue within it is > ``_NOISE``.
    """
    n_periods = len(periods)
    shape = (n_periods + 1, n_periods)  # slot 0 (no cohort) is dropped at the end
    views = _views(monthly)
    if not views.sorted_cells():
        by_period = _customer_period_sums(monthly, months, periods, codes, len(slot), "revenue")
        active, revenue = np.zeros(shape), np.zeros(shape)
        for p, row in enumerate(by_period):  # absolute period p; a loop over periods only
            active[:, p] = np.bincount(slot, weights=row > _NOISE, minlength=n_periods + 1)
            revenue[:, p] = np.bincount(slot, weights=row, minlength=n_periods + 1)
        return active[1:], revenue[1:]
    # Rows run by customer then month: each customer's rows of one period are consecutive, so
    # their sum is a bincount over runs (the same additions as the dense customer x period
    # bincount), and the cells add those sums in customer order, as its per-period bincounts
    # do (without the customers' zeros, and without the dense matrix: 360 MB on a million).
    # By blocks of customers, in order (np.add.at adds one sum after the other, as a
    # bincount): the same cells, with no row-sized temporary.
    position = views.positions(months)
    values = views.values("revenue")
    bounds = views.row_bounds()
    on_grid = views.on_grid(months)
    monthly_periods = n_periods == len(months)  # a period per month: positions are periods
    period_of_month = periods.of_month
    regular = _regular_periods(period_of_month, position.dtype)
    active = np.zeros(shape[0] * shape[1], dtype=np.int64)
    revenue = np.zeros(shape[0] * shape[1])
    n_customers = len(bounds) - 1
    for first in range(0, n_customers, _COHORT_BLOCK):
        rows = slice(bounds[first], bounds[min(first + _COHORT_BLOCK, n_customers)])
        period, customer, sums = position[rows], codes[rows], values[rows]
        if not on_grid:
            inside = period >= 0
            period, customer, sums = period[inside], customer[inside], sums[inside]
        if not len(period):
            continue
        if not monthly_periods:  # several months per period: sum each customer's runs
            if regular is None:
                period = period_of_month[period]
            else:  # calendar periods: arithmetic in the positions' integers, not a gather
                shift, step = regular
                period = np.add(period, shift, dtype=position.dtype)
                period //= step
            new_run = np.empty(len(period), dtype=bool)
            new_run[0] = True
            np.not_equal(period[1:], period[:-1], out=new_run[1:])
            new_run[1:] |= customer[1:] != customer[:-1]
            run = np.cumsum(new_run, dtype=np.intp)  # run number + 1 of every row
            run -= 1
            # bincount adds in row order from 0, as the dense matrix's (add.reduceat would
            # not); the values may be the table's cached, read-only ones.
            sums = _bincount(run, weights=sums)
            start = np.flatnonzero(new_run)
            customer, period = customer[start], period[start]
        cell = slot[customer].astype(np.intp, copy=False)  # its own array (a gather)
        cell *= n_periods
        cell += period
        active += np.bincount(cell[sums > _NOISE], minlength=len(active))  # counts: exact
        np.add.at(revenue, cell, sums)
    return active.reshape(shape)[1:].astype(float), revenue.reshape(shape)[1:]


def _regular_periods(of_month: np.ndarray, dtype: np.dtype) -> tuple[int, int] | None:
    """``(shift, step)`` such that ``of_month`` is ``(position + shift) // step`` (calendar
    quarters or years on a month grid, the first one possibly partial), computable in the
    integers ``dtype`` of the positions; None for other periods."""
    n_months = len(of_month)
    step = int(np.bincount(of_month).max()) if n_months else 1
    shift = step - int(np.count_nonzero(of_month == 0)) if n_months else 0
    if n_months - 1 + shift > np.iinfo(dtype).max:
        return None
    if not np.array_equal((np.arange(n_months) + shift) // step, of_month):
        return None
    return shift, step


def _customer_period_sums(
    monthly: pd.DataFrame,
    months: pd.DatetimeIndex,
    periods: _Periods,
    codes: np.ndarray,
    n_customers: int,
    value: str,
) -> np.ndarray:
    """Period x customer sums of ``value`` straight from the long table (months in the grid).

    Not rounded: compare with ``> _NOISE`` rather than ``> 0``.
    """
    position = months.get_indexer(monthly["month"].to_numpy(dtype="datetime64[ns]"))
    keep = position >= 0
    key = periods.of_month[position[keep]] * n_customers + codes[keep].astype(np.int64)
    sums = np.bincount(
        key, weights=monthly[value].fillna(0).to_numpy()[keep], minlength=n_customers * len(periods)
    )
    return sums.reshape(len(periods), n_customers)
