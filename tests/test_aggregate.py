"""Aggregation: hand-computed tables, lifetimes' summary semantics, file inputs, windows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portfolio_lib.engine.aggregate import aggregate, customer_summary
from portfolio_lib.engine.tables import (
    active_matrix,
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
    in_table.index = in_table.index.astype(str)  # categorical ids (see the dtype test)
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
    with pytest.raises(
        ValueError, match="no transaction on or before the analysis date 01/01/2020"
    ):
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


# --------------------------------------------------------------------------------------------
# Large-log paths: order counting, summary precision, dense layouts, filters, DuckDB settings


def test_orders_count_distinct_orders_per_customer_and_month():
    tx = pd.DataFrame(
        {
            "customer_id": ["a"] * 7 + ["b", "b"],
            "date": pd.to_datetime(
                [
                    "2024-01-03",  # F1, two lines the same day
                    "2024-01-03",
                    "2024-01-10",  # F1 again a week later (partial delivery): same order
                    "2024-01-31",  # F2 ends January ...
                    "2024-02-01",  # ... and goes on in February: one order in each month
                    "2024-02-05",  # a line without order id: its day is the order
                    "2024-02-20",  # AV1: credit note only, not an order
                ]
                + ["2024-01-05", "2024-01-05"]
            ),
            "amount": [10.0, 5.0, 7.0, 20.0, 30.0, 4.0, -6.0, 50.0, -50.0],
            "order_id": ["F1", "F1", "F1", "F2", "F2", None, "AV1", "F9", "F9"],
        }
    )
    agg = aggregate(tx, as_of="2024-02-29")
    monthly = agg.monthly.assign(customer_id=agg.monthly["customer_id"].astype(str))
    # a, January: F1 and F2 -> 2; February: F2, the 5 Feb day, (AV1 is negative) -> 2.
    # b: F9 has one positive line (the other cancels it): one order, net revenue 0.
    assert monthly["orders"].tolist() == [2, 2, 1]
    assert monthly["revenue"].tolist() == [42.0, 28.0, 0.0]  # 10+5+7+20, 30+4-6, 50-50
    customers = agg.customers.set_index("customer_id")
    assert customers["orders"].tolist() == [4, 1]
    assert customers.loc["b", "last_purchase"] == pd.Timestamp("2024-01-05")


def test_credit_note_only_customer_has_no_last_purchase():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "z"],
            "date": pd.to_datetime(["2024-01-02", "2024-01-09"]),
            "amount": [100.0, -40.0],
        }
    )
    customers = aggregate(tx).customers.set_index("customer_id")
    # z never bought: first_purchase falls back to its first transaction, no last purchase.
    assert customers.loc["z", "first_purchase"] == pd.Timestamp("2024-01-09")
    assert pd.isna(customers.loc["z", "last_purchase"])
    assert customers.loc["z", "orders"] == 0 and customers.loc["z", "revenue"] == -40.0


def test_monetary_value_keeps_small_repeats_after_a_huge_first_day():
    # First day 1e8, then 0.1 and 0.2: the mean of the repeats is (0.1 + 0.2) / 2 = 0.15.
    # Subtracting the first day from a float total would give (1e8 + 0.1 + 0.2 - 1e8) / 2
    # = 0.14999999850988388, 1.5e-9 off, even with a compensated sum.
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
            "amount": [1e8, 0.1, 0.2],
        }
    )
    summary = customer_summary(tx)
    assert summary.loc["a", "frequency"] == 2.0
    assert abs(summary.loc["a", "monetary_value"] - 0.15) < 1e-15


def test_summary_equals_lifetimes_on_generated_sample():
    utils = pytest.importorskip("lifetimes.utils", reason="lifetimes not installed")
    from portfolio_lib.data.sample import generate_sample

    tx = generate_sample(n_customers=400, seed=7).transactions
    ours = customer_summary(tx)
    theirs = utils.summary_data_from_transaction_data(
        tx, "customer_id", "date", monetary_value_col="amount"
    ).loc[ours.index]
    for column in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(ours[column].to_numpy(), theirs[column].to_numpy())
    np.testing.assert_allclose(ours["monetary_value"], theirs["monetary_value"], rtol=0, atol=1e-9)
    in_table = aggregate(tx).customers.set_index("customer_id")[ours.columns]
    in_table.index = in_table.index.astype(str)  # categorical ids (see the dtype test)
    pd.testing.assert_frame_equal(in_table, ours)


def test_revenue_matrix_sums_duplicates_and_drops_rows_off_the_grid():
    months = pd.date_range("2024-01-01", periods=3, freq="MS")
    monthly = pd.DataFrame(
        {
            "customer_id": pd.Categorical(["b", "a", "a", "b", None], categories=["a", "b", "c"]),
            "month": pd.to_datetime(
                ["2024-02-01", "2024-01-01", "2024-01-01", "2024-05-01", "2024-01-01"]
            ),
            "revenue": [3.0, 1.0, 2.0, 99.0, 7.0],  # a twice in January; b in May is off the grid
        }
    )
    matrix = revenue_matrix(monthly, months)
    assert matrix.to_numpy().tolist() == [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 0.0]]
    assert list(matrix.index) == ["a", "b", "c"] and list(matrix.columns) == list(months)
    # Stored month-major (pandas' own 2-D layout): a month is one contiguous row, which the
    # trailing windows and the movements rely on to run without copies.
    assert matrix.to_numpy().T.flags.c_contiguous
    assert trailing_sum(matrix, 2).to_numpy().T.flags.c_contiguous


def test_trailing_sum_keeps_integer_matrices_and_handles_empty_ones():
    months = pd.date_range("2024-01-01", periods=4, freq="MS")
    counts = pd.DataFrame([[1, 0, 2, 5]], columns=months)
    out = trailing_sum(counts, 3)
    assert out.dtypes.iloc[0] == np.int64
    assert out.to_numpy().tolist() == [[1, 1, 3, 7]]  # 1, 1+0, 1+0+2, 0+2+5
    empty = pd.DataFrame(np.zeros((2, 0)), columns=months[:0])
    assert trailing_sum(empty, 12).shape == (2, 0)


def test_subset_by_codes_matches_filtering_the_ids():
    from portfolio_lib.data.sample import generate_sample

    sample = generate_sample(n_customers=300, seed=3)
    agg = aggregate(sample.transactions, sample.customers)
    rep = agg.customers["sales_rep"].iloc[0]
    lea = agg.subset(sales_rep=rep, segment=["PME", "Artisan"])
    keep = agg.customers["sales_rep"].eq(rep) & agg.customers["segment"].isin(["PME", "Artisan"])
    assert lea.customers["customer_id"].tolist() == agg.customers.loc[keep, "customer_id"].tolist()
    ids = agg.monthly["customer_id"].astype(str)
    expected = agg.monthly[ids.isin(lea.customers["customer_id"])].reset_index(drop=True)
    got = lea.monthly.assign(customer_id=lea.monthly["customer_id"].astype(str))
    pd.testing.assert_frame_equal(
        got, expected.assign(customer_id=expected["customer_id"].astype(str))
    )
    # Both tables keep one categorical dtype whose categories are the kept ids, in order.
    assert lea.monthly["customer_id"].dtype == lea.customers["customer_id"].dtype
    assert (
        lea.customers["customer_id"].cat.categories.tolist()
        == lea.customers["customer_id"].astype(str).tolist()
    )
    assert lea.customers["customer_id"].cat.codes.tolist() == list(range(len(lea.customers)))


def test_customer_ids_and_attributes_are_categorical_codes():
    """Ids share the monthly table's categorical dtype; text attributes are categories."""
    from portfolio_lib.data.sample import generate_sample
    from portfolio_lib.engine.tables import same_customers as _same_customers

    sample = generate_sample(n_customers=200, seed=5)
    agg = aggregate(sample.transactions, sample.customers)
    ids = agg.customers["customer_id"]
    assert ids.dtype is agg.monthly["customer_id"].dtype  # one dtype: codes are row positions
    assert ids.cat.codes.tolist() == list(range(len(ids)))
    assert ids.astype(str).tolist() == sorted(sample.customers["customer_id"])
    for column in ("sales_rep", "segment", "region", "acquisition_channel"):
        assert isinstance(agg.customers[column].dtype, pd.CategoricalDtype)
        by_id = sample.customers.set_index("customer_id")[column]
        assert agg.customers[column].astype(str).tolist() == by_id.loc[ids.astype(str)].tolist()
    # The alignment check answers as a comparison of the ids as strings would.
    index = pd.Index(ids.astype(str).tolist())
    assert _same_customers(index, ids) and _same_customers(ids.cat.categories, ids)
    assert not _same_customers(index, ids.iloc[::-1].reset_index(drop=True))
    assert not _same_customers(index[::-1], ids)
    assert not _same_customers(index[:-1], ids.iloc[1:])
    assert _same_customers(index, pd.Series(index)) and not _same_customers(index, ids[:10])


def test_duckdb_settings_change_memory_not_results(tx, monkeypatch):
    import portfolio_lib.engine.aggregate as module

    reference = aggregate(tx, as_of="2024-03-31")
    monkeypatch.setitem(module.DUCKDB_SETTINGS, "memory_limit", "64MB")
    monkeypatch.setitem(module.DUCKDB_SETTINGS, "threads", 1)
    capped = aggregate(tx, as_of="2024-03-31")
    pd.testing.assert_frame_equal(capped.customers, reference.customers)
    pd.testing.assert_frame_equal(capped.monthly, reference.monthly)
    assert module._size_in_bytes("2GB") == 2e9
    assert module._size_in_bytes("18.8 GiB") == 18.8 * 2**30
    assert module._size_in_bytes("512 MiB") == 512 * 2**20
    assert module._size_in_bytes("100 bytes") == 100
    with pytest.raises(ValueError, match="not understood"):
        module._size_in_bytes("lots")


# --------------------------------------------------------------------------------------------
# Derived arrays kept with the monthly table (tables.views): same values, never stale


def _dense_active_and_trailing(monthly, months, window):
    """The reference: the dense matrix of revenue_matrix and trailing_sum."""
    trailing = trailing_sum(revenue_matrix(monthly, months), window).to_numpy().T
    return trailing > 0, trailing


@pytest.fixture(scope="module")
def sample_agg():
    from portfolio_lib.data.sample import generate_sample

    sample = generate_sample(n_customers=1_500, seed=11)
    return aggregate(sample.transactions, sample.customers)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("window", [1, 5, 12])
def test_trailing_panel_by_blocks_equals_the_dense_matrix_bit_for_bit(
    sample_agg, monkeypatch, window, threads
):
    import portfolio_lib.engine.tables as module

    monkeypatch.setattr("portfolio_lib.runtime.THREADS", threads)
    monkeypatch.setattr("portfolio_lib.runtime.os.cpu_count", lambda: 2)  # two threads on one core

    monthly, months = sample_agg.monthly, sample_agg.months
    active, trailing = _dense_active_and_trailing(monthly, months, window)
    n = len(sample_agg.customers)
    group = np.arange(n) % 7
    # Blocks of at most 128 customers: a dozen blocks.
    monkeypatch.setattr(module, "_BLOCK_BYTES", 8 * len(months) * 128)
    module.clear_cache()
    panel = module.views(monthly).panel(months, window)
    assert len(panel._leaves) > 8
    np.testing.assert_array_equal(panel.active, active)
    # Totals over customers: the sums of the dense rows (the blocks' sums added: to rounding).
    np.testing.assert_allclose(panel.totals, trailing.sum(axis=1), rtol=1e-12)
    rows = [0, 7, len(months) - 1]
    for position, row in zip(rows, panel.rows(rows), strict=True):
        assert row.tolist() == trailing[position].tolist()
    expected = np.stack([np.bincount(group, weights=trailing[p], minlength=7) for p in rows])
    np.testing.assert_allclose(panel.group_totals(rows, group, 7), expected, rtol=1e-12)
    module.clear_cache()


def test_unsorted_monthly_tables_take_the_dense_path():
    import portfolio_lib.engine.tables as module

    months = pd.date_range("2024-01-01", periods=4, freq="MS")
    monthly = pd.DataFrame(
        {
            "customer_id": pd.Categorical(["b", "a", "a", "b"], categories=["a", "b"]),
            "month": months[[1, 0, 0, 3]],  # a twice in January: a sum, not one cell
            "revenue": [3.0, 1.0, 2.0, -3.0],
        }
    )
    assert not module.views(monthly).sorted_cells()
    with pytest.raises(ValueError, match="sorted by customer"):
        module.views(monthly).row_bounds()
    active = active_matrix(monthly, months, activity_window=2)
    # a: 3 in January (1 + 2), b: 3 in February, -3 in April.
    assert active.to_numpy().tolist() == [[True, True, False, False], [False, True, True, False]]


def test_derived_arrays_follow_changes_of_the_table(tx):
    agg = aggregate(tx, as_of="2024-03-31")
    monthly = agg.monthly
    before = window_totals(monthly, agg.months, window=2)
    assert before.loc["a", "revenue"] == 200.0  # March only
    assert active_matrix(monthly, agg.months, activity_window=1).loc["a"].tolist() == [
        True,
        False,
        True,
    ]
    # In place, as a user would: the cached arrays must not be served any more.
    monthly.loc[monthly["month"] == pd.Timestamp("2024-03-01"), "revenue"] = -5.0
    after = window_totals(monthly, agg.months, window=2)
    assert after.loc["a", "revenue"] == -5.0 and not after.loc["a", "active"]
    assert active_matrix(monthly, agg.months, activity_window=1).loc["a"].tolist() == [
        True,
        False,
        False,
    ]
    # The returned frames are the caller's: changing one changes nothing cached.
    after.loc["a", "revenue"] = 1e6
    assert window_totals(monthly, agg.months, window=2).loc["a", "revenue"] == -5.0


def test_table_fingerprint_reads_the_columns_as_their_public_accessors(tx, monkeypatch):
    import portfolio_lib.engine.tables as module

    monthly = aggregate(tx, as_of="2024-03-31").monthly
    tables = [
        monthly,  # categorical ids, datetime months, float and integer columns
        monthly.assign(customer_id=monthly["customer_id"].astype(str), orders=1.5),
        monthly.assign(customer_id=monthly["customer_id"].astype(object)),
    ]
    fast = [module._table_state(table) for table in tables]
    assert all(state is not None for state in fast)
    assert len(set(fast)) == 3
    # The same fingerprints through frame[name] (pandas' private accessor gone).
    monkeypatch.delattr(pd.DataFrame, "_get_column_array")
    assert [module._table_state(table) for table in tables] == fast
    monkeypatch.undo()
    # A column changed in place (copied by pandas: the views share it), or replaced, changes
    # the fingerprint.
    changed = monthly.copy()
    before = module.views(changed).state
    changed.loc[0, "revenue"] = 1.0
    assert module._table_state(changed) != before
    before = module._table_state(changed)
    changed["month"] = changed["month"] + pd.Timedelta(0)
    assert module._table_state(changed) != before


def test_derived_arrays_go_with_the_table(tx):
    import gc

    import portfolio_lib.engine.tables as module

    agg = aggregate(tx, as_of="2024-03-31")
    window_totals(agg.monthly, agg.months)
    key = id(agg.monthly)
    assert key in module._TABLES
    del agg
    gc.collect()
    assert key not in module._TABLES
    module.clear_cache()
    assert not module._TABLES


@pytest.mark.parametrize("threads", [1, 2])
def test_month_positions_equal_get_indexer(monkeypatch, threads):
    """The binary search gives what hashing every timestamp gives, odd rows included."""
    import portfolio_lib.engine.tables as module

    monkeypatch.setattr("portfolio_lib.runtime.THREADS", threads)
    monkeypatch.setattr("portfolio_lib.runtime.os.cpu_count", lambda: 2)
    months = pd.date_range("2024-01-01", periods=5, freq="MS").as_unit("ns")
    stamps = [
        "2023-12-01",  # before the grid
        "2024-01-01",
        "2024-01-01T00:00:01",  # the right day, not the month's timestamp
        "2024-02-15",  # inside the grid, not a month start
        "2024-03-01",
        "2024-05-01",  # the last month
        "2024-06-01",  # after the grid
        "1677-09-22",  # near the smallest nanosecond timestamp
        "2262-04-01",  # near the largest
        None,  # NaT
    ]
    values = pd.Series(pd.to_datetime(stamps, format="ISO8601").as_unit("ns"))
    expected = months.get_indexer(values)
    assert expected.tolist() == [-1, 0, -1, -1, 2, 4, -1, -1, -1, -1]
    assert module._month_positions(values, months).tolist() == expected.tolist()
    # A grid that is not made of midnights takes the binary search: the same answer.
    shifted = months + pd.Timedelta(hours=1)
    moved = values + pd.Timedelta(hours=1)
    assert module._month_positions(moved, shifted).tolist() == expected.tolist()
    # Random rows of the grid's span, every one checked against get_indexer.
    rng = np.random.default_rng(3)
    days = rng.integers(-40, 200, size=5_000)
    random = pd.Series(months[0] + pd.to_timedelta(days, unit="D"))
    got = module._month_positions(random, months)
    assert got.tolist() == months.get_indexer(random).tolist()
    assert (got >= 0).sum() > 50  # month starts do come up


def test_month_positions_are_narrow():
    """Positions come in the narrowest integers of the grid."""
    import portfolio_lib.engine.tables as module

    rng = np.random.default_rng(8)
    for n_months, dtype in ((36, np.int8), (128, np.int8), (129, np.int16), (400, np.int16)):
        months = pd.date_range("1990-01-01", periods=n_months, freq="MS").as_unit("ns")
        picked = months[rng.integers(0, n_months, size=1_000)]
        values = pd.Series(picked.where(rng.random(1_000) < 0.9, picked + pd.Timedelta(days=3)))
        expected = months.get_indexer(values)
        got = module._month_positions(values, months)
        assert got.dtype == dtype and got.tolist() == expected.tolist()
        assert (expected == -1).any() and (expected == n_months - 1).any()
    assert (
        module._position_dtype(2**15) == np.int16 and module._position_dtype(2**15 + 1) == np.int32
    )


def test_row_bounds_of_sorted_tables_by_hand():
    import portfolio_lib.engine.tables as module

    months = pd.date_range("2024-01-01", periods=3, freq="MS")
    monthly = pd.DataFrame(
        {
            # Customers a and d have no row (prospects), c has three.
            "customer_id": pd.Categorical(["b", "b", "c", "c", "c"], categories=list("abcd")),
            "month": months[[0, 2, 0, 1, 2]],
            "revenue": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    views = module.views(monthly)
    assert views.sorted_cells()
    # a: rows 0:0, b: 0:2, c: 2:5, d: 5:5.
    assert views.row_bounds().tolist() == [0, 0, 2, 5, 5]
    assert views.on_grid(months) and not views.on_grid(months[1:])


def test_row_bounds_of_the_sample(sample_agg):
    """The bounds of a binary search in the sorted codes, and a disorder in the last pair
    alone is found."""
    import portfolio_lib.engine.tables as module

    monthly = sample_agg.monthly.iloc[:500]
    module.clear_cache()
    codes = monthly["customer_id"].cat.codes.to_numpy()
    n = len(monthly["customer_id"].cat.categories)
    expected = np.searchsorted(codes, np.arange(n + 1))
    assert module.views(monthly).row_bounds().tolist() == expected.tolist()
    # The last row in the month of the row before (same customer): not sorted.
    broken = monthly.copy()
    broken.iloc[-1, broken.columns.get_loc("month")] = broken["month"].iloc[-2]
    assert broken["customer_id"].iloc[-1] == broken["customer_id"].iloc[-2]
    assert not module.views(broken).sorted_cells()
    # The last row given the first customer: not sorted either.
    moved = monthly.copy()
    moved["customer_id"] = pd.Categorical.from_codes(
        np.append(codes[:-1], 0), dtype=monthly["customer_id"].dtype
    )
    assert not module.views(moved).sorted_cells()
    module.clear_cache()


@pytest.mark.parametrize("window", [1, 4])
def test_trailing_panel_drops_rows_off_the_grid_like_the_dense_matrix(
    sample_agg, monkeypatch, window
):
    """Blocks of a table with rows before and after the grid: the dense matrix's values."""
    import portfolio_lib.engine.tables as module

    monthly, months = sample_agg.monthly, sample_agg.months[3:-2]
    active, trailing = _dense_active_and_trailing(monthly, months, window)
    monkeypatch.setattr(module, "_BLOCK_BYTES", 8 * len(months) * 128)
    module.clear_cache()
    views = module.views(monthly)
    assert views.sorted_cells() and not views.on_grid(months)
    panel = views.panel(months, window)
    assert len(panel._leaves) > 8
    np.testing.assert_array_equal(panel.active, active)
    np.testing.assert_allclose(panel.totals, trailing.sum(axis=1), rtol=1e-12)
    module.clear_cache()


@pytest.mark.parametrize("end", [None, -4])
def test_window_totals_add_each_customers_rows_in_order(sample_agg, end):
    """Sums over the window's rows only: a customer's rows added one by one, from 0."""
    import portfolio_lib.engine.tables as module

    monthly, months = sample_agg.monthly, sample_agg.months
    last = months[-1 if end is None else end]
    module.clear_cache()
    got = window_totals(monthly, months, window=5, end=None if end is None else last)
    inside = (monthly["month"] <= last) & (monthly["month"] > last - pd.DateOffset(months=5))
    expected = dict.fromkeys(got.index, 0.0)
    orders = dict.fromkeys(got.index, 0)
    for customer, revenue, count in zip(
        monthly["customer_id"][inside],
        monthly["revenue"][inside],
        monthly["orders"][inside],
        strict=True,
    ):
        expected[customer] += revenue
        orders[customer] += count
    sums = np.array([expected[c] for c in got.index])
    assert got["revenue"].tolist() == np.round(sums, 9).tolist()
    assert got["orders"].tolist() == [orders[c] for c in got.index]
    assert got["active"].sum() > 100
    # A month grid in another order takes the general path: the same totals.
    shuffled = months[::-1]
    assert window_totals(monthly, shuffled, window=5, end=last).equals(got)
    module.clear_cache()


def test_values_read_the_column_without_copy_and_never_change():
    import portfolio_lib.engine.tables as module

    months = pd.date_range("2024-01-01", periods=2, freq="MS")
    monthly = pd.DataFrame(
        {
            "customer_id": pd.Categorical(["a", "b"], categories=["a", "b"]),
            "month": months,
            "revenue": [10.0, 20.0],
            "margin": [np.nan, 5.0],  # missing: 0
            "orders": [1, 2],
        }
    )
    views = module.views(monthly)
    revenue = views.values("revenue")
    assert np.shares_memory(revenue, monthly["revenue"].to_numpy())  # no copy
    assert views.values("margin").tolist() == [0.0, 5.0]
    assert views.values("orders").tolist() == [1.0, 2.0]
    assert not any(views.values(c).flags.writeable for c in ("revenue", "margin", "orders"))
    # Changed in place, the table gets its own copy: what was handed out stays as it was.
    monthly.loc[0, "revenue"] = -1.0
    assert revenue.tolist() == [10.0, 20.0]
    assert module.views(monthly).values("revenue").tolist() == [-1.0, 20.0]
    module.clear_cache()


def test_is_range_checks_every_chunk():
    from portfolio_lib.engine.tables import _is_range

    n = 2**16 * 2 + 5  # three chunks, the last partial
    codes = np.arange(n, dtype=np.int32)
    assert _is_range(codes) and _is_range(codes[:0]) and _is_range(codes[:1])
    for broken_at in (0, 2**16 - 1, 2**16, n - 1):  # chunk edges, inside and last value
        broken = codes.copy()
        broken[broken_at] += 1
        assert not _is_range(broken)
    assert not _is_range(codes[1:])  # shifted by one
    assert _is_range(np.arange(100, dtype=np.int8))
