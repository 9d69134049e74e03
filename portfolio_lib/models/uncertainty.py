"""How sure the predictive CLV is: intervals from the models' parameter uncertainty.

Parametric bootstrap (not the delta method): parameter sets are drawn from the fits'
asymptotic normal distribution on the log scale, ``ln theta ~ N(ln theta_hat, Sigma)`` with
``Sigma`` the inverse observed information (the Hessian of the log-likelihood by finite
differences, ``log_covariance`` of each fit); every draw gives each customer's P(alive),
expected purchases and CLV, and the interval of level ``L`` is the ``(1 - L) / 2`` and
``(1 + L) / 2`` quantiles of the draws, per customer and for the totals. Drawing on the log
scale keeps every parameter positive, and the quantiles follow the nonlinear formulas where
a delta method would force symmetric intervals.

The intervals are on the *expected* values (what the models would predict with the true
parameters), not on what the customers will actually do: a single customer's purchases vary
far more than their expectation. The coverage of the 90 % interval of the totals is tested
on simulated portfolios (tests/test_uncertainty.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.models.clv import predictive_clv
from portfolio_lib.models.diagnostics import PurchaseFit
from portfolio_lib.models.gamma_gamma import GammaGammaFit

__all__ = ["ClvIntervals", "clv_intervals", "draw_fits", "parameter_table", "purchase_intervals"]

i18n.register(
    {
        "parameter": {"fr": "Paramètre", "en": "Parameter"},
        "estimate": {"fr": "Estimation", "en": "Estimate"},
        "standard_error": {"fr": "Écart-type", "en": "Standard error"},
        "interval_low": {"fr": "Borne basse", "en": "Low"},
        "interval_high": {"fr": "Borne haute", "en": "High"},
        "clv_total": {"fr": "CLV totale", "en": "Total CLV"},
        "expected_purchases_total": {
            "fr": "Achats attendus (total)",
            "en": "Expected purchases (total)",
        },
    }
)


def draw_fits(
    fit: PurchaseFit | GammaGammaFit, n_draws: int, *, seed: int | np.random.Generator | None = 0
) -> list[PurchaseFit | GammaGammaFit]:
    """``n_draws`` copies of ``fit`` with parameters drawn from its asymptotic normal (log scale).

    Raises
    ------
    PortfolioDataError
        ``not_converged`` when the fit has no covariance (singular information).
    """
    if fit.log_covariance is None:
        raise PortfolioDataError(
            "not_converged", model=type(fit).__name__, reason="information matrix singular"
        )
    rng = np.random.default_rng(seed)
    names = list(fit.params)
    centre = np.log([fit.params[name] for name in names])
    draws = np.exp(rng.multivariate_normal(centre, fit.log_covariance, size=int(n_draws)))
    return [
        dataclasses.replace(fit, **{n: float(v) for n, v in zip(names, row, strict=True)})
        for row in draws
    ]


def parameter_table(fit: PurchaseFit | GammaGammaFit, *, level: float = 0.9) -> pd.DataFrame:
    """Each parameter's estimate, standard error and interval (the log-scale normal's).

    Returns
    -------
    pandas.DataFrame
        Index ``parameter``: ``estimate``, ``standard_error``, ``interval_low``, ``interval_high``.
    """
    from scipy.stats import norm

    z = float(norm.ppf((1 + level) / 2))
    names = list(fit.params)
    sd_log = (
        np.sqrt(np.diag(fit.log_covariance))
        if fit.log_covariance is not None
        else np.full(len(names), np.nan)
    )
    estimate = np.array([fit.params[n] for n in names])
    return pd.DataFrame(
        {
            "estimate": estimate,
            "standard_error": [fit.standard_errors.get(n, np.nan) for n in names],
            "interval_low": estimate * np.exp(-z * sd_log),
            "interval_high": estimate * np.exp(z * sd_log),
        },
        index=pd.Index(names, name="parameter"),
    )


def _quantiles(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return low, high


def purchase_intervals(
    summary: pd.DataFrame,
    fit: PurchaseFit,
    t: float,
    *,
    n_draws: int = 100,
    level: float = 0.9,
    seed: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Intervals of P(alive) and of the expected purchases in the next ``t`` days.

    Evaluated once per distinct history (frequency, recency, T).

    Returns
    -------
    pandas.DataFrame
        Rows ``p_alive_mean`` (mean over the customers) and ``expected_purchases_total``;
        columns ``estimate``, ``interval_low``, ``interval_high``.
    """
    history = summary[["frequency", "recency", "T"]].dropna().to_numpy(float)
    distinct, counts = np.unique(history, axis=0, return_counts=True)
    x, tx, T = distinct.T
    weights = counts / counts.sum()

    def totals(f: PurchaseFit) -> tuple[float, float]:
        return float(weights @ f.p_alive(x, tx, T)), float(
            counts @ f.expected_purchases(t, x, tx, T)
        )

    draws = np.array([totals(f) for f in draw_fits(fit, n_draws, seed=seed)])
    low, high = _quantiles(draws, level)
    return pd.DataFrame(
        {"estimate": totals(fit), "interval_low": low, "interval_high": high},
        index=pd.Index(["p_alive_mean", "expected_purchases_total"], name="measure"),
    )


@dataclass(frozen=True, eq=False)
class ClvIntervals:
    """Parametric-bootstrap intervals of the predictive CLV (:func:`clv_intervals`).

    Attributes
    ----------
    per_customer : pandas.DataFrame
        The index of the summary: ``p_alive_low``, ``p_alive_high``,
        ``expected_purchases_low``, ``expected_purchases_high``, ``clv_low``, ``clv_high``.
    totals : pandas.DataFrame
        Rows ``clv_total``, ``expected_purchases_total``, ``p_alive_mean``; columns
        ``estimate`` (at the fitted parameters), ``interval_low``, ``interval_high``.
    level : float
    n_draws : int
    """

    per_customer: pd.DataFrame
    totals: pd.DataFrame
    level: float
    n_draws: int


def clv_intervals(
    summary: pd.DataFrame,
    purchases: PurchaseFit,
    gamma_gamma: GammaGammaFit,
    *,
    n_draws: int = DEFAULTS["clv_interval_draws"],
    level: float = DEFAULTS["clv_interval_level"],
    seed: int | np.random.Generator | None = 0,
    **clv_options: object,
) -> ClvIntervals:
    """Intervals of each customer's P(alive), expected purchases and CLV, and of the totals.

    Each of ``n_draws`` draws of both models' parameters (:func:`draw_fits`) gives a
    :func:`~portfolio_lib.models.predictive_clv`; the interval is the central ``level`` of
    the draws. ``clv_options`` go to ``predictive_clv`` (horizon, discount and margin rate).

    Returns
    -------
    ClvIntervals
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    rng = np.random.default_rng(seed)
    central = predictive_clv(summary, purchases, gamma_gamma, **clv_options)
    columns = ("p_alive", "expected_purchases", "clv")
    stacks = {c: np.empty((int(n_draws), len(summary)), dtype=np.float32) for c in columns}
    pairs = zip(
        draw_fits(purchases, n_draws, seed=rng),
        draw_fits(gamma_gamma, n_draws, seed=rng),
        strict=True,
    )
    for k, (purchase_fit, spend_fit) in enumerate(pairs):
        drawn = predictive_clv(summary, purchase_fit, spend_fit, **clv_options)
        for c in columns:
            stacks[c][k] = drawn[c].to_numpy(float)
    per_customer = pd.DataFrame(index=summary.index)
    for c in columns:
        low, high = _quantiles(stacks[c], level)
        per_customer[f"{c}_low"], per_customer[f"{c}_high"] = low, high
    totals_draws = {
        "clv_total": np.nansum(stacks["clv"], axis=1, dtype=float),
        "expected_purchases_total": np.nansum(stacks["expected_purchases"], axis=1, dtype=float),
        "p_alive_mean": np.nanmean(stacks["p_alive"], axis=1, dtype=float),
    }
    estimates = {
        "clv_total": float(central["clv"].sum()),
        "expected_purchases_total": float(central["expected_purchases"].sum()),
        "p_alive_mean": float(central["p_alive"].mean()),
    }
    rows = {
        name: (estimates[name], *np.quantile(values, [(1 - level) / 2, (1 + level) / 2]))
        for name, values in totals_draws.items()
    }
    totals = pd.DataFrame.from_dict(
        rows, orient="index", columns=["estimate", "interval_low", "interval_high"]
    )
    return ClvIntervals(per_customer, totals.rename_axis("measure"), float(level), int(n_draws))
