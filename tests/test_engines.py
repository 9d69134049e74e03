"""One aggregation, several engines: DuckDB (default SQL and the Ibis expression), PostgreSQL
(a real server started for the run) and Spark (local) give the same tables.

Parity is checked on the committed sample and on the edge-case set: same customers and months,
counts and dates exactly, amounts to 1e-6 (so identical to the cent).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from portfolio_lib import load_portfolio
from portfolio_lib.config import SAMPLE_DIR
from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError
from portfolio_lib.engine.aggregate import aggregate, customer_summary
from portfolio_lib.engine.backends import engine_kind
from portfolio_lib.engine.prepare import prepare
from portfolio_lib.engine.sources import mask, parse_source

EDGE = SAMPLE_DIR.parents[1] / "tests" / "data" / "edge"
AMOUNT_TOLERANCE = 1e-6  # euros: far below a cent

pytestmark = pytest.mark.engines


def _edge():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_portfolio(EDGE / "transactions_fr.csv", EDGE / "customers.csv")


@pytest.fixture(scope="module")
def datasets(sample_portfolio):
    return {"sample": sample_portfolio, "edge": _edge()}


def assert_same(left, right) -> None:
    """Same customers, months, counts and dates; amounts within AMOUNT_TOLERANCE."""
    pd.testing.assert_frame_equal(
        left.customers, right.customers, check_exact=False, rtol=0, atol=AMOUNT_TOLERANCE
    )
    pd.testing.assert_frame_equal(
        left.monthly, right.monthly, check_exact=False, rtol=0, atol=AMOUNT_TOLERANCE
    )
    pd.testing.assert_index_equal(left.months, right.months)
    assert left.as_of == right.as_of
    assert left.has_margin == right.has_margin


@pytest.mark.parametrize("name", ["sample", "edge"])
def test_ibis_expression_on_duckdb_matches_the_default_sql(datasets, name):
    data = datasets[name]
    default = aggregate(data.transactions, data.customers)
    assert_same(default, aggregate(data.transactions, data.customers, engine="duckdb-ibis"))


# ------------------------------------------------------------------ PostgreSQL

EDGE_COLUMNS = {"customer_id": "N° client", "date": "Date facture", "amount": "Montant HT"}


@pytest.fixture(scope="module")
def pg_tables(postgres_server, datasets):
    """The sample as `ventes` (canonical names, amounts NUMERIC(12,2)) and the edge set as
    `ventes_fr` (the French headers of its CSV export): a mapping to recognise."""
    con = postgres_server.connect()
    sample = datasets["sample"].transactions
    con.create_table("ventes", sample, overwrite=True)
    con.raw_sql("ALTER TABLE ventes ALTER COLUMN amount TYPE NUMERIC(12, 2)")
    con.raw_sql("ALTER TABLE ventes ALTER COLUMN date TYPE DATE")
    edge = datasets["edge"].transactions.rename(columns={**EDGE_COLUMNS, "order_id": "N° facture"})
    con.create_table("ventes_fr", edge, overwrite=True)
    bad = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B", None],
            "date": ["2024-01-03", "2024-02-01", "2024-03-01", "2024-03-02"],
            "amount": [10.0, 20.0, 5.0, 1.0],
        }
    )
    con.create_table("text_dates", bad.dropna(), overwrite=True)
    # The blank id on line 1 201: past the first lines checked like a file, found by the SQL.
    many = pd.concat([bad.iloc[:3]] * 400 + [bad.iloc[3:]], ignore_index=True)
    con.create_table("blank_ids", many.assign(date=pd.to_datetime(many["date"])), overwrite=True)
    con.disconnect()
    return postgres_server


@pytest.mark.parametrize(("name", "table"), [("sample", "ventes"), ("edge", "ventes_fr")])
def test_postgres_aggregates_in_the_database_like_duckdb(datasets, pg_tables, name, table):
    data = datasets[name]
    source = pg_tables.source(table)
    default = aggregate(data.transactions, data.customers)
    assert_same(default, aggregate(source, data.customers, engine="postgres"))


def test_postgres_query_source_and_summary(datasets, pg_tables):
    tx = datasets["sample"].transactions
    query = "SELECT * FROM ventes WHERE date < DATE '2024-07-01'"
    source = parse_source(pg_tables.source("ventes").replace("table=ventes", f"query={query}"))
    early = tx[tx["date"] < "2024-07-01"]
    got = customer_summary(source, as_of="2024-06-30", engine="postgres")
    pd.testing.assert_frame_equal(got, customer_summary(early, as_of="2024-06-30"), atol=1e-6)
    assert len(got) == early["customer_id"].nunique()


def test_small_table_read_and_checked_like_a_file(datasets, pg_tables):
    source = parse_source(pg_tables.source("ventes_fr"))
    frame = source.read()
    assert list(frame.columns[:3]) == ["N° client", "Date facture", "Montant HT"]
    from portfolio_lib.data.load import load_transactions

    loaded = load_transactions(frame, name=source.name)
    edge = datasets["edge"].transactions
    pd.testing.assert_frame_equal(loaded[edge.columns], edge, check_dtype=False, atol=1e-9)


def test_credentials_never_shown(pg_tables):
    source = parse_source(pg_tables.source("no_such_table"))
    assert "s3cret" not in str(source) and "s3cret" not in repr(source)
    assert str(source).startswith("postgresql://portfolio:***@/portfolio?table=no_such_table")
    with pytest.raises(PortfolioDataError) as caught:
        aggregate(source, engine="postgres")
    assert caught.value.code == "source_unreachable"
    assert "s3cret" not in caught.value.text("en") and "s3cret" not in caught.value.text("fr")
    wrong = pg_tables.source("ventes").replace("s3cret-pw", "wrong-pw")
    with pytest.raises(PortfolioDataError) as caught:
        aggregate(wrong, engine="postgres")
    assert "wrong-pw" not in str(caught.value) and "***" in str(caught.value)


def test_checks_run_in_the_database(datasets, pg_tables):
    with pytest.raises(PortfolioDataError) as caught:
        aggregate(pg_tables.source("text_dates"), engine="postgres")
    assert caught.value.code == "engine_column_type" and caught.value.column == "date"
    with pytest.raises(PortfolioDataError) as caught:
        aggregate(pg_tables.source("blank_ids"), engine="postgres")
    assert caught.value.code == "engine_missing_values"
    assert caught.value.details["count"] == 1 and caught.value.column == "customer_id"
    with pytest.raises(PortfolioDataError) as caught:
        aggregate(
            pg_tables.source("ventes"),
            engine="postgres",
            today="2024-12-30",
            allow_future_dates=False,
        )
    tx = datasets["sample"].transactions
    assert caught.value.code == "engine_future_dates"
    assert caught.value.details["today"] == "30/12/2024"
    assert caught.value.details["count"] == int((tx["date"] > "2024-12-30").sum()) > 0


# ------------------------------------------------------------------ Spark


@pytest.mark.parametrize("name", ["sample", "edge"])
def test_spark_aggregates_like_duckdb(datasets, spark, name):
    data = datasets[name]
    default = aggregate(data.transactions, data.customers)
    assert_same(default, aggregate(data.transactions, data.customers, engine=spark))


def test_spark_reads_parquet_and_its_tables(datasets, spark, tmp_path):
    tx = datasets["sample"].transactions
    path = tmp_path / "ventes.parquet"
    tx.to_parquet(path, coerce_timestamps="us")  # Spark reads no nanoseconds
    default = customer_summary(tx, as_of="2024-06-30")
    pd.testing.assert_frame_equal(
        customer_summary(path, as_of="2024-06-30", engine="spark"), default, atol=1e-6
    )
    spark.read.parquet(str(path)).createOrReplaceTempView("ventes_spark")
    assert_same(aggregate(tx), aggregate("table=ventes_spark", engine=spark))


# ------------------------------------------------------------------ names and masking


def test_engine_names():
    assert engine_kind("DuckDB") == "duckdb"
    assert engine_kind("postgresql") == "postgres"
    assert engine_kind("sc://spark.example:15002") == "spark"
    with pytest.raises(ValueError, match="not understood"):
        engine_kind("oracle")


def test_mask_hides_passwords_in_url_and_parameters():
    assert mask("postgresql://u:p%40ss@h:5432/db?table=t") == "postgresql://u:***@h:5432/db?table=t"
    assert (
        mask("postgresql://u@h/db?password=x&table=t") == "postgresql://u@h/db?password=***&table=t"
    )
    with pytest.raises(PortfolioDataError) as caught:
        parse_source("postgresql://u:pw@h/db")
    assert caught.value.code == "bad_source" and "pw" not in str(caught.value).replace("***", "")


# ------------------------------------------------------------------ prepare (notebooks, report)


def test_prepare_reads_a_database_table_on_every_engine(datasets, pg_tables, sample_dir):
    customers = sample_dir / "customers.csv"
    files = prepare(sample_dir / "transactions.csv", customers, "", segment="PME")
    url = pg_tables.source("ventes")
    local = prepare(url, customers, "", segment="PME")  # read and checked like a file
    remote = prepare(url, customers, "", segment="PME", engine="postgres")
    for other in (local, remote):
        assert_same(files.full, other.full)
        assert_same(files.agg, other.agg)
    assert local.data.transactions.attrs["source"] == "ventes"
    assert remote.data.transactions is None
    assert len(files.agg.customers) == int((files.full.customers["segment"] == "PME").sum()) > 0


@pytest.mark.notebooks
def test_report_on_a_database_never_writes_the_password(pg_tables, tmp_path, monkeypatch, capsys):
    """portfolio-report --transactions postgresql://user:PW@... --engine postgres: the run
    works and no file of the report, nor the console, holds the password."""
    from engine_servers import PG_PASSWORD

    from portfolio_lib.report import cli

    monkeypatch.delenv("PGPASSWORD", raising=False)
    argv = ["--notebooks", "01", "--transactions", pg_tables.source("ventes")]
    argv += ["--customers", "", "--costs", "", "--engine", "postgres", "--lang", "en"]
    argv += ["--output", str(tmp_path), "--date", "2025-01-31"]
    assert cli.main(argv) == 0
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"index.html", "run.json", "01_weight.html"}
    for path in written:
        assert PG_PASSWORD.encode() not in path.read_bytes(), path
    out = capsys.readouterr()
    assert PG_PASSWORD not in out.out + out.err
    index = (tmp_path / "2025-01-31" / "index.html").read_text(encoding="utf-8")
    # The summary's appendix names the table, not the server's address.
    assert "<dd>ventes</dd>" in index and "host=" not in index
    assert "<dt>Customer file</dt><dd>none</dd>" in index
    run = (tmp_path / "2025-01-31" / "run.json").read_text(encoding="utf-8")
    assert "postgresql://portfolio@/portfolio?table=ventes&host=" in run
    page = (tmp_path / "2025-01-31" / "01_weight.html").read_text(encoding="utf-8")
    assert "Traceback" not in page


def test_report_parameters_move_the_password_to_the_environment(monkeypatch, tmp_path):
    from portfolio_lib.report.params import ReportError, resolve_parameters

    monkeypatch.delenv("PGPASSWORD", raising=False)
    known = {"00.ipynb": {"TRANSACTIONS": "", "CUSTOMERS": "", "COSTS": "", "ENGINE": ""}}
    given = {"transactions": "postgresql://ana:p%40ss@db/crm?table=ventes", "engine": "postgres"}
    resolved = resolve_parameters([("flags", given)], known, cwd=tmp_path)
    assert resolved["TRANSACTIONS"] == "postgresql://ana@db/crm?table=ventes"
    assert resolved["ENGINE"] == "postgres"
    assert __import__("os").environ["PGPASSWORD"] == "p@ss"
    other = {"transactions": "postgresql://bob:other@db2/crm?table=ventes"}
    with pytest.raises(ReportError, match="~/.pgpass") as caught:
        resolve_parameters([("flags", other)], known, cwd=tmp_path)
    assert "other" not in str(caught.value).replace("other than", "")
    with pytest.raises(ReportError, match="SPARK_REMOTE"):
        resolve_parameters([("flags", {"engine": "sc://h:15002/;token=abc"})], known, cwd=tmp_path)
    with pytest.raises(ReportError, match="not understood"):
        resolve_parameters([("flags", {"engine": "oracle"})], known, cwd=tmp_path)
