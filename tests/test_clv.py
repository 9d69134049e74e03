"""Simple and retention CLV: hand-computed values, the infinite sum, validation, the sample."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from portfolio_lib.config import DEFAULTS, SAMPLE_FILES
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.data.load import load_portfolio
from portfolio_lib.engine.aggregate import aggregate
from portfolio_lib.engine.tables import window_totals
from portfolio_lib.metrics.clv import retention_clv, simple_clv

COLUMNS = [
    "customers",
    "average_basket",
    "purchases_per_year",
    "margin_rate",
    "annual_churn",
    "expected_lifetime_years",
    "clv",
    "clv_revenue",
]


@pytest.fixture
def totals():
    # Last-12-month totals. c is inactive (0) and d a net credit: both left out.
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f", "g"],
            "segment": ["X", "X", "X", "X", "Y", "Z", "Z"],
            "revenue": [3_000.0, 1_000.0, 0.0, -50.0, 2_000.0, 1_000.0, 3_000.0],
            "margin": [600.0, 200.0, 0.0, -10.0, np.nan, 400.0, np.nan],
            "orders": [6, 2, 0, 0, 4, 2, 3],
        }
    )


def test_simple_clv_total_by_hand(totals):
    x = totals[totals["segment"] == "X"]
    out = simple_clv(x, annual_churn=0.25)
    assert out.columns.tolist() == COLUMNS and out.index.tolist() == ["total"]
    # a + b: basket 4,000 / 8 = 500; purchases 8 / 2 = 4; margin 800 / 4,000 = 0.2;
    # lifetime 1 / 0.25 = 4 years; CLV = 500 x 4 x 0.2 x 4 = 1,600; the course's CLV (text
    # 000, no margin rate) = 500 x 4 x 4 = 8,000.
    assert out.loc["total"].tolist() == pytest.approx(
        [2, 500.0, 4.0, 0.2, 0.25, 4.0, 1_600.0, 8_000.0]
    )


def test_simple_clv_by_group_with_churn_series(totals):
    churn = pd.Series({"X": 0.25, "Y": 0.0, "Z": 0.5})
    out = simple_clv(totals, annual_churn=churn, by="segment")
    assert out.index.name == "segment" and out.index.tolist() == ["X", "Y", "Z"]
    assert out.loc["X", "clv"] == pytest.approx(1_600.0)
    # Y: e alone, no margin known -> default rate 0.30; churn 0 -> lifetime capped at 10 years;
    # basket 2,000 / 4 = 500, 4 purchases: 500 x 4 x 0.3 x 10 = 6,000.
    assert DEFAULTS["default_margin_rate"] == 0.30
    assert out.loc["Y"].tolist() == pytest.approx(
        [1, 500.0, 4.0, 0.30, 0.0, 10.0, 6_000.0, 20_000.0]  # course CLV: 500 x 4 x 10
    )
    # Z: margin rate over the customers whose margin is known: 400 / 1,000 = 0.4;
    # basket 4,000 / 5 = 800; purchases 5 / 2 = 2.5; lifetime 2: 800 x 2.5 x 0.4 x 2 = 1,600.
    assert out.loc["Z"].tolist() == pytest.approx(
        [2, 800.0, 2.5, 0.4, 0.5, 2.0, 1_600.0, 4_000.0]  # course CLV: 800 x 2.5 x 2
    )
    capped = simple_clv(totals, annual_churn=churn, by="segment", max_lifetime_years=5)
    assert capped.loc["Y", "clv"] == pytest.approx(3_000.0)  # 500 x 4 x 0.3 x 5
    categorical = totals.assign(segment=pd.Categorical(totals["segment"], ["W", "X", "Y", "Z"]))
    assert simple_clv(categorical, annual_churn=churn, by="segment").index.tolist() == list("XYZ")


def test_simple_clv_margin_rate_override_and_no_margin_column(totals):
    x = totals[totals["segment"] == "X"]
    # Override: 500 x 4 x 0.5 x 4 = 4,000.
    assert simple_clv(x, annual_churn=0.25, margin_rate=0.5).loc["total", "clv"] == 4_000.0
    # No margin column: the default 30 %: 500 x 4 x 0.3 x 4 = 2,400.
    no_margin = simple_clv(x.drop(columns="margin"), annual_churn=0.25)
    assert no_margin.loc["total", "clv"] == pytest.approx(2_400.0)
    # Churn 5 % would mean 20 years: capped at 10.
    assert simple_clv(x, annual_churn=0.05).loc["total", "expected_lifetime_years"] == 10.0


def test_simple_clv_missing_group_in_by_column(totals):
    # A customer without segment forms the "unknown" group.
    frame = totals.assign(segment=totals["segment"].where(totals["customer_id"] != "e"))
    out = simple_clv(frame, annual_churn=0.25, by="segment")
    assert out.index.tolist() == ["X", "Z", "unknown"]


def test_simple_clv_validation(totals):
    with pytest.raises(ValueError, match=r"no rate for group\(s\) \['Z'\]"):
        simple_clv(totals, annual_churn=pd.Series({"X": 0.2, "Y": 0.2}), by="segment")
    with pytest.raises(ValueError, match="between 0 and 1"):
        simple_clv(totals, annual_churn=1.5)
    with pytest.raises(ValueError, match="one rate"):
        simple_clv(totals, annual_churn=pd.Series({"X": 0.2, "Y": 0.2}))
    with pytest.raises(PortfolioDataError, match="'region'"):
        simple_clv(totals, annual_churn=0.2, by="region")
    with pytest.raises(PortfolioDataError, match="'orders'"):
        simple_clv(totals.drop(columns="orders"), annual_churn=0.2)


def test_retention_clv_by_hand_and_against_the_infinite_sum():
    # m r / (1 + d - r) = 1,000 x 0.8 / 0.3 = 2,666.67.
    assert retention_clv(1_000.0, retention=0.8, discount_rate=0.1) == pytest.approx(8_000 / 3)
    # Explicit sum of m r^t / (1 + d)^t, t = 1..2,000 (ratio 0.727: the tail is negligible).
    t = np.arange(1, 2_001)
    explicit = np.sum(1_000.0 * 0.8**t / 1.1**t)
    assert retention_clv(1_000.0, retention=0.8, discount_rate=0.1) == pytest.approx(explicit)
    # Default d = 10 %; retention 1 is allowed while d > 0: m / d = 10,000.
    assert retention_clv(1_000.0, retention=1.0) == pytest.approx(10_000.0)
    assert retention_clv(1_000.0, retention=0.0) == 0.0


def test_retention_clv_vectorised():
    frame = pd.DataFrame({"margin": [1_000.0, 500.0], "retention": [0.8, 0.5]})
    values = retention_clv(frame["margin"], retention=frame["retention"], discount_rate=0.1)
    # 1,000 x 0.8 / 0.3 and 500 x 0.5 / 0.6.
    assert isinstance(values, pd.Series)
    np.testing.assert_allclose(values, [8_000 / 3, 250 / 0.6])
    rates = retention_clv(np.array([100.0, 200.0]), retention=0.5, discount_rate=np.array([0, 1]))
    np.testing.assert_allclose(rates, [100.0, 200 * 0.5 / 1.5])  # 50 / 0.5 and 100 / 1.5
    table = retention_clv(frame[["margin"]], retention=0.5, discount_rate=0.0)
    np.testing.assert_allclose(table["margin"], [1_000.0, 500.0])  # m x 0.5 / 0.5


def test_retention_clv_validation():
    with pytest.raises(ValueError, match="between 0 and 1"):
        retention_clv(1_000.0, retention=1.2)
    with pytest.raises(ValueError, match="below 1 \\+ discount_rate"):
        retention_clv(1_000.0, retention=1.0, discount_rate=0.0)
    with pytest.raises(ValueError, match="above -1"):
        retention_clv(1_000.0, retention=0.5, discount_rate=-1.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        retention_clv(pd.Series([1.0, 2.0]), retention=pd.Series([0.5, np.nan]))


@seed(20240621)
@settings(max_examples=80, deadline=None)
@given(
    margin=st.floats(0, 1e6),
    retention=st.floats(0, 0.95),
    discount=st.floats(0, 0.3),
)
def test_retention_clv_is_the_discounted_sum(margin, retention, discount):
    t = np.arange(1, 1_001)  # (0.95)^1000 < 1e-22: the tail is nothing
    explicit = float(np.sum(margin * (retention / (1 + discount)) ** t))
    got = retention_clv(margin, retention=retention, discount_rate=discount)
    assert got == pytest.approx(explicit, rel=1e-9, abs=1e-9)


def test_sample_simple_clv_is_mean_yearly_margin_times_lifetime():
    portfolio = load_portfolio(SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"])
    agg = aggregate(portfolio.transactions, portfolio.customers)
    last_year = window_totals(agg.monthly, agg.months).join(
        agg.customers.set_index("customer_id")["segment"]
    )
    out = simple_clv(last_year, annual_churn=0.2, by="segment")
    # basket x purchases x margin rate = (R/O)(O/N)(M/R) = M/N: the mean yearly margin per
    # active customer, computed here directly from the window totals.
    active = last_year[last_year["revenue"] > 0]
    mean_margin = active.groupby("segment")["margin"].sum() / active.groupby("segment").size()
    np.testing.assert_allclose(out["clv"], mean_margin.reindex(out.index) * 5.0)
    assert out["customers"].sum() == len(active)
    # Margin rates of the generator: Grand compte 18 %, Artisan 33 % (+/- noise).
    assert out.loc["Grand compte", "margin_rate"] == pytest.approx(0.18, abs=0.02)
    assert out.loc["Artisan", "margin_rate"] == pytest.approx(0.33, abs=0.02)
    assert out["clv"].idxmax() == "Grand compte"


def _simple_clv_by_definition(
    customers: pd.DataFrame, churn: float, by: str | None
) -> pd.DataFrame:
    """simple_clv written directly with pandas on the active rows (the former implementation)."""
    active = customers[customers["revenue"].fillna(0.0) > 0]
    margin = active["margin"]
    frame = pd.DataFrame(
        {
            "revenue": active["revenue"].astype(float),
            "orders": active["orders"].fillna(0).astype(float),
            "margin": margin.fillna(0.0),
            "margin_revenue": active["revenue"].where(margin.notna(), 0.0),
            "margin_known": margin.notna(),
        }
    )
    if by is None:
        keys = pd.Series("total", index=active.index)
    else:
        keys = active[by]
        keys = keys.astype(object).where(keys.notna(), "unknown") if keys.isna().any() else keys
    sums = frame.groupby(keys, observed=True, sort=True).sum()
    counts = keys.value_counts(sort=False).reindex(sums.index)
    rate = (sums["margin"] / sums["margin_revenue"].where(sums["margin_known"] > 0)).fillna(
        DEFAULTS["default_margin_rate"]
    )
    out = pd.DataFrame(
        {
            "customers": counts.astype(np.int64),
            "average_basket": sums["revenue"] / sums["orders"].where(sums["orders"] > 0),
            "purchases_per_year": sums["orders"] / counts,
            "margin_rate": rate,
            "annual_churn": churn,
            "expected_lifetime_years": 1 / churn,
        },
        index=sums.index,
    )
    out["clv"] = (
        out["average_basket"]
        * out["purchases_per_year"]
        * out["margin_rate"]
        * out["expected_lifetime_years"]
    )
    # Course text 000: basket x frequency x lifetime, without the margin rate.
    out["clv_revenue"] = (
        out["average_basket"] * out["purchases_per_year"] * out["expected_lifetime_years"]
    )
    out.index.name = by
    return out


# Categories out of alphabetical order, one of them ("Artisan") without any customer.
_UNSORTED_CATEGORIES = pd.CategoricalDtype(["TPE", "GE", "Artisan", "PME", "ETI"])


@pytest.mark.parametrize("dtype", ["str", "object", "category", _UNSORTED_CATEGORIES])
@pytest.mark.parametrize("with_missing", [False, True])
def test_simple_clv_matches_the_pandas_definition_on_many_customers(dtype, with_missing):
    # 5,000 seeded customers: revenue with zeros, credits and NaN, partly unknown margins,
    # float orders with NaN; groups in several key dtypes (categorical keys are grouped on
    # their codes: groups in category order, unobserved ones left out, a CategoricalIndex),
    # with and without missing keys.
    rng = np.random.default_rng(7)
    n = 5_000
    revenue = rng.lognormal(7, 1.5, n) * rng.choice([1.0, 0.0, -1.0], n, p=[0.8, 0.1, 0.1])
    revenue[rng.random(n) < 0.02] = np.nan
    margin = revenue * rng.uniform(0.1, 0.5, n)
    margin[rng.random(n) < 0.3] = np.nan
    orders = rng.integers(0, 30, n).astype(float)
    orders[rng.random(n) < 0.01] = np.nan
    segment = rng.choice(["PME", "ETI", "GE", "TPE"], n).astype(object)
    if with_missing:
        segment[rng.random(n) < 0.05] = None
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "segment": pd.Series(segment, dtype=dtype),
            "revenue": revenue,
            "margin": margin,
            "orders": orders,
        }
    )
    for by in (None, "segment"):
        expected = _simple_clv_by_definition(customers, 0.25, by)
        got = simple_clv(customers, annual_churn=0.25, by=by)
        if by is not None and dtype in ("category", _UNSORTED_CATEGORIES) and not with_missing:
            # Categorical keys are summed by numpy's pairwise sums, pandas' by compensated
            # ones: within the pairwise error bound (log2(5,000) ~ 13 ulps of the sum of
            # magnitudes, margins of both signs: ~1e-14 relative here), 1e-12 with margin.
            # The sums themselves are pinned to math.fsum below.
            pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, atol=0)
        else:
            pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_simple_clv_by_categorical_keys_sums_each_group_exactly():
    # 30,000 customers in 3 categories (one unused), revenues over six orders of magnitude
    # and margins of both signs (cancellations), in shuffled groups. Each group's sums are
    # the exact sums (math.fsum) to 1e-13 relative.
    rng = np.random.default_rng(3)
    n = 30_000
    revenue = np.exp(rng.uniform(0, 14, n)) * rng.choice([1.0, -1.0, 0.0], n, p=[0.85, 0.1, 0.05])
    margin = revenue * rng.uniform(-0.4, 0.9, n)
    margin[rng.random(n) < 0.1] = np.nan
    orders = rng.integers(1, 50, n)
    segment = pd.Categorical(rng.choice(["B", "C"], n), categories=["C", "A", "B"])
    customers = pd.DataFrame(
        {"segment": segment, "revenue": revenue, "margin": margin, "orders": orders}
    )
    got = simple_clv(customers, annual_churn=0.2, by="segment")
    assert got.index.tolist() == ["C", "B"]  # category order, the unused one left out
    assert isinstance(got.index, pd.CategoricalIndex)
    active = revenue > 0
    for name in ("C", "B"):
        rows = active & (np.asarray(segment) == name)
        known = rows & ~np.isnan(margin)
        assert got.loc[name, "customers"] == rows.sum()
        assert got.loc[name, "purchases_per_year"] == orders[rows].sum() / rows.sum()
        exact_basket = math.fsum(revenue[rows]) / int(orders[rows].sum())
        exact_rate = math.fsum(margin[known]) / math.fsum(revenue[known])
        assert got.loc[name, "average_basket"] == pytest.approx(exact_basket, rel=1e-13, abs=0)
        assert got.loc[name, "margin_rate"] == pytest.approx(exact_rate, rel=1e-13, abs=0)


@pytest.mark.parametrize("orders_dtype", ["int64", "Int64", "float32", "bool"])
def test_simple_clv_reads_orders_and_margins_of_any_numeric_dtype(orders_dtype):
    # The active rows are taken from the arrays of plain numpy columns, the other dtypes
    # through pandas: the same figures as the pandas definition either way (nullable orders
    # with missing values included).
    rng = np.random.default_rng(11)
    n = 2_000
    orders = pd.Series(rng.integers(0, 2 if orders_dtype == "bool" else 40, n)).astype(orders_dtype)
    if orders_dtype == "Int64":
        orders[rng.random(n) < 0.05] = pd.NA
    revenue = rng.lognormal(6, 1.0, n) * rng.choice([1.0, 0.0], n, p=[0.9, 0.1])
    margin = pd.Series(revenue * rng.uniform(0.1, 0.5, n))
    margin[rng.random(n) < 0.2] = np.nan
    customers = pd.DataFrame({"revenue": revenue, "margin": margin, "orders": orders})
    expected = _simple_clv_by_definition(customers, 0.2, None)
    got = simple_clv(customers, annual_churn=0.2)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.loc["total", "customers"] == (revenue > 0).sum()


@pytest.mark.parametrize("margins", ["all known", "none known", "no column"])
def test_simple_clv_total_equals_the_grouped_path_of_one_group(margins):
    # The total sums the columns directly (the additions of pandas' one-group sum); a
    # constant `by` column takes the groupby path. Every margin known reuses the arrays.
    rng = np.random.default_rng(5)
    n = 20_000
    revenue = rng.normal(300, 900, n)  # a third credits or zero: left out
    customers = pd.DataFrame(
        {
            "revenue": revenue,
            "margin": revenue * rng.uniform(-0.2, 0.6, n),
            "orders": rng.integers(0, 25, n),
            "all": "total",
        }
    )
    if margins == "none known":
        customers["margin"] = np.nan
    elif margins == "no column":
        customers = customers.drop(columns="margin")
    total = simple_clv(customers, annual_churn=0.3)
    grouped = simple_clv(customers, annual_churn=0.3, by="all")
    pd.testing.assert_frame_equal(total, grouped.rename_axis(None), check_exact=True)
    if margins != "no column":  # the definition reads the margins
        expected = _simple_clv_by_definition(customers.drop(columns="all"), 0.3, None)
        pd.testing.assert_frame_equal(total, expected, check_exact=True)
