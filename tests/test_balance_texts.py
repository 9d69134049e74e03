"""The course texts' balance rules (issue 14): lifecycle on margin and revenue, hit-parade tiers
and resources with the 80/20 check (text 003), the vivier block and the potential estimated
from the headcount (text 002), relationship quality (text 000), PMG and class actions.

Hand-computed values on small tables (arithmetic in the comments), then the sample's figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portfolio_lib import i18n
from portfolio_lib.config import SAMPLE_FILES
from portfolio_lib.engine.aggregate import aggregate
from portfolio_lib.engine.prepare import prepare
from portfolio_lib.metrics.balance import lifecycle_phases, potential_matrix_summary
from portfolio_lib.metrics.hitparade import hit_parade, resource_check, tier_services, tier_summary
from portfolio_lib.metrics.potential import estimate_potential, potential_matrix
from portfolio_lib.metrics.relationship import (
    relationship_bands,
    relationship_by,
    weak_relationships,
)
from portfolio_lib.studies import balance_study, customer_totals
from portfolio_lib.ui.widgets import balance_explorer


@pytest.fixture
def eight():
    # Revenues 40, 20, 15, 10, 6, 5, 3, 1 (total 100), given out of order.
    return pd.DataFrame(
        {
            "customer_id": list("hgfedcba"),
            "revenue": [1.0, 3.0, 5.0, 6.0, 10.0, 15.0, 20.0, 40.0],
            "name": [f"Client {c}" for c in "hgfedcba"],
        }
    )


# --------------------------------------------------------------------------------------------
# Hit-parade (text 003)


def test_hit_parade_tiers_and_resources_by_hand(eight):
    hit = hit_parade(eight, tiers=4, resources=400.0)
    # Ranked a 40, b 20, c 15, d 10, e 6, f 5, g 3, h 1; revenue before each: 0, 40, 60, 75, 85,
    # 91, 96, 99 %. Tier = floor(before x 4) + 1 (capped at 4): 1, 2, 3, 4, 4, 4, 4, 4 (d at
    # exactly 75 % opens tier 4).
    assert hit["customer_id"].tolist() == list("abcdefgh")
    assert hit["rank"].tolist() == list(range(1, 9))
    assert hit["tier"].tolist() == [1, 2, 3, 4, 4, 4, 4, 4]
    assert hit["name"].tolist() == [f"Client {c}" for c in "abcdefgh"]
    # 400 visits, 100 per tier: 100 each to a, b, c, 100 / 5 = 20 to each of d..h.
    assert hit["resources"].tolist() == [100.0, 100.0, 100.0] + [20.0] * 5
    # Small customers: ranked after the customers making 80 % (before >= 80 %): e, f, g, h.
    assert hit["small"].tolist() == [False] * 4 + [True] * 4

    summary = tier_summary(hit)
    assert summary.index.tolist() == [1, 2, 3, 4]
    assert summary["customers"].tolist() == [1, 1, 1, 5]
    np.testing.assert_allclose(summary["revenue_share"], [0.40, 0.20, 0.15, 0.25])
    assert summary.loc[4, ["revenue_from", "revenue_to"]].tolist() == [1.0, 10.0]
    assert summary["resources"].tolist() == [100.0] * 4
    assert summary["resources_per_customer"].tolist() == [100.0, 100.0, 100.0, 20.0]
    np.testing.assert_allclose(summary["resource_share"], [0.25] * 4)
    assert summary["service"].tolist() == [
        "service_owner", "service_reps", "service_reps", "service_staff",
    ]  # fmt: skip


def test_resource_check_the_80_20_rule_by_hand(eight):
    # By tier: the small e, f, g, h are 4 / 8 = 50 % of customers, make 6 + 5 + 3 + 1 = 15 % of
    # revenue and get 4 x 20 = 80 of 400 = 20 % of the resources: below 50 %, no alert.
    check = resource_check(hit_parade(eight, tiers=4, resources=400.0))
    assert check["small_customers"] == 4
    assert check[["small_customer_share", "small_revenue_share"]].tolist() == pytest.approx(
        [0.5, 0.15]
    )
    assert check["small_resource_share"] == pytest.approx(0.2)
    assert check["resource_alert"] == 0.0
    assert np.isnan(check["small_high_potential"])
    # Per customer (everyone alike, 50 each): the small get 200 / 400 = 50 %, their share of
    # customers: the text's alert.
    per_head = hit_parade(eight, tiers=4, resources=400.0, allocation="customer")
    assert per_head["resources"].tolist() == [50.0] * 8
    check = resource_check(per_head)
    assert check["small_resource_share"] == pytest.approx(0.5) and check["resource_alert"] == 1.0


def test_tiers_link_the_small_customers_to_the_potential(eight):
    """Text 003's warning: tomorrow's customers are among the small ones."""
    matrix = pd.DataFrame(
        {
            "customer_id": ["a", "e", "f", "g"],
            "potential_class": pd.Categorical(["high", "high", "low", "medium"]),
            "vivier": [False, True, False, True],
        }
    )
    hit = hit_parade(eight, tiers=4, resources=400.0)
    summary = tier_summary(hit, matrix=matrix)
    # Tier 1 (a): one high potential, not in the vivier; tier 4 (d..h): e high, e and g vivier.
    assert summary["high_potential"].tolist() == [1, 0, 0, 1]
    assert summary["vivier"].tolist() == [0, 0, 0, 2]
    check = resource_check(hit, matrix=matrix)
    assert check["small_high_potential"] == 1 and check["small_vivier"] == 2


def test_hit_parade_empty_tier_negative_customers_and_user_services():
    # 70, 20, 10 and a net credit: before 0, 70, 90 % -> tiers 1, 3, 4; tier 2 is empty; the
    # credit (-5) goes to the last tier. 300 hours over the 3 non-empty tiers: 100 each.
    frame = pd.DataFrame({"customer_id": list("abcd"), "revenue": [70.0, 20.0, 10.0, -5.0]})
    hit = hit_parade(frame, tiers=4, resources=300.0)
    assert hit["tier"].tolist() == [1, 3, 4, 4]
    assert hit["resources"].tolist() == [100.0, 100.0, 50.0, 50.0]
    summary = tier_summary(hit, tiers=4, services=["Moi", "", "Équipe grands comptes"])
    assert summary["customers"].tolist() == [1, 0, 1, 2]
    assert summary.loc[2, "resources"] == 0 and np.isnan(summary.loc[2, "resources_per_customer"])
    assert summary["service"].tolist() == [
        "Moi", "service_reps", "Équipe grands comptes", "service_staff",
    ]  # fmt: skip
    assert tier_services(1) == ["service_owner"]
    with pytest.raises(ValueError, match="tiers"):
        hit_parade(frame, tiers=0)
    with pytest.raises(ValueError, match="allocation"):
        hit_parade(frame, allocation="random")


def test_service_models_are_text_003s_words():
    assert "relation personnalisée" in i18n.label("service_owner", "fr").lower()
    assert "dirigeant" in i18n.label("service_owner", "fr")
    assert "délégués à des collaborateurs" in i18n.label("service_staff", "fr").lower()
    assert "en partie automatisées" in i18n.label("service_staff", "fr")


# --------------------------------------------------------------------------------------------
# Vivier and potential (text 002)


def test_vivier_block_counts_by_hand():
    # Potentials 1..9 k€: low 1-3, medium 4-6, high 7-9 k€ (quantiles 3,667 and 6,333).
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(1, 10)],
            "potential": [1e3 * i for i in range(1, 10)],
            "revenue": [900.0, 100.0, 3000.0, 2000.0, 0.0, 1000.0, 700.0, 800.0, 8100.0],
        }
    )
    matrix = potential_matrix(frame)
    # Penetrations: c4 50 % (medium), c5 0 %, c6 16.7 %, c7 10 %, c8 10 % (low), c9 90 % (high).
    # Block = medium/high potential x low/medium penetration: c4, c5, c6, c7, c8.
    assert matrix.loc[matrix["vivier"], "customer_id"].tolist() == ["c4", "c5", "c6", "c7", "c8"]
    cells = potential_matrix_summary(matrix)["customers"]
    block = cells.loc[["medium", "high"], ["low", "medium"]].to_numpy()
    assert block.tolist() == [[2, 1], [2, 0]] and block.sum() == matrix["vivier"].sum()
    assert cells.loc["high", "low"] == 2  # the one cell of before


def test_potential_estimated_from_headcount_by_hand():
    frame = pd.DataFrame(
        {
            "customer_id": list("abcd"),
            "revenue": [1000.0, 2000.0, 500.0, 100.0],
            "potential": [5000.0, np.nan, np.nan, 0.0],
            "headcount": [10.0, 20.0, np.nan, 5.0],
        }
    )
    # 400 € per employee: b 20 x 400 = 8,000, d 5 x 400 = 2,000 (its 0 is no potential); c has no
    # headcount (left without potential); a keeps the file's 5,000.
    out = estimate_potential(frame, spend_per_employee=400.0)
    assert out["potential"].tolist()[:2] == [5000.0, 8000.0] and np.isnan(out["potential"][2])
    assert out["potential"][3] == 2000.0
    assert out["potential_estimated"].tolist() == [False, True, False, True]
    # Every headcount estimated: a 10 x 400 = 4,000.
    every = estimate_potential(frame, spend_per_employee=400.0, replace=True)
    assert every["potential"][0] == 4000.0 and every["potential_estimated"][0]
    matrix = potential_matrix(frame, spend_per_employee=400.0)
    assert matrix["customer_id"].tolist() == ["a", "b", "d"]
    assert matrix["potential"].tolist() == [5000.0, 8000.0, 2000.0]
    assert matrix["potential_estimated"].tolist() == [False, True, True]
    np.testing.assert_allclose(matrix["penetration"], [0.2, 0.25, 0.05])
    # Without a spend per employee the file's potentials alone (a only).
    assert potential_matrix(frame)["customer_id"].tolist() == ["a"]
    with pytest.raises(ValueError, match="spend_per_employee"):
        estimate_potential(frame, spend_per_employee=0.0)


def test_headcount_column_read_from_the_customer_file(tmp_path):
    """An "Effectif" column is the headcount; the study says which potentials it estimated."""
    customers = pd.read_csv(SAMPLE_FILES["customers"]).drop(columns="potential")
    customers["Effectif"] = np.arange(len(customers)) % 50 + 1
    customers.to_csv(tmp_path / "customers.csv", index=False)
    agg = prepare(SAMPLE_FILES["transactions"], tmp_path / "customers.csv", "").agg
    assert agg.customers["headcount"].tolist()[:3] == [1.0, 2.0, 3.0]
    study = balance_study(agg, spend_per_employee=2000.0)
    assert study.matrix["potential_estimated"].all()
    expected = 2000.0 * agg.customers.set_index("customer_id")["headcount"]
    matrix = study.matrix.set_index("customer_id")
    np.testing.assert_allclose(matrix["potential"], expected.reindex(matrix.index))
    note = next(n for n in study.notes if getattr(n, "key", "") == "note_potential_estimated")
    assert note.details["estimated"] == len(matrix) == 2000
    assert "texte 002" in note.text("fr") and "text 002" in note.text("en")


# --------------------------------------------------------------------------------------------
# Lifecycle on margin and revenue (text 001)


def test_lifecycle_phases_follow_margin_and_revenue_by_hand():
    rows = [
        # (customer, date, amount, margin); as_of 31/12/2025: recent 2025, previous 2024.
        ("up_down", "2023-01-10", 10.0, 3.0),
        ("up_down", "2024-03-10", 100.0, 40.0),
        ("up_down", "2025-03-10", 150.0, 20.0),  # revenue +50 %, margin -50 %: old age
        ("both_up", "2023-01-10", 10.0, 3.0),
        ("both_up", "2024-03-10", 100.0, 30.0),
        ("both_up", "2025-03-10", 150.0, 45.0),  # +50 % and +50 %: adolescence
        ("up_flat", "2023-01-10", 10.0, 3.0),
        ("up_flat", "2024-03-10", 100.0, 30.0),
        ("up_flat", "2025-03-10", 150.0, 31.0),  # +50 % but margin +3.3 %: adulthood
        ("flat_down", "2023-01-10", 10.0, 3.0),
        ("flat_down", "2024-03-10", 100.0, 30.0),
        ("flat_down", "2025-03-10", 105.0, 10.0),  # +5 %, margin -66.7 %: old age
        ("no_margin_before", "2023-01-10", 10.0, 3.0),
        ("no_margin_before", "2024-03-10", 100.0, 0.0),
        ("no_margin_before", "2025-03-10", 150.0, 30.0),  # margin trend undefined: revenue
        ("gone", "2023-01-10", 10.0, 3.0),
        ("gone", "2024-03-10", 100.0, 30.0),  # nothing in 2025: lost
        ("young_weak", "2025-06-10", 50.0, 10.0),
        ("young_fine", "2025-06-10", 50.0, 10.0),
    ]
    log = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "margin"])
    log["date"] = pd.to_datetime(log["date"])
    ids = sorted(set(log["customer_id"]))
    quality = {"young_weak": 0.3, "young_fine": 0.8, "up_down": 0.2}
    customers = pd.DataFrame(
        {"customer_id": ids, "relationship_quality": [quality.get(i, 0.6) for i in ids]}
    )
    agg = aggregate(log, customers, as_of="2025-12-31")
    phases = lifecycle_phases(agg.monthly, agg.customers, months=agg.months).set_index(
        "customer_id"
    )
    assert phases.attrs["margin_used"] is True
    assert phases["phase"].astype(str).to_dict() == {
        "both_up": "adolescence",
        "flat_down": "old_age",
        "gone": "lost",
        "no_margin_before": "adolescence",
        "up_down": "old_age",
        "up_flat": "adulthood",
        "young_fine": "childhood",
        "young_weak": "childhood",
    }
    assert phases.loc["up_down", "margin_trend"] == pytest.approx(-0.5)
    assert phases.loc["flat_down", "margin_trend"] == pytest.approx(10 / 30 - 1)
    assert np.isnan(phases.loc["no_margin_before", "margin_trend"])
    # The enfance action takes the relationship quality: below 0.5, the relationship first.
    assert phases.loc["young_weak", "action"] == "action_childhood_weak"
    assert phases.loc["young_fine", "action"] == "action_childhood"
    assert phases.loc["up_down", "action"] == "action_old_age"  # weak, but not a child
    assert phases.loc["gone", "action"] == "action_lost"
    # Revenue only (the parameter, or a log without margin): up_down and up_flat grow,
    # flat_down holds.
    revenue_only = lifecycle_phases(
        agg.monthly, agg.customers, months=agg.months, use_margin=False
    ).set_index("customer_id")
    assert revenue_only.attrs["margin_used"] is False
    assert revenue_only.loc[["up_down", "up_flat", "flat_down"], "phase"].tolist() == [
        "adolescence", "adolescence", "adulthood",
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Relationship quality (text 000)


@pytest.fixture
def quality():
    return pd.DataFrame(
        {
            "customer_id": list("abcde"),
            "segment": ["x", "x", "y", "y", "y"],
            "revenue": [10.0, 30.0, 20.0, 40.0, 0.0],
            "potential": [100.0, 60.0, 40.0, 0.0, 50.0],
            "relationship_quality": [0.1, 0.9, 0.6, 0.8, np.nan],
        }
    )


def test_relationship_bands_by_hand(quality):
    bands = relationship_bands(quality)
    # e has no quality; a < 25 %, c 50-75 %, b and d >= 75 %; revenue 100, potential 200.
    assert bands.index.tolist() == ["< 25 %", "25-50 %", "50-75 %", "≥ 75 %"]
    assert bands["customers"].tolist() == [1, 0, 1, 2]
    np.testing.assert_allclose(bands["revenue_share"], [0.1, 0.0, 0.2, 0.7])
    np.testing.assert_allclose(bands["potential_share"], [0.5, 0.0, 0.2, 0.3])
    # Penetration of the customers with a potential: a 10 / 100, c 20 / 40, b 30 / 60 (d none).
    np.testing.assert_allclose(bands["penetration"], [0.1, np.nan, 0.5, 0.5])


def test_relationship_by_segment_and_weak_list_by_hand(quality):
    by = relationship_by(quality, by="segment")
    # x: a 0.1 and b 0.9 -> mean 0.5, weighted (0.1 x 10 + 0.9 x 30) / 40 = 0.7, a weak (10 €).
    # y: c 0.6, d 0.8 -> mean 0.7, weighted (12 + 32) / 60 = 0.7333; none weak.
    assert by.loc["x", ["customers", "weak_customers", "weak_revenue"]].tolist() == [2, 1, 10.0]
    np.testing.assert_allclose(by["quality_mean"], [0.5, 0.7])
    np.testing.assert_allclose(by["quality_weighted"], [0.7, 44 / 60])
    weak = weak_relationships(quality, alert=0.65)
    # Below 0.65: c (20 €) then a (10 €), biggest first.
    assert weak["customer_id"].tolist() == ["c", "a"]
    assert weak["relationship_quality"].tolist() == [0.6, 0.1]


# --------------------------------------------------------------------------------------------
# The sample's figures (issue 14's numbers) and the explorer


def test_sample_figures_of_the_course_texts(sample_aggregates):
    study = balance_study(sample_aggregates)
    assert study.lifecycle["customers"].to_dict() == {
        "childhood": 603, "adolescence": 433, "adulthood": 100, "old_age": 344, "lost": 362,
    }  # fmt: skip
    # The vivier: 1,184 customers in the 2 x 2 block against 438 in the one cell of before.
    assert len(study.vivier) == 1184
    assert study.matrix_cells.loc["high", ("customers", "low")] == 438
    # Four tiers of about a quarter of the revenue each.
    assert study.tiers["customers"].tolist() == [6, 32, 125, 1317]
    np.testing.assert_allclose(study.tiers["revenue_share"], 0.25, atol=0.012)
    assert study.resources["small_customers"] == 1262  # the B and C classes
    assert study.resources["small_customers"] == study.abc_mix.loc[["B", "C"], "customers"].sum()
    assert study.resources["resource_alert"] == 0.0
    assert [n.key for n in study.resource_notes] == [
        "note_resource_check_ok", "note_tomorrow_customers",
    ]  # fmt: skip
    assert study.resource_notes[1].details == {"high": 295, "vivier": 703}
    per_head = balance_study(sample_aggregates, allocation="customer")
    assert per_head.resource_notes[0].key == "note_resource_check_alert"
    # PMG classes Petits, Moyens, Grands with their actions.
    assert study.pmg_mix["action"].tolist() == [
        "action_class_small", "action_class_middle", "action_class_top",
    ]  # fmt: skip
    assert study.relationship_by["sales_rep"]["customers"].sum() == len(study.buyers)


def test_balance_explorer_has_a_widget_per_new_parameter(sample_aggregates):
    box = balance_explorer(sample_aggregates, lang="en", start={"tiers": 5, "resources": 500.0})
    for key in ("lifecycle_use_margin", "relationship_alert", "tiers", "resources",
                "resource_unit", "allocation", "services"):  # fmt: skip
        assert key in box.controls
    assert "spend_per_employee" not in box.controls  # the sample has no headcount
    totals = customer_totals(sample_aggregates)
    buyers = totals[totals["active"]]
    expected = tier_summary(hit_parade(buyers, tiers=5, resources=500.0), tiers=5)
    tiers = box.last_view.tables["view_tiers"]
    assert tiers["customers"].tolist() == expected["customers"].tolist()
    assert tiers["resources"].sum() == pytest.approx(500.0)
    box.controls["services"].value = "Le dirigeant ; ; ; ; Service clients"
    assert box.last_view.tables["view_tiers"]["service"].tolist() == [
        "Le dirigeant", "service_reps", "service_reps", "service_reps", "Service clients",
    ]  # fmt: skip
    box.controls["allocation"].value = "customer"
    assert "note_resource_check_alert" in [n.key for n in box.last_view.notes]
    box.controls["relationship_alert"].value = 0.3
    weak = box.last_view.tables["view_weak_relationships"]
    assert (weak["relationship_quality"] < 0.3).all()
    assert len(weak) == int((buyers["relationship_quality"] < 0.3).sum())
