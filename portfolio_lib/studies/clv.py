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
    BGNBDFit,
    GammaGammaFit,
    calibration_and_holdout,
    calibration_vs_holdout,
    clv_by_segment,
    fit_bgnbd,
    fit_gamma_gamma,
    frequency_recency_matrix,
    ltv_to_cac,
    p_alive_matrix,
    period_transactions,
    predictive_clv,
)
from portfolio_lib.studies.base import (
    Note,
    StudyNote,
    StudyResult,
    annual_churn_or_note,
    attempt,
    customer_totals,
)

__all__ = ["PURCHASES_GRID_DAYS", "ClvModels", "ClvStudy", "clv_study", "fit_clv_models"]

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
        :func:`portfolio_lib.models.calibration_vs_holdout` of a BG/NBD fitted up to
        ``holdout_months`` before as_of (only when the transactions are given).
    purchases_grid : pandas.DataFrame or None
        :func:`portfolio_lib.models.frequency_recency_matrix`: expected purchases in the
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
    predicted = by_group = top = None
    if models.bgnbd is not None and models.gamma_gamma is not None:
        predicted = predictive_clv(
            agg.customers,
            models.bgnbd,
            models.gamma_gamma,
            horizon_months=horizon_months,
            discount_rate=discount_rate,
        )
        by_group = attempt(notes, lambda: _predictive_by_group(predicted, agg.customers, by))
        top = _top_customers(predicted, agg.customers)

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
    )
