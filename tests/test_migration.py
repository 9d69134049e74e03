"""Migration matrices: a hand-computed log, the portfolio a year ago, one definition per class.

Revenue of the windows compared (2024 and 2025; ABC cuts 80 % and 95 %):

====  ======  ======  ==========================================
cust    2024    2025  ABC 2024 -> 2025 (share of those before)
====  ======  ======  ==========================================
a       1000     100  A (0 %) -> B (92.3 %)
b        500     900  A (62.5 %) -> A (0 %)
c        100       0  B (93.75 %) -> lost
d          0     300  new -> A (69.2 %)
====  ======  ======  ==========================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.engine.aggregate import aggregate
from portfolio_lib.engine.history import aggregates_before
from portfolio_lib.metrics.migration import migration_matrix, migration_table
from portfolio_lib.studies import balance_study, rfm_study
from portfolio_lib.studies.migration import customer_classes, migration_study


@pytest.fixture(scope="module")
def agg():
    rows = [
        ("a", "2024-01-03", 1.0), ("a", "2024-03-12", 999.0), ("a", "2025-06-02", 100.0),
        ("b", "2024-07-10", 500.0), ("b", "2025-02-20", 900.0),
        ("c", "2024-11-05", 100.0),
        ("d", "2025-12-15", 300.0),
    ]  # fmt: skip
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    return aggregate(tx)


def test_portfolio_a_year_ago(agg):
    earlier = aggregates_before(agg, 12)
    assert earlier.as_of == pd.Timestamp("2024-12-31")
    assert earlier.months[-1] == pd.Timestamp("2024-12-01") and len(earlier.months) == 12
    customers = earlier.customers.set_index(earlier.customers["customer_id"].astype(str))
    np.testing.assert_allclose(customers["revenue"], [1000.0, 500.0, 100.0, 0.0])
    assert customers["orders"].tolist() == [2, 1, 1, 0]
    # c's last purchase was their last ever: to the day; a and b bought again: month ends.
    assert customers["last_purchase"].tolist()[:3] == list(
        pd.to_datetime(["2024-03-31", "2024-07-31", "2024-11-05"])
    )
    assert pd.isna(customers.loc["d", "first_purchase"])
    assert customers.loc["a", "first_purchase"] == pd.Timestamp("2024-01-03")
    with pytest.raises(PortfolioDataError, match="history|historique"):
        aggregates_before(agg, 24)


def test_abc_migration_by_hand(agg):
    study = migration_study(agg)
    assert study.as_of_before == pd.Timestamp("2024-12-31")
    counts = migration_matrix(study.tables["abc"])
    assert counts.index.tolist() == ["A", "B", "C", "new"]
    assert counts.columns.tolist() == ["A", "B", "C", "lost"]
    expected = [[1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]]
    assert counts.to_numpy().tolist() == expected
    change = migration_matrix(study.tables["abc"], value="revenue_change")
    assert change.loc["A", "B"] == pytest.approx(-900.0)  # a: 1000 -> 100
    assert change.loc["A", "A"] == pytest.approx(400.0)  # b: 500 -> 900
    assert change.loc["B", "lost"] == pytest.approx(-100.0)  # c
    assert change.loc["new", "A"] == pytest.approx(300.0)  # d
    before = migration_matrix(study.tables["abc"], value="revenue_before")
    assert before.loc["A"].sum() == pytest.approx(1500.0)


def test_migration_table_counts_every_customer_once():
    before = pd.Series(["x", "y", "y", None], index=list("abcd"))
    after = pd.Series(["y", "y", None, "x"], index=list("abcd"))
    table = migration_table(before, after, revenue_before=pd.Series({"a": 5.0, "b": 2.0}))
    matrix = migration_matrix(table)
    assert matrix.loc["x", "y"] == 1 and matrix.loc["y", "y"] == 1
    assert matrix.loc["y", "lost"] == 1 and matrix.loc["new", "x"] == 1
    assert matrix.to_numpy().sum() == 4
    assert migration_matrix(table, value="revenue_before").loc["x", "y"] == 5.0
    with pytest.raises(ValueError, match="value"):
        migration_matrix(table, value="margin")


def test_classes_now_are_those_of_the_balance_and_rfm_studies(sample_aggregates):
    agg = sample_aggregates
    classes = customer_classes(agg)
    balance = balance_study(agg)
    abc = balance.abc.set_index(balance.abc["customer_id"].astype(str))["abc"]
    pd.testing.assert_series_equal(
        classes["abc"].dropna().astype(str).sort_index(),
        abc.astype(str).sort_index(), check_names=False,
    )  # fmt: skip
    rfm = rfm_study(agg).scores
    rfm = rfm.set_index(rfm["customer_id"].astype(str))["rfm_class"]
    assert (classes["rfm_class"].dropna().astype(str).sort_index()
            == rfm.astype(str).sort_index()).all()  # fmt: skip
    tiers = balance.hit.set_index(balance.hit["customer_id"].astype(str))["tier"]
    assert (classes["tier"].dropna().sort_index() == tiers.sort_index()).all()
    # Every customer counted once in each matrix: classified then or now.
    study = migration_study(agg)
    for kind, table in study.tables.items():
        either = study.classes_before[kind].notna() | study.classes[kind].notna()
        assert table["customers"].sum() == either.sum(), kind


def test_migration_heatmap_equals_the_matrix_in_both_languages(agg):
    import matplotlib.pyplot as plt

    from portfolio_lib.plots.migration import plot_migration

    study = migration_study(agg)
    counts = migration_matrix(study.tables["abc"])
    ax = plot_migration(counts, kind="abc", dates=(study.as_of_before, study.as_of), lang="en")
    np.testing.assert_array_equal(ax.images[0].get_array(), counts.to_numpy())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C", "New"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B", "C", "Lost"]
    assert ax.get_title() == "ABC class: where customers moved (Dec 2024 → Dec 2025)"
    change = migration_matrix(study.tables["tier"], value="revenue_change")
    ax = plot_migration(change, value="revenue_change", kind="tier", lang="fr")
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "Tranche 1"
    assert ax.get_title() == "Tranche : variation du CA par mouvement"
    texts = {t.get_text() for t in ax.texts}
    assert "-900\u00a0€" in texts  # a: tier 1 (1000 of 1600) -> tier 4 (100 of 1300)
    plt.close("all")


def test_migration_finding_names_the_costliest_move(agg):
    from portfolio_lib.studies.findings import findings

    study = migration_study(agg)
    found = findings(study, lang="en", kinds=("abc",))
    assert [f.text for f in found] == [
        '1 customers in "A" 12 months ago are "B" now (ABC class): -€900 of revenue.'
    ]
    assert found[0].figures["revenue_change"] == pytest.approx(-900.0)
    found = findings(study, lang="fr", kinds=("tier",))
    assert found[0].text.startswith("1 clients « Tranche 1 » il y a 12 mois sont « Tranche 4 »")


def test_migration_explorer_switches_tables_without_recomputing(agg, monkeypatch):
    from portfolio_lib.ui import mix_explorers

    box = mix_explorers.migration_explorer(agg, lang="en")
    assert box.last_view.tables["view_migration"].loc["A", "Lost"] == 0
    assert box.last_view.tables["view_migration"].loc["B", "Lost"] == 1

    def fail(*args, **kwargs):
        raise AssertionError("the study is computed once, when the explorer is built")

    monkeypatch.setattr(mix_explorers, "migration_study", fail)
    box.controls["kind"].value = "tier"
    box.controls["value"].value = "revenue_change"
    table = box.last_view.tables["view_migration"]
    assert table.loc["Tier 1", "Tier 4"] == pytest.approx(-900.0)
    assert table.index.name == "Class last year" and table.columns.name == "Class now"
    assert [label for label, _ in box.controls["kind"].options] == [
        "ABC class", "Size class", "RFM class", "Lifecycle phase", "Hit parade",
    ]  # fmt: skip
