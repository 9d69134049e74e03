"""Risk alerts: revenue drops, overdue customers, key accounts at risk, the per-rep table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from portfolio_lib.config import SAMPLE_FILES
from portfolio_lib.data.load import load_portfolio
from portfolio_lib.engine.aggregate import aggregate
from portfolio_lib.engine.tables import window_totals
from portfolio_lib.metrics.alerts import _days_since, alerts_by_rep, customer_alerts

AS_OF = "2025-12-31"  # recent window = 2025, previous window = 2024


def _tx(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


@pytest.fixture(scope="module")
def agg():
    # 100 on the 15th of every month of 2024 and 2025: no drop, last purchase 16 days ago.
    steady = [("steady", f"{y}-{m:02d}-15", 100.0) for y in (2024, 2025) for m in range(1, 13)]
    tx = _tx(
        [
            # 1,000 in 2024, 500 in 2025: -50 % -> revenue drop; 3 purchase days.
            ("drop", "2024-03-10", 600.0),
            ("drop", "2024-09-10", 400.0),
            ("drop", "2025-11-20", 500.0),
            # Every 30 days until 1 Apr 2025, then nothing: overdue.
            ("late", "2025-01-01", 100.0),
            ("late", "2025-01-31", 100.0),
            ("late", "2025-03-02", 100.0),
            ("late", "2025-04-01", 100.0),
            *steady,
            # The largest account: 10,000 then 6,000 (-40 %).
            ("big", "2024-06-03", 10_000.0),
            ("big", "2025-06-02", 6_000.0),
            # 12,000 in 2024, nothing since: -100 %.
            ("huge_drop", "2023-05-10", 50.0),
            ("huge_drop", "2024-02-10", 12_000.0),
            # No sales rep: 300 then 100 (-66.7 %).
            ("norep", "2024-04-04", 300.0),
            ("norep", "2025-04-04", 100.0),
            # -25 %: under the 30 % alert.
            ("slight", "2024-05-05", 1_000.0),
            ("slight", "2025-05-05", 750.0),
            # Bought only in 2023: lost before the windows, no alert though long overdue.
            ("old", "2023-01-10", 500.0),
            ("old", "2023-02-10", 500.0),
            ("old", "2023-03-10", 500.0),
        ]
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["big", "drop", "huge_drop", "late", "norep", "old", "slight", "steady"],
            "name": ["Big SA", "Drop SARL", "Huge", "Late", "No rep", "Old", "Slight", "Steady"],
            "sales_rep": ["Marc", "Léa", "Marc", "Marc", None, "Léa", "Léa", "Léa"],
        }
    )
    return aggregate(tx, customers, as_of=AS_OF)


def _alerts(agg, **options):
    return customer_alerts(
        agg.monthly, agg.customers, months=agg.months, as_of=agg.as_of, **options
    ).set_index("customer_id")


def test_alerts_by_hand(agg):
    alerts = _alerts(agg, top_at_risk=1)
    assert sorted(alerts.index) == ["big", "drop", "huge_drop", "late", "norep"]
    drop = alerts.loc["drop"]
    assert drop["sales_rep"] == "Léa" and drop["name"] == "Drop SARL"
    assert drop[["revenue_recent", "revenue_previous"]].tolist() == [500.0, 1_000.0]
    assert drop["revenue_change"] == pytest.approx(-0.5)  # 500 / 1,000 - 1
    # 3 purchase days: frequency 2, recency 10/03/2024 -> 20/11/2025 = 365 + 255 = 620 days;
    # usual gap 310 days; 20/11 -> 31/12/2025 = 41 days; ratio 41 / 310 = 0.132: not overdue.
    assert drop["days_since_last"] == 41
    assert drop["usual_gap_days"] == pytest.approx(310.0)
    assert drop["gap_ratio"] == pytest.approx(41 / 310)
    assert (drop["revenue_drop"], drop["overdue"], drop["top_at_risk"]) == (True, False, False)
    assert drop["revenue_at_risk"] == 1_000.0  # the previous window's revenue
    late = alerts.loc["late"]
    # frequency 3, recency 90 -> gap 30 days; 01/04 -> 31/12/2025 = 29 + 31 + 30 + 31 + 31 + 30
    # + 31 + 30 + 31 = 274 days; ratio 274 / 30 = 9.13 > 2: overdue. No 2024 revenue: no drop.
    assert late["usual_gap_days"] == 30.0 and late["days_since_last"] == 274
    assert late["gap_ratio"] == pytest.approx(274 / 30)
    assert (late["revenue_drop"], late["overdue"]) == (False, True)
    assert math.isnan(late["revenue_change"])
    assert late["revenue_at_risk"] == 400.0  # the recent revenue
    big = alerts.loc["big"]
    # Two purchase days only (frequency 1): no usual gap, so never overdue.
    assert math.isnan(big["usual_gap_days"]) and not big["overdue"]
    assert big["revenue_change"] == pytest.approx(-0.4) and big["revenue_drop"]
    assert big["top_at_risk"]  # largest over the two windows (16,000) and an alert
    huge = alerts.loc["huge_drop"]
    # 10/02/2024 -> 31/12/2025 = 366 (29 Feb 2024) + 324 = 690 days; -100 %.
    assert huge["days_since_last"] == 690 and huge["revenue_change"] == -1.0
    assert not huge["top_at_risk"]  # 12,000 over the two windows: second, and k = 1
    assert alerts.loc["norep", "sales_rep"] == "unknown"


def test_priority_puts_top_accounts_first(agg):
    # k = 1: big (top account at risk) first, then by revenue at risk: huge_drop 12,000,
    # drop 1,000, late 400, norep 300.
    one = _alerts(agg, top_at_risk=1)
    assert one.index.tolist() == ["big", "huge_drop", "drop", "late", "norep"]
    assert one["priority"].tolist() == [1, 2, 3, 4, 5]
    # k = 20: every alerted customer is a top account; order by revenue at risk only.
    twenty = _alerts(agg, top_at_risk=20)
    assert twenty.index.tolist() == ["huge_drop", "big", "drop", "late", "norep"]
    assert twenty["top_at_risk"].all()
    # k = 0: no key-account alert.
    assert not _alerts(agg, top_at_risk=0)["top_at_risk"].any()


def test_thresholds_change_the_alerts(agg):
    # A 20 % drop alert catches slight (-25 %); a 60 % one keeps only norep (-66.7 %) and
    # huge_drop (-100 %) among the drops.
    assert _alerts(agg, drop_alert=0.20).loc["slight", "revenue_drop"]
    strict = _alerts(agg, drop_alert=0.60)
    assert sorted(strict.index[strict["revenue_drop"]]) == ["huge_drop", "norep"]
    # gap_alert 10: late (ratio 9.13) is no longer overdue, nor alerted at all.
    assert "late" not in _alerts(agg, gap_alert=10).index
    with pytest.raises(ValueError, match="drop_alert"):
        _alerts(agg, drop_alert=-0.1)
    with pytest.raises(ValueError, match="after as_of"):
        customer_alerts(agg.monthly, agg.customers, months=agg.months, as_of="2025-06-30")


def test_alerts_by_rep_by_hand(agg):
    table = alerts_by_rep(_alerts(agg, top_at_risk=1).reset_index())
    # Marc: late (overdue), big (drop, top), huge_drop (drop): 400 + 10,000 + 12,000 = 22,400.
    # Léa: drop, 1,000. unknown: norep, 300.
    assert table.index.tolist() == ["Marc", "Léa", "unknown"]
    assert table.loc["Marc"].tolist() == [2, 1, 1, 3, 22_400.0]
    assert table.loc["Léa"].tolist() == [1, 0, 0, 1, 1_000.0]
    assert table.loc["unknown"].tolist() == [1, 0, 0, 1, 300.0]
    everyone = alerts_by_rep(_alerts(agg, top_at_risk=1).reset_index(), reps=["Léa", "Zoé"])
    assert everyone.index.tolist() == ["Marc", "Léa", "unknown", "Zoé"]
    assert everyone.loc["Zoé"].tolist() == [0, 0, 0, 0, 0.0]


def test_without_customer_table_every_rep_is_unknown():
    agg = aggregate(_tx([("a", "2024-02-01", 100.0), ("a", "2025-02-01", 10.0)]), as_of=AS_OF)
    alerts = customer_alerts(agg.monthly, agg.customers, months=agg.months, as_of=agg.as_of)
    assert alerts["sales_rep"].tolist() == ["unknown"] and "name" not in alerts.columns
    assert alerts["revenue_drop"].tolist() == [True]  # 10 / 100 - 1 = -0.9


@seed(20240631)
@settings(max_examples=15, deadline=None)
@given(
    purchases=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 1_094), st.integers(-20, 500)),
        min_size=1,
        max_size=40,
    ),
    top=st.integers(0, 4),
)
def test_alert_flags_follow_their_definitions(purchases, top):
    start = pd.Timestamp("2023-01-01")
    tx = _tx([(f"c{c}", start + pd.Timedelta(days=d), float(a)) for c, d, a in purchases])
    agg = aggregate(tx, as_of=AS_OF)
    alerts = customer_alerts(
        agg.monthly, agg.customers, months=agg.months, as_of=agg.as_of, top_at_risk=top
    )
    # The windows, recomputed independently with aggregate.window_totals.
    recent = window_totals(agg.monthly, agg.months)["revenue"]
    previous = window_totals(agg.monthly, agg.months, end=agg.months[-13])["revenue"]
    with np.errstate(divide="ignore", invalid="ignore"):
        change = recent / previous - 1
    expected_drop = (previous > 0) & (change < -0.30)
    summary = agg.customers.set_index("customer_id")
    gap = (summary["recency"] / summary["frequency"]).where(summary["frequency"] >= 2)
    days = (agg.as_of - summary["last_purchase"]).dt.days
    in_scope = (recent > 0) | (previous > 0)
    expected_overdue = in_scope & (days / gap > 2.0)
    expected = sorted(recent.index[expected_drop | expected_overdue])
    assert sorted(alerts["customer_id"]) == expected
    indexed = alerts.set_index("customer_id")
    assert (indexed["revenue_drop"] == expected_drop.reindex(indexed.index)).all()
    assert (indexed["overdue"] == expected_overdue.reindex(indexed.index)).all()
    assert alerts["priority"].tolist() == list(range(1, len(alerts) + 1))
    assert alerts["top_at_risk"].sum() <= top
    # Top accounts first, then revenue at risk descending.
    key = list(zip(~alerts["top_at_risk"], -alerts["revenue_at_risk"], strict=True))
    assert key == sorted(key)


def test_sample_every_rep_has_alerts():
    portfolio = load_portfolio(SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"])
    agg = aggregate(portfolio.transactions, portfolio.customers)
    alerts = customer_alerts(agg.monthly, agg.customers, months=agg.months, as_of=agg.as_of)
    table = alerts_by_rep(alerts)
    assert set(table.index) == set(portfolio.customers["sales_rep"])
    assert table["customers_alerted"].sum() == len(alerts)
    assert table["revenue_at_risk"].sum() == pytest.approx(alerts["revenue_at_risk"].sum())
    assert table["revenue_at_risk"].is_monotonic_decreasing
    assert 0 < alerts["top_at_risk"].sum() <= 20
    assert alerts["customer_id"].is_unique
    assert (alerts[["revenue_drop", "overdue"]].any(axis=1)).all()


# ------------------------------------------------------------------ against plain pandas


def _pandas_by_rep(alerts):
    """The former per-rep table: pandas groupby on the column as it is."""
    grouped = alerts.groupby("sales_rep", sort=True, observed=True)
    out = grouped[["revenue_drop", "overdue", "top_at_risk"]].sum().astype(np.int64)
    out["customers_alerted"] = grouped.size().astype(np.int64)
    out["revenue_at_risk"] = grouped["revenue_at_risk"].sum()
    return out


def test_alerts_by_rep_equals_pandas_groupby():
    rng = np.random.default_rng(11)
    n = 5000
    # Unobserved category "Zoé", missing reps, categories not in lexical order; revenue at risk
    # with float noise, so that the compensated group sums must match to the bit.
    reps = pd.Categorical(
        rng.choice(["Marc", "Léa", "Anne", None], n, p=[0.5, 0.3, 0.15, 0.05]),
        categories=["Marc", "Zoé", "Léa", "Anne"],
    )
    alerts = pd.DataFrame(
        {
            "sales_rep": reps,
            "revenue_drop": rng.random(n) < 0.4,
            "overdue": rng.random(n) < 0.5,
            "top_at_risk": rng.random(n) < 0.01,
            "revenue_at_risk": rng.lognormal(6, 2, n) * 1.1 + 0.1,
        }
    )
    expected = _pandas_by_rep(alerts)
    assert expected.index.tolist() == ["Marc", "Léa", "Anne"]  # observed, in category order
    # The whole table, with every rep of a customer table (one without alerts), as the study
    # calls it: equal to the former pandas table, and the same as with string reps.
    customers_reps = pd.Series(
        pd.Categorical(list(reps) + ["Zoé"], categories=reps.categories)
    ).cat.add_categories("unknown")
    table = alerts_by_rep(alerts, reps=customers_reps.fillna("unknown"))
    expected = _pandas_by_rep(alerts)
    names = pd.Index(pd.unique(pd.Series(list(pd.unique(customers_reps)), dtype=object)))
    expected = expected.reindex(expected.index.union(names.fillna("unknown")), fill_value=0)
    expected.index.name = "sales_rep"
    expected = expected.reset_index().sort_values(
        ["revenue_at_risk", "sales_rep"], ascending=[False, True], kind="stable"
    )
    pd.testing.assert_frame_equal(table, expected.set_index("sales_rep"), check_exact=True)
    assert table.loc["Zoé", "customers_alerted"] == 0 and "unknown" in table.index
    known = alerts[alerts["sales_rep"].notna()]
    strings = known.assign(sales_rep=known["sales_rep"].astype("str"))
    pd.testing.assert_frame_equal(
        alerts_by_rep(alerts).reset_index().astype({"sales_rep": "str"}),
        alerts_by_rep(strings).reset_index(),
        check_exact=True,
    )


def test_alerts_by_rep_lists_every_rep_given():
    """Reps given as a categorical column (missing values, unused categories) or listed by
    hand in order of appearance: the same table."""
    reps = pd.Series(
        pd.Categorical(
            ["Zoé", None, "Anne", "Zoé", "Marc", None, "Anne"],
            categories=["Anne", "Léa", "Marc", "Zoé"],
        )
    )
    expected = list(pd.unique(reps))
    # The table with every rep given: the same as with the reps listed by hand.
    alerts = pd.DataFrame(
        {
            "sales_rep": pd.Categorical(["Marc", "Zoé", "Marc"], categories=reps.cat.categories),
            "revenue_drop": [True, False, True],
            "overdue": [False, True, False],
            "top_at_risk": [False, False, False],
            "revenue_at_risk": [100.0, 50.0, 25.0],
        }
    )
    pd.testing.assert_frame_equal(
        alerts_by_rep(alerts, reps=reps), alerts_by_rep(alerts, reps=expected), check_exact=True
    )


def test_days_since_equals_pandas_timedelta_days():
    end = pd.Timestamp("2025-12-31")
    last = pd.Series(
        pd.to_datetime(
            ["2025-12-31 00:00", "2025-12-30 18:00", None, "2024-12-31 00:00", "2026-01-02 00:00"]
        )
    )
    # 0; 18:00 the day before -> 0 days 06:00 -> 0; NaT -> NaN; 365; 2 days after -> -2.
    expected = [0.0, 0.0, np.nan, 365.0, -2.0]
    np.testing.assert_array_equal(_days_since(last, end), expected)
    np.testing.assert_array_equal(
        _days_since(last, end), (end - last).dt.days.to_numpy(dtype=float, na_value=np.nan)
    )
    np.testing.assert_array_equal(_days_since(last.astype("datetime64[s]"), end), expected)
    np.testing.assert_array_equal(_days_since(last.dt.strftime("%Y-%m-%d %H:%M"), end), expected)
    aware = last.dt.tz_localize("Europe/Paris")
    np.testing.assert_array_equal(_days_since(aware, end.tz_localize("Europe/Paris")), expected)


def test_customer_alerts_leave_the_customer_table_unchanged(agg):
    before = agg.customers.copy(deep=True)
    for k in (1, 20):
        customer_alerts(
            agg.monthly, agg.customers, months=agg.months, as_of=agg.as_of, top_at_risk=k
        )
    pd.testing.assert_frame_equal(agg.customers, before, check_exact=True)


def test_weak_relationships_of_the_alerted_customers(agg):
    # Course text 000's third criterion as an input of the alerts: an alerted customer whose
    # relationship quality is below relationship_alert is flagged, the alerts themselves do
    # not change, and each rep's count of them is in alerts_by_rep.
    plain = _alerts(agg)
    quality = {"big": 0.9, "drop": 0.3, "huge_drop": None, "late": 0.5, "norep": 0.1}
    customers = agg.customers.assign(
        relationship_quality=agg.customers["customer_id"].astype(str).map(quality).astype(float)
    )
    alerts = customer_alerts(agg.monthly, customers, months=agg.months, as_of=agg.as_of).set_index(
        "customer_id"
    )
    pd.testing.assert_frame_equal(alerts[plain.columns], plain)
    # drop 0.3 and norep 0.1 are below 0.5; late (0.5, not below), big and huge_drop
    # (unknown) are not weak.
    assert sorted(alerts.index[alerts["weak_relationship"]]) == ["drop", "norep"]
    assert np.isnan(alerts.loc["huge_drop", "relationship_quality"])
    stricter = customer_alerts(
        agg.monthly, customers, months=agg.months, as_of=agg.as_of, relationship_alert=0.2
    ).set_index("customer_id")
    assert sorted(stricter.index[stricter["weak_relationship"]]) == ["norep"]
    by_rep = alerts_by_rep(alerts.reset_index())
    assert by_rep.loc["Léa", "weak_relationship"] == 1  # drop
    assert by_rep.loc["unknown", "weak_relationship"] == 1  # norep
    assert by_rep.loc["Marc", "weak_relationship"] == 0
