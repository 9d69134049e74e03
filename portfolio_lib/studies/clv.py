"""Notebook 06: customer lifetime value, simple, retention and predictive.

:func:`fit_clv_models` fits the predictive models once, with their checks (the slow step);
:func:`clv_study` computes the CLVs from them, which is what an explorer redoes when the
discount rate or the horizon changes. The simple and retention CLV read the annual churn of
the last 12 months (:func:`portfolio_lib.metrics.movements.annual_churn`); the predictive CLV
is :func:`portfolio_lib.models.predictive_clv` (BG/NBD and Gamma-Gamma).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics.clv import retention_clv, simple_clv
from portfolio_lib.metrics.costs import acquisition_costs
from portfolio_lib.metrics.movements import annual_churn
from portfolio_lib.models import (
    PURCHASE_MODELS,
    BGNBDFit,
    ClvIntervals,
    GammaGammaFit,
    ModelComparison,
    PurchaseFit,
    calibration_and_holdout,
    clv_by_segment,
    clv_intervals,
    compare_purchase_models,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_purchase_model,
    frequency_recency_matrix,
    ltv_to_cac,
    p_alive_matrix,
    period_transactions,
    predictive_clv,
    weekly_tracking,
)
from portfolio_lib.studies.base import (
    Note,
    StudyNote,
    StudyResult,
    annual_churn_or_note,
    attempt,
    customer_totals,
)

__all__ = [
    "PURCHASES_GRID_DAYS",
    "ClvModels",
    "ClvStudy",
    "clv_study",
    "clv_uncertainty",
    "fit_clv_models",
]

_T = TypeVar("_T")

_CLV_BY: str = DEFAULTS["clv_by"]
_HOLDOUT_MONTHS: int = DEFAULTS["holdout_months"]
# Horizon of the frequency/recency matrix: a year, the period churn and alerts think in.
PURCHASES_GRID_DAYS = 365.25
# Rows of the predictive CLV's "largest customers" table (notebook 06).
_TOP_CUSTOMERS = 15

i18n.register(
    {
        "note_holdout_history_too_short": {
            "fr": "Le contrôle sur les {months} derniers mois a besoin d'achats avant cette "
            "période ; l'historique est trop court : réduisez la période de test.",
            "en": "The check on the last {months} months needs purchases before them; the "
            "history is too short: shorten the holdout period.",
        },
    }
)


@dataclass(frozen=True, eq=False, repr=False)
class ClvModels(StudyResult):
    """The predictive models of notebook 06, fitted once, with their checks.

    Attributes
    ----------
    bgnbd, gamma_gamma : BGNBDFit, GammaGammaFit or None
        Fitted on ``agg.customers`` (repeat customers with a spend <= 0 left out of the
        spend model); both None (and a note) when either cannot be fitted.
    fit_check : pandas.DataFrame or None
        :func:`portfolio_lib.models.period_transactions`: customers by repeat purchases,
        observed and expected.
    alive_grid : pandas.DataFrame or None
        :func:`portfolio_lib.models.p_alive_matrix` up to the 95th percentile of the
        frequency and the oldest customer.
    holdout_check : pandas.DataFrame or None
        :func:`portfolio_lib.models.calibration_vs_holdout` of the purchase model fitted up
        to ``holdout_months`` before as_of (only when the transactions are given).
    purchases_grid : pandas.DataFrame or None
        :func:`portfolio_lib.models.frequency_recency_matrix`: expected purchases in the
        next 12 months on the grid of ``alive_grid``.
    notes : tuple
        Why a part is missing, and the data warnings of the fits.
    purchases : BGNBDFit, ParetoNBDFit, MBGNBDFit or None
        The purchase model of the predictive CLV, P(alive) and the grids, fitted on
        ``agg.customers``: the one the comparison chose (``purchase_model="auto"``), else
        the one asked for; the BG/NBD (``bgnbd``) without a holdout.
    comparison : ModelComparison or None
        :func:`portfolio_lib.models.compare_purchase_models` on the calibration / holdout
        split (only when the transactions are given).
    tracking : pandas.DataFrame or None
        :func:`portfolio_lib.models.weekly_tracking` of the compared models.
    """

    bgnbd: BGNBDFit | None
    gamma_gamma: GammaGammaFit | None
    fit_check: pd.DataFrame | None
    alive_grid: pd.DataFrame | None
    holdout_check: pd.DataFrame | None
    purchases_grid: pd.DataFrame | None = None
    notes: tuple[StudyNote, ...] = ()
    purchases: PurchaseFit | None = None
    comparison: ModelComparison | None = None
    tracking: pd.DataFrame | None = None


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


def _holdout_comparison(
    agg: Aggregates,
    transactions: pd.DataFrame,
    *,
    holdout_months: int,
    min_repeat_customers: int,
    notes: list[StudyNote],
) -> tuple[ModelComparison, pd.DataFrame] | None:
    """Fit the purchase models up to ``holdout_months`` before as_of, check them on the rest."""
    mine = transactions[transactions["customer_id"].isin(agg.customers["customer_id"])]
    calibration_end = (agg.as_of.to_period("M") - holdout_months).end_time
    dates = pd.to_datetime(mine["date"])
    if not (dates.dt.normalize() <= calibration_end.normalize()).any():
        notes.append(Note("note_holdout_history_too_short", {"months": holdout_months}))
        return None
    calibration = calibration_and_holdout(
        mine, calibration_end=calibration_end, observation_end=agg.as_of
    )
    comparison = attempt(
        notes,
        lambda: compare_purchase_models(
            calibration, min_repeat_customers=min_repeat_customers, on_error=notes.append
        ),
    )
    if comparison is None:
        return None
    tracking = weekly_tracking(
        mine, comparison.fits, calibration_end=calibration_end, observation_end=agg.as_of
    )
    return comparison, tracking


def fit_clv_models(
    agg: Aggregates,
    *,
    transactions: pd.DataFrame | None = None,
    min_repeat_customers: int = DEFAULTS["min_repeat_customers"],
    holdout_months: int = _HOLDOUT_MONTHS,
    purchase_model: str = DEFAULTS["purchase_model"],
) -> ClvModels:
    """Fit the purchase and spend models by maximum likelihood, with their checks: the slow step.

    BG/NBD, Pareto/NBD and MBG/NBD are compared on the last ``holdout_months`` (fitted on
    the months before); with ``purchase_model="auto"`` the one with the smallest holdout
    error (:func:`portfolio_lib.models.holdout_error`) is refitted on the whole history and
    drives the predictive CLV. Without transactions (no holdout) the BG/NBD does.

    Parameters
    ----------
    agg : Aggregates
    transactions : pandas.DataFrame, optional
        The canonical log (``Prepared.transactions``), for the check on unseen months;
        without it ``holdout_check`` is None.
    min_repeat_customers : int, default 30
        Fewest repeat customers to fit the models.
    holdout_months : int, default 6
        Last months kept aside for the check.
    purchase_model : {'auto', 'bgnbd', 'pareto_nbd', 'mbgnbd'}, default 'auto'

    Returns
    -------
    ClvModels
    """
    if purchase_model != "auto" and purchase_model not in PURCHASE_MODELS:
        raise ValueError(
            f"purchase_model must be 'auto' or one of {list(PURCHASE_MODELS)}, "
            f"got {purchase_model!r}"
        )
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
    checked = None
    if transactions is not None:
        checked = _holdout_comparison(
            agg,
            transactions,
            holdout_months=int(holdout_months),
            min_repeat_customers=min_repeat_customers,
            notes=notes,
        )
    comparison, tracking = (None, None) if checked is None else checked
    chosen = purchase_model
    if chosen == "auto":
        chosen = "bgnbd" if comparison is None else comparison.chosen
    purchases: PurchaseFit | None = bgnbd
    if chosen != "bgnbd":
        purchases = attempt(
            notes,
            lambda: _recording_data_warnings(
                notes,
                lambda: fit_purchase_model(
                    chosen, agg.customers, min_repeat_customers=min_repeat_customers
                ),
            ),
        )
        purchases = bgnbd if purchases is None else purchases
    holdout = None
    if comparison is not None and purchases.model in comparison.fits:
        by_frequency = comparison.by_frequency
        holdout = by_frequency[["customers", "observed"]].assign(
            expected=by_frequency[purchases.model]
        )
    grid = {
        "max_frequency": max(int(agg.customers["frequency"].quantile(0.95)), 1),
        "max_recency": float(agg.customers["T"].max()),
    }
    return ClvModels(
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        fit_check=period_transactions(bgnbd, agg.customers),
        alive_grid=p_alive_matrix(purchases, **grid),
        holdout_check=holdout,
        purchases_grid=frequency_recency_matrix(purchases, t=PURCHASES_GRID_DAYS, **grid),
        notes=tuple(notes),
        purchases=purchases,
        comparison=comparison,
        tracking=tracking,
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
        :func:`portfolio_lib.models.predictive_clv` per customer.
    predictive_by_group : pandas.DataFrame or None
        :func:`portfolio_lib.models.clv_by_segment` by ``by``.
    top_customers : pandas.DataFrame or None
        The 15 largest predictive CLVs with name, sales rep and segment.
    ltv_cac : pandas.DataFrame or None
        LTV / CAC per acquisition channel (:func:`portfolio_lib.models.ltv_to_cac` of
        the channels' simple CLV and acquisition costs); None without a cost table.
    notes : tuple
        Why a part is missing (the models' notes included).
    intervals : ClvIntervals or None
        :func:`clv_uncertainty`: intervals of P(alive), expected purchases and CLV per
        customer and in total (only with ``interval_draws > 0``).
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
    intervals: ClvIntervals | None = None


def clv_uncertainty(
    agg: Aggregates,
    models: ClvModels,
    *,
    horizon_months: int = DEFAULTS["clv_horizon_months"],
    discount_rate: float = DEFAULTS["discount_rate"],
    n_draws: int = DEFAULTS["clv_interval_draws"],
    level: float = DEFAULTS["clv_interval_level"],
    seed: int = 0,
) -> ClvIntervals:
    """Intervals of the predictive CLV from the parameters' uncertainty (parametric bootstrap).

    :func:`portfolio_lib.models.clv_intervals` of ``agg.customers`` with the purchase model
    the CLV uses (``models.purchases``) and the Gamma-Gamma; about ``n_draws`` times the cost
    of the CLV itself: the report runs it, the app behind a button.

    Raises
    ------
    PortfolioDataError
        ``not_converged`` when the models are missing or their information is singular.
    """
    purchases = models.purchases if models.purchases is not None else models.bgnbd
    if purchases is None or models.gamma_gamma is None:
        raise PortfolioDataError("not_converged", model="CLV", reason="no fitted model")
    return clv_intervals(
        agg.customers,
        purchases,
        models.gamma_gamma,
        n_draws=n_draws,
        level=level,
        seed=seed,
        horizon_months=horizon_months,
        discount_rate=discount_rate,
    )


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


def _predictive_by_group(predicted: pd.DataFrame, customers: pd.DataFrame, by: str) -> pd.DataFrame:
    """``clv_by_segment`` of ``predicted`` (``predictive_clv(customers, ...)``) by ``by``."""
    if by in customers.columns and by not in predicted.columns:
        # Same index as the customers (predictive_clv keeps it): the attribute aligns on it.
        return clv_by_segment(predicted.assign(**{by: customers[by]}), by=by)
    return clv_by_segment(predicted, customers, by=by)


def _top_customers(predicted: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """The largest predictive CLVs with the customers' name, sales rep and segment."""
    attributes = customers.filter(items=["customer_id", "name", "sales_rep", "segment"])
    largest = predicted.nlargest(_TOP_CUSTOMERS, "clv").drop(columns="customer_id", errors="ignore")
    return attributes.loc[largest.index].join(largest).reset_index(drop=True)


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
    interval_draws: int = 0,
    purchase_model: str = DEFAULTS["purchase_model"],
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
    interval_draws : int, default 0
        Draws of the parametric bootstrap of the predictive CLV's intervals
        (:func:`clv_uncertainty`); 0: no intervals (an explorer's redraw).
    purchase_model : {'auto', 'bgnbd', 'pareto_nbd', 'mbgnbd'}, default 'auto'
        See :func:`fit_clv_models`.

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
            purchase_model=purchase_model,
        )
    memo = {} if memo is None else memo
    notes: list[StudyNote] = []

    def once(key: object, compute: Callable[[list[StudyNote]], _T]) -> _T:
        """``compute(notes)``, or what it gave the last time (``memo``), with the same notes."""
        key = (key, activity_window, max_lifetime_years)
        if key not in memo:
            found: list[StudyNote] = []
            memo[key] = (compute(found), tuple(found))
        value, found_notes = memo[key]
        notes.extend(found_notes)
        return value

    customers = customer_totals(agg, window=activity_window) if totals is None else totals
    group_options = {"activity_window": activity_window, "max_lifetime_years": max_lifetime_years}
    churn = once("churn", lambda found: annual_churn_or_note(agg, activity_window, found))
    simple_total = retention_total = group_churn = simple = retention = ltv_cac = None
    if churn is not None:
        simple_total = once(
            "simple_total",
            lambda _: simple_clv(
                customers, annual_churn=churn, max_lifetime_years=max_lifetime_years
            ),
        )
        # Yearly margin of an average customer (CLV / lifetime), discounted with the survival.
        retention_total = retention_clv(
            simple_total.loc["total", "clv"] / simple_total.loc["total", "expected_lifetime_years"],
            retention=1 - churn,
            discount_rate=discount_rate,
        )
        grouped = once(
            ("by", by),
            lambda found: attempt(
                found, lambda: _group_clv(agg, customers, by=by, churn=churn, **group_options)
            ),
        )
        if grouped is not None:
            group_churn, simple = grouped
            retention = retention_clv(
                simple["clv"] / simple["expected_lifetime_years"],
                retention=1 - simple["annual_churn"],
                discount_rate=discount_rate,
            )

    notes += models.notes
    predicted = by_group = top = intervals = None
    purchases = models.purchases if models.purchases is not None else models.bgnbd
    if purchases is not None and models.gamma_gamma is not None:
        predicted = predictive_clv(
            agg.customers,
            purchases,
            models.gamma_gamma,
            horizon_months=horizon_months,
            discount_rate=discount_rate,
        )
        by_group = attempt(notes, lambda: _predictive_by_group(predicted, agg.customers, by))
        top = _top_customers(predicted, agg.customers)
        if interval_draws > 0:
            intervals = attempt(
                notes,
                lambda: clv_uncertainty(
                    agg,
                    models,
                    horizon_months=horizon_months,
                    discount_rate=discount_rate,
                    n_draws=interval_draws,
                ),
            )

    # LTV / CAC by acquisition channel: the simple CLV of the channel's customers over what the
    # channel cost per new customer (spend of the cost table, not filtered).
    if costs is None:
        notes.append(PortfolioDataError("no_costs", analysis="LTV / CAC"))
    elif churn is not None:
        ltv_cac = once(
            "ltv_cac",
            lambda found: attempt(
                found,
                lambda: ltv_to_cac(
                    _group_clv(
                        agg, customers, by="acquisition_channel", churn=churn, **group_options
                    )[1],
                    acquisition_costs(costs, agg.customers, months=agg.months, by_channel=True),
                    ltv_col="clv",
                ),
            ),
        )
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
        intervals=intervals,
    )
