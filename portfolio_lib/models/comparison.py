"""BG/NBD, Pareto/NBD and MBG/NBD compared on the same calibration / holdout split.

Each model is fitted on the calibration period (:func:`~portfolio_lib.models.diagnostics.
calibration_and_holdout`) and judged by its log-likelihood and BIC there, and by how well it
forecasts the holdout period it did not see: the mean holdout purchases by calibration
frequency (observed vs expected, :func:`~portfolio_lib.models.diagnostics.
calibration_vs_holdout`) summed into one *holdout error*, and the weekly repeat purchases of
the whole period (:func:`weekly_tracking`, FHL 2005 fig. 3). The model with the smallest
holdout error is chosen (the BIC when there is no holdout): the CLV is a forecast, so the
model that forecast unseen months best is kept. All three have four parameters, so their BIC
ranks them as their log-likelihood does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.models.bgnbd import fit_bgnbd
from portfolio_lib.models.diagnostics import PurchaseFit, calibration_vs_holdout
from portfolio_lib.models.mbgnbd import fit_mbgnbd
from portfolio_lib.models.pareto_nbd import fit_pareto_nbd

__all__ = [
    "PURCHASE_MODELS",
    "ModelComparison",
    "choose_model",
    "compare_purchase_models",
    "fit_purchase_model",
    "holdout_error",
    "weekly_tracking",
]

# The purchase models, by the name DEFAULTS["purchase_model"] and the comparison use.
PURCHASE_MODELS: dict[str, Callable[..., PurchaseFit]] = {
    "bgnbd": fit_bgnbd,
    "pareto_nbd": fit_pareto_nbd,
    "mbgnbd": fit_mbgnbd,
}

i18n.register(
    {
        "bgnbd": {"fr": "BG/NBD", "en": "BG/NBD"},
        "pareto_nbd": {"fr": "Pareto/NBD", "en": "Pareto/NBD"},
        "mbgnbd": {"fr": "MBG/NBD", "en": "MBG/NBD"},
        "purchase_model": {"fr": "Modèle d'achats", "en": "Purchase model"},
        "log_likelihood": {"fr": "Log-vraisemblance", "en": "Log-likelihood"},
        "bic": {"fr": "BIC", "en": "BIC"},
        "holdout_error": {
            "fr": "Erreur sur la période de test (achats par client)",
            "en": "Holdout error (purchases per customer)",
        },
        "holdout_purchases_observed": {
            "fr": "Achats observés (période de test)",
            "en": "Observed purchases (holdout)",
        },
        "holdout_purchases_expected": {
            "fr": "Achats prévus (période de test)",
            "en": "Forecast purchases (holdout)",
        },
        "chosen": {"fr": "Retenu", "en": "Chosen"},
        "week": {"fr": "Semaine", "en": "Week"},
    }
)


def fit_purchase_model(name: str, summary: pd.DataFrame, **options: object) -> PurchaseFit:
    """Fit the purchase model ``name`` (``'bgnbd'``, ``'pareto_nbd'`` or ``'mbgnbd'``)."""
    if name not in PURCHASE_MODELS:
        raise ValueError(f"purchase model must be one of {list(PURCHASE_MODELS)}, got {name!r}")
    return PURCHASE_MODELS[name](summary, **options)


def holdout_error(by_frequency: pd.DataFrame) -> float:
    """Customer-weighted mean absolute gap between observed and expected holdout purchases.

    ``sum_b n_b |observed_b - expected_b| / sum_b n_b`` over the calibration-frequency rows
    ``b`` of :func:`~portfolio_lib.models.diagnostics.calibration_vs_holdout` (``customers``,
    ``observed``, ``expected``): in purchases per customer over the holdout.
    """
    n = by_frequency["customers"].to_numpy(float)
    gap = np.abs(
        by_frequency["observed"].to_numpy(float) - by_frequency["expected"].to_numpy(float)
    )
    return float((n * gap).sum() / n.sum())


@dataclass(frozen=True, eq=False)
class ModelComparison:
    """Purchase models fitted on one calibration period and checked on its holdout.

    Attributes
    ----------
    fits : dict
        Model name -> fit on the calibration columns.
    table : pandas.DataFrame
        Indexed by model name: ``log_likelihood``, ``bic`` (``k ln n - 2 LL``, k = 4),
        ``holdout_error`` (:func:`holdout_error`), ``holdout_purchases_observed`` and
        ``holdout_purchases_expected`` (totals), ``chosen`` (bool).
    by_frequency : pandas.DataFrame
        Index calibration frequency (capped): ``customers``, ``observed`` and one column of
        mean expected holdout purchases per model.
    chosen : str
        The model with the smallest holdout error.
    """

    fits: dict[str, PurchaseFit]
    table: pd.DataFrame
    by_frequency: pd.DataFrame
    chosen: str


def choose_model(table: pd.DataFrame) -> str:
    """The model of ``table`` with the smallest holdout error (the smallest BIC if none has one)."""
    errors = table["holdout_error"].dropna()
    if len(errors):
        return str(errors.idxmin())
    return str(table["bic"].idxmin())


def compare_purchase_models(
    cal_hold: pd.DataFrame,
    *,
    models: Sequence[str] = tuple(PURCHASE_MODELS),
    min_repeat_customers: int = DEFAULTS["min_repeat_customers"],
    max_frequency: int = 7,
    on_error: Callable[[Exception], None] | None = None,
) -> ModelComparison:
    """Fit each purchase model on the calibration columns and check it on the holdout.

    Parameters
    ----------
    cal_hold : pandas.DataFrame
        :func:`~portfolio_lib.models.diagnostics.calibration_and_holdout`.
    models : sequence of str
        Among ``'bgnbd'``, ``'pareto_nbd'``, ``'mbgnbd'``.
    min_repeat_customers : int
    max_frequency : int, default 7
        Last calibration-frequency row (``or more``).
    on_error : callable, optional
        Receives the error of a model that cannot be fitted (the others are compared); by
        default the error is raised.

    Returns
    -------
    ModelComparison
    """
    fits: dict[str, PurchaseFit] = {}
    for name in models:
        try:
            fits[name] = fit_purchase_model(
                name,
                cal_hold,
                frequency_col="frequency_cal",
                recency_col="recency_cal",
                T_col="T_cal",
                min_repeat_customers=min_repeat_customers,
            )
        except PortfolioDataError as error:
            if on_error is None:
                raise
            on_error(error)
    if not fits:
        raise ValueError("no purchase model could be fitted on the calibration period")
    rows, columns = {}, {}
    for name, fit in fits.items():
        check = calibration_vs_holdout(fit, cal_hold, max_frequency=max_frequency)
        columns[name] = check["expected"]
        rows[name] = {
            "log_likelihood": fit.log_likelihood,
            "bic": len(fit.params) * math.log(fit.n_customers) - 2 * fit.log_likelihood,
            "holdout_error": holdout_error(check),
            "holdout_purchases_observed": float((check["customers"] * check["observed"]).sum()),
            "holdout_purchases_expected": float((check["customers"] * check["expected"]).sum()),
        }
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("purchase_model")
    chosen = choose_model(table)
    table["chosen"] = table.index == chosen
    by_frequency = check[["customers", "observed"]].join(pd.DataFrame(columns))
    return ModelComparison(fits=fits, table=table, by_frequency=by_frequency, chosen=chosen)


def weekly_tracking(
    transactions: pd.DataFrame,
    fits: dict[str, PurchaseFit],
    *,
    calibration_end: object,
    observation_end: object,
) -> pd.DataFrame:
    """Repeat purchases per week, observed and expected by each model (FHL 2005 fig. 3).

    The customers are those of the calibration period (first purchase on or before
    ``calibration_end``); their repeat purchases are their purchase days after the first
    one. A model expects ``sum_i E[X(t_i(w_end))] - E[X(t_i(w_start))]`` in week ``w``, with
    ``E[X(t)]`` a new customer's expected repeat purchases ``t`` days after the first
    purchase (``expected_new_customer_purchases``): a forecast from the first purchase dates
    alone, in the calibration and in the holdout weeks.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Canonical transactions (``customer_id``, ``date``).
    fits : dict
        Model name -> fit (``ModelComparison.fits``).
    calibration_end, observation_end : date-like

    Returns
    -------
    pandas.DataFrame
        Index ``week`` (its first day), columns ``observed`` and one per model, and
        ``holdout`` (bool, the week starts after ``calibration_end``).
    """
    cal_end = pd.Timestamp(calibration_end).normalize()
    obs_end = pd.Timestamp(observation_end).normalize()
    days = pd.DataFrame(
        {
            "customer_id": transactions["customer_id"].astype(str).to_numpy(),
            "day": pd.to_datetime(transactions["date"]).dt.normalize().to_numpy(),
        }
    ).drop_duplicates()
    days = days[days["day"] <= obs_end]
    first = days.groupby("customer_id")["day"].transform("min")
    days = days[(first <= cal_end).to_numpy()]
    first = first[(first <= cal_end).to_numpy()]
    start = first.min()
    # Weeks from the first purchase on; the last one is cut at observation_end.
    edges = pd.date_range(start, obs_end + pd.Timedelta(days=7), freq="7D")
    edge_days = np.minimum((edges - start).days.to_numpy(float), (obs_end - start).days + 1.0)
    repeat = days["day"][(days["day"] > first).to_numpy()]
    observed = np.histogram((repeat - start).dt.days.to_numpy(), bins=edge_days)[0]
    # Expected: per distinct first-purchase day, E[X] at each week's end since that day.
    firsts = first.groupby(days["customer_id"].to_numpy()).first().value_counts().sort_index()
    offsets = (firsts.index - start).days.to_numpy(float)
    ages = np.maximum(edge_days[None, :] - offsets[:, None], 0.0)
    out = pd.DataFrame(
        {"observed": observed.astype(float)}, index=pd.Index(edges[:-1], name="week")
    )
    for name, fit in fits.items():
        cumulative = firsts.to_numpy(float) @ fit.expected_new_customer_purchases(ages)
        out[name] = np.diff(cumulative)
    out["holdout"] = out.index > cal_end
    return out
