"""The sample generator: deterministic, realistic enough, and equal to the committed files."""

from __future__ import annotations

import pandas as pd
import pytest

from portfolio_lib import load_transactions
from portfolio_lib.data.sample import generate_sample, main, sample_files


@pytest.fixture(scope="module")
def fresh():
    return generate_sample()


def test_committed_files_equal_a_fresh_generation(fresh, sample_dir):
    for name, content in sample_files(fresh).items():
        committed = (sample_dir / name).read_bytes()
        assert committed == content, (
            f"data/sample/{name} differs from a fresh generation: run `make sample` and commit"
        )


def test_same_seed_same_data_other_seed_other_data():
    a = generate_sample(n_customers=50, seed=1)
    b = generate_sample(n_customers=50, seed=1)
    c = generate_sample(n_customers=50, seed=2)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    assert not a.transactions["amount"].equals(c.transactions["amount"])


def test_shape_of_the_portfolio(fresh):
    tx, customers, costs = fresh.transactions, fresh.customers, fresh.costs
    assert len(customers) == 2000 and customers["customer_id"].is_unique
    assert set(tx["customer_id"]) == set(customers["customer_id"])  # every customer bought
    assert customers["sales_rep"].nunique() == 8
    assert customers.groupby("region")["sales_rep"].nunique().eq(2).all()
    assert tx["date"].min() >= pd.Timestamp("2023-01-01")
    assert tx["date"].max() <= pd.Timestamp("2025-12-31")
    assert (tx["date"].dt.day_of_week < 5).all()  # B2B: invoices on working days
    returns = tx["amount"] < 0
    assert 0.01 < returns.mean() < 0.05 and tx.loc[returns, "order_id"].str.startswith("AV").all()
    assert tx["order_id"].is_unique
    # The account opens up to two weeks before the first invoice (plus a weekend).
    first = tx.groupby("customer_id")["date"].min()
    lag = (first - customers.set_index("customer_id")["acquisition_date"]).dt.days
    assert lag.between(0, 16).all()
    # Heterogeneous purchase rates and churn: some one-off buyers, some very frequent.
    orders = tx[~returns].groupby("customer_id").size()
    assert (orders == 1).mean() > 0.05 and orders.max() > 100
    last_year = tx[tx["date"].dt.year == 2025].groupby("customer_id")["amount"].sum()
    assert 0.15 < last_year.max() / last_year.sum() < 0.25  # one key account trips the alert
    assert set(costs["kind"]) == {"acquisition", "retention"}
    assert costs["period"].nunique() == 36 and (costs["amount"] > 0).all()


def test_french_export_round_trips_through_the_loader(fresh, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(sample_files(fresh)["transactions_fr.csv"])
    assert path.read_bytes().startswith(b"Extraction des ventes")
    assert "Montant HT".encode("cp1252") in path.read_bytes()
    loaded = load_transactions(path)
    expected = fresh.transactions.reset_index(drop=True)
    pd.testing.assert_frame_equal(loaded[expected.columns], expected, check_dtype=False)


def test_cli_writes_the_files(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--customers", "30", "--seed", "3"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "costs.csv",
        "customers.csv",
        "transactions.csv",
        "transactions_fr.csv",
    ]
    assert "transactions.csv" in capsys.readouterr().out
