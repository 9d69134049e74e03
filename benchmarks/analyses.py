"""What the benchmark times after aggregation: the analyses, and single widget changes.

``ANALYSES`` is the whole set of analyses of the workbook: the study functions of
:mod:`portfolio_lib.studies` (one per notebook, what the notebooks and the app run), each
called with its default parameters on an :class:`~portfolio_lib.engine.aggregate.Aggregates`, in
notebook order. The predictive fit (:func:`~portfolio_lib.studies.fit_clv_models`, iterative)
is timed on its own line and reported apart; the CLV study then takes the fitted models.
``WIDGET_CHANGES`` are single control changes of the explorers of :mod:`portfolio_lib.ui.widgets`:
the study call one callback makes with one parameter moved, given what an explorer keeps
between callbacks (``Context.prepared``, built untimed by :func:`prepare_widgets`, which also
makes every explorer's first render, as an app does when it shows them).

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

from portfolio_lib.engine.aggregate import Aggregates

__all__ = [
    "ANALYSES",
    "WIDGET_CHANGES",
    "Call",
    "Context",
    "availability",
    "prepare_widgets",
    "start_run",
]

# Attributes the analyses group by; the generated customer table has them all.
_GROUP_BY = "segment"


@dataclass
class Context:
    """What the calls work on: the aggregates, the cost table, and shared intermediate results.

    ``shared`` is emptied before every timed run of the whole set; it carries the fitted
    predictive models from their (timed) fit to the CLV study. ``prepared`` holds what an
    explorer keeps between widget callbacks (untimed, see :func:`prepare_widgets`).
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


def _studies() -> ModuleType:
    return _module("studies")


def start_run(ctx: Context) -> None:
    """Before each timed run of the whole set: the state right after aggregation.

    The analyses share what they derive from the monthly table (positions, trailing revenue,
    window totals: ``portfolio_lib.engine.tables``' cache); a run must compute them again rather
    than find the previous run's, or the repeats would time a warm cache.
    """
    ctx.shared.clear()
    for module in ("engine.tables",):
        clear = getattr(_module(module), "clear_cache", None)
        if clear is not None:
            clear()


# --------------------------------------------------------------------------------------------
# The analyses: each notebook's study with its default parameters


def _overview(ctx: Context) -> object:
    return _studies().overview_study(ctx.agg)


def _weight(ctx: Context) -> object:
    return _studies().weight_study(ctx.agg)


def _movements(ctx: Context) -> object:
    return _studies().movements_study(ctx.agg)


def _costs(ctx: Context) -> object:
    return _studies().costs_study(ctx.agg, ctx.costs)


def _balance(ctx: Context) -> object:
    return _studies().balance_study(ctx.agg)


def _rfm(ctx: Context) -> object:
    return _studies().rfm_study(ctx.agg)


def _clv_fit(ctx: Context) -> object:
    # Without the transaction log the check on unseen months is skipped (the benchmark keeps
    # only the aggregates in memory); the fit and the other checks are timed.
    ctx.shared["models"] = _studies().fit_clv_models(ctx.agg)
    return ctx.shared["models"]


def _clv(ctx: Context) -> object:
    models = ctx.shared.get("models")
    if models is None:  # the fit failed (reported on its own line): fit it here
        models = _clv_fit(ctx)
    return _studies().clv_study(ctx.agg, ctx.costs, models=models)


def _alerts(ctx: Context) -> object:
    return _studies().alerts_study(ctx.agg)


_CLV_FIT = "clv: predictive fit (BG/NBD + Gamma-Gamma, checks)"

ANALYSES: tuple[Call, ...] = (
    Call("overview_study", ("studies",), _overview),
    Call("weight_study", ("studies",), _weight),
    Call("movements_study", ("studies",), _movements),
    Call("costs_study", ("studies",), _costs),
    Call("balance_study", ("studies",), _balance),
    Call("rfm_study", ("studies",), _rfm),
    Call(_CLV_FIT, ("studies",), _clv_fit),
    Call("clv_study (models fitted)", ("studies",), _clv),
    Call("alerts_study", ("studies",), _alerts),
)
"""The whole set, in notebook order. The predictive fit is iterative (its own benchmark,
``bench_predictive.py``, times it on simulated customers); it is timed here on the generated
portfolio and reported apart from the descriptive analyses' total."""

ITERATIVE = frozenset({_CLV_FIT})


# --------------------------------------------------------------------------------------------
# Widget changes: one control moves, one callback recomputes its study


def prepare_widgets(ctx: Context) -> None:
    """What the explorers compute once and keep between callbacks, then their first render.

    As :mod:`portfolio_lib.ui.widgets`: the 12-month totals (balance and CLV explorers), the RFM
    table, the fitted predictive models and the CLV study's memo, and one sales rep for the
    filter. Every explorer
    renders its defaults when it is built, so those studies run here too (untimed): a widget
    change starts from the state an app is in after showing its explorers.
    """
    studies, agg = _studies(), ctx.agg
    ctx.prepared["totals"] = studies.customer_totals(agg)
    ctx.prepared["rfm_values"] = _module("metrics.rfm").rfm_table(agg.customers, as_of=agg.as_of)
    ctx.prepared["models"] = studies.fit_clv_models(agg)
    ctx.prepared["clv_memo"] = {}
    reps = agg.customers.get("sales_rep")
    ctx.prepared["rep"] = reps.dropna().iloc[0] if reps is not None and reps.notna().any() else None
    # The explorers' first renders (default controls).
    studies.overview_study(agg)
    studies.weight_study(agg)
    studies.movements_study(agg)
    studies.costs_study(agg, ctx.costs)
    studies.balance_study(agg, totals=ctx.prepared["totals"])
    studies.rfm_study(agg, values=ctx.prepared["rfm_values"])
    _widget_clv(ctx, discount_rate=None)
    studies.alerts_study(agg)
    # Issue 14 (value): the RFM study the weight sliders reweight, the value explorer's memo
    # and traits, the reps' portfolio table.
    if availability(Call("value", ("studies.value", "studies.portfolio"), _widget_rfm)) is None:
        ctx.prepared["rfm_base"] = studies.rfm_study(agg, values=ctx.prepared["rfm_values"])
        value = _module("studies.value")
        ctx.prepared["traits"] = value.profile_traits(agg, ctx.prepared["totals"])
        ctx.prepared["value_memo"] = {}
        _widget_value(ctx, fixed_charges=0.0)
        ctx.prepared["portfolio"] = _module("studies.portfolio").rep_portfolio_study(
            agg, totals=ctx.prepared["totals"]
        )
    # Issue 18 (forecast): the forecast and its intervals, once per tab, on the CLV's models.
    if availability(Call("forecast", ("studies.forecast",), _widget_what_if)) is None:
        ctx.prepared["forecast"] = _module("studies.forecast").forecast_study(
            agg, ctx.costs, models=ctx.prepared["models"]
        )

    # Issue 18: the migration explorer's study (computed once when it is built).
    if availability(Call("migration", ("studies.migration",), _widget_migration)) is None:
        ctx.prepared["migration"] = _module("studies.migration").migration_study(agg)
    ctx.shared.clear()


def _widget_balance(ctx: Context, **change: object) -> object:
    return _studies().balance_study(ctx.agg, totals=ctx.prepared["totals"], **change)


def _widget_abc(ctx: Context) -> object:
    return _widget_balance(ctx, a_cut=0.70, b_cut=0.90)


def _widget_pmg(ctx: Context) -> object:
    return _widget_balance(ctx, pmg_thresholds=(2_000.0, 20_000.0))


def _widget_lifecycle(ctx: Context) -> object:
    return _widget_balance(ctx, lifecycle_growth=0.05)


def _widget_rfm(ctx: Context) -> object:
    # 4 scores: the grid of counts without the named segments (they need 5 scores).
    return _studies().rfm_study(ctx.agg, bins=4, values=ctx.prepared["rfm_values"])


def _widget_movements_period(ctx: Context) -> object:
    return _studies().movements_study(ctx.agg, period="quarter")


def _new_window(ctx: Context, key: str, windows: tuple[int, ...]) -> int:
    """An activity window this process has not used yet (cycling through ``windows``).

    A window change needs the trailing revenue of the new window: a repeat of the same change
    would find it computed by the previous repeat. Each repeat takes another window, so every
    timed change includes that computation (the default window's stays cached, as in an app).
    """
    position = ctx.prepared.get(key, 0)
    ctx.prepared[key] = position + 1
    return windows[position % len(windows)]


def _widget_movements_window(ctx: Context) -> object:
    window = _new_window(ctx, "movements_windows", (6, 7, 8, 9, 10, 11, 13, 14, 15, 16))
    return _studies().movements_study(ctx.agg, activity_window=window)


def _widget_weight(ctx: Context) -> object:
    return _studies().weight_study(ctx.agg, period="quarter")


def _widget_overview(ctx: Context) -> object:
    window = _new_window(ctx, "overview_windows", (5, 4, 3, 2, 17, 18, 19, 20, 21, 22))
    return _studies().overview_study(ctx.agg, activity_window=window)


def _widget_costs(ctx: Context) -> object:
    return _studies().costs_study(ctx.agg, ctx.costs, payback_horizon_months=6)


def _widget_clv(ctx: Context, discount_rate: float | None = 0.08) -> object:
    options = {} if discount_rate is None else {"discount_rate": discount_rate}
    return _studies().clv_study(
        ctx.agg,
        ctx.costs,
        models=ctx.prepared["models"],
        totals=ctx.prepared["totals"],
        memo=ctx.prepared["clv_memo"],
        **options,
    )


def _widget_alerts(ctx: Context) -> object:
    return _studies().alerts_study(ctx.agg, drop_alert=0.20)


def _widget_filter(ctx: Context) -> object:
    # The alerts explorer's rep dropdown: the rep's portfolio (kept afterwards), its alerts.
    return _studies().alerts_study(ctx.agg.subset(sales_rep=ctx.prepared["rep"]))


def _widget_rfm_weights(ctx: Context) -> object:
    return _module("studies.rfm").rfm_weighted(ctx.prepared["rfm_base"], (1.0, 1.0, 5.0))


def _widget_value(ctx: Context, fixed_charges: float = 1e6) -> object:
    return _module("studies.value").value_study(
        ctx.agg,
        fixed_charges=fixed_charges,
        totals=ctx.prepared["totals"],
        traits=ctx.prepared["traits"],
        memo=ctx.prepared["value_memo"],
    )


def _widget_what_if(ctx: Context) -> object:
    # The retention slider is the costly one: the next year's purchases of every customer
    # again, under the moved dropout (basket and acquisition only rescale or add).
    return _module("studies.forecast").what_if_study(
        ctx.prepared["forecast"], retention_points=5.0, new_per_month=20.0, basket=0.10
    )


def _widget_portfolio(ctx: Context) -> object:
    return _module("studies.portfolio").rank_portfolio(
        ctx.prepared["portfolio"].table, rank_by="margin"
    )


def _widget_migration(ctx: Context) -> object:
    # The explorer's render on a change of classification: pivot and nothing else.
    study = ctx.prepared["migration"]
    return _module("metrics.migration").migration_matrix(
        study.tables["pmg"], value="revenue_change"
    )


WIDGET_CHANGES: tuple[Call, ...] = (
    Call("overview: activity window (a new one each time)", ("studies",), _widget_overview),
    Call("weight: period month -> quarter", ("studies",), _widget_weight),
    Call("movements: period month -> quarter", ("studies",), _widget_movements_period),
    Call(
        "movements: activity window (a new one each time)", ("studies",), _widget_movements_window
    ),
    Call("costs: payback horizon 12 -> 6 months", ("studies",), _widget_costs),
    Call("balance: ABC cuts 80/95 -> 70/90 %", ("studies",), _widget_abc),
    Call("balance: PMG thresholds in euros", ("studies",), _widget_pmg),
    Call("balance: lifecycle growth 10 -> 5 %", ("studies",), _widget_lifecycle),
    Call("rfm: 5 -> 4 scores", ("studies",), _widget_rfm),
    Call("clv: discount rate 10 -> 8 %", ("studies",), _widget_clv),
    Call("alerts: drop 30 -> 20 %", ("studies",), _widget_alerts),
    Call("alerts: one sales rep (subset + study)", ("studies",), _widget_filter),
    Call("rfm: weights 1/1/1 -> 1/1/5", ("studies.rfm",), _widget_rfm_weights),
    Call("value: fixed charges 0 -> 1 M€", ("studies.value",), _widget_value),
    Call("portfolio: rank by margin", ("studies.portfolio",), _widget_portfolio),
    Call("forecast: what-if retention +5 pts", ("studies.forecast",), _widget_what_if),
    Call("migration: ABC -> PMG, revenue change", ("studies.migration",), _widget_migration),
)
