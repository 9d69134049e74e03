"""The fast (Arrow, columnar) path of load_transactions against the plain pandas path.

The plain path (``fast=False``) is the reference: on every file here both give the same frame,
the same attributes, the same warnings, and on bad input the same error (code, message in both
languages, rows). Tests that the fast path really ran make the plain path unreachable.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from portfolio_lib import DataQualityWarning, PortfolioDataError, load_transactions
from portfolio_lib.data import load as load_module
from portfolio_lib.data.parse import parse_distinct

ROOT_EDGE = "tests/data/edge/transactions_fr.csv"


def both(source, **options):
    """(fast, plain) frames and warnings, compared; returns the fast frame."""
    results = []
    for fast in (True, False):
        if hasattr(source, "seek"):
            source.seek(0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = load_transactions(source, fast=fast, **options)
        results.append((frame, [str(w.message) for w in caught]))
    (fast_frame, fast_warnings), (plain_frame, plain_warnings) = results
    pd.testing.assert_frame_equal(fast_frame, plain_frame)
    assert fast_frame.attrs == plain_frame.attrs
    assert fast_warnings == plain_warnings
    return fast_frame


def same_error(source, **options):
    errors = []
    for fast in (True, False):
        with pytest.raises(PortfolioDataError) as info:
            load_transactions(source, fast=fast, **options)
        errors.append(info.value)
    fast_error, plain_error = errors
    assert fast_error.code == plain_error.code
    assert str(fast_error) == str(plain_error)
    assert fast_error.text("fr") == plain_error.text("fr")
    assert fast_error.details == plain_error.details
    return fast_error


@pytest.fixture
def plain_unreachable(monkeypatch):
    """Make the plain reader fail: a load that succeeds went through Arrow."""

    def refuse(*args, **kwargs):
        raise AssertionError("the plain path ran")

    monkeypatch.setattr(load_module, "read_raw", refuse)


def french_export(frame: pd.DataFrame, *, encoding="cp1252", thousands="") -> bytes:
    """``frame`` (canonical columns) written as a French ERP export."""

    def money(values):
        text = values.map(lambda v: f"{v:,.2f}".replace(",", "\x00").replace(".", ","))
        return text.str.replace("\x00", thousands, regex=False)

    body = pd.DataFrame(
        {
            "N° facture": frame["order_id"],
            "Code client": frame["customer_id"],
            "Date facture": frame["date"].dt.strftime("%d/%m/%Y"),
            "Montant HT": money(frame["amount"]),
            "Marge brute": money(frame["margin"]),
            "Famille": frame["product"],
            "Canal": frame["channel"],
        }
    )
    text = "Extraction des ventes\r\n" + body.to_csv(sep=";", index=False, lineterminator="\r\n")
    return text.encode(encoding)


@pytest.fixture(scope="module")
def sample_tx(sample_dir):
    return load_transactions(sample_dir / "transactions.csv", fast=False)


# ------------------------------------------------------------------ same frames


def test_sample_files_and_edge_set_through_arrow(sample_dir, plain_unreachable):
    english = load_transactions(sample_dir / "transactions.csv")
    french = load_transactions(sample_dir / "transactions_fr.csv")
    pd.testing.assert_frame_equal(french[english.columns], english)
    edge = load_transactions(ROOT_EDGE)
    # tests/data/edge: 14 lines, six customers, credit notes read as negative amounts.
    assert len(edge) == 14 and edge["amount"].sum() == pytest.approx(30425.0)
    assert edge.loc[2, "amount"] == -150.5 and edge["customer_id"].nunique() == 6
    assert edge.loc[8, "amount"] == 25000.0 and edge.loc[13, "order_id"] == "F11"


@pytest.mark.parametrize(
    "path", ["transactions.csv", "transactions_fr.csv", "edge"], ids=["en", "fr", "edge"]
)
def test_sample_and_edge_same_as_plain(sample_dir, path):
    both(ROOT_EDGE if path == "edge" else sample_dir / path)


@pytest.mark.parametrize(
    ("encoding", "thousands"),
    [("cp1252", ""), ("cp1252", " "), ("utf-8-sig", "\u00a0"), ("utf-16", ""), ("utf-8", "")],
)
def test_generated_french_exports(sample_tx, tmp_path, encoding, thousands):
    path = tmp_path / "ventes.csv"
    path.write_bytes(french_export(sample_tx, encoding=encoding, thousands=thousands))
    frame = both(path)
    pd.testing.assert_frame_equal(frame[sample_tx.columns], sample_tx, check_exact=True)


def test_generated_english_export_parquet_bytes_and_stream(sample_tx, tmp_path, plain_unreachable):
    path = tmp_path / "sales.csv"
    sample_tx.assign(date=sample_tx["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    pd.testing.assert_frame_equal(load_transactions(path), sample_tx)
    sample_tx.to_parquet(tmp_path / "sales.parquet")
    pd.testing.assert_frame_equal(load_transactions(tmp_path / "sales.parquet"), sample_tx)
    content = french_export(sample_tx)
    pd.testing.assert_frame_equal(load_transactions(content, name="up.csv"), sample_tx)
    stream = io.BytesIO(content)
    stream.name = "ventes.csv"
    frame = load_transactions(stream)
    pd.testing.assert_frame_equal(frame, sample_tx)
    assert frame.attrs["source"] == "ventes.csv"


@pytest.mark.parametrize(
    ("encoding", "ids", "products"),
    [
        # 0x81 is undefined in cp1252: the file is read as latin-1, "\x81" kept in the id.
        ("latin-1", ["A\x81", "B"], ["Tôle", "Vis"]),
        # "Ã©" in cp1252 is the two bytes of "é" in UTF-8; "œ" (0x9c) makes the file cp1252.
        ("cp1252", ["CÃ©dric", "Élise"], ["Cœur", "Vis"]),
    ],
)
def test_single_byte_files_through_arrow_alone(tmp_path, monkeypatch, encoding, ids, products):
    rows = [
        f"{i};{d};1,5;{p}"
        for i, d, p in zip(ids, ["31/12/2024", "01/01/2025"], products, strict=True)
    ]
    path = tmp_path / "file.csv"
    path.write_bytes("\n".join(["client;date;montant;produit", *rows, ""]).encode(encoding))
    frame = both(path)
    assert frame["customer_id"].tolist() == ids
    assert frame["product"].tolist() == products
    monkeypatch.setattr(load_module, "read_raw", None)  # the same through Arrow alone
    pd.testing.assert_frame_equal(load_transactions(path), frame)


def test_files_read_by_blocks_decode_and_number_every_block(tmp_path, monkeypatch):
    from portfolio_lib.data import read as read_module

    # Blocks of about 20 lines: the first decides which columns are dictionaries (clients,
    # products) or plain text (invoice numbers, amounts); accents appear only in later blocks.
    monkeypatch.setattr(read_module, "_BLOCK", 512)
    lines = ["Extraction des ventes", "N° facture;Code client;Date facture;Montant HT;Famille"]
    for i in range(300):
        client = "Cédric" if i == 250 else f"C{i % 7}"
        invoice = f"F{i}é" if i == 280 else f"F{i}"
        product = "Électricité" if i >= 200 else "Vis"
        lines.append(f"{invoice};{client};{1 + i % 28:02d}/01/2025;{i},{i % 100:02d};{product}")
    lines.append(lines[-1])  # a copy of the last line, in the last block
    path = tmp_path / "blocks.csv"
    path.write_bytes("\r\n".join([*lines, ""]).encode("cp1252"))
    arrow = read_module.read_arrow(path, table="transactions")
    assert arrow.table.column("Code client").num_chunks > 10
    assert pa.types.is_dictionary(arrow.table.column("Famille").type)
    assert pa.types.is_string(arrow.table.column("N° facture").type)
    frame = both(path)
    assert frame.loc[250, "customer_id"] == "Cédric" and frame.loc[280, "order_id"] == "F280é"
    assert (frame["product"] == "Électricité").sum() == 101
    assert frame.loc[299, "amount"] == 299.99 and frame.loc[300, "amount"] == 299.99
    with pytest.warns(DataQualityWarning, match="row 303"):  # title, header, then line 303
        load_transactions(path)


def test_cells_with_spaces_quotes_blanks_and_duplicates(tmp_path):
    text = (
        "client;date;montant;facture;famille\n"
        ' C1 ;31/12/2024;1 234,50;" F1 ";Vis\n'
        "C2;02/01/2025;-50;;\n"
        'C1;31/12/2024;1 234,50;" F1 ";Vis\n'
        '"C;3";15/02/2025;12,5;F3;\u3000\n'
        "C2;02/01/2025;-50;;\n"
    )
    path = tmp_path / "cells.csv"
    path.write_bytes(text.encode("utf-8"))
    frame = both(path)
    assert frame["customer_id"].tolist() == ["C1", "C2", "C1", "C;3", "C2"]
    assert frame["order_id"].iloc[0] == "F1"
    assert frame["order_id"].isna().tolist() == [False, True, False, False, True]
    assert frame["amount"].tolist() == [1234.5, -50.0, 1234.5, 12.5, -50.0]
    assert frame["product"].isna().tolist() == [False, True, False, True, True]


def test_blank_rows_are_dropped_and_rows_keep_their_numbers(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("client;date;montant\nA;01/01/2025;1\n;;\nB;01/01/2025;2\nB;01/01/2025;2\n")
    frame = both(path)
    assert frame["customer_id"].tolist() == ["A", "B", "B"]
    with pytest.warns(DataQualityWarning, match="row 5"):  # line 5 of the file copies line 4
        load_transactions(path)


def test_decimal_mark_votes_and_odd_amounts(tmp_path):
    # Only three-decimal values: no vote, the ';' file's hint (comma) decides: 1,234 = 1.234.
    path = tmp_path / "three.csv"
    path.write_text("client;date;montant\nA;01/01/2025;1,234\nB;01/01/2025;2,500\n")
    assert both(path)["amount"].tolist() == [1.234, 2.5]
    # A ',' file: the hint is the point, so 1.234 is 1.234; quoted 1,234 is 1234.
    path = tmp_path / "dots.csv"
    path.write_text('client,date,amount\nA,2025-01-01,"1,234"\nB,2025-01-01,0.5\n')
    assert both(path)["amount"].tolist() == [1234.0, 0.5]
    # Spellings Arrow leaves to the plain parser: all read the same way as before.
    path = tmp_path / "odd.csv"
    path.write_text(
        "client;date;montant\nA;01/01/2025;(12,50)\nB;01/01/2025;12 €\nC;01/01/2025;\u22125\n",
        encoding="utf-8",
    )
    assert both(path)["amount"].tolist() == [-12.5, 12.0, -5.0]


def test_arrow_numbers_equal_the_plain_parser():
    rng = np.random.default_rng(7)
    cents = np.concatenate(
        [rng.integers(-(10**9), 10**9, 20_000), rng.integers(-(10**15), 10**15, 2_000)]
    )
    texts = [f"{c // 100},{c % 100:02d}" for c in cents]
    texts += [repr(float(x)) for x in rng.normal(0, 1e4, 2_000)] + ["0", "-0", "007", "12,3456789"]
    column = pa.chunked_array([pa.array(texts)])
    fast = parse_distinct(column, "amount", required=True, decimal_hint=",")
    assert fast is not None
    plain = load_module.parse_amounts(pd.Series(texts, dtype="str"), ",").to_numpy()
    np.testing.assert_array_equal(fast.values, plain)


# ------------------------------------------------------------------ same errors


BAD_FILES = {
    "blank id": "client;date;montant\n;01/01/2025;1\nB;01/01/2025;2\n",
    "blank amount": "client;date;montant\nA;01/01/2025;\nB;01/01/2025;2\n",
    "spaces id": "client;date;montant\n  ;01/01/2025;1\n",
    "bad date": "client;date;montant\nA;31/02/2025;1\nB;demain;2\nC;01/01/2025;3\n",
    "ambiguous": "client;date;montant\nA;13/01/2024;1\nB;01/13/2024;2\n",
    "bad amount": "client;date;montant\nA;01/01/2025;n/a\nB;01/01/2025;12\n",
    "bad margin": "client;date;montant;marge\nA;01/01/2025;1;beaucoup\n",
    "future": "client;date;montant\nA;01/01/2025;1\nB;01/01/2052;2\n",
    "missing column": "client;jour;montant ttc\nA;01/01/2025;1\n",
    "header only": "client;date;montant\n",
    "empty": "",
    "blank lines": "\n\n",
    "uneven rows": "client;date;montant\nA;01/01/2025;1;extra;cells\nB;01/01/2025\n",
    "title only": "Export du 01/01/2025\n",
}


@pytest.mark.parametrize("content", list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_bad_files_give_the_plain_error(tmp_path, content):
    path = tmp_path / "ventes.csv"
    path.write_text(content, encoding="utf-8")
    err = same_error(path, today="2025-06-30")
    assert err.file == "ventes.csv"


def test_bad_mapping_corrupt_parquet_and_wrong_type_give_the_plain_error(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("A;B;C\nx;01/01/2025;1\n")
    assert same_error(path, mapping={"customer_id": "Client"}).code == "bad_mapping"
    # One column for two fields: the invoice numbers are no amounts.
    path.write_text("client;date;facture\nA;01/01/2025;F1\n")
    err = same_error(path, mapping={"amount": "facture", "order_id": "facture"})
    assert (err.code, err.column, err.rows) == ("bad_numbers", "facture", [2])
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    assert same_error(broken).code == "unreadable_file"
    assert same_error(b"client;date\n", name="x.pdf").code == "unsupported_format"
    assert same_error(tmp_path / "absent.csv").code == "file_not_found"


def test_parquet_with_missing_cells_gives_the_plain_error(tmp_path):
    frame = pd.DataFrame(
        {"customer_id": ["A", None], "date": pd.to_datetime(["2025-01-01"] * 2), "amount": [1, 2]}
    )
    frame.to_parquet(tmp_path / "t.parquet")
    err = same_error(tmp_path / "t.parquet")
    assert (err.code, err.rows) == ("missing_values", [2])


# ------------------------------------------------------------------ the benchmark's export


def test_generated_french_export_loads_back_to_the_log(tmp_path):
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:  # the benchmarks are scripts next to the package
        sys.path.insert(0, root)
    from benchmarks.exports import write_export
    from benchmarks.generate import write_log

    files = write_log(5_000, tmp_path / "log", seed=3)
    log = pd.read_parquet(files.transactions)
    for fmt in ("fr", "en"):
        path = write_export(files, tmp_path / f"{fmt}.csv", fmt)
        frame = both(path)
        assert frame.attrs["mapping"]["amount"] == ("Montant HT" if fmt == "fr" else "Net sales")
        assert frame["customer_id"].tolist() == log["customer_id"].tolist()
        assert frame["order_id"].tolist() == log["order_id"].tolist()
        assert (frame["date"].to_numpy() == log["date"].to_numpy()).all()
        np.testing.assert_allclose(frame["amount"], log["amount"].round(2), rtol=0, atol=1e-9)
        np.testing.assert_allclose(frame["margin"], log["margin"].round(2), rtol=0, atol=1e-9)
    raw = (tmp_path / "fr.csv").read_bytes()
    assert raw.startswith(b"Extraction des ventes du ") and b";Montant HT;" in raw
    assert raw.count("Électricité".encode("cp1252")) == (log["product"] == "Électricité").sum()
    assert raw.count(b"\r\n") == len(log) + 2  # title, header, one line per row
