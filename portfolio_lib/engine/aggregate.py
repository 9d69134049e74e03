"""Aggregate the transaction log once, with DuckDB, into small tables every analysis uses.

The expensive step is here: DuckDB reads a pandas frame, a Parquet file or a CSV file and
groups the log into

- ``customers``: one row per customer (attributes, totals, and the purchase summary with
  lifetimes' semantics: ``frequency``, ``recency``, ``T``, ``monetary_value``);
- ``monthly``: one row per customer and calendar month with activity (long format).

Everything after works in pandas on these tables; the helpers at the end turn ``monthly`` into
dense customer x month matrices and trailing windows (the "active" definition of the design).
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from portfolio_lib.config import DEFAULTS
from portfolio_lib.runtime import parallel_map, thread_count

__all__ = [
    "DUCKDB_SETTINGS",
    "PERIOD_MONTHS",
    "Aggregates",
    "active_matrix",
    "aggregate",
    "clear_cache",
    "customer_summary",
    "period_ends",
    "period_label",
    "revenue_matrix",
    "trailing_sum",
    "window_totals",
]

Period = Literal["month", "quarter", "year"]
_T = TypeVar("_T")
_T_in = TypeVar("_T_in")
PERIOD_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
TransactionSource = pd.DataFrame | str | os.PathLike

_ATTRIBUTES = (
    "name",
    "sales_rep",
    "segment",
    "region",
    "acquisition_date",
    "acquisition_channel",
    "potential",
    "relationship_quality",
)


@dataclass(frozen=True)
class Aggregates:
    """The aggregated portfolio: what the analyses take.

    Attributes
    ----------
    customers : pandas.DataFrame
        One row per customer, sorted by ``customer_id``: ``first_purchase``, ``last_purchase``
        (dates of the first and last invoice with a positive amount), ``revenue``, ``margin``,
        ``orders`` (distinct orders with a positive amount; distinct purchase days when the log
        has no order id), the summary ``frequency``, ``recency``, ``T``, ``monetary_value``
        (days; lifetimes' ``summary_data_from_transaction_data`` semantics at ``as_of``), then
        the attributes of the customer table. Customers of the customer table with no
        transaction (prospects) are included with zero revenue and no purchase dates.
        ``customer_id`` is categorical, with the monthly table's dtype: the categories are the
        ids in this order and each row's code is its position, so reordering or joining
        customers moves integers, not a million strings (``.astype(str)`` gives plain text).
        Text attributes (sales rep, segment, region, channel...) are categorical too.
    monthly : pandas.DataFrame
        ``customer_id`` (categorical, categories = the ids of ``customers``, in order),
        ``month`` (first day), ``revenue``, ``margin``, ``orders``: one row per customer and
        month with a transaction.
    months : pandas.DatetimeIndex
        Every month from the first transaction to ``as_of``.
    as_of : pandas.Timestamp
        Analysis date; transactions after it are ignored.
    has_margin : bool
        Whether the log had a margin column (else ``margin`` is missing everywhere).
    """

    customers: pd.DataFrame
    monthly: pd.DataFrame
    months: pd.DatetimeIndex
    as_of: pd.Timestamp
    has_margin: bool

    def subset(self, **equals: object) -> Aggregates:
        """The same portfolio restricted to customers whose attributes match (cheap).

        Parameters
        ----------
        **equals
            ``column=value`` or ``column=[values]`` on the customer table; ``None`` or an
            empty list leaves that column unfiltered.

        Examples
        --------
        ``agg.subset(sales_rep="Julie Petit", segment=["PME", "ETI"])``
        """
        keep = pd.Series(True, index=self.customers.index)
        for column, wanted in equals.items():
            if wanted is None or (isinstance(wanted, (list, tuple, set)) and not wanted):
                continue
            if column not in self.customers:
                raise KeyError(f"no column {column!r} in the customer table")
            values = wanted if isinstance(wanted, (list, tuple, set)) else [wanted]
            keep &= self.customers[column].isin(list(values))
        kept = keep.to_numpy()
        customers = self.customers[kept].reset_index(drop=True)
        ids = self.monthly["customer_id"]
        mine = self.customers["customer_id"]
        if isinstance(ids.dtype, pd.CategoricalDtype) and _same_customers(ids.cat.categories, mine):
            # Categories = the customer table's ids in its order: filtering the long table is
            # a lookup of integer codes, with no string compared or converted.
            dtype = pd.CategoricalDtype(ids.cat.categories[kept], ordered=False)
            new_code = np.where(kept, np.cumsum(kept) - 1, -1)
            old_code = ids.cat.codes.to_numpy()
            code = np.where(old_code >= 0, new_code[old_code], -1)
            rows = code >= 0
            monthly = self.monthly[rows]
            monthly["customer_id"] = pd.Categorical.from_codes(code[rows], dtype=dtype)
            if isinstance(mine.dtype, pd.CategoricalDtype):
                customers["customer_id"] = pd.Categorical.from_codes(
                    np.arange(len(customers)), dtype=dtype
                )
        else:
            monthly = self.monthly[ids.isin(customers["customer_id"]).to_numpy()].copy()
            monthly["customer_id"] = pd.Categorical(
                monthly["customer_id"].astype(object),
                categories=customers["customer_id"].astype(object),
            )
        return replace(self, customers=customers, monthly=monthly.reset_index(drop=True))


def _same_customers(index: pd.Index, ids: pd.Series | pd.Index) -> bool:
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
            if not _same_customers(categories, index):
                return False
        elif not (categories is index or categories.equals(index)):
            return bool(index.equals(pd.Index(np.asarray(ids, dtype=object), dtype=index.dtype)))
        codes = ids.array.codes if isinstance(ids, pd.Series) else ids.codes  # views, no copy
        return _is_range(np.asarray(codes))
    if isinstance(index.dtype, pd.CategoricalDtype):
        return _same_customers(pd.Index(ids), index)
    return bool(index.equals(pd.Index(ids)))


def _is_range(codes: np.ndarray) -> bool:
    """Whether ``codes`` is ``0, 1, ..., len(codes) - 1``, compared by chunks against one small
    ramp: the check runs at every lookup of a customer table, and a fresh ``np.arange`` of a
    million integers each time costs more than the comparison."""
    step = 2**16
    ramp = np.arange(min(len(codes), step))
    for start in range(0, len(codes), step):
        part = codes[start : start + step]
        if part[0] != start or not np.array_equal(part, ramp[: len(part)] + start):
            return False
    return True


# DuckDB settings of every aggregation session. The memory cap (lowered to the machine's
# default when that is smaller) keeps the peak near 1 GiB on a 20-million-line log: DuckDB's
# hash aggregates then partition their tables and spill to a private temporary folder instead of
# growing, at no measurable cost until logs are several times larger. Raise it on big servers:
# ``portfolio_lib.engine.aggregate.DUCKDB_SETTINGS["memory_limit"] = "8GB"``.
DUCKDB_SETTINGS: dict[str, object] = {
    # Every result that needs an order has its ORDER BY, so DuckDB need not keep input order.
    "preserve_insertion_order": False,
    "memory_limit": "1GB",
}


def _size_in_bytes(text: str) -> float:
    """``'2GB'``, ``'18.8 GiB'``, ``'512 MiB'`` -> bytes (DuckDB's memory settings)."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]?)(i?)B?(?:ytes)?\s*", text, flags=re.IGNORECASE)
    if not match:
        raise ValueError(f"memory size {text!r} is not understood: write e.g. '2GB'")
    base = 1024 if match.group(3) else 1000
    power = "KMGT".find(match.group(2).upper()) + 1 if match.group(2) else 0
    return float(match.group(1)) * base**power


def _larger(wanted: object, default: str) -> bool:
    """Whether the memory limit ``wanted`` exceeds DuckDB's ``default`` (False if unknown)."""
    try:
        return wanted is not None and _size_in_bytes(str(wanted)) > _size_in_bytes(default)
    except ValueError:
        return False


@contextmanager
def _connect() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB session set up for one large aggregation (see DUCKDB_SETTINGS)."""
    with tempfile.TemporaryDirectory(prefix="portfolio-duckdb-") as spill, duckdb.connect() as con:
        settings = dict(DUCKDB_SETTINGS)
        default = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        if _larger(settings.get("memory_limit"), default):
            settings["memory_limit"] = default  # a smaller machine or container: keep its cap
        settings.setdefault("temp_directory", spill)
        for name, value in settings.items():
            con.execute(f"SET {name} = {_sql_literal(value)}")
        yield con


def _sql_literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _relation_sql(source: TransactionSource, con: duckdb.DuckDBPyConnection) -> str:
    """SQL naming the transactions: a registered frame or a file DuckDB reads itself."""
    if isinstance(source, pd.DataFrame):
        con.register("transactions_frame", source)
        return "transactions_frame"
    path = Path(source)
    quoted = str(path).replace("'", "''")
    if path.suffix.lower() in {".parquet", ".pq"}:
        return f"read_parquet('{quoted}')"
    return f"read_csv('{quoted}', header = true)"


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def _clean_sql(relation: str, columns: list[str], as_of: pd.Timestamp | None) -> str:
    """Transaction lines with canonical types, those after ``as_of`` dropped.

    Without ``as_of`` nothing needs dropping (it defaults to the last date), so the log is
    read once instead of once more to find its last date.
    """
    margin = "CAST(margin AS DOUBLE)" if "margin" in columns else "CAST(NULL AS DOUBLE)"
    # Order ids are only grouped on, so they keep their own type (no cast of every line).
    order = "order_id" if "order_id" in columns else "CAST(NULL AS VARCHAR)"
    if as_of is None:
        where = "WHERE date IS NOT NULL"
    else:
        where = f"WHERE CAST(date AS DATE) <= DATE '{as_of:%Y-%m-%d}'"
    return f"""
        SELECT CAST(customer_id AS VARCHAR) AS customer_id,
               CAST(date AS DATE) AS day,
               CAST(amount AS DOUBLE) AS amount,
               {margin} AS margin,
               {order} AS order_id
        FROM {relation} {where}
    """


# Per customer, from its transaction days (amounts summed per day, as lifetimes does): first
# and last day, repeat days and their mean amount. The repeat days' total is the exact decimal
# sum of all days minus the first one (amounts to 1e-10): neither a big first day nor DuckDB's
# parallel summation order can move the mean by more than a rounding of the result, and no
# second pass is needed to drop the first day.
_SUMMARY_SQL = """
    WITH days AS (
        SELECT customer_id, day, TRY_CAST(sum(amount) AS DECIMAL(38, 10)) AS exact{day_columns}
        FROM clean GROUP BY customer_id, day
    )
    SELECT customer_id,
           min(day) AS first_day,
           max(day) AS last_day,
           count(*) - 1 AS frequency,
           CASE WHEN count(*) > 1
                THEN CAST(sum(exact) - arg_min(exact, day) AS DOUBLE) / (count(*) - 1)
                ELSE 0 END AS monetary_value{customer_columns}
    FROM days GROUP BY customer_id
"""
_PURCHASE_DAY_COLUMNS = ", bool_or(amount > 0) AS bought"
_PURCHASE_COLUMNS = """,
           coalesce(min(day) FILTER (WHERE bought), min(day)) AS first_purchase,
           max(day) FILTER (WHERE bought) AS last_purchase"""

# Customer x month totals. The inner level has one group per order (per day for lines without
# an order id), so counting the groups with a positive line counts distinct orders without a
# DISTINCT aggregate; customer ids become the integer codes of the customer table.
_MONTHLY_SQL = """
    WITH orders AS (
        SELECT customer_id, CAST(date_trunc('month', day) AS DATE) AS month,
               sum(amount) AS revenue, sum(margin) AS margin, bool_or(amount > 0) AS bought
        FROM clean
        GROUP BY customer_id, month, order_id, CASE WHEN order_id IS NULL THEN day END
    ), months AS (
        SELECT customer_id, month, sum(revenue) AS revenue, sum(margin) AS margin,
               count(*) FILTER (WHERE bought) AS orders
        FROM orders GROUP BY customer_id, month
    )
    SELECT ids.code, months.month, months.revenue, months.margin, months.orders
    FROM months JOIN ids USING (customer_id)
    ORDER BY ids.code, months.month
"""


def _numpy(table: pa.Table, column: str) -> np.ndarray:
    """A result column as numpy (missing: NaN for numbers, NaT for dates)."""
    return table.column(column).to_numpy(zero_copy_only=False)


def _days_between(start: np.ndarray, end: np.ndarray | np.datetime64) -> np.ndarray:
    """Whole days from ``start`` to ``end`` as floats (NaN where a date is missing)."""
    days = (end - start).astype("timedelta64[D]")
    return np.where(np.isnat(days), np.nan, days.astype(np.int64).astype(float))


def _sum_by_code(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per-code sums skipping missing values, NaN for codes without any (``min_count=1``)."""
    present = ~np.isnan(values)
    totals = np.bincount(codes[present], weights=values[present], minlength=n).astype(float)
    totals[np.bincount(codes[present], minlength=n) == 0] = np.nan
    return totals


def customer_summary(transactions: TransactionSource, *, as_of: object = None) -> pd.DataFrame:
    """Per-customer ``frequency``, ``recency``, ``T``, ``monetary_value`` (in days).

    Same semantics as lifetimes' ``summary_data_from_transaction_data`` with ``freq='D'``:
    transactions after ``as_of`` are dropped, amounts are summed per customer and day,
    ``frequency`` counts the days with a transaction after the first, ``recency`` is the number
    of days from the first to the last, ``T`` from the first to ``as_of``, and
    ``monetary_value`` is the mean daily amount over the repeat days (0 without repeats).
    Days with only a credit note count as transactions, as in lifetimes.

    Parameters
    ----------
    transactions : DataFrame or path
        Canonical transactions (``customer_id``, ``date``, ``amount``), or a Parquet/CSV file
        with those columns.
    as_of : date-like, optional
        End of the observation period, default the last transaction date.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), columns ``frequency``, ``recency``, ``T``
        (floats, as lifetimes) and ``monetary_value``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-11",
    ...                                            "2024-01-05"]),
    ...                    "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> customer_summary(tx, as_of="2024-01-31").to_dict("index")  # doctest: +NORMALIZE_WHITESPACE
    {'a': {'frequency': 1.0, 'recency': 10.0, 'T': 30.0, 'monetary_value': 20.0},
     'b': {'frequency': 0.0, 'recency': 0.0, 'T': 26.0, 'monetary_value': 0.0}}
    """
    end = None if as_of is None else pd.Timestamp(as_of).normalize()
    with _connect() as con:
        relation = _relation_sql(transactions, con)
        con.execute(
            f"CREATE TEMP VIEW clean AS {_clean_sql(relation, _columns(con, relation), end)}"
        )
        result = con.sql(
            _SUMMARY_SQL.format(day_columns="", customer_columns="") + " ORDER BY customer_id"
        ).to_arrow_table()
    first, last = _numpy(result, "first_day"), _numpy(result, "last_day")
    if end is None:
        if not len(last):
            raise ValueError("the transaction log is empty: nothing to aggregate")
        end = pd.Timestamp(last.max())
    frame = pd.DataFrame(
        {
            "frequency": _numpy(result, "frequency").astype(float),
            "recency": _days_between(first, last),
            "T": _days_between(first, np.datetime64(end.date(), "D")),
            "monetary_value": _numpy(result, "monetary_value").astype(float),
        },
        index=pd.Index(result.column("customer_id").to_pandas(), name="customer_id"),
    )
    return frame


def _attribute_ids(customers: pd.DataFrame) -> pd.DataFrame:
    """The customer table's ids and row numbers, for DuckDB to merge with the log's ids."""
    return pd.DataFrame(
        {"customer_id": customers["customer_id"], "attribute_row": np.arange(len(customers))}
    )


def aggregate(
    transactions: TransactionSource,
    customers: pd.DataFrame | None = None,
    *,
    as_of: object = None,
) -> Aggregates:
    """Aggregate the log into the customer and customer x month tables (the expensive step).

    Parameters
    ----------
    transactions : DataFrame or path
        Canonical transactions from :func:`portfolio_lib.data.load.load_transactions`, or a Parquet or
        CSV file with canonical column names (read by DuckDB without going through pandas).
    customers : DataFrame, optional
        Canonical customer table; its attributes are joined, its prospects kept.
    as_of : date-like, optional
        Analysis date, default the last transaction date; later transactions are ignored.

    Returns
    -------
    Aggregates
    """
    end = None if as_of is None else pd.Timestamp(as_of).normalize()
    # All the work on lines and ids is DuckDB's (parallel, no Python strings per row); pandas
    # only receives one row per customer and the monthly rows keyed by integer codes.
    with _connect() as con:
        relation = _relation_sql(transactions, con)
        columns = _columns(con, relation)
        con.execute(f"CREATE TEMP VIEW clean AS {_clean_sql(relation, columns, end)}")
        con.execute(
            "CREATE TEMP TABLE buyers AS "
            + _SUMMARY_SQL.format(
                day_columns=_PURCHASE_DAY_COLUMNS, customer_columns=_PURCHASE_COLUMNS
            )
        )
        n_buyers, first_day, last_day = con.execute(
            "SELECT count(*), min(first_day), max(last_day) FROM buyers"
        ).fetchall()[0]
        if not n_buyers:
            if end is None:
                raise ValueError("the transaction log is empty: nothing to aggregate")
            raise ValueError(f"no transaction on or before {end:%d/%m/%Y}: nothing to aggregate")
        if customers is not None:
            con.register("attribute_ids", _attribute_ids(customers))
            ids = """SELECT customer_id, attribute_row FROM buyers
                     FULL OUTER JOIN (SELECT CAST(customer_id AS VARCHAR) AS customer_id,
                                             attribute_row FROM attribute_ids)
                     USING (customer_id)"""
        else:
            ids = "SELECT customer_id, NULL::BIGINT AS attribute_row FROM buyers"
        # Codes = positions in the customer table, sorted by id: the monthly categories.
        con.execute(
            "CREATE TEMP TABLE ids AS SELECT *, "
            f"CAST(row_number() OVER (ORDER BY customer_id) - 1 AS INTEGER) AS code FROM ({ids})"
        )
        table = con.sql(
            """SELECT ids.customer_id, ids.attribute_row, buyers.* EXCLUDE (customer_id)
               FROM ids LEFT JOIN buyers USING (customer_id) ORDER BY ids.code"""
        ).to_arrow_table()
        monthly = con.sql(_MONTHLY_SQL).to_arrow_table()
    end = pd.Timestamp(last_day) if end is None else end
    return _assemble(table, monthly, customers, end, first_day, has_margin="margin" in columns)


def _assemble(
    table: pa.Table,
    monthly: pa.Table,
    customers: pd.DataFrame | None,
    end: pd.Timestamp,
    first_day: object,
    *,
    has_margin: bool,
) -> Aggregates:
    """The pandas tables from DuckDB's results (codes = row positions of ``table``)."""
    n = table.num_rows
    codes = _numpy(monthly, "code").astype(np.intp)
    revenue = _numpy(monthly, "revenue").astype(float)
    margin = _numpy(monthly, "margin").astype(float)
    orders = _numpy(monthly, "orders").astype(np.int64)
    first = _numpy(table, "first_day")
    out = pd.DataFrame(
        {
            "customer_id": table.column("customer_id").to_pandas(),
            "first_purchase": _numpy(table, "first_purchase").astype("datetime64[ns]"),
            "last_purchase": _numpy(table, "last_purchase").astype("datetime64[ns]"),
            "revenue": np.nan_to_num(_sum_by_code(codes, revenue, n), nan=0.0),
            "margin": _sum_by_code(codes, margin, n),
            "orders": np.bincount(codes, weights=orders, minlength=n).astype(np.int64),
            "frequency": _numpy(table, "frequency").astype(float),
            "recency": _days_between(first, _numpy(table, "last_day")),
            "T": _days_between(first, np.datetime64(end.date(), "D")),
            "monetary_value": _numpy(table, "monetary_value").astype(float),
        }
    )
    if customers is not None:
        names = [c for c in _ATTRIBUTES if c in customers.columns]
        rows = np.nan_to_num(_numpy(table, "attribute_row").astype(float), nan=-1).astype(np.intp)
        # Positions on a RangeIndex: missing (-1) rows come back empty, as in an outer join.
        attributes = customers[names].reset_index(drop=True).reindex(rows)
        out = pd.concat([out, attributes.set_axis(out.index)], axis=1)
        for name in names:
            if pd.api.types.is_string_dtype(out[name]) or out[name].dtype == object:
                out[name] = out[name].astype("category")
    ids = pd.CategoricalDtype(out["customer_id"], ordered=False)
    out["customer_id"] = pd.Categorical.from_codes(np.arange(n), dtype=ids)
    long = pd.DataFrame(
        {
            "customer_id": pd.Categorical.from_codes(codes, dtype=ids),
            "month": _numpy(monthly, "month").astype("datetime64[ns]"),
            "revenue": revenue,
            "margin": margin,
            "orders": orders,
        }
    )
    months = pd.date_range(
        pd.Timestamp(first_day).to_period("M").to_timestamp(),
        end.to_period("M").to_timestamp(),
        freq="MS",
    ).as_unit("ns")
    return Aggregates(customers=out, monthly=long, months=months, as_of=end, has_margin=has_margin)


# --------------------------------------------------------------------------------------------
# Derived arrays of a monthly table, computed once per table and shared by every analysis
#
# The analyses all read the same things off ``Aggregates.monthly``: each row's customer code
# and month position, each customer's trailing net revenue and activity month by month, their
# first purchase, the last 12 months' totals... On a million customers each costs tenths of a
# second (the dense ones hundreds of megabytes), and one notebook run or one explorer asks for
# them dozens of times. So they are computed on first use and kept with the table:
#
# - Keyed by the identity of the DataFrame, through a weak reference: the arrays go when the
#   table goes. Every use checks a fingerprint of the table (length, column names, and each
#   used column's dtype and data address) and recomputes on any mismatch.
# - The cache keeps a shallow copy of the table. Under pandas' copy-on-write, any later
#   in-place change to the table (``.loc[...] =``, ``fillna(inplace=True)``...) then copies the
#   column it changes first: the column's data address changes, the fingerprint no longer
#   matches and nothing stale is ever served. (numpy views of pandas data are read-only.)
# - Bounded per table: the trailing-revenue panels of the two activity windows used last, and
#   the last few dozen small results; ``clear_cache()`` forgets everything.
# - Arrays handed out are read-only; public functions return fresh frames.
#
# The trailing panel never materialises the customer x month matrix of money (1.26M customers
# x 36 months is 360 MB of float64, slow to fault in on virtual machines): it is computed by
# blocks of customers in one reusable buffer, keeping the activity matrix (booleans), the
# totals per month and the few full months of trailing revenue the analyses read (year ends,
# the month before the last window). Within a block the arithmetic is the dense one (same
# cumulative sums, differences and rounding), so every per-customer value is bit for bit the
# dense matrix's; sums over customers are exact within a block and add the blocks' sums.

_VIEW_COLUMNS = ("customer_id", "month", "revenue", "margin", "orders")
_MAX_ITEMS = 32  # small results kept per table (positions, totals, first purchases...)
_MAX_PANELS = 2  # trailing panels kept per table (one per activity window)
_MAX_KEPT_ROWS = 16  # full months of trailing revenue a panel keeps
# One block of the trailing computation: 4 MiB of float64. A block is passed over some ten
# times; one per thread stays in the shared cache (16 MiB blocks measured 1.2-2x slower).
_BLOCK_BYTES = 2**22
_ROW_CHUNK = 2**16  # rows per step of the passes over the long table with small temporaries


class _WriteableAlias:
    """The array interface of a read-only array, declared writeable (see :func:`_bincount`)."""

    def __init__(self, values: np.ndarray):
        self.values = values  # keeps the memory alive as long as the alias
        interface = dict(values.__array_interface__)
        interface["data"] = (interface["data"][0], False)  # (address, read-only flag)
        self.__array_interface__ = interface


def _bincount(
    keys: np.ndarray, weights: np.ndarray | None = None, minlength: int = 0
) -> np.ndarray:
    """``np.bincount(keys, weights, minlength)``, without copying read-only inputs first.

    ``np.bincount`` takes its inputs with numpy's default requirements, which include being
    writeable, so it copies a read-only array (the cached arrays of a table, the columns of
    a copy-on-write DataFrame) before counting: on millions of rows the copies cost more
    than the counting. It never writes to them; read-only inputs are handed to it as
    writeable aliases of the same memory, which live only for the call.
    """

    def alias(values: np.ndarray) -> np.ndarray:
        if values.flags.writeable or not isinstance(values, np.ndarray):
            return values
        return np.asarray(_WriteableAlias(values))

    if weights is None:
        return np.bincount(alias(keys), minlength=minlength)
    return np.bincount(alias(keys), weights=alias(weights), minlength=minlength)


def _bincount_by_chunks(keys: np.ndarray, weights: np.ndarray, minlength: int) -> np.ndarray:
    """``np.bincount(keys, weights, minlength)`` bit for bit, a chunk of rows at a time.

    For narrow keys (int8 month positions) over millions of rows: np.bincount converts all of
    them to intp first, a row-sized fresh array (see :func:`_carried_bincount`). For few bins
    (``minlength`` at most a chunk); larger key spaces take np.bincount itself.
    """
    if minlength > _ROW_CHUNK:
        return np.bincount(keys, weights=weights, minlength=minlength).astype(float, copy=False)
    return _carried_bincount(
        len(keys), minlength, lambda rows: (keys[rows], weights[rows]), step=_ROW_CHUNK
    )


def _carried_bincount(
    n_rows: int,
    minlength: int,
    chunk: Callable[[slice], tuple[np.ndarray, np.ndarray]],
    *,
    step: int,
) -> np.ndarray:
    """One weighted ``np.bincount`` of ``n_rows`` rows, bit for bit, made ``step`` rows at a
    time: ``chunk(rows)`` gives the keys and weights of a slice of rows (made there, so no
    row-sized key or weight array need exist).

    Each chunk's bincount starts with the totals so far as its first weights (``0.0 + total``,
    exact), then adds the chunk's rows in order: every total adds the same values in the same
    order as one bincount over all the rows. ``minlength``: the bins (every key is below it);
    the totals are carried through each step, so few bins against ``step`` keep it cheap.
    """
    totals = np.zeros(minlength)
    key_buffer = np.empty(minlength + step, dtype=np.intp)
    key_buffer[:minlength] = np.arange(minlength)
    weight_buffer = np.empty(minlength + step)
    for start in range(0, n_rows, step):
        keys, weights = chunk(slice(start, min(start + step, n_rows)))
        end = minlength + len(keys)
        key_buffer[minlength:end] = keys
        weight_buffer[:minlength] = totals
        weight_buffer[minlength:end] = weights
        totals = np.bincount(key_buffer[:end], weights=weight_buffer[:end], minlength=minlength)
    return totals


_CACHE_LOCK = threading.RLock()
_TABLES: dict[int, _TableViews] = {}


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
    """The array a column holds (``frame[name].array``; numpy dtypes as ``.to_numpy()``).

    Read with pandas' own column accessor (``DataFrame._get_column_array``, private), which
    does not build a Series: ~2 µs against ~0.1 ms, and the fingerprint reads five columns at
    every ``_views`` lookup (~35 per run of the studies). The public path if it is gone.
    """
    get = getattr(frame, "_get_column_array", None)
    if get is None:
        column = frame[name]
        return column.to_numpy() if isinstance(column.dtype, np.dtype) else column.array
    array = get(frame.columns.get_loc(name))
    if isinstance(array.dtype, np.dtype) and not isinstance(array, np.ndarray):
        # Datetimes come wrapped in a fresh DatetimeArray each time: their ndarray (a view).
        return array.to_numpy()
    return array


def _forget(key: int) -> None:
    with _CACHE_LOCK:
        views = _TABLES.get(key)
        if views is not None and views.table() is None:
            del _TABLES[key]


def _views(monthly: pd.DataFrame) -> _TableViews:
    """The cached views of ``monthly`` (created, or recreated if the table changed)."""
    state = _table_state(monthly)
    if state is None:
        return _TableViews(monthly, state, keep=False)
    key = id(monthly)
    with _CACHE_LOCK:
        views = _TABLES.get(key)
        if views is not None and views.table() is monthly and views.state == state:
            return views
        first = views is None or views.table() is not monthly
        views = _TableViews(monthly, state)
        _TABLES[key] = views
    if first:
        weakref.finalize(monthly, _forget, key)
    return views


def _read_only(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False
    return values


def _grid_key(months: pd.DatetimeIndex) -> bytes:
    return np.asarray(months, dtype="datetime64[ns]").view(np.int64).tobytes()


class _TableViews:
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
            return _read_only(codes), index

        return self.get(("customers", customer_col), compute)

    def positions(self, months: pd.DatetimeIndex, month_col: str = "month") -> np.ndarray:
        """Grid position of every row's month (-1 off the grid), as ``months.get_indexer``,
        in the narrowest integers that hold them (:func:`_position_dtype`: widen before any
        arithmetic that could leave their range)."""

        def compute() -> np.ndarray:
            return _read_only(_month_positions(self.frame[month_col], months))

        return self.get(("positions", month_col, _grid_key(months)), compute)

    def values(self, column: str) -> np.ndarray:
        """A numeric column as float64, missing values as 0 (read-only)."""

        def compute() -> np.ndarray:
            column_values = self.frame[column]
            if column_values.dtype == np.float64:
                # The column's own (read-only) data, no copy: the table is copy-on-write, so a
                # later change to it copies the column first (see _TableViews).
                values = column_values.to_numpy()
            elif isinstance(column_values.dtype, np.dtype) and column_values.dtype.kind in "iub":
                values = column_values.to_numpy().astype(float)  # no missing value to map
            else:
                values = column_values.to_numpy(dtype=float, na_value=np.nan)
            if np.isnan(values).any():
                values = np.nan_to_num(values)
            return _read_only(values) if values.flags.writeable else values

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
            month = self.frame["month"].to_numpy(dtype="datetime64[ns]").view(np.int64)
            starts = [np.zeros(min(len(codes), 1), dtype=np.int64)]
            # Row i against row i + 1, by chunks of rows: no row-sized temporaries.
            for first in range(0, max(len(codes) - 1, 0), _ROW_CHUNK):
                pairs = slice(first, min(first + _ROW_CHUNK, len(codes) - 1))
                following = slice(pairs.start + 1, pairs.stop + 1)
                if not np.all(codes[following] >= codes[pairs]):
                    return None
                new = codes[following] != codes[pairs]  # a new customer's first row
                later = month[following] > month[pairs]
                later |= new
                if not later.all():
                    return None
                found = np.flatnonzero(new)
                found += following.start
                starts.append(found)
            starts = np.concatenate(starts)
            bounds = np.full(len(index) + 1, len(codes), dtype=np.int64)
            bounds[codes[starts]] = starts
            # Customers without rows start where the next customer with rows does.
            np.minimum.accumulate(bounds[::-1], out=bounds[::-1])
            return _read_only(bounds)

        return self.get(("customer_runs",), compute)

    def on_grid(self, months: pd.DatetimeIndex) -> bool:
        """Whether every row's month is on the grid (as in ``Aggregates``): no row to drop."""

        def compute() -> bool:
            position = self.positions(months)
            return not len(position) or bool(position.min() >= 0)

        return self.get(("on_grid", _grid_key(months)), compute)

    def panel(self, months: pd.DatetimeIndex, window: int) -> _TrailingPanel:
        """Trailing net revenue over ``window`` months on the grid ``months`` (see above)."""
        if window < 1:
            raise ValueError(f"window must be at least 1 month, got {window}")

        def compute() -> _TrailingPanel:
            codes, index = self.customers()
            keep = set(_year_end_positions(months)) | {len(months) - 1}
            if len(months) - 1 - window >= 0:
                keep.add(len(months) - 1 - window)
            return _TrailingPanel(
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

        return self.get(("panel", _grid_key(months), int(window)), compute)


def _year_end_positions(months: pd.DatetimeIndex) -> list[int]:
    """Grid positions of the Decembers (and of the last month) of a grid of consecutive months."""
    grid = pd.DatetimeIndex(months)
    return [i for i, month in enumerate(grid) if month.month == 12 or i == len(grid) - 1]


def _trailing_in_place(block: np.ndarray, window: int) -> None:
    """Month-major revenue -> trailing sums over ``window`` months, rounded to 1e-9 (in place).

    The arithmetic of :func:`trailing_sum`: cumulative sums month by month, then the
    difference with the sum ``window`` months earlier (latest month first), then rounding.
    """
    for month in range(1, len(block)):
        np.add(block[month], block[month - 1], out=block[month])
    for month in range(len(block) - 1, window - 1, -1):
        np.subtract(block[month], block[month - window], out=block[month])
    # Sums of money accumulate rounding noise; 1e-9 € is far below a cent.
    np.round(block, 9, out=block)


def _pairwise_tree(start: int, stop: int, limit: int) -> tuple | list:
    """numpy's pairwise-summation tree of ``[start, stop)``, split down to parts <= ``limit``.

    ``numpy.sum`` adds a contiguous row of n > 128 values as the sum of its two halves (the
    first rounded down to a multiple of 8), each summed the same way. Summing each part of
    this tree with numpy and adding the parts along the tree gives the sum of the whole row
    bit for bit, without ever holding the whole row. Leaves are ``(start, stop)`` tuples,
    inner nodes ``[left, right]`` lists.
    """
    n = stop - start
    if n <= limit:
        return (start, stop)
    half = n // 2
    half -= half % 8
    return [_pairwise_tree(start, start + half, limit), _pairwise_tree(start + half, stop, limit)]


_PAIRWISE_BLOCK = 128  # numpy sums up to this many values in one unrolled loop, no split


@functools.cache
def _pairwise_matches_numpy() -> bool:
    """Whether :func:`_pairwise_tree` reproduces ``numpy.sum`` (checked once, on random data).

    The tree is numpy's summation order (numpy 1.x and 2.x); should a later numpy sum
    otherwise, the trailing panels fall back to one block, the dense computation.
    """
    values = np.random.default_rng(0).normal(size=5_000) * 1e6
    tree = _pairwise_tree(0, len(values), _PAIRWISE_BLOCK)
    parts = {leaf: values[leaf[0] : leaf[1]].sum() for leaf in _tree_leaves(tree)}
    return bool(_tree_sum(tree, parts) == values.sum())


def _tree_leaves(tree: tuple | list) -> list[tuple[int, int]]:
    if isinstance(tree, tuple):
        return [tree]
    return _tree_leaves(tree[0]) + _tree_leaves(tree[1])


def _tree_sum(tree: tuple | list, sums: dict[tuple[int, int], np.ndarray]) -> np.ndarray:
    if isinstance(tree, tuple):
        return sums[tree]
    return _tree_sum(tree[0], sums) + _tree_sum(tree[1], sums)


class _TrailingPanel:
    """Trailing net revenue of every customer at every month of a grid, kept lean.

    ``active`` (months x customers, booleans: trailing revenue > 0) and ``totals`` (per month,
    over all customers) are computed at once, with the full months of trailing revenue in
    ``keep_rows``; other months (:meth:`rows`) and per-group totals (:meth:`group_totals`)
    are computed on request, by blocks of customers, without the dense money matrix. Every
    value equals the dense computation's bit for bit: per customer the arithmetic is the same,
    totals follow numpy's summation tree (:func:`_pairwise_tree`) and group totals add the
    customers in the same order as one ``np.bincount``.
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
        limit = max(_BLOCK_BYTES // (8 * max(n_months, 1)), _PAIRWISE_BLOCK)
        if not (sorted_cells and _pairwise_matches_numpy()):
            limit = n_customers  # one block: the dense computation
        self._tree = _pairwise_tree(0, n_customers, max(limit, 1))
        self._lock = threading.RLock()
        active = np.empty((n_months, n_customers), dtype=bool)
        sums: dict[tuple[int, int], np.ndarray] = {}
        rows = {p: np.empty(n_customers) for p in keep_rows}

        def keep(start: int, stop: int, block: np.ndarray) -> None:
            np.greater(block, 0, out=active[:, start:stop])
            sums[start, stop] = block.sum(axis=1)
            for position, row in rows.items():
                row[start:stop] = block[position]

        self._each_block(keep)
        self.active = _read_only(active)
        self.totals = _read_only(_tree_sum(self._tree, sums) if sums else np.zeros(n_months))
        self._rows = {p: _read_only(row) for p, row in rows.items()}

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
        leaves, bounds = self._leaves()
        buffer = np.empty((m, max((stop - start for start, stop in leaves), default=0)))
        for k in range(len(leaves)):
            yield self._fill(leaves, bounds, k, buffer)

    def _leaves(self) -> tuple[list[tuple[int, int]], np.ndarray]:
        """The blocks of customers and the rows where each starts (rows run by customer)."""
        codes = self._inputs[0]
        leaves = _tree_leaves(self._tree) if self.n_customers else []
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
        leaves, bounds = self._leaves()
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
                    _read_only(row)
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
                # In customer order, as one np.bincount over all of them would add.
                np.add.at(sums[i], members, block[position])
        return sums


# --------------------------------------------------------------------------------------------
# Dense views of the monthly table (cheap: used by every analysis and every widget change)


_DAY_NS = 86_400 * 10**9
_MAX_TABLE_DAYS = 2**20  # a lookup table of at most 8 MiB (over 2,800 years of days)


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


def _month_positions(values: pd.Series, months: pd.DatetimeIndex) -> np.ndarray:
    """``months.get_indexer(values)`` (-1 where absent), without hashing every timestamp.

    In the narrowest integers that hold the positions (:func:`_position_dtype`). The grid
    has a few dozen months and the long table millions of rows. On a grid of whole days
    (midnights, as month starts are) each row's day indexes a table of the grid's positions,
    checked against the row's exact timestamp: a few passes over the rows, faster than a
    binary search in the grid (itself several times faster than hashing, the fallback for
    unsorted grids).
    """
    grid = months.to_numpy()
    dtype = _position_dtype(len(grid))
    if not (months.is_monotonic_increasing and months.is_unique) or not len(grid):
        return months.get_indexer(values).astype(dtype)
    stamps = values.to_numpy(dtype=grid.dtype)
    out = np.empty(len(stamps), dtype=dtype)
    ticks = grid.view(np.int64)
    first_day, last_day = int(ticks[0] // _DAY_NS), int(ticks[-1] // _DAY_NS)
    if not (
        grid.dtype == np.dtype("datetime64[ns]")
        and not (ticks % _DAY_NS).any()
        and last_day - first_day < _MAX_TABLE_DAYS
    ):
        position = np.minimum(np.searchsorted(grid, stamps), len(grid) - 1)
        out[:] = np.where(grid[position] == stamps, position, -1)
        return out
    # Position of the month starting on each day of the grid's span, -1 for other days;
    # first and last slots (-1) for the days before and after it.
    table = np.full(last_day - first_day + 3, -1, dtype=dtype)
    table[ticks // _DAY_NS - first_day + 1] = np.arange(len(ticks))
    # By chunks of rows in one small buffer, on one thread: the only row-sized array is the
    # output (no fresh temporaries of millions of int64, slow to fault in on virtual
    # machines; two threads first-touching one fresh array can be much slower than one).
    day = np.empty(min(len(stamps), _ROW_CHUNK), dtype=np.int64)
    for start in range(0, len(stamps), _ROW_CHUNK):
        rows = stamps[start : start + _ROW_CHUNK].view(np.int64)
        position, days = out[start : start + len(rows)], day[: len(rows)]
        np.floor_divide(rows, _DAY_NS, out=days)
        days -= first_day - 1
        # mode="clip": days off the span read the -1 of the first or last slot (and np.take
        # needs no buffer for ``out``, as it does with the default mode).
        np.take(table, days, out=position, mode="clip")
        # The found month's timestamp (in the day buffer), for the rows' exact timestamps;
        # position -1 reads the first month, harmlessly: the position stays -1.
        np.take(ticks, position, out=days, mode="clip")
        position[days != rows] = -1
    return out


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
    views = _views(monthly)
    rows, index = views.customers(customer_col)
    cols = views.positions(months, month_col)
    keep = (cols >= 0) & (rows >= 0)
    n, m = len(index), len(months)
    weights = views.values(value)[keep]
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
    index, totals = _window_arrays(monthly, months, window=window, end=end)
    out = pd.DataFrame(totals, index=pd.Index(index, name="customer_id"))  # copies: callers own it
    if not _views(monthly).has_values("margin"):
        out["margin"] = np.nan
    out["orders"] = out["orders"].astype("int64")
    out["active"] = out["revenue"] > 0
    return out


def _window_arrays(
    monthly: pd.DataFrame, months: pd.DatetimeIndex, *, window: int, end: object = None
) -> tuple[pd.Index, dict[str, np.ndarray]]:
    """:func:`window_totals` as the table's cached read-only arrays (revenue rounded to 1e-9,
    margin and orders as floats; missing values count 0), and the customers they follow."""
    last = months[-1] if end is None else pd.Timestamp(end).to_period("M").to_timestamp()
    in_window = (months <= last) & (months > last - pd.DateOffset(months=window))
    views = _views(monthly)

    def compute() -> tuple[pd.Index, dict[str, np.ndarray]]:
        rows, index = views.customers("customer_id")
        names = ("revenue", "margin", "orders")
        # Here: workers must not lock views. Integer orders are added as they are (bincount
        # turns them into the same floats), without a float copy of the whole column.
        columns = [views.values("revenue"), views.values("margin"), _summable(views, "orders")]
        if months.is_monotonic_increasing and months.is_unique:
            # Rows whose month is one of the window's: consecutive (cached) grid positions.
            first, last_in = np.flatnonzero(in_window)[[0, -1]] if in_window.any() else (1, 0)
            position = views.positions(months)
            if views.sorted_cells():
                sums = _window_block_sums(
                    position, int(first), int(last_in), rows, views.row_bounds(), columns
                )
                np.round(sums[0], 9, out=sums[0])  # revenue, rounded as below
                return index, {name: _read_only(v) for name, v in zip(names, sums, strict=True)}
            keep = position >= first
            if last_in < len(months) - 1:
                keep &= position <= last_in
        else:
            keep = _month_positions(monthly["month"], months[in_window]) >= 0
        if not views.sorted_cells():  # rows without a customer (sorted tables have none)
            keep &= rows >= 0
        # Only the window's rows, in row order: each customer's sum adds the same rows in the
        # same order as a bincount over every row would, at a fraction of the work.
        kept = np.flatnonzero(keep)
        del keep
        slots = rows[kept].astype(np.intp)
        n = len(index)

        def total(values: np.ndarray) -> np.ndarray:
            sums = np.bincount(slots, weights=values[kept], minlength=n)
            return sums.astype(float)  # its own array (bincount of no row gives integers)

        totals = dict(zip(names, parallel_map(total, columns), strict=True))
        totals["revenue"] = totals["revenue"].round(9)
        return index, {name: _read_only(values) for name, values in totals.items()}

    return views.get(("window_totals", _grid_key(months), int(window), last), compute)


def _summable(views: _TableViews, column: str) -> np.ndarray:
    """A column as weights of a sum: integer columns as they are, others as
    :meth:`_TableViews.values` (floats, missing values 0)."""
    values = views.frame[column]
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iub":
        return values.to_numpy()  # no missing value; np.bincount converts to float itself
    return views.values(column)


_WINDOW_BLOCK = 2**15  # customers per step of _window_block_sums: its arrays stay in cache


def _window_block_sums(
    position: np.ndarray,
    first: int,
    last: int,
    codes: np.ndarray,
    bounds: np.ndarray,
    columns: Sequence[np.ndarray],
) -> list[np.ndarray]:
    """Per customer, the sums of each of ``columns`` over the rows at grid positions
    ``first`` .. ``last``; rows run by customer (``bounds``: :meth:`_TableViews.row_bounds`).

    By blocks of customers: a customer's rows all fall in one block and are added in row
    order from 0, as by one bincount over the window's rows of the whole table, so the sums
    are the same bit for bit, without the row-sized temporaries (indices, gathered weights)
    that would take.
    """
    n = len(bounds) - 1
    out = [np.empty(n) for _ in columns]

    def add(blocks: range) -> None:
        for start in blocks:
            stop = min(start + _WINDOW_BLOCK, n)
            rows = slice(bounds[start], bounds[stop])
            at = position[rows]
            keep = at >= first
            keep &= at <= last
            kept = np.flatnonzero(keep)
            kept += rows.start
            # As intp, once: np.bincount would convert narrower codes for each column.
            slots = np.subtract(codes[kept], start, dtype=np.intp)
            for values, sums in zip(columns, out, strict=True):
                sums[start:stop] = np.bincount(slots, weights=values[kept], minlength=stop - start)

    # Two threads, each on its half of the customers (its own part of the outputs).
    middle = (n // 2 // _WINDOW_BLOCK + 1) * _WINDOW_BLOCK
    parallel_map(add, [range(0, min(middle, n), _WINDOW_BLOCK), range(middle, n, _WINDOW_BLOCK)])
    return out


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
    cumulative = np.empty(by_month.shape, dtype=np.cumsum(by_month[:1, :1]).dtype)
    # Month by month: each step adds two contiguous rows, where np.cumsum(axis=0) would walk
    # every customer's column across the rows (several times slower, same sums).
    if len(cumulative):
        cumulative[0] = by_month[0]
    for month in range(1, len(cumulative)):
        np.add(cumulative[month - 1], by_month[month], out=cumulative[month])
    # In place, latest month first, so each subtraction still sees the plain cumulative sums.
    for month in range(len(cumulative) - 1, window - 1, -1):
        cumulative[month] -= cumulative[month - window]
    # Sums of money accumulate rounding noise; 1e-9 € is far below a cent.
    np.round(cumulative, 9, out=cumulative)
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
    views = _views(monthly)
    _, index = views.customers("customer_id")
    active = views.panel(months, activity_window).active
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
