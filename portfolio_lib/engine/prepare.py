"""Load and aggregate in one call: the first step of every notebook and of the app.

Notebook parameters are literals, so "" means "none" (no customer file, no filter, the default
analysis date). :func:`prepare` turns them into a loaded, checked and aggregated portfolio,
optionally restricted to a sales rep, segment or region (a cheap filter on the aggregates).

Each table may be a file or a database table/query (``postgresql://user@host/db?table=ventes``,
see :mod:`portfolio_lib.engine.sources`). With the default engine a table is read and checked
like a file; with ``engine="postgres"`` or ``"spark"`` the transactions are aggregated where
they live and never loaded (``Prepared.transactions`` is then None).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import pandas as pd

from portfolio_lib.config import data_path
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.data.load import (
    Portfolio,
    check_cost_channels,
    check_customer_ids,
    load_costs,
    load_customers,
    load_portfolio,
)
from portfolio_lib.engine.aggregate import Aggregates, aggregate
from portfolio_lib.engine.backends import engine_kind
from portfolio_lib.engine.shared import SharedFrame, load_once, shared_folder
from portfolio_lib.engine.sources import is_table_source, parse_source

__all__ = ["Prepared", "as_list", "prepare"]


@dataclass(frozen=True)
class Prepared:
    """What a notebook works on.

    Attributes
    ----------
    data : Portfolio
        The loaded tables (transactions, customers or None, costs or None); transactions are
        None when another engine aggregated them where they live, and in a report's notebooks
        (read them with :attr:`transactions`).
    full : Aggregates
        The whole portfolio aggregated once.
    agg : Aggregates
        ``full`` restricted to the requested filters (``full`` itself without filters).
    filters : dict
        The filters applied, ``{column: [values]}``.
    """

    data: Portfolio
    full: Aggregates
    agg: Aggregates
    filters: dict[str, list[str]]
    shared_transactions: SharedFrame | None = field(default=None, repr=False)

    @property
    def costs(self) -> pd.DataFrame | None:
        return self.data.costs

    @functools.cached_property
    def transactions(self) -> pd.DataFrame | None:
        """The transaction log; in a report, read from the run's shared copy on first use
        (most pages only need the aggregates: they neither read nor hold the log)."""
        if self.data.transactions is None and self.shared_transactions is not None:
            return self.shared_transactions.read()
        return self.data.transactions


def as_list(value: object) -> list[str]:
    """A filter parameter as a list: "" -> [], "A" -> ["A"], "A; B" or ["A", "B"] -> both."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    return [str(v) for v in value]


def prepare(
    transactions: object,
    customers: object = "",
    costs: object = "",
    *,
    as_of: object = "",
    sales_rep: object = "",
    segment: object = "",
    region: object = "",
    unknown_customers: str = "error",
    engine: object = "",
) -> Prepared:
    """Load the files named in a notebook's parameters and aggregate them once.

    Parameters
    ----------
    transactions : path, DataFrame or table source
        The transaction log; relative paths are taken from the project root when they do not
        exist from the current folder (see :func:`portfolio_lib.config.data_path`); or a
        database table or query, ``"postgresql://user@host/db?table=ventes"``.
    customers, costs : path, DataFrame, table source or ""
        Optional tables; "" or None for none.
    as_of : date-like or ""
        Analysis date; "" for the last transaction date.
    sales_rep, segment, region : str or list
        Filters on the customer table; "" for all, "A; B" or a list for several values.
    unknown_customers : {'error', 'keep'}
        What to do with transaction customers missing from the customer table.
    engine : str or SparkSession, optional
        "" or "duckdb" (default): load and check locally, aggregate with DuckDB; "postgres",
        "spark" or a Spark Connect URL: aggregate the transactions in that engine
        (see :func:`portfolio_lib.engine.aggregate.aggregate`).

    Returns
    -------
    Prepared
    """

    def source(value: object) -> object:
        if isinstance(value, pd.DataFrame):
            return value
        if is_table_source(value):
            return parse_source(value).read()  # small tables: checked like a file
        return data_path(value)  # type: ignore[arg-type]

    end = as_of or None

    def load() -> tuple[Portfolio, Aggregates]:
        if engine_kind(engine or None) == "duckdb":
            named = is_table_source(transactions)
            options = {"name": parse_source(transactions).name} if named else {}
            data = load_portfolio(
                source(transactions),
                source(customers),
                source(costs),
                unknown_customers=unknown_customers,  # type: ignore[arg-type]
                **options,
            )
            return data, aggregate(data.transactions, data.customers, as_of=end)
        cust, cost = source(customers), source(costs)
        cust = load_customers(cust) if cust is not None else None
        cost = load_costs(cost) if cost is not None else None
        where = transactions if is_table_source(transactions) else source(transactions)
        # Future dates refused as for files (load_transactions' default), counted in the engine.
        full = aggregate(where, cust, as_of=end, engine=engine, allow_future_dates=False)
        if cust is not None:
            # The ids with a purchase stand for the log in the cross-check of the loaders.
            bought = full.customers.loc[full.customers["frequency"].notna(), "customer_id"]
            log_ids = pd.DataFrame({"customer_id": bought.astype(str).to_numpy()})
            check_customer_ids(log_ids, cust, unknown_customers=unknown_customers)  # type: ignore[arg-type]
        if cost is not None:
            check_cost_channels(cost, cust)
        return Portfolio(None, cust, cost), full  # type: ignore[arg-type]

    tables = (transactions, customers, costs)
    files_only = not any(
        isinstance(table, pd.DataFrame) or is_table_source(table) for table in tables
    )
    if files_only and engine_kind(engine or None) == "duckdb":
        # A report's notebooks share one load (see engine.shared); else load() itself.
        files = [data_path(table) for table in tables]  # type: ignore[arg-type]
        folder = shared_folder()

        def load_shared() -> tuple[Portfolio, Aggregates, SharedFrame | None]:
            data, full = load()
            if folder is None:
                return data, full, None
            # The log apart: only the pages that use it read it (see Prepared.transactions).
            log = SharedFrame(data.transactions, folder)
            return Portfolio(None, data.customers, data.costs), full, log  # type: ignore[arg-type]

        data, full, shared = load_once(files, (str(as_of or ""), unknown_customers), load_shared)
    else:
        (data, full), shared = load(), None
    filters = {
        column: as_list(value)
        for column, value in (("sales_rep", sales_rep), ("segment", segment), ("region", region))
        if as_list(value)
    }
    _check_filters(full.customers, filters)
    agg = full.subset(**filters) if filters else full
    return Prepared(data=data, full=full, agg=agg, filters=filters, shared_transactions=shared)


def _check_filters(customers: pd.DataFrame, filters: dict[str, list[str]]) -> None:
    for column, wanted in filters.items():
        if column not in customers:
            raise PortfolioDataError(
                "missing_attribute",
                analysis=f"the filter on {column}",
                column=column,
                found=", ".join(customers.columns),
            )
        known = sorted(customers[column].dropna().astype(str).unique())
        if not set(wanted) & set(known):
            raise PortfolioDataError(
                "no_match",
                column=column,
                wanted=" / ".join(wanted),
                known=", ".join(known[:20]) + (" ..." if len(known) > 20 else ""),
            )
