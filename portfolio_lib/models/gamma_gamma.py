"""Gamma-Gamma: how much a customer spends per purchase.

Fader & Hardie (2013), "The Gamma-Gamma model of monetary value" (after Fader, Hardie & Lee
2005, "RFM and CLV: using iso-value curves for customer base analysis"). The spend per
purchase is ``Gamma(p, nu)`` around a customer mean, ``nu ~ Gamma(q, v)``; fitted on the
repeat customers' average spend (eq. 1a, :func:`fit_gamma_gamma`), it shrinks each customer's
average towards the portfolio's (eq. 5, :func:`expected_spend`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError
from portfolio_lib.models.common import (
    MIN_REPEAT_CUSTOMERS,
    ArrayLike,
    FloatArray,
    as_float,
    check_choice,
    check_repeat_customers,
    column,
    covariance,
    customer_ids,
    dot,
    failed,
    maximise,
    scipy_functions,
    standard_errors,
)

# Imported on first call: importing the models must not import scipy (see scipy_functions).
digamma, gammaln = scipy_functions("scipy.special", "digamma", "gammaln")

__all__ = ["GammaGammaFit", "expected_spend", "fit_gamma_gamma"]


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
    log_covariance : numpy.ndarray or None
        Asymptotic covariance of ``ln p, ln q, ln v`` (inverse observed information).
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
    log_covariance: np.ndarray | None = field(default=None, compare=False, repr=False)

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
        sum_x_log_m=dot(x, np.log(ms)),
        sum_log_m=float(np.log(ms).sum()),
        sum_x_log_x=dot(x, np.log(x)),
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
    x_log, sum_log = dot(data.x, log_v_xm), log_v_xm.sum()
    ll = (
        dot(wx, gammaln(p * ux + q) - gammaln(p * ux))
        - n * gammaln(q)
        + n * q * math.log(v)
        + p * (data.sum_x_log_m + data.sum_x_log_x)
        - data.sum_log_m
        - p * x_log
        - q * sum_log
    )
    d_p = (
        dot(wx, ux * (digamma(p * ux + q) - digamma(p * ux)))
        + data.sum_x_log_m
        + data.sum_x_log_x
        - x_log
    )
    d_q = dot(wx, digamma(p * ux + q)) - n * digamma(q) + n * math.log(v) - sum_log
    d_v = n * q / v - p * dot(data.x, inv_v_xm) - q * inv_v_xm.sum()
    grad = np.array([d_p, d_q, d_v]) * np.array([p, q, v])
    return -ll / n, -grad / n


def fit_gamma_gamma(
    summary: pd.DataFrame,
    *,
    on_nonpositive: Literal["error", "exclude"] = "error",
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
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
    check_choice("on_nonpositive", on_nonpositive, ("error", "exclude"))
    check_choice("on_nonconvergence", on_nonconvergence, ("error", "warn"))
    x = column(summary, frequency_col, analysis="Gamma-Gamma").to_numpy()
    m = column(summary, monetary_value_col, analysis="Gamma-Gamma").to_numpy()
    repeat = np.nan_to_num(x) > 0
    nonpositive = repeat & ~(m > 0)
    if nonpositive.any():
        ids = customer_ids(summary, customer_col)[nonpositive]
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
    check_repeat_customers(len(x), min_repeat_customers, "Gamma-Gamma")
    data = _spend_data(x, m)
    names = ("p", "q", "v")
    if initial_params is not None:
        start = np.log([initial_params["p"], initial_params["q"], initial_params["v"] / data.scale])
    else:
        # p = 2, q = 3 and v matching the mean average spend: p v / (q - 1) = mean.
        start = np.log([2.0, 3.0, float(np.mean(data.m))])

    def objective(u: FloatArray) -> tuple[float, FloatArray]:
        return _gamma_gamma_objective(u, data)

    optimum = maximise(objective, start, names)
    p, q, v_scaled = (float(val) for val in np.exp(optimum.log_params))
    if not optimum.converged:
        failed("Gamma-Gamma", optimum.reason, on_nonconvergence)
    # ln v and ln(v / scale) differ by a constant: the same covariance.
    information = covariance(objective, optimum.log_params, float(len(x)))
    errors = standard_errors(
        objective, optimum.log_params, float(len(x)), names, log_covariance=information
    )
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
        log_covariance=information,
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
    x, m = np.broadcast_arrays(as_float(frequency), as_float(monetary_value))
    x, m = np.broadcast_arrays(as_float(frequency), as_float(monetary_value))
    p, q, v = fit.p, fit.q, fit.v
    weight = x * p + q - 1.0
    with np.errstate(all="ignore"):
        spend = (x * p * m + p * v) / weight
    spend = np.where(weight > 0, spend, m)  # no posterior mean: the customer's average
    return np.where((x > 0) & (m > 0), spend, fit.mean_spend)
