"""MBG/NBD: the BG/NBD where a customer may also drop out right after the first purchase.

Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of models for
customer base analysis", International Journal of Research in Marketing 24(3). Purchases
while alive as in the BG/NBD (``lambda ~ Gamma(r, alpha)``); the dropout coin
``p ~ Beta(a, b)`` is tossed after *every* purchase, the first included, so a customer
without repeat purchase may be gone (in the BG/NBD such a customer is alive for sure).

Per history (lifetimes' ``ModifiedBetaGeoFitter``, the paper's eq. 4):
``L = Gamma(r+x) alpha^r / Gamma(r) B(a, b+x+1) / B(a, b) (alpha+T)^-(r+x)
[1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)]``; P(alive) is ``1 / (1 + a/(b+x)
((alpha+T)/(alpha+t_x))^(r+x))``. An alive customer has survived ``x + 1`` tosses, so its
``p`` is ``Beta(a, b+x+1)``: its future purchases are those of a BG/NBD customer with ``b + 1``
(:func:`alive_equivalent`), computed by :mod:`portfolio_lib.models.bgnbd`'s stable forms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from portfolio_lib.models import bgnbd
from portfolio_lib.models.common import (
    ArrayLike,
    FloatArray,
    as_float,
    attach_interface,
    fit_numerically,
    scipy_functions,
)

# Imported on first call: importing the models must not import scipy (see scipy_functions).
betaln, expit, gammaln = scipy_functions("scipy.special", "betaln", "expit", "gammaln")

__all__ = [
    "MBGNBDFit",
    "alive_equivalent",
    "conditional_expected_purchases",
    "expected_purchases",
    "expected_purchases_if_alive",
    "fit_mbgnbd",
    "p_alive",
]


@dataclass(frozen=True)
class MBGNBDFit(bgnbd.BGNBDFit):
    """A fitted MBG/NBD model: the attributes of :class:`~portfolio_lib.models.BGNBDFit`.

    A subclass for its fields only: its methods (``p_alive``, ``expected_purchases``, ...)
    are this module's functions, not the BG/NBD's.
    """

    model = "mbgnbd"


def _log_odds_dead(
    params: tuple[float, float, float, float], x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    r, alpha, a, b = params
    return math.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))


def _mbg_log_likelihood(
    params: tuple[float, float, float, float], x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    r, alpha, a, b = params
    return (
        gammaln(r + x)
        - gammaln(r)
        + r * math.log(alpha)
        + betaln(a, b + x + 1.0)
        - betaln(a, b)
        - (r + x) * np.log(alpha + T)
        + np.logaddexp(0.0, _log_odds_dead(params, x, tx, T))
    )


def _start(x: FloatArray, T: FloatArray) -> FloatArray:
    """Mean purchase rate ~ repeat purchases per unit of observed time, r = 1."""
    rate = x.sum() / max(T.sum(), 1e-9)
    return np.log([1.0, 1.0 / max(rate, 1e-6), 1.0, 3.0])


def fit_mbgnbd(summary: pd.DataFrame, **options: object) -> MBGNBDFit:
    """Fit the MBG/NBD model by maximum likelihood (gradient by central differences).

    Options (``time_unit_days``, ``min_repeat_customers``, ``initial_params`` with
    ``r``, ``alpha``, ``a``, ``b``, ``on_nonconvergence``, column names) are those of
    :func:`portfolio_lib.models.bgnbd.fit_bgnbd`
    (:func:`portfolio_lib.models.common.fit_numerically`).

    Returns
    -------
    MBGNBDFit

    Raises
    ------
    PortfolioDataError
        ``out_of_range``, ``too_few_repeat_customers``, ``not_converged``.
    """
    return fit_numerically(
        MBGNBDFit,
        _mbg_log_likelihood,
        summary,
        model="MBG/NBD",
        names=("r", "alpha", "a", "b"),
        default_start=_start,
        **options,
    )


def p_alive(fit: MBGNBDFit, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:
    """Probability that a customer is still alive: ``1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))``.

    Below 1 even without repeat purchase (``x = 0``, ``t_x = 0``: ``1 / (1 + a / b
    ((alpha + T) / alpha)^r)``).
    """
    x, tx, T = np.broadcast_arrays(as_float(frequency), as_float(recency), as_float(T))
    unit = fit.time_unit_days
    tx = np.where(x > 0, tx, 0.0)
    with np.errstate(all="ignore"):
        return expit(-_log_odds_dead(fit.params_tuple, x, tx / unit, T / unit))


def alive_equivalent(fit: MBGNBDFit) -> bgnbd.BGNBDFit:
    """The BG/NBD whose alive customers buy like this MBG/NBD's: same ``r, alpha, a``, ``b + 1``.

    An alive MBG/NBD customer with ``x`` repeat purchases has ``p ~ Beta(a, b + x + 1)``
    and drops out after each future purchase like a BG/NBD customer with ``p ~ Beta(a, b' +
    x)``, ``b' = b + 1``. Only its expected purchases *if alive* are meant to be used.
    """
    return bgnbd.BGNBDFit(
        r=fit.r,
        alpha=fit.alpha,
        a=fit.a,
        b=fit.b + 1.0,
        log_likelihood=float("nan"),
        n_customers=fit.n_customers,
        n_repeat_customers=fit.n_repeat_customers,
        converged=fit.converged,
        time_unit_days=fit.time_unit_days,
    )


def expected_purchases_if_alive(
    fit: MBGNBDFit, t: ArrayLike, frequency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Expected purchases in the next ``t`` days of customers alive now (days).

    ``(a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))]``,
    the BG/NBD's with ``b + 1`` (:func:`alive_equivalent`).
    """
    return bgnbd.expected_purchases_if_alive(alive_equivalent(fit), t, frequency, T)


def conditional_expected_purchases(
    fit: MBGNBDFit, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Expected purchases in the next ``t`` days of known customers: P(alive) x the above."""
    t, x, tx, T = np.broadcast_arrays(
        as_float(t), as_float(frequency), as_float(recency), as_float(T)
    )
    return p_alive(fit, x, tx, T) * expected_purchases_if_alive(fit, t, x, T)


def expected_purchases(fit: MBGNBDFit, t: ArrayLike) -> FloatArray:
    """Expected repeat purchases in the first ``t`` days of a new customer.

    The new customer is alive after the first purchase with probability ``b / (a + b)``, and
    then buys like an alive customer with ``x = 0``, ``T = 0``:
    ``b / (a+b) (a+b)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]``.
    """
    t = as_float(t)
    alive = fit.b / (fit.a + fit.b)
    return alive * bgnbd.expected_purchases(alive_equivalent(fit), t)


attach_interface(
    MBGNBDFit, p_alive, conditional_expected_purchases, expected_purchases_if_alive,
    expected_purchases,
)  # fmt: skip
