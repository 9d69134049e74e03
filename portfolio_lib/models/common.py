"""What the predictive models share: input checks, the maximum-likelihood optimiser, labels.

Both models of this package (:mod:`portfolio_lib.models.bgnbd`, Fader, Hardie & Lee 2005;
:mod:`portfolio_lib.models.gamma_gamma`, Fader & Hardie 2013) are fitted by maximum likelihood
on log parameters with :func:`maximise` (``scipy.optimize.minimize``, L-BFGS-B with analytic
gradients, Nelder-Mead as a fallback) and report :func:`standard_errors` from the observed
information. The helpers here are public within the package, not part of its API.

Units
-----
Every time given to or returned by the models is in **days**, like the summary of
:func:`portfolio_lib.engine.aggregate.customer_summary`: ``recency``, ``T``, the horizon ``t``,
``duration_holdout``. CLV horizons are whole months of ``365.25 / 12`` days.
"""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError

__all__ = [
    "DAYS_PER_MONTH",
    "MIN_REPEAT_CUSTOMERS",
    "ArrayLike",
    "FloatArray",
    "Optimum",
    "as_float",
    "attach_interface",
    "check_choice",
    "checked_histories",
    "check_repeat_customers",
    "column",
    "covariance",
    "customer_ids",
    "dot",
    "failed",
    "fit_numerically",
    "maximise",
    "numerical_gradient",
    "purchase_history",
    "scipy_functions",
    "standard_errors",
]

DAYS_PER_MONTH = 365.25 / 12
# A fit needs repeat customers to tell purchase rates from dropout (BG/NBD) and to see spend
# vary between customers (Gamma-Gamma); below ~30 the estimates swing with single customers.
MIN_REPEAT_CUSTOMERS = DEFAULTS["min_repeat_customers"]
# Search range of every parameter: exp(+-15) = 3e-7 .. 3e6, far beyond any sensible value in
# weeks or euros (spend is rescaled by its median first), so reaching it means no optimum.
_LOG_BOUND = 15.0
# Largest gradient of the mean log-likelihood (per customer) accepted at the optimum.
_GRADIENT_TOLERANCE = 1e-5

FloatArray = np.ndarray
ArrayLike = float | Sequence[float] | np.ndarray | pd.Series

i18n.register(
    {
        "p_alive": {"fr": "Probabilité d'être actif", "en": "P(alive)"},
        "expected_purchases": {"fr": "Achats attendus", "en": "Expected purchases"},
        "expected_spend": {"fr": "Panier attendu", "en": "Expected spend"},
        "margin_rate": {"fr": "Taux de marge", "en": "Margin rate"},
        "clv_mean": {"fr": "CLV moyenne par client", "en": "Mean CLV per customer"},
        "clv_share": {"fr": "Part de la CLV", "en": "Share of CLV"},
        "p_alive_mean": {"fr": "Probabilité moyenne d'être actif", "en": "Mean P(alive)"},
        "frequency_cal": {
            "fr": "Achats répétés (calibration)",
            "en": "Repeat purchases (calibration)",
        },
        "recency_cal": {"fr": "Récence (calibration, j)", "en": "Recency (calibration, days)"},
        "T_cal": {
            "fr": "Ancienneté client (calibration, j)",
            "en": "Customer age (calibration, days)",
        },
        "monetary_value_cal": {
            "fr": "Panier moyen (calibration)",
            "en": "Average spend (calibration)",
        },
        "frequency_holdout": {"fr": "Achats (période de test)", "en": "Purchases (holdout)"},
        "monetary_value_holdout": {
            "fr": "Panier moyen (période de test)",
            "en": "Average spend (holdout)",
        },
        "duration_holdout": {
            "fr": "Durée de la période de test (j)",
            "en": "Holdout length (days)",
        },
        "observed": {"fr": "Observé", "en": "Observed"},
        "expected": {"fr": "Modèle", "en": "Model"},
        "ltv": {"fr": "Valeur client (LTV)", "en": "Customer value (LTV)"},
    }
)
# Shared with portfolio_lib.metrics.clv and portfolio_lib.metrics.costs (same texts): added only if missing, so
# the import order never changes a label.
_SHARED_LABELS = {
    "clv": {"fr": "Valeur vie client (CLV)", "en": "Customer lifetime value (CLV)"},
    "cac": {"fr": "Coût d'acquisition client (CAC)", "en": "Customer acquisition cost (CAC)"},
    "ltv_to_cac": {"fr": "Ratio LTV / CAC", "en": "LTV / CAC"},
}
i18n.register({k: v for k, v in _SHARED_LABELS.items() if k not in i18n.labels("en")})

# --------------------------------------------------------------------------------------------
# Input checks


def column(summary: pd.DataFrame, name: str, *, analysis: str) -> pd.Series:
    """Column ``name`` of ``summary`` as floats (non-numbers missing); ``missing_attribute``
    when absent (``analysis`` names what needed it)."""
    if name not in summary.columns:
        raise PortfolioDataError(
            "missing_attribute",
            file="summary",
            analysis=analysis,
            column=name,
            found=", ".join(map(str, summary.columns)),
        )
    values = summary[name]
    if values.dtype == np.float64:
        # Numbers already: the column as it is (its arrays read-only, never written to), not
        # a copy of a million values.
        return values
    return pd.to_numeric(values, errors="coerce").astype(float)


def customer_ids(summary: pd.DataFrame, customer_col: str) -> np.ndarray:
    """The customers' ids as strings (the index when ``customer_col`` is absent)."""
    if customer_col in summary.columns:
        return summary[customer_col].astype(str).to_numpy()
    return summary.index.astype(str).to_numpy()


def _out_of_range(
    summary: pd.DataFrame,
    bad: np.ndarray,
    values: np.ndarray,
    *,
    column: str,
    allowed: str,
    allowed_fr: str,
    customer_col: str,
) -> PortfolioDataError:
    where = np.flatnonzero(bad)
    ids = customer_ids(summary, customer_col)[where]
    return PortfolioDataError(
        "out_of_range",
        file="summary",
        column=column,
        count=len(where),
        rows=[int(i) + 2 for i in where],  # as a spreadsheet shows them, under the header
        examples=[f"{i}: {v:g}" for i, v in zip(ids[:3], values[where][:3], strict=True)],
        allowed=allowed,
        allowed_fr=allowed_fr,
    )


def purchase_history(
    summary: pd.DataFrame,
    *,
    frequency_col: str,
    recency_col: str,
    T_col: str,
    customer_col: str,
    analysis: str,
) -> tuple[FloatArray, FloatArray, FloatArray, np.ndarray]:
    """Checked (frequency, recency, T) in days and the mask of rows with a history.

    Rows whose three values are all missing are prospects (no purchase yet): masked out.
    """
    x = column(summary, frequency_col, analysis=analysis).to_numpy()
    tx = column(summary, recency_col, analysis=analysis).to_numpy()
    T = column(summary, T_col, analysis=analysis).to_numpy()
    missing = np.isnan(x) & np.isnan(tx) & np.isnan(T)
    known = ~missing
    checks = (
        (
            frequency_col,
            x,
            (np.isnan(x) | (x < 0) | (x != np.round(x))),
            "whole numbers >= 0",
            "des entiers >= 0",
        ),
        (recency_col, tx, np.isnan(tx) | (tx < 0), "[0, T]", "[0, T]"),
        (T_col, T, np.isnan(T) | (tx > T) | (T < 0), "[recency, +inf)", "[récence, +inf)"),
    )
    for name, values, bad, allowed, allowed_fr in checks:
        bad = bad & known
        if bad.any():
            raise _out_of_range(
                summary,
                bad,
                values,
                column=name,
                allowed=allowed,
                allowed_fr=allowed_fr,
                customer_col=customer_col,
            )
    return x, tx, T, known


def check_repeat_customers(count: int, minimum: int, model: str) -> None:
    """Raise ``too_few_repeat_customers`` when ``count < minimum``."""
    if count < minimum:
        raise PortfolioDataError(
            "too_few_repeat_customers", count=int(count), model=model, minimum=int(minimum)
        )


# --------------------------------------------------------------------------------------------
# Optimisation shared by both models


@dataclass(frozen=True)
class Optimum:
    """What :func:`maximise` found: log parameters, mean log-likelihood and convergence."""

    log_params: FloatArray
    mean_log_likelihood: float
    converged: bool
    reason: str
    message: str


class _ScipyFunction:
    """A scipy function imported on its first call (see :func:`scipy_functions`)."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name
        self.function: Callable | None = None

    def __call__(self, *args: object, **kwargs: object) -> object:
        if self.function is None:
            self.function = getattr(importlib.import_module(self.module), self.name)
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.module}.{self.name} (imported on first call)"


def scipy_functions(module: str, *names: str) -> tuple[Callable, ...]:
    """The functions ``names`` of the scipy ``module``, each imported on its first call.

    Importing the package registers its labels but must not import scipy: scipy costs every
    app kernel about 60 MB and half a second, and the app's first screens use no model.
    ``gammaln, betaln = scipy_functions("scipy.special", "gammaln", "betaln")``.
    """
    return tuple(_ScipyFunction(module, name) for name in names)


def maximise(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    start: FloatArray,
    names: Sequence[str],
    *,
    max_iterations: int = 3000,
    restart: bool = True,
) -> Optimum:
    """Maximise a mean log-likelihood over log parameters; ``objective`` gives (-ll, -grad).

    ``max_iterations`` caps the L-BFGS-B iterations; ``restart=False`` skips the
    Nelder-Mead restart (for objectives whose gradient is itself ~9 evaluations).
    """
    from scipy.optimize import minimize  # imported when a model is fitted (see scipy_functions)

    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(start)
    options = {"maxiter": int(max_iterations), "ftol": 1e-13, "gtol": 1e-9, "maxcor": 10}

    def safe(u: FloatArray) -> tuple[float, FloatArray]:
        with np.errstate(all="ignore"):
            value, grad = objective(u)
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros_like(u)
        return value, grad

    best = minimize(safe, start, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
    grad = safe(best.x)[1]
    at_bound = np.abs(best.x) >= _LOG_BOUND - 1e-3
    if restart and np.max(np.abs(grad)) > _GRADIENT_TOLERANCE and not at_bound.any():
        # L-BFGS-B can stall on a flat ridge; a derivative-free restart walks off it. (A
        # parameter at the edge of the range is a likelihood without maximum: no restart.)
        simplex = minimize(
            lambda u: safe(u)[0],
            best.x,
            method="Nelder-Mead",
            bounds=bounds,
            options={"maxiter": 2000, "xatol": 1e-10, "fatol": 1e-14, "adaptive": True},
        )
        polished = minimize(
            safe, simplex.x, jac=True, method="L-BFGS-B", bounds=bounds, options=options
        )
        if polished.fun <= best.fun:
            best = polished
        grad = safe(best.x)[1]
    value = float(best.fun)
    at_bound = [n for n, u in zip(names, best.x, strict=True) if abs(u) >= _LOG_BOUND - 1e-3]
    worst = float(np.max(np.abs(grad)))
    # Reasons in symbols, readable in both languages of the error message.
    if value >= 1e299:
        return Optimum(best.x, -value, False, "log-likelihood = NaN", str(best.message))
    if at_bound:
        reason = ", ".join(f"{n} → {math.exp(best.x[names.index(n)]):.3g}" for n in at_bound)
        return Optimum(best.x, -value, False, reason, str(best.message))
    if worst > _GRADIENT_TOLERANCE:
        reason = f"max |gradient| = {worst:.2g}"
        return Optimum(best.x, -value, False, reason, str(best.message))
    return Optimum(best.x, -value, True, "", str(best.message))


def covariance(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    log_params: FloatArray,
    total_weight: float,
    *,
    step: float = 1e-6,
) -> FloatArray | None:
    """Covariance of the log parameters: the inverse observed information.

    The Hessian of the log-likelihood is taken by forward differences of ``objective``'s
    gradient (of the mean negative log-likelihood) in steps of ``step``, symmetrised and
    scaled by ``total_weight`` (customers). None when it is not finite, singular or not
    positive definite (no asymptotic normal to draw from).
    """
    k = len(log_params)
    hessian = np.empty((k, k))
    with np.errstate(all="ignore"):
        base = objective(log_params)[1]
        for j in range(k):
            moved = log_params.copy()
            moved[j] += step
            hessian[:, j] = (objective(moved)[1] - base) / step
    hessian = (hessian + hessian.T) / 2 * total_weight
    if not np.all(np.isfinite(hessian)):
        return None
    try:
        inverse = np.linalg.inv(hessian)
        np.linalg.cholesky(inverse)
    except np.linalg.LinAlgError:
        return None
    return (inverse + inverse.T) / 2


def standard_errors(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    log_params: FloatArray,
    total_weight: float,
    names: Sequence[str],
    *,
    log_covariance: FloatArray | None = None,
) -> dict[str, float]:
    """Standard errors from the observed information (finite differences of the gradient).

    ``log_covariance``: :func:`covariance` computed beforehand (else computed here).
    """
    if log_covariance is None:
        log_covariance = covariance(objective, log_params, total_weight)
    if log_covariance is None:
        return dict.fromkeys(names, float("nan"))
    # delta method: sd(theta) = theta * sd(log theta)
    return {
        name: float(math.exp(u) * math.sqrt(variance))
        for name, u, variance in zip(names, log_params, np.diag(log_covariance), strict=True)
    }


def numerical_gradient(
    mean_negative_ll: Callable[[FloatArray], float], *, step: float = 1e-5
) -> Callable[[FloatArray], tuple[float, FloatArray]]:
    """An objective for :func:`maximise` from a function without analytic gradient.

    Central differences in the log parameters (error ~ step^2, ~1e-10, far below the
    optimiser's gradient tolerance of 1e-5).
    """

    def objective(u: FloatArray) -> tuple[float, FloatArray]:
        value = mean_negative_ll(u)
        grad = np.empty(len(u))
        for j in range(len(u)):
            up, down = u.copy(), u.copy()
            up[j] += step
            down[j] -= step
            grad[j] = (mean_negative_ll(up) - mean_negative_ll(down)) / (2 * step)
        return value, grad

    return objective


def check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def failed(model: str, reason: str, on_nonconvergence: str) -> None:
    """Report a fit that did not converge: raise or warn, per ``on_nonconvergence``."""
    if on_nonconvergence == "error":
        raise PortfolioDataError("not_converged", model=model, reason=reason)
    warnings.warn(DataQualityWarning("not_converged", model=model, reason=reason), stacklevel=3)


def dot(left: FloatArray, right: FloatArray) -> float:
    """Dot product of two vectors without BLAS.

    OpenBLAS threads woken by large ``@`` products keep spinning between optimiser steps and
    fight numpy for the cores: on a busy two-core machine a fit ran about five times slower.
    """
    return float(np.einsum("i,i->", left, right))


def as_float(values: ArrayLike) -> FloatArray:
    """``values`` as a float array."""
    return np.asarray(values, dtype=float)


# --------------------------------------------------------------------------------------------
# What the purchase models (BG/NBD, Pareto/NBD, MBG/NBD) share


def checked_histories(
    summary: pd.DataFrame,
    *,
    model: str,
    time_unit_days: float,
    min_repeat_customers: int,
    on_nonconvergence: str,
    frequency_col: str,
    recency_col: str,
    T_col: str,
    customer_col: str,
) -> tuple[FloatArray, FloatArray, FloatArray, int]:
    """The checked histories (frequency, recency, T in days) of the customers with a purchase,
    and how many have a repeat purchase; ``too_few_repeat_customers`` below the minimum."""
    check_choice("on_nonconvergence", on_nonconvergence, ("error", "warn"))
    if not time_unit_days > 0:
        raise ValueError(f"time_unit_days must be positive, got {time_unit_days!r}")
    x, tx, T, known = purchase_history(
        summary,
        frequency_col=frequency_col,
        recency_col=recency_col,
        T_col=T_col,
        customer_col=customer_col,
        analysis=model,
    )
    x, tx, T = x[known], tx[known], T[known]
    repeat = int((x > 0).sum())
    check_repeat_customers(repeat, min_repeat_customers, model)
    return x, tx, T, repeat


def fit_numerically(
    fit_class: type,
    log_likelihood: Callable[..., FloatArray],
    summary: pd.DataFrame,
    *,
    model: str,
    names: Sequence[str],
    default_start: Callable[[FloatArray, FloatArray], FloatArray],
    time_unit_days: float = 7.0,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
    initial_params: Mapping[str, float] | None = None,
    on_nonconvergence: str = "error",
    frequency_col: str = "frequency",
    recency_col: str = "recency",
    T_col: str = "T",
    customer_col: str = "customer_id",
    max_iterations: int = 150,
) -> object:
    """Fit a purchase model whose per-history ``log_likelihood(params, x, t_x, T)`` (in the
    fit's time unit) has no analytic gradient: maximum likelihood, central differences.

    The options after ``default_start`` (the log starting point from the repeat purchases
    and ages in the fit's unit) are those of :func:`portfolio_lib.models.bgnbd.fit_bgnbd`.
    Histories are grouped on identical (x, t_x, T). The search is bounded
    (``max_iterations``, no restart): a likelihood still rising along a ridge is reported as
    not converged rather than followed for minutes. Returns a ``fit_class``.
    """
    x, tx, T, repeat = checked_histories(
        summary,
        model=model,
        time_unit_days=time_unit_days,
        min_repeat_customers=min_repeat_customers,
        on_nonconvergence=on_nonconvergence,
        frequency_col=frequency_col,
        recency_col=recency_col,
        T_col=T_col,
        customer_col=customer_col,
    )
    tx = np.where(x > 0, tx, 0.0)
    grouped, counts = np.unique(
        np.column_stack([x, tx / time_unit_days, T / time_unit_days]), axis=0, return_counts=True
    )
    gx, gtx, gT = grouped.T
    weights = counts.astype(float)
    total = float(weights.sum())

    def mean_negative_ll(u: FloatArray) -> float:
        params = tuple(float(v) for v in np.exp(u))
        with np.errstate(all="ignore"):
            return -dot(weights, log_likelihood(params, gx, gtx, gT)) / total

    if initial_params is not None:
        start = np.log([float(initial_params[n]) for n in names])
    else:
        start = default_start(x, T / time_unit_days)
    objective = numerical_gradient(mean_negative_ll)
    optimum = maximise(objective, start, names, max_iterations=max_iterations, restart=False)
    if not optimum.converged:
        failed(model, optimum.reason, on_nonconvergence)
    # Differences of a central-difference gradient: a step well above its rounding.
    information = covariance(objective, optimum.log_params, total, step=1e-4)
    params = {n: float(v) for n, v in zip(names, np.exp(optimum.log_params), strict=True)}
    return fit_class(
        **params,
        log_likelihood=optimum.mean_log_likelihood * total,
        n_customers=len(x),
        n_repeat_customers=repeat,
        converged=optimum.converged,
        time_unit_days=float(time_unit_days),
        standard_errors=standard_errors(
            objective, optimum.log_params, total, names, log_covariance=information
        ),
        message=optimum.reason or optimum.message,
        log_covariance=information,
    )


def attach_interface(
    fit_class: type,
    p_alive: Callable[..., FloatArray],
    conditional_expected_purchases: Callable[..., FloatArray],
    expected_purchases_if_alive: Callable[..., FloatArray],
    expected_purchases: Callable[..., FloatArray],
) -> None:
    """Give a purchase model's fit class the methods every purchase model has.

    ``fit.p_alive(frequency, recency, T)``, ``fit.expected_purchases(t, frequency, recency,
    T)`` (conditional on the history), ``fit.expected_purchases_if_alive(t, frequency, T)``
    and ``fit.expected_new_customer_purchases(t)``: the module's functions of the same
    meaning, with the fit as first argument (times in days).
    """
    fit_class.p_alive = p_alive
    fit_class.expected_purchases = conditional_expected_purchases
    fit_class.expected_purchases_if_alive = expected_purchases_if_alive
    fit_class.expected_new_customer_purchases = expected_purchases
