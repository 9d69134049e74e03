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

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from .config import DEFAULTS

__all__ = [
    "PERIOD_MONTHS",
    "Aggregates",
    "active_matrix",
    "aggregate",
    "customer_summary",
    "period_ends",
    "period_label",
    "revenue_matrix",
    "trailing_sum",
    "window_totals",
]

Period = Literal["month", "quarter", "year"]
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
    monthly : pandas.DataFrame
        ``customer_id`` (categorical, categories = ``customers.customer_id``), ``month`` (first
        day), ``revenue``, ``margin``, ``orders``: one row per customer and month with a
        transaction.
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
        customers = self.customers[keep].reset_index(drop=True)
        ids = self.monthly["customer_id"]
        monthly = self.monthly[ids.isin(customers["customer_id"]).to_numpy()].copy()
        monthly["customer_id"] = pd.Categorical(
            monthly["customer_id"].astype(object), categories=customers["customer_id"]
        )
        return replace(self, customers=customers, monthly=monthly.reset_index(drop=True))


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


def _clean_sql(relation: str, columns: list[str], as_of: str | None) -> str:
    margin = "CAST(margin AS DOUBLE)" if "margin" in columns else "CAST(NULL AS DOUBLE)"
    order = "CAST(order_id AS VARCHAR)" if "order_id" in columns else "CAST(NULL AS VARCHAR)"
    where = f"WHERE CAST(date AS DATE) <= DATE '{as_of}'" if as_of else ""
    return f"""
        SELECT CAST(customer_id AS VARCHAR) AS customer_id,
               CAST(date AS DATE) AS day,
               CAST(amount AS DOUBLE) AS amount,
               {margin} AS margin,
               {order} AS order_id
        FROM {relation} {where}
    """


def _as_of(con: duckdb.DuckDBPyConnection, relation: str, as_of: object) -> pd.Timestamp:
    if as_of is not None:
        return pd.Timestamp(as_of).normalize()
    last = con.execute(f"SELECT max(CAST(date AS DATE)) FROM {relation}").fetchone()[0]
    if last is None:
        raise ValueError("the transaction log is empty: nothing to aggregate")
    return pd.Timestamp(last)


_SUMMARY_SQL = """
    WITH days AS (
        SELECT customer_id, day, sum(amount) AS amount
        FROM clean GROUP BY customer_id, day
    )
    SELECT customer_id,
           count(*) - 1 AS frequency,
           date_diff('day', min(day), max(day)) AS recency,
           date_diff('day', min(day), DATE '{as_of}') AS T,
           CASE WHEN count(*) > 1
                THEN (sum(amount) - arg_min(amount, day)) / (count(*) - 1)
                ELSE 0 END AS monetary_value
    FROM days GROUP BY customer_id
"""


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
    with duckdb.connect() as con:
        relation = _relation_sql(transactions, con)
        end = _as_of(con, relation, as_of)
        clean = _clean_sql(relation, _columns(con, relation), f"{end:%Y-%m-%d}")
        con.execute(f"CREATE TEMP VIEW clean AS {clean}")
        frame = con.execute(
            _SUMMARY_SQL.format(as_of=f"{end:%Y-%m-%d}") + " ORDER BY customer_id"
        ).df()
    frame = frame.set_index("customer_id")
    return frame.astype({"frequency": float, "recency": float, "T": float, "monetary_value": float})


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
        Canonical transactions from :func:`portfolio_lib.io.load_transactions`, or a Parquet or
        CSV file with canonical column names (read by DuckDB without going through pandas).
    customers : DataFrame, optional
        Canonical customer table; its attributes are joined, its prospects kept.
    as_of : date-like, optional
        Analysis date, default the last transaction date; later transactions are ignored.

    Returns
    -------
    Aggregates
    """
    with duckdb.connect() as con:
        relation = _relation_sql(transactions, con)
        columns = _columns(con, relation)
        end = _as_of(con, relation, as_of)
        con.execute(f"CREATE TEMP VIEW clean AS {_clean_sql(relation, columns, f'{end:%Y-%m-%d}')}")
        monthly = con.execute(
            """
            SELECT customer_id,
                   CAST(date_trunc('month', day) AS TIMESTAMP) AS month,
                   sum(amount) AS revenue,
                   sum(margin) AS margin,
                   count(DISTINCT CASE WHEN amount > 0
                         THEN coalesce(order_id, CAST(day AS VARCHAR)) END) AS orders
            FROM clean GROUP BY ALL ORDER BY customer_id, month
            """
        ).df()
        totals = con.execute(
            f"""
            WITH buyers AS (
                SELECT customer_id,
                       min(day) FILTER (WHERE amount > 0) AS first_purchase,
                       max(day) FILTER (WHERE amount > 0) AS last_purchase,
                       min(day) AS first_transaction
                FROM clean GROUP BY customer_id
            ), summary AS ({_SUMMARY_SQL.format(as_of=f"{end:%Y-%m-%d}")})
            SELECT b.customer_id,
                   CAST(coalesce(b.first_purchase, b.first_transaction) AS TIMESTAMP)
                       AS first_purchase,
                   CAST(b.last_purchase AS TIMESTAMP) AS last_purchase,
                   s.frequency, s.recency, s.T, s.monetary_value
            FROM buyers b JOIN summary s USING (customer_id)
            """
        ).df()
        first_month = con.execute("SELECT min(day) FROM clean").fetchone()[0]
    if first_month is None:
        raise ValueError(f"no transaction on or before {end:%d/%m/%Y}: nothing to aggregate")
    sums = monthly.groupby("customer_id", sort=False)[["revenue", "margin", "orders"]].sum(
        min_count=1
    )
    table = totals.set_index("customer_id").join(sums)
    table["orders"] = table["orders"].fillna(0).astype("int64")
    table = table[
        ["first_purchase", "last_purchase", "revenue", "margin", "orders"]
        + ["frequency", "recency", "T", "monetary_value"]
    ]
    if customers is not None:
        attributes = customers.set_index("customer_id")[
            [c for c in _ATTRIBUTES if c in customers.columns]
        ]
        table = table.join(attributes, how="outer")
        table["revenue"] = table["revenue"].fillna(0.0)
        table["orders"] = table["orders"].fillna(0).astype("int64")
    table = table.sort_index()
    table.index.name = "customer_id"
    table = table.reset_index()
    table[["frequency", "recency", "T", "monetary_value"]] = table[
        ["frequency", "recency", "T", "monetary_value"]
    ].astype(float)
    for column in ("first_purchase", "last_purchase"):
        table[column] = table[column].astype("datetime64[ns]")
    monthly["customer_id"] = pd.Categorical(
        monthly["customer_id"], categories=table["customer_id"], ordered=False
    )
    monthly["month"] = monthly["month"].astype("datetime64[ns]")
    monthly["orders"] = monthly["orders"].astype("int64")
    months = pd.date_range(
        pd.Timestamp(first_month).to_period("M").to_timestamp(),
        end.to_period("M").to_timestamp(),
        freq="MS",
    ).as_unit("ns")
    return Aggregates(
        customers=table,
        monthly=monthly,
        months=months,
        as_of=end,
        has_margin="margin" in columns,
    )


# --------------------------------------------------------------------------------------------
# Dense views of the monthly table (cheap: used by every analysis and every widget change)


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
    ids = monthly[customer_col]
    if isinstance(ids.dtype, pd.CategoricalDtype):
        rows, index = ids.cat.codes.to_numpy(), ids.cat.categories
    else:
        rows, index = pd.factorize(ids, sort=True)
    cols = months.get_indexer(monthly[month_col])
    keep = cols >= 0
    dense = np.zeros((len(index), len(months)))
    np.add.at(dense, (rows[keep], cols[keep]), monthly[value].fillna(0).to_numpy()[keep])
    return pd.DataFrame(dense, index=pd.Index(index, name=customer_col), columns=months)


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
    last = months[-1] if end is None else pd.Timestamp(end).to_period("M").to_timestamp()
    inside = months[(months <= last) & (months > last - pd.DateOffset(months=window))]
    out = pd.DataFrame(
        {
            value: revenue_matrix(monthly, inside, value=value).sum(axis=1)
            for value in ("revenue", "margin", "orders")
        }
    )
    out["revenue"] = out["revenue"].round(9)
    if monthly["margin"].isna().all():
        out["margin"] = np.nan
    out["orders"] = out["orders"].astype("int64")
    out["active"] = out["revenue"] > 0
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
    values = matrix.to_numpy()
    cumulative = np.cumsum(values, axis=1)
    shifted = np.zeros_like(cumulative)
    shifted[:, window:] = cumulative[:, :-window]
    # Sums of money accumulate rounding noise; 1e-9 € is far below a cent.
    out = np.round(cumulative - shifted, 9)
    return pd.DataFrame(out, index=matrix.index, columns=matrix.columns)


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
    return trailing_sum(revenue_matrix(monthly, months), activity_window) > 0


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
