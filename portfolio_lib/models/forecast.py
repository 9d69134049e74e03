"""Forecast of the next months' revenue and active customers from BG/NBD and Gamma-Gamma.

Per customer, over the next ``t`` days (Fader, Hardie & Lee 2005; Fader & Hardie 2013):

- expected purchases ``E[N]``: :func:`portfolio_lib.models.bgnbd.conditional_expected_purchases`
  (FHL eq. 10);
- expected revenue ``E[N] * expected_spend`` (spend independent of the purchases, the
  Gamma-Gamma assumption);
- probability of at least one purchase (:func:`probability_active`): ``P(alive) * (1 - ((alpha
  + T) / (alpha + T + t))^(r + x))``: an alive customer buys nothing in ``t`` exactly when the
  Poisson process of rate ``lambda ~ Gamma(r + x, alpha + T)`` (the posterior of an alive
  customer) has no event in ``t``; dropout only happens at a purchase. Its sum is the expected
  number of customers *active* (at least one purchase) over the period.

Intervals (:func:`forecast_draws`) are draws of the posterior predictive distribution with the
parameters at their maximum-likelihood values: per customer alive or not (P(alive)), a rate
``lambda ~ Gamma(r + x, alpha + T)``, a dropout ``p ~ Beta(a, b + x)``, purchases ``min(Poisson(
lambda t), Geometric(p))`` and their total spend ``Gamma(p_gg N, nu)`` with ``nu ~ Gamma(q + p_gg
x, v + x m)``. They hold the purchase counts' and spends' randomness and the customers'
heterogeneity, not the uncertainty of the fitted parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from portfolio_lib.models.bgnbd import BGNBDFit, expected_purchases_if_alive, p_alive
from portfolio_lib.models.common import (
    DAYS_PER_MONTH,
    ArrayLike,
    FloatArray,
    as_float,
    column,
    purchase_history,
)
from portfolio_lib.models.gamma_gamma import GammaGammaFit, expected_spend

__all__ = ["forecast_customers", "forecast_draws", "probability_active"]


def _histories(
    summary: pd.DataFrame, *names: str
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, np.ndarray]:
    """Checked (frequency, recency, T, monetary value) and the mask of customers with a
    history, from the columns ``names`` (frequency, recency, T, monetary value, customer)."""
    columns = dict(zip(("frequency_col", "recency_col", "T_col"), names[:3], strict=True))
    x, tx, T, known = purchase_history(
        summary, **columns, customer_col=names[4], analysis="forecast"
    )
    return x, tx, T, column(summary, names[3], analysis="forecast").to_numpy(), known


def probability_active(
    fit: BGNBDFit, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Probability that a customer makes at least one purchase in the next ``t`` days.

    ``P(alive) * (1 - ((alpha + T) / (alpha + T + t))^(r + x))`` (times in the fit's unit).

    Parameters
    ----------
    fit : BGNBDFit
    t : float or array-like
        Horizon in days.
    frequency, recency, T : array-like
        Purchase histories; ``recency`` and ``T`` in days.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> fit = BGNBDFit(r=0.25, alpha=4.0, a=0.8, b=2.5, log_likelihood=0.0, n_customers=0,
    ...                n_repeat_customers=0, converged=True, time_unit_days=7.0)
    >>> # x = 0, T = 20 weeks, t = 4 weeks: 1 - (24 / 28)^0.25 = 0.03780
    >>> round(float(probability_active(fit, 28, 0, 0, 140)), 5)
    0.0378
    """
    t, x, tx, T = np.broadcast_arrays(
        as_float(t), as_float(frequency), as_float(recency), as_float(T)
    )
    unit = fit.time_unit_days
    none = ((fit.alpha + T / unit) / (fit.alpha + (T + t) / unit)) ** (fit.r + x)
    return p_alive(fit, x, tx, T) * (1.0 - none)


def forecast_customers(
    summary: pd.DataFrame,
    bgnbd: BGNBDFit,
    gamma_gamma: GammaGammaFit,
    *,
    horizon_months: float = 12,
    spend_factor: float = 1.0,
    future_fit: BGNBDFit | None = None,
    frequency_col: str = "frequency",
    recency_col: str = "recency",
    T_col: str = "T",
    monetary_value_col: str = "monetary_value",
    customer_col: str = "customer_id",
) -> pd.DataFrame:
    """Expected purchases, revenue and probability of buying per customer over the next months.

    Parameters
    ----------
    summary : pandas.DataFrame
        Purchase histories in days (``Aggregates.customers``).
    bgnbd, gamma_gamma : BGNBDFit, GammaGammaFit
    horizon_months : float, default 12
        Months of ``365.25 / 12`` days.
    spend_factor : float, default 1
        Multiplies the expected spend per purchase (the what-if's basket change).
    future_fit : BGNBDFit, optional
        The model of the customers' future purchases when it differs from ``bgnbd`` (the
        what-if's retention change): P(alive) today stays that of ``bgnbd`` (the past is
        observed), the purchases and dropouts from now on follow ``future_fit``.

    Returns
    -------
    pandas.DataFrame
        Same index as ``summary``: ``p_alive``, ``expected_purchases``, ``p_active``
        (:func:`probability_active`), ``expected_spend`` and ``revenue`` (purchases x spend);
        prospects (no purchase) get zeros.
    """
    if horizon_months < 0:
        raise ValueError(f"horizon_months must be >= 0, got {horizon_months!r}")
    names = (frequency_col, recency_col, T_col, monetary_value_col, customer_col)
    x, tx, T, m, known = _histories(summary, *names)
    future = bgnbd if future_fit is None else future_fit
    t = float(horizon_months) * DAYS_PER_MONTH
    n = len(summary)
    alive, purchases, active = np.zeros(n), np.zeros(n), np.zeros(n)
    alive[known] = p_alive(bgnbd, x[known], tx[known], T[known])
    if known.any():
        # The expectation of an alive customer depends on (x, T) alone: once per pair.
        pairs = pd.DataFrame({"x": x[known], "T": T[known]}).groupby(["x", "T"], sort=False)
        codes = pairs.ngroup().to_numpy()
        distinct = pairs.size().index
        xs = distinct.get_level_values("x").to_numpy(float)
        Ts = distinct.get_level_values("T").to_numpy(float)
        purchases[known] = alive[known] * expected_purchases_if_alive(future, t, xs, Ts)[codes]
        unit = future.time_unit_days
        none = ((future.alpha + Ts / unit) / (future.alpha + (Ts + t) / unit)) ** (future.r + xs)
        active[known] = alive[known] * (1.0 - none)[codes]
    spend = np.where(known, expected_spend(gamma_gamma, x, m), 0.0) * spend_factor
    out = pd.DataFrame(
        {
            "p_alive": np.where(known, alive, 0.0),
            "expected_purchases": purchases,
            "p_active": active,
            "expected_spend": spend,
            "revenue": purchases * spend,
        },
        index=summary.index,
    )
    if customer_col in summary.columns:
        out.insert(0, customer_col, summary[customer_col])
    return out


def forecast_draws(
    summary: pd.DataFrame,
    bgnbd: BGNBDFit,
    gamma_gamma: GammaGammaFit,
    groupings: Sequence[np.ndarray] = (),
    *,
    horizon_months: float = 12,
    draws: int = 200,
    seed: int | np.random.Generator | None = 0,
    chunk: int = 10,
    frequency_col: str = "frequency",
    recency_col: str = "recency",
    T_col: str = "T",
    monetary_value_col: str = "monetary_value",
    customer_col: str = "customer_id",
) -> list[dict[str, FloatArray]]:
    """Draws of the totals over the next months: revenue, purchases and active customers.

    Each draw is one possible future of every customer from the posterior predictive
    distribution (see the module's docstring), the parameters held at their fitted values.

    Parameters
    ----------
    summary : pandas.DataFrame
        Purchase histories in days.
    bgnbd, gamma_gamma : BGNBDFit, GammaGammaFit
    groupings : sequence of numpy.ndarray
        Integer group codes per customer (``>= 0``; ``-1`` leaves a customer out); one result
        per grouping. The portfolio is ``np.zeros(len(summary), int)``.
    horizon_months : float, default 12
    draws : int, default 200
    seed : int or Generator, default 0
    chunk : int, default 10
        Draws computed at once (memory: ``chunk x customers`` numbers).

    Returns
    -------
    list of dict
        Per grouping, ``{"revenue", "purchases", "active"}``, each ``(draws, groups)``.
    """
    rng = np.random.default_rng(seed)
    names = (frequency_col, recency_col, T_col, monetary_value_col, customer_col)
    x, tx, T, m, known = _histories(summary, *names)
    x, tx, T, m = x[known], tx[known], T[known], m[known]
    codes = [np.asarray(g)[known].astype(int) for g in groupings]
    sizes = [int(g.max()) + 1 if len(g) and g.max() >= 0 else 0 for g in groupings]
    n = len(x)
    unit = bgnbd.time_unit_days
    t = float(horizon_months) * DAYS_PER_MONTH / unit
    alive = p_alive(bgnbd, x, tx, T)
    # Spend: the customer's posterior rate nu when its history is usable, else the prior (or,
    # when the prior's mean is infinite, the model's stand-in mean per purchase).
    usable = (x > 0) & (m > 0)
    shape_nu = gamma_gamma.q + gamma_gamma.p * np.where(usable, x, 0.0)
    rate_nu = gamma_gamma.v + np.where(usable, x * m, 0.0)
    fixed_spend = ~usable & (not gamma_gamma.finite_mean)
    from scipy import sparse  # imported when drawn: importing the models must not import scipy

    # Group sums as products with a customers x groups indicator matrix (sparse).
    indicators = [
        sparse.csr_matrix(
            (np.ones(int((code >= 0).sum())), (np.flatnonzero(code >= 0), code[code >= 0])),
            shape=(n, size),
        )
        for code, size in zip(codes, sizes, strict=True)
    ]
    out = [
        {key: np.zeros((draws, size)) for key in ("revenue", "purchases", "active")}
        for size in sizes
    ]
    for start in range(0, draws, chunk):
        k = min(chunk, draws - start)
        is_alive = rng.random((k, n)) < alive
        rate = rng.gamma(bgnbd.r + x, 1.0 / (bgnbd.alpha + T / unit), (k, n))
        dropout = rng.beta(bgnbd.a, bgnbd.b + x, (k, n))
        bought = np.minimum(rng.poisson(rate * t), rng.geometric(np.clip(dropout, 1e-12, 1.0)))
        bought = np.where(is_alive, bought, 0).astype(float)
        nu = rng.gamma(shape_nu, 1.0 / rate_nu, (k, n))
        revenue = rng.gamma(gamma_gamma.p * bought, 1.0 / nu)
        revenue = np.where(fixed_spend, bought * gamma_gamma.mean_spend, revenue)
        values = {"revenue": revenue, "purchases": bought, "active": (bought > 0).astype(float)}
        for indicator, target in zip(indicators, out, strict=True):
            for key, drawn in values.items():
                target[key][start : start + k] = (indicator.T @ drawn.T).T
    return out
