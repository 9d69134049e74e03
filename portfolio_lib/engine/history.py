"""The portfolio as it stood at an earlier month end, from the aggregated tables.

:func:`aggregates_before` cuts an :class:`~portfolio_lib.engine.aggregate.Aggregates` back by a
number of months, so that every metric can be computed "a year ago" by the same function as
today (the migration matrices compare the two). Only the monthly table is read: the earlier
date is the last day of a month, and a last purchase is known to the day only when it was the
customer's last purchase ever; otherwise to the month (its last day).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.engine.aggregate import Aggregates

__all__ = ["aggregates_before"]

# lifetimes' summary at as_of: not recomputed from months (it needs the days of each purchase).
_SUMMARY = ("frequency", "recency", "T", "monetary_value")


def aggregates_before(agg: Aggregates, months: int = 12) -> Aggregates:
    """The portfolio ``months`` months before the last month of ``agg``, at that month's end.

    Parameters
    ----------
    agg : Aggregates
    months : int, default 12
        How many months back (>= 1).

    Returns
    -------
    Aggregates
        ``months`` = the grid up to the earlier month; ``monthly`` = its rows up to it (same
        customer categories); ``as_of`` = the last day of that month; ``customers``: the same
        rows and attributes, with ``revenue``, ``margin``, ``orders`` summed up to that month,
        ``first_purchase`` kept when on or before ``as_of`` (else missing: not a customer
        yet), ``last_purchase`` the exact date when on or before ``as_of``, else the last day
        of the last month with an order up to it; the lifetimes summary (``frequency``,
        ``recency``, ``T``, ``monetary_value``) is missing.

    Raises
    ------
    PortfolioDataError
        ``history_too_short`` when the grid holds ``months`` months or fewer.
    """
    if int(months) < 1:
        raise ValueError(f"months must be >= 1, got {months!r}")
    if len(agg.months) <= months:
        raise PortfolioDataError(
            "history_too_short",
            analysis=f"portfolio {months} months back",
            months_needed=months + 1,
            months_available=len(agg.months),
        )
    grid = agg.months[: len(agg.months) - months]
    as_of = grid[-1] + pd.offsets.MonthEnd(0)
    monthly = agg.monthly[agg.monthly["month"].to_numpy() <= grid[-1].to_datetime64()]
    monthly = monthly.reset_index(drop=True)
    customers = agg.customers.copy()
    ids = customers["customer_id"]
    codes = pd.Index(ids.astype(object)).get_indexer(monthly["customer_id"].astype(object))
    n = len(customers)
    for name in ("revenue", "margin", "orders"):
        values = monthly[name].to_numpy(dtype=float)
        total = np.bincount(codes, weights=np.nan_to_num(values), minlength=n)
        if name == "margin" and not agg.has_margin:
            total = np.full(n, np.nan)
        customers[name] = total.astype(customers[name].dtype) if name == "orders" else total
    buying = monthly["orders"].to_numpy() > 0
    last_month = pd.Series(monthly["month"].to_numpy()[buying]).groupby(codes[buying]).max()
    month_end = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    month_end[last_month.index] = (last_month + pd.offsets.MonthEnd(0)).to_numpy()
    last = customers["last_purchase"]
    customers["last_purchase"] = last.where(last <= as_of, month_end.to_numpy())
    first = customers["first_purchase"]
    customers["first_purchase"] = first.where(first <= as_of)
    for name in _SUMMARY:
        if name in customers:
            customers[name] = np.nan
    return replace(agg, customers=customers, monthly=monthly, months=grid, as_of=as_of)
