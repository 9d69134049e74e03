"""Predictive CLV: BG/NBD and Gamma-Gamma fitted on data simulated from the models themselves,
log-likelihoods against slow formulas written from the papers, closed forms against Monte-Carlo
and quadrature, and everything against lifetimes (an independent implementation) when installed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.special import betaln, expit

from portfolio_lib.config import DEFAULTS, SAMPLE_FILES
from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError
from portfolio_lib.data.load import load_portfolio
from portfolio_lib.engine.aggregate import aggregate
from portfolio_lib.models import (
    DAYS_PER_MONTH,
    BGNBDFit,
    GammaGammaFit,
    calibration_and_holdout,
    calibration_vs_holdout,
    clv_by_segment,
    conditional_expected_purchases,
    expected_purchases,
    expected_purchases_if_alive,
    expected_spend,
    fit_bgnbd,
    fit_gamma_gamma,
    frequency_recency_matrix,
    ltv_to_cac,
    monthly_purchases_if_alive,
    p_alive,
    p_alive_matrix,
    period_transactions,
    predictive_clv,
    probability_of_purchases,
    simulate_summary,
)
from portfolio_lib.models import bgnbd as bgnbd_model
from portfolio_lib.models import clv as clv_model
from portfolio_lib.models import gamma_gamma as gamma_gamma_model
from portfolio_lib.models.chebyshev import interpolated_monthly_purchases

# True parameters of the simulations: BG/NBD in weeks (close to CDNOW's), Gamma-Gamma in €.
TRUE_BGNBD = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
TRUE_GG = {"p": 6.0, "q": 4.0, "v": 15.0}
HOLDOUT_DAYS = 182.0
N_SIMULATED = 15_000


def _fit_of(params: dict[str, float], unit: float = 7.0) -> BGNBDFit:
    return BGNBDFit(
        **params,
        log_likelihood=0.0,
        n_customers=0,
        n_repeat_customers=0,
        converged=True,
        time_unit_days=unit,
    )


def _spend_fit(params: dict[str, float]) -> GammaGammaFit:
    return GammaGammaFit(**params, log_likelihood=0.0, n_customers=0, n_excluded=0, converged=True)


def _simulate_story(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """The BG/NBD and Gamma-Gamma stories told literally, one customer and one purchase at a
    time (slow but independent of the module's vectorised simulator): exponential gaps at rate
    lambda, a coin of probability p after each repeat purchase, spend drawn per purchase."""
    r, alpha, a, b = TRUE_BGNBD.values()
    ages = rng.uniform(182.0, 730.0, n)  # first purchase 6 months to 2 years before the end
    rows = []
    for age in ages:
        rate = rng.gamma(r, 1.0 / alpha) / 7.0  # purchases per day
        dropout = rng.beta(a, b)
        nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["v"])
        t, x, tx, holdout = 0.0, 0, 0.0, 0
        while True:
            t += rng.exponential(1.0 / rate)
            if t > age + HOLDOUT_DAYS:
                break
            if t <= age:
                x, tx = x + 1, t
            else:
                holdout += 1
            if rng.random() < dropout:
                break
        spend = rng.gamma(TRUE_GG["p"], 1.0 / nu, x).mean() if x else 0.0
        rows.append((x, tx, age, spend, holdout))
    frame = pd.DataFrame(rows, columns=["frequency", "recency", "T", "monetary_value", "holdout"])
    frame["frequency"] = frame["frequency"].astype(float)
    frame.index = pd.Index([f"S{i:05d}" for i in range(n)], name="customer_id")
    return frame


@pytest.fixture(scope="module")
def simulated():
    return _simulate_story(np.random.default_rng(20240611), N_SIMULATED)


@pytest.fixture(scope="module")
def fitted(simulated):
    return fit_bgnbd(simulated), fit_gamma_gamma(simulated)


# --------------------------------------------------------------------------------------------
# Parameter recovery


def test_bgnbd_fit_recovers_the_simulation_parameters(simulated, fitted):
    fit, _ = fitted
    assert fit.converged and fit.n_customers == N_SIMULATED
    assert fit.n_repeat_customers == int((simulated["frequency"] > 0).sum())
    assert fit.time_unit_days == 7.0
    for name, truth in TRUE_BGNBD.items():
        estimate, se = getattr(fit, name), fit.standard_errors[name]
        # The MLE is asymptotically normal around the truth with these standard errors (from
        # the observed information): 4 SE is a 6e-5 false alarm per parameter. The SE must be
        # small (< 10 % of the value, ~1.5-8 % with 15k customers) for the check to bite.
        assert se < 0.10 * truth, (name, se)
        assert abs(estimate - truth) < 4 * se, (name, estimate, truth, se)


def test_gamma_gamma_fit_recovers_the_simulation_parameters(simulated, fitted):
    _, fit = fitted
    assert fit.converged and fit.finite_mean
    assert fit.n_customers == int((simulated["frequency"] > 0).sum()) and fit.n_excluded == 0
    for name, truth in TRUE_GG.items():
        estimate, se = getattr(fit, name), fit.standard_errors[name]
        assert se < 0.15 * truth, (name, se)
        assert abs(estimate - truth) < 4 * se, (name, estimate, truth, se)
    # Spend is drawn independently of purchases: the correlation is noise, |r| ~ 1/sqrt(7000).
    assert abs(fit.frequency_spend_correlation) < 0.05
    assert fit.mean_spend == pytest.approx(fit.p * fit.v / (fit.q - 1))


def test_vectorised_simulator_gives_data_the_fit_recovers():
    data = simulate_summary(
        20_000, bgnbd=TRUE_BGNBD, gamma_gamma=TRUE_GG, T=np.linspace(182, 730, 20_000), seed=7
    )
    fit = fit_bgnbd(data)
    for name, truth in TRUE_BGNBD.items():
        assert abs(getattr(fit, name) - truth) < 4 * fit.standard_errors[name], name
    spend = fit_gamma_gamma(data)
    for name, truth in TRUE_GG.items():
        assert abs(getattr(spend, name) - truth) < 4 * spend.standard_errors[name], name


def test_time_unit_changes_alpha_only(simulated, fitted):
    weekly, _ = fitted
    daily = fit_bgnbd(simulated, time_unit_days=1.0)
    # The model is scale-free: alpha in days = 7 x alpha in weeks, r, a, b unchanged.
    assert daily.alpha == pytest.approx(7 * weekly.alpha, rel=1e-5)
    for name in ("r", "a", "b"):
        assert getattr(daily, name) == pytest.approx(getattr(weekly, name), rel=1e-5)
    # The likelihood is a density of the x purchase times: ln 7 less per repeat purchase.
    shift = simulated["frequency"].sum() * math.log(7.0)
    assert daily.log_likelihood == pytest.approx(weekly.log_likelihood - shift, rel=1e-9)
    x, tx, T = (simulated[c].to_numpy() for c in ("frequency", "recency", "T"))
    np.testing.assert_allclose(
        conditional_expected_purchases(daily, 90.0, x, tx, T),
        conditional_expected_purchases(weekly, 90.0, x, tx, T),
        rtol=1e-4,
    )


def test_grouping_duplicates_is_weighting(simulated):
    # Whole days, as a real log gives them, so many customers share (x, t_x, T).
    data = simulated[["frequency", "recency", "T"]].apply(np.floor)
    once = fit_bgnbd(data)
    twice = fit_bgnbd(pd.concat([data, data]))
    assert twice.n_customers == 2 * once.n_customers
    assert twice.log_likelihood == pytest.approx(2 * once.log_likelihood, rel=1e-9)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(twice, name) == pytest.approx(getattr(once, name), rel=1e-5)
        # twice the data, standard errors / sqrt(2)
        assert twice.standard_errors[name] == pytest.approx(
            once.standard_errors[name] / math.sqrt(2), rel=1e-3
        )


# --------------------------------------------------------------------------------------------
# Log-likelihoods and gradients against slow formulas from the papers


def _bgnbd_reference_ll(r, alpha, a, b, x, tx, T):
    """FHL 2005 eq. 6, customer by customer: L = A1 A2 (A3 + [x > 0] A4)."""
    total = 0.0
    for xi, ti, Ti in zip(x, tx, T, strict=True):
        log_a1 = math.lgamma(r + xi) - math.lgamma(r) + r * math.log(alpha)
        log_a2 = math.lgamma(a + b) + math.lgamma(b + xi) - math.lgamma(b) - math.lgamma(a + b + xi)
        a3 = (alpha + Ti) ** -(r + xi)
        a4 = a / (b + xi - 1) * (alpha + ti) ** -(r + xi) if xi > 0 else 0.0
        total += log_a1 + log_a2 + math.log(a3 + a4)
    return total


def _gamma_gamma_reference_ll(p, q, v, x, m):
    """Fader & Hardie 2013 eq. 1a: Gamma(px+q) / (Gamma(px) Gamma(q)) v^q m^(px-1) x^px /
    (v + x m)^(px+q), customer by customer."""
    total = 0.0
    for xi, mi in zip(x, m, strict=True):
        total += (
            math.lgamma(p * xi + q)
            - math.lgamma(p * xi)
            - math.lgamma(q)
            + q * math.log(v)
            + (p * xi - 1) * math.log(mi)
            + p * xi * math.log(xi)
            - (p * xi + q) * math.log(v + xi * mi)
        )
    return total


def test_bgnbd_log_likelihood_equals_the_slow_reference(simulated):
    sample = simulated.iloc[:600].apply(np.floor)  # whole days: some rows share a group
    x, tx, T = (sample[c].to_numpy() for c in ("frequency", "recency", "T"))
    data = bgnbd_model._group_histories(x, tx / 7, T / 7)
    assert len(data.x) < int((x > 0).sum()) or data.weight_T.max() > 1  # grouping happened
    for params in ((0.25, 4.0, 0.8, 2.5), (1.7, 30.0, 3.2, 0.6), (0.05, 0.5, 0.3, 9.0)):
        mean_negative, _ = bgnbd_model._bgnbd_objective(np.log(params), data)
        reference = _bgnbd_reference_ll(*params, x, tx / 7, T / 7)
        assert -mean_negative * len(x) == pytest.approx(reference, rel=1e-11)
    fit = fit_bgnbd(sample, min_repeat_customers=10)
    assert fit.log_likelihood == pytest.approx(
        _bgnbd_reference_ll(fit.r, fit.alpha, fit.a, fit.b, x, tx / 7, T / 7), rel=1e-11
    )


def test_gamma_gamma_log_likelihood_equals_the_slow_reference(simulated):
    repeat = simulated[simulated["frequency"] > 0].iloc[:500]
    x, m = repeat["frequency"].to_numpy(), repeat["monetary_value"].to_numpy()
    data = gamma_gamma_model._spend_data(x, m)
    for p, q, v in ((6.0, 4.0, 15.0), (0.7, 0.8, 300.0), (25.0, 12.0, 2.0)):
        mean_negative, _ = gamma_gamma_model._gamma_gamma_objective(
            np.log([p, q, v / data.scale]), data
        )
        # the objective works on spend / scale: its density is scale x that of the spend
        total = -mean_negative * len(x) - len(x) * math.log(data.scale)
        assert total == pytest.approx(_gamma_gamma_reference_ll(p, q, v, x, m), rel=1e-11)
    fit = fit_gamma_gamma(repeat)
    assert fit.log_likelihood == pytest.approx(
        _gamma_gamma_reference_ll(fit.p, fit.q, fit.v, x, m), rel=1e-11
    )


def _numerical_gradient(function, u, step=1e-6):
    grad = np.empty_like(u)
    for j in range(len(u)):
        up, down = u.copy(), u.copy()
        up[j] += step
        down[j] -= step
        grad[j] = (function(up)[0] - function(down)[0]) / (2 * step)
    return grad


def test_analytic_gradients_match_finite_differences(simulated):
    sample = simulated.iloc[:2000].apply(np.floor)
    data = bgnbd_model._group_histories(
        *(sample[c].to_numpy() / d for c, d in (("frequency", 1), ("recency", 7), ("T", 7)))
    )
    for params in ((0.25, 4.0, 0.8, 2.5), (1.7, 30.0, 3.2, 0.6)):
        u = np.log(params)
        analytic = bgnbd_model._bgnbd_objective(u, data)[1]
        numeric = _numerical_gradient(lambda v: bgnbd_model._bgnbd_objective(v, data), u)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    repeat = simulated[simulated["frequency"] > 0]
    spend = gamma_gamma_model._spend_data(
        repeat["frequency"].to_numpy(), repeat["monetary_value"].to_numpy()
    )
    for params in ((6.0, 4.0, 0.5), (0.7, 0.8, 9.0)):
        u = np.log(params)
        analytic = gamma_gamma_model._gamma_gamma_objective(u, spend)[1]
        numeric = _numerical_gradient(
            lambda v: gamma_gamma_model._gamma_gamma_objective(v, spend), u
        )
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


# --------------------------------------------------------------------------------------------
# Closed forms: hand values, identities, Monte-Carlo, quadrature


def test_p_alive_is_one_without_repeat_purchase_and_hand_value():
    fit = _fit_of(TRUE_BGNBD)
    values = p_alive(fit, [0, 0, 0], [0, 0, 0], [0.0, 10.0, 5000.0])
    assert values.tolist() == [1.0, 1.0, 1.0]
    # x = 3, t_x = 140 days = 20 weeks, T = 280 days = 40 weeks:
    # odds dead = a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)
    #           = 0.8 / 4.5 * (44 / 24)^3.25 = 0.177778 * 7.169693 = 1.274612 -> P = 0.439616
    assert p_alive(fit, 3, 140, 280) == pytest.approx(1 / (1 + 0.8 / 4.5 * (44 / 24) ** 3.25))
    assert p_alive(fit, 3, 140, 280) == pytest.approx(0.439616, abs=1e-6)
    # Bought recently: the last purchase at T means no evidence of dropout beyond a / (b+x-1).
    assert p_alive(fit, 3, 280, 280) == pytest.approx(1 / (1 + 0.8 / 4.5))


def test_expected_purchases_hand_value_with_integer_parameters():
    # r = 1, alpha = 1, a = 2, b = 1: 2F1(r, b; a+b-1; z) = 2F1(1, 1; 2; z) = -ln(1-z)/z, so
    # E[X(t)] = (a+b-1)/(a-1) [1 - (1/(1+t)) (-ln(1-z)/z)] with z = t/(1+t):
    # t = 1 week: z = 1/2, -ln(1/2)/(1/2) = 1.386294, E = 2 (1 - 0.693147) = 0.613706
    fit = _fit_of({"r": 1.0, "alpha": 1.0, "a": 2.0, "b": 1.0})
    assert expected_purchases(fit, 7.0) == pytest.approx(2 * (1 - math.log(2)), rel=1e-12)
    assert expected_purchases(fit, 0.0) == 0.0


def test_expected_purchases_and_purchase_counts_match_monte_carlo():
    fit = _fit_of(TRUE_BGNBD)
    n, age = 200_000, 364.0
    draws = simulate_summary(n, bgnbd=TRUE_BGNBD, T=age, seed=11)["frequency"].to_numpy()
    mean, se = draws.mean(), draws.std() / math.sqrt(n)
    assert abs(expected_purchases(fit, age) - mean) < 4 * se
    shares = np.bincount(draws.astype(int), minlength=8)[:8] / n
    probabilities = probability_of_purchases(fit, age, np.arange(8))
    np.testing.assert_array_less(
        np.abs(shares - probabilities), 4 * np.sqrt(probabilities * (1 - probabilities) / n)
    )


def test_conditional_expectations_match_the_simulated_holdout(simulated):
    # With the true parameters, E[holdout purchases | history] is exactly what the model
    # computes; the observed mean by calibration frequency estimates it without bias.
    fit = _fit_of(TRUE_BGNBD)
    x, tx, T = (simulated[c].to_numpy() for c in ("frequency", "recency", "T"))
    expected = conditional_expected_purchases(fit, HOLDOUT_DAYS, x, tx, T)
    observed = simulated["holdout"].to_numpy()
    groups = np.minimum(x, 6)
    for g in np.unique(groups):
        rows = groups == g
        se = observed[rows].std(ddof=1) / math.sqrt(rows.sum())
        assert abs(observed[rows].mean() - expected[rows].mean()) < 4 * se, g
    total_se = observed.std(ddof=1) / math.sqrt(len(observed))
    assert abs(observed.mean() - expected.mean()) < 4 * total_se


def _quad_reference(params, x, T, t):
    """E[purchases in t | alive, x, T] = E[(1 - (1 + p t/(alpha+T))^-(r+x)) / p] over
    p ~ Beta(a, b + x), by plain adaptive quadrature of the density (independent of the
    module's 2F1 and QAWS forms)."""
    r, alpha, a, b = params
    k = t / (alpha + T)

    def integrand(p):
        purchases = -math.expm1(-(r + x) * math.log1p(p * k)) / p
        return purchases * math.exp(
            (a - 1) * math.log(p) + (b + x - 1) * math.log1p(-p) - betaln(a, b + x)
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        return integrate.quad(
            integrand, 0, 1, limit=500, epsabs=0, epsrel=1e-12, points=[min(0.5, 1 / max(k, 1e-9))]
        )[0]


@pytest.mark.parametrize(
    "params",
    [
        (0.243, 4.414, 0.793, 2.426),  # CDNOW
        (2.0, 10.0, 3.0, 8.0),  # integers: scipy's 2F1 gives NaN, the quadrature takes over
        (0.5, 1.0, 1.0, 2.0),  # a = 1: the closed form is 0/0
        (0.5, 1.0, 1.0 + 3e-6, 2.0),  # just off a = 1: cancellation, interpolated
        (0.05, 2.0, 1.0 - 9.9e-4, 3.0),  # edge of the interpolation band
        (0.1, 0.5, 0.2, 0.3),  # a + b < 1: 2F1 with c <= 0 for x = 0
        (5.0, 0.1, 0.05, 50.0),
        (0.3, 20.0, 30.0, 40.0),  # large a: slow start of the short-horizon series
        (2.0, 10.0, 30.0, 0.4),  # p near 1, integer r: 2F1 NaN, Beta singular at 1
    ],
)
def test_alive_expectation_matches_quadrature_everywhere(params):
    x = np.array([0, 1, 3, 10, 50, 400], dtype=float)
    for T in (0.0, 10.0, 500.0):
        for t in (0.01, 1.0, 5.0, 100.0, 1e5):  # weeks: from 2 hours to 2000 years
            got = bgnbd_model._alive_expectation(params, x, np.full(6, T), np.full(6, t))
            want = [_quad_reference(params, xi, T, t) for xi in x]
            np.testing.assert_allclose(got, want, rtol=5e-9, err_msg=f"T={T}, t={t}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    r=st.floats(0.05, 3.0),
    alpha=st.floats(2.0, 30.0),
    a=st.floats(0.2, 5.0),
    b=st.floats(0.2, 20.0),
    t_days=st.floats(1.0, 400.0),  # t / (alpha + t) <= 0.97: 4000 terms suffice
)
def test_mean_of_the_purchase_count_distribution_is_the_expected_purchases(r, alpha, a, b, t_days):
    # FHL eq. 9 (2F1) and eq. 8 (Beta and negative-binomial terms) are independent formulas:
    # sum_n n P(X(t) = n) must equal E[X(t)].
    fit = _fit_of({"r": r, "alpha": alpha, "a": a, "b": b})
    n = np.arange(4000)
    probabilities = probability_of_purchases(fit, t_days, n)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-9)
    assert (n @ probabilities) == pytest.approx(float(expected_purchases(fit, t_days)), rel=1e-8)


@settings(max_examples=40, deadline=None)
@given(
    x=st.integers(0, 60),
    recency_share=st.floats(0.0, 1.0),
    age=st.floats(1.0, 1500.0),
    monetary=st.floats(1.0, 5000.0),
    horizon=st.integers(0, 48),
)
def test_clv_without_discount_is_margin_spend_purchases(x, recency_share, age, monetary, horizon):
    # With a zero discount rate the monthly increments telescope: clv = margin x spend x E[Y].
    summary = pd.DataFrame(
        {
            "frequency": [float(x)],
            "recency": [recency_share * age if x else 0.0],
            "T": [age],
            "monetary_value": [monetary if x else 0.0],
        }
    )
    bgnbd, spend = _fit_of(TRUE_BGNBD), _spend_fit(TRUE_GG)
    flat = predictive_clv(
        summary, bgnbd, spend, horizon_months=horizon, discount_rate=0.0, margin_rate=0.25
    ).iloc[0]
    assert 0.0 <= flat["p_alive"] <= 1.0
    assert flat["clv"] == pytest.approx(
        0.25 * flat["expected_spend"] * flat["expected_purchases"], rel=1e-10, abs=1e-12
    )
    discounted = predictive_clv(
        summary, bgnbd, spend, horizon_months=horizon, discount_rate=0.10, margin_rate=0.25
    ).iloc[0]
    assert discounted["clv"] <= flat["clv"] + 1e-12
    if x == 0:
        assert flat["p_alive"] == 1.0


def test_clv_is_zero_for_a_zero_horizon(simulated, fitted):
    bgnbd, spend = fitted
    clv = predictive_clv(simulated, bgnbd, spend, horizon_months=0)
    assert (clv["clv"] == 0).all() and (clv["expected_purchases"] == 0).all()
    assert (clv["p_alive"] > 0).all()


def test_clv_by_hand_for_one_customer():
    bgnbd, spend = _fit_of(TRUE_BGNBD), _spend_fit(TRUE_GG)
    summary = pd.DataFrame(
        {
            "customer_id": ["k"],
            "frequency": [4.0],
            "recency": [300.0],
            "T": [400.0],
            "monetary_value": [40.0],
        }
    )
    out = predictive_clv(
        summary, bgnbd, spend, horizon_months=3, discount_rate=0.10, margin_rate=0.3
    )
    # month k ends at k * 30.4375 days, discounted by 1.1^(k/12)
    cumulative = [0.0] + [
        float(conditional_expected_purchases(bgnbd, k * DAYS_PER_MONTH, 4, 300, 400))
        for k in (1, 2, 3)
    ]
    spend_4 = (6 * 15 + 6 * 4 * 40) / (6 * 4 + 4 - 1)  # (p v + p x m) / (p x + q - 1)
    assert spend_4 == pytest.approx(1050 / 27)  # 38.89: 40 pulled towards the mean 30
    assert out.loc[0, "expected_spend"] == pytest.approx(spend_4, rel=1e-15)
    clv = sum(
        0.3 * spend_4 * (cumulative[k] - cumulative[k - 1]) / 1.1 ** (k / 12) for k in (1, 2, 3)
    )
    assert out.loc[0, "clv"] == pytest.approx(clv, rel=1e-12)
    assert out.loc[0, "expected_purchases"] == pytest.approx(cumulative[3], rel=1e-12)
    assert out.loc[0, "customer_id"] == "k" and out.loc[0, "margin_rate"] == 0.3


def test_float_columns_are_read_in_place_with_the_converted_columns_results(simulated, fitted):
    # float64 columns are read as they are (no copy); other numeric dtypes are converted. The
    # same histories as int64 / object columns give the same fits and CLVs to the bit, the
    # result shares no memory with the input and the input is left as it was.
    bgnbd, spend = fitted
    summary = simulated[["frequency", "recency", "T", "monetary_value"]]
    before = summary.copy()
    converted = summary.assign(
        frequency=summary["frequency"].astype(np.int64),
        T=summary["T"].astype(object),
        monetary_value=summary["monetary_value"].astype(object),
    )
    assert (converted["frequency"] == summary["frequency"]).all()
    out = predictive_clv(summary, bgnbd, spend)
    pd.testing.assert_frame_equal(out, predictive_clv(converted, bgnbd, spend))
    assert fit_gamma_gamma(summary).params == fit_gamma_gamma(converted).params
    for column in out.columns:
        for source in summary.columns:
            assert not np.shares_memory(out[column].to_numpy(), summary[source].to_numpy())
    pd.testing.assert_frame_equal(summary, before)


def test_clv_margin_rate_from_the_margin_column_and_prospects():
    # Aggregates.customers-like: margin / revenue of the buyers = (30 + 10) / (100 + 100) = 0.2
    summary = pd.DataFrame(
        {
            "customer_id": ["a", "b", "prospect"],
            "revenue": [100.0, 100.0, 0.0],
            "margin": [30.0, 10.0, np.nan],
            "frequency": [2.0, 0.0, np.nan],
            "recency": [50.0, 0.0, np.nan],
            "T": [100.0, 30.0, np.nan],
            "monetary_value": [50.0, 0.0, np.nan],
        }
    )
    out = predictive_clv(summary, _fit_of(TRUE_BGNBD), _spend_fit(TRUE_GG))
    assert out["margin_rate"].tolist() == [0.2, 0.2, 0.2]
    assert out.loc[2, ["p_alive", "expected_purchases", "expected_spend", "clv"]].isna().all()
    assert out.loc[1, "expected_spend"] == 30.0  # no repeat: p v / (q - 1) = 90 / 3
    without_margin = predictive_clv(
        summary.drop(columns="margin"), _fit_of(TRUE_BGNBD), _spend_fit(TRUE_GG)
    )
    assert (without_margin["margin_rate"] == DEFAULTS["default_margin_rate"]).all()


def test_clv_with_a_margin_rate_series_owns_its_columns():
    # The result keeps its arrays as built (no stacking copy): a rate given as a Series is
    # copied, so writing into the result leaves the caller's Series alone. Rates per customer:
    # clv scales with them (0.5 / 0.25 = 2 times the CLV of the same history).
    summary = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "frequency": [2.0, 2.0],
            "recency": [50.0, 50.0],
            "T": [100.0, 100.0],
            "monetary_value": [50.0, 50.0],
        }
    )
    rates = pd.Series([0.25, 0.5])
    out = predictive_clv(summary, _fit_of(TRUE_BGNBD), _spend_fit(TRUE_GG), margin_rate=rates)
    assert out.loc[1, "clv"] == pytest.approx(2 * out.loc[0, "clv"], rel=1e-15)
    out.iloc[0, out.columns.get_loc("margin_rate")] = 9.0
    out.iloc[0, out.columns.get_loc("clv")] = -1.0
    assert rates.tolist() == [0.25, 0.5]
    assert out["margin_rate"].tolist() == [9.0, 0.5]


# --------------------------------------------------------------------------------------------
# Published values and lifetimes (an independent implementation)


def test_cdnow_fit_reproduces_the_published_estimates():
    datasets = pytest.importorskip("lifetimes.datasets")
    cdnow = datasets.load_cdnow_summary(index_col=[0])
    summary = pd.DataFrame(
        {"frequency": cdnow["frequency"], "recency": cdnow["recency"] * 7, "T": cdnow["T"] * 7}
    )
    fit = fit_bgnbd(summary)
    # Fader, Hardie & Lee (2005), section 5: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426,
    # LL = -9582.4 (weeks).
    assert (round(fit.r, 3), round(fit.alpha, 3), round(fit.a, 3), round(fit.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert round(fit.log_likelihood, 1) == -9582.4
    spend = datasets.load_cdnow_summary_data_with_monetary_value()
    gg = fit_gamma_gamma(spend)
    # Fader & Hardie (2013) on the same 946 repeat customers: p = 6.25, q = 3.74, v = 15.44
    assert gg.n_customers == 946
    assert (round(gg.p, 2), round(gg.q, 2), round(gg.v, 2)) == (6.25, 3.74, 15.45)


def test_fits_and_predictions_match_lifetimes(simulated, fitted):
    lifetimes = pytest.importorskip("lifetimes")
    bgnbd, spend = fitted
    x, tx, T = (simulated[c] for c in ("frequency", "recency", "T"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = lifetimes.BetaGeoFitter().fit(x, tx / 7, T / 7)
        repeat = simulated[simulated["frequency"] > 0]
        theirs_gg = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    for name in ("r", "alpha", "a", "b"):
        assert getattr(bgnbd, name) == pytest.approx(theirs.params_[name], rel=1e-4)
    for name in ("p", "q", "v"):
        assert getattr(spend, name) == pytest.approx(theirs_gg.params_[name], rel=1e-4)
    # Same parameters, then the formulas compared one by one.
    theirs.params_ = pd.Series(bgnbd.params)
    theirs_gg.params_ = pd.Series(spend.params)
    np.testing.assert_allclose(
        p_alive(bgnbd, x, tx, T),
        theirs.conditional_probability_alive(x, tx / 7, T / 7),
        rtol=1e-12,
    )
    for weeks in (1.0, 26.0, 156.0):
        np.testing.assert_allclose(
            conditional_expected_purchases(bgnbd, weeks * 7, x, tx, T),
            theirs.conditional_expected_number_of_purchases_up_to_time(weeks, x, tx / 7, T / 7),
            rtol=1e-9,
        )
        assert expected_purchases(bgnbd, weeks * 7) == pytest.approx(
            theirs.expected_number_of_purchases_up_to_time(weeks), rel=1e-12
        )
        probabilities = [theirs.probability_of_n_purchases_up_to_time(weeks, n) for n in range(6)]
        np.testing.assert_allclose(
            probabilities_of(bgnbd, weeks * 7), probabilities, rtol=1e-10, atol=1e-15
        )
    np.testing.assert_allclose(
        expected_spend(spend, x, simulated["monetary_value"]),
        theirs_gg.conditional_expected_average_profit(x, simulated["monetary_value"]),
        rtol=1e-12,
    )


def probabilities_of(fit: BGNBDFit, t_days: float) -> np.ndarray:
    return probability_of_purchases(fit, t_days, np.arange(6))


def test_clv_matches_lifetimes_customer_lifetime_value(simulated, fitted):
    lifetimes = pytest.importorskip("lifetimes")
    bgnbd, spend = fitted
    sample = simulated.iloc[:300]
    ours = predictive_clv(
        sample, bgnbd, spend, horizon_months=24, discount_rate=0.10, margin_rate=1.0
    )
    # lifetimes sums monthly increments of its conditional expectation, discounted at a
    # monthly rate; with data in months of 365.25/12 days (freq "M": one unit per month) and
    # the monthly equivalent of 10 %/year its sum is ours.
    months = DAYS_PER_MONTH
    theirs_bg = lifetimes.BetaGeoFitter()
    theirs_bg.params_ = pd.Series(
        {"r": bgnbd.r, "alpha": bgnbd.alpha * 7 / months, "a": bgnbd.a, "b": bgnbd.b}
    )
    theirs_bg.predict = theirs_bg.conditional_expected_number_of_purchases_up_to_time
    theirs_gg = lifetimes.GammaGammaFitter()
    theirs_gg.params_ = pd.Series(spend.params)
    theirs = theirs_gg.customer_lifetime_value(
        theirs_bg,
        sample["frequency"],
        sample["recency"] / months,
        sample["T"] / months,
        sample["monetary_value"],
        time=24,
        discount_rate=1.1 ** (1 / 12) - 1,
        freq="M",
    )
    np.testing.assert_allclose(ours["clv"].to_numpy(), theirs.to_numpy(), rtol=1e-9)


def test_calibration_and_holdout_matches_lifetimes_on_the_sample():
    utils = pytest.importorskip("lifetimes.utils")
    tx = load_portfolio(SAMPLE_FILES["transactions"]).transactions
    ours = calibration_and_holdout(tx, calibration_end="2024-06-30", observation_end="2025-06-30")
    # lifetimes' calibration_and_holdout_data itself breaks on pandas 3 (its holdout groupby);
    # its summary gives the calibration part, a plain count of purchase days the holdout part.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calibration = utils.summary_data_from_transaction_data(
            tx[tx["date"] <= "2024-06-30"],
            "customer_id",
            "date",
            observation_period_end="2024-06-30",
        )
    pd.testing.assert_frame_equal(
        ours[["frequency_cal", "recency_cal", "T_cal"]],
        calibration.set_axis(["frequency_cal", "recency_cal", "T_cal"], axis=1).astype(float),
        check_index_type=False,
    )
    holdout = tx[(tx["date"] > "2024-06-30") & (tx["date"] <= "2025-06-30")]
    days = holdout.groupby("customer_id")["date"].nunique()
    np.testing.assert_array_equal(
        ours["frequency_holdout"], days.reindex(ours.index, fill_value=0).to_numpy(float)
    )
    assert (ours["duration_holdout"] == 365.0).all()
    assert ours["frequency_holdout"].sum() > 5000  # the comparison covers real activity


# --------------------------------------------------------------------------------------------
# Calibration / holdout and diagnostics


@pytest.fixture
def small_log():
    # a: 1 Jan, 1 Jan (two lines), 11 Jan; then 5 Feb and 5 Feb (one day), 20 Feb (credit note)
    # b: 10 Jan only; c: first purchase in the holdout (not a calibration customer)
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "a", "a", "b", "c"],
            "date": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-01",
                    "2024-01-11",
                    "2024-02-05",
                    "2024-02-05",
                    "2024-02-20",
                    "2024-01-10",
                    "2024-02-01",
                ]
            ),
            "amount": [10.0, 5.0, 20.0, 30.0, 12.0, -6.0, 7.0, 99.0],
        }
    )


def test_calibration_and_holdout_by_hand(small_log):
    out = calibration_and_holdout(
        small_log, calibration_end="2024-01-31", observation_end="2024-02-29"
    )
    assert list(out.index) == ["a", "b"]
    assert out.columns.tolist() == [
        "frequency_cal",
        "recency_cal",
        "T_cal",
        "monetary_value_cal",
        "frequency_holdout",
        "monetary_value_holdout",
        "duration_holdout",
    ]
    # a: days 1 Jan and 11 Jan -> frequency 1, recency 10, T 30, monetary 20 (the repeat day);
    # holdout days 5 Feb (30 + 12 = 42) and 20 Feb (-6): 2 days, mean (42 - 6) / 2 = 18.
    assert out.loc["a"].tolist() == [1.0, 10.0, 30.0, 20.0, 2.0, 18.0, 29.0]
    assert out.loc["b"].tolist() == [0.0, 0.0, 21.0, 0.0, 0.0, 0.0, 29.0]
    default_end = calibration_and_holdout(small_log, calibration_end="2024-01-31")
    assert (default_end["duration_holdout"] == 20.0).all()  # last transaction 20 Feb


def test_calibration_and_holdout_errors(small_log):
    with pytest.raises(ValueError, match="must be after calibration_end"):
        calibration_and_holdout(
            small_log, calibration_end="2024-02-01", observation_end="2024-01-15"
        )
    with pytest.raises(ValueError, match="no transaction on or before"):
        calibration_and_holdout(small_log, calibration_end="2023-06-30")


def test_period_transactions_counts_and_closed_form():
    summary = pd.DataFrame(
        {
            "frequency": [0, 0, 1, 3, 9, 12, np.nan],
            "recency": [0, 0, 20, 60, 200, 300, np.nan],
            "T": [50.0, 400.0, 100.0, 100.0, 400.0, 400.0, np.nan],
        }
    )
    fit = _fit_of(TRUE_BGNBD)
    out = period_transactions(fit, summary, max_frequency=4)
    assert out.index.tolist() == [0, 1, 2, 3, 4]
    assert out["observed"].tolist() == [2.0, 1.0, 0.0, 1.0, 2.0]  # 9 and 12 in "4+"
    expected = [
        sum(float(probability_of_purchases(fit, T, k)) for T in (50, 400, 100, 100, 400, 400))
        for k in range(4)
    ]
    np.testing.assert_allclose(out["expected"].iloc[:4], expected, rtol=1e-12)
    assert out["expected"].sum() == pytest.approx(6.0)  # prospect skipped


def test_period_transactions_fit_the_simulated_data(simulated, fitted):
    out = period_transactions(fitted[0], simulated)
    assert out["observed"].sum() == N_SIMULATED
    assert out["expected"].sum() == pytest.approx(N_SIMULATED)
    # Right model: each bin within 4 binomial standard deviations (plus 2 % for the fit).
    sd = np.sqrt(out["expected"] * (1 - out["expected"] / N_SIMULATED))
    assert (np.abs(out["observed"] - out["expected"]) < 4 * sd + 0.02 * out["expected"]).all()


def test_calibration_vs_holdout_table(simulated):
    cal_hold = simulated.rename(
        columns={
            "frequency": "frequency_cal",
            "recency": "recency_cal",
            "T": "T_cal",
            "holdout": "frequency_holdout",
        }
    ).assign(duration_holdout=HOLDOUT_DAYS)
    fit = fit_bgnbd(
        cal_hold, frequency_col="frequency_cal", recency_col="recency_cal", T_col="T_cal"
    )
    out = calibration_vs_holdout(fit, cal_hold, max_frequency=5)
    assert out.index.tolist() == [0, 1, 2, 3, 4, 5]
    assert out["customers"].sum() == N_SIMULATED
    capped = np.minimum(cal_hold["frequency_cal"], 5)
    assert out.loc[5, "observed"] == cal_hold.loc[capped == 5, "frequency_holdout"].mean()
    expected_0 = conditional_expected_purchases(
        fit, HOLDOUT_DAYS, 0, 0, cal_hold.loc[capped == 0, "T_cal"]
    ).mean()
    assert out.loc[0, "expected"] == pytest.approx(expected_0, rel=1e-12)
    sd = cal_hold.groupby(capped)["frequency_holdout"].std() / np.sqrt(out["customers"])
    assert (np.abs(out["observed"] - out["expected"]) < 4 * sd + 0.02).all()


def test_matrices_hold_the_model_values():
    fit = _fit_of(TRUE_BGNBD)
    alive = p_alive_matrix(fit, max_frequency=6, max_recency=350, recency_step=7)
    assert alive.shape == (7, 51) and alive.columns[-1] == 350.0
    assert (alive.loc[0] == 1.0).all()
    assert alive.loc[4, 140.0] == pytest.approx(float(p_alive(fit, 4, 140, 350)), rel=1e-15)
    # P(alive) rises with recency at fixed frequency (a recent purchase is proof of life)
    assert (np.diff(alive.loc[3].to_numpy()) > 0).all()
    expected = frequency_recency_matrix(fit, max_frequency=6, max_recency=350, T=400, t=30)
    assert expected.index.name == "frequency" and expected.columns.name == "recency"
    assert expected.loc[5, 70.0] == pytest.approx(
        float(conditional_expected_purchases(fit, 30, 5, 70, 400)), rel=1e-15
    )
    with pytest.raises(ValueError, match="cannot be below max_recency"):
        p_alive_matrix(fit, max_frequency=3, max_recency=100, T=50)


# --------------------------------------------------------------------------------------------
# Segments and LTV/CAC


def test_clv_by_segment_sums_and_means():
    clv = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "p_alive": [1.0, 0.5, 0.8, 0.2, np.nan],
            "expected_purchases": [2.0, 1.0, 4.0, 0.5, np.nan],
            "clv": [100.0, 50.0, 300.0, 10.0, np.nan],
        }
    )
    customers = pd.DataFrame(
        {"customer_id": ["a", "b", "c", "d", "e"], "segment": ["PME", "PME", "ETI", None, "ETI"]}
    )
    out = clv_by_segment(clv, customers, by="segment")
    assert out.index.tolist() == ["ETI", "PME", "unknown"]  # by total CLV; e has no CLV
    assert out["customers"].tolist() == [1, 2, 1]
    assert out["clv"].tolist() == [300.0, 150.0, 10.0]
    assert out["clv_mean"].tolist() == [300.0, 75.0, 10.0]
    np.testing.assert_allclose(out["clv_share"], [300 / 460, 150 / 460, 10 / 460])
    assert out["expected_purchases"].tolist() == [4.0, 3.0, 0.5]
    assert out["p_alive_mean"].tolist() == [0.8, 0.75, 0.2]
    with pytest.raises(PortfolioDataError) as error:
        clv_by_segment(clv, customers, by="region")
    assert error.value.code == "missing_attribute" and error.value.column == "region"


def _histories(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded (frequency, recency, T) in days: zero and repeat buyers, recency <= T."""
    x = rng.integers(0, 40, n).astype(float)
    T = rng.uniform(1, 1_000, n)
    tx = np.where(x > 0, T * rng.uniform(0, 1, n), 0.0)
    return x, tx, T


def _textbook_p_alive(fit, x, tx, T) -> np.ndarray:
    """P(alive) of the BG/NBD as the paper writes it (weekly units), 1 without repeat."""
    r, alpha, a, b = fit.params_tuple
    xw, txw, Tw = x, tx / 7.0, T / 7.0
    odds = (
        math.log(a)
        - np.log(b + np.maximum(xw, 1.0) - 1.0)
        + (r + xw) * (np.log(alpha + Tw) - np.log(alpha + txw))
    )
    return np.where(x > 0, expit(-odds), 1.0)


def test_p_alive_and_expected_spend_equal_their_formulas_to_the_bit():
    # Written in place for speed: each value must still be the textbook expression, bit for
    # bit, on seeded histories (zero and repeat buyers, spends <= 0, q - 1 + p x <= 0).
    rng = np.random.default_rng(11)
    n = 20_000
    x, tx, T = _histories(rng, n)
    fit = _fit_of(TRUE_BGNBD)
    np.testing.assert_array_equal(p_alive(fit, x, tx, T), _textbook_p_alive(fit, x, tx, T))
    m = rng.normal(50, 30, n)
    for params in (TRUE_GG, {"p": 0.02, "q": 0.5, "v": 15.0}):
        spend = _spend_fit(params)
        p, q, v = spend.p, spend.q, spend.v
        weight = p * x + q - 1.0
        with np.errstate(all="ignore"):
            shrunk = (p * v + p * x * m) / weight
        formula = np.where((x > 0) & (m > 0), np.where(weight > 0, shrunk, m), spend.mean_spend)
        np.testing.assert_array_equal(expected_spend(spend, x, m), formula)


@pytest.mark.parametrize(
    "dtype",
    [
        "str",
        "object",
        "category",
        # Categories in another order than the rows', one never used: grouped on the codes.
        pd.CategoricalDtype(["GE", "unused", "PME", "Artisan", "ETI"]),
    ],
    ids=["str", "object", "category", "category-reordered"],
)
def test_clv_by_segment_from_its_own_column_matches_the_merge(dtype):
    # 3,000 seeded customers, some without CLV (prospects): grouped from a column of the CLV
    # table and through the customer table (merge), the tables are the same to the bit,
    # groups in the same order.
    rng = np.random.default_rng(3)
    n = 3_000
    ids = [f"c{i:04d}" for i in range(n)]
    clv = pd.DataFrame(
        {
            "customer_id": ids,
            "p_alive": rng.uniform(0, 1, n),
            "expected_purchases": rng.gamma(2.0, 1.5, n),
            "clv": rng.lognormal(6, 1.2, n),
        }
    )
    clv.loc[rng.random(n) < 0.05, ["p_alive", "expected_purchases", "clv"]] = np.nan
    segment = pd.Series(rng.choice(["PME", "ETI", "Artisan", "GE"], n), dtype=dtype)
    customers = pd.DataFrame({"customer_id": ids, "segment": segment})
    merged = clv_by_segment(clv, customers, by="segment")
    own = clv_by_segment(clv.assign(segment=segment), by="segment")
    pd.testing.assert_frame_equal(own, merged, check_exact=True)
    assert own["customers"].sum() == clv["clv"].notna().sum()
    assert own["clv"].sum() == pytest.approx(clv["clv"].sum(), rel=1e-12)
    # Against pandas' grouped sums and means written out: the same groups in the same order,
    # counts exactly, sums to rounding.
    with_clv = clv.assign(segment=segment.astype(object))[clv["clv"].notna()]
    pandas = with_clv.groupby("segment", sort=False).agg(
        customers=("clv", "size"),
        clv=("clv", "sum"),
        clv_mean=("clv", "mean"),
        expected_purchases=("expected_purchases", "sum"),
        p_alive_mean=("p_alive", "mean"),
    )
    pandas.insert(3, "clv_share", pandas["clv"] / with_clv["clv"].sum())
    pandas = pandas.sort_values("clv", ascending=False, kind="stable")
    assert own.index.tolist() == pandas.index.tolist()
    assert own["customers"].tolist() == pandas["customers"].tolist()
    np.testing.assert_allclose(own.to_numpy(float), pandas.to_numpy(float), rtol=1e-13, atol=0)
    # A missing p_alive where the CLV is known: pandas skips it in the mean, so does the table.
    holed = clv.assign(segment=segment)
    holed.loc[holed["clv"].notna().idxmax(), "p_alive"] = np.nan
    means = holed[holed["clv"].notna()].groupby("segment", observed=True)["p_alive"].mean()
    got = clv_by_segment(holed, by="segment")["p_alive_mean"]
    np.testing.assert_allclose(got.to_numpy(), means.reindex(got.index).to_numpy(), rtol=1e-13)


def test_clv_by_segment_sums_each_group_close_to_the_exact_sums():
    # 40,000 customers, CLVs over eight orders of magnitude, some without CLV: each group's
    # sums are the exact sums (math.fsum) to 1e-13 relative, the share's total likewise.
    rng = np.random.default_rng(21)
    n = 40_000
    clv = pd.DataFrame(
        {
            "p_alive": rng.uniform(0, 1, n),
            "expected_purchases": rng.gamma(2.0, 1.5, n),
            "clv": np.exp(rng.uniform(-4, 14, n)),
        }
    )
    clv.loc[rng.random(n) < 0.05, ["p_alive", "expected_purchases", "clv"]] = np.nan
    segment = pd.Categorical(rng.choice(["PME", "ETI", "GE"], n), ["GE", "unused", "PME", "ETI"])
    out = clv_by_segment(clv.assign(segment=segment), by="segment")
    known = clv["clv"].notna().to_numpy()
    for name in ("PME", "ETI", "GE"):
        rows = known & (np.asarray(segment) == name)
        for column, total in (("clv", "clv"), ("expected_purchases", "expected_purchases")):
            values = clv[column].to_numpy()[rows]
            assert out.loc[name, total] == pytest.approx(math.fsum(values), rel=1e-13, abs=0)
        alive = clv["p_alive"].to_numpy()[rows]
        assert out.loc[name, "p_alive_mean"] == pytest.approx(
            math.fsum(alive) / rows.sum(), rel=1e-13, abs=0
        )
        assert out.loc[name, "customers"] == rows.sum()
    exact_total = math.fsum(clv["clv"].dropna())
    np.testing.assert_allclose(out["clv_share"], out["clv"] / exact_total, rtol=1e-13, atol=0)
    assert out["clv"].is_monotonic_decreasing  # largest total first


def test_ltv_to_cac_by_channel():
    ltv = pd.DataFrame({"clv_mean": [900.0, 2000.0, 500.0]}, index=["Web", "Salon", "Terrain"])
    out = ltv_to_cac(ltv, pd.Series({"Web": 300.0, "Salon": 0.0, "Appels": 100.0}))
    assert out.loc["Web"].tolist() == [900.0, 300.0, 3.0]
    assert np.isnan(out.loc["Salon", "ltv_to_cac"])  # no spend: no ratio
    assert np.isnan(out.loc["Terrain", "cac"]) and np.isnan(out.loc["Appels", "ltv"])
    # the long table of costs.acquisition_costs(by_channel=True): CAC over the window =
    # (1000 + 2000) / (4 + 6) = 300 for Web; the period without recorded spend is left out.
    periods = pd.DataFrame(
        {
            "channel": ["Web", "Web", "Web", "Salon"],
            "acquisition_spend": [1000.0, 2000.0, np.nan, 800.0],
            "new_customers": [4, 6, 5, 2],
        }
    )
    out = ltv_to_cac(ltv, periods)
    assert out.loc["Web", "cac"] == 300.0 and out.loc["Salon", "cac"] == 400.0
    assert out.loc["Salon", "ltv_to_cac"] == 5.0


# --------------------------------------------------------------------------------------------
# Errors


def test_too_few_repeat_customers():
    summary = pd.DataFrame(
        {"frequency": [0, 0, 1, 2, 0], "recency": [0, 0, 10, 30, 0], "T": [40.0, 50, 60, 70, 80]}
    )
    with pytest.raises(PortfolioDataError) as error:
        fit_bgnbd(summary)
    assert error.value.code == "too_few_repeat_customers"
    assert error.value.details == {"count": 2, "model": "BG/NBD", "minimum": 30}
    assert "seulement 2 client(s)" in error.value.text("fr")
    with pytest.raises(PortfolioDataError, match="Gamma-Gamma needs at least 3"):
        fit_gamma_gamma(summary.assign(monetary_value=[0, 0, 5.0, 8.0, 0]), min_repeat_customers=3)


def test_negative_spend_error_or_exclusion(simulated):
    data = simulated.copy()
    data.loc[["S00003", "S00010"], ["frequency", "monetary_value"]] = [[2.0, -15.0], [1.0, 0.0]]
    with pytest.raises(PortfolioDataError) as error:
        fit_gamma_gamma(data)
    assert error.value.code == "negative_spend"
    assert error.value.details["count"] == 2
    assert list(error.value.details["examples"]) == ["S00003", "S00010"]
    with pytest.warns(DataQualityWarning, match="2 repeat customer"):
        fit = fit_gamma_gamma(data, on_nonpositive="exclude")
    assert fit.n_excluded == 2 and fit.converged
    # excluded customers get the portfolio mean spend
    assert expected_spend(fit, [2.0, 1.0], [-15.0, 0.0]).tolist() == [fit.mean_spend] * 2


def test_non_convergence_says_which_parameter_runs_away():
    # Everyone buys monthly up to the last day: no sign of dropout, the likelihood keeps
    # rising as the dropout probability goes to 0 (a -> 0) and rates become equal.
    ages = np.arange(200.0, 700.0, 5.0)
    summary = pd.DataFrame({"frequency": np.floor(ages / 30), "recency": ages, "T": ages})
    with pytest.raises(PortfolioDataError) as error:
        fit_bgnbd(summary)
    assert error.value.code == "not_converged"
    assert error.value.details["model"] == "BG/NBD"
    assert "a → " in error.value.details["reason"]
    assert "unité de temps plus grossière" in error.value.text("fr")
    with pytest.warns(DataQualityWarning, match="did not converge"):
        fit = fit_bgnbd(summary, on_nonconvergence="warn")
    assert not fit.converged and fit.a < 1e-5


def test_inconsistent_summary_is_refused():
    summary = pd.DataFrame(
        {
            "customer_id": ["x1", "x2"],
            "frequency": [1.0, 2.0],
            "recency": [30.0, 90.0],
            "T": [60.0, 45.0],
        }
    )
    with pytest.raises(PortfolioDataError) as error:
        fit_bgnbd(summary)
    assert error.value.code == "out_of_range" and error.value.column == "T"
    assert error.value.rows == [3] and list(error.value.details["examples"]) == ["x2: 45"]
    with pytest.raises(PortfolioDataError, match="'frequency'"):
        fit_bgnbd(summary.assign(frequency=[1.5, 2.0]))


def test_q_below_one_falls_back_to_the_observed_mean_spend():
    # Average spends spread over four orders of magnitude: the fitted q < 1, no model mean.
    rng = np.random.default_rng(5)
    x = rng.integers(1, 20, 400).astype(float)
    m = np.exp(rng.normal(7.0, 2.0, 400))
    fit = fit_gamma_gamma(pd.DataFrame({"frequency": x, "monetary_value": m}))
    assert fit.converged and fit.q < 1 and not fit.finite_mean
    assert fit.mean_spend == pytest.approx(m.mean())
    assert expected_spend(fit, 0, 0).tolist() == pytest.approx(m.mean())


# --------------------------------------------------------------------------------------------
# The committed sample


def test_fit_on_the_committed_sample():
    portfolio = load_portfolio(SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"])
    customers = aggregate(portfolio.transactions, portfolio.customers).customers
    bgnbd = fit_bgnbd(customers)
    with pytest.warns(DataQualityWarning, match="average spend of zero or less"):
        spend = fit_gamma_gamma(customers, on_nonpositive="exclude")
    assert bgnbd.converged and spend.converged
    assert bgnbd.n_customers == 2000 and bgnbd.n_repeat_customers > 1500
    # A B2B distributor: about one purchase a month while alive (r / alpha per week ~ 0.2),
    # rare dropout (a / (a + b) ~ 3.6 %), every standard error finite.
    assert 0.1 < bgnbd.r / bgnbd.alpha < 0.4
    assert 0.01 < bgnbd.a / (bgnbd.a + bgnbd.b) < 0.10
    assert all(np.isfinite(list(bgnbd.standard_errors.values())))
    # Total repeat purchases in the observation period: the model's expectation for customers
    # of these ages is within 10 % of what happened.
    model = expected_purchases(bgnbd, customers["T"]).sum()
    assert model == pytest.approx(customers["frequency"].sum(), rel=0.10)
    clv = predictive_clv(customers, bgnbd, spend)
    assert (clv["clv"] >= 0).all() and clv["clv"].notna().all()
    assert clv["p_alive"].between(0, 1).all()
    # The log has margins: the margin rate is the portfolio's, not the default.
    rate = customers["margin"].sum() / customers["revenue"].sum()
    assert clv["margin_rate"].iloc[0] == pytest.approx(rate)
    by_segment = clv_by_segment(clv, customers, by="segment")
    assert by_segment["clv"].sum() == pytest.approx(clv["clv"].sum())


def test_predictive_clv_is_the_discounted_sum_of_the_monthly_purchases(sample_aggregates):
    agg = sample_aggregates
    bgnbd = fit_bgnbd(agg.customers)
    with pytest.warns(DataQualityWarning):
        spend = fit_gamma_gamma(agg.customers, on_nonpositive="exclude")
    warm = predictive_clv(agg.customers, bgnbd, spend, discount_rate=0.05)
    # A customer's discounted sum by hand from its monthly expectations.
    row = int(warm["clv"].idxmax())
    x, tx, T = agg.customers.loc[row, ["frequency", "recency", "T"]]
    months = np.arange(0, 37) * DAYS_PER_MONTH
    cumulative = conditional_expected_purchases(bgnbd, months, x, tx, T)
    factor = 1.05 ** (1 / 12)
    by_hand = (np.diff(cumulative) / factor ** np.arange(1, 37)).sum()
    expected = warm.loc[row, "margin_rate"] * warm.loc[row, "expected_spend"] * by_hand
    assert warm.loc[row, "clv"] == pytest.approx(expected, rel=1e-9)


def test_predictive_clv_matches_a_customer_by_customer_evaluation(sample_aggregates, monkeypatch):
    # The evaluation once per distinct (x, T) pair against every customer's own 36 monthly
    # expectations computed month by month, then the same sums. Each entry's value is its
    # own, so equal to the bit. The interpolation of large evaluations is switched off here;
    # pinned at the end.
    agg = sample_aggregates
    monkeypatch.setattr(clv_model, "_INTERPOLATED_FROM", np.inf)
    bgnbd = fit_bgnbd(agg.customers)
    with pytest.warns(DataQualityWarning):
        spend = fit_gamma_gamma(agg.customers, on_nonpositive="exclude")
    fast = predictive_clv(agg.customers, bgnbd, spend, discount_rate=0.07)
    x, tx, T = (agg.customers[c].to_numpy() for c in ("frequency", "recency", "T"))
    known = ~np.isnan(x)
    assert len(np.unique(x[known] * 1e5 + T[known])) < known.sum()  # shared pairs
    cumulative = np.column_stack(
        [np.zeros(known.sum())]
        + [
            expected_purchases_if_alive(bgnbd, k * DAYS_PER_MONTH, x[known], T[known])
            for k in range(1, 37)
        ]
    )
    increments = cumulative[:, 1:] - cumulative[:, :-1]
    alive = p_alive(bgnbd, x[known], tx[known], T[known])
    discount = (1.07 ** (1 / 12)) ** -np.arange(1.0, 37.0)
    np.testing.assert_array_equal(fast["p_alive"].to_numpy()[known], alive)
    np.testing.assert_array_equal(
        fast["expected_purchases"].to_numpy()[known], alive * increments.sum(axis=1)
    )
    # The discounting is a matrix product, which BLAS may round differently for a row by its
    # position (one row per distinct pair): equal to ~1 ulp.
    discounted = alive * (increments @ discount)
    clv = fast["margin_rate"].to_numpy() * fast["expected_spend"].to_numpy()
    np.testing.assert_allclose(
        fast["clv"].to_numpy()[known], clv[known] * discounted, rtol=1e-14, atol=0
    )
    assert fast["clv"].isna().to_numpy().tolist() == (~known).tolist()
    # Prospects (no history) appended after the buyers: NaN rows, the buyers' rows the same
    # (the arrays spread around the prospects, not kept as computed).
    columns = ["frequency", "recency", "T", "monetary_value"]
    prospects = pd.DataFrame(np.nan, index=[-1, -2, -3], columns=columns)
    options = {"discount_rate": 0.07, "margin_rate": 0.3}
    buyers = predictive_clv(agg.customers[columns], bgnbd, spend, **options)
    mixed = predictive_clv(pd.concat([agg.customers[columns], prospects]), bgnbd, spend, **options)
    pd.testing.assert_frame_equal(mixed.iloc[:-3], buyers, check_exact=True)
    assert mixed.iloc[-3:].drop(columns="margin_rate").isna().all(axis=None)
    # Prospects first (they take the first buyer's pair, then missing values): the same.
    leading = predictive_clv(
        pd.concat([prospects, agg.customers[columns]]), bgnbd, spend, **options
    )
    pd.testing.assert_frame_equal(leading.iloc[3:], buyers, check_exact=True)
    assert leading.iloc[:3].drop(columns="margin_rate").isna().all(axis=None)
    np.testing.assert_array_equal(buyers["p_alive"].to_numpy(), fast["p_alive"].to_numpy())
    # The categorical ids of Aggregates.customers are kept as they are (no string per row).
    assert fast["customer_id"].dtype == agg.customers["customer_id"].dtype
    assert fast["customer_id"].tolist() == agg.customers["customer_id"].tolist()
    # Interpolated per frequency (the path of large evaluations, here from any size on): the
    # same to the 2F1's rounding (E = (a+b+x-1)/(a-1) (1 - G) amplifies it, see
    # test_interpolated_monthly_purchases_match_the_evaluation).
    monkeypatch.setattr(clv_model, "_INTERPOLATED_FROM", 0)
    interpolated = predictive_clv(agg.customers, bgnbd, spend, discount_rate=0.07)
    pd.testing.assert_series_equal(interpolated["p_alive"], fast["p_alive"], check_exact=True)
    for column in ("expected_purchases", "clv"):
        np.testing.assert_allclose(
            interpolated[column].to_numpy()[known], fast[column].to_numpy()[known], rtol=1e-12
        )


def _series_step_by_step(params, x, T, t):
    """The short-horizon power series, entry by entry, in plain Python floats (reference)."""
    r, alpha, a, b = params
    totals, reliable = np.empty(len(x)), np.empty(len(x), dtype=bool)
    for i, (xi, Ti, ti) in enumerate(zip(x.tolist(), T.tolist(), t.tolist(), strict=True)):
        k = ti / (alpha + Ti)
        term = (r + xi) * k
        total, largest, converged = term, abs(term), False
        for n in range(1, bgnbd_model._SERIES_TERMS):
            term = -term * (r + xi + n) * (a + n - 1.0) * k / ((a + b + xi + n - 1.0) * (n + 1.0))
            total += term
            largest = max(largest, abs(term))
            if abs(term) <= 1e-17 * abs(total):
                converged = True
                break
        totals[i], reliable[i] = total, converged and largest <= 1e3 * abs(total)
    return totals, reliable


@pytest.mark.parametrize(
    "params",
    [(0.55, 2.7, 1.25, 38.8), (0.2, 3.0, 0.5, 2.0), (2.0, 0.5, 3.0, 0.7), (60.0, 0.5, 5.0, 0.5)],
)
def test_alive_expectation_series_is_the_step_by_step_sum(params):
    # The vectorised series (compacted running entries) against each entry's
    # own loop in Python floats: the same operations, so the same bits. Some horizons beyond
    # the series' range (k near 1: the 200 terms run out) and a large r (huge intermediate
    # terms) give unreliable entries too.
    x, T, t = _series_histories(params)
    got, reliable = bgnbd_model._alive_expectation_series(params, x, T, t)
    expected, expected_reliable = _series_step_by_step(params, x, T, t)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(reliable, expected_reliable)
    assert reliable.sum() > len(x) // 2 and (~reliable).sum() > 0
    empty = bgnbd_model._alive_expectation_series(params, np.array([]), np.array([]), np.array([]))
    assert empty[0].shape == empty[1].shape == (0,)


def _series_histories(params, n=3_000, seed=5):
    """Seeded (x, T, t): small and large x, ages 0..300, k = t / (alpha + T) mostly <= 1/2."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.integers(0, 60, n - 200), rng.integers(500, 5_000, 200)]).astype(float)
    T = rng.uniform(0.0, 300.0, n)
    t = np.concatenate([rng.uniform(0.0, 0.5, n - 300), rng.uniform(0.9, 0.99, 300)])
    t[:100] = rng.uniform(1e-9, 1e-3, 100)  # a few very short horizons (octaves far below 1/2)
    return x, T, t * (params[1] + T)


@pytest.mark.parametrize(
    "params",
    [
        (0.55, 2.7, 1.25, 38.8),  # the benchmark's fit
        (0.243, 4.414, 0.793, 2.426),  # CDNOW: a < 1
        (2.0, 10.0, 3.0, 8.0),  # integers: scipy's 2F1 gives NaN, the quadrature takes over
        (0.5, 1.0, 1.0 + 3e-6, 2.0),  # a near 1: interpolated in a, ~12 digits
        (0.3, 20.0, 30.0, 40.0),  # large a: E / k bends fast, too many terms for large x
    ],
)
def test_interpolated_monthly_purchases_match_the_evaluation(params, monkeypatch):
    # The Chebyshev interpolants per frequency against the plain evaluation at every (history,
    # month): 36 months of histories x 0..80 (and a few in the hundreds) and T 1..1100 days.
    # Where E = (a+b+x-1)/(a-1) (1 - G) cancels (a - 1 small), the evaluation's 2F1 rounding
    # is amplified (~5e-13 for x = 0 at the benchmark's fit); the interpolant of rounded
    # values is as close. Frequencies whose interpolant does not converge are left (zero
    # rows, not done): their rows are evaluated.
    rng = np.random.default_rng(11)
    n = 1_500
    x = np.concatenate([rng.integers(0, 80, n - 20), rng.integers(100, 400, 20)]).astype(float)
    T = rng.integers(1, 1_100, n).astype(float)
    T[:300] = T[300:600]  # shared ages, as in a portfolio
    fit = _fit_of(dict(zip(["r", "alpha", "a", "b"], params, strict=True)))
    got, done = interpolated_monthly_purchases(fit, x, T, 36)
    want = monthly_purchases_if_alive(fit, x, T, 36)
    cumulative_got, cumulative_want = got.cumsum(axis=1), want.cumsum(axis=1)
    rtol = 2e-10 if abs(params[2] - 1.0) < 1e-3 else 2e-12
    np.testing.assert_allclose(cumulative_got[done], cumulative_want[done], rtol=rtol, atol=0)
    # The increments themselves to the same error, relative to E.
    assert (np.abs(got - want)[done] <= rtol * cumulative_want[done]).all()
    if params[2] > 10:
        assert done[x <= 3].all() and not done[x >= 60].any()
    elif abs(params[2] - 1.0) < 1e-3:
        # The evaluation's own rounding (~1e-12) is above the tolerance: mostly left to it.
        assert done.mean() < 0.1
    else:
        assert done.all()
    assert not got[~done].any()
    # What predictive_clv takes: the interpolated rows, the others evaluated.
    months = clv_model._monthly_purchases(fit, x, T, 36)
    np.testing.assert_array_equal(months[done], got[done])
    np.testing.assert_array_equal(months[~done], want[~done])
    empty, none_done = interpolated_monthly_purchases(fit, np.array([]), np.array([]), 36)
    assert empty.shape == (0, 36) and not none_done.any()
    # One age and one month: no interval to interpolate on, everything left.
    _, none_done = interpolated_monthly_purchases(fit, x[:5], np.full(5, 100.0), 1)
    assert not none_done.any()
