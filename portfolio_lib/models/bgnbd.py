"""BG/NBD: how many purchases a customer makes and whether the customer is still alive.

Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2). While alive a customer buys at a Poisson rate
``lambda ~ Gamma(r, alpha)``; after each repeat purchase the customer drops out with
probability ``p ~ Beta(a, b)``. Implemented here (numpy/scipy only):

- the log-likelihood (eq. 6) and its maximum (:func:`fit_bgnbd`), on histories grouped by
  identical (frequency, recency, T) with counts as weights;
- P(alive) (FHL note 021, :func:`p_alive`);
- expected purchases of a new customer (eq. 9, :func:`expected_purchases`), of a known one
  (eq. 10, :func:`conditional_expected_purchases`), and the probability of ``n`` purchases
  (eq. 8, :func:`probability_of_purchases`).

The BG/NBD is fitted in a coarser unit, ``time_unit_days`` (7 = weeks, the default, as in the
papers), because parameters of order one condition the optimiser best; the model is
scale-free (fitting in days gives the same ``r``, ``a``, ``b`` and 7 times the ``alpha``), so
the unit changes no prediction. The fit remembers the unit and converts: only its ``alpha``
(and the log-likelihood, a density in that unit) is expressed in it. Every other time is in
days.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from portfolio_lib.models.common import (
    MIN_REPEAT_CUSTOMERS,
    ArrayLike,
    FloatArray,
    as_float,
    attach_interface,
    checked_histories,
    covariance,
    dot,
    failed,
    maximise,
    scipy_functions,
    standard_errors,
)

# Imported on first call: importing the models must not import scipy (see scipy_functions).
betainc, betaln, digamma, expit, gammaln, hyp2f1, xlogy = scipy_functions(
    "scipy.special", "betainc", "betaln", "digamma", "expit", "gammaln", "hyp2f1", "xlogy"
)

__all__ = [
    "BGNBDFit",
    "conditional_expected_purchases",
    "expected_purchases",
    "expected_purchases_if_alive",
    "fit_bgnbd",
    "p_alive",
    "probability_of_purchases",
]

# Within _NEAR_ONE of a = 1 the closed form is 0/0: expectations are interpolated (cubic) from
# a = 1 +- _NEAR_ONE and 1 +- 2 _NEAR_ONE, where it still has ~11 correct digits.
_NEAR_ONE = 1e-3
# Horizons below _SERIES_MAX_K (alpha + T) use the power series (at most _SERIES_TERMS terms):
# there the closed form is 1 minus a number close to 1 and loses digits.
_SERIES_MAX_K = 0.5
_SERIES_TERMS = 200
# warnings.catch_warnings is not thread-safe: the quadrature fallback holds this lock.
_QUADRATURE_LOCK = threading.Lock()


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
    log_covariance : numpy.ndarray or None
        Asymptotic covariance of ``ln r, ln alpha, ln a, ln b`` (inverse observed
        information), what :mod:`portfolio_lib.models.uncertainty` draws parameters from.
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
    log_covariance: np.ndarray | None = field(default=None, compare=False, repr=False)

    model = "bgnbd"

    @property
    def params(self) -> dict[str, float]:
        """``{"r", "alpha", "a", "b"}`` (``alpha`` in the fit's time unit)."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    @property
    def params_tuple(self) -> tuple[float, float, float, float]:
        """``(r, alpha, a, b)``, the order the formulas take them in."""
        return self.r, self.alpha, self.a, self.b


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
    ll = dot(wx, gammaln(r + ux) + betaln(a, b + ux))
    ll += n * (r * log_alpha - gammaln(r) - betaln(a, b))
    d_r = dot(wx, digamma(r + ux)) + n * (log_alpha - digamma(r))
    d_alpha = n * r / alpha
    d_a = n * digamma(a + b) - dot(wx, digamma(a + b + ux))
    d_b = dot(wx, digamma(b + ux) - digamma(a + b + ux)) + n * (digamma(a + b) - digamma(b))
    # ln A3 = -(r + x) ln(alpha + T) for everyone: once per distinct age.
    log_t = np.log(alpha + data.times)
    inv_t = 1.0 / (alpha + data.times)
    ll -= r * dot(data.weight_T, log_t) + dot(data.purchases_T, log_t)
    d_r -= dot(data.weight_T, log_t)
    d_alpha -= r * dot(data.weight_T, inv_t) + dot(data.purchases_T, inv_t)
    # Repeat customers: softplus(d), d = ln A4 - ln A3, and s = sigmoid(d) = A4 / (A3 + A4).
    rx, w = r + data.x, data.w
    log_bx = np.log(b + ux - 1.0, where=ux > 0, out=np.zeros_like(ux))[data.x_index]
    gap = log_t[data.tx_index] - log_t[data.T_index]
    d = math.log(a) - log_bx - rx * gap
    e = np.exp(-np.abs(d))
    ll += dot(w, np.maximum(d, 0.0) + np.log1p(e))
    ws = w * np.where(d > 0, 1.0, e) / (1.0 + e)
    d_r -= dot(ws, gap)
    d_alpha -= dot(ws * rx, inv_t[data.tx_index] - inv_t[data.T_index])
    d_a += ws.sum() / a
    d_b -= dot(ws, np.exp(-log_bx))
    grad = np.array([d_r, d_alpha, d_a, d_b]) * np.array([r, alpha, a, b])
    return -ll / n, -grad / n


def _bgnbd_start(data: _BGNBDData) -> FloatArray:
    # Mean purchase rate ~ repeat purchases per unit of observed time, with r = 1.
    purchases = data.purchases_T.sum()
    exposure = dot(data.weight_T, data.times)
    alpha = exposure / max(purchases, 1.0)
    return np.log([1.0, float(np.clip(alpha, 1e-3, 1e5)), 1.0, 3.0])


def fit_bgnbd(
    summary: pd.DataFrame,
    *,
    time_unit_days: float = 7.0,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
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
    x, tx, T, repeat = checked_histories(
        summary,
        model="BG/NBD",
        time_unit_days=time_unit_days,
        min_repeat_customers=min_repeat_customers,
        on_nonconvergence=on_nonconvergence,
        frequency_col=frequency_col,
        recency_col=recency_col,
        T_col=T_col,
        customer_col=customer_col,
    )
    data = _group_histories(x, tx / time_unit_days, T / time_unit_days)
    names = ("r", "alpha", "a", "b")
    start = (
        np.log([float(initial_params[n]) for n in names])
        if initial_params is not None
        else _bgnbd_start(data)
    )

    def objective(u: FloatArray) -> tuple[float, FloatArray]:
        return _bgnbd_objective(u, data)

    optimum = maximise(objective, start, names)
    if not optimum.converged:
        failed("BG/NBD", optimum.reason, on_nonconvergence)
    r, alpha, a, b = (float(v) for v in np.exp(optimum.log_params))
    information = covariance(objective, optimum.log_params, data.total_weight)
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
        standard_errors=standard_errors(
            objective, optimum.log_params, data.total_weight, names, log_covariance=information
        ),
        message=optimum.reason or optimum.message,
        log_covariance=information,
    )


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
    x, tx, T = np.broadcast_arrays(as_float(frequency), as_float(recency), as_float(T))
    unit = fit.time_unit_days
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        alive = expit(-_log_odds_dead(fit.params_tuple, x, tx / unit, T / unit))
    return np.where(x > 0, alive, 1.0)


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
    from scipy.integrate import IntegrationWarning, quad  # only here (see scipy_functions)

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


def _alive_expectation_series(
    params: tuple[float, float, float, float], x: FloatArray, T: FloatArray, t: FloatArray
) -> tuple[FloatArray, np.ndarray]:
    """Short-horizon E[purchases | alive] as a power series in k = t / (alpha + T).

    E[(1 - exp(-lambda p t)) / p] = sum_n>=1 (-1)^(n+1) t^n E[lambda^n] E[p^(n-1)] / n! with
    E[lambda^n] = (r+x)_n / (alpha+T)^n and E[p^(n-1)] = (a)_(n-1) / (a+b+x)_(n-1): terms of
    ratio -> -k, so for k <= 1/2 they soon fall fast and alternate. Summed term by term until
    a term is below 1e-17 of the sum. Returns the values and where they are reliable:
    converged, without terms so large (beyond 1e3 times the sum) that their rounding matters.
    """
    r, alpha, a, b = params
    k = t / (alpha + T)
    rx, abx = r + x, a + b + x
    term = rx * k
    total, largest = term.copy(), np.abs(term)
    converged = np.zeros(len(x), dtype=bool)
    active = np.arange(len(x))  # the entries still summing
    for n in range(1, _SERIES_TERMS):
        # term_n = -term_(n-1) (r + x + n) (a + n - 1) k / ((a + b + x + n - 1) (n + 1))
        term = (rx[active] + n) * term * -(a + n - 1.0) * k[active]
        term /= (abx[active] + n - 1.0) * (n + 1.0)
        total[active] += term
        largest[active] = np.maximum(largest[active], np.abs(term))
        done = np.abs(term) <= 1e-17 * np.abs(total[active])
        converged[active[done]] = True
        active, term = active[~done], term[~done]
        if not len(active):
            break
    return total, converged & (largest <= 1e3 * np.abs(total))


def _alive_expectation(
    params: tuple[float, float, float, float],
    x: FloatArray,
    T: FloatArray,
    t: FloatArray,
    *,
    near_one: bool = True,
) -> FloatArray:
    """E[purchases in (T, T+t] | alive at T, x] in the fit's time unit (1-d arrays).

    FHL 2005 eq. 10 without its P(alive) factor:
    (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)], with
    z = t / (alpha+T+t). Euler's transformation 2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A,C-B;C;z)
    turns the bracket into 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose parameters stay
    small for large x (the original 2F1 overflows as z -> 1 while its factor underflows).
    Short horizons use a power series instead (:func:`_alive_expectation_series`), ``a`` near
    1 an interpolation in ``a``. Values that fail a sanity check (not finite, or outside
    0 <= E <= E[lambda | data] t: scipy's 2F1 returns NaN for some integer parameter
    combinations) are recomputed by quadrature.
    """
    r, alpha, a, b = params
    value = np.zeros(x.shape)
    todo = t > 0
    short = todo & (t <= _SERIES_MAX_K * (alpha + T))
    if short.any():
        series, reliable = _alive_expectation_series(params, x[short], T[short], t[short])
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
            _alive_expectation((r, alpha, 1.0 + d, b), x[todo], T[todo], t[todo], near_one=False)
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
        hyp = hyp2f1(a + b - 1.0 - r, a - 1.0, c, ts / (alpha + Ts + ts))
        found = c / (a - 1.0) * -np.expm1(-(a - 1.0) * np.log1p(ts / (alpha + Ts)) + np.log(hyp))
        ceiling = (r + xs) / (alpha + Ts) * ts
    bad = ~np.isfinite(found) | ~(hyp > 0) | (found < 0) | (found > ceiling * (1 + 1e-9))
    if bad.any():
        found[bad] = _alive_expectation_quadrature(params, xs[bad], Ts[bad], ts[bad])
    value[todo] = found
    return value


def expected_purchases_if_alive(
    fit: BGNBDFit, t: ArrayLike, frequency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Expected purchases in the next ``t`` days of customers alive now (FHL 2005 eq. 10 / P(alive)).

    The factor of :func:`conditional_expected_purchases` besides P(alive): it depends on the
    history through the frequency and the age ``T`` alone (not the recency), which lets a
    caller evaluate it once per distinct (frequency, T).

    Parameters
    ----------
    fit : BGNBDFit
    t : float or array-like
        Horizon in days (broadcast with the histories).
    frequency, T : array-like
        Repeat purchases and customer age in days.

    Returns
    -------
    numpy.ndarray
    """
    t, x, T = np.broadcast_arrays(as_float(t), as_float(frequency), as_float(T))
    unit = fit.time_unit_days
    flat = _alive_expectation(fit.params_tuple, x.ravel(), T.ravel() / unit, t.ravel() / unit)
    return flat.reshape(x.shape)


def conditional_expected_purchases(
    fit: BGNBDFit, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Expected purchases in the next ``t`` days of customers with a known history.

    FHL 2005 eq. 10: ``P(alive) * (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
    2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]``, evaluated in a stable form (see
    :func:`_alive_expectation`) with a quadrature fallback where the hypergeometric function
    fails.

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
        as_float(t), as_float(frequency), as_float(recency), as_float(T)
    )
    return p_alive(fit, x, tx, T) * expected_purchases_if_alive(fit, t, x, T)


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
    t = as_float(t)
    flat = t.ravel() / fit.time_unit_days
    zeros = np.zeros_like(flat)
    return _alive_expectation(fit.params_tuple, zeros, zeros, flat).reshape(t.shape)


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
    r, alpha, a, b = fit.params_tuple
    t, n = np.broadcast_arrays(as_float(t) / fit.time_unit_days, as_float(n))
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


attach_interface(
    BGNBDFit,
    p_alive,
    conditional_expected_purchases,
    expected_purchases_if_alive,
    expected_purchases,
)
