"""Net and gross revenue retention: a hand-computed log, and a per-customer check.

Yearly revenue (the bridge compares calendar years: window 12, period 'year'):

====  ====  ====  ====
cust  2023  2024  2025
====  ====  ====  ====
a      100   150   120
b      200    50     0
c        0    80   100   (first purchase 2024)
d       60     0    40   (lost in 2024, reactivated in 2025)
====  ====  ====  ====
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portfolio_lib.engine.aggregate import aggregate
from portfolio_lib.metrics.movements import revenue_bridge
from portfolio_lib.metrics.retention import (
    cohort_revenue_retention,
    retention_matrix,
    revenue_retention,
)


@pytest.fixture(scope="module")
def agg():
    rows = [
        ("a", "2023-01-15", 100.0), ("a", "2024-03-01", 150.0), ("a", "2025-12-10", 120.0),
        ("b", "2023-05-02", 200.0), ("b", "2024-06-11", 50.0),
        ("c", "2024-09-20", 80.0), ("c", "2025-02-14", 100.0),
        ("d", "2023-07-07", 60.0), ("d", "2025-04-30", 40.0),
    ]  # fmt: skip
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    return aggregate(tx)


def test_nrr_grr_per_period_by_hand(agg):
    bridge = revenue_bridge(agg.monthly, months=agg.months, period="year", window=12)
    got = revenue_retention(bridge)
    assert got["period"].tolist() == ["2024", "2025"]
    # 2024: start 360 (a 100, b 200, d 60); a +50, b -150, d churned 60, c new.
    # NRR = (150 + 50 + 0) / 360; GRR = (min(150, 100) + min(50, 200) + 0) / 360.
    # 2025: start 280 (a 150, b 50, c 80); a -30, b churned 50, c +20, d reactivated.
    # NRR = (120 + 0 + 100) / 280; GRR = (120 + 0 + 80) / 280.
    np.testing.assert_allclose(got["nrr"], [200 / 360, 220 / 280])
    np.testing.assert_allclose(got["grr"], [150 / 360, 200 / 280])
    np.testing.assert_allclose(got["retained_revenue"], [200.0, 220.0])


def test_grr_is_the_capped_sum_per_customer(sample_aggregates):
    """GRR from the bridge = sum(min(now, before)) / sum(before) over last period's customers
    (new and reactivated left out), NRR = sum(now) / sum(before): computed here per customer
    from the trailing sums, independently of the bridge's buckets."""
    agg = sample_aggregates
    got = revenue_retention(revenue_bridge(agg.monthly, months=agg.months, period="year"))
    wide = (
        agg.monthly.pivot_table(
            index="customer_id", columns="month", values="revenue", aggfunc="sum", observed=True
        )
        .reindex(columns=agg.months, fill_value=0.0)
        .fillna(0.0)
    )
    trailing = wide.T.rolling(12, min_periods=1).sum().T
    first = agg.customers.set_index("customer_id")["first_purchase"].reindex(wide.index)
    for _, row in got.iterrows():
        before = trailing[row["period_start"] - pd.DateOffset(months=1)]
        now = trailing[row["period_end"]]
        new = (first >= row["period_start"]).to_numpy() & (now > 1e-9).to_numpy()
        reactivated = (before <= 1e-9).to_numpy() & (now > 1e-9).to_numpy() & ~new
        keep = ~(new | reactivated)
        expected_nrr = now[keep].sum() / before.sum()
        expected_grr = np.minimum(now[keep], before[keep]).sum() / before.sum()
        assert row["nrr"] == pytest.approx(expected_nrr, rel=1e-9)
        assert row["grr"] == pytest.approx(expected_grr, rel=1e-9)
        assert row["grr"] <= 1.0


def test_cohort_revenue_retention_by_hand(agg):
    got = cohort_revenue_retention(agg.monthly, agg.customers, months=agg.months, period="year")
    keys = list(zip(got["cohort"].dt.year, got["offset"], got["period"], strict=True))
    assert keys == [(2023, 1, "2024"), (2023, 2, "2025"), (2024, 1, "2025")]
    # Cohort 2023 in 2025: start a 150 + b 50 (d is 0: lost), a -30, b churned 50.
    np.testing.assert_allclose(got["nrr"], [200 / 360, 120 / 200, 100 / 80])
    np.testing.assert_allclose(got["grr"], [150 / 360, 120 / 200, 1.0])
    matrix = retention_matrix(got, value="nrr")
    assert matrix.shape == (2, 2)
    assert np.isnan(matrix.iloc[1, 1])
    assert matrix.iloc[1, 0] == pytest.approx(1.25)


def test_revenue_retention_needs_the_bridge():
    with pytest.raises(ValueError, match="expansion"):
        revenue_retention(pd.DataFrame({"revenue_start": [1.0]}))


def test_retention_chart_lines_equal_the_table_in_both_languages(agg):
    import matplotlib.pyplot as plt

    from portfolio_lib.plots.movements import plot_cohorts, plot_revenue_retention

    table = revenue_retention(revenue_bridge(agg.monthly, months=agg.months, period="year"))
    ax = plot_revenue_retention(table, lang="en")
    nrr, grr = ax.get_lines()[1:3]  # after the 100 % line
    np.testing.assert_allclose(nrr.get_ydata(), [200 / 360, 220 / 280])
    np.testing.assert_allclose(grr.get_ydata(), [150 / 360, 200 / 280])
    assert ax.get_title() == "Net and gross revenue retention per year"
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == [
        "Net revenue retention (NRR)",
        "Gross revenue retention (GRR)",
    ]
    ax = plot_revenue_retention(table, lang="fr")
    assert ax.get_title() == "Rétention nette et brute du CA par an"
    by_cohort = cohort_revenue_retention(agg.monthly, agg.customers, months=agg.months)
    ax = plot_cohorts(retention_matrix(by_cohort), value="nrr", period="year", lang="fr")
    np.testing.assert_allclose(
        ax.images[0].get_array().filled(np.nan), [[200 / 360, 120 / 200], [1.25, np.nan]]
    )
    assert ax.get_title().startswith("Rétention nette du CA (NRR) de chaque cohorte")
    plt.close("all")


def test_nrr_finding_of_the_last_complete_period(agg):
    from portfolio_lib.studies import movements_study
    from portfolio_lib.studies.findings import findings

    study = movements_study(agg, bridge_period="year", cohort_period="year")
    texts = [f.text for f in findings(study, lang="en") if f.key == "nrr"]
    assert texts == [
        "In 2025, the previous period's customers bought 79% of their earlier revenue (net "
        "revenue retention, NRR); without their expansion, 71% (gross revenue retention, GRR)."
    ]  # 220 / 280 and 200 / 280
    fr = [f.text for f in findings(study, lang="fr") if f.key == "nrr"][0]
    assert fr.startswith("En 2025, les clients de la période précédente ont acheté 79\u00a0%")
    np.testing.assert_allclose(study.cohort_nrr.to_numpy()[0], [200 / 360, 120 / 200])
