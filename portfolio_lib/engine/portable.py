"""The aggregation written once with Ibis, for the engines other than the embedded DuckDB.

Ibis compiles one expression to each engine's SQL (PostgreSQL) or DataFrame plan (Spark), so
the aggregation of a database table or of a Spark data set runs where the data lives and only
the two small results travel: one row per customer (:func:`buyers`) and one row per customer
and month with activity (:func:`months`). :mod:`portfolio_lib.engine.aggregate` turns them into
the pandas tables of every analysis, exactly as it does with the results of its DuckDB SQL.

Why two texts for DuckDB and one for the rest: the embedded DuckDB keeps its tuned SQL (exact
decimal sums, ``arg_min``, codes joined in the same session), which meets the speed and memory
targets of ``make bench``; the tests run this Ibis expression on DuckDB too and check that it
gives the same tables (:func:`portfolio_lib.engine.aggregate.aggregate` with
``engine="duckdb-ibis"``), so the two texts cannot drift apart.

Semantics (the contract of ``docs/definitions.md``): lines after ``as_of`` are dropped;
amounts are summed per customer and day; ``frequency`` counts the days after the first,
``monetary_value`` is the mean daily total over those repeat days (0 without any), as
lifetimes' ``summary_data_from_transaction_data``; ``first_purchase``/``last_purchase`` are the
first and last days with a positive line; a month's ``orders`` counts its distinct orders with
a positive line (distinct days when the log has no order id).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

__all__ = ["buyers", "clean", "months"]


def clean(table: ir.Table, *, as_of: dt.date | None) -> ir.Table:
    """Canonical typed lines (``customer_id``, ``day``, ``amount``, ``margin``, ``order_id``).

    ``table`` has the canonical column names (``customer_id``, ``date``, ``amount``, optional
    ``margin`` and ``order_id``); lines without a date are dropped, and those after ``as_of``.
    """
    names = set(table.columns)
    lines = table.select(
        customer_id=table.customer_id.cast("string"),
        day=table.date.cast("date"),
        amount=table.amount.cast("float64"),
        margin=table.margin.cast("float64") if "margin" in names else ibis.null("float64"),
        order_id=table.order_id.cast("string") if "order_id" in names else ibis.null("string"),
    )
    if as_of is None:
        return lines.filter(lines.day.notnull())
    return lines.filter(lines.day <= ibis.date(as_of))


def buyers(lines: ir.Table) -> ir.Table:
    """One row per customer: ``first_day``, ``last_day``, ``frequency``, ``monetary_value``,
    ``first_purchase``, ``last_purchase`` (days with a transaction, lifetimes' semantics)."""
    days = lines.group_by(["customer_id", "day"]).aggregate(
        total=lines.amount.sum(), bought=(lines.amount > 0).any()
    )
    # The first day of each customer beside every day: its total is left out of the repeat
    # mean by a filter, not by subtracting it (no cancellation on a big first day).
    days = days.mutate(first=days.day.min().over(group_by=days.customer_id))
    per = days.group_by("customer_id").aggregate(
        first_day=days.day.min(),
        last_day=days.day.max(),
        frequency=days.day.count() - 1,
        repeat_total=days.total.sum(where=days.day > days.first),
        first_bought=days.day.min(where=days.bought),
        last_purchase=days.day.max(where=days.bought),
    )
    return per.select(
        "customer_id",
        "first_day",
        "last_day",
        "frequency",
        monetary_value=ibis.ifelse(
            per.frequency > 0, per.repeat_total / per.frequency.cast("float64"), 0.0
        ),
        first_purchase=per.first_bought.coalesce(per.first_day),
        last_purchase=per.last_purchase,
    )


def months(lines: ir.Table) -> ir.Table:
    """One row per customer and month with a line: ``revenue``, ``margin``, ``orders``."""
    keyed = lines.mutate(
        month=lines.day.truncate("M").cast("date"),
        # Lines without an order id count one order per day, as in the DuckDB SQL.
        order_day=ibis.ifelse(lines.order_id.isnull(), lines.day, ibis.null("date")),
    )
    orders = keyed.group_by(["customer_id", "month", "order_id", "order_day"]).aggregate(
        revenue=keyed.amount.sum(), margin=keyed.margin.sum(), bought=(keyed.amount > 0).any()
    )
    return orders.group_by(["customer_id", "month"]).aggregate(
        revenue=orders.revenue.sum(),
        margin=orders.margin.sum(),
        orders=orders.customer_id.count(where=orders.bought),
    )
