"""One function per analysis notebook: the notebook's whole computation, once, for every front end.

A notebook, an interactive explorer (:mod:`portfolio_lib.ui.widgets`) and the Voilà app need the
same numbers from the same parameters. Each ``*_study`` function takes the aggregated portfolio
(:class:`~portfolio_lib.engine.aggregate.Aggregates`, the expensive step, done once), the cost table
where needed and the notebook's parameters as keywords (defaults from
:data:`portfolio_lib.config.DEFAULTS`), calls the analysis functions of the library and returns a
frozen dataclass of their DataFrames, Series and fitted models. Nothing is drawn, printed or
written: front ends show the fields.

Parts that are legitimately unavailable (no cost table, no ``potential`` or ``sales_rep``
column, too few repeat customers for the predictive models, a history too short for a yearly
figure) do not raise: the field is ``None`` and ``notes`` says why, with bilingual texts
(``note.text(lang)``; :func:`portfolio_lib.ui.present.show_message` shows them). Bad parameters and
unusable data still raise.

The annual churn rate behind the simple and retention CLV and the LTV is the churn of the
**last 12 months** (:func:`portfolio_lib.metrics.movements.annual_churn`): customers active 12 months
before the last month of the data who are no longer active at its end, over the customers
active then; it needs 13 months of history. Per group (segment, acquisition channel...) the
same rule applies within the group; a group nobody was active in 12 months ago takes the
portfolio's rate.

The CLV study is split so that an explorer fits the predictive models once
(:func:`fit_clv_models`) and redoes only the discounted values when the discount rate or the
horizon changes (:func:`clv_study` with ``models=``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

import numpy as np
import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError
from portfolio_lib.engine.aggregate import (
    Aggregates,
    Period,
    _grid_key,
    _same_customers,
    _views,
    _window_arrays,
)
from portfolio_lib.metrics.balance import concentration
from portfolio_lib.metrics.clv import retention_clv, simple_clv
from portfolio_lib.metrics.costs import (
    _acquisition_costs,
    _cost_summary,
    acquisition_costs,
    ltv_to_cac,
)
from portfolio_lib.metrics.costs import _Inputs as _CostInputs
from portfolio_lib.metrics.movements import (
    annual_churn,
    cohort_matrix,
    cohort_table,
    movements,
    revenue_bridge,
)
from portfolio_lib.metrics.weight import headline_kpis, weight_by, weight_over_time
from portfolio_lib.models.predictive import (
    BGNBDFit,
    GammaGammaFit,
    _totals_by_key,
    calibration_and_holdout,
    calibration_vs_holdout,
    clv_by_segment,
    fit_bgnbd,
    fit_gamma_gamma,
    frequency_recency_matrix,
    p_alive_matrix,
    period_transactions,
    predictive_clv,
)
from portfolio_lib.models.predictive import ltv_to_cac as channel_ltv_to_cac
from portfolio_lib.runtime import later, parallel_map, second_thread
from portfolio_lib.studies.alerts import AlertsStudy, alerts_study
from portfolio_lib.studies.balance import BalanceStudy, balance_study
from portfolio_lib.studies.base import (
    Note,
    StudyNote,
    StudyResult,
    attempt,
    customer_totals,
)
from portfolio_lib.studies.rfm import RfmStudy, rfm_study

_T = TypeVar("_T")

__all__ = [
    "PURCHASES_GRID_DAYS",
    "WEIGHT_GROUPS",
    "AlertsStudy",
    "BalanceStudy",
    "ClvModels",
    "ClvStudy",
    "CostsStudy",
    "MovementsStudy",
    "Note",
    "OverviewStudy",
    "RfmStudy",
    "StudyNote",
    "WeightStudy",
    "alerts_study",
    "balance_study",
    "clv_study",
    "costs_study",
    "customer_totals",
    "fit_clv_models",
    "movements_study",
    "overview_study",
    "rfm_study",
    "weight_study",
]

# Parameters of the notebooks that config.DEFAULTS does not document yet (requested from the
# lead); the notebooks' own defaults until then.
_BRIDGE_PERIOD: Period = DEFAULTS["bridge_period"]
_COHORT_PERIOD: Period = DEFAULTS["cohort_period"]
_CLV_BY: str = DEFAULTS["clv_by"]
_HOLDOUT_MONTHS: int = DEFAULTS["holdout_months"]
# Horizon of the frequency/recency matrix: a year, the period churn and alerts think in.
PURCHASES_GRID_DAYS = 365.25
#: Customer attributes the weight study splits by.
WEIGHT_GROUPS: tuple[str, ...] = ("segment", "sales_rep", "region")
# Rows of the predictive CLV's "largest customers" table (notebook 06).
_TOP_CUSTOMERS = 15

# Sentences of the notes (the notebooks and the explorers show them as they are).
i18n.register(
    {
        "note_annual_churn_undefined": {
            "fr": "Aucun client n'était actif il y a 12 mois : le taux d'attrition annuel, donc "
            "la durée de vie de la CLV simple, n'est pas défini.",
            "en": "No customer was active 12 months ago: the annual churn rate, hence the "
            "lifetime of the simple CLV, is undefined.",
        },
        "note_holdout_history_too_short": {
            "fr": "Le contrôle sur les {months} derniers mois a besoin d'achats avant cette "
            "période ; l'historique est trop court : réduisez la période de test.",
            "en": "The check on the last {months} months needs purchases before them; the "
            "history is too short: shorten the holdout period.",
        },
    }
)


# --------------------------------------------------------------------------------------------
# 00 overview


@dataclass(frozen=True, eq=False, repr=False)
class OverviewStudy(StudyResult):
    """Headline figures of the portfolio (the overview tiles).

    Attributes
    ----------
    kpis : pandas.Series
        :func:`portfolio_lib.metrics.weight.headline_kpis` over the activity window.
    concentration : pandas.Series
        :func:`portfolio_lib.metrics.balance.concentration` of the window's revenue.
    notes : tuple
    """

    kpis: pd.Series
    concentration: pd.Series
    notes: tuple[StudyNote, ...] = ()


def overview_study(
    agg: Aggregates, *, activity_window: int = DEFAULTS["activity_window"]
) -> OverviewStudy:
    """Headline KPIs and concentration over the last ``activity_window`` months.

    Parameters
    ----------
    agg : Aggregates
    activity_window : int, default 12

    Returns
    -------
    OverviewStudy
    """
    kpis = headline_kpis(
        agg.monthly, months=agg.months, customers=agg.customers, window=activity_window
    )
    totals = _window_frame(agg, activity_window, ["revenue"])  # all concentration reads
    return OverviewStudy(kpis=kpis, concentration=concentration(totals))


# --------------------------------------------------------------------------------------------
# 01 weight


@dataclass(frozen=True, eq=False, repr=False)
class WeightStudy(StudyResult):
    """Weight of the portfolio (notebook 01).

    Attributes
    ----------
    kpis : pandas.Series
        :func:`portfolio_lib.metrics.weight.headline_kpis` (window = activity window).
    trend : pandas.DataFrame
        :func:`portfolio_lib.metrics.weight.weight_over_time` per period.
    by : mapping
        ``{attribute: weight_by table}`` for each attribute of ``groups`` that the customer
        table has (read-only mapping; a missing attribute is a note).
    notes : tuple
    """

    kpis: pd.Series
    trend: pd.DataFrame
    by: Mapping[str, pd.DataFrame]
    notes: tuple[StudyNote, ...] = ()


def weight_study(
    agg: Aggregates,
    *,
    period: Period = DEFAULTS["period"],
    activity_window: int = DEFAULTS["activity_window"],
    groups: Iterable[str] = WEIGHT_GROUPS,
) -> WeightStudy:
    """Headline KPIs, revenue and active customers per period, weight of each group.

    Parameters
    ----------
    agg : Aggregates
    period : {'month', 'quarter', 'year'}, default 'month'
    activity_window : int, default 12
        Months of trailing revenue that make a customer active (and of the group windows).
    groups : iterable of str, default ('segment', 'sales_rep', 'region')
        Attributes to weigh; those missing from the customer table give a
        ``missing_attribute`` note.

    Returns
    -------
    WeightStudy
    """
    notes: list[StudyNote] = []
    kpis = headline_kpis(
        agg.monthly, months=agg.months, customers=agg.customers, window=activity_window
    )
    trend = weight_over_time(
        agg.monthly,
        months=agg.months,
        customers=agg.customers,
        period=period,
        activity_window=activity_window,
    )
    by: dict[str, pd.DataFrame] = {}
    for column in groups:
        table = attempt(
            notes,
            lambda column=column: weight_by(
                agg.monthly,
                months=agg.months,
                customers=agg.customers,
                by=column,
                window=activity_window,
            ),
        )
        if table is not None:
            by[column] = table
    return WeightStudy(kpis=kpis, trend=trend, by=MappingProxyType(by), notes=tuple(notes))


# --------------------------------------------------------------------------------------------
# 02 movements


@dataclass(frozen=True, eq=False, repr=False)
class MovementsStudy(StudyResult):
    """Movements of the portfolio (notebook 02).

    Attributes
    ----------
    movements : pandas.DataFrame
        :func:`portfolio_lib.metrics.movements.movements` per ``period``.
    bridge : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.movements.revenue_bridge` per ``bridge_period``; None (and a
        note) when the data hold a single period end.
    cohorts : pandas.DataFrame
        :func:`portfolio_lib.metrics.movements.cohort_table` per ``cohort_period``.
    cohort_active, cohort_revenue : pandas.DataFrame
        Its triangles of active share and revenue share (:func:`cohort_matrix`).
    notes : tuple
    """

    movements: pd.DataFrame
    bridge: pd.DataFrame | None
    cohorts: pd.DataFrame
    cohort_active: pd.DataFrame
    cohort_revenue: pd.DataFrame
    notes: tuple[StudyNote, ...] = ()


def movements_study(
    agg: Aggregates,
    *,
    period: Period = DEFAULTS["period"],
    activity_window: int = DEFAULTS["activity_window"],
    bridge_period: Period = _BRIDGE_PERIOD,
    cohort_period: Period = _COHORT_PERIOD,
) -> MovementsStudy:
    """New, reactivated, retained and lost customers, revenue bridge and cohorts.

    Parameters
    ----------
    agg : Aggregates
    period : {'month', 'quarter', 'year'}, default 'month'
        Periods of the movements and churn.
    activity_window : int, default 12
        Months of trailing revenue that make a customer active (and of the bridge windows).
    bridge_period : {'month', 'quarter', 'year'}, default 'year'
        Spacing of the period ends the revenue bridge compares.
    cohort_period : {'month', 'quarter', 'year'}, default 'quarter'
        Cohorts of first purchase.

    Returns
    -------
    MovementsStudy
    """
    notes: list[StudyNote] = []
    moves = movements(
        agg.monthly, months=agg.months, period=period, activity_window=activity_window
    )
    # Needs two period ends: history_too_short with a single one (4 months by year).
    bridge = attempt(
        notes,
        lambda: revenue_bridge(
            agg.monthly, months=agg.months, period=bridge_period, window=activity_window
        ),
    )
    cohorts = cohort_table(agg.monthly, months=agg.months, period=cohort_period)
    return MovementsStudy(
        movements=moves,
        bridge=bridge,
        cohorts=cohorts,
        cohort_active=cohort_matrix(cohorts, value="active_share"),
        cohort_revenue=cohort_matrix(cohorts, value="revenue_share"),
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# 03 costs


@dataclass(frozen=True, eq=False, repr=False)
class CostsStudy(StudyResult):
    """Acquisition and retention costs (notebook 03), on the whole portfolio.

    Attributes
    ----------
    summary : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.costs.cost_summary` per ``period`` (CAC, CRC, payback); None
        without cost table nor budget.
    yearly : pandas.DataFrame or None
        The same per year.
    channel_costs : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.costs.acquisition_costs` per year and channel (only with a cost
        table, and a customer table with ``acquisition_channel``).
    annual_churn : float or None
        Churn of the last 12 months (:func:`portfolio_lib.metrics.movements.annual_churn`); None
        (and a note) with less than 13 months of history or nobody active a year ago.
    clv : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.clv.simple_clv` of the whole portfolio (row ``"total"``).
    ltv : float or None
        Its CLV, the LTV.
    ltv_to_cac : float or None
        LTV over the CAC of the last year.
    notes : tuple
    """

    summary: pd.DataFrame | None
    yearly: pd.DataFrame | None
    channel_costs: pd.DataFrame | None
    annual_churn: float | None
    clv: pd.DataFrame | None
    ltv: float | None
    ltv_to_cac: float | None
    notes: tuple[StudyNote, ...] = ()


def _portfolio_churn(agg: Aggregates, activity_window: int) -> float:
    """``annual_churn`` of the whole portfolio, kept with the monthly table.

    The costs and CLV studies both read it: the second takes the first's value (the table's
    cache, see ``aggregate._views``: recomputed whenever the table changes).
    """
    return _views(agg.monthly).get(
        ("annual_churn", _grid_key(agg.months), int(activity_window)),
        lambda: annual_churn(agg.monthly, months=agg.months, activity_window=activity_window),
    )


def _annual_churn(agg: Aggregates, activity_window: int, notes: list[StudyNote]) -> float | None:
    """The portfolio's annual churn, or None (with the reason in ``notes``) when unavailable.

    Unavailable when the history is shorter than 13 months (``history_too_short``) or when
    nobody was active 12 months ago (the rate is undefined).
    """
    churn = attempt(notes, lambda: _portfolio_churn(agg, activity_window))
    if churn is not None and not churn >= 0:  # NaN: nobody to lose a year ago
        notes.append(Note("note_annual_churn_undefined"))
        return None
    return churn


def _portfolio_simple_clv(
    agg: Aggregates, window: int, churn: float, max_lifetime_years: float
) -> pd.DataFrame:
    """``simple_clv`` of the whole table's totals over the last ``window`` months (a copy).

    The costs study's LTV and the CLV study's simple total are this same figure (the CLV
    study's totals only add the customers' attributes, which a total does not read): the
    second takes the first's, kept with the monthly table (``aggregate._views``: recomputed
    whenever the table changes).
    """
    key = (
        "simple_clv_total",
        _grid_key(agg.months),
        int(window),
        float(churn),
        float(max_lifetime_years),
    )
    total = _views(agg.monthly).get(
        key,
        lambda: simple_clv(
            _window_frame(agg, window, ["revenue", "orders", "margin"]),
            annual_churn=churn,
            max_lifetime_years=max_lifetime_years,
        ),
    )
    return total.copy()


def _window_frame(agg: Aggregates, window: int, names: Sequence[str]) -> pd.DataFrame:
    """Columns ``names`` of ``window_totals`` for a reader of their values only (not the
    index, not the dtype of orders), as a frame over the table's kept read-only arrays: no
    copies, no index of a million ids (~0.7 ms against ~9.5 on 1.26M customers).

    Orders are the kept floats; margin is left out when the log has none (``window_totals``
    gives NaN: unknown either way).
    """
    _, arrays = _window_arrays(agg.monthly, agg.months, window=window)
    if not _views(agg.monthly).has_values("margin"):
        names = [name for name in names if name != "margin"]
    return pd.DataFrame({name: arrays[name] for name in names}, copy=False)


def _grouping_totals(agg: Aggregates, window: int, attributes: Sequence[str]) -> pd.DataFrame:
    """What the CLV study's simple CLVs by group read of ``customer_totals(agg, window=window)``.

    The window's revenue, orders and margin (:func:`_window_frame`, the table's kept arrays)
    and the customers' ``attributes``: no copy of the customer table (~20 ms on 1.26M
    customers). ``customer_totals`` itself when an attribute is missing (its error lists the
    table's columns) or the customers are not the monthly table's.
    """
    customers = agg.customers
    index, _ = _window_arrays(agg.monthly, agg.months, window=window)
    if any(name not in customers.columns for name in attributes) or not _same_customers(
        index, customers["customer_id"]
    ):
        return customer_totals(agg, window=window)
    frame = _window_frame(agg, window, ["revenue", "orders", "margin"])
    for name in dict.fromkeys(attributes):
        frame[name] = customers[name].array
    return frame


def costs_study(
    full_agg: Aggregates,
    costs: pd.DataFrame | None,
    *,
    period: Period = DEFAULTS["period"],
    activity_window: int = DEFAULTS["activity_window"],
    acquisition_budget: float | None = None,
    retention_budget: float | None = None,
    payback_horizon_months: int = DEFAULTS["payback_horizon_months"],
) -> CostsStudy:
    """CAC, CRC, CAC payback per period and per year, CAC by channel, LTV and LTV/CAC.

    Spend is company-wide: pass the whole portfolio (``Prepared.full``), not a filtered one.

    Parameters
    ----------
    full_agg : Aggregates
        The unfiltered portfolio.
    costs : pandas.DataFrame or None
        Canonical cost table (:func:`portfolio_lib.data.load.load_costs`); None to use the budgets.
    period : {'month', 'quarter', 'year'}, default 'month'
    activity_window : int, default 12
        Months of trailing revenue that make a customer active (retained customers, CRC).
    acquisition_budget, retention_budget : float, optional
        € per month, used only without a cost table; None or 0 for none.
    payback_horizon_months : int, default 12
        Months of margin after the first purchase counted for the CAC payback.

    Returns
    -------
    CostsStudy
    """
    notes: list[StudyNote] = []
    options = {
        "activity_window": activity_window,
        "acquisition_budget": acquisition_budget or None,
        "retention_budget": retention_budget or None,
        "horizon_months": payback_horizon_months,
    }
    # The tables share the customers' first purchases and payback sums (derived once).
    inputs = _CostInputs(full_agg.customers, full_agg.months, full_agg.monthly)

    def channel_costs_with_notes() -> tuple[pd.DataFrame | None, list[StudyNote]]:
        found: list[StudyNote] = []
        channel = attempt(
            found, lambda: _acquisition_costs(costs, inputs, period="year", by_channel=True)
        )
        return channel, found

    with second_thread(len(full_agg.customers)) as background:
        spend = costs is not None or options["acquisition_budget"] or options["retention_budget"]
        # On the second thread, the longest parts: the first purchases and payback sums, then
        # the CAC by channel (budgets have none); meanwhile the LTV and the tables here (which
        # wait for the first purchases made there: see _CostInputs).
        if background is not None and spend and payback_horizon_months >= 1:
            with suppress(Exception):  # bad inputs: raised again by the tables below
                inputs.start_payback_sums(background, payback_horizon_months, None)
        channel = None if costs is None else later(background, channel_costs_with_notes)
        # LTV = simple CLV, whose expected lifetime is 1 / the annual churn (the last 12
        # months); its notes come after the tables' notes, an error of it after theirs.
        churn_notes: list[StudyNote] = []
        churn = clv = ltv = ltv_error = None
        try:
            churn = _annual_churn(full_agg, activity_window, churn_notes)
            if churn is not None:
                clv = _portfolio_simple_clv(
                    full_agg,
                    DEFAULTS["activity_window"],
                    churn,
                    DEFAULTS["clv_max_lifetime_years"],
                )
                ltv = float(clv.loc["total", "clv"])
        except Exception as error:  # raised where the serial study raised it
            ltv_error = error
        summary = attempt(notes, lambda: _cost_summary(costs, inputs, period=period, **options))
        yearly = None
        if summary is not None:
            yearly = _cost_summary(costs, inputs, period="year", **options)
        channel_costs = None
        if channel is not None:  # budgets have no channel
            channel_costs, found = channel()
            notes += found
    if ltv_error is not None:
        raise ltv_error
    notes += churn_notes
    ratio = None
    if ltv is not None and yearly is not None:
        ratio = ltv_to_cac(ltv, yearly["cac"].iloc[-1])
    return CostsStudy(
        summary=summary,
        yearly=yearly,
        channel_costs=channel_costs,
        annual_churn=churn,
        clv=clv,
        ltv=ltv,
        ltv_to_cac=ratio,
        notes=tuple(notes),
    )


def _side_by_side(
    left: pd.DataFrame,
    left_rows: np.ndarray,
    right: pd.DataFrame,
    right_rows: np.ndarray,
    *,
    right_dtypes: Mapping[str, np.dtype] | None = None,
) -> pd.DataFrame:
    """Rows of ``left`` and of ``right`` taken by position and put side by side (new index).

    ``pd.concat([left.take(left_rows), right.take(right_rows).astype(right_dtypes)], axis=1)``
    with a new index, column by column: taking a block of several columns and then
    concatenating copies the million rows twice; each column's own array is taken once (and
    cast, numpy columns only) and kept as it is.
    """
    names = [*left.columns, *right.columns]
    # Repeated names (a dict cannot hold them) or unequal lengths (concat aligns): pandas.
    if len(set(names)) != len(names) or len(left_rows) != len(right_rows):
        right = right if not right_dtypes else right.astype(dict(right_dtypes))
        return pd.concat(
            [
                left.take(left_rows).reset_index(drop=True),
                right.take(right_rows).reset_index(drop=True),
            ],
            axis=1,
        )
    dtypes = [None] * len(left.columns) + [(right_dtypes or {}).get(c) for c in right.columns]
    taken = _taken((left, left_rows), (right, right_rows), dtypes=dtypes)
    columns = dict(zip(names, taken, strict=True))
    return pd.DataFrame(columns, index=pd.RangeIndex(len(left_rows)), copy=False)


def _taken(
    *parts: tuple[pd.DataFrame, np.ndarray], dtypes: Sequence[np.dtype | None] | None = None
) -> list[object]:
    """The array of every column of each ``(frame, rows)`` taken at its rows (new arrays).

    In column order, frame after frame. The gathers are independent and release the GIL: on
    two threads they take about half the time. ``dtypes``: per column, the numpy dtype to
    cast the taken values to (None: as they are), on the same threads.
    """
    work = [
        (column.to_numpy() if isinstance(column.dtype, np.dtype) else column.array, rows)
        for frame, rows in parts
        for _, column in frame.items()
    ]
    work = [(*item, None if dtypes is None else dtypes[i]) for i, item in enumerate(work)]

    def take(item: tuple[object, np.ndarray, np.dtype | None]) -> object:
        values, rows, dtype = item
        # Extension arrays (categoricals, Arrow strings) take their own way, without filling.
        taken = values.take(rows)
        return taken if dtype is None else taken.astype(dtype)

    return parallel_map(take, work)


# --------------------------------------------------------------------------------------------
# 06 CLV


@dataclass(frozen=True, eq=False, repr=False)
class ClvModels(StudyResult):
    """The predictive models of notebook 06, fitted once, with their checks.

    Attributes
    ----------
    bgnbd, gamma_gamma : BGNBDFit, GammaGammaFit or None
        Fitted on ``agg.customers`` (repeat customers with a spend <= 0 left out of the
        spend model); both None (and a note) when either cannot be fitted.
    fit_check : pandas.DataFrame or None
        :func:`portfolio_lib.models.predictive.period_transactions`: customers by repeat purchases,
        observed and expected.
    alive_grid : pandas.DataFrame or None
        :func:`portfolio_lib.models.predictive.p_alive_matrix` up to the 95th percentile of the
        frequency and the oldest customer.
    holdout_check : pandas.DataFrame or None
        :func:`portfolio_lib.models.predictive.calibration_vs_holdout` of a BG/NBD fitted up to
        ``holdout_months`` before as_of (only when the transactions are given).
    purchases_grid : pandas.DataFrame or None
        :func:`portfolio_lib.models.predictive.frequency_recency_matrix`: expected purchases in the
        next 12 months on the grid of ``alive_grid``.
    notes : tuple
        Why a part is missing, and the data warnings of the fits.
    """

    bgnbd: BGNBDFit | None
    gamma_gamma: GammaGammaFit | None
    fit_check: pd.DataFrame | None
    alive_grid: pd.DataFrame | None
    holdout_check: pd.DataFrame | None
    purchases_grid: pd.DataFrame | None = None
    notes: tuple[StudyNote, ...] = ()


def _recording_data_warnings(notes: list[StudyNote], compute: Callable[[], _T]) -> _T:
    """``compute()``; its data-quality warnings go to ``notes``, other warnings pass on."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = compute()
    for warning in caught:
        if isinstance(warning.message, DataQualityWarning):
            notes.append(warning.message)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return result


def _fit_pair(customers: pd.DataFrame, min_repeat_customers: int) -> tuple[BGNBDFit, GammaGammaFit]:
    bgnbd = fit_bgnbd(customers, min_repeat_customers=min_repeat_customers)
    gamma_gamma = fit_gamma_gamma(
        customers, on_nonpositive="exclude", min_repeat_customers=min_repeat_customers
    )
    return bgnbd, gamma_gamma


def _holdout_check(
    agg: Aggregates,
    transactions: pd.DataFrame,
    *,
    holdout_months: int,
    min_repeat_customers: int,
    notes: list[StudyNote],
) -> pd.DataFrame | None:
    """Fit on the history up to ``holdout_months`` before as_of, compare with the last months."""
    mine = transactions[transactions["customer_id"].isin(agg.customers["customer_id"])]
    calibration_end = (agg.as_of.to_period("M") - holdout_months).end_time
    dates = pd.to_datetime(mine["date"])
    if not (dates.dt.normalize() <= calibration_end.normalize()).any():
        notes.append(Note("note_holdout_history_too_short", {"months": holdout_months}))
        return None
    calibration = calibration_and_holdout(
        mine, calibration_end=calibration_end, observation_end=agg.as_of
    )
    fit = attempt(
        notes,
        lambda: fit_bgnbd(
            calibration,
            frequency_col="frequency_cal",
            recency_col="recency_cal",
            T_col="T_cal",
            min_repeat_customers=min_repeat_customers,
        ),
    )
    return None if fit is None else calibration_vs_holdout(fit, calibration)


def fit_clv_models(
    agg: Aggregates,
    *,
    transactions: pd.DataFrame | None = None,
    min_repeat_customers: int = DEFAULTS["min_repeat_customers"],
    holdout_months: int = _HOLDOUT_MONTHS,
) -> ClvModels:
    """Fit BG/NBD and Gamma-Gamma by maximum likelihood, with their checks: the slow step.

    Parameters
    ----------
    agg : Aggregates
    transactions : pandas.DataFrame, optional
        The canonical log (``Prepared.data.transactions``), for the check on unseen months;
        without it ``holdout_check`` is None.
    min_repeat_customers : int, default 30
        Fewest repeat customers to fit the models.
    holdout_months : int, default 6
        Last months kept aside for the check.

    Returns
    -------
    ClvModels
    """
    if int(holdout_months) != holdout_months or holdout_months < 1:
        raise ValueError(f"holdout_months must be a whole number >= 1, got {holdout_months!r}")
    notes: list[StudyNote] = []
    pair = attempt(
        notes,
        lambda: _recording_data_warnings(
            notes, lambda: _fit_pair(agg.customers, min_repeat_customers)
        ),
    )
    if pair is None:
        return ClvModels(None, None, None, None, None, notes=tuple(notes))
    bgnbd, gamma_gamma = pair
    grid = {
        "max_frequency": max(int(agg.customers["frequency"].quantile(0.95)), 1),
        "max_recency": float(agg.customers["T"].max()),
    }
    alive_grid = p_alive_matrix(bgnbd, **grid)
    purchases_grid = frequency_recency_matrix(bgnbd, t=PURCHASES_GRID_DAYS, **grid)
    holdout = None
    if transactions is not None:
        holdout = _holdout_check(
            agg,
            transactions,
            holdout_months=int(holdout_months),
            min_repeat_customers=min_repeat_customers,
            notes=notes,
        )
    return ClvModels(
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        fit_check=period_transactions(bgnbd, agg.customers),
        alive_grid=alive_grid,
        holdout_check=holdout,
        purchases_grid=purchases_grid,
        notes=tuple(notes),
    )


@dataclass(frozen=True, eq=False, repr=False)
class ClvStudy(StudyResult):
    """Customer lifetime value (notebook 06): simple, retention and predictive.

    Attributes
    ----------
    annual_churn : float or None
        Churn of the last 12 months (:func:`portfolio_lib.metrics.movements.annual_churn`); None (and
        a note) with less than 13 months of history or nobody active a year ago.
    simple_total : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.clv.simple_clv` of the portfolio (row ``"total"``).
    retention_total : float or None
        Retention CLV of the average customer: m r / (1 + d - r) with m its yearly margin
        (CLV / lifetime) and r = 1 - churn.
    group_churn : pandas.Series or None
        Annual churn per group of ``by`` (the portfolio's rate where a group has none).
    simple : pandas.DataFrame or None
        Simple CLV per group of ``by``.
    retention : pandas.Series or None
        Retention CLV per group.
    models : ClvModels
        The fitted predictive models and their checks.
    predicted : pandas.DataFrame or None
        :func:`portfolio_lib.models.predictive.predictive_clv` per customer.
    predictive_by_group : pandas.DataFrame or None
        :func:`portfolio_lib.models.predictive.clv_by_segment` by ``by``.
    top_customers : pandas.DataFrame or None
        The 15 largest predictive CLVs with name, sales rep and segment.
    ltv_cac : pandas.DataFrame or None
        LTV / CAC per acquisition channel (:func:`portfolio_lib.models.predictive.ltv_to_cac` of
        the channels' simple CLV and acquisition costs); None without a cost table.
    notes : tuple
        Why a part is missing (the models' notes included).
    """

    annual_churn: float | None
    simple_total: pd.DataFrame | None
    retention_total: float | None
    group_churn: pd.Series | None
    simple: pd.DataFrame | None
    retention: pd.Series | None
    models: ClvModels
    predicted: pd.DataFrame | None
    predictive_by_group: pd.DataFrame | None
    top_customers: pd.DataFrame | None
    ltv_cac: pd.DataFrame | None
    notes: tuple[StudyNote, ...] = ()


def _group_clv(
    agg: Aggregates,
    totals: pd.DataFrame,
    *,
    by: str,
    churn: float,
    activity_window: int,
    max_lifetime_years: float,
) -> tuple[pd.Series, pd.DataFrame]:
    """Annual churn and simple CLV per group of ``by``."""
    # A group nobody was in 12 months ago has no churn of its own: the portfolio's rate stands
    # in for it.
    group_churn = annual_churn(
        agg.monthly,
        months=agg.months,
        customers=agg.customers,
        by=by,
        activity_window=activity_window,
    ).fillna(churn)
    simple = simple_clv(
        totals, annual_churn=group_churn, by=by, max_lifetime_years=max_lifetime_years
    )
    return group_churn, simple


def _aligned_rows(predicted: pd.DataFrame, customers: pd.DataFrame) -> bool:
    """Whether ``predicted`` (``predictive_clv(customers, ...)``) has one row per customer row.

    It has by construction (same index); the check only guards the positional shortcuts.
    """
    return (
        predicted.index.equals(customers.index)
        and isinstance(customers.index, pd.RangeIndex)
        and customers.index.start == 0
        and customers.index.step == 1
    )


def _predictive_by_group(predicted: pd.DataFrame, customers: pd.DataFrame, by: str) -> pd.DataFrame:
    """``clv_by_segment(predicted, customers, by=by)``, the attribute attached by position."""
    if (
        by not in customers.columns
        or by in predicted.columns
        or not _aligned_rows(predicted, customers)
    ):
        return clv_by_segment(predicted, customers, by=by)
    by_position = _totals_by_key(predicted, customers[by], by)
    if by_position is not None:
        return by_position
    return clv_by_segment(predicted.assign(**{by: customers[by]}), by=by)


def _top_customers(predicted: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """The largest predictive CLVs with the customers' name, sales rep and segment.

    ``customers[attributes].merge(predicted, on="customer_id").nlargest(15, "clv")``: the
    rows are aligned, so the 15 are picked first and only they are joined.
    """
    attributes = customers.filter(items=["customer_id", "name", "sales_rep", "segment"])
    if "customer_id" not in attributes or not _aligned_rows(predicted, customers):
        return (
            attributes.merge(predicted, on="customer_id")
            .nlargest(_TOP_CUSTOMERS, "clv")
            .reset_index(drop=True)
        )
    rows = _largest_positions(predicted["clv"].to_numpy(), _TOP_CUSTOMERS)
    if rows is None:
        rows = predicted[["clv"]].nlargest(_TOP_CUSTOMERS, "clv").index.to_numpy()
    return _side_by_side(attributes, rows, predicted.drop(columns="customer_id"), rows)


def _largest_positions(values: np.ndarray, n: int) -> np.ndarray | None:
    """Positions of ``pd.Series(values).nlargest(n)`` (keep='first'), largest first.

    pandas' selection (the n-th largest by a partial sort, then the values at least as large
    in a stable sort, ties in row order) without its copies of the whole column (reset index,
    dropna, negation). None when fewer than ``n`` values are known or the values are not
    float64 (pandas then pads with missing values or converts): take ``nlargest``.
    """
    if values.dtype != np.float64 or n <= 0:
        return None
    known = ~np.isnan(values)
    count = int(np.count_nonzero(known))
    if count <= n:
        return None
    pool = values if count == len(values) else values[known]
    # np.partition leaves the (count - n)-th smallest in place: the n-th largest.
    nth_largest = np.partition(pool, count - n)[count - n]
    candidates = np.flatnonzero(values >= nth_largest)  # NaN compares False
    # Descending and stable: ties keep the row order, as pandas' stable sort of -values.
    order = np.argsort(-values[candidates], kind="stable")
    return candidates[order[:n]]


def clv_study(
    agg: Aggregates,
    costs: pd.DataFrame | None = None,
    *,
    models: ClvModels | None = None,
    by: str = _CLV_BY,
    activity_window: int = DEFAULTS["activity_window"],
    discount_rate: float = DEFAULTS["discount_rate"],
    horizon_months: int = DEFAULTS["clv_horizon_months"],
    max_lifetime_years: float = DEFAULTS["clv_max_lifetime_years"],
    min_repeat_customers: int = DEFAULTS["min_repeat_customers"],
    holdout_months: int = _HOLDOUT_MONTHS,
    transactions: pd.DataFrame | None = None,
    totals: pd.DataFrame | None = None,
    memo: dict[object, object] | None = None,
) -> ClvStudy:
    """Simple, retention and predictive CLV, by group, and LTV / CAC per acquisition channel.

    With ``models`` (from :func:`fit_clv_models`) nothing is fitted: only the discounted
    values are computed, which is what an explorer redoes when the discount rate or the
    horizon changes.

    Parameters
    ----------
    agg : Aggregates
    costs : pandas.DataFrame, optional
        Canonical cost table, for the LTV / CAC per channel.
    models : ClvModels, optional
        Fitted models; fitted here (``transactions``, ``min_repeat_customers``,
        ``holdout_months``) when missing.
    by : str, default 'segment'
        Customer attribute the CLVs are compared by.
    activity_window : int, default 12
        Months of the per-customer totals read as yearly figures by the simple CLV.
    discount_rate : float, default 0.10
        Yearly discount rate of the retention and predictive CLV.
    horizon_months : int, default 36
        Horizon of the predictive CLV.
    max_lifetime_years : float, default 10
        Simple CLV: lifetime of a group without churn.
    min_repeat_customers : int, default 30
    holdout_months : int, default 6
    transactions : pandas.DataFrame, optional
        See :func:`fit_clv_models`.
    totals : pandas.DataFrame, optional
        ``customer_totals(agg, window=activity_window)`` computed beforehand.
    memo : dict, optional
        A dict the caller keeps between calls on the same ``agg``, ``costs`` and ``totals``
        (an explorer): the parts that depend neither on the discount rate nor on the horizon
        (churn, simple CLV, LTV / CAC) are stored there and reused.

    Returns
    -------
    ClvStudy
    """
    if models is None:
        models = fit_clv_models(
            agg,
            transactions=transactions,
            min_repeat_customers=min_repeat_customers,
            holdout_months=holdout_months,
        )
    with second_thread(len(agg.customers)) as background:
        return _clv_study(
            agg,
            costs,
            models=models,
            by=by,
            activity_window=activity_window,
            discount_rate=discount_rate,
            horizon_months=horizon_months,
            max_lifetime_years=max_lifetime_years,
            totals=totals,
            memo={} if memo is None else memo,
            background=background,
        )


def _clv_study(
    agg: Aggregates,
    costs: pd.DataFrame | None,
    *,
    models: ClvModels,
    by: str,
    activity_window: int,
    discount_rate: float,
    horizon_months: int,
    max_lifetime_years: float,
    totals: pd.DataFrame | None,
    memo: dict[object, object],
    background: ThreadPoolExecutor | None,
) -> ClvStudy:
    """:func:`clv_study` with fitted models; group tables on ``background`` when given."""
    notes: list[StudyNote] = []
    started: dict[object, Future] = {}

    def key_of(key: object) -> tuple[object, ...]:
        return (key, activity_window, max_lifetime_years)

    def found_with(compute: Callable[[list[StudyNote]], _T]) -> tuple[_T, tuple[StudyNote, ...]]:
        found: list[StudyNote] = []
        return compute(found), tuple(found)

    def ahead(key: object, compute: Callable[[list[StudyNote]], _T]) -> None:
        """Start ``once(key, compute)``'s computation on the background thread, if any."""
        if background is not None and key_of(key) not in memo:
            started[key_of(key)] = background.submit(found_with, compute)

    def once(key: object, compute: Callable[[list[StudyNote]], _T]) -> _T:
        """``compute(notes)``, or what it gave the last time, with the same notes."""
        key = key_of(key)
        if key not in memo:
            # Started ahead: its value and notes (an error raised there is raised here).
            memo[key] = started.pop(key).result() if key in started else found_with(compute)
        value, found_notes = memo[key]
        notes.extend(found_notes)
        return value

    if totals is None:  # the group attributes beside the window's totals
        attributes = [by] if costs is None else [by, "acquisition_channel"]
        customers = _grouping_totals(agg, activity_window, attributes)
    else:
        customers = totals
    churn = once("churn", lambda found: _annual_churn(agg, activity_window, found))
    simple_total = retention_total = group_churn = simple = retention = ltv_cac = None
    group_options = {
        "churn": churn,
        "activity_window": activity_window,
        "max_lifetime_years": max_lifetime_years,
    }

    # The group tables need neither the predictive CLV nor each other: computed on the
    # background thread (when there is one) while this one computes the predictive CLV.
    def group_compute(found: list[StudyNote]) -> tuple[pd.Series, pd.DataFrame] | None:
        return attempt(found, lambda: _group_clv(agg, customers, by=by, **group_options))

    def ltv_cac_compute(found: list[StudyNote]) -> pd.DataFrame | None:
        return attempt(
            found,
            lambda: channel_ltv_to_cac(
                _group_clv(agg, customers, by="acquisition_channel", **group_options)[1],
                acquisition_costs(costs, agg.customers, months=agg.months, by_channel=True),
                ltv_col="clv",
            ),
        )

    if churn is not None:
        ahead(("by", by), group_compute)
        if costs is not None:
            ahead("ltv_cac", ltv_cac_compute)
    # The predictive CLV (the longest part) is computed now, while the background thread works,
    # rather than after waiting for the group tables; consumed below in the serial order (an
    # error it raised is raised there).
    predicted_or_error: pd.DataFrame | Exception | None = None
    if models.bgnbd is not None and models.gamma_gamma is not None:
        try:
            predicted_or_error = predictive_clv(
                agg.customers,
                models.bgnbd,
                models.gamma_gamma,
                horizon_months=horizon_months,
                discount_rate=discount_rate,
            )
        except Exception as error:  # re-raised where the serial study raised it
            predicted_or_error = error
    if churn is not None:
        simple_total = once(
            "simple_total",
            lambda _: (
                _portfolio_simple_clv(agg, activity_window, churn, max_lifetime_years)
                if totals is None  # customer_totals(agg): the costs study's totals
                else simple_clv(
                    customers, annual_churn=churn, max_lifetime_years=max_lifetime_years
                )
            ),
        )
        # Yearly margin of an average customer (CLV / lifetime), discounted with the survival.
        retention_total = retention_clv(
            simple_total.loc["total", "clv"] / simple_total.loc["total", "expected_lifetime_years"],
            retention=1 - churn,
            discount_rate=discount_rate,
        )
        grouped = once(("by", by), group_compute)
        if grouped is not None:
            group_churn, simple = grouped
            retention = retention_clv(
                simple["clv"] / simple["expected_lifetime_years"],
                retention=1 - simple["annual_churn"],
                discount_rate=discount_rate,
            )

    notes += models.notes
    predicted = by_group = top = None
    if predicted_or_error is not None:
        if isinstance(predicted_or_error, Exception):
            raise predicted_or_error
        predicted = predicted_or_error
        # The largest customers on the background thread when it is idle (its group tables
        # done), meanwhile the sums by group here.
        top_ahead = None
        if background is not None and all(future.done() for future in started.values()):
            top_ahead = background.submit(_top_customers, predicted, agg.customers)
        by_group = attempt(notes, lambda: _predictive_by_group(predicted, agg.customers, by))
        top = (
            top_ahead.result()
            if top_ahead is not None
            else _top_customers(predicted, agg.customers)
        )

    # LTV / CAC by acquisition channel: the simple CLV of the channel's customers over what the
    # channel cost per new customer (spend of the cost table, not filtered).
    if costs is None:
        notes.append(PortfolioDataError("no_costs", analysis="LTV / CAC"))
    elif churn is not None:
        ltv_cac = once("ltv_cac", ltv_cac_compute)
    return ClvStudy(
        annual_churn=churn,
        simple_total=simple_total,
        retention_total=retention_total,
        group_churn=group_churn,
        simple=simple,
        retention=retention,
        models=models,
        predicted=predicted,
        predictive_by_group=by_group,
        top_customers=top,
        ltv_cac=ltv_cac,
        notes=tuple(notes),
    )
