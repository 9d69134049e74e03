"""Studies: each one equals the notebook's computation made with the library functions directly.

On the sample every field is compared with the analysis functions called as the notebooks call
them, plus hand checks that do not go through the library (annual churn from the activity
matrix, retention CLV from its formula, group churn on the filtered portfolio). On the edge set
(4 months, no potential, no sales rep, no cost table, few repeat customers) the studies return
notes instead of raising; bad parameters still raise.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from portfolio_lib import studies
from portfolio_lib.data.errors import DataQualityWarning
from portfolio_lib.engine.prepare import prepare
from portfolio_lib.engine.tables import active_matrix, clear_cache, window_totals
from portfolio_lib.metrics.alerts import alerts_by_rep, customer_alerts
from portfolio_lib.metrics.balance import (
    abc_classes,
    class_summary,
    concentration,
    dependence_alerts,
    lifecycle_phases,
    lifecycle_summary,
    pmg_classes,
    potential_matrix,
    potential_matrix_summary,
)
from portfolio_lib.metrics.clv import retention_clv, simple_clv
from portfolio_lib.metrics.cohorts import cohort_matrix, cohort_table
from portfolio_lib.metrics.costs import acquisition_costs, cost_summary, ltv_to_cac
from portfolio_lib.metrics.movements import (
    annual_churn,
    movements,
    revenue_bridge,
    window_movements,
)
from portfolio_lib.metrics.rfm import (
    rfm_classes,
    rfm_scores,
    rfm_segments,
    rfm_summary,
    rfm_table,
)
from portfolio_lib.metrics.weight import headline_kpis, weight_by, weight_over_time
from portfolio_lib.models import (
    calibration_and_holdout,
    calibration_vs_holdout,
    clv_by_segment,
    compare_purchase_models,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_purchase_model,
    frequency_recency_matrix,
    p_alive_matrix,
    period_transactions,
    predictive_clv,
)
from portfolio_lib.models import ltv_to_cac as channel_ltv_to_cac
from portfolio_lib.studies import Note
from portfolio_lib.studies import clv as clv_module

EDGE_DIR = Path(__file__).parent / "data" / "edge"
# Both sides fit with the same optimiser on the same data: identical to rounding.
FIT_RTOL = 1e-9


@pytest.fixture(scope="module")
def edge():
    """The edge-case set as the notebooks load it."""
    return prepare(EDGE_DIR / "transactions_fr.csv", EDGE_DIR / "customers.csv", "")


@pytest.fixture(scope="module")
def models(sample_aggregates, sample_portfolio):
    return studies.fit_clv_models(sample_aggregates, transactions=sample_portfolio.transactions)


def _codes(notes) -> list[str]:
    """Catalogue code of each error note, label key of each remark."""
    return [getattr(note, "code", None) or note.key for note in notes]


def _yearly_totals(agg, window=12):
    """The notebooks' yearly totals next to the customer attributes (04 and 06)."""
    last_months = window_totals(agg.monthly, agg.months, window=window)
    joined = agg.customers.drop(columns=["revenue", "margin", "orders"]).join(
        last_months, on="customer_id"
    )
    # The join on a string index gives string ids; the table keeps the categorical ids.
    return joined.astype({"customer_id": agg.customers["customer_id"].dtype})


# ------------------------------------------------------------------------------- shared


def test_customer_totals_is_the_notebooks_join(sample_aggregates):
    assert_frame_equal(
        studies.customer_totals(sample_aggregates), _yearly_totals(sample_aggregates)
    )
    six = studies.customer_totals(sample_aggregates, window=6)
    assert_frame_equal(six, _yearly_totals(sample_aggregates, window=6))
    # Every customer once, prospects included; active = revenue > 0 over the window.
    assert len(six) == len(sample_aggregates.customers) == 2000
    assert (six["active"] == (six["revenue"] > 0)).all()


def test_notes_speak_both_languages():
    note = Note("note_holdout_history_too_short", {"months": 6})
    assert note.text("en").startswith("The check on the last 6 months needs purchases")
    assert note.text("fr").startswith("Le contrôle sur les 6 derniers mois")
    assert str(note) == note.text("en")


# ------------------------------------------------------------------------------- overview


def test_overview_study(sample_aggregates):
    agg = sample_aggregates
    study = studies.overview_study(agg, activity_window=6)
    expected = headline_kpis(agg.monthly, months=agg.months, customers=agg.customers, window=6)
    assert_series_equal(study.kpis, expected)
    # Concentration of the window's buyers: prospects and lapsed customers do not count.
    totals = window_totals(agg.monthly, agg.months, window=6)
    assert_series_equal(
        study.concentration, concentration(totals[totals["active"]]), check_exact=True
    )
    assert study.concentration["n_customers"] == study.kpis["active_customers"]
    assert study.notes == ()


# --------------------------------------------------------------------------------- weight


@pytest.mark.parametrize(("period", "window"), [("month", 12), ("quarter", 6)])
def test_weight_study_is_the_notebook(sample_aggregates, period, window):
    agg = sample_aggregates
    study = studies.weight_study(agg, period=period, activity_window=window)
    assert_series_equal(
        study.kpis,
        headline_kpis(agg.monthly, months=agg.months, customers=agg.customers, window=window),
    )
    assert_frame_equal(
        study.trend,
        weight_over_time(
            agg.monthly,
            months=agg.months,
            customers=agg.customers,
            period=period,
            activity_window=window,
        ),
    )
    assert list(study.by) == ["segment", "sales_rep", "region"]
    for column, table in study.by.items():
        expected = weight_by(
            agg.monthly, months=agg.months, customers=agg.customers, by=column, window=window
        )
        assert_frame_equal(table, expected)
        # Each split adds up to the portfolio's window revenue.
        assert table["revenue"].sum() == pytest.approx(study.kpis["revenue"], rel=1e-12)
    assert study.notes == ()
    with pytest.raises(TypeError):
        study.by["segment"] = None  # read-only


def test_weight_study_on_the_edge_set_notes_the_missing_attributes(edge):
    study = studies.weight_study(edge.agg)
    assert list(study.by) == ["segment"]
    assert _codes(study.notes) == ["missing_attribute", "missing_attribute"]
    assert [note.details["column"] for note in study.notes] == ["sales_rep", "region"]


# ------------------------------------------------------------------------------ movements


def test_movements_study_is_the_notebook(sample_aggregates):
    agg = sample_aggregates
    study = studies.movements_study(
        agg, period="quarter", activity_window=6, bridge_period="quarter", cohort_period="year"
    )
    expected = movements(agg.monthly, months=agg.months, period="quarter", activity_window=6)
    assert_frame_equal(study.movements, expected)
    bridge = revenue_bridge(agg.monthly, months=agg.months, period="quarter", window=6)
    assert_frame_equal(study.bridge, bridge)
    cohorts = cohort_table(agg.monthly, months=agg.months, period="year")
    assert_frame_equal(study.cohorts, cohorts)
    assert_frame_equal(study.cohort_active, cohort_matrix(cohorts, value="active_share"))
    assert_frame_equal(study.cohort_revenue, cohort_matrix(cohorts, value="revenue_share"))
    # 36 months = 12 quarters, 11 bridges between them; 3 yearly cohorts.
    assert len(study.movements) == 12 and len(study.bridge) == 11
    assert study.cohort_active.shape == (3, 3)


def test_movements_study_defaults_are_the_notebooks(sample_aggregates):
    study = studies.movements_study(sample_aggregates)
    assert study.movements["period"].iloc[-1] == "2025-12"  # monthly
    assert study.bridge["period"].tolist() == ["2024", "2025"]  # yearly bridge
    assert len(study.cohort_active) == 12  # quarterly cohorts over 3 years


def test_movements_study_on_the_edge_set_notes_the_missing_bridge(edge):
    study = studies.movements_study(edge.agg)
    # 4 months of 2025: one year end only, nothing to bridge.
    assert study.bridge is None
    assert _codes(study.notes) == ["history_too_short"]
    assert study.notes[0].details["months_available"] == 4
    assert len(study.movements) == 4


# ---------------------------------------------------------------------------------- costs


def test_costs_study_is_the_notebook(sample_aggregates, sample_portfolio):
    agg, costs = sample_aggregates, sample_portfolio.costs
    study = studies.costs_study(agg, costs, period="quarter", payback_horizon_months=6)
    options = {"activity_window": 12, "horizon_months": 6}
    assert_frame_equal(
        study.summary,
        cost_summary(costs, agg.monthly, agg.customers, months=agg.months, period="quarter",
                     **options),
    )  # fmt: skip
    yearly = cost_summary(
        costs, agg.monthly, agg.customers, months=agg.months, period="year", **options
    )
    assert_frame_equal(study.yearly, yearly)
    channel = acquisition_costs(
        costs, agg.customers, months=agg.months, period="year", by_channel=True
    )
    assert_frame_equal(study.channel_costs, channel)
    churn = annual_churn(agg.monthly, months=agg.months)
    assert study.annual_churn == churn
    clv = simple_clv(window_totals(agg.monthly, agg.months), annual_churn=churn)
    assert_frame_equal(study.clv, clv)
    assert study.ltv == clv.loc["total", "clv"]
    assert study.ltv_to_cac == ltv_to_cac(study.ltv, yearly["cac"].iloc[-1])
    # LTV / CAC by hand: the simple CLV over the CAC of 2025.
    assert study.ltv_to_cac == pytest.approx(study.ltv / yearly["cac"].iloc[-1], rel=1e-12)
    assert study.notes == ()


def test_costs_study_uses_budgets_without_a_cost_table(sample_aggregates):
    agg = sample_aggregates
    study = studies.costs_study(agg, None, acquisition_budget=20_000.0, retention_budget=0.0)
    expected = cost_summary(
        None, agg.monthly, agg.customers, months=agg.months, acquisition_budget=20_000.0
    )
    assert_frame_equal(study.summary, expected)
    # 20,000 € every month; CAC = 20,000 / new customers of the month; retention unknown.
    assert (study.summary["acquisition_spend"] == 20_000.0).all()
    assert study.summary["crc"].isna().all()
    assert study.channel_costs is None  # budgets have no channel
    assert study.notes == ()


def test_costs_study_on_the_edge_set_notes_no_costs_and_a_short_history(edge):
    study = studies.costs_study(edge.full, edge.costs)
    assert study.summary is study.yearly is study.channel_costs is None
    assert study.annual_churn is study.clv is study.ltv is study.ltv_to_cac is None
    assert _codes(study.notes) == ["no_costs", "history_too_short"]
    assert study.notes[1].details["months_available"] == 4


# -------------------------------------------------------------------------------- balance


def _balance_expected(agg, *, a_cut=0.8, b_cut=0.95, thresholds=None, dependence_alert=0.15,
                      growth=0.1):  # fmt: skip
    customers = _yearly_totals(agg)
    buyers = customers[customers["active"]]
    abc = abc_classes(buyers, a_cut=a_cut, b_cut=b_cut)
    pmg = pmg_classes(buyers, thresholds=thresholds)
    phases = lifecycle_phases(agg.monthly, agg.customers, months=agg.months, growth=growth)
    matrix = potential_matrix(customers)
    return {
        "buyers": buyers,
        "abc": abc,
        "abc_mix": class_summary(abc, by="abc"),
        "pmg": pmg,
        "pmg_mix": class_summary(pmg, by="pmg"),
        "concentration": concentration(buyers, dependence_alert=dependence_alert),
        "dependent": dependence_alerts(buyers, dependence_alert=dependence_alert),
        "phases": phases,
        "lifecycle": lifecycle_summary(phases),
        "matrix": matrix,
        "matrix_cells": potential_matrix_summary(matrix),
    }


def _assert_balance(study, expected):
    for name, value in expected.items():
        actual = getattr(study, name)
        if isinstance(value, pd.Series):
            assert_series_equal(actual, value)
        else:
            assert_frame_equal(actual, value)


def test_balance_study_is_the_notebook(sample_aggregates):
    study = studies.balance_study(sample_aggregates)
    expected = _balance_expected(sample_aggregates)
    _assert_balance(study, expected)
    assert study.pmg_thresholds == expected["pmg"].attrs["thresholds"]
    # The notebook's vivier table.
    matrix = expected["matrix"]
    vivier = (
        matrix[matrix["vivier"]]
        .drop(columns=["potential_class", "penetration_class", "vivier"])
        .sort_values("gap", ascending=False)
        .reset_index(drop=True)
    )
    assert_frame_equal(study.vivier, vivier)
    assert study.notes == ()


def test_balance_study_follows_its_thresholds(sample_aggregates):
    agg = sample_aggregates
    totals = studies.customer_totals(agg)
    study = studies.balance_study(
        agg,
        a_cut=0.7,
        b_cut=0.9,
        pmg_thresholds=[10_000, 50_000],
        dependence_alert=0.05,
        lifecycle_growth=0.2,
        totals=totals,
    )
    expected = _balance_expected(
        agg, a_cut=0.7, b_cut=0.9, thresholds=(10_000, 50_000), dependence_alert=0.05, growth=0.2
    )
    _assert_balance(study, expected)
    assert study.pmg_thresholds == (10_000.0, 50_000.0)
    # Class A by hand: ranked by revenue, A while the revenue ranked before is below 70 %.
    revenue = np.sort(study.buyers["revenue"].to_numpy())[::-1]
    before = (np.cumsum(revenue) - revenue) / revenue.sum()
    assert study.abc_mix.loc["A", "customers"] == int((before < 0.7 - 1e-9).sum())
    # Large from 50,000 € by hand.
    assert study.pmg_mix.loc["large", "customers"] == int((revenue >= 50_000).sum())
    # An empty PMG list means the quantiles, as in the notebook's parameters.
    default = studies.balance_study(agg, pmg_thresholds=[], totals=totals)
    assert default.pmg_thresholds == studies.balance_study(agg, totals=totals).pmg_thresholds


def test_balance_study_on_the_edge_set_notes_the_missing_potential(edge):
    study = studies.balance_study(edge.agg)
    assert study.matrix is study.matrix_cells is study.vivier is None
    # The edge log has no margin: the lifecycle says it follows revenue only (text 001 reads
    # margin and revenue); then the matrix's missing potential.
    assert _codes(study.notes) == ["note_lifecycle_revenue_only", "missing_attribute"]
    assert study.notes[1].details["column"] == "potential"
    # E1, E4, E5, E6 bought over the 4 months (E2's credit note cancels its invoice).
    assert sorted(study.buyers["customer_id"]) == ["E1", "E4", "E5", "E6"]


def test_balance_study_raises_the_cuts_error_first(sample_aggregates):
    """Bad parameters raise; bad ABC cuts first, as abc_classes is the study's first call."""
    agg = sample_aggregates
    with pytest.raises(ValueError, match="potential_quantiles"):
        studies.balance_study(agg, potential_quantiles=(0.8, 0.2))
    with pytest.raises(ValueError, match="a_cut"):
        studies.balance_study(agg, a_cut=0.9, b_cut=0.8, potential_quantiles=(0.8, 0.2))
    with pytest.raises(ValueError, match="growth"):
        studies.balance_study(agg, lifecycle_growth=-0.1)
    with pytest.raises(ValueError, match="a_cut"):
        studies.balance_study(agg, a_cut=0.9, b_cut=0.8, lifecycle_growth=-0.1)


def test_balance_study_raises_on_bad_cuts(sample_aggregates):
    with pytest.raises(ValueError, match="a_cut"):
        studies.balance_study(sample_aggregates, a_cut=0.9, b_cut=0.8)


# ------------------------------------------------------------------------------------ RFM


def test_rfm_study_is_the_notebook(sample_aggregates):
    agg = sample_aggregates
    study = studies.rfm_study(agg, lang="en")
    values = rfm_table(agg.customers, as_of=agg.as_of)
    scores = rfm_classes(rfm_scores(values, bins=5))
    segments = rfm_segments(scores)
    assert_frame_equal(study.values, values)
    assert_frame_equal(study.scores, scores)
    assert_frame_equal(study.segments, segments)
    assert_frame_equal(study.summary, rfm_summary(segments, lang="en"))
    listing = (
        agg.customers.filter(items=["customer_id", "name", "sales_rep", "segment", "region"])
        .merge(segments, on="customer_id")
        .sort_values("monetary", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    assert_frame_equal(study.customer_segments, listing)
    assert study.grid_data is study.segments
    assert study.notes == ()
    # The table can be given (an explorer keeps it): same study.
    again = studies.rfm_study(agg, lang="en", values=values)
    assert_frame_equal(again.customer_segments, study.customer_segments)


def test_rfm_study_without_5_bins_notes_the_missing_segments(sample_aggregates):
    study = studies.rfm_study(sample_aggregates, bins=4)
    assert study.segments is study.summary is None
    listing = (
        sample_aggregates.customers.filter(
            items=["customer_id", "name", "sales_rep", "segment", "region"]
        )
        .merge(rfm_classes(rfm_scores(study.values, bins=4)), on="customer_id")
        .sort_values("monetary", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    assert_frame_equal(study.customer_segments, listing)
    assert study.scores[["r_score", "f_score", "m_score"]].max().tolist() == [4, 4, 4]
    assert study.grid_data is study.scores
    assert _codes(study.notes) == ["rfm_needs_5_bins"]
    assert "4 scores" in study.notes[0].text("en")


# ------------------------------------------------------------------------------------ CLV


def test_fit_clv_models_are_the_notebooks_fits(sample_aggregates, sample_portfolio, models):
    agg = sample_aggregates
    bgnbd = fit_bgnbd(agg.customers)
    with pytest.warns(DataQualityWarning):  # 9 repeat customers with credit notes only
        gamma_gamma = fit_gamma_gamma(agg.customers, on_nonpositive="exclude")
    assert models.bgnbd.params == pytest.approx(bgnbd.params, rel=FIT_RTOL)
    assert models.gamma_gamma.params == pytest.approx(gamma_gamma.params, rel=FIT_RTOL)
    assert_frame_equal(models.fit_check, period_transactions(bgnbd, agg.customers), rtol=1e-7)
    # The three purchase models compared on the last 6 months; the one with the smallest
    # holdout error, refitted on the whole history, makes the grids and the CLV.
    transactions = sample_portfolio.transactions
    calibration = calibration_and_holdout(
        transactions,
        calibration_end=(agg.as_of.to_period("M") - 6).end_time,
        observation_end=agg.as_of,
    )
    comparison = compare_purchase_models(calibration)
    assert_frame_equal(models.comparison.table, comparison.table, rtol=1e-5)
    chosen = comparison.table["holdout_error"].idxmin()
    assert models.comparison.chosen == chosen == models.purchases.model
    chosen_fit = fit_purchase_model(chosen, agg.customers)
    assert models.purchases.params == pytest.approx(chosen_fit.params, rel=FIT_RTOL)
    grid = p_alive_matrix(
        chosen_fit,
        max_frequency=max(int(agg.customers["frequency"].quantile(0.95)), 1),
        max_recency=float(agg.customers["T"].max()),
    )
    assert_frame_equal(models.alive_grid, grid, rtol=1e-5)
    purchases = frequency_recency_matrix(
        chosen_fit,
        t=365.25,
        max_frequency=max(int(agg.customers["frequency"].quantile(0.95)), 1),
        max_recency=float(agg.customers["T"].max()),
    )
    assert_frame_equal(models.purchases_grid, purchases, rtol=1e-5)
    # A customer who bought again recently is expected to buy more than one silent since.
    assert (models.purchases_grid.loc[2].diff().dropna() > 0).all()
    expected = calibration_vs_holdout(comparison.fits[chosen], calibration)
    assert_frame_equal(models.holdout_check, expected, rtol=1e-5)
    # The spend model's warning is a note, not a warning on the console.
    assert _codes(models.notes) == ["negative_spend"]
    assert models.notes[0].details["count"] == 9


def test_fit_clv_models_without_transactions_skips_the_holdout_check(sample_aggregates):
    models = studies.fit_clv_models(sample_aggregates, min_repeat_customers=30)
    assert models.bgnbd is not None and models.holdout_check is None


def test_clv_study_is_the_notebook(sample_aggregates, sample_portfolio, models):
    agg, costs = sample_aggregates, sample_portfolio.costs
    study = studies.clv_study(agg, costs, models=models, discount_rate=0.08, horizon_months=24)
    customers = _yearly_totals(agg)
    churn = annual_churn(agg.monthly, months=agg.months)
    assert study.annual_churn == churn
    # The annual churn by hand from the activity matrix: active in December 2024 and no
    # longer in December 2025, over active in December 2024.
    active = active_matrix(agg.monthly, agg.months)
    start, end = active[pd.Timestamp("2024-12-01")], active[pd.Timestamp("2025-12-01")]
    assert study.annual_churn == pytest.approx((start & ~end).sum() / start.sum(), rel=1e-12)

    assert_frame_equal(study.simple_total, simple_clv(customers, annual_churn=churn))
    # Retention CLV by hand: m r / (1 + d - r), m the yearly margin of an average customer.
    margin = study.simple_total.loc["total", "clv"] * churn  # CLV / (1 / churn)
    retention = 1 - churn
    assert study.retention_total == pytest.approx(margin * retention / (1.08 - retention))

    group_churn = annual_churn(
        agg.monthly, months=agg.months, customers=agg.customers, by="segment"
    ).fillna(churn)
    assert_series_equal(study.group_churn, group_churn)
    simple = simple_clv(customers, annual_churn=group_churn, by="segment")
    assert_frame_equal(study.simple, simple)
    expected_retention = retention_clv(
        simple["clv"] / simple["expected_lifetime_years"],
        retention=1 - simple["annual_churn"],
        discount_rate=0.08,
    )
    assert_series_equal(study.retention, expected_retention)

    predicted = predictive_clv(
        agg.customers, models.purchases, models.gamma_gamma, horizon_months=24, discount_rate=0.08
    )
    assert_frame_equal(study.predicted, predicted)
    assert_frame_equal(study.predictive_by_group, clv_by_segment(predicted, agg.customers))
    assert study.top_customers["clv"].tolist() == predicted["clv"].nlargest(15).tolist()

    channel_churn = annual_churn(
        agg.monthly, months=agg.months, customers=agg.customers, by="acquisition_channel"
    ).fillna(churn)
    channel_clv = simple_clv(customers, annual_churn=channel_churn, by="acquisition_channel")
    expected_ltv_cac = channel_ltv_to_cac(
        channel_clv,
        acquisition_costs(costs, agg.customers, months=agg.months, by_channel=True),
        ltv_col="clv",
    )
    assert_frame_equal(study.ltv_cac, expected_ltv_cac)
    assert _codes(study.notes) == ["negative_spend"]


def test_clv_group_churn_is_the_churn_of_each_group_alone(sample_aggregates, models):
    """Independent check: each segment's rate is the annual churn of that segment's portfolio."""
    agg = sample_aggregates
    study = studies.clv_study(agg, models=models, by="segment")
    for segment, rate in study.group_churn.items():
        alone = agg.subset(segment=segment)
        assert rate == pytest.approx(annual_churn(alone.monthly, months=alone.months), rel=1e-12)


def test_clv_study_redoes_only_the_cheap_step_with_fitted_models(
    sample_aggregates, models, monkeypatch
):
    def no_fit(*_args, **_kwargs):
        raise AssertionError("the models were fitted again")

    monkeypatch.setattr(clv_module, "fit_bgnbd", no_fit)
    monkeypatch.setattr(clv_module, "fit_gamma_gamma", no_fit)
    low = studies.clv_study(sample_aggregates, models=models, discount_rate=0.05)
    high = studies.clv_study(sample_aggregates, models=models, discount_rate=0.20)
    # A higher discount rate lowers every discounted value, not the undiscounted simple CLV.
    assert (high.predicted["clv"].dropna() < low.predicted["clv"].dropna()).all()
    assert high.retention_total < low.retention_total
    assert_frame_equal(high.simple, low.simple)


@pytest.mark.parametrize("with_costs", [True, False])
def test_clv_study_memo_reuses_what_the_rate_does_not_change(
    sample_aggregates, sample_portfolio, models, monkeypatch, with_costs
):
    agg = sample_aggregates
    costs = sample_portfolio.costs if with_costs else None
    memo: dict = {}
    studies.clv_study(agg, costs, models=models, memo=memo, discount_rate=0.10)
    assert len(memo) == (4 if with_costs else 3)  # churn, total, by segment (, channels)

    def recomputed(*_args, **_kwargs):
        raise AssertionError("computed again although the memo has it")

    monkeypatch.setattr(clv_module, "_group_clv", recomputed)
    monkeypatch.setattr(clv_module, "simple_clv", recomputed)
    monkeypatch.setattr(clv_module, "annual_churn_or_note", recomputed)
    reused = studies.clv_study(agg, costs, models=models, memo=memo, discount_rate=0.2)
    monkeypatch.undo()
    fresh = studies.clv_study(agg, costs, models=models, discount_rate=0.2)
    assert reused.annual_churn == fresh.annual_churn
    assert reused.retention_total == fresh.retention_total
    for name in ("simple_total", "simple", "predicted", "predictive_by_group", "top_customers"):
        assert_frame_equal(getattr(reused, name), getattr(fresh, name), obj=name)
    assert_series_equal(reused.retention, fresh.retention)
    if with_costs:
        assert_frame_equal(reused.ltv_cac, fresh.ltv_cac)
    assert _codes(reused.notes) == _codes(fresh.notes)
    assert ("no_costs" in _codes(reused.notes)) is not with_costs
    # Another grouping is computed, then kept too.
    region = studies.clv_study(agg, costs, models=models, memo=memo, by="region")
    assert region.simple.index.name == "region" and ("by", "region") in {k[0] for k in memo}


def test_clv_study_on_the_edge_set_notes_what_is_unavailable(edge):
    study = studies.clv_study(edge.agg, edge.costs, transactions=edge.data.transactions)
    assert study.annual_churn is None and study.simple is study.simple_total is None
    assert study.models.bgnbd is study.models.gamma_gamma is study.predicted is None
    assert study.ltv_cac is None
    assert _codes(study.notes) == ["history_too_short", "too_few_repeat_customers", "no_costs"]


def test_clv_study_by_a_missing_attribute_notes_it(edge):
    study = studies.clv_study(edge.agg, by="region")  # history too short anyway
    assert "history_too_short" in _codes(study.notes)


def test_fit_clv_models_raises_on_a_bad_holdout(sample_aggregates):
    with pytest.raises(ValueError, match="holdout_months"):
        studies.fit_clv_models(sample_aggregates, holdout_months=0)


def test_holdout_longer_than_the_history_is_a_note(sample_aggregates, sample_portfolio):
    models = studies.fit_clv_models(
        sample_aggregates, transactions=sample_portfolio.transactions, holdout_months=40
    )
    assert models.bgnbd is not None and models.holdout_check is None
    assert "note_holdout_history_too_short" in _codes(models.notes)


# --------------------------------------------------------------------------------- alerts


def test_alerts_study_is_the_notebook(sample_aggregates):
    agg = sample_aggregates
    study = studies.alerts_study(agg, drop_alert=0.5, gap_alert=3.0, top_at_risk=10, window=6)
    alerts = customer_alerts(
        agg.monthly,
        agg.customers,
        months=agg.months,
        as_of=agg.as_of,
        drop_alert=0.5,
        gap_alert=3.0,
        top_at_risk=10,
        window=6,
    )
    assert_frame_equal(study.alerts, alerts)
    assert_frame_equal(study.by_rep, alerts_by_rep(alerts, reps=agg.customers["sales_rep"]))
    # Every rep of the customer table, the alerts all counted once.
    assert len(study.by_rep) == agg.customers["sales_rep"].nunique() == 8
    assert study.by_rep["customers_alerted"].sum() == len(alerts)
    sheets = study.sheets()
    assert list(sheets)[0] == "alerts_summary"
    assert sum(len(rows) for key, rows in sheets.items() if key != "alerts_summary") == len(alerts)
    assert study.notes == ()


def test_alerts_study_on_the_edge_set_notes_no_rep_and_no_alert(edge):
    study = studies.alerts_study(edge.agg)
    assert len(study.alerts) == 0 and len(study.by_rep) == 0
    assert _codes(study.notes) == ["missing_attribute", "no_alerts"]


def test_every_study_is_frozen(sample_aggregates):
    study = studies.overview_study(sample_aggregates)
    with pytest.raises(AttributeError):
        study.kpis = None
    assert repr(study).startswith("OverviewStudy(kpis=Series(")


def test_bad_parameters_raise(sample_aggregates):
    with pytest.raises(ValueError, match="week"):
        studies.weight_study(sample_aggregates, period="week")
    with pytest.raises(ValueError, match="drop_alert"):
        studies.alerts_study(sample_aggregates, drop_alert=-0.1)


@pytest.mark.parametrize("window", [3, 6, 12, 18])
def test_every_churn_of_the_studies_is_annual_churn(
    sample_aggregates, sample_portfolio, models, window
):
    # One definition: the costs and CLV studies' churn is annual_churn's value for the
    # activity window; the overview and weight tiles' churn is that of window_movements, the
    # function annual_churn is built on (the same rate for the 12-month window).
    agg, costs = sample_aggregates, sample_portfolio.costs
    expected = annual_churn(agg.monthly, months=agg.months, activity_window=window)
    assert expected > 0
    assert studies.costs_study(agg, costs, activity_window=window).annual_churn == expected
    clv = studies.clv_study(agg, costs, models=models, activity_window=window)
    assert clv.annual_churn == expected
    built_on = window_movements(agg.monthly, months=agg.months, window=12, activity_window=window)
    assert built_on["churn_rate"].iloc[0] == expected
    tile = window_movements(agg.monthly, months=agg.months, window=window, activity_window=window)
    overview = studies.overview_study(agg, activity_window=window)
    weight = studies.weight_study(agg, activity_window=window)
    assert overview.kpis["churn_rate"] == tile["churn_rate"].iloc[0]
    assert weight.kpis["churn_rate"] == overview.kpis["churn_rate"]
    if window == 12:
        assert overview.kpis["churn_rate"] == expected
    for name in ("active_customers", "new_customers", "lost_customers"):
        column = {"active_customers": "active_end", "new_customers": "new"}.get(name, "lost")
        assert overview.kpis[name] == tile[column].iloc[0]
    # The window's revenue is window_totals' (summed), as the weight study's groups add it.
    totals = window_totals(agg.monthly, agg.months, window=window)
    assert overview.kpis["revenue"] == pytest.approx(totals["revenue"].sum(), rel=1e-12)
    assert overview.kpis["active_customers"] == totals["active"].sum()
    segments = weight.by["segment"]
    assert segments["revenue"].sum() == pytest.approx(overview.kpis["revenue"], rel=1e-12)
    # A changed table gets its own rate (every sale of the last 3 months turned into a credit:
    # fewer customers still active).
    monthly = agg.monthly.copy()
    late = (monthly["month"] >= agg.months[-3]).to_numpy()
    monthly.loc[late, "revenue"] = -monthly.loc[late, "revenue"].abs()
    changed = studies.costs_study(
        dataclasses.replace(agg, monthly=monthly), costs, activity_window=window
    )
    assert changed.annual_churn == annual_churn(monthly, months=agg.months, activity_window=window)
    assert changed.annual_churn > expected


def test_costs_and_clv_studies_read_the_same_churn_and_simple_clv_total(
    sample_aggregates, sample_portfolio, models
):
    # Both studies give annual_churn's value and simple_clv of the notebooks' yearly totals;
    # another window or lifetime cap is another figure; totals given by the caller are read.
    agg, costs = sample_aggregates, sample_portfolio.costs
    cost_study = studies.costs_study(agg, costs)
    clv = studies.clv_study(agg, costs, models=models)
    churn = annual_churn(agg.monthly, months=agg.months)
    assert cost_study.annual_churn == clv.annual_churn == churn
    expected = simple_clv(_yearly_totals(agg), annual_churn=churn)
    assert_frame_equal(cost_study.clv, expected, check_exact=True)
    assert_frame_equal(clv.simple_total, expected, check_exact=True)
    six = studies.clv_study(agg, models=models, activity_window=6, max_lifetime_years=4.0)
    six_churn = annual_churn(agg.monthly, months=agg.months, activity_window=6)
    assert six.annual_churn == six_churn
    assert_frame_equal(
        six.simple_total,
        simple_clv(_yearly_totals(agg, 6), annual_churn=six_churn, max_lifetime_years=4.0),
        check_exact=True,
    )
    doubled = studies.customer_totals(agg)
    doubled["revenue"] *= 2
    given = studies.clv_study(agg, models=models, totals=doubled)
    assert given.simple_total.loc["total", "average_basket"] == pytest.approx(
        2 * expected.loc["total", "average_basket"], rel=1e-12
    )


@pytest.mark.parametrize("cuts", [(0.8, 0.95), (0.7, 0.9), (0.5, 0.5), (0.0, 1.0)])
def test_balance_study_figures_are_the_metric_functions_of_its_buyers(sample_aggregates, cuts):
    """One definition per metric: whatever the ABC cuts, the study's concentration, PMG and
    dependent customers are concentration, pmg_classes and dependence_alerts of its buyers."""
    a_cut, b_cut = cuts
    study = studies.balance_study(
        sample_aggregates, a_cut=a_cut, b_cut=b_cut, dependence_alert=0.01, top_n=(1, 3)
    )
    buyers = study.buyers
    assert_frame_equal(study.abc, abc_classes(buyers, a_cut=a_cut, b_cut=b_cut), check_exact=True)
    assert_series_equal(
        study.concentration,
        concentration(buyers, top_n=(1, 3), dependence_alert=0.01),
        check_exact=True,
    )
    assert_frame_equal(study.pmg, pmg_classes(buyers), check_exact=True)
    assert study.pmg_thresholds == pmg_classes(buyers).attrs["thresholds"]
    dependent = dependence_alerts(buyers, dependence_alert=0.01)
    assert len(dependent) > 0  # the threshold triggers
    assert_frame_equal(study.dependent, dependent, check_exact=True)
    assert study.concentration["dependent_customers"] == len(dependent)


def test_balance_study_concentration_is_exactly_the_buyers(sample_aggregates):
    study = studies.balance_study(sample_aggregates)
    assert_series_equal(study.concentration, concentration(study.buyers), check_exact=True)


@pytest.mark.parametrize("bins", [5, 4])
def test_rfm_study_scores_are_the_metric_functions(sample_aggregates, bins):
    """One definition per metric: the RFM study's table, scores and segments are rfm_table,
    rfm_scores and rfm_segments of the customers."""
    agg = sample_aggregates
    study = studies.rfm_study(agg, bins=bins, lang="en")
    values = rfm_table(agg.customers, as_of=agg.as_of)
    scores = rfm_classes(rfm_scores(values, bins=bins))
    assert_frame_equal(study.values, values, check_exact=True)
    assert_frame_equal(study.scores, scores, check_exact=True)
    if bins == 5:
        assert_frame_equal(study.segments, rfm_segments(scores), check_exact=True)
    else:
        assert study.segments is None


def _on_background_thread(monkeypatch) -> None:
    """Let clv_study (its group tables) and balance_study (its potential matrix) use their
    second thread whatever the size and cores."""
    import portfolio_lib.engine.aggregate as aggregate_module

    monkeypatch.setattr("portfolio_lib.runtime.SECOND_THREAD_MIN_ROWS", 0)
    monkeypatch.setattr(aggregate_module.os, "cpu_count", lambda: 2)
    monkeypatch.setattr("portfolio_lib.runtime.THREADS", 2)


def test_clv_study_raises_the_errors_that_are_not_notes(
    sample_aggregates, sample_portfolio, models, monkeypatch
):
    # With both failing, the group table's error (computed first) is raised; with only the
    # predictive CLV failing, its own.

    def failing(message, error):
        def fail(*_args, **_kwargs):
            raise error(message)

        return fail

    monkeypatch.setattr(clv_module, "predictive_clv", failing("predictive failed", ValueError))
    with pytest.raises(ValueError, match="predictive failed"):
        studies.clv_study(sample_aggregates, sample_portfolio.costs, models=models)
    monkeypatch.setattr(clv_module, "_group_clv", failing("group table failed", RuntimeError))
    with pytest.raises(RuntimeError, match="group table failed"):
        studies.clv_study(sample_aggregates, sample_portfolio.costs, models=models)


@pytest.fixture(params=[True, False], ids=["with margin", "without margin"])
def margin_variant(request, sample_aggregates):
    """The sample aggregates with their margins, or with a log without margins (NaN), and
    which; the tables' cached arrays cleared."""
    agg = sample_aggregates
    if not request.param:
        agg = dataclasses.replace(agg, monthly=agg.monthly.assign(margin=np.nan))
    clear_cache()
    return agg, request.param


def test_portfolio_simple_clv_reads_the_window_totals(margin_variant):
    # The kept arrays of the window (float orders, margin left out when the log has none)
    # give simple_clv of window_totals (int orders, NaN margins) exactly.
    agg, with_margin = margin_variant
    for window, churn, cap in ((12, 0.2, 10.0), (6, 0.05, 4.0)):
        got = studies.base.portfolio_simple_clv(agg, window, churn, cap)
        totals = window_totals(agg.monthly, agg.months, window=window)
        assert totals["margin"].isna().all() != with_margin
        expected = simple_clv(totals, annual_churn=churn, max_lifetime_years=cap)
        assert_frame_equal(got, expected, check_exact=True)


def test_grouping_totals_give_the_simple_clv_of_customer_totals(margin_variant):
    # The CLV study's frame for its grouped simple CLVs (the window's kept arrays and the
    # group attributes) gives simple_clv of customer_totals exactly, by each attribute; with
    # an attribute the customer table lacks, it is customer_totals itself (whose error lists
    # the table's columns).
    agg, with_margin = margin_variant
    customers = studies.customer_totals(agg)
    light = studies.base.grouping_totals(agg, 12, ["segment", "acquisition_channel", "segment"])
    assert list(light.columns) == (
        ["revenue", "orders", "margin"] if with_margin else ["revenue", "orders"]
    ) + ["segment", "acquisition_channel"]
    for by in ("segment", "acquisition_channel"):
        churn = pd.Series(0.25, index=agg.customers[by].cat.categories)
        expected = simple_clv(customers, annual_churn=churn, by=by)
        assert_frame_equal(simple_clv(light, annual_churn=churn, by=by), expected)
    fallback = studies.base.grouping_totals(agg, 12, ["segment", "no_such_column"])
    assert_frame_equal(fallback, customers)


def _same_costs_studies(one, other):
    for name in ("summary", "yearly", "channel_costs", "clv"):
        a, b = getattr(one, name), getattr(other, name)
        assert (a is None) == (b is None), name
        if a is not None:
            assert_frame_equal(a, b, check_exact=True, obj=name)
    for name in ("annual_churn", "ltv", "ltv_to_cac"):
        assert getattr(one, name) == getattr(other, name), name
    assert _codes(one.notes) == _codes(other.notes)  # same notes, same order


def test_costs_study_on_the_edge_set_with_a_second_thread(edge, monkeypatch):
    serial = studies.costs_study(edge.full, edge.costs)
    _on_background_thread(monkeypatch)
    _same_costs_studies(studies.costs_study(edge.full, edge.costs), serial)


@pytest.mark.parametrize("background", [False, True], ids=["serial", "second-thread"])
def test_costs_study_raises_in_the_serial_order(
    sample_aggregates, sample_portfolio, monkeypatch, background
):
    # The LTV is computed before the tables, its error kept until its turn: with both
    # failing, the tables' error (a cost table without amounts) is raised; with only the LTV
    # failing, its own.
    if background:
        _on_background_thread(monkeypatch)

    def fail(*_args, **_kwargs):
        raise RuntimeError("LTV failed")

    monkeypatch.setattr("portfolio_lib.studies.costs.portfolio_simple_clv", fail)
    clear_cache()
    with pytest.raises(ValueError, match="lacks column"):
        studies.costs_study(sample_aggregates, sample_portfolio.costs.drop(columns="amount"))
    with pytest.raises(RuntimeError, match="LTV failed"):
        studies.costs_study(sample_aggregates, sample_portfolio.costs)


def test_rfm_hand_out_list_is_the_merge_when_tables_are_in_different_orders(sample_aggregates):
    from portfolio_lib.studies.rfm import _hand_out_list

    agg = sample_aggregates
    attributes = agg.customers.filter(items=["customer_id", "name", "sales_rep", "segment"])
    scores = rfm_classes(rfm_scores(rfm_table(agg.customers, as_of=agg.as_of), bins=5))
    scores["monetary"] = scores["monetary"].round(-3)  # ties, broken by the attributes' order
    shuffled = scores.sample(frac=1.0, random_state=7).reset_index(drop=True)
    expected = (
        attributes.merge(shuffled, on="customer_id")
        .sort_values("monetary", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    assert_frame_equal(_hand_out_list(attributes, shuffled), expected)
    assert_frame_equal(_hand_out_list(attributes, scores), expected)
    assert expected["monetary"].duplicated().sum() > 1000
