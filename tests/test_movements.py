"""Movements, revenue bridge and cohorts: hand-computed logs and property tests.

The hand log (January to August 2024; activity window 3 months unless stated):

- a: buys 100 in January and 50 in April;
- b: buys 80 in February, credited -80 the same month (net 0), buys 60 in July;
- c: buys 200 in March, credit note -50 in April;
- d: buys 30 in January, nothing until 40 in August (a gap longer than the window);
- e: only a credit note (-20) in May: no purchase ever;
- p: a prospect of the customer table, no transaction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio_lib import i18n
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.engine.aggregate import aggregate
from portfolio_lib.engine.tables import active_matrix
from portfolio_lib.metrics.cohorts import cohort_matrix, cohort_table
from portfolio_lib.metrics.movements import (
    STATUSES,
    annual_churn,
    customer_status,
    movements,
    revenue_bridge,
)
from portfolio_lib.metrics.weight import headline_kpis

MONTHS = [f"2024-{m:02d}" for m in range(1, 9)]


@pytest.fixture(scope="module")
def agg():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "b", "c", "c", "d", "d", "e"],
            "date": pd.to_datetime(
                [
                    "2024-01-10",
                    "2024-04-03",
                    "2024-02-05",
                    "2024-02-20",
                    "2024-07-08",
                    "2024-03-12",
                    "2024-04-15",
                    "2024-01-22",
                    "2024-08-30",
                    "2024-05-06",
                ]
            ),
            "amount": [100.0, 50.0, 80.0, -80.0, 60.0, 200.0, -50.0, 30.0, 40.0, -20.0],
            "order_id": ["F1", "F2", "F3", "AV1", "F4", "F5", "AV2", "F6", "F7", "AV3"],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "p"],
            "sales_rep": ["Léa", "Léa", "Marc", None, "Marc", "Marc"],
        }
    )
    return aggregate(tx, customers)


def _counts(frame: pd.DataFrame) -> list[list[int]]:
    columns = ["active_start", "new", "reactivated", "retained", "lost", "active_end"]
    return frame[columns].to_numpy().tolist()


def test_monthly_movements_by_hand(agg):
    got = movements(agg.monthly, months=agg.months, activity_window=3)
    assert got["period"].tolist() == MONTHS
    assert got["period_start"].tolist() == list(pd.date_range("2024-01-01", periods=8, freq="MS"))
    assert got["period_end"].equals(got["period_start"])
    # Active at month ends (net revenue over the 3 months ending there > 0):
    # Jan {a, d}; Feb {a, d} (b's purchase is cancelled: counted nowhere); Mar {a, c, d};
    # Apr {a (Feb-Apr 50), c (200 - 50)}: d lost; May {a, c}; Jun {a}: c lost (Apr-Jun -50);
    # Jul {b}: a lost, b reactivated (first purchase in Feb); Aug {b, d}: d reactivated.
    assert _counts(got) == [
        # start, new, reactivated, retained, lost, end
        [0, 2, 0, 0, 0, 2],
        [2, 0, 0, 2, 0, 2],
        [2, 1, 0, 2, 0, 3],
        [3, 0, 0, 2, 1, 2],
        [2, 0, 0, 2, 0, 2],
        [2, 0, 0, 1, 1, 1],
        [1, 0, 1, 0, 1, 1],
        [1, 0, 1, 1, 0, 2],
    ]
    # churn = lost / active_start: NaN, 0/2, 0/2, 1/3, 0/2, 1/2, 1/1, 0/1
    np.testing.assert_allclose(
        got["churn_rate"], [np.nan, 0, 0, 1 / 3, 0, 0.5, 1, 0], equal_nan=True
    )
    np.testing.assert_allclose(got["retention_rate"], 1 - got["churn_rate"], equal_nan=True)
    # Complete history from April: April - 3 months = January, the first month of data.
    assert got["complete_history"].tolist() == [False] * 3 + [True] * 5


def test_customer_status_is_the_drill_down(agg):
    status = customer_status(agg.monthly, months=agg.months, activity_window=3)
    assert list(status.columns) == MONTHS and status.columns.name == "period"
    assert list(status.index) == ["a", "b", "c", "d", "e", "p"]
    inactive = "inactive"
    expected = {
        "a": ["new", "retained", "retained", "retained", "retained", "retained", "lost", inactive],
        "b": [inactive] * 6 + ["reactivated", "retained"],
        "c": [inactive, inactive, "new", "retained", "retained", "lost", inactive, inactive],
        "d": ["new", "retained", "retained", "lost", inactive, inactive, inactive, "reactivated"],
        "e": [inactive] * 8,
        "p": [inactive] * 8,
    }
    for customer, statuses in expected.items():
        assert status.loc[customer].tolist() == statuses, customer
    assert list(status["2024-01"].cat.categories) == list(STATUSES)
    moves = movements(agg.monthly, months=agg.months, activity_window=3)
    counts = status.apply(lambda col: col.value_counts()).T
    for name in ("new", "reactivated", "retained", "lost"):
        assert counts[name].tolist() == moves[name].tolist()


def test_quarter_movements_with_a_partial_last_quarter(agg):
    got = movements(agg.monthly, months=agg.months, period="quarter", activity_window=3)
    assert got["period"].tolist() == ["2024-Q1", "2024-Q2", "2024-Q3"]
    assert got["period_end"].dt.strftime("%Y-%m").tolist() == ["2024-03", "2024-06", "2024-08"]
    assert got["period_start"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-04", "2024-07"]
    # Q1 ends in March: a, c, d active and all first bought in Q1 -> 3 new; b bought in Q1 but
    # its net is 0, so it is counted nowhere. Q2 ends in June: only a (c: -50, d: 0) -> a
    # retained, c and d lost. Q3 ends in August: b (60) and d (40) come back -> 2
    # reactivated, a lost.
    assert _counts(got) == [[0, 3, 0, 0, 0, 3], [3, 0, 0, 1, 2, 1], [1, 0, 2, 0, 1, 2]]
    assert got["complete_history"].tolist() == [False, True, True]


def test_year_movements_with_default_window(agg):
    got = movements(agg.monthly, months=agg.months, period="year")
    # One (partial) year, 12-month window ending in August: a 150, b 60, c 150, d 70 are
    # active and all first bought in 2024 -> 4 new (b's cancelled February purchase is its
    # first purchase, and it is active at the year end); e (-20) is not.
    assert _counts(got) == [[0, 4, 0, 0, 0, 4]]
    assert got["period"].tolist() == ["2024"]
    assert np.isnan(got["churn_rate"].iat[0])
    assert not got["complete_history"].iat[0]


def test_year_periods_over_a_partial_first_and_last_year():
    tx = pd.DataFrame(
        {
            "customer_id": ["x", "y", "x", "y"],
            "date": pd.to_datetime(["2023-11-15", "2024-06-01", "2025-01-20", "2025-02-10"]),
            "amount": [10.0, 20.0, 5.0, 7.0],
        }
    )
    agg = aggregate(tx)
    got = movements(agg.monthly, months=agg.months, period="year")
    assert got["period"].tolist() == ["2023", "2024", "2025"]
    assert got["period_start"].dt.strftime("%Y-%m").tolist() == ["2023-11", "2024-01", "2025-01"]
    assert got["period_end"].dt.strftime("%Y-%m").tolist() == ["2023-12", "2024-12", "2025-02"]
    # 2023: x new. 2024 (window Jan-Dec 2024): y new, x lost (nothing in 2024).
    # 2025 (window Mar 2024-Feb 2025): x reactivated, y retained (June 2024 + Feb 2025).
    assert _counts(got) == [[0, 1, 0, 0, 0, 1], [1, 1, 0, 0, 1, 1], [1, 0, 1, 1, 0, 2]]


def test_movements_by_attribute_with_missing_values(agg):
    got = movements(
        agg.monthly,
        months=agg.months,
        period="quarter",
        activity_window=3,
        customers=agg.customers,
        by="sales_rep",
    )
    assert got["sales_rep"].tolist() == ["Léa", "Marc", "unknown"] * 3
    # Léa = a, b; Marc = c, e, p; unknown = d (no rep). Q1: a new (Léa), c new (Marc),
    # d new (unknown). Q2: a retained; c lost; d lost. Q3: a lost, b reactivated; d reactivated.
    assert _counts(got) == [
        [0, 1, 0, 0, 0, 1],
        [0, 1, 0, 0, 0, 1],
        [0, 1, 0, 0, 0, 1],
        [1, 0, 0, 1, 0, 1],
        [1, 0, 0, 0, 1, 0],
        [1, 0, 0, 0, 1, 0],
        [1, 0, 1, 0, 1, 1],
        [0, 0, 0, 0, 0, 0],
        [0, 0, 1, 0, 0, 1],
    ]
    total = got.groupby("period", sort=False)[["new", "lost", "active_end"]].sum()
    overall = movements(agg.monthly, months=agg.months, period="quarter", activity_window=3)
    assert total.to_numpy().tolist() == overall[["new", "lost", "active_end"]].to_numpy().tolist()
    # Marc has nobody active at the start of Q3: churn is undefined there, not 0.
    assert np.isnan(got["churn_rate"].iat[7])


def test_missing_attribute_is_a_clear_error(agg):
    with pytest.raises(PortfolioDataError) as error:
        movements(agg.monthly, months=agg.months, customers=agg.customers, by="segment")
    assert error.value.code == "missing_attribute"
    assert "segment" in str(error.value) and "sales_rep" in str(error.value)
    with pytest.raises(PortfolioDataError, match="segment"):
        revenue_bridge(agg.monthly, months=agg.months, by="segment")


def test_bad_parameters_are_clear_errors(agg):
    with pytest.raises(ValueError, match="period must be one of"):
        movements(agg.monthly, months=agg.months, period="week")
    with pytest.raises(ValueError, match="at least 1 month"):
        movements(agg.monthly, months=agg.months, activity_window=0)
    with pytest.raises(ValueError, match="Aggregates.monthly"):
        movements(agg.monthly.drop(columns="orders"), months=agg.months)
    with pytest.raises(ValueError, match="months is empty"):
        movements(agg.monthly, months=pd.DatetimeIndex([]))
    with pytest.raises(ValueError, match="consecutive first days of months"):
        movements(agg.monthly, months=agg.months[[0, 2, 3]])


def test_a_later_grid_starts_the_history_there(agg):
    got = movements(agg.monthly, months=agg.months[2:], activity_window=3)
    assert got["period"].tolist() == MONTHS[2:]
    # From March on, January and February are not seen: nobody is active at the start, a
    # (first purchase in January) is not new but reactivated in April (Apr 50), c is new in
    # March, d (first purchase in January) comes back in August.
    assert _counts(got)[:2] == [[0, 1, 0, 0, 0, 1], [1, 0, 1, 1, 0, 2]]
    assert _counts(got)[-1] == [1, 0, 1, 1, 0, 2]


def test_revenue_bridge_by_hand(agg):
    got = revenue_bridge(agg.monthly, months=agg.months, period="quarter", window=3)
    # Trailing 3-month revenue: March a 100, c 200, d 30 (b 0) -> 330; June a 50, c -50,
    # e -20 -> -20; August b 60, d 40 -> 100.
    # Q2: a 100 -> 50 contraction 50; c 200 -> -50 churned 250; d 30 -> 0 churned 30;
    #     e 0 -> -20 (inactive at both) contraction 20.
    # Q3: a 50 -> 0 churned 50; b 0 -> 60 and d 0 -> 40 reactivated 100; c -50 -> 0 and
    #     e -20 -> 0 (inactive at both) expansion 70.
    expected = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-04-01", "2024-07-01"]).as_unit("ns"),
            "period_end": pd.to_datetime(["2024-06-01", "2024-08-01"]).as_unit("ns"),
            "period": ["2024-Q2", "2024-Q3"],
            "revenue_start": [330.0, -20.0],
            "new": [0.0, 0.0],
            "reactivated": [0.0, 100.0],
            "expansion": [0.0, 70.0],
            "contraction": [70.0, 0.0],
            "churned": [280.0, 50.0],
            "revenue_end": [-20.0, 100.0],
            # Windows ending in March (Jan-Mar) and June (Apr-Jun): both inside the data.
            "complete_history": [True, True],
        }
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_revenue_bridge_flags_windows_reaching_before_the_data(agg):
    # Monthly, 3-month windows: the bridge into March starts from February's window
    # (December-February), which reaches before January: complete from April on.
    monthly = revenue_bridge(agg.monthly, months=agg.months, period="month", window=3)
    assert monthly["complete_history"].tolist() == [False, False] + [True] * 5
    # Quarters with 6-month windows: March's window (October-March) is not in the data,
    # June's (January-June) is.
    quarters = revenue_bridge(agg.monthly, months=agg.months, period="quarter", window=6)
    assert quarters["complete_history"].tolist() == [False, True]


def test_revenue_bridge_needs_two_period_ends(agg):
    # January to August 2024 holds one year end (August): the bridge by year needs December
    # 2023 to August 2024, 9 months; by quarter there are three ends.
    with pytest.raises(PortfolioDataError) as error:
        revenue_bridge(agg.monthly, months=agg.months, period="year")
    assert error.value.code == "history_too_short"
    assert error.value.details == {
        "analysis": "revenue bridge by year",
        "months_needed": 9,
        "months_available": 8,
    }
    assert str(error.value).startswith("revenue bridge by year needs 9 months of history")
    # July and August: one quarter end (August); the bridge needs June (the end of Q2) to
    # August, 3 months. By month, July and August are two ends.
    with pytest.raises(PortfolioDataError, match="needs 3 months.*cover 2"):
        revenue_bridge(agg.monthly, months=agg.months[6:], period="quarter")
    one_month = revenue_bridge(agg.monthly, months=agg.months[6:], period="month", window=1)
    assert one_month["period"].tolist() == ["2024-08"]


def test_revenue_bridge_counts_new_revenue(agg):
    got = revenue_bridge(agg.monthly, months=agg.months, period="month", window=3)
    assert got["period"].tolist() == MONTHS[1:]  # no bridge into the first period
    march = got.set_index("period").loc["2024-03"]
    # February -> March: a 100 -> 100, d 30 -> 30, c 0 -> 200 is new.
    assert march[["revenue_start", "new", "expansion", "revenue_end"]].tolist() == [
        130.0,
        200.0,
        0.0,
        330.0,
    ]


def test_revenue_bridge_by_group_adds_up(agg):
    grouped = revenue_bridge(
        agg.monthly,
        months=agg.months,
        period="quarter",
        window=3,
        customers=agg.customers,
        by="sales_rep",
    )
    q3 = grouped[grouped["period"] == "2024-Q3"].set_index("sales_rep")
    # Léa: a churned 50, b reactivated 60. Marc: c, e expansion 70. unknown: d reactivated 40.
    assert q3.loc["Léa", ["churned", "reactivated"]].tolist() == [50.0, 60.0]
    assert q3.loc["Marc", ["expansion", "revenue_start", "revenue_end"]].tolist() == [
        70.0,
        -70.0,
        0,
    ]
    assert q3.loc["unknown", "reactivated"] == 40.0
    overall = revenue_bridge(agg.monthly, months=agg.months, period="quarter", window=3)
    money = ["revenue_start", "new", "reactivated", "expansion", "contraction", "churned"]
    money.append("revenue_end")
    sums = grouped.groupby("period")[money].sum()
    np.testing.assert_allclose(sums.to_numpy(), overall[money].to_numpy())
    flags = grouped.groupby("period")["complete_history"].agg(["min", "max"])
    assert (flags["min"] == flags["max"]).all()  # a property of the period, not of a group
    assert flags["min"].tolist() == overall["complete_history"].tolist()


@pytest.fixture(scope="module")
def year_agg():
    """Fourteen months, January 2024 to February 2025 (activity window 12 unless stated).

    - a (Léa): 100 in January 2024, 50 in January 2025;
    - b (Léa): 80 in February 2024;
    - c (Marc): 200 in January 2024, credited -200 in March 2024;
    - d (no rep): 30 in June 2024;
    - e (Marc): 40 in February 2025.
    """
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "c", "d", "e"],
            "date": pd.to_datetime(
                [
                    "2024-01-10",
                    "2025-01-12",
                    "2024-02-05",
                    "2024-01-20",
                    "2024-03-02",
                    "2024-06-14",
                    "2025-02-25",
                ]
            ),
            "amount": [100.0, 50.0, 80.0, 200.0, -200.0, 30.0, 40.0],
        }
    )
    customers = pd.DataFrame(
        {"customer_id": list("abcde"), "sales_rep": ["Léa", "Léa", "Marc", None, "Marc"]}
    )
    return aggregate(tx, customers)


def test_annual_churn_by_hand(year_agg):
    agg = year_agg
    # Active in February 2024 (March 2023 - February 2024): a 100, b 80, c 200. Active in
    # February 2025 (March 2024 - February 2025): a 50, d 30, e 40; c's window is -200.
    # Lost: b and c -> 2 / 3.
    assert annual_churn(agg.monthly, months=agg.months) == pytest.approx(2 / 3)
    by_rep = annual_churn(agg.monthly, months=agg.months, customers=agg.customers, by="sales_rep")
    # Léa: a kept, b lost -> 1/2; Marc: c lost (e is new) -> 1/1; no rep: d was not active
    # in February 2024 -> no rate.
    assert by_rep.name == "annual_churn" and by_rep.index.name == "sales_rep"
    assert by_rep.index.tolist() == ["Léa", "Marc", "unknown"]
    np.testing.assert_array_equal(by_rep.to_numpy(), [0.5, 1.0, np.nan])
    # A one-month activity window: only b bought in February 2024, and not in February 2025.
    assert annual_churn(agg.monthly, months=agg.months, activity_window=1) == 1.0
    # The same number as the headline tiles.
    kpis = headline_kpis(agg.monthly, months=agg.months)
    assert kpis["churn_rate"] == pytest.approx(2 / 3)
    # Thirteen months (February 2024 on) still have the month a year before the last, read
    # on a truncated window: January is not seen, so only b was active -> 1 / 1.
    assert annual_churn(agg.monthly, months=agg.months[1:]) == 1.0


def test_annual_churn_needs_a_year_before_the_last_month(year_agg):
    agg = year_agg
    with pytest.raises(PortfolioDataError) as error:
        annual_churn(agg.monthly, months=agg.months[2:])  # March 2024 - February 2025
    assert error.value.code == "history_too_short"
    assert error.value.details == {
        "analysis": "annual churn",
        "months_needed": 13,
        "months_available": 12,
    }
    assert "needs 13 months of history; the data cover 12" in str(error.value)
    assert "au moins 13 mois" in error.value.text("fr")
    with pytest.raises(PortfolioDataError, match="'region'"):
        annual_churn(agg.monthly, months=agg.months, customers=agg.customers, by="region")


def test_cohort_table_by_hand(agg):
    cohorts = cohort_table(agg.monthly, months=agg.months)
    # Cohorts: January (a, d), February (b), March (c); e never bought.
    assert cohorts.groupby("cohort")["customers"].first().tolist() == [2, 1, 1]
    assert len(cohorts) == 8 + 7 + 6  # observable offsets until August
    january = cohorts[cohorts["cohort"] == "2024-01-01"].set_index("offset")
    # a: 100 in Jan, 50 in Apr; d: 30 in Jan, 40 in Aug (period activity, not the window).
    assert january["active"].tolist() == [2, 0, 0, 1, 0, 0, 0, 1]
    assert january["revenue"].tolist() == [130.0, 0, 0, 50.0, 0, 0, 0, 40.0]
    np.testing.assert_allclose(january.loc[[3, 7], "revenue_share"], [50 / 130, 40 / 130])
    np.testing.assert_allclose(january.loc[[0, 3], "active_share"], [1.0, 0.5])
    february = cohorts[cohorts["cohort"] == "2024-02-01"].set_index("offset")
    # b's first month nets 0: not active, and revenue shares have no base (NaN).
    assert february.loc[0, "active"] == 0 and february.loc[5, "revenue"] == 60.0
    assert february["revenue_share"].isna().all()
    march = cohorts[cohorts["cohort"] == "2024-03-01"].set_index("offset")
    assert march.loc[1, "revenue"] == -50.0 and march.loc[1, "revenue_share"] == -0.25


def test_quarter_cohorts_and_matrix(agg):
    cohorts = cohort_table(agg.monthly, months=agg.months, period="quarter")
    # One Q1 cohort of 4 (a, b, c, d). Q1: a 100, c 200, d 30 active (b nets 0) -> 330;
    # Q2: a 50, c -50 -> 0 with a active; Q3: b 60, d 40 -> 100, two active.
    assert cohorts["cohort"].unique().tolist() == [pd.Timestamp("2024-01-01")]
    assert cohorts["active"].tolist() == [3, 1, 2]
    assert cohorts["revenue"].tolist() == [330.0, 0.0, 100.0]
    np.testing.assert_allclose(cohorts["revenue_share"], [1.0, 0.0, 100 / 330])
    matrix = cohort_matrix(cohorts)
    assert matrix.loc[pd.Timestamp("2024-01-01")].tolist() == [0.75, 0.25, 0.5]
    with pytest.raises(ValueError, match="value must be one of"):
        cohort_matrix(cohorts, value="nope")
    monthly = cohort_matrix(cohort_table(agg.monthly, months=agg.months), value="active")
    assert np.isnan(monthly.loc[pd.Timestamp("2024-03-01"), 6])  # not observable yet


def test_labels_are_registered_in_both_languages():
    keys = ["active_start", "new", "reactivated", "retained", "lost", "inactive", "churn_rate"]
    keys += ["retention_rate", "complete_history", "revenue_start", "expansion", "contraction"]
    keys += ["churned", "revenue_end", "cohort", "offset", "active_share", "revenue_share"]
    keys += ["period_start", "period_end", "status"]
    for key in keys:
        assert key in i18n.labels("fr") and key in i18n.labels("en"), key
    assert i18n.label("lost", "fr") == "Perdus" and i18n.label("churn_rate", "en") == "Churn rate"


# --------------------------------------------------------------------------------------------
# Properties on random logs, checked against brute force on the raw transactions

START = pd.Timestamp("2022-01-01")

logs = st.lists(
    st.tuples(
        st.integers(0, 5),  # customer
        st.integers(0, 3 * 365),  # day after START
        st.integers(-30_000, 100_000),  # amount in cents, credit notes included
    ),
    min_size=1,
    max_size=40,
)


def _transactions(rows) -> pd.DataFrame:
    customers, days, cents = zip(*rows, strict=True)
    tx = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in customers],
            "date": START + pd.to_timedelta(list(days), unit="D"),
            "amount": np.array(cents) / 100,
            "cents": np.array(cents, dtype=np.int64),
        }
    )
    return tx.assign(month=tx["date"].dt.to_period("M").dt.to_timestamp())


def _window_cents(tx: pd.DataFrame, end: pd.Timestamp, window: int) -> pd.Series:
    """Brute force: each customer's integer cents over the ``window`` months ending at ``end``."""
    inside = (tx["month"] <= end) & (tx["month"] > end - pd.DateOffset(months=window))
    return tx[inside].groupby("customer_id")["cents"].sum()


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    rows=logs,
    period=st.sampled_from(["month", "quarter", "year"]),
    window=st.integers(1, 12),
)
def test_movement_and_bridge_identities_match_brute_force(rows, period, window):
    tx = _transactions(rows)
    agg = aggregate(tx.drop(columns=["cents", "month"]))
    moves = movements(agg.monthly, months=agg.months, period=period, activity_window=window)
    counts = ["active_start", "new", "reactivated", "retained", "lost", "active_end"]
    assert (moves[counts] >= 0).all().all()
    identity = moves["active_start"] + moves["new"] + moves["reactivated"] - moves["lost"]
    assert (moves["active_end"] == identity).all()
    assert moves["active_start"].iat[0] == 0
    assert (moves["active_start"].iloc[1:].to_numpy() == moves["active_end"].iloc[:-1]).all()
    first_purchase = tx[tx["cents"] > 0].groupby("customer_id")["date"].min()
    first_month = first_purchase.dt.to_period("M").dt.to_timestamp().to_dict()
    previous_end = pd.Timestamp("1900-01-01")
    for row in moves.itertuples():
        cents = _window_cents(tx, row.period_end, window)
        active = set(cents.index[cents > 0])
        assert row.active_end == len(active)
        new = {
            c
            for c in active
            if c in first_month and previous_end < first_month[c] <= row.period_end
        }
        assert row.new == len(new)
        previous_end = row.period_end

    if len(moves) == 1:  # a single period end: nothing to bridge from
        with pytest.raises(PortfolioDataError, match="history"):
            revenue_bridge(agg.monthly, months=agg.months, period=period, window=window)
        return
    bridge = revenue_bridge(agg.monthly, months=agg.months, period=period, window=window)
    assert len(bridge) == len(moves) - 1
    buckets = ["new", "reactivated", "expansion", "contraction", "churned"]
    assert (bridge[buckets] >= -1e-9).all().all()
    rebuilt = (
        bridge["revenue_start"]
        + bridge["new"]
        + bridge["reactivated"]
        + bridge["expansion"]
        - bridge["contraction"]
        - bridge["churned"]
    )
    np.testing.assert_allclose(rebuilt, bridge["revenue_end"], atol=1e-6)
    np.testing.assert_allclose(
        bridge["revenue_start"].iloc[1:], bridge["revenue_end"].iloc[:-1], atol=1e-6
    )
    for row in bridge.itertuples():
        expected = _window_cents(tx, row.period_end, window).sum() / 100
        assert row.revenue_end == pytest.approx(expected, abs=1e-6)
        # Both windows in the data: the one ending the month before the period starts too.
        first_of_previous = row.period_start - pd.DateOffset(months=window)
        assert row.complete_history == (first_of_previous >= agg.months[0])

    status = customer_status(agg.monthly, months=agg.months, period=period, activity_window=window)
    assert (status.apply(lambda col: (col == "lost").sum()).to_numpy() == moves["lost"]).all()


def test_annual_churn_on_the_sample_is_every_other_reading(sample_aggregates):
    agg = sample_aggregates
    assert agg.months[-1] == pd.Timestamp("2025-12-01")  # as_of in December
    churn = annual_churn(agg.monthly, months=agg.months)
    # From the activity matrix: active in December 2024 and no longer in December 2025.
    active = active_matrix(agg.monthly, agg.months)
    start, end = active[pd.Timestamp("2024-12-01")], active[pd.Timestamp("2025-12-01")]
    assert churn == pytest.approx((start & ~end).sum() / start.sum(), rel=1e-12)
    assert 0 < churn < 1
    # The headline tiles and, as the last month is December, the yearly movements of 2025.
    assert headline_kpis(agg.monthly, months=agg.months)["churn_rate"] == churn
    yearly = movements(agg.monthly, months=agg.months, period="year")
    assert yearly.set_index("period").loc["2025", "churn_rate"] == pytest.approx(churn, rel=1e-12)
    by_segment = annual_churn(agg.monthly, months=agg.months, customers=agg.customers, by="segment")
    split = movements(
        agg.monthly, months=agg.months, period="year", customers=agg.customers, by="segment"
    )
    expected = split[split["period"] == "2025"].set_index("segment")["churn_rate"]
    pd.testing.assert_series_equal(
        by_segment, expected.rename("annual_churn"), check_index_type=False, rtol=1e-12
    )


@pytest.mark.parametrize("period", ["month", "quarter", "year"])
def test_cohort_cells_equal_the_dense_customer_period_sums(sample_aggregates, period):
    """The long-table cohort cells equal the customer x period matrix's, bit for bit."""
    from portfolio_lib.metrics.cohorts import _cohort_cells, _customer_period_sums
    from portfolio_lib.metrics.common import calendar_periods as _periods
    from portfolio_lib.metrics.common import customer_codes as _customer_codes
    from portfolio_lib.metrics.movements import NOISE, first_purchase_positions

    agg = sample_aggregates
    codes, index = _customer_codes(agg.monthly)
    # The whole grid, then one without its first 5 months (their rows are left out).
    for grid in (agg.months, agg.months[5:]):
        periods = _periods(grid, period)
        first = first_purchase_positions(agg.monthly, grid, codes, len(index))
        in_grid = (first >= 0) & (first < len(grid))
        slot = np.where(in_grid, periods.of_month[np.where(in_grid, first, 0)] + 1, 0)
        dense = _customer_period_sums(agg.monthly, grid, periods, codes, len(index), "revenue")
        n = len(periods)
        active = np.stack(
            [np.bincount(slot, weights=row > NOISE, minlength=n + 1) for row in dense]
        )
        revenue = np.stack([np.bincount(slot, weights=row, minlength=n + 1) for row in dense])
        got_active, got_revenue = _cohort_cells(agg.monthly, grid, periods, codes, slot)
        np.testing.assert_array_equal(got_active, active.T[1:])
        np.testing.assert_array_equal(got_revenue, revenue.T[1:])
        assert got_active.sum() > 0 and got_revenue.sum() > 0
    # Rows in another order take the dense path: the same cohort table.
    shuffled = agg.monthly.sample(frac=1.0, random_state=1).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        cohort_table(shuffled, months=agg.months, period=period),
        cohort_table(agg.monthly, months=agg.months, period=period),
        check_exact=False,
        rtol=1e-12,
    )


@pytest.mark.parametrize("skip", [0, 3])
def test_first_purchase_positions_same_on_sorted_and_shuffled_rows(sample_aggregates, skip):
    """The sorted-rows path (first kept row per customer) equals np.minimum.at's."""
    from portfolio_lib.metrics.common import customer_codes as _customer_codes
    from portfolio_lib.metrics.movements import _BEFORE_GRID, first_purchase_positions

    agg = sample_aggregates
    grid = agg.months[skip:]
    codes, index = _customer_codes(agg.monthly)
    fast = first_purchase_positions(agg.monthly, grid, codes, len(index))
    shuffled = agg.monthly.sample(frac=1.0, random_state=2).reset_index(drop=True)
    codes2, index2 = _customer_codes(shuffled)
    slow = first_purchase_positions(shuffled, grid, codes2, len(index2))
    np.testing.assert_array_equal(fast, slow)
    assert (fast == _BEFORE_GRID).any() == (skip > 0)


def test_first_rows_walk_each_customers_rows_by_hand():
    from portfolio_lib.metrics.movements import _first_rows

    # Customers' rows: 0:2, 2:2 (none), 2:5, 5:6.
    bounds = np.array([0, 2, 2, 5, 6])
    keep = np.array([False, True, False, False, True, False])
    # First: row 1 kept; second: no row; third: rows 2, 3 skipped, row 4; fourth: none kept.
    assert _first_rows(keep, bounds).tolist() == [1, -1, 4, -1]
    # Counts (orders) read as they are: > 0 is kept; 0, negative and NaN are not.
    orders = np.array([0, 3, 0, -1, 2, 0])
    assert _first_rows(orders, bounds).tolist() == [1, -1, 4, -1]
    floats = np.array([np.nan, 1.0, np.nan, 0.0, 0.5, np.nan])
    assert _first_rows(floats, bounds).tolist() == [1, -1, 4, -1]


def test_groups_of_a_categorical_column_equal_the_factorized_path():
    """Categorical codes (unused categories, missing values) give factorize's groups."""
    from portfolio_lib.metrics.common import customer_groups as _groups

    index = pd.Index(["a", "b", "c", "d", "e"], name="customer_id")
    values = ["Sud", None, "Nord", "Sud", "unknown"]
    plain = pd.DataFrame({"customer_id": list(index), "region": pd.Series(values, dtype=object)})
    categorical = plain.assign(
        region=pd.Categorical(values, categories=["Est", "Nord", "Sud", "unknown"])
    )
    codes, groups = _groups(categorical, "region", index, "test")
    expected_codes, expected_groups = _groups(plain, "region", index, "test")
    # Est is used by nobody: no group; b (missing) and e ("unknown") share the last group.
    assert groups == expected_groups == ["Nord", "Sud", "unknown"]
    assert codes.tolist() == expected_codes.tolist() == [1, 2, 0, 1, 2]
    # Customers in another order than the table's: aligned by id, the same way.
    shuffled = categorical.iloc[[3, 0, 4, 1, 2]]
    codes, groups = _groups(shuffled, "region", index, "test")
    assert (codes.tolist(), groups) == ([1, 2, 0, 1, 2], ["Nord", "Sud", "unknown"])


def test_calendar_periods_by_hand():
    # By hand: 2023-11 .. 2024-08 in quarters ends at 2023-12, 2024-03, 2024-06, 2024-08.
    from portfolio_lib.metrics.common import calendar_periods

    grid = pd.date_range("2023-11-01", "2024-08-01", freq="MS")
    quarters = calendar_periods(grid, "quarter")
    assert quarters.labels == ["2023-Q4", "2024-Q1", "2024-Q2", "2024-Q3"]
    assert quarters.starts.tolist() == [0, 2, 5, 8]
    assert quarters.ends.tolist() == [1, 4, 7, 9]
    assert quarters.of_month.tolist() == [0, 0, 1, 1, 1, 2, 2, 2, 3, 3]
    for other in (grid.rename("month"), pd.DatetimeIndex(grid, freq=None), grid.as_unit("s")):
        periods = calendar_periods(other, "quarter")
        assert periods.start_months.equals(other[[0, 2, 5, 8]])
        assert periods.start_months.name == other.name


def test_bridge_buckets_follow_the_statuses():
    """The bridge's buckets from two activity rows: the status table's mapping by hand
    (reactivated 1, lost 2, retained or inactive 3, or 4 when their delta is negative)."""
    from portfolio_lib.metrics.movements import _bridge_buckets

    start = np.array([0, 0, 1, 1, 0, 1, 0, 1], dtype=bool)
    end = np.array([0, 1, 0, 1, 0, 1, 1, 0], dtype=bool)
    delta = np.array([0.0, 5.0, -3.0, 2.0, -1.0, -4.0, -0.5, 1.0])
    got = _bridge_buckets(start, end, delta)
    # inactive +0 -> 3; reactivated; lost; retained +2 -> 3; inactive -1 -> 4;
    # retained -4 -> 4; reactivated (negative delta: still 1); lost (positive: still 2).
    assert got.tolist() == [3, 1, 2, 3, 4, 4, 1, 2]
    rng = np.random.default_rng(2)
    start, end = rng.random(1_000) < 0.5, rng.random(1_000) < 0.5
    delta = rng.normal(size=1_000)
    status = np.where(start, np.where(end, "retained", "lost"), np.where(end, "react", "none"))
    expected = np.select([status == "react", status == "lost", delta < 0], [1, 2, 4], default=3)
    assert _bridge_buckets(start, end, delta).tolist() == expected.tolist()


@pytest.mark.parametrize("period", ["month", "quarter", "year"])
def test_new_in_a_period_are_the_first_purchases_active_at_its_end(sample_aggregates, period):
    """The bridge's new customers of period p (first purchase in p and active at its end, one
    comparison per period) are :func:`_new_rows` of p."""
    from portfolio_lib.metrics.common import calendar_periods as _periods
    from portfolio_lib.metrics.movements import _new_rows, activity_panel

    agg = sample_aggregates
    panel = activity_panel(agg.monthly, agg.months, _periods(agg.months, period), 12)
    new = _new_rows(panel)
    for p in range(len(panel.periods)):
        found = np.flatnonzero((panel.first_period == p) & panel.active[p])
        assert found.tolist() == new[panel.first_period[new] == p].tolist()
    assert len(new) > 0


@pytest.mark.parametrize("period", ["month", "quarter", "year"])
def test_panel_first_periods_are_kept_and_equal_the_first_purchases(sample_aggregates, period):
    """The first period of each customer (-1 outside the grid), the buyers and their cells:
    computed once per division of the grid, read-only, as from the first purchases; the
    buyers are found once per grid, for every division of it."""
    from portfolio_lib.metrics.common import calendar_periods as _periods
    from portfolio_lib.metrics.common import customer_codes as _customer_codes
    from portfolio_lib.metrics.movements import activity_panel as _panel
    from portfolio_lib.metrics.movements import first_purchase_positions

    agg = sample_aggregates
    periods = _periods(agg.months, period)
    panel = _panel(agg.monthly, agg.months, periods, 12)
    codes, index = _customer_codes(agg.monthly)
    first = first_purchase_positions(agg.monthly, agg.months, codes, len(index))
    in_grid = (first >= 0) & (first < len(agg.months))
    expected = np.where(in_grid, periods.of_month[np.where(in_grid, first, 0)], -1)
    assert panel.first_period.tolist() == expected.tolist()
    assert panel.buyers.tolist() == np.flatnonzero(expected >= 0).tolist()
    flat_cells = expected[panel.buyers] * len(index) + panel.buyers
    assert panel.buyer_cells.tolist() == flat_cells.tolist()
    again = _panel(agg.monthly, agg.months, periods, 12)
    assert again.first_period is panel.first_period and again.buyers is panel.buyers
    assert not panel.first_period.flags.writeable and not panel.buyer_cells.flags.writeable
    other = _periods(agg.months, "quarter" if period == "month" else "month")
    assert _panel(agg.monthly, agg.months, other, 12).buyers is panel.buyers
    # A shorter grid (its first 5 months off): its own buyers, first purchases in it only.
    grid = agg.months[5:]
    short = _panel(agg.monthly, grid, _periods(grid, period), 12)
    first = first_purchase_positions(agg.monthly, grid, codes, len(index))
    in_grid = (first >= 0) & (first < len(grid))
    assert short.buyers.tolist() == np.flatnonzero(in_grid).tolist()
    assert len(short.buyers) < len(panel.buyers)
