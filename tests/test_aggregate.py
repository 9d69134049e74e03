"""Aggregation: hand-computed tables, lifetimes' summary semantics, file inputs, windows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portfolio_lib.aggregate import (
    active_matrix,
    aggregate,
    customer_summary,
    period_ends,
    period_label,
    revenue_matrix,
    trailing_sum,
    window_totals,
)


@pytest.fixture
def tx():
    # a: two invoices on 1 Jan (one order), a return on 20 Jan, a repeat in March.
    # b: one purchase. c: a purchase after the analysis date only.
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-01-20", "2024-03-05", "2024-02-10", "2024-05-02"]
            ),
            "amount": [100.0, 50.0, -30.0, 200.0, 80.0, 999.0],
            "margin": [30.0, 10.0, -9.0, 60.0, 20.0, 300.0],
            "order_id": ["F1", "F1", "AV1", "F2", "F3", "F4"],
        }
    )


def test_monthly_and_customer_tables_by_hand(tx):
    agg = aggregate(tx, as_of="2024-03-31")
    assert agg.as_of == pd.Timestamp("2024-03-31")
    assert list(agg.months) == list(pd.date_range("2024-01-01", "2024-03-01", freq="MS"))
    monthly = agg.monthly.assign(customer_id=agg.monthly["customer_id"].astype(str))
    expected = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "month": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01"]).as_unit("ns"),
            "revenue": [120.0, 200.0, 80.0],
            "margin": [31.0, 60.0, 20.0],
            "orders": [1, 1, 1],  # F1 counted once; the credit note is not an order
        }
    )
    pd.testing.assert_frame_equal(monthly, expected)
    customers = agg.customers.set_index("customer_id")
    assert list(customers.index) == ["a", "b"]  # c bought after as_of
    assert customers.loc["a", "revenue"] == 320.0 and customers.loc["a", "margin"] == 91.0
    assert customers.loc["a", "orders"] == 2
    assert customers.loc["a", "first_purchase"] == pd.Timestamp("2024-01-01")
    assert customers.loc["a", "last_purchase"] == pd.Timestamp("2024-03-05")
    assert agg.has_margin


def test_without_order_id_orders_are_purchase_days(tx):
    agg = aggregate(tx.drop(columns=["order_id", "margin"]), as_of="2024-03-31")
    customers = agg.customers.set_index("customer_id")
    assert customers.loc["a", "orders"] == 2  # 1 Jan and 5 Mar; 20 Jan is a return
    assert not agg.has_margin and customers["margin"].isna().all()


def test_customer_table_joins_attributes_and_keeps_prospects(tx):
    attributes = pd.DataFrame(
        {
            "customer_id": ["a", "b", "p"],
            "segment": ["PME", "Artisan", "PME"],
            "potential": [1e3, 2e3, 5e4],
        }
    )
    agg = aggregate(tx, attributes, as_of="2024-03-31")
    customers = agg.customers.set_index("customer_id")
    assert list(customers.index) == ["a", "b", "p"]
    assert customers.loc["p", "revenue"] == 0.0 and customers.loc["p", "orders"] == 0
    assert pd.isna(customers.loc["p", "first_purchase"])
    assert customers.loc["b", "segment"] == "Artisan"
    assert list(agg.monthly["customer_id"].cat.categories) == ["a", "b", "p"]
    matrix = revenue_matrix(agg.monthly, agg.months)
    assert matrix.loc["p"].tolist() == [0.0, 0.0, 0.0]
    assert matrix.loc["a"].tolist() == [120.0, 0.0, 200.0]


def test_summary_follows_lifetimes_semantics_by_hand(tx):
    summary = customer_summary(tx, as_of="2024-03-31")
    # a: purchase days 1 Jan (150), 20 Jan (-30), 5 Mar (200): frequency 2, recency 64 days,
    # T 90 days, monetary = mean of repeat days = (-30 + 200) / 2 = 85.
    # b: a single day: frequency 0, recency 0, T = 10 Feb -> 31 Mar = 50, monetary 0.
    expected = pd.DataFrame(
        {
            "frequency": [2.0, 0.0],
            "recency": [64.0, 0.0],
            "T": [90.0, 50.0],
            "monetary_value": [85.0, 0.0],
        },
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(summary, expected)
    in_table = aggregate(tx, as_of="2024-03-31").customers.set_index("customer_id")
    pd.testing.assert_frame_equal(in_table[expected.columns], expected)


def test_summary_equals_lifetimes_when_installed(tx):
    utils = pytest.importorskip("lifetimes.utils", reason="lifetimes not installed")
    ours = customer_summary(tx, as_of="2024-03-31")
    theirs = utils.summary_data_from_transaction_data(
        tx, "customer_id", "date", monetary_value_col="amount", observation_period_end="2024-03-31"
    ).sort_index()
    pd.testing.assert_frame_equal(ours, theirs, check_names=False, check_index_type=False)


def test_default_as_of_is_last_transaction(tx):
    agg = aggregate(tx)
    assert agg.as_of == pd.Timestamp("2024-05-02")
    assert customer_summary(tx).loc["c", "T"] == 0.0


def test_files_read_by_duckdb_give_the_same_tables(tx, tmp_path):
    reference = aggregate(tx, as_of="2024-03-31")
    tx.to_parquet(tmp_path / "tx.parquet")
    tx.to_csv(tmp_path / "tx.csv", index=False)
    for path in (tmp_path / "tx.parquet", tmp_path / "tx.csv"):
        got = aggregate(path, as_of="2024-03-31")
        pd.testing.assert_frame_equal(got.customers, reference.customers)
        pd.testing.assert_frame_equal(got.monthly, reference.monthly)


def test_nothing_before_as_of_is_a_clear_error(tx):
    with pytest.raises(ValueError, match="no transaction on or before 01/01/2020"):
        aggregate(tx, as_of="2020-01-01")


def test_trailing_windows_and_activity():
    months = pd.date_range("2024-01-01", periods=5, freq="MS")
    monthly = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b"],
            "month": months[[0, 3, 1, 2]],
            "revenue": [10.0, 5.0, 7.0, -7.0],  # b's credit note cancels its purchase
        }
    )
    matrix = revenue_matrix(monthly, months)
    np.testing.assert_array_equal(
        trailing_sum(matrix, 2).to_numpy(), [[10, 10, 0, 5, 5], [0, 7, 0, -7, 0]]
    )
    active = active_matrix(monthly, months, activity_window=2)
    assert active.loc["a"].tolist() == [True, True, False, True, True]
    assert active.loc["b"].tolist() == [False, True, False, False, False]
    with pytest.raises(ValueError, match="at least 1 month"):
        trailing_sum(matrix, 0)


def test_period_ends_and_labels():
    months = pd.date_range("2023-11-01", "2025-02-01", freq="MS")
    assert list(period_ends(months, "year")) == list(
        pd.to_datetime(["2023-12-01", "2024-12-01", "2025-02-01"])
    )
    assert period_ends(months, "quarter")[0] == pd.Timestamp("2023-12-01")
    assert len(period_ends(months, "month")) == len(months)
    assert period_label(pd.Timestamp("2025-02-01"), "quarter") == "2025-Q1"
    assert period_label(pd.Timestamp("2025-02-01"), "year") == "2025"
    assert period_label(pd.Timestamp("2025-02-01")) == "2025-02"
    with pytest.raises(ValueError, match="period must be one of"):
        period_ends(months, "week")


def test_window_totals_by_hand(tx):
    agg = aggregate(tx, as_of="2024-03-31")
    last_two = window_totals(agg.monthly, agg.months, window=2)
    assert last_two.loc["a"].tolist() == [200.0, 60.0, 1, True]  # February and March
    assert last_two.loc["b"].tolist() == [80.0, 20.0, 1, True]
    january = window_totals(agg.monthly, agg.months, window=1, end="2024-01-31")
    assert january.loc["a", "revenue"] == 120.0 and not january.loc["b", "active"]
    no_margin = aggregate(tx.drop(columns="margin"), as_of="2024-03-31")
    assert window_totals(no_margin.monthly, no_margin.months)["margin"].isna().all()


def test_subset_keeps_matching_customers_and_their_months(tx):
    attributes = pd.DataFrame({"customer_id": ["a", "b"], "sales_rep": ["Léa", "Marc"]})
    agg = aggregate(tx, attributes, as_of="2024-03-31")
    lea = agg.subset(sales_rep="Léa", segment=None)
    assert lea.customers["customer_id"].tolist() == ["a"]
    assert lea.monthly["customer_id"].astype(str).unique().tolist() == ["a"]
    assert list(lea.monthly["customer_id"].cat.categories) == ["a"]
    assert lea.months.equals(agg.months) and lea.as_of == agg.as_of
    assert len(agg.subset(sales_rep=["Léa", "Marc"]).customers) == 2
    assert len(agg.subset(sales_rep=[]).customers) == 2
    with pytest.raises(KeyError, match="region"):
        agg.subset(region="Nord")
