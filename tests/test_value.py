"""Issue 14, the consultant's value frameworks: weighted RFM classes (text 000), the course's
CLV beside the margin CLV (text 000), break-even (texts 001/003), customer equity and the
clientele's price (text 000), the ideal customer profile (text 000) and the sales rep's
portfolio document (text 001). Hand-computed values on small tables, then the sample."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import openpyxl
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from portfolio_lib.engine.prepare import prepare
from portfolio_lib.engine.tables import window_totals
from portfolio_lib.metrics.balance import abc_classes, pmg_classes
from portfolio_lib.metrics.clv import clv_formulas, simple_clv
from portfolio_lib.metrics.equity import (
    break_even,
    clientele_price,
    customer_clv,
    customer_equity,
)
from portfolio_lib.metrics.profile import (
    first_year_behaviour,
    top_flags,
    trait_lift,
)
from portfolio_lib.metrics.rfm import RFM_CLASSES, rfm_class_summary, rfm_classes
from portfolio_lib.plots.value import plot_break_even, plot_profile_lift
from portfolio_lib.studies.base import customer_totals
from portfolio_lib.studies.portfolio import (
    family_revenue,
    rank_portfolio,
    rep_portfolio_study,
)
from portfolio_lib.studies.value import value_study
from portfolio_lib.ui import widgets
from portfolio_lib.ui.export import write_workbook

EDGE_DIR = Path(__file__).parent / "data" / "edge"


# ------------------------------------------------------------------------- weighted RFM


def _scores(r, f, m, bins=5):
    frame = pd.DataFrame({"r_score": r, "f_score": f, "m_score": m, "monetary": 100.0})
    frame.attrs["bins"] = bins
    return frame


def test_weighted_rfm_score_is_the_weighted_mean_and_classes_cut_1_to_5_in_fifths():
    # weights (3, 1, 0): score = (3 R + F) / 4.
    scores = _scores([5, 4, 2, 1, 3, 1], [5, 2, 2, 1, 1, 5], [1, 1, 5, 5, 5, 5])
    out = rfm_classes(scores, weights=(3, 1, 0))
    assert out["rfm_score"].tolist() == [5.0, 3.5, 2.0, 1.0, 2.5, 2.0]
    # [1, 1.8) very weak, [1.8, 2.6) weak, [2.6, 3.4) medium, [3.4, 4.2) strong, [4.2, 5].
    assert out["rfm_class"].tolist() == [
        "rfm_very_strong", "rfm_strong", "rfm_weak", "rfm_very_weak", "rfm_weak", "rfm_weak",
    ]  # fmt: skip
    assert list(out["rfm_class"].cat.categories) == list(RFM_CLASSES)


def test_weighted_rfm_cut_points_belong_to_the_class_above():
    # Equal weights; scores summing to 5.4 -> 1.8, 7.8 -> 2.6, 10.2 -> 3.4, 12.6 -> 4.2 are not
    # reachable with whole scores: weights (4, 1, 0) give (4 R + F) / 5 = 1.8 for R = 2, F = 1.
    out = rfm_classes(_scores([2, 3, 4, 5, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1]), weights=(4, 1, 0))
    assert out["rfm_score"].round(12).tolist() == [1.8, 2.6, 3.4, 4.2, 1.0]
    assert out["rfm_class"].tolist() == [
        "rfm_weak", "rfm_medium", "rfm_strong", "rfm_very_strong", "rfm_very_weak",
    ]  # fmt: skip


def test_weighted_rfm_classes_follow_the_number_of_scores():
    # 3 scores: five classes of width 0.4 on [1, 3]; score 2 is medium, 2.6 very strong.
    out = rfm_classes(_scores([2, 3, 1], [2, 3, 1], [2, 2, 1], bins=3), weights=(1, 1, 1))
    assert out["rfm_score"].round(12).tolist() == [2.0, round(8 / 3, 12), 1.0]
    assert out["rfm_class"].tolist() == ["rfm_medium", "rfm_very_strong", "rfm_very_weak"]


@pytest.mark.parametrize("weights", [(0, 0, 0), (1, -1, 1), (1, 1), (1, float("nan"), 1)])
def test_weighted_rfm_refuses_bad_weights(weights):
    with pytest.raises(ValueError, match="weights"):
        rfm_classes(_scores([1], [1], [1]), weights=weights)


def test_rfm_class_summary_counts_and_shares():
    scores = _scores([5, 5, 1, 1], [5, 5, 1, 1], [5, 5, 1, 2])
    scores["monetary"] = [600.0, 200.0, 150.0, 50.0]
    summary = rfm_class_summary(rfm_classes(scores))
    assert summary["customers"].tolist() == [2, 0, 0, 0, 2]
    assert summary.loc["rfm_very_strong", "revenue_share"] == pytest.approx(0.8)
    assert summary.loc["rfm_very_weak", "mean_score"] == pytest.approx((1 + 4 / 3) / 2)


# ------------------------------------------------------------------------------ CLV


def test_course_clv_is_basket_times_frequency_times_lifetime_beside_the_margin_clv():
    # 2 active customers: 8 orders, 4,000 € revenue, 1,200 € margin; churn 0.25 -> 4 years.
    totals = pd.DataFrame({"revenue": [3_000.0, 1_000.0, 0.0], "margin": [900.0, 300.0, 0.0],
                           "orders": [6, 2, 0]})  # fmt: skip
    out = simple_clv(totals, annual_churn=0.25)
    # basket 500 x 4 purchases a year x 4 years = 8,000 €; x 30 % margin = 2,400 €.
    assert out.loc["total", "clv_revenue"] == 8_000.0
    assert out.loc["total", "clv"] == 2_400.0
    formulas = clv_formulas(out)
    assert formulas["clv_value"].tolist() == [8_000.0, 2_400.0]
    assert list(formulas.index) == ["clv_method_text", "clv_method_margin"]
    assert list(formulas["clv_formula"]) == ["clv_formula_text", "clv_formula_margin"]


def test_course_clv_on_the_sample_is_161_keur_against_35_9_keur(sample_aggregates):
    from portfolio_lib.studies import clv_study
    from portfolio_lib.studies.clv import ClvModels

    empty = ClvModels(None, None, None, None, None)
    study = clv_study(sample_aggregates, models=empty)
    total = study.simple_total.loc["total"]
    assert total["clv"] == pytest.approx(35_944.65, abs=0.01)
    assert total["clv_revenue"] == pytest.approx(161_150, rel=1e-3)
    assert total["clv_revenue"] == pytest.approx(total["clv"] / total["margin_rate"], rel=1e-12)


# ------------------------------------------------------------------------- break-even


def _margins():
    return pd.DataFrame({"customer_id": list("abcde"),
                         "margin": [100.0, 60.0, 40.0, 300.0, 500.0]})  # fmt: skip


def test_break_even_counts_the_top_customers_covering_the_charges():
    # Ranked: d? no: e 500, d 300, a 100, b 60, c 40 (total 1,000).
    out = break_even(_margins(), fixed_charges=850.0)
    assert out["break_even_customers"] == 3  # 500 + 300 = 800 < 850 <= 900
    assert out["break_even_customer_share"] == pytest.approx(0.6)
    assert out["profit"] == 150.0
    # Small = the last 80 % = 4 customers: 300 + 100 + 60 + 40 = 500 € of margin.
    assert out["large_customers"] == 1 and out["small_customers"] == 4
    assert out["small_value"] == 500.0 and out["small_share_of_value"] == 0.5
    assert out["small_share_of_profit"] == pytest.approx(500 / 150)
    assert out["large_cover_charges"] == 0.0
    exact = break_even(_margins(), fixed_charges=800.0)
    assert exact["break_even_customers"] == 2  # reaching the charges exactly is enough


def test_break_even_edges():
    assert break_even(_margins(), fixed_charges=0.0)["break_even_customers"] == 0
    over = break_even(_margins(), fixed_charges=2_000.0)
    assert math.isnan(over["break_even_customers"]) and over["profit"] == -1_000.0
    assert math.isnan(over["small_share_of_profit"])  # a loss has no share
    half = break_even(_margins(), fixed_charges=100.0, small_customers_share=0.5)
    assert half["large_customers"] == 3 and half["small_value"] == 100.0
    assert half["large_cover_charges"] == 1.0
    with pytest.raises(ValueError, match="fixed_charges"):
        break_even(_margins(), fixed_charges=-1.0)


# --------------------------------------------------------------------- equity and price


def test_customer_clv_simple_is_the_yearly_margin_discounted_with_survival():
    totals = pd.DataFrame({"customer_id": ["a", "b", "c"], "revenue": [5_000.0, 2_000.0, 0.0],
                           "margin": [1_000.0, np.nan, 0.0], "rep": ["x", "y", "x"]})  # fmt: skip
    out = customer_clv(totals, annual_churn=0.2, discount_rate=0.1, margin_rate=0.3)
    # a: 1,000 x 0.8 / 0.3; b: no margin -> 2,000 x 30 % = 600 x 0.8 / 0.3; c inactive.
    assert out["customer_id"].tolist() == ["a", "b"]
    assert out["clv"].tolist() == pytest.approx([8_000 / 3, 1_600.0])
    assert set(out["clv_source"]) == {"clv_source_simple"}
    equity = customer_equity(out, by="rep")
    assert equity["equity"].to_dict() == pytest.approx({"x": 8_000 / 3, "y": 1_600.0})
    assert equity["customers"].tolist() == [1, 1]
    assert customer_equity(out).loc["total", "equity"] == pytest.approx(8_000 / 3 + 1_600)


def test_customer_clv_predictive_is_read_by_customer_id():
    totals = pd.DataFrame({"customer_id": ["a", "b"], "revenue": [10.0, 20.0]})
    predicted = pd.DataFrame({"customer_id": ["b", "a"], "clv": [7.0, 3.0]})
    out = customer_clv(totals, predicted=predicted)
    assert out["clv"].tolist() == [3.0, 7.0]
    assert set(out["clv_source"]) == {"clv_source_predictive"}
    with pytest.raises(ValueError, match="churn"):
        customer_clv(totals)


def test_clientele_price_is_the_texts_example():
    price = clientele_price(10_000_000, rates=(0.015, 0.025))
    assert price[["price_low", "price_high"]].tolist() == [150_000.0, 250_000.0]
    with pytest.raises(ValueError, match="rates"):
        clientele_price(1.0, rates=(0.03, 0.02))


# ------------------------------------------------------------------------- profile


def test_trait_lift_by_hand_with_numeric_terciles():
    frame = pd.DataFrame({"segment": ["A", "A", "B", "B", "B", "C"],
                          "potential": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]})  # fmt: skip
    top = np.array([True, True, False, False, False, True])
    out = trait_lift(frame, top, traits=["segment", "potential", "region"])
    lifts = {
        (t, v): x for t, v, x in zip(out["trait"], out["trait_value"], out["lift"], strict=True)
    }
    # segment A: 2/3 of the top, 2/6 overall -> 2; C: (1/3) / (1/6) = 2; B: 0.
    assert lifts[("segment", "A")] == pytest.approx(2.0)
    assert lifts[("segment", "C")] == pytest.approx(2.0)
    assert lifts[("segment", "B")] == 0.0
    # Terciles by rank: 10, 20 low; 30, 40 medium; 50, 60 high. Top: 10, 20, 60.
    assert lifts[("potential", "tercile_low")] == pytest.approx(2.0)
    assert lifts[("potential", "tercile_high")] == pytest.approx(1.0)
    assert lifts[("potential", "tercile_medium")] == 0.0
    assert out["lift"].is_monotonic_decreasing
    assert "region" not in set(out["trait"])  # missing traits are skipped
    assert top_flags(frame, "potential", top_share=0.5).tolist() == [False] * 3 + [True] * 3


def test_first_year_behaviour_counts_the_12_months_from_the_first_purchase():
    months = pd.to_datetime(["2024-03-01", "2025-02-01", "2025-03-01", "2024-06-01"])
    monthly = pd.DataFrame({"customer_id": pd.Categorical(["a", "a", "a", "b"]),
                            "month": months, "revenue": [100.0, 50.0, 999.0, 70.0],
                            "orders": [2, 1, 5, 1]})  # fmt: skip
    customers = pd.DataFrame({"customer_id": ["a", "b", "p"],
                              "first_purchase": pd.to_datetime(["2024-03-15", "2024-06-02",
                                                                None])})  # fmt: skip
    out = first_year_behaviour(monthly, customers)
    # a: March 2024 to February 2025 (March 2025 is month 13).
    assert out["first_year_revenue"].tolist() == [150.0, 70.0, 0.0]
    assert out["first_year_orders"].tolist() == [3.0, 1.0, 0.0]


# ---------------------------------------------------------------------- value study


def test_value_study_on_the_sample(sample_aggregates):
    agg = sample_aggregates
    study = value_study(agg, fixed_charges=12_000_000.0)
    totals = window_totals(agg.monthly, agg.months)
    active = totals[totals["revenue"] > 0]
    margins = np.sort(active["margin"].to_numpy())[::-1]
    k = int(np.argmax(np.cumsum(margins) >= 12_000_000)) + 1
    assert study.break_even_value == "margin"
    assert study.break_even["break_even_customers"] == k
    assert study.break_even["value_total"] == pytest.approx(margins.sum())
    large = math.ceil(len(margins) * 0.2)
    small = margins[large:].sum()
    assert study.break_even["small_share_of_profit"] == pytest.approx(
        small / (margins.sum() - 12_000_000)
    )
    # Equity without models: each active customer's margin x r / (1 + d - r).
    from portfolio_lib.metrics.movements import annual_churn

    r = 1 - annual_churn(agg.monthly, months=agg.months)
    assert study.equity.loc["total", "equity"] == pytest.approx(margins.sum() * r / (1.1 - r))
    assert study.equity.loc["total", "customers"] == len(active)
    by_rep = study.equity_by["sales_rep"]
    assert by_rep["equity"].sum() == pytest.approx(study.equity["equity"].sum())
    assert study.price.loc["revenue", "price_low"] == pytest.approx(active["revenue"].sum() * 0.015)
    # The profile's best customers are the ABC class A of the year's revenue.
    classes = abc_classes(active.reset_index()[["customer_id", "revenue"]])
    n_a = int((classes["abc"] == "A").sum())
    segment = study.profile[study.profile["trait"] == "segment"]
    assert segment["customers_top"].sum() == n_a
    assert segment["customers_all"].sum() == len(active)
    plot_break_even(study.ranked, fixed_charges=12e6, lang="en")
    plot_profile_lift(study.profile, top=study.profile_top, lang="fr")
    plt.close("all")


def test_value_study_with_predicted_clvs_and_tiers(sample_aggregates):
    agg = sample_aggregates
    totals = customer_totals(agg)
    ids = agg.customers["customer_id"].astype(str)
    predicted = pd.DataFrame({"customer_id": ids, "clv": np.arange(len(ids), dtype=float)})
    tiers = pd.DataFrame({"customer_id": ids, "tier": np.arange(len(ids)) % 3 + 1})
    study = value_study(agg, predicted=predicted, tiers=tiers, profile_top="clv")
    active = totals["revenue"].to_numpy() > 0
    assert study.equity.loc["total", "equity"] == pytest.approx(
        predicted["clv"].to_numpy()[active].sum()
    )
    assert set(study.equity_by) == {"sales_rep", "segment", "tier"}
    assert study.equity_by["tier"]["customers"].sum() == active.sum()
    top = study.profile[study.profile["trait"] == "segment"]["customers_top"].sum()
    assert top == math.ceil(active.sum() * 0.2)
    assert study.profile_top == "profile_top_clv"


# ------------------------------------------------------------------ rep portfolio


def test_rep_portfolio_on_the_sample(sample_aggregates, sample_portfolio):
    agg = sample_aggregates
    transactions = sample_portfolio.transactions
    study = rep_portfolio_study(agg, transactions=transactions, family="Électricité")
    table = study.table
    totals = window_totals(agg.monthly, agg.months)
    assert len(table) == int((totals["revenue"] > 0).sum())
    assert table["revenue_share_company"].sum() == pytest.approx(1.0)
    for _rep, rows in table.groupby("sales_rep"):
        assert rows["rep_rank"].tolist() == list(range(1, len(rows) + 1))
        assert rows["revenue"].is_monotonic_decreasing
    # One definition: ABC and PMG as balance's on the year's revenue.
    abc = abc_classes(table[["customer_id", "revenue"]]).set_index("customer_id")["abc"]
    assert (table.set_index("customer_id")["abc"] == abc.reindex(table["customer_id"])).all()
    pmg = pmg_classes(table[["customer_id", "revenue"]])["pmg"]
    assert (table["pmg"].to_numpy() == pmg.to_numpy()).all()
    assert study.by_rep["customers"].sum() == len(table)
    assert table["penetration"].iloc[0] == pytest.approx(
        table["revenue"].iloc[0] / table["potential"].iloc[0]
    )
    # The family's revenue of the last 12 months, from the log directly.
    dates = pd.to_datetime(transactions["date"])
    start = (agg.as_of.to_period("M") - 11).start_time
    keep = (transactions["product"] == "Électricité") & (dates >= start) & (dates <= agg.as_of)
    expected = transactions[keep].groupby("customer_id")["amount"].sum()
    got = table.set_index("customer_id")["family_revenue"]
    assert got.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy())
    by_family = rank_portfolio(table, rank_by="family_revenue")
    for _rep, rows in by_family.groupby("sales_rep"):
        assert rows["family_revenue"].is_monotonic_decreasing
    sheets = study.sheets()
    assert list(sheets)[0] == "rep_summary" and len(sheets) == 1 + table["sales_rep"].nunique()
    with pytest.raises(ValueError, match="rank_by"):
        rank_portfolio(table, rank_by="quantity")


def test_rep_portfolio_takes_the_tiers_and_writes_one_sheet_per_rep(tmp_path):
    # The edge set, its largest active customer renamed like a formula.
    text = (EDGE_DIR / "customers.csv").read_bytes().replace(b"Grand Compte SA", b"=SUM(A1:A9)")
    (tmp_path / "customers.csv").write_bytes(text)
    edge = prepare(EDGE_DIR / "transactions_fr.csv", tmp_path / "customers.csv", "")
    ids = edge.agg.customers["customer_id"].astype(str)
    tiers = pd.DataFrame({"customer_id": ids, "tier": 1})
    study = rep_portfolio_study(edge.agg, tiers=tiers)
    assert [n.key for n in study.notes] == ["note_no_sales_rep"]
    assert set(study.table["tier"]) == {1}
    path = tmp_path / "portfolios.xlsx"
    write_workbook(study.sheets(), path, lang="en")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary by rep", "All"]
    cells = [c for row in book["All"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)  # a formula-like name stays text
    assert "=SUM(A1:A9)" in [c.value for c in cells]


def test_family_revenue_needs_a_product_column():
    with pytest.raises(ValueError, match="product"):
        family_revenue(pd.DataFrame({"customer_id": [], "date": [], "amount": []}), "x",
                       start="2025-01-01", end="2025-12-31")  # fmt: skip


# ------------------------------------------------------------------------ explorers


def test_rfm_explorer_weight_sliders_move_the_classes(sample_aggregates):
    box = widgets.rfm_explorer(sample_aggregates, lang="en")
    before = box.last_view.tables["view_rfm_classes"]["customers"].tolist()
    box.controls["w_m"].value = 5.0
    after = box.last_view.tables["view_rfm_classes"]
    from portfolio_lib.metrics.rfm import rfm_scores, rfm_table

    agg = sample_aggregates
    scores = rfm_scores(rfm_table(agg.customers, as_of=agg.as_of))
    expected = rfm_class_summary(rfm_classes(scores, weights=(1, 1, 5)))
    assert after["customers"].tolist() == expected["customers"].tolist() != before
    plt.close("all")


def test_value_and_rep_explorers(sample_aggregates, sample_portfolio):
    box = widgets.value_explorer(sample_aggregates, lang="fr")
    box.controls["fixed_charges"].value = 12_000_000.0
    shown = box.last_view.tables["view_break_even"]
    direct = value_study(sample_aggregates, fixed_charges=12_000_000.0).break_even
    assert shown.iloc[0]["break_even_customers"] == direct["break_even_customers"]
    assert "view_clientele_price" in box.last_view.tables
    reps = widgets.rep_portfolio_explorer(
        sample_aggregates, transactions=sample_portfolio.transactions, lang="en"
    )
    assert list(reps.last_view.tables)[0] == "rep_summary"
    rep = reps.controls["sales_rep"].options[1][1]
    reps.controls["sales_rep"].value = rep
    assert list(reps.last_view.tables) == [rep]
    reps.controls["rank_by"].value = "margin"
    assert reps.last_view.tables[rep]["margin"].is_monotonic_decreasing
    plt.close("all")


def test_rfm_weighted_is_the_study_with_those_weights(sample_aggregates):
    from pandas.testing import assert_frame_equal

    from portfolio_lib.studies import rfm_study
    from portfolio_lib.studies.rfm import rfm_weighted

    direct = rfm_study(sample_aggregates, weights=(2.0, 0.5, 3.0))
    quick = rfm_weighted(rfm_study(sample_aggregates), (2.0, 0.5, 3.0))
    assert_frame_equal(quick.scores, direct.scores)
    assert_frame_equal(quick.customer_segments, direct.customer_segments)
    assert_frame_equal(quick.classes, direct.classes)
    assert quick.weights == direct.weights == (2.0, 0.5, 3.0)


def test_rep_document_and_equity_carry_the_hit_parade_tiers(sample_aggregates):
    # Without tiers given, the rep document's tier and the equity by tier are hit_parade's
    # tiers of the active customers (course text 003): tier 1 holds the largest customers.
    from portfolio_lib.metrics.hitparade import hit_parade
    from portfolio_lib.studies import customer_totals
    from portfolio_lib.studies.portfolio import rep_portfolio_study
    from portfolio_lib.studies.value import value_study

    totals = customer_totals(sample_aggregates)
    buyers = totals.loc[totals["revenue"] > 0, ["customer_id", "revenue"]]
    expected = hit_parade(buyers).set_index("customer_id")["tier"]
    table = rep_portfolio_study(sample_aggregates).table.set_index("customer_id")
    assert table["tier"].notna().all()
    assert (table["tier"] == expected.reindex(table.index)).all()
    biggest = table["revenue"].idxmax()
    assert table.loc[biggest, "tier"] == 1
    equity = value_study(sample_aggregates).equity_by["tier"]
    assert len(equity) == expected.nunique()
