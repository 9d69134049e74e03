"""Aggregate the transaction log once, with DuckDB, into small tables every analysis uses.

The expensive step is here: DuckDB reads a pandas frame, a Parquet file or a CSV file and
groups the log into

- ``customers``: one row per customer (attributes, totals, and the purchase summary with
  lifetimes' semantics: ``frequency``, ``recency``, ``T``, ``monetary_value``);
- ``monthly``: one row per customer and calendar month with activity (long format).

Everything after works in pandas on these tables; :mod:`portfolio_lib.engine.tables` derives
from ``monthly`` the dense matrices, trailing windows and periods the analyses read.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.engine.tables import same_customers

__all__ = ["DUCKDB_SETTINGS", "Aggregates", "aggregate", "customer_summary", "product_totals"]

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
    "headcount",
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
        if isinstance(ids.dtype, pd.CategoricalDtype) and same_customers(ids.cat.categories, mine):
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
        date = source["date"] if "date" in source.columns else None
        if date is not None and isinstance(date.dtype, pd.DatetimeTZDtype):
            # Local calendar days, as load_transactions reads them: DuckDB would cut in UTC.
            source = source.assign(date=date.dt.tz_localize(None))
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
_MONTHS_SQL = """
    WITH orders AS (
        SELECT customer_id, CAST(date_trunc('month', day) AS DATE) AS month,
               sum(amount) AS revenue, sum(margin) AS margin, bool_or(amount > 0) AS bought
        FROM clean
        GROUP BY customer_id, month, order_id, CASE WHEN order_id IS NULL THEN day END
    )
    SELECT customer_id, month, sum(revenue) AS revenue, sum(margin) AS margin,
           count(*) FILTER (WHERE bought) AS orders
    FROM orders GROUP BY customer_id, month
"""
_MONTHLY_SQL = """
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


def _engine_results(
    transactions: object, end: pd.Timestamp | None, engine: object, **checks: object
) -> tuple[pa.Table, pa.Table, bool]:
    """The per-customer and customer x month results of the engine-neutral expression."""
    from portfolio_lib.engine import portable
    from portfolio_lib.engine.backends import open_transactions

    with open_transactions(transactions, engine, **checks) as table:  # type: ignore[arg-type]
        lines = portable.clean(table, as_of=None if end is None else end.date())
        buyers = portable.buyers(lines).to_pyarrow()
        months = portable.months(lines).to_pyarrow()
        has_margin = "margin" in table.columns
    return buyers, months, has_margin


def customer_summary(
    transactions: TransactionSource, *, as_of: object = None, engine: object = None
) -> pd.DataFrame:
    """Per-customer ``frequency``, ``recency``, ``T``, ``monetary_value`` (in days).

    Same semantics as lifetimes' ``summary_data_from_transaction_data`` with ``freq='D'``:
    transactions after ``as_of`` are dropped, amounts are summed per customer and day,
    ``frequency`` counts the days with a transaction after the first, ``recency`` is the number
    of days from the first to the last, ``T`` from the first to ``as_of``, and
    ``monetary_value`` is the mean daily amount over the repeat days (0 without repeats).
    Days with only a credit note count as transactions, as in lifetimes.

    Parameters
    ----------
    transactions : DataFrame, path or table source
        Canonical transactions (``customer_id``, ``date``, ``amount``), a Parquet/CSV file
        with those columns, or (other engines) a table: see :func:`aggregate`.
    as_of : date-like, optional
        End of the observation period, default the last transaction date.
    engine : str or SparkSession, optional
        Where to compute: DuckDB embedded by default; see :func:`aggregate`.

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
    if _is_default(engine):
        with _connect() as con:
            relation = _relation_sql(transactions, con)
            con.execute(
                f"CREATE TEMP VIEW clean AS {_clean_sql(relation, _columns(con, relation), end)}"
            )
            result = con.sql(
                _SUMMARY_SQL.format(day_columns="", customer_columns="") + " ORDER BY customer_id"
            ).to_arrow_table()
    else:
        buyers = _engine_results(transactions, end, engine)[0]
        result = buyers.sort_by("customer_id")
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


def _is_default(engine: object) -> bool:
    return engine is None or (isinstance(engine, str) and engine.strip().lower() in {"", "duckdb"})


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
    engine: object = None,
    **checks: object,
) -> Aggregates:
    """Aggregate the log into the customer and customer x month tables (the expensive step).

    Parameters
    ----------
    transactions : DataFrame, path or table source
        Canonical transactions from :func:`portfolio_lib.data.load.load_transactions`, or a
        Parquet or CSV file with canonical column names (read by DuckDB without going through
        pandas). With ``engine="postgres"``: ``"postgresql://user@host/db?table=ventes"`` (or
        ``?query=SELECT ...``, or a :class:`~portfolio_lib.engine.sources.TableSource`); with
        ``engine="spark"``: a frame, a Parquet/CSV path Spark reads, or ``"table=ventes"``.
    customers : DataFrame, optional
        Canonical customer table; its attributes are joined, its prospects kept.
    as_of : date-like, optional
        Analysis date, default the last transaction date; later transactions are ignored.
    engine : str or SparkSession, optional
        ``None``/``"duckdb"`` (embedded, default), ``"postgres"``, ``"spark"``, a Spark Connect
        URL ``"sc://host:15002"`` or a SparkSession (see :mod:`portfolio_lib.engine.backends`).
        Every engine gives the same tables; only the aggregated rows come back to Python.
    **checks
        Other engines only: ``mapping``, ``today``, ``allow_future_dates`` of the checks of
        :func:`portfolio_lib.engine.backends.open_transactions`.

    Returns
    -------
    Aggregates
    """
    end = None if as_of is None else pd.Timestamp(as_of).normalize()
    # All the work on lines and ids is the engine's (parallel, no Python strings per row);
    # pandas only receives one row per customer and the monthly rows keyed by integer codes.
    with _connect() as con:
        if _is_default(engine):
            relation = _relation_sql(transactions, con)
            columns = _columns(con, relation)
            con.execute(f"CREATE TEMP VIEW clean AS {_clean_sql(relation, columns, end)}")
            con.execute(
                "CREATE TEMP TABLE buyers AS "
                + _SUMMARY_SQL.format(
                    day_columns=_PURCHASE_DAY_COLUMNS, customer_columns=_PURCHASE_COLUMNS
                )
            )
            con.execute(f"CREATE TEMP VIEW months AS {_MONTHS_SQL}")
            has_margin = "margin" in columns
        else:
            # The small results of the other engine take the place of the two tables above.
            buyers, months, has_margin = _engine_results(transactions, end, engine, **checks)
            con.register("buyers", buyers)
            con.register("months", months)
        n_buyers, first_day, last_day = con.execute(
            "SELECT count(*), min(first_day), max(last_day) FROM buyers"
        ).fetchall()[0]
        if not n_buyers:
            if end is None:
                raise ValueError("the transaction log is empty: nothing to aggregate")
            first = None
            if _is_default(engine):
                first = con.execute(f"SELECT min(CAST(date AS DATE)) FROM {relation}").fetchone()
            if isinstance(transactions, pd.DataFrame):
                name = transactions.attrs.get("source")
            else:
                name = Path(str(transactions)).name
            raise PortfolioDataError(
                "no_transactions_before",
                file=name,
                as_of=f"{end:%d/%m/%Y}",
                first=f"{pd.Timestamp(first[0]):%d/%m/%Y}" if first and first[0] else "-",
            )
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
    return _assemble(table, monthly, customers, end, first_day, has_margin=has_margin)


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


# Customer x product totals over a window of whole months: orders are counted as in the monthly
# table (one group per order, per day without an order id), within each product.
_PRODUCTS_SQL = """
    WITH orders AS (
        SELECT customer_id, coalesce(CAST(product AS VARCHAR), '') AS product,
               sum(amount) AS revenue, sum(margin) AS margin, bool_or(amount > 0) AS bought
        FROM ({clean}) AS lines
        WHERE day >= DATE '{start:%Y-%m-%d}'
        GROUP BY customer_id, product, order_id, CASE WHEN order_id IS NULL THEN day END
    )
    SELECT customer_id, product, sum(revenue) AS revenue, sum(margin) AS margin,
           count(*) FILTER (WHERE bought) AS orders
    FROM orders GROUP BY customer_id, product
    ORDER BY customer_id, product
"""


def product_totals(
    transactions: TransactionSource,
    *,
    as_of: object,
    window: int = 12,
) -> pd.DataFrame:
    """Revenue, margin and orders of every customer and product over a window, in DuckDB.

    The ``product`` column of the log (a product or product family) is grouped as it is
    written; lines without one are grouped under ``""`` (shown "unknown"). Only DuckDB (a
    frame or a file): the other engines aggregate no product table.

    Parameters
    ----------
    transactions : DataFrame, or path of a CSV or Parquet file
        The canonical transaction columns (``Portfolio.transactions``), with ``product``.
    as_of : date-like
        Analysis date (``Aggregates.as_of``): the window is the ``window`` whole months
        ending with its month, lines after it left out.
    window : int, default 12

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (text), ``product`` (text, "unknown" when missing), ``revenue``,
        ``margin`` (NaN without margin in the log), ``orders``: one row per customer and
        product with a line in the window, sorted by customer then product.

    Raises
    ------
    PortfolioDataError
        ``missing_product`` when the log has no ``product`` column.
    """
    end = pd.Timestamp(as_of)
    start = (end.to_period("M") - (int(window) - 1)).to_timestamp()
    with _connect() as con:
        relation = _relation_sql(transactions, con)
        columns = _columns(con, relation)
        if "product" not in columns:
            raise PortfolioDataError(
                "missing_product", file="transactions", found=", ".join(columns)
            )
        # The clean lines of every aggregate, with the product beside them.
        clean = _clean_sql(relation, columns, end).replace(
            " AS order_id\n", " AS order_id,\n               product\n", 1
        )
        out = con.execute(_PRODUCTS_SQL.format(clean=clean, start=start)).df()
    out["product"] = out["product"].replace("", "unknown")
    out["orders"] = out["orders"].astype(np.int64)
    return out
