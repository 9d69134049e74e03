"""Load and aggregate in one call: the first step of every notebook and of the app.

Notebook parameters are literals, so "" means "none" (no customer file, no filter, the default
analysis date). :func:`prepare` turns them into a loaded, checked and aggregated portfolio,
optionally restricted to a sales rep, segment or region (a cheap filter on the aggregates).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from portfolio_lib.config import data_path
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.data.load import Portfolio, load_portfolio
from portfolio_lib.engine.aggregate import Aggregates, aggregate
from portfolio_lib.engine.shared import load_once

__all__ = ["Prepared", "as_list", "prepare"]


@dataclass(frozen=True)
class Prepared:
    """What a notebook works on.

    Attributes
    ----------
    data : Portfolio
        The loaded tables (transactions, customers or None, costs or None).
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

    @property
    def costs(self) -> pd.DataFrame | None:
        return self.data.costs


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
) -> Prepared:
    """Load the files named in a notebook's parameters and aggregate them once.

    Parameters
    ----------
    transactions : path or DataFrame
        The transaction log; relative paths are taken from the project root when they do not
        exist from the current folder (see :func:`portfolio_lib.config.data_path`).
    customers, costs : path, DataFrame or ""
        Optional tables; "" or None for none.
    as_of : date-like or ""
        Analysis date; "" for the last transaction date.
    sales_rep, segment, region : str or list
        Filters on the customer table; "" for all, "A; B" or a list for several values.
    unknown_customers : {'error', 'keep'}
        What to do with transaction customers missing from the customer table.

    Returns
    -------
    Prepared
    """

    def source(value: object) -> object:
        if isinstance(value, pd.DataFrame):
            return value
        return data_path(value)  # type: ignore[arg-type]

    def load() -> tuple[Portfolio, Aggregates]:
        data = load_portfolio(
            source(transactions),
            source(customers),
            source(costs),
            unknown_customers=unknown_customers,  # type: ignore[arg-type]
        )
        return data, aggregate(data.transactions, data.customers, as_of=as_of or None)

    tables = (transactions, customers, costs)
    if any(isinstance(table, pd.DataFrame) for table in tables):
        data, full = load()
    else:  # a report's notebooks share one load (see engine.shared); else load() itself
        files = [data_path(table) for table in tables]  # type: ignore[arg-type]
        data, full = load_once(files, (str(as_of or ""), unknown_customers), load)
    filters = {
        column: as_list(value)
        for column, value in (("sales_rep", sales_rep), ("segment", segment), ("region", region))
        if as_list(value)
    }
    _check_filters(full.customers, filters)
    agg = full.subset(**filters) if filters else full
    return Prepared(data=data, full=full, agg=agg, filters=filters)


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
