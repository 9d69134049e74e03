"""Intervals of the predictive CLV: parameter standard errors and the parametric bootstrap.

The standard errors are checked against an independent numerical Hessian of the BG/NBD's
log-likelihood (lifetimes' formula); the intervals' coverage on simulated portfolios whose
true parameters are known.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln, gammaln

from portfolio_lib.models import (
    BGNBDFit,
    GammaGammaFit,
    clv_intervals,
    draw_fits,
    fit_bgnbd,
    fit_gamma_gamma,
    parameter_table,
    predictive_clv,
    purchase_intervals,
    simulate_summary,
)

TRUE = {"r": 0.5, "alpha": 8.0, "a": 0.8, "b": 2.5}


def _bgnbd_ll(log_params, x, tx, T):
    """Total BG/NBD log-likelihood (FHL 2005 eq. 6, lifetimes' form), T in weeks."""
    r, alpha, a, b = np.exp(log_params)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(
        x > 0,
        np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + tx),
        -np.inf,
    )
    return float(np.sum(a1 + a2 + np.logaddexp(a3, a4)))


def test_standard_errors_are_the_inverse_hessian_of_the_log_likelihood():
    summary = simulate_summary(3000, bgnbd=TRUE, T=np.linspace(70, 500, 3000), seed=11)
    fit = fit_bgnbd(summary)
    x, tx, T = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    u = np.log(list(fit.params.values()))
    # Central second differences of the log-likelihood itself (not of the gradient).
    h, k = 1e-4, len(u)
    hessian = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            moves = []
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                v = u.copy()
                v[i] += si * h
                v[j] += sj * h
                moves.append(_bgnbd_ll(v, x, tx / 7, T / 7))
            hessian[i, j] = (moves[0] - moves[1] - moves[2] + moves[3]) / (4 * h * h)
    covariance = np.linalg.inv(-hessian)
    assert fit.log_covariance == pytest.approx(covariance, rel=1e-3, abs=1e-7)
    expected = np.exp(u) * np.sqrt(np.diag(covariance))
    assert list(fit.standard_errors.values()) == pytest.approx(expected, rel=1e-3)
    table = parameter_table(fit, level=0.9)
    assert table["standard_error"].to_numpy() == pytest.approx(expected, rel=1e-3)
    # 90 % interval on the log scale: estimate x exp(+-1.6449 sd(ln theta)).
    sd = np.sqrt(np.diag(covariance))
    assert table["interval_high"].to_numpy() == pytest.approx(np.exp(u + 1.6448536 * sd), rel=1e-3)


def test_draws_follow_the_asymptotic_normal():
    fit = BGNBDFit(
        **TRUE, log_likelihood=0.0, n_customers=0, n_repeat_customers=0, converged=True,
        log_covariance=np.diag([0.01, 0.04, 0.09, 0.0025]),
    )  # fmt: skip
    draws = draw_fits(fit, 4000, seed=1)
    logs = np.log([[d.r, d.alpha, d.a, d.b] for d in draws])
    assert logs.mean(axis=0) == pytest.approx(np.log(list(TRUE.values())), abs=0.012)
    assert logs.std(axis=0) == pytest.approx([0.1, 0.2, 0.3, 0.05], rel=0.05)
    assert draws[0].time_unit_days == fit.time_unit_days


def test_interval_of_the_totals_covers_the_truth_about_90_percent_of_the_time():
    """Over 50 simulated portfolios (fixed seeds), the 90 % interval of the total expected
    purchases next year and of the mean P(alive) (computed with the true parameters on each
    portfolio's histories) covers the truth in 90 % +- 9 points (two binomial standard
    deviations of 50 draws) of them."""
    true_fit = BGNBDFit(**TRUE, log_likelihood=0.0, n_customers=0, n_repeat_customers=0,
                        converged=True)  # fmt: skip
    covered = np.zeros(2)
    portfolios = 50
    for seed in range(portfolios):
        ages = np.random.default_rng(seed + 100).integers(8, 60, 800) * 7.0
        summary = simulate_summary(800, bgnbd=TRUE, T=ages, whole_days=True, seed=seed)
        # Started at the truth: the same maximum, fewer iterations.
        fit = fit_bgnbd(summary, initial_params=TRUE)
        found = purchase_intervals(summary, fit, 365.0, n_draws=50, level=0.9, seed=seed)
        x, tx, T = (summary[c] for c in ("frequency", "recency", "T"))
        truth = [
            true_fit.p_alive(x, tx, T).mean(),
            true_fit.expected_purchases(365.0, x, tx, T).sum(),
        ]
        covered += (found["interval_low"].to_numpy() <= truth) & (
            truth <= found["interval_high"].to_numpy()
        )
    assert covered / portfolios == pytest.approx([0.9, 0.9], abs=0.09)


def test_clv_intervals_bracket_the_estimate_and_match_the_draws():
    summary = simulate_summary(
        400, bgnbd=TRUE, gamma_gamma={"p": 6.0, "q": 4.0, "v": 15.0},
        T=np.repeat([98.0, 196.0, 294.0, 392.0], 100), seed=3,
    )  # fmt: skip
    purchases = fit_bgnbd(summary)
    spend = fit_gamma_gamma(summary)
    options = {"horizon_months": 12, "discount_rate": 0.1, "margin_rate": 0.3}
    found = clv_intervals(summary, purchases, spend, n_draws=40, level=0.8, seed=7, **options)
    central = predictive_clv(summary, purchases, spend, **options)
    totals = found.totals
    assert totals.loc["clv_total", "estimate"] == pytest.approx(central["clv"].sum())
    assert (totals["interval_low"] < totals["estimate"]).all()
    assert (totals["estimate"] < totals["interval_high"]).all()
    # The same draws by hand: the 10th and 90th percentiles of the 40 totals.
    rng = np.random.default_rng(7)
    pairs = zip(draw_fits(purchases, 40, seed=rng), draw_fits(spend, 40, seed=rng), strict=True)
    by_hand = [predictive_clv(summary, p, s, **options)["clv"].sum() for p, s in pairs]
    assert totals.loc["clv_total", ["interval_low", "interval_high"]].to_numpy() == pytest.approx(
        np.quantile(by_hand, [0.1, 0.9]), rel=1e-5
    )
    per = found.per_customer
    assert (per["clv_low"] <= central["clv"] * (1 + 1e-6) + 1e-9).mean() > 0.95
    assert ((per["p_alive_low"] <= per["p_alive_high"]) | per["p_alive_low"].isna()).all()
    assert isinstance(spend, GammaGammaFit) and math.isfinite(spend.standard_errors["v"])
    assert list(per.columns) == [
        "p_alive_low", "p_alive_high", "expected_purchases_low", "expected_purchases_high",
        "clv_low", "clv_high",
    ]  # fmt: skip
    assert isinstance(per.index, pd.RangeIndex)
