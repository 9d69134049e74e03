"""Tables derived from the monthly table, computed once per table and kept with it.

Every analysis reads the same things off ``Aggregates.monthly``: each row's customer code and
month position, each customer's trailing net revenue and activity month by month, the totals
of a window... On a million customers each costs tenths of a second, and one notebook run or
one explorer asks for them dozens of times. So they are computed on first use and kept with
the table (:func:`views`, the library's one cache besides the models'):

- keyed by the identity of the DataFrame, through a weak reference: the arrays go when the
  table goes. Every use checks a fingerprint of the table (length, column names, and each
  used column's dtype and data address) and recomputes on any mismatch;
- the cache keeps a shallow copy of the table. Under pandas' copy-on-write, any later
  in-place change to the table (``.loc[...] =``, ``fillna(inplace=True)``...) then copies the
  column it changes first: its data address changes, the fingerprint no longer matches and
  nothing stale is ever served;
- bounded per table: the trailing panels of the two activity windows used last and the last
  few dozen small results; :func:`clear_cache` forgets everything;
- arrays handed out are read-only; public functions return fresh frames.

The trailing panel (:class:`TrailingPanel`) keeps the activity matrix (booleans), the totals
per month and a few months of trailing revenue, computed by blocks of customers: the
customer x month matrix of money (360 MB on 1.26M customers over 36 months) is never held.

The public functions turn ``monthly`` into dense customer x month matrices
(:func:`revenue_matrix`, :func:`active_matrix`), trailing sums, window totals and the
calendar periods of a month grid (:func:`period_ends`, :func:`period_label`).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Literal, TypeVar

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.runtime import parallel_map, thread_count

__all__ = [
    "PERIOD_MONTHS",
    "Period",
    "TableViews",
    "TrailingPanel",
    "active_matrix",
    "clear_cache",
    "grid_key",
    "period_ends",
    "period_label",
    "read_only",
    "revenue_matrix",
    "same_customers",
    "trailing_sum",
    "views",
    "window_arrays",
    "window_block_sums",
    "window_totals",
]

Period = Literal["month", "quarter", "year"]
PERIOD_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
_T = TypeVar("_T")


def same_customers(index: pd.Index, ids: pd.Series | pd.Index) -> bool:
    """Whether ``ids`` are exactly the customers of ``index``, in its order.

    ``index.equals(pd.Index(ids))``, answered from the integer codes when ``ids`` is the
    categorical ``customer_id`` of :class:`Aggregates` (its categories are the monthly
    table's customers): comparing a million ids as strings, or a categorical with a string
    index, costs seconds.
    """
    if len(index) != len(ids):
        return False
    if isinstance(ids.dtype, pd.CategoricalDtype):
        categories = ids.dtype.categories
        if isinstance(index.dtype, pd.CategoricalDtype):
            if not same_customers(categories, index):
                return False
        elif not (categories is index or categories.equals(index)):
            return bool(index.equals(pd.Index(np.asarray(ids, dtype=object), dtype=index.dtype)))
        codes = ids.array.codes if isinstance(ids, pd.Series) else ids.codes  # views, no copy
        return _is_range(np.asarray(codes))
    if isinstance(index.dtype, pd.CategoricalDtype):
        return same_customers(pd.Index(ids), index)
    return bool(index.equals(pd.Index(ids)))


def _is_range(codes: np.ndarray) -> bool:
    """Whether ``codes`` is ``0, 1, ..., len(codes) - 1``."""
    return bool(np.array_equal(codes, np.arange(len(codes))))


_VIEW_COLUMNS = ("customer_id", "month", "revenue", "margin", "orders")
_MAX_ITEMS = 32  # small results kept per table (positions, totals, first purchases...)
_MAX_PANELS = 2  # trailing panels kept per table (one per activity window)
_MAX_KEPT_ROWS = 16  # full months of trailing revenue a panel keeps
# Customers per block of the trailing panel: blocks of 4 MiB of float64 stay in the CPU cache.
_BLOCK_BYTES = 2**22


_CACHE_LOCK = threading.RLock()
_TABLES: dict[int, TableViews] = {}


def clear_cache() -> None:
    """Forget every array derived from monthly tables (recomputed when next needed).

    The analyses keep what they derive from ``Aggregates.monthly`` (month positions,
    trailing revenue and activity, window totals) with the table itself, so a notebook or an
    explorer computes them once. They are freed with the table and recomputed whenever the
    table changes; this function frees them earlier, e.g. to measure a cold start.
    """
    with _CACHE_LOCK:
        _TABLES.clear()


def _table_state(monthly: pd.DataFrame) -> tuple | None:
    """Fingerprint of the parts of a monthly table the cached arrays derive from.

    None when it cannot be taken (duplicate column names, a column pandas hands out as a
    copy): nothing is cached for such a table.
    """
    if not monthly.columns.is_unique:
        return None
    state: list[object] = [len(monthly.index), tuple(monthly.columns)]
    for name in _VIEW_COLUMNS:
        if name not in monthly.columns:
            continue
        column = _column_array(monthly, name)
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            # The codes the table holds (a view: ``.cat.codes`` would be a fresh copy).
            values, extra = column.codes, id(dtype.categories)
        elif isinstance(column, np.ndarray):
            values, extra = column, None
        else:  # extension arrays: the array object (replaced, never edited, under CoW)
            state.append((name, str(dtype), id(column)))
            continue
        if values.base is None:  # a copy, not the table's own data: no stable address
            return None
        state.append((name, str(values.dtype), values.__array_interface__["data"][0], extra))
    return tuple(state)


def _column_array(frame: pd.DataFrame, name: str) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """The array a column holds (``frame[name].array``; numpy dtypes as ``.to_numpy()``)."""
    column = frame[name]
    return column.to_numpy() if isinstance(column.dtype, np.dtype) else column.array


def _forget(key: int) -> None:
    with _CACHE_LOCK:
        views = _TABLES.get(key)
        if views is not None and views.table() is None:
            del _TABLES[key]


def views(monthly: pd.DataFrame) -> TableViews:
    """The cached views of ``monthly`` (created, or recreated if the table changed)."""
    state = _table_state(monthly)
    if state is None:
        return TableViews(monthly, state, keep=False)
    key = id(monthly)
    with _CACHE_LOCK:
        views = _TABLES.get(key)
        if views is not None and views.table() is monthly and views.state == state:
            return views
        first = views is None or views.table() is not monthly
        views = TableViews(monthly, state)
        _TABLES[key] = views
    if first:
        weakref.finalize(monthly, _forget, key)
    return views


def read_only(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False
    return values


def grid_key(months: pd.DatetimeIndex) -> bytes:
    return np.asarray(months, dtype="datetime64[ns]").view(np.int64).tobytes()


class TableViews:
    """Arrays derived from one monthly table, computed on first use (see the notes above)."""

    def __init__(self, monthly: pd.DataFrame, state: tuple | None, *, keep: bool = True):
        self.table = weakref.ref(monthly)
        self.state = state
        # The shallow copy makes pandas copy any column changed in place later (see above);
        # the views read their inputs from it, so they can never see a later change.
        self.frame = monthly.copy(deep=False)
        self._keep = keep
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.RLock()

    def get(self, key: tuple, compute: Callable[[], _T]) -> _T:
        """The item ``key``, computed by ``compute()`` the first time (LRU-bounded)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[return-value]
            value = compute()
            if self._keep:
                self._items[key] = value
                self._evict()
            return value

    def _evict(self) -> None:
        panels = [k for k in self._items if k[0] == "panel"]
        for key in panels[: max(len(panels) - _MAX_PANELS, 0)]:
            del self._items[key]
        while len(self._items) > _MAX_ITEMS + _MAX_PANELS:
            oldest = next(k for k in self._items if k[0] != "panel")
            del self._items[oldest]

    def customers(self, customer_col: str = "customer_id") -> tuple[np.ndarray, pd.Index]:
        """Row code of every row (-1 without an id) and the customers, in category order."""

        def compute() -> tuple[np.ndarray, pd.Index]:
            ids = self.frame[customer_col]
            if isinstance(ids.dtype, pd.CategoricalDtype):
                return ids.array.codes, ids.cat.categories  # a read-only view, no copy
            codes, index = pd.factorize(ids, sort=True)
            return read_only(codes), index

        return self.get(("customers", customer_col), compute)

    def positions(self, months: pd.DatetimeIndex, month_col: str = "month") -> np.ndarray:
        """Grid position of every row's month (-1 off the grid), as ``months.get_indexer``,
        in the narrowest integers that hold them (:func:`_position_dtype`: widen before any
        arithmetic that could leave their range)."""

        def compute() -> np.ndarray:
            return read_only(_month_positions(self.frame[month_col], months))

        return self.get(("positions", month_col, grid_key(months)), compute)

    def values(self, column: str) -> np.ndarray:
        """A numeric column as float64, missing values as 0 (read-only)."""

        def compute() -> np.ndarray:
            column_values = self.frame[column]
            if column_values.dtype == np.float64:
                # The column's own (read-only) data, no copy: the table is copy-on-write, so a
                # later change to it copies the column first (see TableViews).
                values = column_values.to_numpy()
            elif isinstance(column_values.dtype, np.dtype) and column_values.dtype.kind in "iub":
                values = column_values.to_numpy().astype(float)  # no missing value to map
            else:
                values = column_values.to_numpy(dtype=float, na_value=np.nan)
            if np.isnan(values).any():
                values = np.nan_to_num(values)
            return read_only(values) if values.flags.writeable else values

        return self.get(("values", column), compute)

    def has_values(self, column: str) -> bool:
        """Whether the column exists and holds at least one value (e.g. a margin)."""

        def compute() -> bool:
            return column in self.frame and bool(self.frame[column].notna().any())

        return self.get(("has_values", column), compute)

    def sorted_cells(self) -> bool:
        """Whether rows run by customer code, then by strictly increasing month (no duplicate).

        True for ``Aggregates.monthly``; the fast paths that walk customers by blocks of
        rows, or months within a customer, rely on it (other tables take the general path).
        """
        return self._customer_runs() is not None

    def row_bounds(self) -> np.ndarray:
        """Where each customer's rows start, then the number of rows (customers + 1 values).

        Only for tables whose :meth:`sorted_cells` holds: customer ``c``'s rows are then
        ``bounds[c]:bounds[c + 1]`` (empty for prospects), months increasing.
        """
        bounds = self._customer_runs()
        if bounds is None:
            raise ValueError("row_bounds needs rows sorted by customer, then month")
        return bounds

    def _customer_runs(self) -> np.ndarray | None:
        """:meth:`row_bounds` when :meth:`sorted_cells` holds, else None (one pass for both)."""

        def compute() -> np.ndarray | None:
            codes, index = self.customers()
            if len(codes) and codes[0] < 0:
                return None
            month = self.frame["month"].to_numpy(dtype="datetime64[ns]")
            new = codes[1:] != codes[:-1]  # row i + 1 is a new customer's first row
            if not (np.all(codes[1:] >= codes[:-1]) and np.all(new | (month[1:] > month[:-1]))):
                return None
            starts = np.concatenate(
                [np.zeros(min(len(codes), 1), dtype=np.int64), np.flatnonzero(new) + 1]
            )
            bounds = np.full(len(index) + 1, len(codes), dtype=np.int64)
            bounds[codes[starts]] = starts
            # Customers without rows start where the next customer with rows does.
            np.minimum.accumulate(bounds[::-1], out=bounds[::-1])
            return read_only(bounds)

        return self.get(("customer_runs",), compute)

    def on_grid(self, months: pd.DatetimeIndex) -> bool:
        """Whether every row's month is on the grid (as in ``Aggregates``): no row to drop."""

        def compute() -> bool:
            position = self.positions(months)
            return not len(position) or bool(position.min() >= 0)

        return self.get(("on_grid", grid_key(months)), compute)

    def panel(self, months: pd.DatetimeIndex, window: int) -> TrailingPanel:
        """Trailing net revenue over ``window`` months on the grid ``months`` (see above)."""
        if window < 1:
            raise ValueError(f"window must be at least 1 month, got {window}")

        def compute() -> TrailingPanel:
            codes, index = self.customers()
            keep = set(_year_end_positions(months)) | {len(months) - 1}
            if len(months) - 1 - window >= 0:
                keep.add(len(months) - 1 - window)
            return TrailingPanel(
                codes=codes,
                columns=self.positions(months),
                revenue=self.values("revenue"),
                n_customers=len(index),
                n_months=len(months),
                window=window,
                sorted_cells=self.sorted_cells(),
                on_grid=self.on_grid(months),
                keep_rows=sorted(keep),
            )

        return self.get(("panel", grid_key(months), int(window)), compute)


def _year_end_positions(months: pd.DatetimeIndex) -> list[int]:
    """Grid positions of the Decembers (and of the last month) of a grid of consecutive months."""
    grid = pd.DatetimeIndex(months)
    return [i for i, month in enumerate(grid) if month.month == 12 or i == len(grid) - 1]


def _trailing_in_place(block: np.ndarray, window: int) -> None:
    """Month-major revenue -> trailing sums over ``window`` months, rounded to 1e-9 (in place).

    The arithmetic of :func:`trailing_sum`: cumulative sums month by month, then the
    difference with the sum ``window`` months earlier (latest month first), then rounding.
    """
    # Month by month: each step adds two contiguous rows (np.cumsum(axis=0) would walk each
    # customer's column across the rows, against the memory layout).
    for month in range(1, len(block)):
        np.add(block[month], block[month - 1], out=block[month])
    _trailing_from_cumulative(block, window)


def _trailing_from_cumulative(block: np.ndarray, window: int) -> None:
    """Month-major cumulative sums -> sums over ``window`` months, rounded to 1e-9 (in place)."""
    for month in range(len(block) - 1, window - 1, -1):
        np.subtract(block[month], block[month - window], out=block[month])
    # Sums of money accumulate rounding noise; 1e-9 € is far below a cent.
    np.round(block, 9, out=block)


class TrailingPanel:
    """Trailing net revenue of every customer at every month of a grid, kept lean.

    ``active`` (months x customers, booleans: trailing revenue > 0) and ``totals`` (per month,
    over all customers) are computed at once, with the full months of trailing revenue in
    ``keep_rows``; other months (:meth:`rows`) and per-group totals (:meth:`group_totals`)
    are computed on request, by blocks of customers, without the dense money matrix. Per
    customer the arithmetic is the dense computation's (:func:`trailing_sum`); totals add the
    blocks' sums.
    """

    def __init__(
        self,
        *,
        codes: np.ndarray,
        columns: np.ndarray,
        revenue: np.ndarray,
        n_customers: int,
        n_months: int,
        window: int,
        sorted_cells: bool,
        on_grid: bool,
        keep_rows: Sequence[int],
    ):
        self._inputs = (codes, columns, revenue)
        self.n_customers, self.n_months, self.window = n_customers, n_months, window
        self._sorted_cells = sorted_cells
        # Every row on the grid (Aggregates.monthly): no filtering of the rows of each block.
        self._on_grid = on_grid
        size = max(_BLOCK_BYTES // (8 * max(n_months, 1)), 1) if sorted_cells else n_customers
        size = max(size, 1)
        self._leaves = [(a, min(a + size, n_customers)) for a in range(0, n_customers, size)]
        self._lock = threading.RLock()
        active = np.empty((n_months, n_customers), dtype=bool)
        sums: dict[int, np.ndarray] = {}
        rows = {p: np.empty(n_customers) for p in keep_rows}

        def keep(start: int, stop: int, block: np.ndarray) -> None:
            np.greater(block, 0, out=active[:, start:stop])
            sums[start] = block.sum(axis=1)
            for position, row in rows.items():
                row[start:stop] = block[position]

        self._each_block(keep)
        self.active = read_only(active)
        totals = np.zeros(n_months)
        for start in sorted(sums):
            totals += sums[start]
        self.totals = read_only(totals)
        self._rows = {p: read_only(row) for p, row in rows.items()}

    def _blocks(self) -> Iterator[tuple[int, int, np.ndarray]]:
        """(first customer, end, trailing sums of those customers: months x customers)."""
        codes, columns, revenue = self._inputs
        n, m = self.n_customers, self.n_months
        if not self._sorted_cells:  # any long table: the dense matrix at once, as before
            keep = (columns >= 0) & (codes >= 0)
            key = columns[keep].astype(np.int64) * n + codes[keep]
            block = np.bincount(key, weights=revenue[keep], minlength=n * m).reshape(m, n)
            _trailing_in_place(block, self.window)
            yield 0, n, block
            return
        leaves, bounds = self._block_rows()
        buffer = np.empty((m, max((stop - start for start, stop in leaves), default=0)))
        for k in range(len(leaves)):
            yield self._fill(leaves, bounds, k, buffer)

    def _block_rows(self) -> tuple[list[tuple[int, int]], np.ndarray]:
        """The blocks of customers and the rows where each starts (rows run by customer)."""
        codes = self._inputs[0]
        leaves = self._leaves
        # In the codes' own type: searchsorted would otherwise convert the millions of codes.
        starts = np.array([start for start, _ in leaves], dtype=codes.dtype)
        return leaves, np.append(np.searchsorted(codes, starts), len(codes))

    def _fill(
        self, leaves: list[tuple[int, int]], bounds: np.ndarray, k: int, buffer: np.ndarray
    ) -> tuple[int, int, np.ndarray]:
        """Block ``k``'s trailing sums, computed in ``buffer``."""
        # Rows run by customer: a block of customers is a slice of rows, and each of their
        # (customer, month) cells holds one row, so the block is filled by assignment.
        codes, columns, revenue = self._inputs
        start, stop = leaves[k]
        block = buffer[:, : stop - start]
        block.fill(0.0)
        rows = slice(bounds[k], bounds[k + 1])
        # Cells by their offset in the whole buffer (rows of buffer.shape[1] values): one flat
        # assignment, several times faster than indexing the block with two arrays.
        cell = columns[rows].astype(np.intp)  # narrow positions: widened before the product
        cell *= buffer.shape[1]
        cell += codes[rows]
        cell -= start
        # + 0.0: a -0.0 amount becomes 0.0, as the sums of revenue_matrix make it.
        amount = revenue[rows] + 0.0
        if not self._on_grid:
            inside = columns[rows] >= 0
            cell, amount = cell[inside], amount[inside]
        buffer.reshape(-1)[cell] = amount
        _trailing_in_place(block, self.window)
        return start, stop, block

    def _each_block(self, work: Callable[[int, int, np.ndarray], None]) -> None:
        """``work(start, stop, block)`` for every block, in any order, on up to two threads.

        Blocks are independent and numpy releases the GIL in the arithmetic that fills them,
        so the machine's second core halves the wall time; ``work`` must only write to its
        block's own slice of its outputs.
        """
        threads = thread_count()
        if not self._sorted_cells or threads < 2:
            for start, stop, block in self._blocks():
                work(start, stop, block)
            return
        leaves, bounds = self._block_rows()
        width = max((stop - start for start, stop in leaves), default=0)

        def run(first: int) -> None:
            buffer = np.empty((self.n_months, width))  # one per thread
            for k in range(first, len(leaves), threads):
                work(*self._fill(leaves, bounds, k, buffer))

        parallel_map(run, range(threads))

    def rows(self, positions: Sequence[int]) -> list[np.ndarray]:
        """Trailing revenue of every customer at each month of ``positions`` (read-only)."""
        with self._lock:
            missing = sorted({int(p) for p in positions} - set(self._rows))
            computed = {p: np.empty(self.n_customers) for p in missing}
            if computed:

                def keep(start: int, stop: int, block: np.ndarray) -> None:
                    for position, row in computed.items():
                        row[start:stop] = block[position]

                self._each_block(keep)
                for row in computed.values():
                    read_only(row)
                if len(self._rows) + len(computed) <= _MAX_KEPT_ROWS:
                    self._rows.update(computed)
            return [self._rows.get(int(p), computed.get(int(p))) for p in positions]

    def group_totals(
        self, positions: Sequence[int], group: np.ndarray, n_groups: int
    ) -> np.ndarray:
        """Sums of the trailing revenue per month of ``positions`` and group: (months, groups)."""
        positions = np.asarray(positions, dtype=np.int64)
        if n_groups == 1:
            return self.totals[positions][:, None].copy()
        sums = np.zeros((len(positions), n_groups))
        for start, stop, block in self._blocks():
            members = group[start:stop]
            for i, position in enumerate(positions):
                sums[i] += np.bincount(members, weights=block[position], minlength=n_groups)
        return sums


# --------------------------------------------------------------------------------------------
# Dense views of the monthly table (cheap: used by every analysis and every widget change)


def _position_dtype(n_months: int) -> np.dtype:
    """The narrowest signed integers holding the grid positions -1 .. ``n_months - 1``.

    Positions of millions of rows: int8 for grids of up to 128 months is an eighth of the
    memory of int64. Arithmetic on them (cells ``position * width + customer``) must widen
    first (``.astype(np.intp)``): the products do not fit.
    """
    for dtype in (np.int8, np.int16, np.int32):
        if n_months - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


_DAY_NS = 86_400 * 10**9
_MAX_TABLE_DAYS = 2**20  # a lookup table of at most 8 MiB (over 2,800 years of days)


def _month_positions(values: pd.Series, months: pd.DatetimeIndex) -> np.ndarray:
    """``months.get_indexer(values)`` (-1 where absent), in the narrowest integers that hold
    the positions (:func:`_position_dtype`).

    On a sorted grid of midnights (``Aggregates.months``) each row's day indexes a table of
    the grid's positions, checked against the row's exact timestamp: several times faster
    than a binary search in the grid on millions of rows (the first render of every
    explorer waits for it). Other sorted grids are searched, unsorted ones hashed.
    """
    grid = months.to_numpy()
    dtype = _position_dtype(len(grid))
    if not (months.is_monotonic_increasing and months.is_unique) or not len(grid):
        return months.get_indexer(values).astype(dtype)
    stamps = values.to_numpy(dtype=grid.dtype)
    ticks = grid.view(np.int64)
    first_day, last_day = int(ticks[0] // _DAY_NS), int(ticks[-1] // _DAY_NS)
    if not (
        grid.dtype == np.dtype("datetime64[ns]")
        and not (ticks % _DAY_NS).any()
        and last_day - first_day < _MAX_TABLE_DAYS
    ):
        position = np.minimum(np.searchsorted(grid, stamps), len(grid) - 1)
        return np.where(grid[position] == stamps, position, -1).astype(dtype)
    # Position of the month starting on each day of the grid's span, -1 for other days; a -1
    # slot before and after the span for the days outside it (and NaT).
    table = np.full(last_day - first_day + 3, -1, dtype=dtype)
    table[ticks // _DAY_NS - first_day + 1] = np.arange(len(ticks))
    rows = stamps.view(np.int64)
    position = np.take(table, rows // _DAY_NS - (first_day - 1), mode="clip")
    # The found month's timestamp against the row's (position -1 reads the first month,
    # harmlessly: the position stays -1).
    position[np.take(ticks, position, mode="clip") != rows] = -1
    return position


def revenue_matrix(
    monthly: pd.DataFrame,
    months: pd.DatetimeIndex,
    *,
    value: str = "revenue",
    customer_col: str = "customer_id",
    month_col: str = "month",
) -> pd.DataFrame:
    """Customer x month matrix of ``value`` (0 where no transaction).

    Parameters
    ----------
    monthly : pandas.DataFrame
        Long table from :func:`aggregate`.
    months : pandas.DatetimeIndex
        The columns, usually ``Aggregates.months``; months outside are dropped.
    value : str, default 'revenue'
        Column to spread ('revenue', 'margin', 'orders').

    Returns
    -------
    pandas.DataFrame
        Index = the customers of the categorical ``customer_id`` (all of them, in category
        order, so prospects are rows of zeros), columns = ``months``.
    """
    cached = views(monthly)
    rows, index = cached.customers(customer_col)
    cols = cached.positions(months, month_col)
    keep = (cols >= 0) & (rows >= 0)
    n, m = len(index), len(months)
    weights = cached.values(value)[keep]
    # One pass of bincount over month-major cells (no np.add.at): the matrix is stored
    # months x customers, the column-major layout pandas keeps for 2-D blocks, so column
    # work (sums over customers, trailing windows) runs on contiguous rows, without a copy.
    key = cols[keep].astype(np.int64) * n + rows[keep]
    by_month = np.bincount(key, weights=weights, minlength=n * m)
    return pd.DataFrame(
        by_month.reshape(m, n).T,
        index=pd.Index(index, name=customer_col),
        columns=months,
        copy=False,
    )


def window_totals(
    monthly: pd.DataFrame,
    months: pd.DatetimeIndex,
    *,
    window: int = DEFAULTS["activity_window"],
    end: object = None,
) -> pd.DataFrame:
    """Revenue, margin and orders of each customer over the ``window`` months ending at ``end``.

    Parameters
    ----------
    monthly : pandas.DataFrame
        Long table from :func:`aggregate`.
    months : pandas.DatetimeIndex
        Month grid, usually ``Aggregates.months``.
    window : int, default 12
        Months in the window.
    end : date-like, optional
        Last month of the window (any day in it), default the last month of ``months``.

    Returns
    -------
    pandas.DataFrame
        Indexed like :func:`revenue_matrix` (every customer, prospects included), columns
        ``revenue``, ``margin`` (missing when the log has none), ``orders`` and ``active``
        (revenue > 0).
    """
    index, totals = window_arrays(monthly, months, window=window, end=end)
    out = pd.DataFrame(totals, index=pd.Index(index, name="customer_id"))  # copies: callers own it
    if not views(monthly).has_values("margin"):
        out["margin"] = np.nan
    out["orders"] = out["orders"].astype("int64")
    out["active"] = out["revenue"] > 0
    return out


def window_arrays(
    monthly: pd.DataFrame, months: pd.DatetimeIndex, *, window: int, end: object = None
) -> tuple[pd.Index, dict[str, np.ndarray]]:
    """:func:`window_totals` as the table's cached read-only arrays (revenue rounded to 1e-9,
    margin and orders as floats; missing values count 0), and the customers they follow."""
    last = months[-1] if end is None else pd.Timestamp(end).to_period("M").to_timestamp()
    in_window = (months <= last) & (months > last - pd.DateOffset(months=window))
    cached = views(monthly)

    def compute() -> tuple[pd.Index, dict[str, np.ndarray]]:
        rows, index = cached.customers("customer_id")
        names = ("revenue", "margin", "orders")
        columns = [cached.values(name) for name in names]
        if months.is_monotonic_increasing and months.is_unique:
            first, last_in = np.flatnonzero(in_window)[[0, -1]] if in_window.any() else (1, 0)
            position = cached.positions(months)
        else:
            first, last_in = 0, 0
            position = _month_positions(monthly["month"], months[in_window]).clip(max=0)
        sums = _window_sums(position, int(first), int(last_in), rows, len(index), columns)
        sums[0] = sums[0].round(9)
        return index, {name: read_only(v) for name, v in zip(names, sums, strict=True)}

    return cached.get(("window_totals", grid_key(months), int(window), last), compute)


def window_block_sums(
    position: np.ndarray,
    first: int,
    last: int,
    codes: np.ndarray,
    bounds: np.ndarray,
    columns: Sequence[np.ndarray],
) -> list[np.ndarray]:
    """Per customer, the sums of each of ``columns`` over the rows at grid positions
    ``first`` .. ``last`` (rows in row order, as one ``np.bincount``).

    ``codes``: each row's customer (-1: none, skipped); ``bounds``: one value per customer
    plus one (:meth:`TableViews.row_bounds`), read for the number of customers.
    """
    return _window_sums(position, first, last, codes, len(bounds) - 1, columns)


def _window_sums(
    position: np.ndarray,
    first: int,
    last: int,
    codes: np.ndarray,
    n: int,
    columns: Sequence[np.ndarray],
) -> list[np.ndarray]:
    """:func:`window_block_sums` for ``n`` customers."""
    kept = np.flatnonzero((position >= first) & (position <= last) & (codes >= 0))
    slots = codes[kept].astype(np.intp)
    return [
        np.bincount(slots, weights=values[kept], minlength=n).astype(float) for values in columns
    ]


def trailing_sum(matrix: pd.DataFrame, window: int) -> pd.DataFrame:
    """Sum over the ``window`` months ending at each column (fewer at the start).

    Examples
    --------
    >>> m = pd.DataFrame([[1.0, 2.0, 3.0, 4.0]], columns=pd.date_range("2024-01", periods=4,
    ...                  freq="MS"))
    >>> trailing_sum(m, 2).to_numpy().tolist()
    [[1.0, 3.0, 5.0, 7.0]]
    """
    if window < 1:
        raise ValueError(f"window must be at least 1 month, got {window}")
    by_month = matrix.to_numpy().T  # months x customers: contiguous rows from revenue_matrix
    cumulative = by_month.astype(np.cumsum(by_month[:1, :1]).dtype)  # a copy, summed in place
    _trailing_in_place(cumulative, window)
    return pd.DataFrame(cumulative.T, index=matrix.index, columns=matrix.columns, copy=False)


def active_matrix(
    monthly: pd.DataFrame,
    months: pd.DatetimeIndex,
    *,
    activity_window: int = DEFAULTS["activity_window"],
) -> pd.DataFrame:
    """Whether each customer is active at the end of each month.

    Active at month t: net revenue > 0 over the ``activity_window`` months ending with t.

    Returns
    -------
    pandas.DataFrame
        Boolean customer x month matrix (same layout as :func:`revenue_matrix`).
    """
    cached = views(monthly)
    _, index = cached.customers("customer_id")
    active = cached.panel(months, activity_window).active
    return pd.DataFrame(
        active.T, index=pd.Index(index, name="customer_id"), columns=months, copy=True
    )


def period_ends(months: pd.DatetimeIndex, period: Period = "month") -> pd.DatetimeIndex:
    """The months that close each period (the last, possibly partial, period included).

    Examples
    --------
    >>> [f"{m:%Y-%m}" for m in period_ends(pd.date_range("2024-01", "2024-08", freq="MS"), "quarter")]
    ['2024-03', '2024-06', '2024-08']
    """
    step = _period_months(period)
    if step == 1:
        return pd.DatetimeIndex(months, freq=None)
    key = months.to_period({3: "Q", 12: "Y"}[step])
    last = pd.Series(months, index=key).groupby(level=0).max()
    return pd.DatetimeIndex(last.to_numpy()).astype("datetime64[ns]")


def period_label(month: pd.Timestamp, period: Period = "month") -> str:
    """Short label of the period ending (or containing) ``month``: 2025-03, 2025-Q1, 2025."""
    step = _period_months(period)
    if step == 1:
        return f"{month:%Y-%m}"
    if step == 3:
        return f"{month.year}-Q{month.quarter}"
    return f"{month.year}"


def _period_months(period: str) -> int:
    try:
        return PERIOD_MONTHS[period]
    except KeyError:
        raise ValueError(f"period must be one of {sorted(PERIOD_MONTHS)}, got {period!r}") from None
