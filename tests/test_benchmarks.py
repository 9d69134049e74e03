"""Benchmark machinery at small scale: the log generator, the summary check, the runner's
worker, the targets' verdicts and the list of timed analyses. No timing is asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the benchmarks are scripts next to the package
    sys.path.insert(0, str(ROOT))

from benchmarks import run  # noqa: E402
from benchmarks.analyses import (  # noqa: E402
    ANALYSES,
    WIDGET_CHANGES,
    Context,
    availability,
    prepare_widgets,
)
from benchmarks.generate import LogFiles, ensure_log, parse_size, size_label, write_log  # noqa: E402
from benchmarks.steps import compare_summaries  # noqa: E402
from portfolio_lib.engine.aggregate import aggregate, customer_summary  # noqa: E402


@pytest.fixture(scope="module")
def small_log(tmp_path_factory) -> LogFiles:
    return write_log(6_000, tmp_path_factory.mktemp("log") / "small", seed=5)


def test_sizes_parse_and_label():
    assert parse_size("1m") == 1_000_000
    assert parse_size("20M") == 20_000_000
    assert parse_size("1.6m") == 1_600_000
    assert parse_size("250k") == 250_000
    assert parse_size("100_000") == 100_000
    assert parse_size(42) == 42
    with pytest.raises(ValueError, match="not understood"):
        parse_size("lots")
    assert [size_label(n) for n in (1_000_000, 1_600_000, 250_000, 1234)] == [
        "1m",
        "1.6m",
        "250k",
        "1234",
    ]


def test_generated_log_has_exactly_the_rows_and_the_story(small_log):
    tx = pd.read_parquet(small_log.transactions)
    assert len(tx) == small_log.rows == 6_000
    assert list(tx.columns) == ["order_id", "customer_id", "date", "amount", "margin", "product"]
    assert tx["customer_id"].str.fullmatch(r"CL\d{7}").all()
    assert tx["order_id"].str.fullmatch(r"(F|AV)\d{2}-\d{7}").all()
    credit = tx["order_id"].str.startswith("AV")
    assert (tx.loc[credit, "amount"] < 0).all() and (tx.loc[~credit, "amount"] > 0).all()
    assert 0 < credit.mean() < 0.05  # a few credit notes
    # ERP export: date order, working days only, an invoice = one customer and one day,
    # some invoices with several lines.
    assert tx["date"].is_monotonic_increasing
    assert (tx["date"].dt.day_of_week < 5).all()
    per_invoice = tx.groupby("order_id").agg(
        customers=("customer_id", "nunique"), days=("date", "nunique"), lines=("amount", "size")
    )
    assert (per_invoice["customers"] == 1).all() and (per_invoice["days"] == 1).all()
    assert (per_invoice["lines"] > 1).any()
    # Invoice numbers run 1, 2, 3... per kind and year, in date order.
    invoices = tx.drop_duplicates("order_id")
    for _, numbers in invoices["order_id"].groupby(invoices["order_id"].str[:-8]):
        assert numbers.str[-7:].astype(int).tolist() == list(range(1, len(numbers) + 1))
    # Heterogeneous customers: one-off buyers and heavy ones.
    rows_per_customer = tx.groupby("customer_id").size()
    assert rows_per_customer.min() == 1 and rows_per_customer.max() >= 30
    assert rows_per_customer.size == small_log.n_buyers


def test_generated_customer_and_cost_tables(small_log):
    tx = pd.read_parquet(small_log.transactions)
    customers = pd.read_parquet(small_log.customers)
    assert len(customers) == small_log.n_customers
    assert customers["customer_id"].is_unique
    assert set(tx["customer_id"]) <= set(customers["customer_id"])
    # Prospects: in the customer table, never in the log (2 % of the buyers, rounded).
    assert small_log.n_customers - small_log.n_buyers == round(small_log.n_buyers * 0.02)
    assert {"sales_rep", "segment", "region", "potential", "acquisition_channel"} <= set(
        customers.columns
    )
    costs = pd.read_parquet(small_log.costs)
    # 36 months x (5 acquisition channels + retention).
    assert len(costs) == 36 * 6
    assert (costs["amount"] > 0).all()
    assert costs.groupby("kind").size().to_dict() == {"acquisition": 180, "retention": 36}


def test_generation_is_seeded_and_cached(tmp_path):
    first = ensure_log("3k", seed=11, root=tmp_path)
    stamp = first.transactions.stat().st_mtime_ns
    again = ensure_log(3_000, seed=11, root=tmp_path)
    assert again == first and again.transactions.stat().st_mtime_ns == stamp  # not rewritten
    other = write_log(3_000, tmp_path / "copy", seed=11)
    pd.testing.assert_frame_equal(
        pd.read_parquet(first.transactions), pd.read_parquet(other.transactions)
    )


def test_our_summary_equals_lifetimes_on_a_generated_log(small_log, tmp_path):
    utils = pytest.importorskip("lifetimes.utils", reason="lifetimes not installed")
    ours = customer_summary(small_log.transactions)
    frame = pd.read_parquet(small_log.transactions, columns=["customer_id", "date", "amount"])
    theirs = utils.summary_data_from_transaction_data(
        frame, "customer_id", "date", monetary_value_col="amount"
    )
    ours.to_parquet(tmp_path / "ours.parquet")
    theirs.to_parquet(tmp_path / "theirs.parquet")
    check = compare_summaries(tmp_path / "ours.parquet", tmp_path / "theirs.parquet")
    assert check["ok"] and check["customers"] == small_log.n_buyers
    assert check["frequency_equal"] and check["recency_equal"] and check["T_equal"]
    assert check["monetary_max_abs_diff"] <= 1e-9
    # The check catches a wrong mean and a missing customer.
    off = ours.assign(monetary_value=ours["monetary_value"] + 1e-6)
    off.to_parquet(tmp_path / "off.parquet")
    assert not compare_summaries(tmp_path / "off.parquet", tmp_path / "theirs.parquet")["ok"]
    ours.iloc[1:].to_parquet(tmp_path / "fewer.parquet")
    fewer = compare_summaries(tmp_path / "fewer.parquet", tmp_path / "theirs.parquet")
    assert not fewer["ok"] and not fewer["same_customers"]


def test_worker_process_reports_time_memory_and_output(small_log, tmp_path):
    out, save = tmp_path / "result.json", tmp_path / "summary.parquet"
    command = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--worker", "summary"]
    command += [str(small_log.directory), "--out", str(out), "--save", str(save)]
    subprocess.run(command, check=True, cwd=ROOT, capture_output=True, timeout=120)
    result = json.loads(out.read_text())
    assert result["step"] == "summary" and result["output_rows"] == small_log.n_buyers
    assert result["wall"] > 0 and result["cpu"] > 0
    assert result["peak_mib"] >= result["base_mib"] > 0
    saved = pd.read_parquet(save)
    pd.testing.assert_frame_equal(saved, customer_summary(small_log.transactions))


def _measure(step: str, wall: float, peak: float = 500.0, **detail: object) -> run.Measure:
    return run.Measure(
        step, runs=[{"wall": wall, "cpu": wall, "peak_mib": peak, "base_mib": 100.0, **detail}]
    )


def test_targets_verdicts():
    big = {
        "rows": 20_000_000,
        "customers": 1_200_000,
        "measures": {
            "summary": _measure("summary", 4.0, peak=900.0),
            "lifetimes": _measure("lifetimes", 60.0, peak=4000.0),
            "analyses": _measure(
                "analyses", 1.5, calls={"a": 1.0, "b": 0.5}, total=1.5, missing={}, failed={}
            ),
        },
        "check": None,
    }
    small = {"rows": 1_000_000, "customers": 60_000, "measures": {}, "check": {"ok": True}}
    widget = {
        "customers": 101_000,
        "measures": {
            "widget": _measure("widget", 0.25, calls={"abc": 0.05, "movements": 0.25}, failed={})
        },
    }
    verdicts = [t.status for t in run._targets({"20m": big, "1m": small}, widget)]
    # 60 / 4 = 15x >= 5x; 900 MiB < 1536 MiB; check ok; 1.5 s < 3 s; 250 ms > 200 ms.
    assert verdicts == ["PASS", "PASS", "PASS", "PASS", "FAIL"]
    big["measures"]["lifetimes"] = _measure("lifetimes", 16.0)  # 16 / 4 = 4x < 5x
    big["measures"]["summary"] = _measure("summary", 4.0, peak=1600.0)
    verdicts = [t.status for t in run._targets({"20m": big}, None)]
    assert verdicts == ["FAIL", "FAIL", "n/a", "PASS", "n/a"]
    timed_out = run.Measure("lifetimes", status="timeout", note="timed out after 1800 s")
    big["measures"]["lifetimes"] = timed_out
    assert run._targets({"20m": big}, None)[0].status == "PASS"  # > 1800 s vs 4 s


def test_listed_analyses_and_widget_changes_run(small_log):
    agg = aggregate(small_log.transactions, pd.read_parquet(small_log.customers))
    ctx = Context(agg, pd.read_parquet(small_log.costs))
    available = [call for call in ANALYSES if availability(call) is None]
    assert available, "no analysis module importable"
    with warnings.catch_warnings():  # the models' data-quality notes are not the point here
        warnings.simplefilter("ignore")
        for call in available:
            assert call.run(ctx) is not None, call.label
        prepare_widgets(ctx)
        for call in WIDGET_CHANGES:
            if availability(call) is None:
                assert call.run(ctx) is not None, call.label
    assert ctx.prepared["rep"] in set(agg.customers["sales_rep"])
    # The 12-month table the balance and CLV explorers keep is aligned on the customer table.
    yearly = ctx.prepared["totals"]
    assert yearly["customer_id"].tolist() == agg.customers["customer_id"].tolist()
    assert np.isclose(yearly["revenue"].sum(), _last_12_months_revenue(small_log))


def _last_12_months_revenue(files: LogFiles) -> float:
    """Independent check: the log's net revenue from 2025-01-01 to 2025-12-31."""
    tx = pd.read_parquet(files.transactions)
    return float(tx.loc[tx["date"] >= "2025-01-01", "amount"].sum())
