"""Purchase histories drawn from the BG/NBD and Gamma-Gamma processes (tests, benchmarks).

What data from the models of Fader, Hardie & Lee (2005) and Fader & Hardie (2013) looks
like: draws of each customer's rate, dropout and spend, then of the history those imply.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from portfolio_lib.models.common import ArrayLike, as_float

__all__ = ["simulate_summary"]


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
    ages = np.broadcast_to(as_float(T), (n_customers,)).astype(float)
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
