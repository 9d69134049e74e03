"""What the benchmark times after aggregation: the analyses, and single widget changes.

``ANALYSES`` is the whole set of analyses of the workbook, as their notebooks call them with
the default parameters on an :class:`~portfolio_lib.aggregate.Aggregates`. ``WIDGET_CHANGES``
are single widget moves: what one callback recomputes when a threshold changes, given what
an app keeps between callbacks (``Context.prepared``, built untimed by ``prepare_widgets``).

Each entry names the ``portfolio_lib`` modules it needs. Entries whose module (or function) is
not there yet are reported "not available" instead of failing, so this list can name analyses
before they land. To add one: write ``def _my_analysis(ctx: Context) -> object`` calling the
library and append ``Call("label", ("module",), _my_analysis)``. Calls must return what they
compute (so nothing is optimised away) and must not print.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

import pandas as pd

from portfolio_lib.aggregate import Aggregates, window_totals

__all__ = [
    "ANALYSES",
    "WIDGET_CHANGES",
    "Call",
    "Context",
    "availability",
    "prepare_widgets",
]

# Attributes the analyses group by; the generated customer table has them all.
_GROUP_BY = "segment"


@dataclass
class Context:
    """What the calls work on: the aggregates, the cost table, and shared intermediate results.

    ``shared`` is emptied before every timed run of the whole set: an intermediate result
    several analyses use (the last 12 months' totals) is computed once per run, by the first
    call that needs it, and timed there. ``prepared`` holds what an app keeps between widget
    callbacks (untimed, see :func:`prepare_widgets`).
    """

    agg: Aggregates
    costs: pd.DataFrame | None = None
    shared: dict[str, object] = field(default_factory=dict)
    prepared: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One timed unit: a label, the ``portfolio_lib`` modules it needs, the function."""

    label: str
    modules: tuple[str, ...]
    run: Callable[[Context], object]


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"portfolio_lib.{name}")


def availability(call: Call) -> str | None:
    """None when the call can run, else why not (missing module or function)."""
    for name in call.modules:
        try:
            _module(name)
        except ImportError as err:
            return f"portfolio_lib.{name} not importable ({err})"
    return None


def _yearly(ctx: Context) -> pd.DataFrame:
    """Last 12 months' revenue, margin, orders per customer, with the customer attributes."""
    if "yearly" not in ctx.shared:
        agg = ctx.agg
        totals = window_totals(agg.monthly, agg.months)
        yearly = agg.customers.drop(columns=["revenue", "margin", "orders"])
        if totals.index.equals(pd.Index(yearly["customer_id"])):  # the Aggregates invariant
            yearly = yearly.assign(**{name: totals[name].to_numpy() for name in totals})
        else:
            yearly = yearly.set_index("customer_id").join(totals).reset_index()
        ctx.shared["yearly"] = yearly
    return ctx.shared["yearly"]  # type: ignore[return-value]


def _yearly_movements(ctx: Context) -> pd.DataFrame:
    if "yearly_movements" not in ctx.shared:
        agg = ctx.agg
        ctx.shared["yearly_movements"] = _module("movements").movements(
            agg.monthly, months=agg.months, period="year"
        )
    return ctx.shared["yearly_movements"]  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# The analyses (each notebook's default calls)


def _headline(ctx: Context) -> object:
    agg = ctx.agg
    return _module("weight").headline_kpis(agg.monthly, months=agg.months, customers=agg.customers)


def _weight_by(ctx: Context) -> object:
    agg, weight = ctx.agg, _module("weight")
    return [
        weight.weight_by(agg.monthly, months=agg.months, customers=agg.customers, by=by)
        for by in ("segment", "sales_rep", "region")
    ]


def _weight_over_time(ctx: Context) -> object:
    agg = ctx.agg
    return _module("weight").weight_over_time(
        agg.monthly, months=agg.months, customers=agg.customers, by=_GROUP_BY
    )


def _movements_monthly(ctx: Context) -> object:
    agg = ctx.agg
    return _module("movements").movements(agg.monthly, months=agg.months, period="month")


def _movements_yearly(ctx: Context) -> object:
    return _yearly_movements(ctx)


def _revenue_bridge(ctx: Context) -> object:
    agg = ctx.agg
    return _module("movements").revenue_bridge(agg.monthly, months=agg.months, period="year")


def _cohorts(ctx: Context) -> object:
    agg, movements = ctx.agg, _module("movements")
    cohorts = movements.cohort_table(agg.monthly, months=agg.months, period="month")
    return movements.cohort_matrix(cohorts), movements.cohort_matrix(cohorts, value="revenue_share")


def _costs(ctx: Context) -> object:
    agg = ctx.agg
    return _module("costs").cost_summary(ctx.costs, agg.monthly, agg.customers, months=agg.months)


def _pareto(ctx: Context) -> object:
    balance, yearly = _module("balance"), _yearly(ctx)
    return (
        balance.pareto_table(yearly),
        balance.lorenz_curve(yearly),
        balance.pareto_share(yearly),
    )


def _abc(ctx: Context) -> object:
    balance = _module("balance")
    classes = balance.abc_classes(_yearly(ctx))
    return balance.class_summary(classes, by="abc")


def _pmg(ctx: Context) -> object:
    balance = _module("balance")
    classes = balance.pmg_classes(_yearly(ctx))
    return balance.class_summary(classes, by="pmg")


def _concentration(ctx: Context) -> object:
    balance, yearly = _module("balance"), _yearly(ctx)
    return balance.concentration(yearly), balance.dependence_alerts(yearly)


def _lifecycle(ctx: Context) -> object:
    agg, balance = ctx.agg, _module("balance")
    phases = balance.lifecycle_phases(agg.monthly, agg.customers, months=agg.months)
    return balance.lifecycle_summary(phases)


def _potential(ctx: Context) -> object:
    balance = _module("balance")
    matrix = balance.potential_matrix(_yearly(ctx))
    return balance.potential_matrix_summary(matrix)


def _rfm(ctx: Context) -> object:
    rfm = _module("rfm")
    table = rfm.rfm_table(ctx.agg.customers, as_of=ctx.agg.as_of)
    segments = rfm.rfm_segments(rfm.rfm_scores(table))
    return rfm.rfm_summary(segments)


def _simple_clv(ctx: Context) -> object:
    movements = _yearly_movements(ctx)
    churn = float(movements["churn_rate"].dropna().iloc[-1])
    return _module("clv").simple_clv(_yearly(ctx), annual_churn=churn, by=_GROUP_BY)


def _alerts(ctx: Context) -> object:
    agg, alerts = ctx.agg, _module("alerts")
    found = alerts.customer_alerts(agg.monthly, agg.customers, months=agg.months, as_of=agg.as_of)
    return alerts.alerts_by_rep(found)


def _predictive(ctx: Context) -> object:
    predictive, customers = _module("predictive"), ctx.agg.customers
    bgnbd = predictive.fit_bgnbd(customers)
    gamma_gamma = predictive.fit_gamma_gamma(customers, on_nonpositive="exclude")
    return predictive.predictive_clv(customers, bgnbd, gamma_gamma)


ANALYSES: tuple[Call, ...] = (
    Call("weight: headline KPIs", ("weight",), _headline),
    Call("weight: by segment, rep, region", ("weight",), _weight_by),
    Call("weight: over time by segment", ("weight",), _weight_over_time),
    Call("movements: monthly", ("movements",), _movements_monthly),
    Call("movements: yearly", ("movements",), _movements_yearly),
    Call("movements: revenue bridge", ("movements",), _revenue_bridge),
    Call("movements: cohorts", ("movements",), _cohorts),
    Call("costs: CAC/CRC/payback", ("costs",), _costs),
    Call("balance: Pareto/Lorenz", ("balance",), _pareto),
    Call("balance: ABC", ("balance",), _abc),
    Call("balance: PMG", ("balance",), _pmg),
    Call("balance: concentration", ("balance",), _concentration),
    Call("balance: lifecycle", ("balance",), _lifecycle),
    Call("balance: potential matrix", ("balance",), _potential),
    Call("rfm: scores and segments", ("rfm",), _rfm),
    Call("clv: simple by segment", ("clv", "movements"), _simple_clv),
    Call("alerts: per customer and rep", ("alerts",), _alerts),
    Call("predictive: BG/NBD + Gamma-Gamma + CLV", ("predictive",), _predictive),
)
"""The whole set, in notebook order. The predictive fit is iterative (its own benchmark,
``bench_predictive.py``, times it on simulated customers); it is timed here on the generated
portfolio and reported apart from the descriptive analyses' total."""

ITERATIVE = frozenset({"predictive: BG/NBD + Gamma-Gamma + CLV"})


# --------------------------------------------------------------------------------------------
# Widget changes: one threshold moves, one callback recomputes


def prepare_widgets(ctx: Context) -> None:
    """What an app computes once and keeps between callbacks (untimed)."""
    ctx.prepared["yearly"] = _yearly(ctx)
    if availability(Call("", ("rfm",), _rfm)) is None:
        ctx.prepared["rfm_table"] = _module("rfm").rfm_table(ctx.agg.customers, as_of=ctx.agg.as_of)
    ctx.shared.clear()
    reps = ctx.agg.customers.get("sales_rep")
    ctx.prepared["rep"] = reps.dropna().iloc[0] if reps is not None and reps.notna().any() else None


def _widget_abc(ctx: Context) -> object:
    balance = _module("balance")
    classes = balance.abc_classes(ctx.prepared["yearly"], a_cut=0.70, b_cut=0.90)
    return balance.class_summary(classes, by="abc")


def _widget_pmg(ctx: Context) -> object:
    balance = _module("balance")
    classes = balance.pmg_classes(ctx.prepared["yearly"], thresholds=(2_000.0, 20_000.0))
    return balance.class_summary(classes, by="pmg")


def _widget_movements(ctx: Context) -> object:
    agg = ctx.agg
    return _module("movements").movements(
        agg.monthly, months=agg.months, period="quarter", activity_window=6
    )


def _widget_rfm(ctx: Context) -> object:
    rfm = _module("rfm")
    return rfm.rfm_summary(rfm.rfm_segments(rfm.rfm_scores(ctx.prepared["rfm_table"], bins=4)))


def _widget_alerts(ctx: Context) -> object:
    agg, alerts = ctx.agg, _module("alerts")
    found = alerts.customer_alerts(
        agg.monthly, agg.customers, months=agg.months, as_of=agg.as_of, drop_alert=0.20
    )
    return alerts.alerts_by_rep(found)


def _widget_filter(ctx: Context) -> object:
    return ctx.agg.subset(sales_rep=ctx.prepared["rep"])


def _widget_lifecycle(ctx: Context) -> object:
    agg, balance = ctx.agg, _module("balance")
    phases = balance.lifecycle_phases(agg.monthly, agg.customers, months=agg.months, growth=0.05)
    return balance.lifecycle_summary(phases)


WIDGET_CHANGES: tuple[Call, ...] = (
    Call("ABC cuts 80/95 -> 70/90 %", ("balance",), _widget_abc),
    Call("PMG thresholds in euros", ("balance",), _widget_pmg),
    Call("RFM 5 -> 4 bins", ("rfm",), _widget_rfm),
    Call("movements: quarter, 6-month window", ("movements",), _widget_movements),
    Call("lifecycle growth 10 -> 5 %", ("balance",), _widget_lifecycle),
    Call("alerts: drop 30 -> 20 %", ("alerts",), _widget_alerts),
    Call("filter: one sales rep (subset)", (), _widget_filter),
)
