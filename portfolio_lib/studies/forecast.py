"""Notebook 06, forecast section: next year's revenue and active customers, and the what-if.

:func:`forecast_study` forecasts the next ``horizon_months`` of the current customers from the
fitted BG/NBD and Gamma-Gamma (:mod:`portfolio_lib.models.forecast`): the portfolio, each
sales rep and each segment, with intervals, and the same forecast made from a fit that did not
see the last ``horizon_months`` months, compared with what happened in them.
:func:`what_if_study` moves retention, acquisition and basket through the same models
(:mod:`portfolio_lib.models.what_if`): what a slider of the app redoes.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import DataQualityWarning
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics.costs import acquisition_costs
from portfolio_lib.models import (
    DAYS_PER_MONTH,
    BGNBDFit,
    GammaGammaFit,
    calibration_and_holdout,
    fit_bgnbd,
    fit_gamma_gamma,
)
from portfolio_lib.models.forecast import forecast_customers, forecast_draws
from portfolio_lib.models.what_if import (
    model_retention,
    new_customer_purchases,
    new_customer_value,
    with_retention,
)
from portfolio_lib.studies.base import Note, StudyNote, StudyResult, attempt
from portfolio_lib.studies.clv import ClvModels, fit_clv_models

__all__ = [
    "HOLDOUT_FORMATS",
    "FORECAST_BY",
    "WHAT_IF_FORMATS",
    "FORECAST_DRAWS",
    "FORECAST_LEVEL",
    "FORECAST_MONTHS",
    "ForecastStudy",
    "WhatIfStudy",
    "forecast_study",
    "what_if_study",
]

FORECAST_MONTHS = 12
# Draws of the intervals: 100 give the 5 % and 95 % quantiles to about +-1 % of their width's
# scale, in a few seconds at 100k customers (the report; the app computes them once per tab).
FORECAST_DRAWS = 100
FORECAST_LEVEL = 0.90
FORECAST_BY: tuple[str, ...] = ("sales_rep", "segment")
_TOTAL_COLUMNS = ("customers", "forecast_purchases", "forecast_revenue", "forecast_revenue_low",
                  "forecast_revenue_high", "forecast_active", "forecast_active_low",
                  "forecast_active_high")  # fmt: skip

# Display formats of the what-if's rows (show_table formats columns: the table is shown
# transposed, one column per measure).
WHAT_IF_FORMATS = {"what_if_retention": "percent", "what_if_ltv_to_cac": "ratio"}
HOLDOUT_FORMATS = {"forecast_error": "percent"}

i18n.register(
    {
        "note_forecast_history_too_short": {
            "fr": "Le contrôle de la prévision sur les {months} derniers mois a besoin d'achats "
            "avant cette période ; l'historique est trop court.",
            "en": "The check of the forecast on the last {months} months needs purchases "
            "before them; the history is too short.",
        },
        "forecast_purchases": {"fr": "Achats prévus", "en": "Forecast purchases"},
        "forecast_revenue": {"fr": "CA prévu (12 mois)", "en": "Forecast revenue (12 months)"},
        "forecast_revenue_low": {"fr": "CA prévu : bas", "en": "Forecast revenue: low"},
        "forecast_revenue_high": {"fr": "CA prévu : haut", "en": "Forecast revenue: high"},
        "forecast_active": {
            "fr": "Clients actifs prévus (≥ 1 achat)",
            "en": "Forecast active customers (>= 1 purchase)",
        },
        "forecast_active_low": {"fr": "Clients actifs : bas", "en": "Active customers: low"},
        "forecast_active_high": {"fr": "Clients actifs : haut", "en": "Active customers: high"},
        "forecast": {"fr": "Prévision", "en": "Forecast"},
        "forecast_low": {"fr": "Intervalle : bas", "en": "Interval: low"},
        "forecast_high": {"fr": "Intervalle : haut", "en": "Interval: high"},
        "forecast_actual": {"fr": "Réalisé", "en": "Actual"},
        "forecast_error": {"fr": "Écart prévision / réalisé", "en": "Forecast vs actual"},
        "forecast_measure": {"fr": "Mesure", "en": "Measure"},
        "p_active": {
            "fr": "Probabilité d'acheter dans l'année",
            "en": "Probability of buying within the year",
        },
        "what_if_measure": {"fr": "Simulation", "en": "What-if"},
        "what_if_baseline": {"fr": "Sans changement", "en": "No change"},
        "what_if_scenario": {"fr": "Scénario", "en": "Scenario"},
        "what_if_difference": {"fr": "Écart", "en": "Difference"},
        "what_if_retention": {
            "fr": "Fidélisation annuelle (modèle)",
            "en": "Yearly retention (model)",
        },
        "what_if_revenue_existing": {
            "fr": "CA des clients actuels",
            "en": "Revenue of current customers",
        },
        "what_if_new_customers": {"fr": "Nouveaux clients gagnés", "en": "New customers won"},
        "what_if_revenue_new": {"fr": "CA des nouveaux clients", "en": "Revenue of new customers"},
        "what_if_revenue": {"fr": "CA des 12 prochains mois", "en": "Revenue, next 12 months"},
        "what_if_active": {
            "fr": "Clients actifs dans l'année",
            "en": "Active customers in the year",
        },
        "what_if_clv_new": {"fr": "CLV d'un nouveau client", "en": "CLV of a new customer"},
        "what_if_cac": {"fr": "CAC", "en": "CAC"},
        "what_if_ltv_to_cac": {"fr": "LTV / CAC", "en": "LTV / CAC"},
        "forecast_title": {
            "fr": "CA prévu des 12 prochains mois par {by} (intervalle à {level})",
            "en": "Forecast revenue of the next 12 months by {by} ({level} interval)",
        },
        "what_if_title": {
            "fr": "Simulation : CA des 12 prochains mois",
            "en": "What-if: revenue of the next 12 months",
        },
        "note_forecast_no_models": {
            "fr": "Pas de prévision : les modèles prédictifs n'ont pas pu être ajustés.",
            "en": "No forecast: the predictive models could not be fitted.",
        },
    }
)


@dataclass(frozen=True, eq=False, repr=False)
class ForecastStudy(StudyResult):
    """Next ``horizon_months`` of the current customers, from the fitted models.

    Attributes
    ----------
    horizon_months : int
    level : float
        Coverage of the intervals (0.90: from the 5th to the 95th percentile of the draws).
    per_customer : pandas.DataFrame or None
        :func:`portfolio_lib.models.forecast.forecast_customers` of ``agg.customers``.
    portfolio : pandas.DataFrame or None
        One row (``"total"``): ``customers``, ``forecast_purchases``, ``forecast_revenue``
        with ``forecast_revenue_low`` / ``_high``, ``forecast_active`` (expected customers with
        at least one purchase) with ``forecast_active_low`` / ``_high``.
    by_group : dict
        The same columns per sales rep and per segment (the attributes the customer table has),
        largest revenue first.
    holdout : pandas.DataFrame or None
        Rows ``forecast_revenue`` and ``forecast_active``: ``forecast`` (of a fit on the
        history up to ``horizon_months`` before as_of), ``forecast_low``, ``forecast_high``,
        ``forecast_actual`` and ``forecast_error`` (forecast / actual - 1); None without
        transactions or history.
    customers : pandas.DataFrame
        ``agg.customers``, what the what-if recomputes the forecast on.
    models : ClvModels
    margin_rate : float
        Margin / revenue of the portfolio (the LTV of the what-if).
    cac : float or None
        Acquisition spend / new customers of the last 12 months with spend; None without costs.
    new_per_month : float
        New customers per month over the last 12 months (the pace the what-if starts from).
    notes : tuple
        The models' notes first (``models.notes``), then the forecast's own.
    """

    horizon_months: int
    level: float
    per_customer: pd.DataFrame | None
    portfolio: pd.DataFrame | None
    by_group: dict[str, pd.DataFrame]
    holdout: pd.DataFrame | None
    customers: pd.DataFrame
    models: ClvModels
    margin_rate: float
    cac: float | None
    new_per_month: float
    notes: tuple[StudyNote, ...] = ()

    def holdout_shown(self, lang: str = DEFAULTS["lang"]) -> pd.DataFrame | None:
        """``holdout`` for display, its rows labelled in ``lang``."""
        return None if self.holdout is None else _labelled_rows(self.holdout, lang)


def _labelled_rows(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = frame.copy()
    out.index = pd.Index([i18n.label(k, lang) for k in out.index], name=frame.index.name)
    return out


def _totals(draws: dict[str, np.ndarray], index: pd.Index, level: float) -> pd.DataFrame:
    """Expected totals per group (``index`` in code order) with the draws' quantiles."""
    tail = (1.0 - level) / 2.0
    out = pd.DataFrame(index=index)
    for key in ("revenue", "active"):
        low, high = np.quantile(draws[key], [tail, 1.0 - tail], axis=0)
        out[f"forecast_{key}_low"], out[f"forecast_{key}_high"] = low, high
    return out


def _grouped(
    per_customer: pd.DataFrame,
    customers: pd.DataFrame,
    by: str | None,
    draws: dict[str, np.ndarray],
    level: float,
) -> pd.DataFrame:
    if by is None:
        codes, names = np.zeros(len(per_customer), int), pd.Index(["total"])
    else:
        codes, names = _codes(customers[by])
        names = names.rename(by)
    sums = (
        per_customer[["expected_purchases", "revenue", "p_active"]]
        .groupby(codes)
        .sum()
        .reindex(range(len(names)), fill_value=0.0)
    )
    out = _totals(draws, names, level)
    out.insert(0, "customers", np.bincount(codes, minlength=len(names)))
    out.insert(1, "forecast_purchases", sums["expected_purchases"].to_numpy())
    out.insert(2, "forecast_revenue", sums["revenue"].to_numpy())
    out.insert(5, "forecast_active", sums["p_active"].to_numpy())
    out = out[list(_TOTAL_COLUMNS)]
    return (
        out if by is None else out.sort_values("forecast_revenue", ascending=False, kind="stable")
    )


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of an attribute, missing values as the group 'unknown'."""
    codes, names = pd.factorize(values.astype(object).fillna("unknown"), sort=True)
    return codes, pd.Index(names)


def _forecast_tables(
    customers: pd.DataFrame,
    bgnbd: BGNBDFit,
    gamma_gamma: GammaGammaFit,
    by: Sequence[str],
    *,
    horizon_months: float,
    draws: int,
    level: float,
    seed: int,
    columns: dict[str, str],
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame]]:
    per_customer = forecast_customers(
        customers, bgnbd, gamma_gamma, horizon_months=horizon_months, **columns
    )
    groupings = [np.zeros(len(customers), int)] + [_codes(customers[k])[0] for k in by]
    sampled = forecast_draws(
        customers,
        bgnbd,
        gamma_gamma,
        groupings,
        horizon_months=horizon_months,
        draws=draws,
        seed=seed,
        **columns,
    )
    portfolio = _grouped(per_customer, customers, None, sampled[0], level)
    by_group = {
        key: _grouped(per_customer, customers, key, found, level)
        for key, found in zip(by, sampled[1:], strict=True)
    }
    return per_customer, portfolio, by_group


_CALIBRATION_COLUMNS = {
    "frequency_col": "frequency_cal",
    "recency_col": "recency_cal",
    "T_col": "T_cal",
    "monetary_value_col": "monetary_value_cal",
}


def _fit_calibration(
    cal: pd.DataFrame, min_repeat_customers: int
) -> tuple[BGNBDFit, GammaGammaFit]:
    return (
        fit_bgnbd(
            cal,
            frequency_col="frequency_cal",
            recency_col="recency_cal",
            T_col="T_cal",
            min_repeat_customers=min_repeat_customers,
        ),
        fit_gamma_gamma(
            cal,
            frequency_col="frequency_cal",
            monetary_value_col="monetary_value_cal",
            on_nonpositive="exclude",
            min_repeat_customers=min_repeat_customers,
        ),
    )


def _holdout(
    agg: Aggregates,
    transactions: pd.DataFrame,
    *,
    horizon_months: int,
    draws: int,
    level: float,
    seed: int,
    min_repeat_customers: int,
    notes: list[StudyNote],
) -> pd.DataFrame | None:
    """Fit on the history up to ``horizon_months`` before as_of, forecast the months after."""
    mine = transactions[transactions["customer_id"].isin(agg.customers["customer_id"])]
    calibration_end = (agg.as_of.to_period("M") - horizon_months).end_time.normalize()
    if not (pd.to_datetime(mine["date"]).dt.normalize() <= calibration_end).any():
        notes.append(Note("note_forecast_history_too_short", {"months": horizon_months}))
        return None
    cal = calibration_and_holdout(mine, calibration_end=calibration_end, observation_end=agg.as_of)
    with warnings.catch_warnings():
        # The same customers' spend warnings as the full fit's (already in the CLV's notes).
        warnings.simplefilter("ignore", DataQualityWarning)
        fits = attempt(notes, lambda: _fit_calibration(cal, min_repeat_customers))
    if fits is None:
        return None
    months = float(cal["duration_holdout"].iloc[0]) / DAYS_PER_MONTH
    _, portfolio, _ = _forecast_tables(
        cal.reset_index(),
        *fits,
        (),
        horizon_months=months,
        draws=draws,
        level=level,
        seed=seed,
        columns=_CALIBRATION_COLUMNS,
    )
    row = portfolio.iloc[0]
    bought = cal["frequency_holdout"].to_numpy(float)
    actual = [
        float((bought * cal["monetary_value_holdout"].to_numpy(float)).sum()),
        float((bought > 0).sum()),
    ]
    keys = ["forecast_revenue", "forecast_active"]
    out = pd.DataFrame(
        {
            "forecast": row[keys].to_numpy(float),
            "forecast_low": row[[f"{k}_low" for k in keys]].to_numpy(float),
            "forecast_high": row[[f"{k}_high" for k in keys]].to_numpy(float),
            "forecast_actual": actual,
        },
        index=pd.Index(keys, name="forecast_measure"),
    )
    actual_known = out["forecast_actual"].where(out["forecast_actual"] != 0)
    out["forecast_error"] = out["forecast"] / actual_known - 1.0
    return out


def _margin_rate(customers: pd.DataFrame) -> float:
    """Margin / revenue of the customers with revenue > 0 (the predictive CLV's default)."""
    if {"margin", "revenue"} <= set(customers.columns):
        revenue = customers["revenue"].to_numpy(float)
        total = float(revenue[revenue > 0].sum())
        if total > 0 and customers["margin"].notna().any():
            return float(np.nansum(customers["margin"].to_numpy(float)[revenue > 0])) / total
    return float(DEFAULTS["default_margin_rate"])


def _acquisition(agg: Aggregates, costs: pd.DataFrame | None) -> tuple[float, float | None]:
    """New customers per month over the last 12 months, and their CAC (None without costs)."""
    first = pd.to_datetime(agg.customers["first_purchase"])
    start = (agg.as_of.to_period("M") - 11).start_time
    new_per_month = float(((first >= start) & (first <= agg.as_of)).sum()) / 12.0
    if costs is None:
        return new_per_month, None
    table = acquisition_costs(costs, agg.customers, months=agg.months).tail(12)
    table = table[table["acquisition_spend"].notna()]
    new = float(table["new_customers"].sum())
    return new_per_month, (float(table["acquisition_spend"].sum()) / new if new > 0 else None)


def forecast_study(
    agg: Aggregates,
    costs: pd.DataFrame | None = None,
    *,
    models: ClvModels | None = None,
    transactions: pd.DataFrame | None = None,
    horizon_months: int = FORECAST_MONTHS,
    by: Sequence[str] = FORECAST_BY,
    draws: int = FORECAST_DRAWS,
    level: float = FORECAST_LEVEL,
    seed: int = 0,
    min_repeat_customers: int = DEFAULTS["min_repeat_customers"],
) -> ForecastStudy:
    """Revenue and active customers of the next ``horizon_months``, with intervals and a check.

    Parameters
    ----------
    agg : Aggregates
    costs : pandas.DataFrame, optional
        Canonical cost table: the CAC the what-if starts from.
    models : ClvModels, optional
        ``clv_study(...).models``; fitted here when missing.
    transactions : pandas.DataFrame, optional
        The canonical log, for the check on the last ``horizon_months`` months.
    horizon_months : int, default 12
    by : sequence of str, default ('sales_rep', 'segment')
        Customer attributes forecast separately (those the customer table lacks are skipped).
    draws : int, default 100
        Draws of the intervals.
    level : float, default 0.90
    seed : int, default 0
    min_repeat_customers : int, default 30

    Returns
    -------
    ForecastStudy
    """
    if int(horizon_months) != horizon_months or horizon_months < 1:
        raise ValueError(f"horizon_months must be a whole number >= 1, got {horizon_months!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    if models is None:
        models = fit_clv_models(agg, min_repeat_customers=min_repeat_customers)
    notes: list[StudyNote] = list(models.notes)
    new_per_month, cac = _acquisition(agg, costs)
    common = {"horizon_months": int(horizon_months), "level": level, "models": models}
    common |= {"customers": agg.customers, "margin_rate": _margin_rate(agg.customers)}
    common |= {"cac": cac, "new_per_month": new_per_month}
    if models.bgnbd is None or models.gamma_gamma is None:
        notes.append(Note("note_forecast_no_models", {}))
        return ForecastStudy(
            per_customer=None, portfolio=None, by_group={}, holdout=None, notes=tuple(notes),
            **common,
        )  # fmt: skip
    keys = [key for key in by if key in agg.customers.columns]
    per_customer, portfolio, by_group = _forecast_tables(
        agg.customers,
        models.bgnbd,
        models.gamma_gamma,
        keys,
        horizon_months=int(horizon_months),
        draws=draws,
        level=level,
        seed=seed,
        columns={},
    )
    holdout = None
    if transactions is not None:
        holdout = _holdout(
            agg,
            transactions,
            horizon_months=int(horizon_months),
            draws=draws,
            level=level,
            seed=seed,
            min_repeat_customers=min_repeat_customers,
            notes=notes,
        )
    return ForecastStudy(
        per_customer=per_customer,
        portfolio=portfolio,
        by_group=by_group,
        holdout=holdout,
        notes=tuple(notes),
        **common,
    )


@dataclass(frozen=True, eq=False, repr=False)
class WhatIfStudy(StudyResult):
    """Next year's revenue, a new customer's CLV and LTV / CAC: baseline and scenario.

    Attributes
    ----------
    table : pandas.DataFrame or None
        Rows ``what_if_`` + ``retention`` (the model's yearly retention),
        ``revenue_existing``, ``new_customers``, ``revenue_new``, ``revenue``, ``active``,
        ``clv_new`` (CLV of a new customer), ``cac`` and ``ltv_to_cac``; columns
        ``what_if_baseline`` (no change, no new customer: the forecast), ``what_if_scenario``
        and ``what_if_difference``. None without models.
    notes : tuple
    """

    table: pd.DataFrame | None
    notes: tuple[StudyNote, ...] = field(default=())

    def shown(self, lang: str = DEFAULTS["lang"]) -> pd.DataFrame | None:
        """``table`` for display: one row per column (baseline, scenario, difference) with its
        label in ``lang``, one column per measure (formats: :data:`WHAT_IF_FORMATS`)."""
        return None if self.table is None else _labelled_rows(self.table.T, lang)


def _scenario(
    study: ForecastStudy,
    *,
    retention_points: float,
    new_per_month: float,
    cac: float | None,
    basket: float,
    discount_rate: float,
    clv_horizon_months: int,
) -> dict[str, float]:
    bgnbd, gamma_gamma = study.models.bgnbd, study.models.gamma_gamma
    assert bgnbd is not None and gamma_gamma is not None and study.per_customer is not None
    future = with_retention(bgnbd, retention_points)
    factor = 1.0 + basket
    existing = study.per_customer  # no retention change: the forecast's own numbers
    if future is not bgnbd:
        existing = forecast_customers(
            study.customers,
            bgnbd,
            gamma_gamma,
            horizon_months=study.horizon_months,
            future_fit=future,
        )
    revenue_existing = float(existing["revenue"].sum()) * factor
    # New customers arrive evenly: the one of month j buys for the remaining (H - j + 0.5) months.
    months = study.horizon_months - np.arange(1.0, study.horizon_months + 1) + 0.5
    per_new = float(new_customer_purchases(future, months).sum())
    revenue_new = new_per_month * per_new * gamma_gamma.mean_spend * factor
    ltv = new_customer_value(
        future,
        gamma_gamma,
        margin_rate=study.margin_rate,
        horizon_months=clv_horizon_months,
        discount_rate=discount_rate,
        spend_factor=factor,
    )
    return {
        "what_if_retention": model_retention(future),
        "what_if_revenue_existing": revenue_existing,
        "what_if_new_customers": new_per_month * study.horizon_months,
        "what_if_revenue_new": revenue_new,
        "what_if_revenue": revenue_existing + revenue_new,
        "what_if_active": float(existing["p_active"].sum()) + new_per_month * study.horizon_months,
        "what_if_clv_new": ltv,
        "what_if_cac": np.nan if cac is None else float(cac),
        "what_if_ltv_to_cac": ltv / cac if cac else np.nan,
    }


def what_if_study(
    study: ForecastStudy,
    *,
    retention_points: float = 0.0,
    new_per_month: float = 0.0,
    cac: float | None = None,
    basket: float = 0.0,
    discount_rate: float = DEFAULTS["discount_rate"],
    clv_horizon_months: int = DEFAULTS["clv_horizon_months"],
) -> WhatIfStudy:
    """Retention, acquisition and basket moved through the forecast's models.

    Parameters
    ----------
    study : ForecastStudy
    retention_points : float, default 0
        Change of the model's yearly retention in percentage points
        (:func:`portfolio_lib.models.what_if.with_retention`).
    new_per_month : float, default 0
        New customers won per month over the horizon (on top of the current customers).
    cac : float, optional
        Cost of acquiring one; default the portfolio's (``study.cac``).
    basket : float, default 0
        Change of the spend per purchase (0.10: +10 %).
    discount_rate : float, default 0.10
    clv_horizon_months : int, default 36
        Horizon of a new customer's CLV.

    Returns
    -------
    WhatIfStudy
        ``baseline``: no change and no new customer, the forecast's revenue exactly.
    """
    if basket <= -1:
        raise ValueError(f"basket must be above -100 %, got {basket!r}")
    if new_per_month < 0:
        raise ValueError(f"new_per_month must be >= 0, got {new_per_month!r}")
    if study.per_customer is None:
        return WhatIfStudy(table=None, notes=study.notes)
    options = {"discount_rate": discount_rate, "clv_horizon_months": clv_horizon_months}
    cac = study.cac if cac is None else cac
    base = _scenario(study, retention_points=0.0, new_per_month=0.0, cac=cac, basket=0.0, **options)
    moved = _scenario(
        study,
        retention_points=retention_points,
        new_per_month=new_per_month,
        cac=cac,
        basket=basket,
        **options,
    )
    table = pd.DataFrame({"what_if_baseline": base, "what_if_scenario": moved})
    table["what_if_difference"] = table["what_if_scenario"] - table["what_if_baseline"]
    return WhatIfStudy(table=table.rename_axis("what_if_measure"))
