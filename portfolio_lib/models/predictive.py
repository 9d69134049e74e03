"""Predictive CLV: BG/NBD purchases and Gamma-Gamma spend, fitted here by maximum likelihood.

The two models of the CLV literature, implemented with numpy/scipy only (lifetimes is
unmaintained, pymc-marketing pulls in PyMC):

- **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
  customer buys at a Poisson rate ``lambda ~ Gamma(r, alpha)``; after each repeat purchase the
  customer drops out with probability ``p ~ Beta(a, b)``. Gives the expected number of
  purchases of a new customer, the expected purchases of a known customer over the next ``t``
  and the probability that the customer is still alive (P(alive)).
- **Gamma-Gamma** (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"): the spend
  per purchase is ``Gamma(p, nu)`` around a customer mean, ``nu ~ Gamma(q, v)``; fitted on the
  repeat customers' average spend, it shrinks each customer's average towards the portfolio's.

Both are fitted by maximum likelihood on log parameters (``scipy.optimize.minimize``, L-BFGS-B
with analytic gradients, Nelder-Mead as a fallback) with log-likelihoods written with
``gammaln``/``betaln`` and log-sum-exp terms. BG/NBD rows with identical (frequency, recency,
T) are grouped with counts as weights, and the terms that depend on the frequency alone are
summed per frequency, so a million customers fit in seconds.

Units
-----
Every time given to or returned by this module is in **days**, like the summary of
:func:`portfolio_lib.engine.aggregate.customer_summary`: ``recency``, ``T``, the horizon ``t``,
``duration_holdout``. The BG/NBD is fitted in a coarser unit, ``time_unit_days`` (7 = weeks,
the default, as in the papers), because parameters of order one condition the optimiser best;
the model is scale-free (fitting in days gives the same ``r``, ``a``, ``b`` and 7 times the
``alpha``), so the unit changes no prediction. The fit remembers the unit and converts: only its
``alpha`` (and the log-likelihood, a density in that unit) is expressed in it.

CLV horizons are whole months of ``365.25 / 12`` days.
"""

from __future__ import annotations

import hashlib
import math
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy.integrate import IntegrationWarning, quad
from scipy.optimize import minimize
from scipy.special import betainc, betaln, digamma, expit, gammaln, hyp2f1, xlogy

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError
from portfolio_lib.engine.aggregate import customer_summary
from portfolio_lib.metrics.clv import _rows_by_code, _run_sums
from portfolio_lib.runtime import in_halves

__all__ = [
    "DAYS_PER_MONTH",
    "BGNBDFit",
    "GammaGammaFit",
    "calibration_and_holdout",
    "calibration_vs_holdout",
    "clv_by_segment",
    "conditional_expected_purchases",
    "expected_purchases",
    "expected_spend",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "frequency_recency_matrix",
    "ltv_to_cac",
    "p_alive",
    "p_alive_matrix",
    "period_transactions",
    "predictive_clv",
    "probability_of_purchases",
    "simulate_summary",
]

DAYS_PER_MONTH = 365.25 / 12
# A fit needs repeat customers to tell purchase rates from dropout (BG/NBD) and to see spend
# vary between customers (Gamma-Gamma); below ~30 the estimates swing with single customers.
_MIN_REPEAT_CUSTOMERS = DEFAULTS["min_repeat_customers"]
# Search range of every parameter: exp(+-15) = 3e-7 .. 3e6, far beyond any sensible value in
# weeks or euros (spend is rescaled by its median first), so reaching it means no optimum.
_LOG_BOUND = 15.0
# Largest gradient of the mean log-likelihood (per customer) accepted at the optimum.
_GRADIENT_TOLERANCE = 1e-5
# Within _NEAR_ONE of a = 1 the closed form is 0/0: expectations are interpolated (cubic) from
# a = 1 +- _NEAR_ONE and 1 +- 2 _NEAR_ONE, where it still has ~11 correct digits.
_NEAR_ONE = 1e-3
# Horizons below _SERIES_MAX_K (alpha + T) use the power series (at most _SERIES_TERMS terms).
_SERIES_MAX_K = 0.5
_SERIES_TERMS = 200
# Long horizons (k > _SERIES_MAX_K) of large evaluations: the 2F1 factor is a Taylor series
# around centres evenly spaced in ln(1 + k), _TAYLOR_SPACING apart, so that |k - k0| <= (1 +
# k0) / 8, an eighth of the radius of convergence (~17 of at most _TAYLOR_TERMS terms; the
# short-horizon series re-expanded around its octaves' centres takes as many). From
# _TAYLOR_MIN_VALUES entries on: below, scipy's 2F1 per entry costs less than the centres.
_TAYLOR_SPACING = 2.0 * math.log(1.125)
_TAYLOR_TERMS = 24
# ... up to k = _TAYLOR_MAX_K: beyond, 2F1(.; z) at the centres (z = k0 / (1 + k0) > 0.985)
# loses digits in scipy (~1e-10 for k0 in the thousands); each entry's own call does better.
_TAYLOR_MAX_K = 64.0
_TAYLOR_MIN_VALUES = 20_000
# Entries per chunk of a Horner evaluation (its arrays of 512 kB stay in the L3 cache).
_HORNER_CHUNK = 65_536
# From _CHEBYSHEV_MIN_VALUES (histories x months) on, the monthly expectations are interpolated:
# per frequency, E / k at _CHEBYSHEV_NODES Chebyshev nodes in ln(1 + k) (accepted when the last
# eight coefficients are below _CHEBYSHEV_TOLERANCE of E / k: converged, to about the 2F1's own
# rounding), the bases of _CHEBYSHEV_BLOCK distinct ages T at a time.
_CHEBYSHEV_MIN_VALUES = 20_000
_CHEBYSHEV_NODES = 32
_CHEBYSHEV_TOLERANCE = 1e-13
_CHEBYSHEV_BLOCK = 512
# Elementwise work is split over threads (aggregate.THREADS) from this many values on.
_PARALLEL_MIN_VALUES = 200_000
# warnings.catch_warnings is not thread-safe: the quadrature fallback holds this lock.
_QUADRATURE_LOCK = threading.Lock()

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
# Fitted models


@dataclass(frozen=True)
class BGNBDFit:
    """A fitted BG/NBD model.

    Attributes
    ----------
    r, alpha : float
        Purchase rate while alive ~ Gamma(shape ``r``, rate ``alpha``); ``alpha`` is in
        ``time_unit_days`` units (mean rate ``r / alpha`` purchases per unit).
    a, b : float
        Dropout probability after each repeat purchase ~ Beta(``a``, ``b``).
    log_likelihood : float
        Maximised log-likelihood of the data (a density of the purchase times in the fit's
        time unit: ``x ln 7`` more per customer in weeks than in days).
    n_customers, n_repeat_customers : int
        Customers fitted, and those with at least one repeat purchase.
    converged : bool
        Whether the optimiser reached an interior optimum with a vanishing gradient.
    time_unit_days : float
        Days per time unit of the fit (7: weeks).
    standard_errors : dict
        Asymptotic standard errors of ``r``, ``alpha``, ``a``, ``b`` (inverse observed
        information, delta method from the log scale); NaN when the information is singular.
    message : str
        The optimiser's last word (why it stopped).
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    n_repeat_customers: int
    converged: bool
    time_unit_days: float = 7.0
    standard_errors: dict[str, float] = field(default_factory=dict, compare=False)
    message: str = field(default="", compare=False)

    @property
    def params(self) -> dict[str, float]:
        """``{"r", "alpha", "a", "b"}`` (``alpha`` in the fit's time unit)."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def _values(self) -> tuple[float, float, float, float]:
        return self.r, self.alpha, self.a, self.b


@dataclass(frozen=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma spend model.

    Attributes
    ----------
    p : float
        Shape of the spend per purchase around a customer's mean.
    q, v : float
        The customer-level rate ``nu ~ Gamma(shape q, rate v)``; mean spend per purchase of a
        random customer is ``p v / (q - 1)``. ``v`` is in the currency of ``monetary_value``.
    log_likelihood : float
        Maximised log-likelihood of the repeat customers' average spends.
    n_customers : int
        Repeat customers fitted.
    n_excluded : int
        Repeat customers left out for an average spend <= 0 (``on_nonpositive="exclude"``).
    converged : bool
        Whether the optimiser reached an interior optimum with a vanishing gradient.
    observed_mean_spend : float
        Mean average spend of the fitted customers: what customers without repeat purchase get
        when ``q <= 1`` (see :attr:`mean_spend`).
    frequency_spend_correlation : float
        Pearson correlation between frequency and average spend of the fitted customers. The
        model assumes them independent; far from 0 (say beyond +-0.3) the CLV is biased.
    standard_errors : dict
        Asymptotic standard errors of ``p``, ``q``, ``v``.
    message : str
        The optimiser's last word.
    """

    p: float
    q: float
    v: float
    log_likelihood: float
    n_customers: int
    n_excluded: int
    converged: bool
    observed_mean_spend: float = float("nan")
    frequency_spend_correlation: float = float("nan")
    standard_errors: dict[str, float] = field(default_factory=dict, compare=False)
    message: str = field(default="", compare=False)

    @property
    def params(self) -> dict[str, float]:
        """``{"p", "q", "v"}``."""
        return {"p": self.p, "q": self.q, "v": self.v}

    @property
    def finite_mean(self) -> bool:
        """Whether the model's mean spend ``p v / (q - 1)`` exists (``q > 1``)."""
        return self.q > 1.0

    @property
    def mean_spend(self) -> float:
        """Expected spend per purchase of a customer without repeat history.

        The model's ``p v / (q - 1)`` when ``q > 1``. With ``q <= 1`` average spends differ so
        much between customers (common when a portfolio mixes small trades and key accounts)
        that the model's mean is infinite; the observed mean average spend of the fitted
        repeat customers stands in for it.
        """
        return self.p * self.v / (self.q - 1.0) if self.finite_mean else self.observed_mean_spend


# --------------------------------------------------------------------------------------------
# Input checks


def _column(summary: pd.DataFrame, name: str, *, analysis: str) -> pd.Series:
    if name not in summary.columns:
        raise PortfolioDataError(
            "missing_attribute",
            file="summary",
            analysis=analysis,
            column=name,
            found=", ".join(map(str, summary.columns)),
        )
    column = summary[name]
    if column.dtype == np.float64:
        # Numbers already: the column as it is (its arrays read-only, never written to), not
        # a copy of a million values.
        return column
    return pd.to_numeric(column, errors="coerce").astype(float)


def _ids(summary: pd.DataFrame, customer_col: str) -> np.ndarray:
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
    ids = _ids(summary, customer_col)[where]
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


def _purchase_history(
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
    x = _column(summary, frequency_col, analysis=analysis).to_numpy()
    tx = _column(summary, recency_col, analysis=analysis).to_numpy()
    T = _column(summary, T_col, analysis=analysis).to_numpy()
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
    for column, values, bad, allowed, allowed_fr in checks:
        bad = bad & known
        if bad.any():
            raise _out_of_range(
                summary,
                bad,
                values,
                column=column,
                allowed=allowed,
                allowed_fr=allowed_fr,
                customer_col=customer_col,
            )
    return x, tx, T, known


def _check_repeat_customers(count: int, minimum: int, model: str) -> None:
    if count < minimum:
        raise PortfolioDataError(
            "too_few_repeat_customers", count=int(count), model=model, minimum=int(minimum)
        )


# --------------------------------------------------------------------------------------------
# Optimisation shared by both models


@dataclass(frozen=True)
class _Optimum:
    log_params: FloatArray
    mean_log_likelihood: float
    converged: bool
    reason: str
    message: str


def _maximise(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    start: FloatArray,
    names: Sequence[str],
) -> _Optimum:
    """Maximise a mean log-likelihood over log parameters; ``objective`` gives (-ll, -grad)."""
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(start)
    options = {"maxiter": 3000, "ftol": 1e-13, "gtol": 1e-9, "maxcor": 10}

    def safe(u: FloatArray) -> tuple[float, FloatArray]:
        with np.errstate(all="ignore"):
            value, grad = objective(u)
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros_like(u)
        return value, grad

    best = minimize(safe, start, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
    grad = safe(best.x)[1]
    at_bound = np.abs(best.x) >= _LOG_BOUND - 1e-3
    if np.max(np.abs(grad)) > _GRADIENT_TOLERANCE and not at_bound.any():
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
        return _Optimum(best.x, -value, False, "log-likelihood = NaN", str(best.message))
    if at_bound:
        reason = ", ".join(f"{n} → {math.exp(best.x[names.index(n)]):.3g}" for n in at_bound)
        return _Optimum(best.x, -value, False, reason, str(best.message))
    if worst > _GRADIENT_TOLERANCE:
        reason = f"max |gradient| = {worst:.2g}"
        return _Optimum(best.x, -value, False, reason, str(best.message))
    return _Optimum(best.x, -value, True, "", str(best.message))


def _standard_errors(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    log_params: FloatArray,
    total_weight: float,
    names: Sequence[str],
) -> dict[str, float]:
    """Standard errors from the observed information (finite differences of the gradient)."""
    k = len(log_params)
    step = 1e-6
    hessian = np.empty((k, k))
    with np.errstate(all="ignore"):
        base = objective(log_params)[1]
        for j in range(k):
            moved = log_params.copy()
            moved[j] += step
            hessian[:, j] = (objective(moved)[1] - base) / step
    hessian = (hessian + hessian.T) / 2 * total_weight
    nan = dict.fromkeys(names, float("nan"))
    if not np.all(np.isfinite(hessian)):
        return nan
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return nan
    variances = np.diag(covariance)
    if np.any(variances <= 0):
        return nan
    # delta method: sd(theta) = theta * sd(log theta)
    return {
        name: float(math.exp(u) * math.sqrt(variance))
        for name, u, variance in zip(names, log_params, variances, strict=True)
    }


def _check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def _failed(model: str, reason: str, on_nonconvergence: str) -> None:
    if on_nonconvergence == "error":
        raise PortfolioDataError("not_converged", model=model, reason=reason)
    warnings.warn(DataQualityWarning("not_converged", model=model, reason=reason), stacklevel=3)


# --------------------------------------------------------------------------------------------
# BG/NBD


def _dot(left: FloatArray, right: FloatArray) -> float:
    """Dot product of two vectors without BLAS.

    OpenBLAS threads woken by large ``@`` products keep spinning between optimiser steps and
    fight numpy for the cores: on a busy two-core machine a fit ran about five times slower.
    """
    return float(np.einsum("i,i->", left, right))


@dataclass(frozen=True)
class _BGNBDData:
    """Histories grouped on identical (x, t_x, T), in the fit's time unit.

    Times are stored once (``times``) and referred to by index, so each evaluation takes one
    logarithm per distinct time rather than per customer; sums of the terms that depend on x
    or on T alone are precomputed per distinct value.
    """

    unique_x: FloatArray  # distinct frequencies and the customers having each
    weight_x: FloatArray
    times: FloatArray  # distinct recencies and ages
    weight_T: FloatArray  # per distinct time: customers of that age, and their purchases
    purchases_T: FloatArray
    x: FloatArray  # groups with repeat purchases (x > 0)
    x_index: np.ndarray  # into unique_x
    tx_index: np.ndarray  # into times
    T_index: np.ndarray
    w: FloatArray

    @property
    def total_weight(self) -> float:
        return float(self.weight_x.sum())


def _group_histories(x: FloatArray, tx: FloatArray, T: FloatArray) -> _BGNBDData:
    tx = np.where(x > 0, tx, 0.0)
    # One int64 key per (x, t_x, T) from the hash codes of each column: sorting a million
    # keys is much cheaper than grouping on three float columns.
    codes = [pd.factorize(values)[0].astype(np.int64) for values in (x, tx, T)]
    sizes = [int(c.max()) + 1 for c in codes]
    if math.prod(sizes) < 2**62:
        key = (codes[0] * sizes[1] + codes[1]) * sizes[2] + codes[2]
        _, first, counts = np.unique(key, return_index=True, return_counts=True)
    else:  # pragma: no cover - needs more distinct values than customers on earth
        frame = pd.DataFrame({"x": x, "tx": tx, "T": T}).reset_index(drop=True)
        grouped = frame.groupby(["x", "tx", "T"], sort=False)
        first = grouped.head(1).index.to_numpy()
        counts = grouped.size().to_numpy()
    gx, gtx, gT, gw = x[first], tx[first], T[first], counts.astype(float)
    unique_x, x_index = np.unique(gx, return_inverse=True)
    times, time_index = np.unique(np.concatenate([gT, gtx]), return_inverse=True)
    T_index, tx_index = time_index[: len(gT)], time_index[len(gT) :]
    repeat = gx > 0
    return _BGNBDData(
        unique_x=unique_x,
        weight_x=np.bincount(x_index, weights=gw),
        times=times,
        weight_T=np.bincount(T_index, weights=gw, minlength=len(times)),
        purchases_T=np.bincount(T_index, weights=gw * gx, minlength=len(times)),
        x=gx[repeat],
        x_index=x_index[repeat],
        tx_index=tx_index[repeat],
        T_index=T_index[repeat],
        w=gw[repeat],
    )


def _bgnbd_objective(u: FloatArray, data: _BGNBDData) -> tuple[float, FloatArray]:
    """Negative mean log-likelihood of the BG/NBD and its gradient in log parameters.

    Per customer (FHL 2005, eq. 6): ln A1 + ln A2 + ln A3 + [x > 0] softplus(ln A4 - ln A3)
    with A1 = Gamma(r+x) alpha^r / Gamma(r), A2 = B(a, b+x) / B(a, b), A3 = (alpha+T)^-(r+x),
    A4 = a / (b+x-1) (alpha+t_x)^-(r+x); softplus(d) = ln(1 + e^d) = ln((A3 + A4) / A3).
    """
    r, alpha, a, b = np.exp(u)
    ux, wx = data.unique_x, data.weight_x
    n = data.total_weight
    log_alpha = math.log(alpha)
    # Terms of the frequency alone: once per distinct frequency.
    ll = _dot(wx, gammaln(r + ux) + betaln(a, b + ux))
    ll += n * (r * log_alpha - gammaln(r) - betaln(a, b))
    d_r = _dot(wx, digamma(r + ux)) + n * (log_alpha - digamma(r))
    d_alpha = n * r / alpha
    d_a = n * digamma(a + b) - _dot(wx, digamma(a + b + ux))
    d_b = _dot(wx, digamma(b + ux) - digamma(a + b + ux)) + n * (digamma(a + b) - digamma(b))
    # ln A3 = -(r + x) ln(alpha + T) for everyone: once per distinct age.
    log_t = np.log(alpha + data.times)
    inv_t = 1.0 / (alpha + data.times)
    ll -= r * _dot(data.weight_T, log_t) + _dot(data.purchases_T, log_t)
    d_r -= _dot(data.weight_T, log_t)
    d_alpha -= r * _dot(data.weight_T, inv_t) + _dot(data.purchases_T, inv_t)
    # Repeat customers: softplus(d), d = ln A4 - ln A3, and s = sigmoid(d) = A4 / (A3 + A4).
    rx, w = r + data.x, data.w
    log_bx = np.log(b + ux - 1.0, where=ux > 0, out=np.zeros_like(ux))[data.x_index]
    gap = log_t[data.tx_index] - log_t[data.T_index]
    d = math.log(a) - log_bx - rx * gap
    e = np.exp(-np.abs(d))
    ll += _dot(w, np.maximum(d, 0.0) + np.log1p(e))
    ws = w * np.where(d > 0, 1.0, e) / (1.0 + e)
    d_r -= _dot(ws, gap)
    d_alpha -= _dot(ws * rx, inv_t[data.tx_index] - inv_t[data.T_index])
    d_a += ws.sum() / a
    d_b -= _dot(ws, np.exp(-log_bx))
    grad = np.array([d_r, d_alpha, d_a, d_b]) * np.array([r, alpha, a, b])
    return -ll / n, -grad / n


def _bgnbd_start(data: _BGNBDData) -> FloatArray:
    # Mean purchase rate ~ repeat purchases per unit of observed time, with r = 1.
    purchases = data.purchases_T.sum()
    exposure = _dot(data.weight_T, data.times)
    alpha = exposure / max(purchases, 1.0)
    return np.log([1.0, float(np.clip(alpha, 1e-3, 1e5)), 1.0, 3.0])


def fit_bgnbd(
    summary: pd.DataFrame,
    *,
    time_unit_days: float = 7.0,
    min_repeat_customers: int = _MIN_REPEAT_CUSTOMERS,
    initial_params: Mapping[str, float] | None = None,
    on_nonconvergence: Literal["error", "warn"] = "error",
    frequency_col: str = "frequency",
    recency_col: str = "recency",
    T_col: str = "T",
    customer_col: str = "customer_id",
) -> BGNBDFit:
    """Fit the BG/NBD model by maximum likelihood.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer with ``frequency`` (repeat purchase days), ``recency`` and ``T``
        in days, as :func:`portfolio_lib.engine.aggregate.customer_summary` or
        ``Aggregates.customers`` give them. Prospects (all three missing) are skipped.
    time_unit_days : float, default 7
        Days per time unit of the fit (weeks). Predictions do not depend on it.
    min_repeat_customers : int, default 30
        Fewest customers with a repeat purchase accepted (below, the dropout is not
        identified and a ``too_few_repeat_customers`` error is raised).
    initial_params : mapping, optional
        Starting ``r``, ``alpha`` (in the time unit), ``a``, ``b``; default from the data.
    on_nonconvergence : {'error', 'warn'}, default 'error'
        Raise ``not_converged``, or warn and return the best point with ``converged=False``.
    frequency_col, recency_col, T_col, customer_col : str
        Column names (customer ids are used in error messages; the index when absent).

    Returns
    -------
    BGNBDFit

    Raises
    ------
    PortfolioDataError
        ``out_of_range`` (negative or inconsistent values), ``too_few_repeat_customers``,
        ``not_converged``.
    """
    _check_choice("on_nonconvergence", on_nonconvergence, ("error", "warn"))
    if not time_unit_days > 0:
        raise ValueError(f"time_unit_days must be positive, got {time_unit_days!r}")
    x, tx, T, known = _purchase_history(
        summary,
        frequency_col=frequency_col,
        recency_col=recency_col,
        T_col=T_col,
        customer_col=customer_col,
        analysis="BG/NBD",
    )
    x, tx, T = x[known], tx[known], T[known]
    repeat = int((x > 0).sum())
    _check_repeat_customers(repeat, min_repeat_customers, "BG/NBD")
    data = _group_histories(x, tx / time_unit_days, T / time_unit_days)
    names = ("r", "alpha", "a", "b")
    start = (
        np.log([float(initial_params[n]) for n in names])
        if initial_params is not None
        else _bgnbd_start(data)
    )

    def objective(u: FloatArray) -> tuple[float, FloatArray]:
        return _bgnbd_objective(u, data)

    optimum = _maximise(objective, start, names)
    if not optimum.converged:
        _failed("BG/NBD", optimum.reason, on_nonconvergence)
    r, alpha, a, b = (float(v) for v in np.exp(optimum.log_params))
    return BGNBDFit(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=optimum.mean_log_likelihood * data.total_weight,
        n_customers=len(x),
        n_repeat_customers=repeat,
        converged=optimum.converged,
        time_unit_days=float(time_unit_days),
        standard_errors=_standard_errors(objective, optimum.log_params, data.total_weight, names),
        message=optimum.reason or optimum.message,
    )


def _as_float(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=float)


def _log_odds_dead(
    params: tuple[float, float, float, float], x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """log P(dead) / P(alive) for customers with x > 0 (Fader, Hardie & Lee, note 021)."""
    r, alpha, a, b = params
    return (
        math.log(a)
        - np.log(b + np.maximum(x, 1.0) - 1.0)
        + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    )


def p_alive(fit: BGNBDFit, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:
    """Probability that a customer is still alive (will buy again some day).

    ``1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))``; exactly 1 for a
    customer without repeat purchase, who cannot have dropped out in the BG/NBD story.

    Parameters
    ----------
    fit : BGNBDFit
    frequency, recency, T : array-like
        Purchase histories; ``recency`` and ``T`` in days.

    Returns
    -------
    numpy.ndarray
        Broadcast shape of the inputs.

    Examples
    --------
    >>> fit = BGNBDFit(r=0.25, alpha=4.0, a=0.8, b=2.5, log_likelihood=0.0, n_customers=0,
    ...                n_repeat_customers=0, converged=True, time_unit_days=7.0)
    >>> # x = 2, t_x = 10 weeks, T = 20: odds dead = 0.8 / 3.5 * (24 / 14)^2.25 = 0.7686
    >>> p_alive(fit, [0, 2], [0, 70], [140, 140]).round(4).tolist()
    [1.0, 0.5654]
    """
    x, tx, T = np.broadcast_arrays(_as_float(frequency), _as_float(recency), _as_float(T))
    out = np.empty(x.shape)
    if x.ndim == 1 and len(x) >= _PARALLEL_MIN_VALUES:
        # Elementwise: two halves on two threads (numpy's loops release the GIL), same values.
        in_halves(lambda part: _p_alive_into(fit, x[part], tx[part], T[part], out[part]), len(x))
    else:
        _p_alive_into(fit, x, tx, T, out)
    return out


def _p_alive_into(
    fit: BGNBDFit, x: FloatArray, tx: FloatArray, T: FloatArray, work: FloatArray
) -> None:
    """:func:`p_alive` of same-shape float arrays, written into ``work``."""
    unit = fit.time_unit_days
    r, alpha, a, b = fit._values()
    # expit(-_log_odds_dead(fit._values(), x, tx / unit, T / unit)), each operation the same
    # (sums and products swapped only), on two buffers instead of a dozen temporaries.
    value = np.empty(x.shape)
    with np.errstate(divide="ignore", over="ignore"):
        np.divide(T, unit, out=value)
        value += alpha
        np.log(value, out=value)  # ln(alpha + T)
        np.divide(tx, unit, out=work)
        work += alpha
        np.log(work, out=work)  # ln(alpha + t_x)
        value -= work
        np.add(x, r, out=work)
        value *= work  # (r + x) (ln(alpha + T) - ln(alpha + t_x))
        np.maximum(x, 1.0, out=work)
        work += b
        work -= 1.0
        np.log(work, out=work)
        np.subtract(math.log(a), work, out=work)
        work += value  # log odds of being dead
        np.negative(work, out=work)
        expit(work, out=work)
    work[~(x > 0)] = 1.0


def _p_alive_of_pairs(
    fit: BGNBDFit, codes: np.ndarray, ux: FloatArray, uT: FloatArray, x: FloatArray, tx: FloatArray
) -> FloatArray:
    """:func:`p_alive` of customers given by their (x, T) pair, from :func:`_distinct_pairs`.

    ``codes``, ``ux``, ``uT``: each customer's pair and the distinct pairs; ``x``, ``tx``:
    the customers' own frequency and recency. The terms of x and T (ln(alpha + T), ln a -
    ln(b + max(x, 1) - 1), r + x) are computed once per pair and gathered, ln(alpha + t_x)
    per customer: the operations of :func:`_p_alive_into` on the same numbers, so the same
    bits, with two logarithms per pair instead of per customer.
    """
    unit = fit.time_unit_days
    r, alpha, a, b = fit._values()
    with np.errstate(divide="ignore", over="ignore"):
        age_logs = np.log(uT / unit + alpha)
        frequency_terms = math.log(a) - np.log(np.maximum(ux, 1.0) + b - 1.0)
    scales = ux + r
    out = np.empty(len(codes))

    def into(part: slice) -> None:
        work, pairs = out[part], codes[part]
        with np.errstate(divide="ignore", over="ignore"):
            np.divide(tx[part], unit, out=work)
            work += alpha
            np.log(work, out=work)  # ln(alpha + t_x)
            value = np.take(age_logs, pairs)
            value -= work
            value *= np.take(scales, pairs)  # (r + x) (ln(alpha + T) - ln(alpha + t_x))
            np.add(np.take(frequency_terms, pairs), value, out=work)  # log odds of being dead
            np.negative(work, out=work)
            expit(work, out=work)
        work[~(x[part] > 0)] = 1.0

    if len(codes) >= _PARALLEL_MIN_VALUES:
        in_halves(into, len(codes))  # elementwise: two threads, same values
    else:
        into(slice(0, len(codes)))
    return out


def _softplus(value: float) -> float:
    """ln(1 + e^value) without overflow."""
    return max(value, 0.0) + math.log1p(math.exp(-abs(value)))


def _alive_expectation_quadrature(
    params: tuple[float, float, float, float], x: FloatArray, T: FloatArray, t: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t] | alive at T, x] by adaptive quadrature (slow, robust).

    Given alive, lambda | data ~ Gamma(r + x, alpha + T) and p | data ~ Beta(a, b + x); the
    purchases before dropout in t have mean E[(1 - (1 + p k)^-(r+x)) / p], k = t / (alpha + T).
    Integrated over u = logit(p), where the Beta density is a smooth bump with exponential tails
    (no endpoint singularity), split at its mode ln(a / (b + x)) and at the integrand's bend
    u = -ln k. Used only where the hypergeometric form fails.
    """
    r, alpha, a, b = params
    out = np.empty(x.shape)
    for i, (xi, Ti, ti) in enumerate(zip(x, T, t, strict=True)):
        k, order, tail = ti / (alpha + Ti), r + xi, b + xi
        log_norm = betaln(a, tail)

        def integrand(
            u: float, k: float = k, order: float = order, tail: float = tail, norm: float = log_norm
        ) -> float:
            log_p, log_q = -_softplus(-u), -_softplus(u)  # ln p, ln(1 - p)
            p = math.exp(log_p)
            purchases = -math.expm1(-order * math.log1p(p * k)) / p if p > 0 else order * k
            return purchases * math.exp(a * log_p + tail * log_q - norm)

        cuts = sorted((math.log(a / tail), -math.log(k)))
        pieces = ((-np.inf, cuts[0]), (cuts[0], cuts[1]), (cuts[1], np.inf))
        with _QUADRATURE_LOCK, warnings.catch_warnings():
            # QUADPACK warns when roundoff stops it short of 1e-11; it is then at ~1e-10.
            warnings.simplefilter("ignore", IntegrationWarning)
            out[i] = sum(
                quad(integrand, lo, hi, limit=200, epsabs=0.0, epsrel=1e-11)[0]
                for lo, hi in pieces
                if hi > lo
            )
    return out


def _alive_expectation_series_stepwise(
    params: tuple[float, float, float, float], x: FloatArray, T: FloatArray, t: FloatArray
) -> tuple[FloatArray, np.ndarray]:
    """Short-horizon E[purchases | alive] as a power series in k = t / (alpha + T), term by term.

    E[(1 - exp(-lambda p t)) / p] = sum_n>=1 (-1)^(n+1) t^n E[lambda^n] E[p^(n-1)] / n! with
    E[lambda^n] = (r+x)_n / (alpha+T)^n and E[p^(n-1)] = (a)_(n-1) / (a+b+x)_(n-1): terms of
    ratio -> -k, so for k <= 1/2 they soon fall fast and alternate. The 2F1 form loses digits
    for small k (its bracket is 1 minus a number close to 1). Returns the values and where they
    are reliable: converged, without terms so large that their rounding matters.
    """
    r, alpha, a, b = params
    k = t / (alpha + T)
    term = (r + x) * k
    total = term.copy()
    largest = np.abs(term)
    converged = np.zeros(len(x), dtype=bool)
    # The entries still summing, compacted (position, r + x, a + b + x, k, their running sum
    # and largest term), each step in preallocated buffers. Every entry goes through the
    # operations of term_n = -term_(n-1) (r + x + n) (a + n - 1) k / ((a + b + x + n - 1)
    # (n + 1)) in that order (r + x + n is (r + x) + n; negating is exact, whatever its
    # place): the same values bit for bit, without gathering and scattering the totals at
    # every step.
    active = np.arange(len(x))
    rx, abx, ka = r + x, a + b + x, k
    running, peak = total.copy(), largest.copy()
    buffers = (term.copy(), np.empty(len(x)))
    current = 0  # buffers[current] holds the latest terms
    denominator, size = np.empty(len(x)), np.empty(len(x))
    for n in range(1, _SERIES_TERMS):
        m = len(active)
        previous, terms = buffers[current][:m], buffers[1 - current][:m]
        below, magnitude = denominator[:m], size[:m]
        np.add(rx, n, out=terms)
        np.multiply(previous, terms, out=terms)
        terms *= -(a + n - 1.0)
        terms *= ka
        np.add(abx, n, out=below)
        below -= 1.0
        below *= n + 1.0
        terms /= below
        current = 1 - current
        running += terms
        np.abs(terms, out=magnitude)
        np.maximum(peak, magnitude, out=peak)
        np.abs(running, out=below)
        below *= 1e-17
        done = magnitude <= below
        if done.any():
            finished = active[done]
            total[finished], largest[finished] = running[done], peak[done]
            converged[finished] = True
            keep = ~done
            active, rx, abx, ka = active[keep], rx[keep], abx[keep], ka[keep]
            running, peak = running[keep], peak[keep]
            buffers[current][: len(active)] = terms[keep]
            if not len(active):
                break
    total[active], largest[active] = running, peak
    return total, converged & (largest <= 1e3 * np.abs(total))


def _frequency_codes(x: FloatArray) -> tuple[np.ndarray, FloatArray]:
    """Codes of the frequencies and the values they stand for (``values[codes] == x``).

    Whole frequencies (the usual case) are their own codes, values 0..max(x): one conversion
    instead of hashing a million floats; other values are factorized.
    """
    if len(x):
        codes = x.astype(np.intp)
        largest = int(codes.max())
        if codes.min() >= 0 and largest <= 4 * len(x) + 1024 and np.array_equal(codes, x):
            return codes, np.arange(largest + 1, dtype=float)
    return pd.factorize(x)


def _numbered_cells(cells: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Each entry's number among the occupied cells, and those cells (ascending).

    Cells are ``0 <= cells < size``, numbered in cell order: a count of the cells instead of
    hashing a million keys.
    """
    occupied = np.bincount(cells, minlength=size) > 0
    return (np.cumsum(occupied) - 1)[cells], np.flatnonzero(occupied)


def _horner(table: FloatArray, codes: np.ndarray, step: FloatArray) -> FloatArray:
    """``sum_n table[n, codes] step^n`` by Horner's rule, polynomial ``codes`` per entry.

    In chunks that stay in the CPU cache across the passes (a pass over a million entries per
    coefficient would be bound by memory bandwidth); each entry's operations are the same.
    """
    out = np.empty(len(codes))
    degree = len(table)
    for start in range(0, len(codes), _HORNER_CHUNK):
        part = slice(start, start + _HORNER_CHUNK)
        chunk_codes, chunk_step = codes[part], step[part]
        total = np.take(table[degree - 1], chunk_codes)
        term = np.empty(len(chunk_codes))
        for n in range(degree - 2, -1, -1):
            total *= chunk_step
            total += np.take(table[n], chunk_codes, out=term)
        out[part] = total
    return out


def _series_coefficients(params: tuple[float, float, float, float], x: FloatArray) -> FloatArray:
    """Coefficients c_n of k^n (n = 1.._SERIES_TERMS, rows) of the short-horizon series, per x.

    c_1 = r + x, c_(n+1) = -c_n (r + x + n) (a + n - 1) / ((a + b + x + n - 1) (n + 1)): the
    term recursion of :func:`_alive_expectation_series_stepwise` without its factor k.
    Coefficients that overflow (large r, small b) are inf or NaN: their entries fail the
    checks of :func:`_alive_expectation_series` and go term by term.
    """
    r, _, a, b = params
    out = np.empty((_SERIES_TERMS, len(x)))
    out[0] = r + x
    with np.errstate(all="ignore"):
        for n in range(1, _SERIES_TERMS):
            np.multiply(out[n - 1], -(a + n - 1.0) / (n + 1.0), out=out[n])
            out[n] *= (r + x + n) / (a + b + x + n - 1.0)
    return out


def _shifted_series(table: FloatArray, centre: float) -> FloatArray:
    """Taylor coefficients around ``centre`` of sum_n table[n-1] k^n (one column per series).

    e_m = sum_n c_n C(n, m) centre^(n-m), m < _TAYLOR_TERMS, accumulated power by power
    (column by column the same operations: no matrix product whose rounding could depend
    on the other columns).
    """
    out = np.zeros((_TAYLOR_TERMS, table.shape[1]))
    with np.errstate(all="ignore"):
        for n in range(1, len(table) + 1):
            if not table[n - 1].any():
                continue
            top = min(n, _TAYLOR_TERMS - 1)
            weights = np.array([math.comb(n, m) * centre ** (n - m) for m in range(top + 1)])
            out[: top + 1] += weights[:, None] * table[n - 1]
    return out


def _alive_expectation_series(
    params: tuple[float, float, float, float], x: FloatArray, T: FloatArray, t: FloatArray
) -> tuple[FloatArray, np.ndarray]:
    """:func:`_alive_expectation_series_stepwise` as polynomials in k, coefficients shared by x.

    The coefficients depend on x alone (a few hundred distinct frequencies for a million
    histories x months): computed once per x, each entry is then a Horner evaluation. The
    entries are taken by octave of k, (K 2^-(j+1), K 2^-j] with K = _SERIES_MAX_K, where
    E (increasing in k) is at least its value S at the octave's lower end; an x's polynomial
    is cut after the last term above 1e-17 S at the octave's upper end (the terms beyond
    cannot move the sum), its higher coefficients set to 0 (so Horner gives the same bits
    whatever else is evaluated alongside). The cut polynomials are re-expanded around the
    octave's centre (Taylor coefficients, themselves cut where their terms at the octave's
    ends fall below 1e-17 S): ~16 terms for what took ~50 powers of k near k = 1/2. Where
    those bounds are not met (in _SERIES_TERMS or _TAYLOR_TERMS terms), or a term may exceed
    1e3 S (the sum then loses digits), the entry is summed term by term, with that routine's
    verdict on reliability. Agrees with the term-by-term sum to rounding (2e-15 relative on
    the benchmark's fit).
    """
    r, alpha, a, b = params
    values = np.empty(len(x))
    reliable = np.zeros(len(x), dtype=bool)
    if not len(x):
        return values, reliable
    inverse, distinct = _frequency_codes(x)
    coefficients = _series_coefficients(params, distinct)
    k = t / (alpha + T)
    with np.errstate(all="ignore"):
        octave = np.floor(np.log2(_SERIES_MAX_K / k))
    stepwise = ~(np.isfinite(octave) & (octave >= 0))
    powers = np.arange(1, _SERIES_TERMS + 1, dtype=float)[:, None]
    rank = np.arange(_SERIES_TERMS)[:, None]
    for j in np.unique(octave[~stepwise]):
        rows = np.flatnonzero(octave == j)
        present = np.flatnonzero(np.bincount(inverse[rows], minlength=len(distinct)))
        table = coefficients[:, present]
        high = _SERIES_MAX_K * 2.0**-j
        with np.errstate(all="ignore"):
            low_sum = (table * (high / 2.0) ** powers).sum(axis=0)
            sizes = np.abs(table) * high**powers
            above = ~(sizes <= 1e-17 * low_sum)
            used = _SERIES_TERMS - np.argmax(above[::-1], axis=0)  # 1 + last term above
            usable = (
                (low_sum > 0)
                & ~above[-1]
                & np.all(np.isfinite(table) | (rank >= used), axis=0)
                & (np.max(np.where(rank < used, sizes, 0.0), axis=0) <= 1e3 * low_sum)
            )
        # The cut polynomials re-expanded around the octave's centre k0 (Taylor coefficients
        # e_m = sum_n c_n C(n, m) k0^(n-m)): within a quarter of the octave of k0, a few terms
        # do what dozens of powers of k did near k = 1/2.
        centre, reach = 0.75 * high, 0.25 * high
        candidates = np.flatnonzero(usable)
        shifted = _shifted_series(np.where(rank < used, table, 0.0)[:, candidates], centre)
        with np.errstate(all="ignore"):
            sizes = np.abs(shifted) * reach ** rank[:_TAYLOR_TERMS]
            above = ~(sizes <= 1e-17 * low_sum[candidates])
            used_shifted = _TAYLOR_TERMS - np.argmax(above[::-1], axis=0)
        converged = ~above[-1] & np.all(np.isfinite(shifted), axis=0)
        usable = np.zeros(len(present), dtype=bool)
        usable[candidates[converged]] = True
        usable_x = np.zeros(len(distinct), dtype=bool)
        usable_x[present[usable]] = True
        rows_usable = rows[usable_x[inverse[rows]]]
        stepwise[rows[~usable_x[inverse[rows]]]] = True
        if not len(rows_usable):
            continue
        degree = int(used_shifted[converged].max())
        cut = np.zeros((degree, len(distinct)))
        cut[:, present[usable]] = np.where(
            rank[:degree] < used_shifted[converged], shifted[:degree, converged], 0.0
        )
        values[rows_usable] = _horner(cut, inverse[rows_usable], k[rows_usable] - centre)
        reliable[rows_usable] = True
    if stepwise.any():
        values[stepwise], reliable[stepwise] = _alive_expectation_series_stepwise(
            params, x[stepwise], T[stepwise], t[stepwise]
        )
    return values, reliable


def _long_horizon_factor(
    params: tuple[float, float, float, float], x: FloatArray, k: FloatArray
) -> tuple[FloatArray, np.ndarray]:
    """G = (1 + k)^(1-a) 2F1(a+b-1-r, a-1; a+b+x-1; k/(1+k)) by Taylor series, 1/2 < k <= 64.

    G = 2F1(r+x, a-1; a+b+x-1; -k) (Pfaff) is analytic in k but for its branch point at
    k = -1, so around a centre k0 its Taylor series converges for |k - k0| < 1 + k0. The
    centres are evenly spaced in ln(1 + k), every entry within (1 + k0) / 8 of its own; the
    coefficients depend on (x, k0) alone (a few thousand pairs for a million entries), each
    from scipy's 2F1: G^(m)(k0) / m! = (-1)^m (r+x)_m (a-1)_m / ((a+b+x-1)_m m!)
    (1+k0)^(1-a-m) 2F1(a+b-1-r, a-1+m; a+b+x-1+m; k0/(1+k0)) (derivatives of 2F1, and Pfaff
    again). Each entry is then a Horner evaluation, cut as the short-horizon series where the
    terms at the edge of the centre's range fall below 1e-17 G there (G decreases in k).
    Returns G and where it was computed (k in range, a usable series); the caller takes
    scipy's 2F1 for the others.
    """
    r, _, a, b = params
    value = np.full(len(x), np.nan)
    with np.errstate(all="ignore"):
        centre = np.rint((np.log1p(k) - math.log1p(_SERIES_MAX_K)) / _TAYLOR_SPACING)
    eligible = (k > _SERIES_MAX_K) & (k <= _TAYLOR_MAX_K) & np.isfinite(centre)
    rows = None if eligible.all() else np.flatnonzero(eligible)
    if rows is not None and not len(rows):
        return value, eligible
    xe, ke, ce = (x, k, centre) if rows is None else (x[rows], k[rows], centre[rows])
    # One code per (x, centre) pair present, numbered in (x, centre) order.
    x_codes, distinct = _frequency_codes(xe)
    first = float(ce.min())
    span = int(ce.max() - first) + 1
    codes, pairs = _numbered_cells(
        x_codes * span + (ce - first).astype(np.intp), len(distinct) * span
    )
    xp, scale = (
        distinct[pairs // span],
        np.exp(math.log1p(_SERIES_MAX_K) + (pairs % span + first) * _TAYLOR_SPACING),
    )  # 1 + k0
    k0 = scale - 1.0
    m = np.arange(_TAYLOR_TERMS, dtype=float)[:, None]
    c = a + b + xp - 1.0
    with np.errstate(all="ignore"):
        hyp = hyp2f1(a + b - 1.0 - r, a - 1.0 + m, c + m, k0 / scale)
        ratios = -(r + xp + m[:-1]) * (a - 1.0 + m[:-1]) / ((c + m[:-1]) * (m[:-1] + 1.0) * scale)
        table = np.vstack([scale ** (1.0 - a), ratios]).cumprod(axis=0) * hyp
        reach = scale * (math.exp(_TAYLOR_SPACING / 2.0) - 1.0)  # largest |k - k0| in range
        far_value = (table * reach**m).sum(axis=0)  # G at the far end of the range (G > 0)
        sizes = np.abs(table) * reach**m
        above = ~(sizes <= 1e-17 * far_value)
        used = _TAYLOR_TERMS - np.argmax(above[::-1], axis=0)  # 1 + last term above
        rank = np.arange(_TAYLOR_TERMS)[:, None]
        usable = (far_value > 0) & ~above[-1] & np.all(np.isfinite(table) | (rank >= used), axis=0)
    if not usable.any():
        return value, np.zeros(len(x), dtype=bool)
    degree = int(used[usable].max())
    cut = np.where((rank[:degree] < used) & usable, table[:degree], 0.0)
    found = _horner(cut, codes, ke - k0[codes])
    done = usable[codes]
    if not done.all():
        found[~done] = np.nan
    if rows is None:
        value, done_all = found, done
    else:
        value[rows], done_all = found, np.zeros(len(x), dtype=bool)
        done_all[rows] = done
    return value, done_all


def _alive_expectation(
    params: tuple[float, float, float, float],
    x: FloatArray,
    T: FloatArray,
    t: FloatArray,
    *,
    near_one: bool = True,
    by_frequency: bool = True,
) -> FloatArray:
    """E[purchases in (T, T+t] | alive at T, x] in the fit's time unit (arrays, same shape).

    FHL 2005 eq. 10 without its P(alive) factor:
    (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)], with
    z = t / (alpha+T+t). Euler's transformation 2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A,C-B;C;z)
    turns the bracket into 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose parameters stay
    small for large x (the original 2F1 overflows as z -> 1 while its factor underflows).
    Short horizons use a power series instead, ``a`` near 1 an interpolation in ``a``; from
    _TAYLOR_MIN_VALUES entries on, the long horizons' bracket factor comes from Taylor series
    whose coefficients are shared by frequency (:func:`_long_horizon_factor`); with
    ``by_frequency`` False the short horizons' series is summed term by term instead (what
    pays for a few entries per frequency; the same to rounding). Values
    that fail a sanity check (not finite, or outside 0 <= E <= E[lambda | data] t: scipy's 2F1
    returns NaN for some integer parameter combinations) are recomputed by quadrature.
    """
    r, alpha, a, b = params
    value = np.zeros(x.shape)
    todo = t > 0
    short = todo & (t <= _SERIES_MAX_K * (alpha + T))
    if short.any():
        series, reliable = (
            _alive_expectation_series if by_frequency else _alive_expectation_series_stepwise
        )(params, x[short], T[short], t[short])
        where = np.flatnonzero(short)
        value[where[reliable]] = series[reliable]
        todo[where[reliable]] = False
    if not todo.any():
        return value
    if near_one and abs(a - 1.0) < _NEAR_ONE:
        # (a+b+x-1)/(a-1) * bracket is 0/0 at a = 1, yet E is smooth in a: cubic Lagrange
        # interpolation through a = 1 - 2h, 1 - h, 1 + h, 1 + 2h.
        nodes = np.array([-2.0, -1.0, 1.0, 2.0]) * _NEAR_ONE
        values = [
            _alive_expectation(
                (r, alpha, 1.0 + d, b),
                x[todo],
                T[todo],
                t[todo],
                near_one=False,
                by_frequency=by_frequency,
            )
            for d in nodes
        ]
        offset = a - 1.0
        value[todo] = sum(
            v * math.prod((offset - nodes[m]) / (nodes[j] - nodes[m]) for m in range(4) if m != j)
            for j, v in enumerate(values)
        )
        return value
    xs, Ts, ts = x[todo], T[todo], t[todo]
    c = a + b + xs - 1.0
    with np.errstate(all="ignore"):
        # hyp: 2F1(...) of scipy, or (1 + k)^(1-a) 2F1(...) by Taylor series (positive both).
        if len(xs) >= _TAYLOR_MIN_VALUES:
            hyp, by_taylor = _long_horizon_factor(params, xs, ts / (alpha + Ts))
            found = c / (a - 1.0) * (1.0 - hyp)
        else:
            hyp, found, by_taylor = np.empty(len(xs)), np.empty(len(xs)), np.zeros(len(xs), bool)
        if not by_taylor.all():
            rest = np.flatnonzero(~by_taylor)
            Tr, tr, cr = Ts[rest], ts[rest], c[rest]
            hyp[rest] = scipy_hyp = hyp2f1(a + b - 1.0 - r, a - 1.0, cr, tr / (alpha + Tr + tr))
            found[rest] = (
                cr
                / (a - 1.0)
                * -np.expm1(-(a - 1.0) * np.log1p(tr / (alpha + Tr)) + np.log(scipy_hyp))
            )
        ceiling = (r + xs) / (alpha + Ts) * ts
    bad = ~np.isfinite(found) | ~(hyp > 0) | (found < 0) | (found > ceiling * (1 + 1e-9))
    if bad.any():
        found[bad] = _alive_expectation_quadrature(params, xs[bad], Ts[bad], ts[bad])
    value[todo] = found
    return value


def conditional_expected_purchases(
    fit: BGNBDFit, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Expected purchases in the next ``t`` days of customers with a known history.

    FHL 2005 eq. 10: ``P(alive) * (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
    2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]``, evaluated in a stable form (see the module
    source) with a quadrature fallback where the hypergeometric function fails.

    Parameters
    ----------
    fit : BGNBDFit
    t : float or array-like
        Horizon in days (broadcast with the histories).
    frequency, recency, T : array-like
        Purchase histories; ``recency`` and ``T`` in days.

    Returns
    -------
    numpy.ndarray
    """
    t, x, tx, T = np.broadcast_arrays(
        _as_float(t), _as_float(frequency), _as_float(recency), _as_float(T)
    )
    unit = fit.time_unit_days
    alive = p_alive(fit, x, tx, T)
    return alive * _alive_expectation(
        fit._values(), x.ravel(), T.ravel() / unit, t.ravel() / unit
    ).reshape(x.shape)


def expected_purchases(fit: BGNBDFit, t: ArrayLike) -> FloatArray:
    """Expected repeat purchases in the first ``t`` days of a new customer (FHL 2005 eq. 9).

    ``(a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]``.

    Parameters
    ----------
    fit : BGNBDFit
    t : float or array-like
        Days since the first purchase.

    Returns
    -------
    numpy.ndarray
    """
    t = _as_float(t)
    flat = t.ravel() / fit.time_unit_days
    zeros = np.zeros_like(flat)
    return _alive_expectation(fit._values(), zeros, zeros, flat).reshape(t.shape)


def probability_of_purchases(fit: BGNBDFit, t: ArrayLike, n: ArrayLike) -> FloatArray:
    """P(a new customer makes exactly ``n`` repeat purchases in ``t`` days) (FHL 2005 eq. 8).

    ``B(a, b+n)/B(a, b) NB(n; r, alpha/(alpha+t)) + [n > 0] B(a+1, b+n-1)/B(a, b)
    P(NB(r, alpha/(alpha+t)) >= n)``, the negative-binomial tail taken as a regularised
    incomplete beta function rather than one minus a finite sum (no cancellation).

    Parameters
    ----------
    fit : BGNBDFit
    t : float or array-like
        Days since the first purchase (broadcast with ``n``).
    n : int or array-like
        Numbers of repeat purchases.

    Returns
    -------
    numpy.ndarray
    """
    r, alpha, a, b = fit._values()
    t, n = np.broadcast_arrays(_as_float(t) / fit.time_unit_days, _as_float(n))
    share = t / (alpha + t)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_first = (
            betaln(a, b + n)
            - betaln(a, b)
            + gammaln(r + n)
            - gammaln(r)
            - gammaln(n + 1)
            - r * np.log1p(t / alpha)
            + xlogy(n, share)
        )
        tail = np.exp(betaln(a + 1, b + n - 1) - betaln(a, b)) * betainc(
            np.maximum(n, 1.0), r, share
        )
    return np.exp(log_first) + np.where(n > 0, tail, 0.0)


# --------------------------------------------------------------------------------------------
# Gamma-Gamma


@dataclass(frozen=True)
class _SpendData:
    x: FloatArray
    m: FloatArray  # average spend divided by `scale`
    xm: FloatArray  # x * m
    scale: float
    unique_x: FloatArray
    weight_x: FloatArray
    sum_x_log_m: float
    sum_log_m: float
    sum_x_log_x: float


def _spend_data(x: FloatArray, m: FloatArray) -> _SpendData:
    # Spend rescaled by its median so v is of order one for the optimiser.
    scale = float(np.median(m))
    ms = m / scale
    unique_x, inverse = np.unique(x, return_inverse=True)
    return _SpendData(
        x=x,
        m=ms,
        xm=x * ms,
        scale=scale,
        unique_x=unique_x,
        weight_x=np.bincount(inverse).astype(float),
        sum_x_log_m=_dot(x, np.log(ms)),
        sum_log_m=float(np.log(ms).sum()),
        sum_x_log_x=_dot(x, np.log(x)),
    )


def _gamma_gamma_objective(u: FloatArray, data: _SpendData) -> tuple[float, FloatArray]:
    """Negative mean log-likelihood of the Gamma-Gamma model and its gradient (log params).

    Per repeat customer (Fader & Hardie 2013, eq. 1a): ln Gamma(px+q) - ln Gamma(px) -
    ln Gamma(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(v + x m).
    """
    p, q, v = np.exp(u)
    ux, wx = data.unique_x, data.weight_x
    n = float(len(data.x))
    log_v_xm = np.log(v + data.xm)
    inv_v_xm = 1.0 / (v + data.xm)
    x_log, sum_log = _dot(data.x, log_v_xm), log_v_xm.sum()
    ll = (
        _dot(wx, gammaln(p * ux + q) - gammaln(p * ux))
        - n * gammaln(q)
        + n * q * math.log(v)
        + p * (data.sum_x_log_m + data.sum_x_log_x)
        - data.sum_log_m
        - p * x_log
        - q * sum_log
    )
    d_p = (
        _dot(wx, ux * (digamma(p * ux + q) - digamma(p * ux)))
        + data.sum_x_log_m
        + data.sum_x_log_x
        - x_log
    )
    d_q = _dot(wx, digamma(p * ux + q)) - n * digamma(q) + n * math.log(v) - sum_log
    d_v = n * q / v - p * _dot(data.x, inv_v_xm) - q * inv_v_xm.sum()
    grad = np.array([d_p, d_q, d_v]) * np.array([p, q, v])
    return -ll / n, -grad / n


def fit_gamma_gamma(
    summary: pd.DataFrame,
    *,
    on_nonpositive: Literal["error", "exclude"] = "error",
    min_repeat_customers: int = _MIN_REPEAT_CUSTOMERS,
    initial_params: Mapping[str, float] | None = None,
    on_nonconvergence: Literal["error", "warn"] = "error",
    frequency_col: str = "frequency",
    monetary_value_col: str = "monetary_value",
    customer_col: str = "customer_id",
) -> GammaGammaFit:
    """Fit the Gamma-Gamma spend model on the repeat customers (frequency > 0).

    Parameters
    ----------
    summary : pandas.DataFrame
        ``frequency`` and ``monetary_value`` (mean spend of the repeat purchase days, as
        :func:`portfolio_lib.engine.aggregate.customer_summary` gives it) per customer.
    on_nonpositive : {'error', 'exclude'}, default 'error'
        Repeat customers whose average spend is <= 0 (credit notes): raise ``negative_spend``,
        or leave them out of the fit with a warning (:func:`expected_spend` then gives them the
        portfolio mean).
    min_repeat_customers : int, default 30
        Fewest repeat customers (after exclusion) accepted.
    initial_params : mapping, optional
        Starting ``p``, ``q``, ``v``.
    on_nonconvergence : {'error', 'warn'}, default 'error'
        Raise ``not_converged``, or warn and return the best point with ``converged=False``.
    frequency_col, monetary_value_col, customer_col : str
        Column names.

    Returns
    -------
    GammaGammaFit
        Check ``finite_mean``: with ``q <= 1`` customers without repeat purchase are valued at
        the observed mean spend (see :attr:`GammaGammaFit.mean_spend`), and fitting by segment
        often gives more homogeneous spends. Check also ``frequency_spend_correlation``.
    """
    _check_choice("on_nonpositive", on_nonpositive, ("error", "exclude"))
    _check_choice("on_nonconvergence", on_nonconvergence, ("error", "warn"))
    x = _column(summary, frequency_col, analysis="Gamma-Gamma").to_numpy()
    m = _column(summary, monetary_value_col, analysis="Gamma-Gamma").to_numpy()
    repeat = np.nan_to_num(x) > 0
    nonpositive = repeat & ~(m > 0)
    if nonpositive.any():
        ids = _ids(summary, customer_col)[nonpositive]
        if on_nonpositive == "error":
            raise PortfolioDataError(
                "negative_spend", count=int(nonpositive.sum()), examples=ids, model="Gamma-Gamma"
            )
        warnings.warn(
            DataQualityWarning(
                "negative_spend", count=int(nonpositive.sum()), examples=ids, model="Gamma-Gamma"
            ),
            stacklevel=2,
        )
    keep = repeat & ~nonpositive
    x, m = x[keep], m[keep]
    _check_repeat_customers(len(x), min_repeat_customers, "Gamma-Gamma")
    data = _spend_data(x, m)
    names = ("p", "q", "v")
    if initial_params is not None:
        start = np.log([initial_params["p"], initial_params["q"], initial_params["v"] / data.scale])
    else:
        # p = 2, q = 3 and v matching the mean average spend: p v / (q - 1) = mean.
        start = np.log([2.0, 3.0, float(np.mean(data.m))])

    def objective(u: FloatArray) -> tuple[float, FloatArray]:
        return _gamma_gamma_objective(u, data)

    optimum = _maximise(objective, start, names)
    p, q, v_scaled = (float(val) for val in np.exp(optimum.log_params))
    if not optimum.converged:
        _failed("Gamma-Gamma", optimum.reason, on_nonconvergence)
    errors = _standard_errors(objective, optimum.log_params, float(len(x)), names)
    errors["v"] *= data.scale
    with np.errstate(all="ignore"):
        correlation = float(np.corrcoef(x, m)[0, 1]) if len(x) > 1 else float("nan")
    return GammaGammaFit(
        p=p,
        q=q,
        v=v_scaled * data.scale,
        # the density of m is that of m / scale divided by scale
        log_likelihood=optimum.mean_log_likelihood * len(x) - len(x) * math.log(data.scale),
        n_customers=len(x),
        n_excluded=int(nonpositive.sum()),
        converged=optimum.converged,
        observed_mean_spend=float(np.mean(m)),
        frequency_spend_correlation=correlation,
        standard_errors=errors,
        message=optimum.reason or optimum.message,
    )


def expected_spend(
    fit: GammaGammaFit, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """Expected spend per future purchase (Fader & Hardie 2013, eq. 5).

    ``(p v + p x m) / (p x + q - 1)``: a weighted mean of the portfolio mean ``p v / (q - 1)``
    and the customer's own average ``m``, the more weight to ``m`` the more purchases ``x``.
    Customers without repeat purchase, or whose average spend is <= 0 or missing (left out
    of the fit), get :attr:`GammaGammaFit.mean_spend`. Where ``p x + q <= 1`` the posterior
    mean does not exist and the customer's own average is returned.

    Parameters
    ----------
    fit : GammaGammaFit
    frequency, monetary_value : array-like

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> fit = GammaGammaFit(p=6.0, q=4.0, v=15.0, log_likelihood=0.0, n_customers=0,
    ...                     n_excluded=0, converged=True)
    >>> expected_spend(fit, [0, 2], [0.0, 40.0]).tolist()  # 90/3; (90 + 480) / 15
    [30.0, 38.0]
    """
    x, m = np.broadcast_arrays(_as_float(frequency), _as_float(monetary_value))
    spend = np.empty(x.shape)
    if x.ndim == 1 and len(x) >= _PARALLEL_MIN_VALUES:
        # Elementwise: two halves on two threads, as in p_alive (same values).
        in_halves(lambda part: _expected_spend_into(fit, x[part], m[part], spend[part]), len(x))
    else:
        _expected_spend_into(fit, x, m, spend)
    return spend


def _expected_spend_into(
    fit: GammaGammaFit, x: FloatArray, m: FloatArray, spend: FloatArray
) -> None:
    """:func:`expected_spend` of same-shape float arrays, written into ``spend``."""
    p, q, v = fit.p, fit.q, fit.v
    # (p v + p x m) / (p x + q - 1) where usable, with in-place steps (same operations).
    weight = np.empty(x.shape)
    np.multiply(x, p, out=spend)
    np.add(spend, q, out=weight)
    weight -= 1.0
    with np.errstate(all="ignore"):
        spend *= m
        spend += p * v
        spend /= weight
    np.copyto(spend, m, where=~(weight > 0))  # no posterior mean: the customer's average
    np.copyto(spend, fit.mean_spend, where=~((x > 0) & (m > 0)))


# --------------------------------------------------------------------------------------------
# CLV


def _margin_rates(
    summary: pd.DataFrame, margin_rate: float | pd.Series | None, n: int
) -> FloatArray:
    if margin_rate is None:
        if {"margin", "revenue"} <= set(summary.columns) and summary["margin"].notna().any():
            rate = _portfolio_margin_rate(summary["revenue"], summary["margin"])
            if rate is not None:
                return np.full(n, rate)
            rows = summary["revenue"] > 0
            revenue = float(summary.loc[rows, "revenue"].sum())
            if revenue > 0:
                return np.full(n, float(summary.loc[rows, "margin"].sum()) / revenue)
        return np.full(n, float(DEFAULTS["default_margin_rate"]))
    if isinstance(margin_rate, pd.Series):
        # A copy: the result's column must not be a view of the caller's Series.
        return margin_rate.reindex(summary.index).to_numpy(float, copy=True)
    return np.full(n, float(margin_rate))


def _portfolio_margin_rate(revenue: pd.Series, margin: pd.Series) -> float | None:
    """Margin / revenue over the rows with revenue > 0, for float columns (None otherwise).

    The sums of ``summary.loc[rows, column].sum()`` (missing margins as 0, numpy's pairwise
    sum of the selected values in order) without building the filtered Series. None as well
    when that revenue is not positive: the caller falls back to the default rate.
    """
    if revenue.dtype != np.float64 or margin.dtype != np.float64:
        return None
    values = revenue.to_numpy()
    rows = values > 0
    total = float(values[rows].sum())
    if not total > 0:
        return None
    selected = margin.to_numpy()[rows]
    return float(np.where(np.isnan(selected), 0.0, selected).sum()) / total


def _distinct_pairs(x: FloatArray, T: FloatArray) -> tuple[np.ndarray, FloatArray, FloatArray]:
    """Codes of the distinct (x, T) pairs, and the pairs, sorted by x then T.

    Faster than a MultiIndex: whole numbers below 2^31 (frequencies and ages in days) are
    looked up in a table of every (x, T) pair when it is small (a few cells per customer),
    else packed into one integer per customer and factorized once; other values take three
    factorizations.
    """
    whole = len(x) > 0 and all(
        bool(((v >= 0) & (v < 2.0**31) & (v == np.floor(v))).all()) for v in (x, T)
    )
    if whole:
        whole_x, whole_T = x.astype(np.int64), T.astype(np.int64)
        width = int(whole_T.max()) + 1
        if (int(whole_x.max()) + 1) * width <= _PAIR_TABLE_CELLS_PER_ROW * len(x) + 2**16:
            codes, pairs = _numbered_cells(
                whole_x * width + whole_T, (int(whole_x.max()) + 1) * width
            )
            return codes, (pairs // width).astype(float), (pairs % width).astype(float)
        codes, pairs = pd.factorize(whole_x << 32 | whole_T, sort=True)
        return codes, (pairs >> 32).astype(float), (pairs & 0xFFFFFFFF).astype(float)
    t_codes, t_values = pd.factorize(T, sort=True)
    x_codes, x_values = pd.factorize(x, sort=True)
    codes, pairs = pd.factorize(x_codes.astype(np.int64) * len(t_values) + t_codes, sort=True)
    return codes, x_values[pairs // len(t_values)], t_values[pairs % len(t_values)]


# Largest table of (x, T) cells per customer for :func:`_distinct_pairs`.
_PAIR_TABLE_CELLS_PER_ROW = 4


# Expected purchases month by month do not depend on the discount rate: an explorer moving
# the rate reuses them. Keyed by the model, the horizon and the histories' bytes (never
# stale); a few entries, the size of (distinct histories x months).
_INCREMENTS_CACHE: dict[tuple[object, ...], FloatArray] = {}
_INCREMENTS_CACHE_SIZE = 4


def clear_cache() -> None:
    """Forget the monthly expected purchases kept for discount-rate changes (cold start)."""
    _INCREMENTS_CACHE.clear()


def _monthly_increments(
    bgnbd: BGNBDFit, x: FloatArray, T: FloatArray, horizon_months: int
) -> FloatArray:
    """Expected purchases of alive customers in each of the next months: (len(x), horizon)."""
    key = (
        bgnbd._values(),
        bgnbd.time_unit_days,
        horizon_months,
        hashlib.blake2b(x.tobytes() + T.tobytes(), digest_size=16).digest(),
    )
    cached = _INCREMENTS_CACHE.get(key)
    if cached is not None:
        return cached
    params = bgnbd._values()
    horizons = np.arange(1.0, horizon_months + 1) * (DAYS_PER_MONTH / bgnbd.time_unit_days)
    if len(x) * horizon_months >= _CHEBYSHEV_MIN_VALUES:
        increments, done = _interpolated_increments(params, x, T, horizons)
        if not done.all():
            rest = np.flatnonzero(~done)
            increments[rest] = _evaluated_increments(params, x[rest], T[rest], horizons)
    else:
        increments = _evaluated_increments(params, x, T, horizons)
    if len(_INCREMENTS_CACHE) >= _INCREMENTS_CACHE_SIZE:
        del _INCREMENTS_CACHE[next(iter(_INCREMENTS_CACHE))]
    _INCREMENTS_CACHE[key] = increments
    return increments


def _evaluated_increments(
    params: tuple[float, float, float, float], x: FloatArray, T: FloatArray, horizons: FloatArray
) -> FloatArray:
    """:func:`_monthly_increments` by :func:`_alive_expectation` at every (history, horizon)."""
    expectations = np.empty((len(horizons), len(x)))

    def expected(pairs: slice) -> None:
        # Every month of these histories in one evaluation: the short-horizon series then
        # computes its coefficients once per frequency for all the months.
        xp, Tp = x[pairs], T[pairs]
        flat = _alive_expectation(
            params,
            np.tile(xp, len(horizons)),
            np.tile(Tp, len(horizons)),
            np.repeat(horizons, len(xp)),
        )
        expectations[:, pairs] = flat.reshape(len(horizons), len(xp))

    # Elementwise values (each entry's own, whatever is evaluated alongside): two halves of
    # the histories on the two cores (numpy's loops and scipy's 2F1 release the GIL).
    if len(x) * len(horizons) >= _PARALLEL_MIN_VALUES:
        in_halves(expected, len(x))
    else:
        expected(slice(0, len(x)))
    increments = np.empty((len(x), len(horizons)))
    previous = np.zeros(len(x))
    for k, current in enumerate(expectations):
        np.subtract(current, previous, out=increments[:, k])
        previous = current
    return increments


def _interpolated_increments(
    params: tuple[float, float, float, float], x: FloatArray, T: FloatArray, horizons: FloatArray
) -> tuple[FloatArray, np.ndarray]:
    """:func:`_evaluated_increments` from one Chebyshev interpolant of E per frequency.

    E depends on the history and the horizon through x and k = t / (alpha + T) alone, and
    E / k is smooth in w = ln(1 + k) (the 2F1's branch point k = -1 is sent to w = -inf): on
    the interval of w that the histories' horizons span, its interpolant at _CHEBYSHEV_NODES
    Chebyshev nodes (values from :func:`_alive_expectation`) reaches the values' rounding
    within ~25 terms at the benchmark's fit. Accepted for a frequency when its values at the
    nodes are positive and its last eight coefficients below _CHEBYSHEV_TOLERANCE times the
    smallest value (the interpolation error is of their size); the rows of the other
    frequencies are left for :func:`_evaluated_increments` (``done`` False).

    Then every entry is a sum of coefficients (by x) times k T_n(u) (by T and month, u the
    node variable): for each distinct T, one matrix product of its histories' coefficients
    and the basis, differenced by month beforehand (k T_n(u) at month m less at m - 1) so
    that the product gives the increments. Agrees with the evaluation entry by entry to
    the 2F1's own rounding (~5e-13 relative where E = (a+b+x-1)/(a-1) (1 - G) cancels).
    """
    _, alpha, _, _ = params
    increments = np.zeros((len(x), len(horizons)))
    done = np.zeros(len(x), dtype=bool)
    if not len(x) or not len(horizons):
        return increments, done
    T_codes, T_values = pd.factorize(T)
    x_codes, frequencies = _frequency_codes(x)
    # k of the histories' first and last months (division rounds monotonically): the interval.
    low = math.log1p(horizons.min() / (alpha + T_values.max()))
    high = math.log1p(horizons.max() / (alpha + T_values.min()))
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        return increments, done
    coefficients, accurate = _expectation_interpolants(params, frequencies, low, high)
    done = accurate[x_codes]
    order = np.argsort(T_codes, kind="stable")
    order = order[done[order]]
    bounds = np.concatenate(([0], np.cumsum(np.bincount(T_codes[order], minlength=len(T_values)))))
    for block in range(0, len(T_values), _CHEBYSHEV_BLOCK):
        values = T_values[block : block + _CHEBYSHEV_BLOCK]
        basis = _chebyshev_basis(horizons / (alpha + values[:, None]), low, high)
        for j in range(len(values)):
            start, end = bounds[block + j], bounds[block + j + 1]
            if end > start:
                rows = order[start:end]
                increments[rows] = coefficients[x_codes[rows]] @ basis[j]
    return increments, done


def _expectation_interpolants(
    params: tuple[float, float, float, float], frequencies: FloatArray, low: float, high: float
) -> tuple[FloatArray, np.ndarray]:
    """Chebyshev coefficients of E / k in w = ln(1 + k) on [low, high], one row per frequency.

    Returns the (len(frequencies), _CHEBYSHEV_NODES) coefficients and which rows are accurate
    (see :func:`_interpolated_increments`).
    """
    _, alpha, _, _ = params
    nodes = _CHEBYSHEV_NODES
    angles = math.pi * (np.arange(nodes) + 0.5) / nodes
    k = np.expm1(0.5 * (low + high) + 0.5 * (high - low) * np.cos(angles))
    # E depends on T and t through t / (alpha + T) alone: T = 0, t = k alpha. A few nodes
    # per frequency: the series term by term.
    values = _alive_expectation(
        params,
        np.repeat(frequencies, nodes),
        np.zeros(len(frequencies) * nodes),
        np.tile(k * alpha, len(frequencies)),
        by_frequency=False,
    ).reshape(len(frequencies), nodes)
    values /= k
    # c_n = (2 - [n = 0]) / N sum_j f(w_j) cos(n theta_j), the discrete cosine transform.
    coefficients = values @ np.cos(np.outer(np.arange(nodes), angles)).T
    coefficients *= 2.0 / nodes
    coefficients[:, 0] /= 2.0
    with np.errstate(invalid="ignore"):
        accurate = np.all(np.isfinite(values) & (values > 0), axis=1) & (
            np.abs(coefficients[:, -8:]).max(axis=1) <= _CHEBYSHEV_TOLERANCE * values.min(axis=1)
        )
    return coefficients, accurate


def _chebyshev_basis(k: FloatArray, low: float, high: float) -> FloatArray:
    """k T_n(u), u = (2 ln(1 + k) - low - high) / (high - low), differenced along the months.

    ``k``: (values, months) -> (values, _CHEBYSHEV_NODES, months): at month m, k T_n(u) less
    its value at month m - 1 (nothing before the first), so that coefficients times the
    basis give the increments of E = k sum_n c_n T_n(u).
    """
    u = np.log1p(k)
    u *= 2.0
    u -= low + high
    u /= high - low
    np.clip(u, -1.0, 1.0, out=u)
    basis = np.empty((len(k), _CHEBYSHEV_NODES, k.shape[1]))
    basis[:, 0] = k
    basis[:, 1] = u * k
    for n in range(2, _CHEBYSHEV_NODES):
        # T_(n+1) = 2 u T_n - T_(n-1), linear: the same on k T_n.
        np.multiply(basis[:, n - 1], 2.0 * u, out=basis[:, n])
        basis[:, n] -= basis[:, n - 2]
    basis[:, :, 1:] -= basis[:, :, :-1].copy()
    return basis


# The dtype pandas infers for an array of Python strings (the default string dtype).
_INFERRED_STRINGS = pd.Series(np.array(["id"], dtype=object)).dtype


def predictive_clv(
    summary: pd.DataFrame,
    bgnbd: BGNBDFit,
    gamma_gamma: GammaGammaFit,
    *,
    horizon_months: int = DEFAULTS["clv_horizon_months"],
    discount_rate: float = DEFAULTS["discount_rate"],
    margin_rate: float | pd.Series | None = None,
    frequency_col: str = "frequency",
    recency_col: str = "recency",
    T_col: str = "T",
    monetary_value_col: str = "monetary_value",
    customer_col: str = "customer_id",
) -> pd.DataFrame:
    """Discounted margin each customer is expected to bring over the next ``horizon_months``.

    ``clv = margin_rate * expected_spend * sum_k (E[Y(k)] - E[Y(k-1)]) / (1 + d_m)^k`` for the
    months ``k = 1..horizon_months``, with ``E[Y(k)]`` the conditional expected purchases in
    the next ``k`` months (:func:`conditional_expected_purchases`) and ``d_m = (1 +
    discount_rate)^(1/12) - 1`` the monthly equivalent of the yearly rate: lifetimes'
    ``customer_lifetime_value``, each month's purchases discounted at the month's end.

    Parameters
    ----------
    summary : pandas.DataFrame
        Purchase histories in days (``frequency``, ``recency``, ``T``, ``monetary_value``);
        ``Aggregates.customers`` or :func:`portfolio_lib.engine.aggregate.customer_summary`.
    bgnbd, gamma_gamma : BGNBDFit, GammaGammaFit
    horizon_months : int, default 36
        Whole months ahead; 0 gives zero CLV.
    discount_rate : float, default 0.10
        Yearly discount rate.
    margin_rate : float, Series or None, default None
        Gross margin per euro of revenue: a number, or a Series by customer (aligned on the
        index). None: the portfolio's margin / revenue when ``summary`` has ``margin`` and
        ``revenue`` columns (``Aggregates.customers``), else ``DEFAULTS["default_margin_rate"]``.
    frequency_col, recency_col, T_col, monetary_value_col, customer_col : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Same index as ``summary`` (with its ``customer_id`` column when it has one, a
        categorical one kept categorical):
        ``p_alive``, ``expected_purchases`` (over the horizon), ``expected_spend`` (per
        purchase), ``margin_rate`` and ``clv``. Prospects (no purchase) get missing values.
    """
    if int(horizon_months) != horizon_months or horizon_months < 0:
        raise ValueError(f"horizon_months must be a whole number >= 0, got {horizon_months!r}")
    if discount_rate <= -1:
        raise ValueError(f"discount_rate must be above -100 %, got {discount_rate!r}")
    x, tx, T, known = _purchase_history(
        summary,
        frequency_col=frequency_col,
        recency_col=recency_col,
        T_col=T_col,
        customer_col=customer_col,
        analysis="predictive CLV",
    )
    m = _column(summary, monetary_value_col, analysis="predictive CLV").to_numpy()
    n = len(summary)
    everyone = bool(known.all())
    if known.any():
        # Every row at once (no gathering of the buyers' rows, no spreading back): for the
        # pairs, prospects take the first buyer's history (a pair there anyway), their values
        # then missing through P(alive).
        if everyone:
            x_pairs, T_pairs = x, T
        else:
            first = int(np.argmax(known))
            x_pairs, T_pairs = np.where(known, x, x[first]), np.where(known, T, T[first])
        # P(alive) and the alive expectation are evaluated once per distinct (x, T) pair
        # where they depend on it alone.
        codes, ux, uT = _distinct_pairs(x_pairs, T_pairs)
        alive = _p_alive_of_pairs(bgnbd, codes, ux, uT, x, tx)
        if not everyone:
            np.copyto(alive, np.nan, where=~known)
        increments = _monthly_increments(bgnbd, ux, uT / bgnbd.time_unit_days, int(horizon_months))
        monthly_factor = (1.0 + discount_rate) ** (1.0 / 12.0)
        discount = monthly_factor ** -np.arange(1.0, int(horizon_months) + 1)
        # alive * per-pair value, multiplied in place into the gathered values (a product
        # does not depend on the order of its two factors).
        purchases = np.take(increments.sum(axis=1), codes)
        purchases *= alive
        discounted = np.take(increments @ discount, codes)
        discounted *= alive
    else:
        alive, purchases, discounted = (np.full(n, np.nan) for _ in range(3))
    # Prospects' missing frequency gives the portfolio's mean spend, then missing.
    spend = expected_spend(gamma_gamma, x, m)
    if not everyone:
        np.copyto(spend, np.nan, where=~known)
    margin = _margin_rates(summary, margin_rate, n)
    clv = np.multiply(margin, spend)  # margin * spend * discounted, one buffer
    clv *= discounted
    out = pd.DataFrame(
        {
            "p_alive": alive,
            "expected_purchases": purchases,
            "expected_spend": spend,
            "margin_rate": margin,
            "clv": clv,
        },
        index=summary.index,
        # The arrays are this function's own: kept as they are, not stacked into one block
        # (a copy of every column, slow on a million rows of fresh memory).
        copy=False,
    )
    if customer_col in summary.columns:
        ids = summary[customer_col]
        if ids.dtype == _INFERRED_STRINGS or isinstance(ids.dtype, pd.CategoricalDtype):
            # The ids as they are (Aggregates.customers: categorical codes; inferred strings:
            # what to_numpy() gives back once inferred), without a Python string per customer.
            out.insert(0, customer_col, ids.array)
        else:
            out.insert(0, customer_col, ids.to_numpy())
    return out


def clv_by_segment(
    clv: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] = "segment",
    customer_col: str = "customer_id",
) -> pd.DataFrame:
    """Predictive CLV summed and averaged by segment (or any customer attribute).

    Parameters
    ----------
    clv : pandas.DataFrame
        Output of :func:`predictive_clv` (customer ids in ``customer_col`` or the index).
    customers : pandas.DataFrame, optional
        Table with ``customer_col`` and the ``by`` column(s) (``Aggregates.customers`` or the
        loaded customer table); default: the columns of ``clv`` itself.
    by : str or list of str, default 'segment'
        Attribute(s) to group by; missing values form the group ``'unknown'`` (as in
        :mod:`portfolio_lib.metrics.costs`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``, sorted by total CLV (largest first): ``customers`` (with a CLV),
        ``clv`` (total), ``clv_mean``, ``clv_share`` (of the total), ``expected_purchases``
        (total) and ``p_alive_mean``. Sums: numpy's pairwise sums per group
        (:func:`_group_totals`); pandas' grouped (compensated) sums by several attributes
        or with missing ``expected_purchases`` or ``p_alive``.
    """
    keys = [by] if isinstance(by, str) else list(by)
    if customers is None and len(keys) == 1 and keys[0] in clv.columns:
        fast = _totals_by_key(clv, clv[keys[0]], keys[0])
        if fast is not None:
            return fast
    frame = clv.copy()
    if customer_col not in frame.columns:
        frame[customer_col] = frame.index.to_numpy()
    if customers is not None:
        table = customers if customer_col in customers.columns else customers.reset_index()
        missing = [k for k in keys if k not in table.columns]
        if missing:
            raise PortfolioDataError(
                "missing_attribute",
                analysis="CLV by segment",
                column=missing[0],
                found=", ".join(map(str, table.columns)),
            )
        attributes = table[[customer_col, *keys]].drop_duplicates(customer_col)
        frame = frame.drop(columns=[k for k in keys if k in frame.columns]).merge(
            attributes, on=customer_col, how="left"
        )
    else:
        missing = [k for k in keys if k not in frame.columns]
        if missing:
            raise PortfolioDataError(
                "missing_attribute",
                analysis="CLV by segment",
                column=missing[0],
                found=", ".join(map(str, frame.columns)),
            )
    frame = frame[frame["clv"].notna()]
    for key in keys:
        values = frame[key].astype(object)
        frame[key] = values.where(values.notna(), "unknown")
    columns = ("clv", "expected_purchases", "p_alive")
    if len(keys) == 1 and all(frame[c].dtype == np.float64 for c in columns):
        # One attribute: the sums of the fast path (the same table either way).
        codes, uniques = pd.factorize(frame[keys[0]])
        one_key = _group_totals(codes, uniques, {c: frame[c].to_numpy() for c in columns}, keys[0])
        if one_key is not None:
            return one_key
    grouped = frame.groupby(keys, observed=True, sort=False)
    out = grouped.agg(
        customers=("clv", "size"),
        clv=("clv", "sum"),
        clv_mean=("clv", "mean"),
        expected_purchases=("expected_purchases", "sum"),
        p_alive_mean=("p_alive", "mean"),
    )
    total = float(frame["clv"].sum())
    out.insert(3, "clv_share", out["clv"] / total if total else np.nan)
    return out.sort_values("clv", ascending=False, kind="stable")


def _totals_by_key(clv: pd.DataFrame, keys: pd.Series, name: str) -> pd.DataFrame | None:
    """:func:`clv_by_segment` by one attribute, ``keys``, given row by row for ``clv``'s rows.

    Without copying the table nor making a Python object per customer: the groups are the
    factorized keys, in their order of first appearance among the customers with a CLV (what
    ``groupby(sort=False)`` gives), summed by :func:`_group_totals` as the general path sums
    them. None when this does not apply (missing keys, non-float columns): take the general
    path.
    """
    columns = ("clv", "expected_purchases", "p_alive")
    if len(keys) != len(clv) or any(
        c not in clv.columns or clv[c].dtype != np.float64 for c in columns
    ):
        return None
    if isinstance(keys.dtype, pd.CategoricalDtype):
        # Already integers: grouped in their order of first appearance, as the factorized
        # keys would be, without hashing a million codes once more.
        codes, uniques = keys.array.codes, keys.dtype.categories
    else:
        codes, uniques = pd.factorize(keys)
    if (codes < 0).any():  # missing values: the general path names them 'unknown'
        return None
    values = {c: clv[c].to_numpy() for c in columns}
    with_clv = ~np.isnan(values["clv"])
    return _group_totals(codes, uniques, values, name, with_clv)


def _group_totals(
    codes: np.ndarray,
    uniques: Sequence[object],
    values: Mapping[str, FloatArray],
    name: str,
    with_clv: np.ndarray | None = None,
) -> pd.DataFrame | None:
    """The table of :func:`clv_by_segment` from group codes (>= 0) of the customers.

    ``with_clv``: the customers with a CLV (None: all of them), the only ones counted.
    Groups in their order of first appearance (``groupby(sort=False)``'s). The rows are
    taken grouped by code (one stable sort of the codes), then each group's ``clv``,
    ``expected_purchases`` and ``p_alive`` are numpy's pairwise sums of its run, and the
    total CLV the pairwise sum of all of them in that order: pandas' grouped sums and means
    (compensated sums) took ~90 ms on a million customers; the two agree to ~1e-15
    relative. None when ``expected_purchases`` or ``p_alive`` has missing values (pandas
    skips them: take it).
    """
    rows, bounds = _rows_by_code(codes, len(uniques), with_clv)
    grouped = {column: np.take(column_values, rows) for column, column_values in values.items()}
    purchases, alive = grouped["expected_purchases"], grouped["p_alive"]
    if np.isnan(purchases).any() or np.isnan(alive).any():
        return None
    present = np.flatnonzero(np.diff(bounds) > 0)
    # The stable sort keeps each group's rows in row order: its run starts with its first row.
    present = present[np.argsort(rows[bounds[present]])]

    counts = np.diff(bounds)[present]
    clv_sum = _run_sums(grouped["clv"], bounds, present)
    out = pd.DataFrame(
        {
            "customers": counts.astype(np.int64),
            "clv": clv_sum,
            "clv_mean": clv_sum / counts,
            "expected_purchases": _run_sums(purchases, bounds, present),
            "p_alive_mean": _run_sums(alive, bounds, present) / counts,
        },
        index=pd.Index([uniques[code] for code in present], name=name),
    )
    total = float(grouped["clv"].sum())
    out.insert(3, "clv_share", out["clv"] / total if total else np.nan)
    return out.sort_values("clv", ascending=False, kind="stable")


def ltv_to_cac(
    clv_by_channel: pd.DataFrame,
    cac_by_channel: pd.Series | pd.DataFrame,
    *,
    ltv_col: str = "clv_mean",
    cac_col: str = "cac",
) -> pd.DataFrame:
    """LTV/CAC by acquisition channel: value of a customer per euro spent to win one.

    Parameters
    ----------
    clv_by_channel : pandas.DataFrame
        Per channel (index), the LTV in ``ltv_col``: typically
        ``clv_by_segment(clv, customers, by="acquisition_channel")``. The predictive CLV is
        the *future* margin; restrict ``clv`` to recently acquired customers for a value
        comparable with what the channel cost to win them.
    cac_by_channel : Series or DataFrame
        CAC per channel: a Series indexed by channel; a DataFrame indexed by channel with
        ``cac_col``; or the long table of ``costs.acquisition_costs(..., by_channel=True)``
        (``channel``, ``acquisition_spend``, ``new_customers`` per period), whose CAC over the
        whole window is the spend over the new customers of the periods with recorded spend.

    Returns
    -------
    pandas.DataFrame
        Every channel of either input: ``ltv``, ``cac`` and ``ltv_to_cac`` (missing where the
        CAC is unknown or not positive). Above 3 is the usual rule of thumb for a healthy
        channel.
    """
    if isinstance(cac_by_channel, pd.DataFrame) and "channel" in cac_by_channel.columns:
        known = cac_by_channel[cac_by_channel["acquisition_spend"].notna()]
        totals = known.groupby("channel", sort=False)[["acquisition_spend", "new_customers"]].sum()
        new = totals["new_customers"].astype(float)
        cac = totals["acquisition_spend"] / new.where(new > 0)
    elif isinstance(cac_by_channel, pd.DataFrame):
        cac = cac_by_channel[cac_col]
    else:
        cac = cac_by_channel
    out = pd.DataFrame({"ltv": clv_by_channel[ltv_col]}).join(
        pd.DataFrame({"cac": cac.astype(float)}), how="outer"
    )
    out["ltv_to_cac"] = out["ltv"] / out["cac"].where(out["cac"] > 0)
    return out


# --------------------------------------------------------------------------------------------
# Calibration / holdout and diagnostics


def calibration_and_holdout(
    transactions: pd.DataFrame,
    *,
    calibration_end: object,
    observation_end: object = None,
) -> pd.DataFrame:
    """Split the log in a calibration period (to fit) and a holdout period (to check).

    lifetimes' ``calibration_and_holdout_data`` semantics, in days: the calibration summary
    is :func:`portfolio_lib.engine.aggregate.customer_summary` at ``calibration_end`` (customers whose
    first purchase is after it are left out); ``frequency_holdout`` counts the days with a
    transaction in (``calibration_end``, ``observation_end``], ``monetary_value_holdout`` is the
    mean daily amount over those days (0 without any), ``duration_holdout`` the holdout length.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Canonical transactions (``customer_id``, ``date``, ``amount``).
    calibration_end : date-like
        Last day of the calibration period (included).
    observation_end : date-like, optional
        Last day of the holdout period, default the last transaction date.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``frequency_cal``, ``recency_cal``, ``T_cal``,
        ``monetary_value_cal``, ``frequency_holdout``, ``monetary_value_holdout``,
        ``duration_holdout``.
    """
    dates = pd.to_datetime(transactions["date"]).dt.normalize()
    cal_end = pd.Timestamp(calibration_end).normalize()
    obs_end = dates.max() if observation_end is None else pd.Timestamp(observation_end).normalize()
    if not obs_end > cal_end:
        raise ValueError(
            f"observation_end ({obs_end:%Y-%m-%d}) must be after calibration_end "
            f"({cal_end:%Y-%m-%d}): the holdout period would be empty"
        )
    if not (dates <= cal_end).any():
        raise ValueError(
            f"no transaction on or before calibration_end ({cal_end:%Y-%m-%d}): choose a later "
            "end of the calibration period"
        )
    calibration = customer_summary(transactions[(dates <= cal_end).to_numpy()], as_of=cal_end)
    calibration.columns = [f"{c}_cal" for c in calibration.columns]
    inside = ((dates > cal_end) & (dates <= obs_end)).to_numpy()
    holdout = pd.DataFrame(
        {
            "customer_id": transactions["customer_id"].astype(str).to_numpy()[inside],
            "day": dates.to_numpy()[inside],
            "amount": transactions["amount"].to_numpy(float)[inside],
        }
    )
    daily = holdout.groupby(["customer_id", "day"], sort=False)["amount"].sum()
    per_customer = daily.groupby(level="customer_id").agg(["size", "mean"])
    out = calibration.join(per_customer, how="left")
    out["frequency_holdout"] = out.pop("size").fillna(0).astype(float)
    out["monetary_value_holdout"] = out.pop("mean").fillna(0.0)
    out["duration_holdout"] = float((obs_end - cal_end).days)
    return out


def _cap_label(values: FloatArray, max_frequency: int) -> FloatArray:
    return np.minimum(values, max_frequency)


def period_transactions(
    fit: BGNBDFit,
    summary: pd.DataFrame,
    *,
    max_frequency: int = 7,
    frequency_col: str = "frequency",
    T_col: str = "T",
) -> pd.DataFrame:
    """Customers by number of repeat purchases: observed vs the model's expectation.

    The expected count for ``x`` is ``sum_i P(X(T_i) = x)`` over the customers, each with
    their own age ``T_i`` (:func:`probability_of_purchases`, closed form, no simulation).

    Parameters
    ----------
    fit : BGNBDFit
    summary : pandas.DataFrame
        The summary the model was fitted on.
    max_frequency : int, default 7
        The last row counts ``max_frequency`` *or more* repeat purchases.

    Returns
    -------
    pandas.DataFrame
        Index ``frequency`` 0..max_frequency, columns ``observed`` and ``expected``
        (customers); both sum to the number of customers.
    """
    x = _column(summary, frequency_col, analysis="period transactions").to_numpy()
    T = _column(summary, T_col, analysis="period transactions").to_numpy()
    keep = ~np.isnan(x)
    x, T = x[keep], T[keep]
    levels = np.arange(max_frequency + 1)
    observed = np.bincount(_cap_label(x, max_frequency).astype(int), minlength=max_frequency + 1)
    ages, counts = np.unique(T, return_counts=True)
    probabilities = probability_of_purchases(fit, ages[:, None], levels[None, :-1])
    expected = counts @ probabilities
    expected = np.append(expected, len(x) - expected.sum())  # the "or more" bin
    return pd.DataFrame(
        {"observed": observed.astype(float), "expected": expected},
        index=pd.Index(levels, name="frequency"),
    )


def calibration_vs_holdout(
    fit: BGNBDFit, cal_hold: pd.DataFrame, *, max_frequency: int = 7
) -> pd.DataFrame:
    """Mean purchases in the holdout period by calibration frequency: observed vs model.

    Parameters
    ----------
    fit : BGNBDFit
        Fitted on the calibration columns, e.g. ``fit_bgnbd(cal_hold,
        frequency_col="frequency_cal", recency_col="recency_cal", T_col="T_cal")``.
    cal_hold : pandas.DataFrame
        Output of :func:`calibration_and_holdout`.
    max_frequency : int, default 7
        The last row groups ``max_frequency`` or more calibration repeat purchases.

    Returns
    -------
    pandas.DataFrame
        Index ``frequency_cal`` 0..max_frequency (rows without customers dropped), columns
        ``customers``, ``observed`` (mean ``frequency_holdout``) and ``expected`` (mean
        :func:`conditional_expected_purchases` over ``duration_holdout``).
    """
    expected = conditional_expected_purchases(
        fit,
        cal_hold["duration_holdout"].to_numpy(float),
        cal_hold["frequency_cal"].to_numpy(float),
        cal_hold["recency_cal"].to_numpy(float),
        cal_hold["T_cal"].to_numpy(float),
    )
    frame = pd.DataFrame(
        {
            "frequency_cal": _cap_label(
                cal_hold["frequency_cal"].to_numpy(float), max_frequency
            ).astype(int),
            "observed": cal_hold["frequency_holdout"].to_numpy(float),
            "expected": expected,
        }
    )
    out = frame.groupby("frequency_cal").agg(
        customers=("observed", "size"), observed=("observed", "mean"), expected=("expected", "mean")
    )
    return out


def _matrix_grid(
    fit: BGNBDFit,
    max_frequency: int,
    max_recency: float,
    T: float | None,
    recency_step: float | None,
) -> tuple[FloatArray, FloatArray, float]:
    step = fit.time_unit_days if recency_step is None else float(recency_step)
    if step <= 0:
        raise ValueError(f"recency_step must be positive, got {recency_step!r}")
    age = float(max_recency if T is None else T)
    if age < max_recency:
        raise ValueError(f"T ({age:g} days) cannot be below max_recency ({max_recency:g} days)")
    recency = np.arange(0.0, max_recency + step / 2, step)
    frequency = np.arange(max_frequency + 1, dtype=float)
    return frequency, recency, age


def frequency_recency_matrix(
    fit: BGNBDFit,
    *,
    max_frequency: int,
    max_recency: float,
    T: float | None = None,
    t: float = DAYS_PER_MONTH,
    recency_step: float | None = None,
) -> pd.DataFrame:
    """Expected purchases in the next ``t`` days by frequency and recency (customer age ``T``).

    Parameters
    ----------
    fit : BGNBDFit
    max_frequency : int
        Rows 0..max_frequency repeat purchases.
    max_recency : float
        Largest recency in days (columns from 0 every ``recency_step`` days).
    T : float, optional
        Age of the customers in days, default ``max_recency``.
    t : float, default one month (30.44 days)
        Horizon of the expectation, in days.
    recency_step : float, optional
        Days between columns, default the fit's time unit.

    Returns
    -------
    pandas.DataFrame
        Index ``frequency``, columns ``recency`` (days).
    """
    frequency, recency, age = _matrix_grid(fit, max_frequency, max_recency, T, recency_step)
    values = conditional_expected_purchases(fit, t, frequency[:, None], recency[None, :], age)
    return pd.DataFrame(
        values,
        index=pd.Index(frequency.astype(int), name="frequency"),
        columns=pd.Index(recency, name="recency"),
    )


def p_alive_matrix(
    fit: BGNBDFit,
    *,
    max_frequency: int,
    max_recency: float,
    T: float | None = None,
    recency_step: float | None = None,
) -> pd.DataFrame:
    """P(alive) by frequency and recency for customers of age ``T`` days.

    Same grid as :func:`frequency_recency_matrix`; high recency (a recent last purchase) and
    high frequency mean alive, a long silence after frequent purchases means probably gone.

    Returns
    -------
    pandas.DataFrame
        Index ``frequency``, columns ``recency`` (days).
    """
    frequency, recency, age = _matrix_grid(fit, max_frequency, max_recency, T, recency_step)
    values = p_alive(fit, frequency[:, None], recency[None, :], age)
    return pd.DataFrame(
        values,
        index=pd.Index(frequency.astype(int), name="frequency"),
        columns=pd.Index(recency, name="recency"),
    )


# --------------------------------------------------------------------------------------------
# Simulation (tests, benchmarks, "what would data from this model look like")


def simulate_summary(
    n_customers: int,
    *,
    bgnbd: Mapping[str, float],
    gamma_gamma: Mapping[str, float] | None = None,
    T: ArrayLike,
    time_unit_days: float = 7.0,
    whole_days: bool = False,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Purchase histories drawn from the BG/NBD (and Gamma-Gamma) processes, vectorised.

    Each customer gets ``lambda ~ Gamma(r, alpha)`` and ``p ~ Beta(a, b)``; the repeat
    purchases in (0, T] are a Poisson process cut after the ``J``-th, ``J ~ Geometric(p)``
    (dropout). With ``N ~ Poisson(lambda T)`` purchases in (0, T] before any dropout,
    ``x = min(N, J)`` and the ``x``-th purchase time is the ``x``-th of ``N`` uniform order
    statistics, ``T * Beta(x, N - x + 1)``. Spend: ``nu ~ Gamma(q, v)`` and the mean of ``x``
    purchases ``~ Gamma(p x, nu x)``.

    Parameters
    ----------
    n_customers : int
    bgnbd : mapping
        ``r``, ``alpha`` (per ``time_unit_days``), ``a``, ``b``.
    gamma_gamma : mapping, optional
        ``p``, ``q``, ``v``; adds ``monetary_value`` (0 without repeat purchase).
    T : float or array-like
        Customer ages in days (broadcast to ``n_customers``).
    time_unit_days : float, default 7
        Unit of ``alpha``.
    whole_days : bool, default False
        Round recency down to whole days, as a daily transaction log gives it.
    seed : int or Generator, optional

    Returns
    -------
    pandas.DataFrame
        ``frequency``, ``recency``, ``T`` (days) and optionally ``monetary_value``.
    """
    rng = np.random.default_rng(seed)
    ages = np.broadcast_to(_as_float(T), (n_customers,)).astype(float)
    rate = rng.gamma(bgnbd["r"], 1.0 / bgnbd["alpha"], n_customers) / time_unit_days
    dropout = rng.beta(bgnbd["a"], bgnbd["b"], n_customers)
    purchases = rng.poisson(rate * ages)
    alive_for = rng.geometric(np.clip(dropout, 1e-300, 1.0))
    x = np.minimum(purchases, alive_for)
    repeat = x > 0
    recency = np.zeros(n_customers)
    recency[repeat] = ages[repeat] * rng.beta(x[repeat], purchases[repeat] - x[repeat] + 1)
    if whole_days:
        recency = np.floor(recency)
    out = pd.DataFrame({"frequency": x.astype(float), "recency": recency, "T": ages})
    if gamma_gamma is not None:
        nu = rng.gamma(gamma_gamma["q"], 1.0 / gamma_gamma["v"], n_customers)
        spend = np.zeros(n_customers)
        xr = x[repeat].astype(float)
        spend[repeat] = rng.gamma(gamma_gamma["p"] * xr, 1.0 / (nu[repeat] * xr))
        out["monetary_value"] = spend
    return out
