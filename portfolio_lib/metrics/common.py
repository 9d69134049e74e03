"""Helpers shared by the metric modules: the one place a metric reaches for another's tools.

A metric module never imports a sibling's ``_private`` helper; what two of them need lives here,
with a public name and a docstring. Two families:

- columns, numbers and rankings of the customer table (read a column as numbers, the
  customers' ids, descending rankings), used by balance, rfm, clv and alerts;
- the month grid and periods of the monthly table (month positions, periods of months,
  quarters or years, per-group sums), used by movements, weight and costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.engine.tables import Period, period_ends, period_label, same_customers, views

# --------------------------------------------------------------------------------------------
# Columns, numbers and rankings of the customer table
#
# (balance, rfm, clv, alerts)


def missing_column(frame: pd.DataFrame, column: str, analysis: str) -> PortfolioDataError:
    """The ``missing_attribute`` error of ``analysis`` for a ``column`` the frame lacks."""
    found = [str(c) for c in frame.columns]
    if frame.index.name:
        found.insert(0, str(frame.index.name))
    return PortfolioDataError(
        "missing_attribute", analysis=analysis, column=column, found=", ".join(found) or "none"
    )


def column_of(frame: pd.DataFrame, column: str, analysis: str) -> pd.Series:
    """A column (or the index of that name) as a Series with a fresh RangeIndex.

    Raises :func:`missing_column`'s error when the frame has neither.
    """
    if column in frame.columns:
        values = frame[column]
    elif frame.index.name == column:
        values = frame.index.to_series()
    else:
        raise missing_column(frame, column, analysis)
    return values.reset_index(drop=True)


def customer_ids(frame: pd.DataFrame, analysis: str) -> pd.Series:
    """The ``customer_id`` column (or index) as a Series with a fresh RangeIndex."""
    return column_of(frame, "customer_id", analysis)


def numbers(frame: pd.DataFrame, column: str, analysis: str) -> np.ndarray:
    """A numeric column as a new float64 array, missing values as 0 and -0.0 as 0.0.

    Raises ``ValueError`` when the column does not hold numbers.
    """
    values = column_of(frame, column, analysis)
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        raise ValueError(
            f"{analysis}: column {column!r} must hold numbers, found values of type "
            f"{values.dtype}; convert it (e.g. with pandas.to_numeric) or pick another column."
        )
    # + 0.0: -0.0 becomes 0.0, so zeros compare and sort as one value.
    return values.to_numpy(dtype=np.float64, na_value=0.0) + 0.0


def descending_ranking(ids: pd.Series, values: np.ndarray) -> np.ndarray:
    """Positions by ``values`` descending, ties by customer id ascending.

    The positions are put in id order first (aggregated tables are in id order already), so
    a stable sort on the values breaks their ties by id.
    """
    if ids.is_monotonic_increasing:
        by_id = np.arange(len(ids))
    else:
        by_id = ids.argsort(kind="stable").to_numpy()
    return by_id[np.argsort(-np.asarray(values)[by_id], kind="stable")]


def change(recent: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """``recent / previous - 1`` where ``previous > 0``, else NaN (revenue trend)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(previous > 0, recent / previous - 1, np.nan)


# --------------------------------------------------------------------------------------------
# Month grid and periods of the monthly table
#
# (movements, weight, costs)


@dataclass(frozen=True)
class Periods:
    """The calendar periods of a month grid, as positions in the grid and as labels."""

    starts: np.ndarray  # position of each period's first month
    ends: np.ndarray  # position of each period's last month
    of_month: np.ndarray  # period index of every month of the grid
    start_months: pd.DatetimeIndex
    end_months: pd.DatetimeIndex
    labels: list[str]

    def __len__(self) -> int:
        return len(self.ends)


def month_grid(months: Sequence[object]) -> pd.DatetimeIndex:
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


def calendar_periods(months: pd.DatetimeIndex, period: Period) -> Periods:
    """The calendar periods of the grid: months, quarters or years ending at
    :func:`portfolio_lib.engine.tables.period_ends` (the first and last possibly partial)."""
    end_months = period_ends(months, period)
    return periods_ending(
        months, months.get_indexer(end_months), [period_label(m, period) for m in end_months]
    )


def periods_ending(months: pd.DatetimeIndex, ends: Sequence[int], labels: list[str]) -> Periods:
    """Periods ending at the grid positions ``ends`` (increasing, the last = last month); the
    first starts with the grid."""
    ends = np.asarray(ends, dtype=np.int64)
    starts = np.concatenate([[0], ends[:-1] + 1])
    return Periods(
        starts=starts,
        ends=ends,
        of_month=np.repeat(np.arange(len(ends)), ends - starts + 1),
        start_months=months[starts],
        end_months=months[ends],
        labels=labels,
    )


def date_positions(dates: object, grid: pd.DatetimeIndex) -> np.ndarray:
    """Grid position of the month of each date (any day of it); -1 outside the grid or NaT."""
    values = np.asarray(dates, dtype="datetime64[ns]")
    end = (grid[-1] + pd.DateOffset(months=1)).to_datetime64()
    position = np.searchsorted(grid.to_numpy(), values, side="right") - 1
    return np.where((values >= grid[0].to_datetime64()) & (values < end), position, -1)


def check_monthly(monthly: pd.DataFrame) -> None:
    """Raise a ValueError naming what to pass when ``monthly`` is not ``Aggregates.monthly``."""
    missing = [c for c in ("customer_id", "month", "revenue", "orders") if c not in monthly]
    if missing:
        raise ValueError(
            f"monthly lacks column(s) {missing}: pass Aggregates.monthly from "
            "portfolio_lib.engine.aggregate.aggregate, not the raw transactions"
        )


def customer_codes(monthly: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """Customer code of every row of ``monthly`` and the customers, in the order of
    :func:`portfolio_lib.engine.tables.revenue_matrix` (read-only, kept with the table)."""
    codes, index = views(monthly).customers("customer_id")
    return codes, pd.Index(index, name="customer_id")


def require_attribute(customers: pd.DataFrame | None, column: str, analysis: str) -> None:
    """Raise ``missing_attribute`` when ``customers`` lacks ``column`` (or is None)."""
    if customers is None or column not in customers:
        found = "–" if customers is None else ", ".join(map(str, customers.columns))
        raise PortfolioDataError(
            "missing_attribute", file="customers", analysis=analysis, column=column, found=found
        )
    if "customer_id" not in customers:
        raise ValueError("the customer table needs a 'customer_id' column (see io.load_customers)")


def aligned(
    values: pd.Series, ids: pd.Series, index: pd.Index, *, same: bool | None = None
) -> pd.Series:
    """``values`` (one per id of ``ids``) in the order of ``index``; NaN for missing ids.

    ``same``: whether ``ids`` are ``index`` in its order, when the caller knows (None: check).
    """
    if same is None:
        same = same_customers(index, ids)
    if same:  # the usual case: Aggregates.customers
        return pd.Series(values.to_numpy(), index=index)
    return pd.Series(values.to_numpy(), index=ids.to_numpy()).reindex(index)


def factorize(values: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Codes (-1 missing) and the distinct values some row has, as ``pd.factorize`` but in any
    order (a categorical column gives its own codes, recoded to its used categories)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = pd.factorize(values)
        return codes, list(uniques)
    codes = values.array.codes.astype(np.int64)
    categories = values.cat.categories
    used = np.flatnonzero(np.bincount(codes + 1, minlength=len(categories) + 1)[1:])
    if len(used) < len(categories):
        recode = np.full(len(categories) + 1, -1, dtype=np.int64)  # the last slot: code -1
        recode[used] = np.arange(len(used))
        codes, categories = recode[codes], categories[used]
    return codes, list(categories)


def customer_groups(
    customers: pd.DataFrame | None,
    by: str | None,
    index: pd.Index,
    analysis: str,
    *,
    same: bool | None = None,
) -> tuple[np.ndarray, list[object]]:
    """Group code of every customer of ``index`` and the groups, sorted (``unknown`` last).

    Without ``by``, one group (code 0, named None). Customers without a value (or missing
    from ``customers``) are in the group "unknown". ``same`` as in :func:`aligned`.
    """
    if by is None:
        return np.zeros(len(index), dtype=np.int64), [None]
    require_attribute(customers, by, analysis)
    values, ids = customers[by], customers["customer_id"]
    codes, names = factorize(values)
    if not (same_customers(index, ids) if same is None else same):
        position = pd.Series(np.arange(len(ids)), index=ids.to_numpy()).reindex(index)
        position = position.fillna(-1).to_numpy(dtype=np.int64)
        codes = np.where(position >= 0, codes[position], -1)
        present = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(names)))
        recode = np.full(len(names) + 1, -1, dtype=np.int64)
        recode[present] = np.arange(len(present))
        codes, names = recode[codes], [names[i] for i in present]
    try:
        order = sorted(range(len(names)), key=lambda i: names[i])
    except TypeError:  # mixed types: sort by their text
        order = sorted(range(len(names)), key=lambda i: str(names[i]))
    order = [i for i in order if names[i] != "unknown"]
    # New code of each code, the last slot for missing values (code -1).
    recode = np.full(len(names) + 1, len(order), dtype=np.int64)
    recode[order] = np.arange(len(order))
    codes = recode[codes]
    groups = [names[i] for i in order]
    if (codes == len(order)).any():
        groups.append("unknown")
    return codes, groups


def period_frame(
    periods: Periods,
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


def ratio(numerator: object, denominator: object, *, positive: bool = False) -> object:
    """numerator / denominator, NaN where the denominator is 0 or missing (or <= 0 with
    ``positive``); a float for scalars."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    valid = denominator > 0 if positive else denominator != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(valid, numerator / np.where(valid, denominator, 1.0), np.nan)
    return out if out.ndim else float(out)
