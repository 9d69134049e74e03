"""Forecast and what-if (issue 18, items 5 and 6): closed forms by hand, against Monte-Carlo,
and the forecast of histories simulated past the calibration date against what they did next.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portfolio_lib.config import SAMPLE_FILES
from portfolio_lib.engine.prepare import prepare
from portfolio_lib.models import (
    DAYS_PER_MONTH,
    BGNBDFit,
    GammaGammaFit,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    p_alive,
)
from portfolio_lib.models.forecast import forecast_customers, forecast_draws, probability_active
from portfolio_lib.models.what_if import (
    model_retention,
    new_customer_purchases,
    new_customer_value,
    with_retention,
)
from portfolio_lib.studies.findings import findings
from portfolio_lib.studies.findings_base import integer, money, signed
from portfolio_lib.studies.forecast import forecast_study, what_if_study

TRUE_BG = {"r": 0.8, "alpha": 6.0, "a": 0.9, "b": 3.0}  # alpha in weeks
TRUE_GG = {"p": 6.0, "q": 4.0, "v": 60.0}
YEAR = 12 * DAYS_PER_MONTH


def _bg(**params: float) -> BGNBDFit:
    values = TRUE_BG | params
    return BGNBDFit(**values, log_likelihood=0.0, n_customers=0, n_repeat_customers=0,
                    converged=True, time_unit_days=7.0)  # fmt: skip


def _gg() -> GammaGammaFit:
    return GammaGammaFit(**TRUE_GG, log_likelihood=0.0, n_customers=0, n_excluded=0,
                         converged=True)  # fmt: skip


def _simulate_past_and_future(n: int, T: float, t: float, seed: int) -> pd.DataFrame:
    """Histories drawn from BG/NBD + Gamma-Gamma over (0, T + t], summarised at T.

    Written out purchase by purchase (not the closed-form draws of models.simulate): the rate,
    dropout after each repeat purchase, then the purchase times, cut at T.
    """
    rng = np.random.default_rng(seed)
    rate = rng.gamma(TRUE_BG["r"], 1.0 / TRUE_BG["alpha"], n) / 7.0
    dropout = rng.beta(TRUE_BG["a"], TRUE_BG["b"], n)
    nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["v"], n)
    rows = []
    for i in range(n):
        times = np.sort(rng.uniform(0.0, T + t, rng.poisson(rate[i] * (T + t))))
        times = times[: rng.geometric(dropout[i])]  # the J-th purchase is the last
        spends = rng.gamma(TRUE_GG["p"], 1.0 / nu[i], len(times))
        past, future = times <= T, times > T
        x = int(past.sum())
        rows.append(
            {
                "frequency": float(x),
                "recency": float(times[past].max()) if x else 0.0,
                "T": T,
                "monetary_value": float(spends[past].mean()) if x else 0.0,
                "future_purchases": float(future.sum()),
                "future_revenue": float(spends[future].sum()),
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return _simulate_past_and_future(6000, T=730.0, t=YEAR, seed=11)


def test_probability_active_by_hand() -> None:
    fit = _bg(r=0.25, alpha=4.0, a=0.8, b=2.5)
    # x = 0, T = 20 weeks, t = 4 weeks: 1 - (24 / 28)^0.25.
    assert probability_active(fit, 28, 0, 0, 140) == pytest.approx(1 - (24 / 28) ** 0.25)
    # x = 2, t_x = 10, T = 20 weeks: P(alive) 0.5654 times 1 - (24 / 28)^2.25.
    alive = 1 / (1 + 0.8 / 3.5 * (24 / 14) ** 2.25)
    expected = alive * (1 - (24 / 28) ** 2.25)
    assert probability_active(fit, 28, 2, 70, 140) == pytest.approx(expected, rel=1e-12)


def test_forecast_matches_its_monte_carlo(simulated: pd.DataFrame) -> None:
    """The closed forms (FHL eq. 10, the at-least-one-purchase probability, Gamma-Gamma eq. 5)
    equal the mean of the posterior predictive draws, written independently."""
    fit, gg = _bg(), _gg()
    forecast = forecast_customers(simulated, fit, gg)
    draws = forecast_draws(simulated, fit, gg, [np.zeros(len(simulated), int)], draws=400)[0]
    for key, column in (("purchases", "expected_purchases"), ("active", "p_active"),
                        ("revenue", "revenue")):  # fmt: skip
        mean, spread = draws[key].mean(), draws[key].std() / np.sqrt(400)
        assert abs(mean - forecast[column].sum()) < 4 * spread, key


def test_forecast_against_the_simulated_future(simulated: pd.DataFrame) -> None:
    truth = {
        "purchases": simulated["future_purchases"].sum(),
        "revenue": simulated["future_revenue"].sum(),
        "active": (simulated["future_purchases"] > 0).sum(),
    }
    # With the true parameters the truth lies within the process's spread (3.5 standard
    # deviations of the draws: one chance in 2,000 of a false alarm).
    fit, gg = _bg(), _gg()
    forecast = forecast_customers(simulated, fit, gg)
    draws = forecast_draws(simulated, fit, gg, [np.zeros(len(simulated), int)], draws=300)[0]
    for key, column in (("purchases", "expected_purchases"), ("active", "p_active"),
                        ("revenue", "revenue")):  # fmt: skip
        assert abs(truth[key] - forecast[column].sum()) < 3.5 * draws[key].std(), key
        assert forecast[column].sum() == pytest.approx(truth[key], rel=0.05), key
    # Fitted on the history alone (the calibration period), still within 6 %.
    fitted = forecast_customers(simulated, fit_bgnbd(simulated), fit_gamma_gamma(simulated))
    assert fitted["expected_purchases"].sum() == pytest.approx(truth["purchases"], rel=0.06)
    assert fitted["p_active"].sum() == pytest.approx(truth["active"], rel=0.06)
    assert fitted["revenue"].sum() == pytest.approx(truth["revenue"], rel=0.06)


def test_forecast_customers_columns_by_hand() -> None:
    fit, gg = _bg(), _gg()
    summary = pd.DataFrame(
        {"frequency": [0.0, 3.0, np.nan], "recency": [0.0, 200.0, np.nan],
         "T": [300.0, 400.0, np.nan], "monetary_value": [0.0, 80.0, np.nan]}
    )  # fmt: skip
    out = forecast_customers(summary, fit, gg, spend_factor=1.1)
    # Spend: portfolio mean 6 * 60 / 3 = 120 for x = 0; (360 + 6 * 3 * 80) / (18 + 3) for x = 3.
    assert out["expected_spend"].tolist()[:2] == pytest.approx([132.0, 1.1 * 1800 / 21])
    assert out.loc[2].tolist() == [0.0] * 5  # a prospect: nothing
    assert out.loc[0, "p_alive"] == 1.0
    assert out.loc[1, "p_alive"] == pytest.approx(p_alive(fit, 3, 200, 400))
    assert (out["revenue"] == out["expected_purchases"] * out["expected_spend"]).all()


def test_model_retention_against_monte_carlo() -> None:
    fit = _bg()
    rng = np.random.default_rng(3)
    rate = rng.gamma(fit.r, 1 / fit.alpha, 1_000_000)
    dropout = rng.beta(fit.a, fit.b, 1_000_000)
    # Survive a year: no dropout among the year's purchases, a Poisson count of rate lambda p.
    survived = rng.poisson(rate * dropout * 365.25 / 7) == 0
    assert model_retention(fit) == pytest.approx(survived.mean(), abs=0.002)


@pytest.mark.parametrize("points", [-10.0, -2.0, 3.0, 15.0])
def test_with_retention_moves_the_retention_by_the_points(points: float) -> None:
    fit = _bg()
    moved = with_retention(fit, points)
    assert model_retention(moved) - model_retention(fit) == pytest.approx(points / 100, abs=1e-9)
    assert (moved.a, moved.r, moved.alpha) == (fit.a, fit.r, fit.alpha)
    assert (moved.b > fit.b) == (points > 0)  # more retention: a smaller mean dropout
    assert with_retention(fit, 0.0) is fit


def test_new_customer_curve_without_dropout_is_poisson() -> None:
    # b huge: nobody drops; purchases of a new customer = 1 + r t / alpha (per week).
    fit = _bg(b=1e9)
    assert new_customer_purchases(fit, 12.0) == pytest.approx(1 + 0.8 * YEAR / 7 / 6, rel=1e-6)
    months = np.arange(1, 37)
    discount = 1.1 ** (-months / 12)
    repeat = 0.8 * DAYS_PER_MONTH / 7 / 6  # repeat purchases per month
    by_hand = 0.3 * 120.0 * 1.2 * (1 + repeat * discount.sum())
    value = new_customer_value(
        fit, _gg(), margin_rate=0.3, horizon_months=36, discount_rate=0.10, spend_factor=1.2
    )
    assert value == pytest.approx(by_hand, rel=1e-6)


@pytest.fixture(scope="module")
def sample_forecast():
    prepared = prepare(SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"],
                       SAMPLE_FILES["costs"])  # fmt: skip
    return forecast_study(prepared.agg, prepared.costs, transactions=prepared.data.transactions)


def test_forecast_study_groups_add_up(sample_forecast) -> None:
    study = sample_forecast
    total = study.portfolio.loc["total"]
    assert total["forecast_revenue"] == pytest.approx(study.per_customer["revenue"].sum())
    for key in ("forecast_revenue", "forecast_active"):
        assert total[f"{key}_low"] < total[key] < total[f"{key}_high"]
    for key in ("sales_rep", "segment"):
        table = study.by_group[key]
        assert table["forecast_revenue"].sum() == pytest.approx(total["forecast_revenue"])
        assert table["forecast_active"].sum() == pytest.approx(total["forecast_active"])
        assert table["customers"].sum() == len(study.customers)
    # The fit without the last 12 months forecast them within 15 % (revenue and customers).
    holdout = study.holdout
    assert holdout["forecast_error"].abs().max() < 0.15
    assert holdout.loc["forecast_active", "forecast_actual"] > 0


def test_what_if_at_zero_is_the_forecast(sample_forecast) -> None:
    table = what_if_study(sample_forecast).table
    revenue = sample_forecast.portfolio.loc["total", "forecast_revenue"]
    assert table.loc["what_if_revenue", "what_if_scenario"] == revenue  # exactly
    assert table.loc["what_if_revenue", "what_if_baseline"] == revenue
    assert (table["what_if_difference"] == 0).all()
    shown = what_if_study(sample_forecast).shown("fr")
    assert shown.index.tolist() == ["Sans changement", "Scénario", "Écart"]


def test_what_if_basket_scales_revenue_and_clv_exactly(sample_forecast) -> None:
    table = what_if_study(sample_forecast, basket=0.10, new_per_month=20.0).table
    base = what_if_study(sample_forecast, new_per_month=20.0).table
    for row in ("revenue_existing", "revenue_new", "revenue", "clv_new", "ltv_to_cac"):
        assert table.loc[f"what_if_{row}", "what_if_scenario"] == pytest.approx(
            1.1 * base.loc[f"what_if_{row}", "what_if_scenario"],
                                                           rel=1e-12)  # fmt: skip


def test_what_if_acquisition_by_hand(sample_forecast) -> None:
    study = sample_forecast
    table = what_if_study(study, new_per_month=10.0, cac=500.0).table
    fit, gg = study.models.bgnbd, study.models.gamma_gamma
    # Customers won mid-month: 11.5, 10.5, ..., 0.5 months left in the year.
    left = np.arange(11.5, 0, -1.0)
    purchases = (1 + expected_purchases(fit, left * DAYS_PER_MONTH)).sum()
    assert table.loc["what_if_revenue_new", "what_if_scenario"] == pytest.approx(
        10 * purchases * gg.mean_spend
    )
    assert table.loc["what_if_new_customers", "what_if_scenario"] == 120
    assert table.loc["what_if_active", "what_if_difference"] == pytest.approx(120)
    ltv = table.loc["what_if_clv_new", "what_if_scenario"]
    assert table.loc["what_if_ltv_to_cac", "what_if_scenario"] == pytest.approx(ltv / 500.0)


def test_what_if_retention_direction(sample_forecast) -> None:
    up = what_if_study(sample_forecast, retention_points=5.0).table
    down = what_if_study(sample_forecast, retention_points=-5.0).table
    assert up.loc["what_if_retention", "what_if_difference"] == pytest.approx(0.05)
    assert (
        up.loc["what_if_revenue", "what_if_difference"]
        > 0
        > down.loc["what_if_revenue", "what_if_difference"]
    )
    assert (
        up.loc["what_if_clv_new", "what_if_difference"]
        > 0
        > down.loc["what_if_clv_new", "what_if_difference"]
    )
    # P(alive) today does not move (the retention acts on the future only): the customers
    # buying next year stay fewer than those alive today.
    assert (
        up.loc["what_if_active", "what_if_scenario"]
        <= sample_forecast.per_customer["p_alive"].sum()
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_forecast_findings_quote_the_study(sample_forecast, lang) -> None:
    found = {f.key: f for f in findings(sample_forecast, lang=lang)}
    total = sample_forecast.portfolio.loc["total"]
    assert found["forecast"].figures["revenue"] == total["forecast_revenue"]
    assert money(total["forecast_revenue"], lang) in found["forecast"].text
    assert integer(total["forecast_active"], lang) in found["forecast"].text
    reps = sample_forecast.by_group["sales_rep"]
    share = reps["forecast_revenue"].iloc[0] / total["forecast_revenue"]
    assert found["forecast_rep"].figures["share"] == pytest.approx(share)
    assert reps.index[0] in found["forecast_rep"].text
    error = sample_forecast.holdout.loc["forecast_revenue", "forecast_error"]
    assert signed(error, lang) in found["forecast_check"].text


def test_forecast_explorer_sliders_redo_the_what_if(sample_forecast) -> None:
    from portfolio_lib.ui.forecast_explorer import forecast_explorer

    prepared = prepare(SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"],
                       SAMPLE_FILES["costs"])  # fmt: skip
    built = forecast_explorer(
        prepared.agg, prepared.costs, models=sample_forecast.models, lang="en"
    )
    view = built.last_view
    assert {"view_what_if", "view_forecast", "view_forecast_by_sales_rep",
            "view_forecast_by_segment"} <= set(view.tables)  # fmt: skip
    revenue = sample_forecast.portfolio.loc["total", "forecast_revenue"]
    assert view.tables["view_what_if"].loc["No change", "what_if_revenue"] == revenue
    built.controls["basket"].value = 0.10
    shown = built.last_view.tables["view_what_if"]
    assert shown.loc["Scenario", "what_if_revenue"] == pytest.approx(1.1 * revenue, rel=1e-12)
    assert any("next 12 months" in text for text in built.last_view.findings)
