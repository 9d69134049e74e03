"""Weight of the portfolio: hand-computed values on a tiny log, and checks on the sample.

The hand log (January to August 2024), amounts with their margin in brackets:

- a (Léa, potential 1000): 100 [40] in January, 50 [20] in April;
- b (Léa, potential 500): 80 [24] in February credited -80 [-24] the same month, 60 [18] in July;
- c (Marc, potential 2000): 200 [50] in March, credit note -50 [-12.5] in April;
- d (no sales rep, no potential): 30 [9] in January, 40 [12] in August;
- e (Marc, potential 100): a credit note -20 [-6] in May only;
- p (Marc, potential 4000): a prospect, no transaction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portfolio_lib import i18n
from portfolio_lib.config import SAMPLE_FILES
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.data.load import load_portfolio
from portfolio_lib.engine.aggregate import aggregate
from portfolio_lib.metrics.movements import movements
from portfolio_lib.metrics.weight import headline_kpis, weight_by, weight_over_time


@pytest.fixture(scope="module")
def tx():
    return pd.DataFrame(
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
            "margin": [40.0, 20.0, 24.0, -24.0, 18.0, 50.0, -12.5, 9.0, 12.0, -6.0],
        }
    )


@pytest.fixture(scope="module")
def customers():
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "p"],
            "sales_rep": ["Léa", "Léa", "Marc", None, "Marc", "Marc"],
            "potential": [1000.0, 500.0, 2000.0, np.nan, 100.0, 4000.0],
        }
    )


@pytest.fixture(scope="module")
def agg(tx, customers):
    return aggregate(tx, customers)


def test_weight_over_time_by_month(agg):
    got = weight_over_time(
        agg.monthly, months=agg.months, customers=agg.customers, activity_window=3
    )
    assert got.columns.tolist() == [
        "period_start",
        "period_end",
        "period",
        "active_customers",
        "revenue",
        "margin",
        "revenue_window",
        "potential",
    ]
    # Active at month ends: {a,d} {a,d} {a,c,d} {a,c} {a,c} {a} {b} {b,d}.
    assert got["active_customers"].tolist() == [2, 2, 3, 2, 2, 1, 1, 2]
    # Within each month: Jan 100 + 30; Feb 80 - 80; Mar 200; Apr 50 - 50; May -20; Jul 60; Aug 40.
    assert got["revenue"].tolist() == [130.0, 0.0, 200.0, 0.0, -20.0, 0.0, 60.0, 40.0]
    # Margins: Jan 40 + 9; Apr 20 - 12.5; May -6; Jul 18; Aug 12.
    assert got["margin"].tolist() == [49.0, 0.0, 50.0, 7.5, -6.0, 0.0, 18.0, 12.0]
    # Trailing 3 months: Apr = a 50 + c (200 - 50); May = a 50 + c 150 + e -20;
    # Jun = a 50 + c -50 + e -20; Jul = e -20 + b 60; Aug = b 60 + d 40.
    assert got["revenue_window"].tolist() == [130.0, 130.0, 330.0, 200.0, 180.0, -20.0, 40.0, 100.0]
    # Potential of the active customers (d has none): a; a; a + c; ...; a; b; b.
    assert got["potential"].tolist() == [
        1000.0,
        1000.0,
        3000.0,
        3000.0,
        3000.0,
        1000.0,
        500.0,
        500.0,
    ]


def test_weight_over_time_by_group_and_quarter(agg):
    got = weight_over_time(
        agg.monthly,
        months=agg.months,
        customers=agg.customers,
        by="sales_rep",
        period="quarter",
        activity_window=3,
    )
    assert got["sales_rep"].tolist() == ["Léa", "Marc", "unknown"] * 3
    assert got["period"].tolist() == ["2024-Q1"] * 3 + ["2024-Q2"] * 3 + ["2024-Q3"] * 3
    # Q1 (active at the end of March): Léa a; Marc c; unknown d.
    # Q2 (end of June): Léa a only. Q3 (end of August): Léa b, unknown d.
    assert got["active_customers"].tolist() == [1, 1, 1, 1, 0, 0, 1, 0, 1]
    # Revenue within the quarter: Q1 Léa 100 + 0, Marc 200, d 30; Q2 Léa 50, Marc -50 - 20;
    # Q3 Léa 60, d 40.
    assert got["revenue"].tolist() == [100.0, 200.0, 30.0, 50.0, -70.0, 0.0, 60.0, 0.0, 40.0]
    assert got["margin"].tolist() == [40.0, 50.0, 9.0, 20.0, -18.5, 0.0, 18.0, 0.0, 12.0]
    # Trailing 3 months at the quarter end equals the quarter here (3-month quarters),
    # and Jun-Aug for the partial Q3: Léa b 60, d 40.
    assert got["revenue_window"].tolist() == [100.0, 200.0, 30.0, 50.0, -70.0, 0.0, 60.0, 0.0, 40.0]
    assert got["potential"].tolist() == [1000.0, 2000.0, 0.0, 1000.0, 0.0, 0.0, 500.0, 0.0, 0.0]


def test_weight_over_time_per_year_and_without_margin_or_potential(tx):
    agg = aggregate(tx.drop(columns="margin"))
    got = weight_over_time(agg.monthly, months=agg.months, period="year")
    # 12-month window: a, b, c, d active; revenue = 100 + 50 + 80 - 80 + 60 + 200 - 50 + 30
    # + 40 - 20 = 410.
    assert got[["active_customers", "revenue", "revenue_window"]].to_numpy().tolist() == [
        [4, 410.0, 410.0]
    ]
    assert got["margin"].isna().all() and "potential" not in got


def test_weight_by_sales_rep(agg):
    got = weight_by(
        agg.monthly, months=agg.months, customers=agg.customers, by="sales_rep", window=3
    )
    # Window June-August: b 60 [18] (Léa), d 40 [12] (unknown); Marc's customers have 0.
    expected = pd.DataFrame(
        {
            "sales_rep": ["Léa", "unknown", "Marc"],
            "customers": [1, 1, 0],
            "customer_share": [0.5, 0.5, 0.0],
            "revenue": [60.0, 40.0, 0.0],
            "revenue_share": [0.6, 0.4, 0.0],
            "margin": [18.0, 12.0, 0.0],
            "margin_rate": [0.3, 0.3, np.nan],  # 0 / 0
            "revenue_per_customer": [60.0, 40.0, np.nan],  # nobody active for Marc
            # Léa a + b = 1500; d has no potential; Marc c + e + p (prospect) = 6100.
            "potential": [1500.0, 0.0, 6100.0],
            "penetration": [60 / 1500, np.nan, 0.0],
        }
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_weight_by_window_ending_earlier(agg):
    got = weight_by(
        agg.monthly,
        months=agg.months,
        customers=agg.customers,
        by="sales_rep",
        window=3,
        end="2024-05-15",
    ).set_index("sales_rep")
    # March-May: Marc c 200 - 50 [37.5] and e -20 [-6] -> 130 [31.5] with c active;
    # Léa a 50 [20]; d nothing.
    assert got.index.tolist() == ["Marc", "Léa", "unknown"]
    assert got.loc["Marc", ["customers", "revenue", "margin"]].tolist() == [1, 130.0, 31.5]
    assert got.loc["Léa", ["customers", "revenue", "margin"]].tolist() == [1, 50.0, 20.0]
    assert got.loc["unknown", "customers"] == 0
    with pytest.raises(ValueError, match="outside the data"):
        weight_by(
            agg.monthly,
            months=agg.months,
            customers=agg.customers,
            by="sales_rep",
            end="2025-01-01",
        )


def test_weight_by_counts_prospects_outside_the_log(agg, customers):
    # A customer table richer than the aggregates: z is a prospect of a new rep.
    more = pd.concat(
        [
            customers,
            pd.DataFrame({"customer_id": ["z"], "sales_rep": ["Zoé"], "potential": [999.0]}),
        ]
    )
    got = weight_by(agg.monthly, months=agg.months, customers=more, by="sales_rep", window=3)
    zoe = got.set_index("sales_rep").loc["Zoé"]
    assert zoe[["customers", "revenue", "potential", "penetration"]].tolist() == [0, 0, 999, 0]
    assert got["sales_rep"].tolist() == ["Léa", "unknown", "Marc", "Zoé"]  # ties by name


def test_weight_by_needs_the_attribute(agg):
    with pytest.raises(PortfolioDataError) as error:
        weight_by(agg.monthly, months=agg.months, customers=agg.customers, by="region")
    assert error.value.code == "missing_attribute"
    assert "region" in error.value.text("fr") and "potential" in str(error.value)
    with pytest.raises(PortfolioDataError, match="region"):
        weight_over_time(agg.monthly, months=agg.months, by="region")


def test_headline_kpis_by_hand(agg):
    kpis = headline_kpis(agg.monthly, months=agg.months, customers=agg.customers, window=3)
    # Last window June-August: b 60 [18], d 40 [12] active; window before (March-May):
    # a 50 + c 150 - e 20 = 180. At the end of May a and c were active; both lapsed by
    # August (b and d came back, they are not new): 2 lost of 2.
    expected = {
        "active_customers": 2,
        "revenue": 100.0,
        "revenue_previous": 180.0,
        "revenue_growth": 100 / 180 - 1,
        "margin": 30.0,
        "margin_rate": 0.3,
        "revenue_per_customer": 50.0,
        "new_customers": 0,
        "lost_customers": 2,
        "churn_rate": 1.0,
        "potential": 7600.0,  # 1000 + 500 + 2000 + 100 + 4000 (prospect included)
        "penetration": 100 / 7600,
    }
    assert kpis.index.tolist() == list(expected)
    np.testing.assert_allclose(kpis.to_numpy(dtype=float), list(expected.values()))


def test_headline_kpis_short_history_and_no_base(agg):
    two = headline_kpis(agg.monthly, months=agg.months, window=2)
    # July-August: b 60, d 40. May-June: only e's -20, so no growth rate; nobody was active
    # at the end of June with a 2-month window (a's and c's April invoices are out of it).
    assert two["revenue"] == 100.0 and two["revenue_previous"] == -20.0
    assert np.isnan(two["revenue_growth"]) and np.isnan(two["churn_rate"])
    assert two["lost_customers"] == 0 and "potential" not in two
    six = headline_kpis(agg.monthly, months=agg.months, window=6)
    # The 6 months before March-August start before the data: not a comparable base.
    assert np.isnan(six["revenue_previous"]) and np.isnan(six["revenue_growth"])
    # March-August: a 50, b 60, c 150, d 40 (e -20 is not active); first purchases in the
    # window and active in August: c (March) -> 1 new; active at the end of February: a, d,
    # both still active -> 0 lost.
    assert six["active_customers"] == 4 and six["revenue"] == 280.0
    assert six["new_customers"] == 1 and six["lost_customers"] == 0 and six["churn_rate"] == 0


def test_labels_are_registered():
    for key in ("active_customers", "revenue_window", "customer_share", "margin_rate"):
        assert key in i18n.labels("fr")
    for key in ("revenue_per_customer", "penetration", "revenue_previous", "revenue_growth"):
        assert key in i18n.labels("en")
    assert i18n.label("new_customers", "fr") == "Nouveaux clients"


@pytest.fixture(scope="module")
def sample():
    portfolio = load_portfolio(SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"])
    return aggregate(portfolio.transactions, portfolio.customers)


def test_sample_weights_add_up_to_the_headline(sample):
    kpis = headline_kpis(sample.monthly, months=sample.months, customers=sample.customers)
    by_rep = weight_by(
        sample.monthly, months=sample.months, customers=sample.customers, by="sales_rep"
    )
    assert by_rep["customers"].sum() == kpis["active_customers"]
    assert by_rep["revenue"].sum() == pytest.approx(kpis["revenue"])
    assert by_rep["revenue_share"].sum() == pytest.approx(1.0)
    assert by_rep["potential"].sum() == pytest.approx(kpis["potential"])
    assert by_rep["revenue"].is_monotonic_decreasing
    # Independent: the last 12 months of the raw log.
    tx = load_portfolio(SAMPLE_FILES["transactions"]).transactions
    last_year = tx[tx["date"] >= "2025-01-01"]
    assert kpis["revenue"] == pytest.approx(last_year["amount"].sum())
    assert kpis["margin"] == pytest.approx(last_year["margin"].sum())
    # One implementation of the movements: the tiles equal the yearly movements of 2025.
    year = movements(sample.monthly, months=sample.months, period="year").iloc[-1]
    assert (kpis["new_customers"], kpis["lost_customers"]) == (year["new"], year["lost"])
    over_time = weight_over_time(sample.monthly, months=sample.months, period="year")
    assert over_time["revenue"].iat[-1] == pytest.approx(kpis["revenue"])
    assert over_time["active_customers"].iat[-1] == kpis["active_customers"]


def test_headline_kpis_are_kept_with_the_table_and_follow_its_changes(agg):
    """A second call reads the kept figures; a changed table gets new ones."""
    first = headline_kpis(agg.monthly, months=agg.months, window=12)
    first["revenue"] = -1.0  # the caller's copy: the kept figures are untouched
    again = headline_kpis(agg.monthly, months=agg.months, window=12)
    assert again["revenue"] != -1.0
    changed = agg.monthly.assign(revenue=agg.monthly["revenue"] * 2)
    doubled = headline_kpis(changed, months=agg.months, window=12)
    assert doubled["revenue"] == pytest.approx(2 * again["revenue"])
    assert doubled["active_customers"] == again["active_customers"]


@pytest.mark.parametrize("by", ["sales_rep", "segment"])
def test_weight_tables_same_with_customers_in_another_order(sample, by):
    """The Aggregates fast paths (customer table in the index's order, categorical codes)
    give what aligning a shuffled customer table by id gives, to the last bit."""
    shuffled = sample.customers.sample(frac=1.0, random_state=4).reset_index(drop=True)
    shuffled[by] = shuffled[by].astype(object)  # factorized, not read from the codes
    fast = weight_by(sample.monthly, months=sample.months, customers=sample.customers, by=by)
    general = weight_by(sample.monthly, months=sample.months, customers=shuffled, by=by)
    pd.testing.assert_frame_equal(fast, general, check_exact=True)
    fast = weight_over_time(sample.monthly, months=sample.months, customers=sample.customers, by=by)
    general = weight_over_time(sample.monthly, months=sample.months, customers=shuffled, by=by)
    pd.testing.assert_frame_equal(fast, general, check_exact=True)


@pytest.mark.parametrize("by", [None, "segment"])
def test_revenue_per_period_adds_the_rows_in_order_as_one_bincount(sample, by):
    """Revenue and margin within each month: the rows added one after the other from 0, as
    one bincount keyed by month (and group) over the long table, bit for bit."""
    got = weight_over_time(sample.monthly, months=sample.months, customers=sample.customers, by=by)
    month = sample.months.get_indexer(sample.monthly["month"])
    assert (month >= 0).all()
    key, n_keys = month, len(sample.months)
    if by is not None:
        groups = sorted(sample.customers[by].dropna().unique())
        code = sample.customers[by].map({g: i for i, g in enumerate(groups)})
        customer = sample.monthly["customer_id"].cat.codes.to_numpy()
        group = code.fillna(len(groups)).to_numpy(dtype=np.int64)[customer]
        n_groups = len(groups) + int(sample.customers[by].isna().any())
        key, n_keys = month * n_groups + group, n_keys * n_groups
    for name in ("revenue", "margin"):
        weights = sample.monthly[name].fillna(0.0).to_numpy()
        expected = np.round(np.bincount(key, weights=weights, minlength=n_keys), 9)
        assert got[name].tolist() == expected.tolist()
