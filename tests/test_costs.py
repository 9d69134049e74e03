"""CAC, CRC and payback: hand-computed values, budgets, and the sample generator's formula.

The hand log (January to August 2024), amounts with their margin in brackets:

- a (acquired on the web): 100 [40] in January, 50 [20] in April;
- b (web): 80 [24] in February credited -80 [-24] the same month, 60 [18] in July;
- c (no acquisition channel): 200 [50] in March, credit note -50 [-12.5] in April;
- d (trade show, "Salon"): 30 [9] in January, 40 [12] in August;
- e (web): only a credit note -20 [-6] in May: never acquired;
- p (Salon): a prospect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portfolio_lib import i18n
from portfolio_lib.config import SAMPLE_FILES
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.data.load import load_portfolio
from portfolio_lib.data.sample import _CHANNELS
from portfolio_lib.engine.aggregate import aggregate
from portfolio_lib.metrics import costs as costs_module
from portfolio_lib.metrics.common import calendar_periods as _periods
from portfolio_lib.metrics.costs import (
    acquisition_costs,
    cac_payback,
    cost_summaries,
    cost_summary,
    costs_from_budgets,
    ltv_to_cac,
    retention_costs,
)
from portfolio_lib.metrics.movements import movements

NAN = np.nan


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
            "acquisition_channel": ["Web", "Web", None, "Salon", "Web", "Salon"],
        }
    )


@pytest.fixture(scope="module")
def agg(tx, customers):
    return aggregate(tx, customers)


@pytest.fixture(scope="module")
def costs():
    return pd.DataFrame(
        {
            "period": pd.to_datetime(
                [
                    "2023-12-01",  # before the first transaction: ignored
                    "2024-01-01",
                    "2024-01-01",
                    "2024-02-01",
                    "2024-03-01",
                    "2024-04-01",
                    "2024-05-01",
                ]
            ),
            "kind": ["acquisition"] * 5 + ["retention"] * 2,
            "amount": [999.0, 300.0, 100.0, 200.0, 150.0, 90.0, 60.0],
            "channel": ["Web", "Web", None, "Salon", "Web", None, None],
        }
    )


def test_costs_from_budgets():
    months = pd.date_range("2024-01-01", periods=2, freq="MS")
    got = costs_from_budgets(months, acquisition_budget=1000, retention_budget=500.0)
    expected = pd.DataFrame(
        {
            "period": pd.to_datetime(["2024-01-01", "2024-02-01"] * 2).as_unit("ns"),
            "kind": ["acquisition", "acquisition", "retention", "retention"],
            "amount": [1000.0, 1000.0, 500.0, 500.0],
            "channel": pd.Series([NAN] * 4, dtype=object),
        }
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got["channel"].isna().all()
    assert costs_from_budgets(months, acquisition_budget=None, retention_budget=None).empty
    with pytest.raises(ValueError, match="retention_budget must be a positive amount"):
        costs_from_budgets(months, acquisition_budget=1.0, retention_budget=-5)


def test_acquisition_costs_by_month(costs, agg):
    got = acquisition_costs(costs, agg.customers, months=agg.months)
    # First purchases: a, d in January; b in February (cancelled, but acquired); c in March.
    # e never bought (credit note only) and is not counted. Spend: Jan 300 + 100, Feb 200,
    # Mar 150; no acquisition row from April on -> unknown spend, not 0.
    assert got["new_customers"].tolist() == [2, 1, 1, 0, 0, 0, 0, 0]
    np.testing.assert_array_equal(
        got["acquisition_spend"], [400.0, 200.0, 150.0, NAN, NAN, NAN, NAN, NAN]
    )
    # CAC = 400 / 2, 200 / 1, 150 / 1.
    np.testing.assert_array_equal(got["cac"], [200.0, 200.0, 150.0] + [NAN] * 5)
    assert got["period"].tolist()[:2] == ["2024-01", "2024-02"]


def test_acquisition_costs_by_channel_per_quarter(costs, agg):
    got = acquisition_costs(
        costs, agg.customers, months=agg.months, period="quarter", by_channel=True
    )
    assert got["channel"].tolist() == ["Salon", "Web", "unknown", "unallocated"] * 3
    q1 = got[got["period"] == "2024-Q1"].set_index("channel")
    # Salon: 200 for d -> 200. Web: 300 + 150 for a and b -> 225. c has no channel: no spend
    # attributed (CAC 0). The 100 without channel wins nobody by itself: CAC unknown.
    assert q1["acquisition_spend"].tolist() == [200.0, 450.0, 0.0, 100.0]
    assert q1["new_customers"].tolist() == [1, 2, 1, 0]
    np.testing.assert_array_equal(q1["cac"], [200.0, 225.0, 0.0, NAN])
    later = got[got["period"] != "2024-Q1"]
    assert later["acquisition_spend"].isna().all() and (later["new_customers"] == 0).all()
    total = acquisition_costs(costs, agg.customers, months=agg.months, period="quarter")
    assert total["acquisition_spend"].iat[0] == q1["acquisition_spend"].sum() == 750.0
    assert total["new_customers"].iat[0] == 4 and total["cac"].iat[0] == 187.5


def test_acquisition_by_channel_needs_the_channel(costs, agg):
    with pytest.raises(PortfolioDataError) as error:
        acquisition_costs(
            costs,
            agg.customers.drop(columns="acquisition_channel"),
            months=agg.months,
            by_channel=True,
        )
    assert error.value.code == "missing_attribute" and "acquisition_channel" in str(error.value)


def test_retention_costs(costs, agg):
    got = retention_costs(costs, agg.monthly, months=agg.months, activity_window=3)
    # Retained (active at the end of the month before and of the month), from movements:
    # Feb a, d; Mar a, d; Apr a, c; May a, c; Jun a; Aug b.
    assert got["retained_customers"].tolist() == [0, 2, 2, 2, 2, 1, 0, 1]
    np.testing.assert_array_equal(got["retention_spend"], [NAN] * 3 + [90.0, 60.0] + [NAN] * 3)
    np.testing.assert_array_equal(got["crc"], [NAN] * 3 + [45.0, 30.0] + [NAN] * 3)
    quarter = retention_costs(
        costs, agg.monthly, months=agg.months, period="quarter", activity_window=3
    )
    # Q2: 90 + 60 for a, the only customer active at the end of March and of June.
    assert quarter["retained_customers"].tolist() == [0, 1, 0]
    np.testing.assert_array_equal(quarter["crc"], [NAN, 150.0, NAN])


def test_cac_payback_by_hand(costs, agg):
    cac = acquisition_costs(costs, agg.customers, months=agg.months)
    got = cac_payback(agg.monthly, agg.customers, months=agg.months, cac=cac, horizon_months=3)
    # January cohort a, d: margin in their first 3 months 40 + 9 = 49 over 2 x 3 months
    # -> 8.1667 a month; CAC 200 -> 24.49 months. February (b): 24 - 24 = 0 -> never pays
    # back. March (c): 50 - 12.5 = 37.5 over 3 months -> 12.5; CAC 150 -> 12 months.
    assert got["new_customers"].tolist() == [2, 1, 1, 0, 0, 0, 0, 0]
    assert got["customer_months"].tolist() == [6, 3, 3, 0, 0, 0, 0, 0]
    np.testing.assert_allclose(got["cohort_margin"], [49.0, 0.0, 37.5, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(got["monthly_margin_per_customer"][:3], [49 / 6, 0.0, 12.5])
    np.testing.assert_allclose(
        got["payback_months"], [200 / (49 / 6), NAN, 12.0] + [NAN] * 5, equal_nan=True
    )


def test_cac_payback_with_observed_months_only(agg):
    got = cac_payback(agg.monthly, agg.customers, months=agg.months, cac=100.0)
    # 12-month horizon, stopped in August: a and d 8 months (40 + 20, 9 + 12),
    # b 7 months (24 - 24 + 18), c 6 months (50 - 12.5).
    assert got["customer_months"].tolist()[:3] == [16, 7, 6]
    np.testing.assert_allclose(got["cohort_margin"][:3], [81.0, 18.0, 37.5])
    np.testing.assert_allclose(got["payback_months"][:3], [100 / (81 / 16), 100 / (18 / 7), 16.0])
    quarter = cac_payback(
        agg.monthly, agg.customers, months=agg.months, cac=100.0, period="quarter", horizon_months=3
    )
    # Q1 cohort a, b, c, d, each 3 months from its own first month: 40 + 0 + 37.5 + 9 = 86.5
    # over 12 customer-months.
    assert quarter["new_customers"].tolist() == [4, 0, 0]
    np.testing.assert_allclose(quarter["payback_months"], [100 / (86.5 / 12), NAN, NAN])
    by_label = cac_payback(
        agg.monthly, agg.customers, months=agg.months, cac=pd.Series({"2024-03": 150.0})
    )
    assert by_label["cac"].isna().sum() == 7 and by_label["payback_months"].iat[2] == 24.0


def test_cac_payback_without_margin_uses_a_margin_rate(tx, customers):
    agg = aggregate(tx.drop(columns="margin"), customers)
    default = cac_payback(
        agg.monthly, agg.customers, months=agg.months, cac=150.0, horizon_months=3
    )
    # March cohort c: (200 - 50) x 30 % = 45 over 3 months -> 15 a month -> 10 months.
    assert default["payback_months"].iat[2] == pytest.approx(10.0)
    half = cac_payback(
        agg.monthly, agg.customers, months=agg.months, cac=150.0, horizon_months=3, margin_rate=0.5
    )
    assert half["payback_months"].iat[2] == pytest.approx(6.0)  # 75 / 3 = 25 a month


def test_cost_summary(costs, agg):
    got = cost_summary(
        costs, agg.monthly, agg.customers, months=agg.months, period="quarter", activity_window=3
    )
    assert got.columns.tolist() == [
        "period_start",
        "period_end",
        "period",
        "acquisition_spend",
        "new_customers",
        "cac",
        "retention_spend",
        "retained_customers",
        "crc",
        "payback_months",
    ]
    q1 = got.iloc[0]
    # Payback with the default 12-month horizon: a 60 (8 months), b 18 (7), c 37.5 (6),
    # d 21 (8) -> 136.5 / 29 a month; CAC 187.5.
    assert (q1["acquisition_spend"], q1["new_customers"], q1["cac"]) == (750.0, 4, 187.5)
    assert q1["payback_months"] == pytest.approx(187.5 / (136.5 / 29))
    assert got["crc"].iat[1] == 150.0 and np.isnan(got["retention_spend"].iat[0])


def test_cost_summary_passes_the_payback_horizon_and_margin_rate(costs, agg):
    kwargs = {"months": agg.months, "period": "quarter", "activity_window": 3}
    three = cost_summary(costs, agg.monthly, agg.customers, horizon_months=3, **kwargs)
    # Q1 cohort a, b, c, d over their first 3 months, the log's margin: 40 + 0 + 37.5 + 9 =
    # 86.5 over 12 customer-months; CAC 750 / 4 = 187.5.
    assert three["payback_months"].iat[0] == pytest.approx(187.5 / (86.5 / 12))
    half = cost_summary(
        costs, agg.monthly, agg.customers, horizon_months=3, margin_rate=0.5, **kwargs
    )
    # Half of the net revenue of those months: a 100, b 80 - 80, c 200 - 50, d 30 -> 140.
    assert half["payback_months"].iat[0] == pytest.approx(187.5 / (140.0 / 12))
    direct = cac_payback(
        agg.monthly,
        agg.customers,
        months=agg.months,
        period="quarter",
        cac=acquisition_costs(costs, agg.customers, months=agg.months, period="quarter"),
        horizon_months=3,
        margin_rate=0.5,
    )
    np.testing.assert_array_equal(half["payback_months"], direct["payback_months"])
    # CAC and CRC do not depend on the payback settings.
    for column in ("cac", "crc"):
        np.testing.assert_array_equal(half[column], three[column])


def test_cost_summaries_are_each_period_s_cost_summary(costs, agg):
    # One call for several periods (first purchases and payback margins computed once) gives
    # each period's table of cost_summary, and of the separate CAC, CRC and payback functions.
    kwargs = {"months": agg.months, "activity_window": 3, "horizon_months": 3}
    tables = cost_summaries(
        costs, agg.monthly, agg.customers, periods=("quarter", "year", "quarter"), **kwargs
    )
    assert list(tables) == ["quarter", "year"]
    for period, table in tables.items():
        alone = cost_summary(costs, agg.monthly, agg.customers, period=period, **kwargs)
        pd.testing.assert_frame_equal(table, alone, check_exact=True)
        cac = acquisition_costs(costs, agg.customers, months=agg.months, period=period)
        np.testing.assert_array_equal(table["cac"], cac["cac"])
        tables_of = (agg.monthly, agg.customers)
        payback = cac_payback(
            *tables_of, months=agg.months, period=period, cac=cac, horizon_months=3
        )
        np.testing.assert_array_equal(table["payback_months"], payback["payback_months"])
    # Q1 as in test_cost_summary_passes_the_payback_horizon_and_margin_rate: 187.5 / (86.5 /
    # 12). The year 2024 is that cohort (a, b, c, d; e has only a credit note): spend 300 +
    # 100 + 200 + 150 (the 2023 row is off the grid), CAC 750 / 4, the same payback.
    assert tables["quarter"]["payback_months"].iat[0] == pytest.approx(187.5 / (86.5 / 12))
    year = tables["year"].iloc[0]
    assert (year["acquisition_spend"], year["new_customers"], year["cac"]) == (750.0, 4, 187.5)
    assert year["payback_months"] == pytest.approx(187.5 / (86.5 / 12))


def test_cost_summary_without_costs(agg):
    with pytest.raises(PortfolioDataError) as error:
        cost_summary(None, agg.monthly, agg.customers, months=agg.months)
    assert error.value.code == "no_costs"
    # The fix names the notebook parameters and the function arguments, in both languages.
    for text in (str(error.value), error.value.text("fr")):
        for name in ("ACQUISITION_BUDGET", "RETENTION_BUDGET", "acquisition_budget=20000"):
            assert name in text, (name, text)
        assert "retention_budget=8000" in text
    got = cost_summary(
        None,
        agg.monthly,
        agg.customers,
        months=agg.months,
        period="quarter",
        acquisition_budget=1000.0,
    )
    # 3 months x 1000 for the 4 customers of Q1; 2 months x 1000 in Q3, nobody new.
    np.testing.assert_array_equal(got["acquisition_spend"], [3000.0, 3000.0, 2000.0])
    np.testing.assert_array_equal(got["cac"], [750.0, NAN, NAN])
    assert got["retention_spend"].isna().all()  # no retention budget: unknown, not free


def test_ltv_to_cac():
    assert ltv_to_cac(3000.0, 1000.0) == 3.0
    assert np.isnan(ltv_to_cac(3000.0, 0.0))
    ratio = ltv_to_cac(
        pd.Series({"Web": 900.0, "Salon": 2000.0, "Terrain": 50.0}),
        pd.Series({"Web": 300.0, "Salon": 0.0, "Terrain": 100.0}),
    )
    np.testing.assert_array_equal(ratio, [3.0, NAN, 0.5])
    assert ratio.name == "ltv_to_cac"
    assert ltv_to_cac(pd.Series({"x": 10.0}), 4.0).tolist() == [2.5]


def test_labels_are_registered():
    for key in ("acquisition_spend", "retention_spend", "cac", "crc", "payback_months"):
        assert key in i18n.labels("fr") and key in i18n.labels("en")
    assert i18n.label("unallocated", "fr").startswith("Non affecté")


def test_sample_cac_by_channel_matches_the_generator_formula():
    portfolio = load_portfolio(
        SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"], SAMPLE_FILES["costs"]
    )
    agg = aggregate(portfolio.transactions, portfolio.customers)
    got = acquisition_costs(
        portfolio.costs, agg.customers, months=agg.months, period="year", by_channel=True
    )
    assert set(got["channel"]) == set(_CHANNELS)  # every cost row has a channel
    # The generator spends, per channel and month, (new x CAC + 2 x CAC) x U(0.8, 1.2), so a
    # year's spend lies in [0.8, 1.2] x CAC x (new of the year + 24). Its "new" are counted on
    # acquisition dates; first invoices falling on a weekend move to the Monday, which can
    # cross a year end: allow one customer either way.
    for row in got.itertuples():
        cac_channel = _CHANNELS[row.channel][1]
        n = row.new_customers
        low = 0.8 * cac_channel * (n - 1 + 24) / n
        high = 1.2 * cac_channel * (n + 1 + 24) / n
        assert low <= row.cac <= high, (row.period, row.channel, row.cac, low, high)
    # And the channels keep their order of cost: tenders dearest, referrals cheapest.
    mean_cac = got.groupby("channel")["cac"].mean()
    assert mean_cac.idxmax() == "Appel d'offres" and mean_cac.idxmin() == "Recommandation"


@pytest.mark.parametrize("dtype", ["str", "object", "category"])
def test_cac_by_channel_whatever_the_channel_dtype(tx, costs, dtype):
    # c's channel is missing, as in the hand fixture; a literal 'unknown' (here for the
    # prospect p, who is never counted) is the same group. Expected: Q1 as in
    # test_acquisition_costs_by_channel_per_quarter.
    table = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "p"],
            "acquisition_channel": pd.Series(
                ["Web", "Web", None, "Salon", "Web", "unknown"], dtype=dtype
            ),
        }
    )
    agg = aggregate(tx, table)
    got = acquisition_costs(
        costs, agg.customers, months=agg.months, period="quarter", by_channel=True
    )
    assert got["channel"].tolist() == ["Salon", "Web", "unknown", "unallocated"] * 3
    q1 = got[got["period"] == "2024-Q1"]
    assert q1["new_customers"].tolist() == [1, 2, 1, 0]
    assert q1["acquisition_spend"].tolist() == [200.0, 450.0, 0.0, 100.0]


def test_new_customers_per_period_are_counted_customer_by_customer():
    portfolio = load_portfolio(
        SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"], SAMPLE_FILES["costs"]
    )
    agg = aggregate(portfolio.transactions, portfolio.customers)
    # Per period, the month counts add up to the new customers counted customer by customer,
    # and to the payback's cohort sizes.
    first = costs_module._first_purchase_months(agg.customers, agg.months)
    for period in ("month", "quarter", "year"):
        periods = _periods(agg.months, period)
        per_customer = np.bincount(periods.of_month[first[first >= 0]], minlength=len(periods))
        summary = cost_summary(
            portfolio.costs, agg.monthly, agg.customers, months=agg.months, period=period
        )
        assert summary["new_customers"].tolist() == per_customer.tolist()
        payback = cac_payback(agg.monthly, agg.customers, months=agg.months, cac=1.0, period=period)
        assert payback["new_customers"].tolist() == per_customer.tolist()
        observed = np.minimum(12, len(agg.months) - first[first >= 0])
        expected_months = np.bincount(
            periods.of_month[first[first >= 0]], weights=observed, minlength=len(periods)
        )
        assert payback["customer_months"].tolist() == expected_months.astype(np.int64).tolist()
    # The payback's cohort margin, recomputed with pandas from the definition: margin of each
    # new customer's rows in the 12 months from its first purchase month, summed by the year
    # of that month.
    first = agg.customers.loc[agg.customers["orders"] > 0, ["customer_id", "first_purchase"]]
    first = first.assign(first_month=first["first_purchase"].dt.to_period("M").dt.to_timestamp())
    rows = agg.monthly.assign(customer_id=agg.monthly["customer_id"].astype(str)).merge(
        first, on="customer_id"
    )
    ahead = (rows["month"].dt.year - rows["first_month"].dt.year) * 12 + (
        rows["month"].dt.month - rows["first_month"].dt.month
    )
    inside = rows[(ahead >= 0) & (ahead < 12)]
    expected = inside.groupby(inside["first_month"].dt.year)["margin"].sum()
    got = cac_payback(
        agg.monthly, agg.customers, months=agg.months, cac=100.0, period="year"
    ).set_index("period")["cohort_margin"]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert [int(p) for p in got.index] == expected.index.tolist()


@pytest.mark.parametrize("dtype", ["category", "str"])
@pytest.mark.parametrize("missing", ["none", "buyers", "non-buyers only"])
def test_new_customers_by_channel_count_each_customer_once(dtype, missing):
    # The counts by first month and channel value (codes of a categorical, an unused category
    # included, or factorized strings) against the definition customer by customer: a
    # customer is new in the period of its first purchase, in its channel or 'unknown'
    # (missing value, or the word itself); 'unknown' is a channel as soon as some customer,
    # buyer or not, has no value.
    portfolio = load_portfolio(
        SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"], SAMPLE_FILES["costs"]
    )
    agg = aggregate(portfolio.transactions, portfolio.customers)
    rng = np.random.default_rng(8)
    n = len(agg.customers)
    orders = agg.customers["orders"].to_numpy().copy()
    orders[rng.random(n) < 0.1] = 0  # never acquired (credit notes only)
    channel = agg.customers["acquisition_channel"].astype(object).to_numpy().copy()
    if missing == "buyers":
        channel[rng.random(n) < 0.01] = "unknown"  # the same channel as a missing value
        channel[rng.random(n) < 0.05] = None
    elif missing == "non-buyers only":
        channel[orders == 0] = None
    named = sorted({c for c in channel if c is not None})
    values = (
        pd.Categorical(channel, categories=[*named, "Unused"])
        if dtype == "category"
        else pd.Series(channel, dtype="str")
    )
    customers = agg.customers.assign(orders=orders, acquisition_channel=values)
    got = acquisition_costs(
        portfolio.costs, customers, months=agg.months, period="quarter", by_channel=True
    )
    first = customers["first_purchase"]
    buyers = (orders > 0) & (first >= agg.months[0]).to_numpy()
    quarter = first.dt.year.astype(str) + "-Q" + first.dt.quarter.astype(str)
    name = pd.Series(channel).fillna("unknown")
    expected = pd.Series(list(zip(quarter[buyers], name[buyers], strict=True))).value_counts()
    pairs = list(zip(got["period"], got["channel"], strict=True))
    assert got["new_customers"].tolist() == [int(expected.get(pair, 0)) for pair in pairs]
    assert got["new_customers"].sum() == buyers.sum()
    unknown = got.loc[got["channel"] == "unknown", "new_customers"].sum()
    assert bool(unknown > 0) is (missing == "buyers")
    acquisition = portfolio.costs[portfolio.costs["kind"] == "acquisition"]
    assert acquisition["channel"].notna().all()  # no 'unallocated' acquisition spend
    expected_channels = sorted((set(acquisition["channel"]) | set(named)) - {"unknown"})
    expected_channels += ["unknown"] * (missing != "none")
    assert got["channel"].tolist() == expected_channels * got["period"].nunique()


def test_retained_customers_are_the_movements_retained():
    # retention_costs reads the retained customers off the shared activity panel: the
    # "retained" of movements (reference) for every period and activity window.
    portfolio = load_portfolio(
        SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"], SAMPLE_FILES["costs"]
    )
    agg = aggregate(portfolio.transactions, portfolio.customers)
    for period in ("month", "quarter", "year"):
        for window in (1, 3, 12):
            got = retention_costs(
                portfolio.costs,
                agg.monthly,
                months=agg.months,
                period=period,
                activity_window=window,
            )
            expected = movements(
                agg.monthly, months=agg.months, period=period, activity_window=window
            )
            assert got["retained_customers"].dtype == np.int64
            assert got["retained_customers"].tolist() == expected["retained"].tolist()
            assert got["retained_customers"].sum() > 0
    with pytest.raises(ValueError, match="at least 1 month"):
        retention_costs(portfolio.costs, agg.monthly, months=agg.months, activity_window=0)


@pytest.mark.parametrize("cut", [0, 2])
def test_payback_sums_are_the_rows_inside_each_horizon(cut):
    # The payback rows are those of acquired customers whose month is 0..horizon-1 months
    # after the first purchase month, by the plain comparisons; their margin summed per first
    # month in row order is one np.bincount over them, bit for bit. Horizons past the grid,
    # and a grid shorter than the data (rows and first purchases off it) included.
    portfolio = load_portfolio(SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"])
    agg = aggregate(portfolio.transactions, portfolio.customers)
    grid = agg.months[cut : len(agg.months) - cut]
    first_months = costs_module._first_purchase_months(agg.customers, grid)
    first = first_months[agg.monthly["customer_id"].cat.codes.to_numpy()]
    month = pd.Index(grid).get_indexer(agg.monthly["month"])
    for horizon in (1, 3, 12, len(grid), len(grid) + 5, 40_000):
        for rate in (None, 0.4):
            acquired, sums = costs_module._payback_sums(
                agg.monthly, agg.customers, grid, horizon, rate, first_months
            )
            inside = (first >= 0) & (month >= 0) & (month - first >= 0) & (month - first < horizon)
            source = agg.monthly["margin"] if rate is None else agg.monthly["revenue"] * rate
            expected = np.bincount(
                first[inside], weights=source.to_numpy()[inside], minlength=len(grid)
            )
            assert sums.tolist() == expected.tolist()
            counts = np.bincount(first_months[first_months >= 0], minlength=len(grid))
            assert acquired.tolist() == counts.tolist()


def test_payback_margins_of_longer_periods_add_the_months_sums():
    # The cohort margin of a period adds its months' sums (each summed in row order): the
    # months' are the rows' sums bit for bit, quarters' and years' the sums of their rows in
    # row order to rounding.
    portfolio = load_portfolio(SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"])
    agg = aggregate(portfolio.transactions, portfolio.customers)
    first = costs_module._first_purchase_months(agg.customers, agg.months)
    first = first[agg.monthly["customer_id"].cat.codes.to_numpy()]
    ahead = pd.Index(agg.months).get_indexer(agg.monthly["month"]) - first
    inside = (first >= 0) & (ahead >= 0) & (ahead < 12)
    row_first, margin = first[inside], agg.monthly["margin"].to_numpy()[inside]
    for period in ("month", "quarter", "year"):
        periods = _periods(agg.months, period)
        by_rows = np.round(
            np.bincount(periods.of_month[row_first], weights=margin, minlength=len(periods)), 9
        )
        got = cac_payback(agg.monthly, agg.customers, months=agg.months, cac=1.0, period=period)
        if period == "month":
            assert got["cohort_margin"].tolist() == by_rows.tolist()
        else:
            np.testing.assert_allclose(got["cohort_margin"], by_rows, rtol=1e-13, atol=0)
