"""Pareto/NBD and MBG/NBD beside the BG/NBD, and their comparison on a holdout.

Checked against the published CDNOW estimates (Schmittlein, Morrison & Colombo 1987 as
refitted by Fader, Hardie & Lee 2005), against lifetimes (an independent implementation),
against numerical integration of the model stories, and against hand-counted weekly purchases.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.stats import beta as beta_distribution

from portfolio_lib.models import (
    MBGNBDFit,
    ParetoNBDFit,
    calibration_and_holdout,
    compare_purchase_models,
    fit_bgnbd,
    fit_mbgnbd,
    fit_pareto_nbd,
    holdout_error,
    predictive_clv,
    simulate_summary,
    weekly_tracking,
)
from portfolio_lib.models.gamma_gamma import GammaGammaFit


@pytest.fixture(scope="module")
def cdnow():
    datasets = pytest.importorskip("lifetimes.datasets")
    raw = datasets.load_cdnow_summary(index_col=[0])
    days = pd.DataFrame(
        {"frequency": raw["frequency"], "recency": raw["recency"] * 7, "T": raw["T"] * 7}
    )
    return raw, days


@pytest.fixture(scope="module")
def cdnow_fits(cdnow):
    _, days = cdnow
    return fit_pareto_nbd(days), fit_mbgnbd(days)


def test_pareto_nbd_reproduces_the_published_cdnow_estimates(cdnow, cdnow_fits):
    pareto, _ = cdnow_fits
    # Fader, Hardie & Lee (2005), "Counting your customers the easy way", table 1 (2357
    # customers, weeks): r = 0.55, alpha = 10.58, s = 0.61, beta = 11.67, LL = -9595.0.
    assert (round(pareto.r, 2), round(pareto.alpha, 2), round(pareto.s, 2)) == (0.55, 10.58, 0.61)
    assert round(pareto.beta, 2) == 11.67
    assert round(pareto.log_likelihood, 1) == -9595.0
    assert pareto.n_customers == 2357 and pareto.n_repeat_customers == 946
    # Better than the BG/NBD's -9582.4? No: the BG/NBD fits CDNOW slightly better (the paper's
    # point), and the MBG/NBD (lifetimes: LL -9582.1) about as well.
    assert fit_bgnbd(cdnow[1]).log_likelihood > pareto.log_likelihood
    assert all(np.isfinite(list(pareto.standard_errors.values())))


def test_pareto_and_mbg_match_lifetimes(cdnow, cdnow_fits):
    lifetimes = pytest.importorskip("lifetimes")
    raw, _ = cdnow
    pareto, mbg = cdnow_fits
    x, tx, T = raw["frequency"], raw["recency"], raw["T"]
    their_pareto = lifetimes.ParetoNBDFitter().fit(x, tx, T)
    their_mbg = lifetimes.ModifiedBetaGeoFitter().fit(x, tx, T)
    for ours, theirs in ((pareto, their_pareto), (mbg, their_mbg)):
        # beta sits on a flat ridge (its standard error is 6): lifetimes stops within 1e-3.
        assert ours.params == pytest.approx(theirs.params_.to_dict(), rel=1e-3)
    # Predictions at lifetimes' own parameters (the fits differ in the 5th digit).
    for ours_type, theirs in ((ParetoNBDFit, their_pareto), (MBGNBDFit, their_mbg)):
        fit = ours_type(
            **theirs.params_.to_dict(),
            log_likelihood=0.0,
            n_customers=0,
            n_repeat_customers=0,
            converged=True,
        )
        alive = fit.p_alive(x * 1.0, tx * 7, T * 7)
        assert alive == pytest.approx(theirs.conditional_probability_alive(x, tx, T), rel=1e-6)
        expected = fit.expected_purchases(10 * 7, x * 1.0, tx * 7, T * 7)
        theirs_expected = theirs.conditional_expected_number_of_purchases_up_to_time(10, x, tx, T)
        assert expected == pytest.approx(np.asarray(theirs_expected), rel=1e-6)
        new = fit.expected_new_customer_purchases(np.array([7.0, 70.0, 273.0]))
        theirs_new = theirs.expected_number_of_purchases_up_to_time(np.array([1.0, 10.0, 39.0]))
        assert new == pytest.approx(np.asarray(theirs_new), rel=1e-6)


def test_new_customer_expectations_match_the_model_stories_by_quadrature():
    r, alpha, a, b, s, beta = 0.6, 5.0, 0.9, 2.2, 0.7, 9.0
    t = 20.0
    common = {"log_likelihood": 0.0, "n_customers": 0, "n_repeat_customers": 0, "converged": True}
    mbg = MBGNBDFit(r=r, alpha=alpha, a=a, b=b, **common)
    # MBG/NBD: given p, the customer survives the first toss with 1 - p, then buys
    # E[(1 - e^(-lambda p t)) / p] = (1 - (alpha / (alpha + p t))^r) / p.
    story = integrate.quad(
        lambda p: (
            (1 - p) * (1 - (alpha / (alpha + p * t)) ** r) / p * beta_distribution.pdf(p, a, b)
        ),
        0,
        1,
    )[0]
    assert float(mbg.expected_new_customer_purchases(t * 7)) == pytest.approx(story, rel=1e-9)
    # Pareto/NBD: E[X(t)] = E[lambda / mu (1 - e^(-mu t))] = r / alpha E[(1 - e^(-mu t)) / mu].
    pareto = ParetoNBDFit(r=r, alpha=alpha, s=s, beta=beta, **common)
    gamma_pdf = lambda mu: beta**s * mu ** (s - 1) * math.exp(-beta * mu) / math.gamma(s)  # noqa: E731
    story = (
        r
        / alpha
        * integrate.quad(lambda mu: -math.expm1(-mu * t) / mu * gamma_pdf(mu), 0, np.inf)[0]
    )
    assert float(pareto.expected_new_customer_purchases(t * 7)) == pytest.approx(story, rel=1e-8)
    # s = 1 exactly: the limit (beta ln(1 + t / beta)) r / alpha.
    at_one = ParetoNBDFit(r=r, alpha=alpha, s=1.0, beta=beta, **common)
    limit = r / alpha * beta * math.log1p(t / beta)
    assert float(at_one.expected_new_customer_purchases(t * 7)) == pytest.approx(limit, rel=1e-12)


def test_mbg_p_alive_hand_value_without_repeat_purchase():
    fit = MBGNBDFit(
        r=0.5, alpha=4.0, a=1.0, b=3.0, log_likelihood=0.0, n_customers=0,
        n_repeat_customers=0, converged=True,
    )  # fmt: skip
    # x = 0, T = 4 weeks: odds dead = a / b ((alpha + T) / alpha)^r = 1/3 * 2^0.5 = 0.4714
    assert float(fit.p_alive(0.0, 0.0, 28.0)) == pytest.approx(1 / (1 + math.sqrt(2) / 3))


def _simulated_log(seed: int = 3, n: int = 600) -> pd.DataFrame:
    """A daily transaction log from Pareto/NBD customers (first purchases over 26 weeks, 78
    weeks in all): Poisson purchases until an exponential lifetime ends."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2024-01-01")
    end = start + pd.Timedelta(days=7 * 78 - 1)
    for i in range(n):
        first = start + pd.Timedelta(days=int(rng.integers(0, 182)))
        rate = rng.gamma(0.8, 1 / 6.0) / 7  # per day
        lifetime = min(float(rng.exponential(7 / rng.gamma(0.7, 1 / 30.0))), 1e4)  # days
        death = first + pd.Timedelta(days=lifetime)
        day, days = first, [first]
        while True:
            day = day + pd.Timedelta(days=max(1, round(rng.exponential(1 / rate))))
            if day > min(end, death):
                break
            days.append(day)
        rows += [(f"c{i}", d, float(rng.gamma(4.0, 25.0))) for d in days]
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def test_comparison_ranks_by_holdout_error_and_tracks_the_weeks():
    log = _simulated_log()
    cal_end, obs_end = pd.Timestamp("2024-12-29"), pd.Timestamp("2025-06-29")
    cal_hold = calibration_and_holdout(log, calibration_end=cal_end, observation_end=obs_end)
    comparison = compare_purchase_models(cal_hold)
    table = comparison.table
    assert set(table.index) == {"bgnbd", "pareto_nbd", "mbgnbd"}
    # BIC = 4 ln n - 2 LL, by hand for each model.
    n = len(cal_hold)
    for name, fit in comparison.fits.items():
        assert table.loc[name, "bic"] == pytest.approx(4 * math.log(n) - 2 * fit.log_likelihood)
        assert fit.n_customers == n
    # The chosen model has the smallest holdout error, which is the weighted mean gap.
    assert comparison.chosen == table["holdout_error"].idxmin()
    # Customers who may leave at any moment: the Pareto/NBD, their true story, forecasts best.
    assert comparison.chosen == "pareto_nbd"
    assert table["chosen"].sum() == 1 and table.loc[comparison.chosen, "chosen"]
    by = comparison.by_frequency
    for name in comparison.fits:
        gaps = (by["observed"] - by[name]).abs()
        assert table.loc[name, "holdout_error"] == pytest.approx(
            (gaps * by["customers"]).sum() / by["customers"].sum()
        )
    assert holdout_error(
        pd.DataFrame({"customers": [3, 1], "observed": [1.0, 2.0], "expected": [0.5, 3.0]})
    ) == pytest.approx((3 * 0.5 + 1 * 1.0) / 4)
    # Observed holdout purchases: the customers' purchase days after the calibration end.
    holdout_days = log[(log["date"] > cal_end) & log["customer_id"].isin(cal_hold.index)]
    assert (
        table["holdout_purchases_observed"].iloc[0]
        == holdout_days.drop_duplicates(["customer_id", "date"]).shape[0]
    )

    tracking = weekly_tracking(
        log, comparison.fits, calibration_end=cal_end, observation_end=obs_end
    )
    # Every repeat purchase day of the calibration customers falls in one week.
    days = log.drop_duplicates(["customer_id", "date"])
    days = days[days["customer_id"].isin(cal_hold.index)]
    repeats = len(days) - days["customer_id"].nunique()
    assert tracking["observed"].sum() == repeats
    first_week = days[(days["date"] < pd.Timestamp("2024-01-08"))]
    first_week_repeats = len(first_week) - first_week["customer_id"].nunique()
    assert tracking["observed"].iloc[0] == first_week_repeats
    # The models' weekly sums are the cumulative expectations at the end.
    firsts = days.groupby("customer_id")["date"].min()
    ages = (obs_end + pd.Timedelta(days=1) - firsts).dt.days.to_numpy(float)
    for name, fit in comparison.fits.items():
        total = fit.expected_new_customer_purchases(ages).sum()
        assert tracking[name].sum() == pytest.approx(total, rel=1e-9)
    assert tracking["holdout"].any() and not tracking["holdout"].iloc[0]


def test_holdout_spend_is_per_purchase_day_not_per_line():
    """The choice (per day, as the calibration's spend) and lifetimes' per-line mean differ."""
    log = pd.DataFrame(
        {
            "customer_id": ["a"] * 5,
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-10", "2024-02-05", "2024-02-05", "2024-02-20"]
            ),
            "amount": [50.0, 40.0, 10.0, 20.0, 30.0],
        }
    )
    cal_hold = calibration_and_holdout(log, calibration_end="2024-01-31")
    # Two holdout days: 10 + 20 on Feb 5, 30 on Feb 20 -> (30 + 30) / 2 = 30 per day.
    assert cal_hold.loc["a", "frequency_holdout"] == 2
    assert cal_hold.loc["a", "monetary_value_holdout"] == 30.0
    lifetimes = pytest.importorskip("lifetimes")
    theirs = lifetimes.utils.calibration_and_holdout_data(
        log, "customer_id", "date", calibration_period_end="2024-01-31",
        monetary_value_col="amount",
    )  # fmt: skip
    # lifetimes: the mean of the three lines, 20.
    assert theirs.loc["a", "monetary_value_holdout"] == 20.0
    assert theirs.loc["a", "frequency_holdout"] == 2


def test_predictive_clv_takes_any_purchase_model(cdnow_fits):
    pareto, mbg = cdnow_fits
    summary = simulate_summary(
        300, bgnbd={"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5},
        gamma_gamma={"p": 6.0, "q": 4.0, "v": 15.0}, T=273.0, seed=5,
    )  # fmt: skip
    spend = GammaGammaFit(p=6.0, q=4.0, v=15.0, log_likelihood=0.0, n_customers=0, n_excluded=0,
                          converged=True)  # fmt: skip
    for fit in (pareto, mbg):
        clv = predictive_clv(summary, fit, spend, horizon_months=12, discount_rate=0.0,
                             margin_rate=1.0)  # fmt: skip
        # Undiscounted, margin 1: CLV = spend x the purchases of the 12 months, and those
        # are the model's conditional expectation over 12 months of 365.25 / 12 days.
        direct = fit.expected_purchases(
            365.25, summary["frequency"], summary["recency"], summary["T"]
        )
        assert clv["expected_purchases"].to_numpy() == pytest.approx(direct, rel=1e-9)
        assert clv["clv"].to_numpy() == pytest.approx(
            direct * clv["expected_spend"].to_numpy(), rel=1e-9
        )
        assert clv["p_alive"].to_numpy() == pytest.approx(
            fit.p_alive(summary["frequency"], summary["recency"], summary["T"])
        )
