"""Pareto/NBD: purchases while alive, and a lifetime that may end at any moment.

Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they and what will
they do next?", Management Science 33(1); the likelihood and expectations as Fader & Hardie
write them ("A note on deriving the Pareto/NBD model and related expressions", 2005). While
alive a customer buys at a Poisson rate ``lambda ~ Gamma(r, alpha)``; the lifetime is
exponential with rate ``mu ~ Gamma(s, beta)`` (the BG/NBD lets customers drop out only just
after a purchase). Implemented here with numpy/scipy:

- the log-likelihood (note eq. 19-22) and its maximum (:func:`fit_pareto_nbd`, gradient by
  central differences, :func:`portfolio_lib.models.common.fit_numerically`);
- P(alive) (:func:`p_alive`, note eq. 18/23) and the expected purchases of a known customer
  (:func:`conditional_expected_purchases`, note eq. 27) and of a new one
  (:func:`expected_purchases`, eq. 15).

Times in days; the fit works in ``time_unit_days`` (7: weeks, as the papers), which only
``alpha``, ``beta`` and the log-likelihood are expressed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from portfolio_lib.models.common import (
    ArrayLike,
    FloatArray,
    as_float,
    attach_interface,
    fit_numerically,
    scipy_functions,
)

# Imported on first call: importing the models must not import scipy (see scipy_functions).
expit, gammaln, hyp2f1 = scipy_functions("scipy.special", "expit", "gammaln", "hyp2f1")

__all__ = [
    "ParetoNBDFit",
    "conditional_expected_purchases",
    "expected_purchases",
    "expected_purchases_if_alive",
    "fit_pareto_nbd",
    "p_alive",
]


@dataclass(frozen=True)
class ParetoNBDFit:
    """A fitted Pareto/NBD model.

    Attributes
    ----------
    r, alpha : float
        Purchase rate while alive ~ Gamma(shape ``r``, rate ``alpha``), ``alpha`` in
        ``time_unit_days`` units.
    s, beta : float
        Dropout rate ~ Gamma(shape ``s``, rate ``beta``), ``beta`` in ``time_unit_days`` units.
    log_likelihood : float
        Maximised log-likelihood (a density of purchase times in the fit's time unit).
    n_customers, n_repeat_customers : int
    converged : bool
    time_unit_days : float
    standard_errors : dict
        Asymptotic standard errors of ``r``, ``alpha``, ``s``, ``beta``.
    message : str
    log_covariance : numpy.ndarray or None
        Asymptotic covariance of the log parameters.

    Methods ``p_alive``, ``expected_purchases`` (conditional), ``expected_purchases_if_alive``
    and ``expected_new_customer_purchases``: the module's functions (every purchase model has
    them, :func:`~portfolio_lib.models.common.attach_interface`).
    """

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float
    n_customers: int
    n_repeat_customers: int
    converged: bool
    time_unit_days: float = 7.0
    standard_errors: dict[str, float] = field(default_factory=dict, compare=False)
    message: str = field(default="", compare=False)
    log_covariance: np.ndarray | None = field(default=None, compare=False, repr=False)

    model = "pareto_nbd"

    @property
    def params(self) -> dict[str, float]:
        """``{"r", "alpha", "s", "beta"}`` (rates in the fit's time unit)."""
        return {"r": self.r, "alpha": self.alpha, "s": self.s, "beta": self.beta}

    @property
    def params_tuple(self) -> tuple[float, float, float, float]:
        """``(r, alpha, s, beta)``."""
        return self.r, self.alpha, self.s, self.beta


def _log_a0(
    params: tuple[float, float, float, float], x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """ln A0 of the note (eq. 20-21), the integral over dropout times between t_x and T.

    A0 = F(t_x) - F(T) with F(u) = 2F1(r+s+x, c; r+s+x+1; z(u)) / (m + u)^(r+s+x): with
    alpha >= beta, m = alpha, c = s + 1, z = (alpha - beta) / (alpha + u); else m = beta,
    c = r + x, z = (beta - alpha) / (beta + u). Taken as ln F(t_x) + ln(1 - F(T) / F(t_x)).
    """
    r, alpha, s, beta = params
    rsx = r + s + x
    if alpha >= beta:
        m, c, gap = alpha, s + 1.0, alpha - beta
    else:
        m, c, gap = beta, r + x, beta - alpha
    log_first = np.log(hyp2f1(rsx, c, rsx + 1.0, gap / (m + tx))) - rsx * np.log(m + tx)
    log_last = np.log(hyp2f1(rsx, c, rsx + 1.0, gap / (m + T))) - rsx * np.log(m + T)
    with np.errstate(divide="ignore"):
        # t_x = T: no time to drop out after the last purchase, A0 = 0 (ln = -inf).
        return log_first + np.log(-np.expm1(np.minimum(log_last - log_first, 0.0)))


def _log_odds_dead(
    params: tuple[float, float, float, float], x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """ln P(dead) / P(alive): ln(s / (r+s+x)) + (r+x) ln(alpha+T) + s ln(beta+T) + ln A0."""
    r, alpha, s, beta = params
    return (
        np.log(s / (r + s + x))
        + (r + x) * np.log(alpha + T)
        + s * np.log(beta + T)
        + _log_a0(params, x, tx, T)
    )


def _pareto_log_likelihood(
    params: tuple[float, float, float, float], x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """Per history: ln Gamma(r+x) alpha^r beta^s / Gamma(r) + ln(A_T + s/(r+s+x) A0).

    A_T = (alpha+T)^-(r+x) (beta+T)^-s, the history of a customer alive at T; the second
    term, of one who died between t_x and T; their sum is ln A_T + ln(1 + odds dead).
    """
    r, alpha, s, beta = params
    log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    odds = _log_odds_dead(params, x, tx, T)
    return (
        gammaln(r + x)
        - gammaln(r)
        + r * math.log(alpha)
        + s * math.log(beta)
        + log_alive
        + np.logaddexp(0.0, odds)
    )


def _start(x: FloatArray, T: FloatArray) -> FloatArray:
    """Mean purchase rate ~ repeat purchases per unit of observed time; lifetimes of ~T."""
    rate = x.sum() / max(T.sum(), 1e-9)
    return np.log([1.0, 1.0 / max(rate, 1e-6), 1.0, float(np.clip(np.median(T), 1e-3, 1e5))])


def fit_pareto_nbd(summary: pd.DataFrame, **options: object) -> ParetoNBDFit:
    """Fit the Pareto/NBD model by maximum likelihood (gradient by central differences).

    Options (``time_unit_days``, ``min_repeat_customers``, ``initial_params`` with
    ``r``, ``alpha``, ``s``, ``beta``, ``on_nonconvergence``, column names) are those of
    :func:`portfolio_lib.models.bgnbd.fit_bgnbd`
    (:func:`portfolio_lib.models.common.fit_numerically`).

    Returns
    -------
    ParetoNBDFit

    Raises
    ------
    PortfolioDataError
        ``out_of_range``, ``too_few_repeat_customers``, ``not_converged``.
    """
    return fit_numerically(
        ParetoNBDFit,
        _pareto_log_likelihood,
        summary,
        model="Pareto/NBD",
        names=("r", "alpha", "s", "beta"),
        default_start=_start,
        **options,
    )


def p_alive(
    fit: ParetoNBDFit, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Probability that a customer is still alive at ``T`` (note eq. 18 / 23).

    ``1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0)``; unlike the BG/NBD, a customer
    without repeat purchase may be gone too.

    Parameters
    ----------
    fit : ParetoNBDFit
    frequency, recency, T : array-like
        Purchase histories, times in days.

    Returns
    -------
    numpy.ndarray
    """
    x, tx, T = np.broadcast_arrays(as_float(frequency), as_float(recency), as_float(T))
    unit = fit.time_unit_days
    tx = np.where(x > 0, tx, 0.0)
    with np.errstate(all="ignore"):
        odds = _log_odds_dead(fit.params_tuple, x.ravel(), tx.ravel() / unit, T.ravel() / unit)
    return expit(-odds).reshape(x.shape)


def _alive_purchases(
    params: tuple[float, float, float, float], x: FloatArray, T: FloatArray, t: FloatArray
) -> FloatArray:
    """(r+x)/(alpha+T) (beta+T) [1 - ((beta+T)/(beta+T+t))^(s-1)] / (s-1), fit's unit.

    With g = ln(1 + t/(beta+T)) the bracket over (s - 1) is -expm1(-(s-1) g) / (s-1), which
    tends to g as s -> 1 (the formula's 0/0).
    """
    r, alpha, s, beta = params
    g = np.log1p(t / (beta + T))
    shape = s - 1.0
    ratio = -np.expm1(-shape * g) / shape if abs(shape) > 1e-9 else g
    return (r + x) / (alpha + T) * (beta + T) * ratio


def expected_purchases_if_alive(
    fit: ParetoNBDFit, t: ArrayLike, frequency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Expected purchases in the next ``t`` days of customers alive now (note eq. 27 / P(alive)).

    Depends on the history through the frequency and the age ``T`` only.
    """
    t, x, T = np.broadcast_arrays(as_float(t), as_float(frequency), as_float(T))
    unit = fit.time_unit_days
    return _alive_purchases(fit.params_tuple, x, T / unit, t / unit)


def conditional_expected_purchases(
    fit: ParetoNBDFit, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Expected purchases in the next ``t`` days of customers with a known history.

    P(alive) times :func:`expected_purchases_if_alive` (note eq. 27).

    Parameters
    ----------
    fit : ParetoNBDFit
    t : float or array-like
        Horizon in days.
    frequency, recency, T : array-like
        Purchase histories, times in days.

    Returns
    -------
    numpy.ndarray
    """
    t, x, tx, T = np.broadcast_arrays(
        as_float(t), as_float(frequency), as_float(recency), as_float(T)
    )
    return p_alive(fit, x, tx, T) * expected_purchases_if_alive(fit, t, x, T)


def expected_purchases(fit: ParetoNBDFit, t: ArrayLike) -> FloatArray:
    """Expected repeat purchases in the first ``t`` days of a new customer (SMC 1987, eq. 15).

    ``r beta / (alpha (s - 1)) [1 - (beta / (beta + t))^(s-1)]``.
    """
    t = as_float(t)
    zeros = np.zeros_like(t)
    return _alive_purchases(fit.params_tuple, zeros, zeros, t / fit.time_unit_days)


attach_interface(
    ParetoNBDFit, p_alive, conditional_expected_purchases, expected_purchases_if_alive,
    expected_purchases,
)  # fmt: skip
