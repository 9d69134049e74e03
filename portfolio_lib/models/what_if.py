"""What-if on the fitted BG/NBD and Gamma-Gamma: retention, acquisition and basket changes.

The levers act on the models, not on a separate formula:

- retention +- points: the model's yearly retention (:func:`model_retention`, the probability
  that a customer alive today is still alive in a year) is moved by solving for the dropout
  Beta's ``b`` (``a`` kept, :func:`with_retention`); P(alive) today is unchanged (the past is
  observed), the purchases from now on follow the new model;
- basket +- %: the Gamma-Gamma expected spend per purchase is multiplied by ``1 + change``;
- acquisition: new customers per month, each a first purchase then the model's new-customer
  curve (:func:`portfolio_lib.models.bgnbd.expected_purchases`, FHL eq. 9) at the model's mean
  spend; a new customer's CLV (the LTV of LTV / CAC) is that curve discounted and times the
  margin rate.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from portfolio_lib.models.bgnbd import BGNBDFit, expected_purchases
from portfolio_lib.models.common import DAYS_PER_MONTH, scipy_functions
from portfolio_lib.models.gamma_gamma import GammaGammaFit

# Imported on first call: importing the models must not import scipy (see scipy_functions).
(brentq,) = scipy_functions("scipy.optimize", "brentq")
(hyp2f1,) = scipy_functions("scipy.special", "hyp2f1")

__all__ = ["model_retention", "new_customer_purchases", "new_customer_value", "with_retention"]

_YEAR_DAYS = 365.25
_B_RANGE = (1e-4, 1e6)


def model_retention(fit: BGNBDFit, days: float = _YEAR_DAYS) -> float:
    """The model's retention over ``days``: P(a customer alive today is still alive then).

    A customer with rate ``lambda`` and dropout ``p`` drops at each purchase with probability
    ``p``: dropouts are a Poisson process of rate ``lambda p``, so it survives ``t`` with
    probability ``exp(-lambda p t)``. Over the model's population (``lambda ~ Gamma(r,
    alpha)``, ``p ~ Beta(a, b)``): ``E[(1 + p t / alpha)^-r]``, a Beta integral taken by
    Gauss-Jacobi quadrature.

    Parameters
    ----------
    fit : BGNBDFit
    days : float, default 365.25

    Returns
    -------
    float
    """
    c = days / fit.time_unit_days / fit.alpha
    return float((1.0 + c) ** -fit.r * hyp2f1(fit.r, fit.b, fit.a + fit.b, c / (1.0 + c)))


def with_retention(fit: BGNBDFit, points: float, days: float = _YEAR_DAYS) -> BGNBDFit:
    """The model whose yearly retention is ``points`` percentage points above ``fit``'s.

    Solves ``model_retention(fit with b') = model_retention(fit) + points / 100`` for ``b'``
    (``a`` kept: the dropout's mean ``a / (a + b')`` moves). The target is kept inside what a
    Beta dropout can reach (``b'`` in [1e-4, 1e6]).

    Parameters
    ----------
    fit : BGNBDFit
    points : float
        Change of the yearly retention in percentage points (+5: 80 % -> 85 %).
    days : float, default 365.25

    Returns
    -------
    BGNBDFit
        ``fit`` itself when ``points == 0``.
    """
    if points == 0:
        return fit

    def retention(b: float) -> float:
        return model_retention(dataclasses.replace(fit, b=b), days)

    low, high = retention(_B_RANGE[0]), retention(_B_RANGE[1])
    target = min(max(model_retention(fit, days) + points / 100.0, low), high)
    b = brentq(
        lambda log_b: retention(float(np.exp(log_b))) - target,
        np.log(_B_RANGE[0]),
        np.log(_B_RANGE[1]),
        xtol=1e-12,
    )
    return dataclasses.replace(fit, b=float(np.exp(b)))


def new_customer_purchases(fit: BGNBDFit, months: np.ndarray | float) -> np.ndarray:
    """Purchases of a new customer in its first ``months``: the first one plus FHL eq. 9."""
    return 1.0 + expected_purchases(fit, np.asarray(months, float) * DAYS_PER_MONTH)


def new_customer_value(
    fit: BGNBDFit,
    gamma_gamma: GammaGammaFit,
    *,
    margin_rate: float,
    horizon_months: int,
    discount_rate: float,
    spend_factor: float = 1.0,
) -> float:
    """CLV of a customer acquired today: the LTV of LTV / CAC.

    ``margin_rate * spend * (1 + sum_k (E[X(k)] - E[X(k-1)]) / (1 + d_m)^k)`` for the months
    ``k = 1..horizon_months``: the first purchase today (not discounted), then the repeat
    purchases of the new-customer curve ``E[X]`` (FHL eq. 9) discounted at each month's end as
    in :func:`portfolio_lib.models.predictive_clv`; ``spend`` is the Gamma-Gamma mean spend
    per purchase times ``spend_factor``.
    """
    months = np.arange(0.0, horizon_months + 1)
    cumulative = expected_purchases(fit, months * DAYS_PER_MONTH)
    discount = (1.0 + discount_rate) ** (-months[1:] / 12.0)
    purchases = 1.0 + float(np.diff(cumulative) @ discount)
    return margin_rate * gamma_gamma.mean_spend * spend_factor * purchases
