"""Hostile and awkward input (issue 19): no silent wrong number, errors that say where and why.

Each case is a real file written to a tmp dir and read by the loaders, both the fast (Arrow)
and the plain pandas path; the corpus in tests/data/hostile/ is run at the end.
"""

from __future__ import annotations

import csv
import datetime as dt
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_lib import (
    DataQualityWarning,
    PortfolioDataError,
    load_costs,
    load_transactions,
    read_table,
)
from portfolio_lib.data.parse import (
    ambiguous_day_month,
    ambiguous_thousands,
    parse_amounts,
    parse_dates,
    parse_distinct,
)
from portfolio_lib.engine.aggregate import aggregate, customer_summary


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


# ------------------------------------------------------------------ 1. non-finite amounts


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("bad", ["inf", "-inf", "1e308", "Infinity", "2e15"])
def test_infinite_or_huge_amount_refused_with_its_row(tmp_path, bad, fast):
    path = write(
        tmp_path / "ventes.csv",
        f"customer_id,date,amount\nC1,2024-01-05,10.5\nC2,2024-01-06,{bad}\nC3,2024-01-07,3\n",
    )
    with pytest.raises(PortfolioDataError) as err:
        load_transactions(path, fast=fast)
    assert err.value.code == "huge_amounts"
    assert err.value.column == "amount" and err.value.rows == [3]
    assert "ventes.csv" in str(err.value) and "What to do" in str(err.value)
    assert "infini" in err.value.text("fr")


@pytest.mark.parametrize("fast", [True, False])
def test_nan_text_amount_refused_with_its_row(tmp_path, fast):
    path = write(tmp_path / "ventes.csv", "customer_id,date,amount\nC1,2024-01-05,nan\n")
    with pytest.raises(PortfolioDataError) as err:
        load_transactions(path, fast=fast)
    assert err.value.column == "amount" and err.value.rows == [2]


def test_infinite_amount_in_parquet_refused(tmp_path):
    path = tmp_path / "ventes.parquet"
    pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "date": ["2024-01-05", "2024-01-06"],
            "amount": [1.0, float("inf")],
        }
    ).to_parquet(path)
    with pytest.raises(PortfolioDataError) as err:
        load_transactions(path)
    assert err.value.code == "huge_amounts" and err.value.rows == [2]  # no header line


# ------------------------------------------------------------------ 6. negative spend


def test_negative_acquisition_spend_refused(tmp_path):
    path = write(
        tmp_path / "couts.csv",
        "mois;type;montant\n2024-01;acquisition;1 000\n2024-02;acquisition;-250\n"
        "2024-02;fidélisation;300\n",
    )
    with pytest.raises(PortfolioDataError) as err:
        load_costs(path)
    assert err.value.code == "negative_costs"
    assert err.value.column == "montant" and err.value.rows == [3]
    assert "couts.csv" in str(err.value) and "positive" in str(err.value)


# ------------------------------------------------------------------ 7. time-zone-aware dates


def _paris_log():
    stamps = pd.to_datetime(["2024-01-05 23:50", "2024-01-06 00:10"]).tz_localize("Europe/Paris")
    return pd.DataFrame({"customer_id": ["a", "a"], "date": stamps, "amount": [10.0, 20.0]})


def test_tz_aware_timestamps_cut_into_local_days():
    summary = customer_summary(_paris_log(), as_of="2024-02-14")
    # Local days 5 and 6 January: one repeat day, 1 day apart, 40 days to 14 February.
    assert summary.loc["a"].to_dict() == {
        "frequency": 1.0,
        "recency": 1.0,
        "T": 40.0,
        "monetary_value": 20.0,
    }
    agg = aggregate(_paris_log(), as_of="2024-02-14")
    assert agg.customers.loc[agg.customers["customer_id"] == "a", "frequency"].tolist() == [1]


# ------------------------------------------------------------------ 8. as_of before the data


def test_as_of_before_every_transaction_says_what_to_do():
    with pytest.raises(PortfolioDataError) as err:
        aggregate(_paris_log(), as_of="2023-12-31")
    assert err.value.code == "no_transactions_before"
    assert "31/12/2023" in str(err.value) and "05/01/2024" in str(err.value)
    assert "customers.csv" not in str(err.value)
    assert "05/01/2024" in err.value.text("fr")


def test_as_of_error_names_the_transactions_file_only(tmp_path):
    path = write(
        tmp_path / "ventes.csv", "client;date;montant\nC1;05/01/2024;10\nC2;16/02/2024;20\n"
    )
    with pytest.raises(PortfolioDataError) as err:
        aggregate(load_transactions(path), as_of="2020-01-01")
    assert str(err.value).startswith("ventes.csv: no transaction on or before")
    assert "customers" not in str(err.value)


# ------------------------------------------------------------------ 2. thousands dots


THOUSANDS = {
    # name: (file text, amounts, ambiguous rows)
    "french pattern decides": (
        "client;date;montant\nA;2024-01-15;1.234,56\nB;2024-01-16;1.234\nC;2024-01-17;25.000\n",
        [1234.56, 1234.0, 25000.0],
        [],
    ),
    "decimal comma elsewhere": (
        "client;date;montant\nA;2024-01-15;12,5\nB;2024-01-16;1.234\nC;2024-01-17;25.000\n",
        [12.5, 1234.0, 25000.0],
        [],
    ),
    "comma file, quoted french amount": (
        'client,date,montant\nA,2024-01-15,"1.234,56"\nB,2024-01-16,1.234\nC,2024-01-17,25.000\n',
        [1234.56, 1234.0, 25000.0],
        [],
    ),
    "decimal point elsewhere": (
        "client,date,montant\nA,2024-01-15,12.5\nB,2024-01-16,1.234\n",
        [12.5, 1.234],
        [],
    ),
    "semicolon file, nothing tells": (
        "client;date;montant\nA;2024-01-15;1.234\nB;2024-01-16;25.000 €\nC;2024-01-17;7\n",
        [1234.0, 25000.0, 7.0],
        [2, 3],
    ),
    "comma file, nothing tells": (
        "client,date,montant\nA,2024-01-15,1.234\nB,2024-01-16,25.000\nC,2024-01-17,12\n",
        [1.234, 25.0, 12.0],
        [2, 3],
    ),
}


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("case", list(THOUSANDS))
def test_thousands_dot_read_from_the_column_evidence_or_warned(tmp_path, case, fast):
    text, amounts, doubtful = THOUSANDS[case]
    path = write(tmp_path / "ventes.csv", text)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = load_transactions(path, fast=fast)
    assert frame["amount"].tolist() == amounts
    found = [w.message for w in caught if isinstance(w.message, DataQualityWarning)]
    if doubtful:
        assert [w.code for w in found] == ["ambiguous_thousands"]
        assert found[0].details["rows"] == doubtful and found[0].details["column"] == "montant"
        assert "1234,00" in str(found[0]) and "1234,00" in found[0].text("fr")
    else:
        assert found == []


# ------------------------------------------------------------------ 3. Excel text amounts


@pytest.mark.parametrize("fast", [True, False])
def test_excel_text_amounts_read_with_their_decimal_comma(tmp_path, fast):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["client", "date", "montant"])
    for row in (["A", "2024-01-05", 12.5], ["B", "2024-01-06", 7.25]):
        sheet.append(row)
    # Cells typed as text in Excel (a leading apostrophe): the French way, decimal comma.
    sheet.append(["C", "2024-01-07", "1234,56"])
    sheet.append(["D", "2024-01-08", "1 234,5"])
    book.save(tmp_path / "ventes.xlsx")
    frame = load_transactions(tmp_path / "ventes.xlsx", fast=fast)
    assert frame["amount"].tolist() == [12.5, 7.25, 1234.56, 1234.5]


# ------------------------------------------------------------------ 4. day or month first


@pytest.mark.parametrize("fast", [True, False])
def test_all_ambiguous_us_dates_read_day_first_with_a_warning(tmp_path, fast):
    path = write(
        tmp_path / "us.csv",
        "customer_id,date,amount\nA,01/05/2024,1\nB,02/03/2024,2\nC,03/03/2024,3\n",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = load_transactions(path, fast=fast)
    assert frame["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-05-01",
        "2024-03-02",
        "2024-03-03",
    ]
    found = [w.message for w in caught if isinstance(w.message, DataQualityWarning)]
    assert [w.code for w in found] == ["ambiguous_day_month"]
    assert found[0].details["rows"] == [2, 3]  # 03/03 reads the same both ways
    assert "date_format='%m/%d/%Y'" in str(found[0]) and "jour" in found[0].text("fr")
    # The remedy the warning gives: 5 January, 3 February, 3 March, and no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        again = load_transactions(path, date_format="%m/%d/%Y", fast=fast)
    assert again["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-05",
        "2024-02-03",
        "2024-03-03",
    ]


@pytest.mark.parametrize("fast", [True, False])
def test_one_day_above_12_settles_the_date_order_silently(tmp_path, fast):
    path = write(tmp_path / "us.csv", "customer_id,date,amount\nA,01/05/2024,1\nB,01/13/2024,2\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        frame = load_transactions(path, fast=fast)
    assert frame["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-05", "2024-01-13"]


# ------------------------------------------------------------------ 5. NUL bytes, Mac Roman


@pytest.mark.parametrize("fast", [True, False])
def test_nul_byte_in_an_id_is_dropped(tmp_path, fast):
    path = tmp_path / "ventes.csv"
    path.write_bytes(b"customer_id,date,amount\nC021\x00,2024-01-15,1\nC021,2024-01-16,2\n")
    frame = load_transactions(path, fast=fast)
    assert frame["customer_id"].tolist() == ["C021", "C021"]  # one customer, not two


FRENCH_TEXT = (
    "client;date;montant;désignation\nCafé Élise;15/01/2024;1,5;Électricité générale\n"
    "Crêperie;16/01/2024;2;Chauffage à gaz, façade l’été\n"
)


@pytest.mark.parametrize("encoding", ["mac_roman", "cp1252", "utf-8"])
@pytest.mark.parametrize("fast", [True, False])
def test_mac_roman_file_read_as_mac_roman(tmp_path, encoding, fast):
    path = tmp_path / "ventes.csv"
    path.write_bytes(FRENCH_TEXT.encode(encoding))
    frame = load_transactions(path, fast=fast)
    assert frame["customer_id"].tolist() == ["Café Élise", "Crêperie"]  # not CafŽ ƒlise
    assert read_table(path)["désignation"].tolist() == [
        "Électricité générale",
        "Chauffage à gaz, façade l’été",
    ]


# ------------------------------------------------------------------ 9. errors that point right


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read(tmp_path, encoding, fast):
    path = tmp_path / "ventes.csv"
    path.write_bytes("client;date;montant\nCafé;15/01/2024;1,5\nB;16/01/2024;2\n".encode(encoding))
    frame = load_transactions(path, fast=fast)
    assert frame["customer_id"].tolist() == ["Café", "B"]
    assert frame["amount"].tolist() == [1.5, 2.0]


@pytest.mark.parametrize("fast", [True, False])
def test_blank_line_inside_the_data_keeps_the_editor_row_numbers(tmp_path, fast):
    path = write(
        tmp_path / "ventes.csv",
        "Export du 31/01/2024\n\nclient;date;montant\nA;15/01/2024;1\n\n"
        "B;16/01/2024;2\r\n\r\nC;32/01/2024;3\n",
    )
    with pytest.raises(PortfolioDataError) as err:
        load_transactions(path, fast=fast)
    assert err.value.rows == [8]  # line 8 in the editor


@pytest.mark.parametrize("fast", [True, False])
def test_blank_line_inside_the_data_duplicate_rows_warning(tmp_path, fast):
    path = write(
        tmp_path / "ventes.csv",
        "client;date;montant\nA;15/01/2024;1\n\nA;15/01/2024;1\nB;16/01/2024;2\n",
    )
    with pytest.warns(DataQualityWarning) as caught:
        frame = load_transactions(path, fast=fast)
    assert len(frame) == 3
    assert [w.message.details["rows"] for w in caught] == [[4]]


@pytest.mark.parametrize("fast", [True, False])
def test_two_amount_columns_warn_and_name_the_mapping(tmp_path, fast):
    path = write(tmp_path / "ventes.csv", "client;date;montant;amount\nA;15/01/2024;10;12\n")
    with pytest.warns(DataQualityWarning) as caught:
        frame = load_transactions(path, fast=fast)
    assert frame["amount"].tolist() == [12.0]  # 'amount' ranks first among the names
    assert [w.message.code for w in caught] == ["other_candidate_columns"]
    assert "mapping={'amount': 'montant'}" in str(caught[0].message)
    assert load_transactions(path, mapping={"amount": "montant"}, fast=fast)["amount"].tolist() == [
        10.0
    ]


def _workbook(path):
    import openpyxl

    book = openpyxl.Workbook()
    sheets = {
        "Notes": [["Extraction du 31/01/2024"]],
        "Ventes": [
            ["client", "date", "montant"],
            ["A", "2024-01-15", 1],
            ["B", "2024-01-16", "abc"],
        ],
        "Archive": [["client", "date", "montant"]],
    }
    book.active.title = "Notes"
    for title, rows in sheets.items():
        sheet = book[title] if title in book.sheetnames else book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_excel_with_several_sheets_names_the_sheet_read_and_how_to_choose(tmp_path):
    path = _workbook(tmp_path / "ventes.xlsx")
    with pytest.raises(PortfolioDataError) as err:
        load_transactions(path)
    # The first sheet is a note: the sheet with the table is read, and the message says so.
    assert err.value.rows == [3] and err.value.column == "montant"
    assert "sheet 'Ventes'" in str(err.value) and "sheet=" in str(err.value)
    assert "'Notes', 'Archive'" in str(err.value)


# ------------------------------------------------------------------ the corpus


CORPUS = Path(__file__).parent / "data" / "hostile"
EXPECTED = list(csv.DictReader((CORPUS / "expected.csv").open(encoding="utf-8"), delimiter=";"))


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("case", EXPECTED, ids=[c["file"] for c in EXPECTED])
def test_hostile_corpus_through_the_loader(case, fast):
    kind, _, code = case["outcome"].partition(":")
    rows = [int(r) for r in case["rows"].split()]
    path = CORPUS / case["file"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if kind == "error":
            with pytest.raises(PortfolioDataError) as err:
                load_transactions(path, fast=fast)
            assert err.value.code == code and err.value.rows == rows
            assert case["file"] in str(err.value) and "What to do" in str(err.value)
            assert "Que faire" in err.value.text("fr")
            assert err.value.column == (case["column"] or err.value.column)
            cells = [c for c in case["cells"].split(",") if c]
            assert err.value.details.get("cells", []) == cells
            assert all(cell in str(err.value) and cell in err.value.text("fr") for cell in cells)
            return
        frame = load_transactions(path, fast=fast)
    found = [w.message for w in caught if isinstance(w.message, DataQualityWarning)]
    assert [w.code for w in found] == ([code] if kind == "warning" else [])
    if rows:
        assert found[0].details["rows"] == rows
    assert frame["amount"].tolist() == [float(a) for a in case["amounts"].split()]
    if case["customers"]:
        assert frame["customer_id"].nunique() == int(case["customers"])


@pytest.mark.parametrize("fast", [True, False])
def test_comma_separated_file_with_decimal_commas_blames_the_amount(tmp_path, fast):
    path = write(
        tmp_path / "ventes.csv", "client,date,montant\nA,15/01/2024,12,5\nB,16/01/2024,3,25\n"
    )
    with pytest.raises(PortfolioDataError) as err:
        load_transactions(path, fast=fast)
    assert err.value.code == "extra_fields" and err.value.column == "montant"
    assert err.value.rows == [2, 3] and "'date'" not in str(err.value)
    assert "';'" in str(err.value) and "virgule décimale" in err.value.text("fr")


# ------------------------------------------------------------------ properties of the parsers


def _french(cents: int, decimals: bool) -> str:
    sign, cents = ("-" if cents < 0 else ""), abs(cents)
    whole = f"{cents // 100:,}".replace(",", "\u00a0")
    return sign + whole + (f",{cents % 100:02d}" if decimals else "")


def _english(cents: int, decimals: bool) -> str:
    sign, cents = ("-" if cents < 0 else ""), abs(cents)
    return sign + f"{cents // 100:,}" + (f".{cents % 100:02d}" if decimals else "")


@settings(max_examples=300, deadline=None)
@given(
    cents=st.integers(-(10**13), 10**13),
    decimals=st.booleans(),
    french=st.booleans(),
)
def test_amount_written_by_a_french_or_english_export_round_trips_or_is_flagged(
    cents, decimals, french
):
    cents = cents if decimals else cents - cents % 100
    text = (_french if french else _english)(cents, decimals)
    hint = "," if french else "."  # the separator of the file: ';' French, ',' English
    values = pd.Series([text], dtype=object)
    read = parse_amounts(values, hint).iloc[0]
    flagged = bool(ambiguous_thousands(values).iloc[0])
    # Either the exact amount, or a reading the loader warns about: never a silent third value.
    assert read == cents / 100 or flagged
    column = pa.chunked_array([pa.array([text])])
    fast = parse_distinct(column, "amount", required=True, decimal_hint=hint)
    assert fast is None or fast.values[0] == read


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 12, 31)))
def test_date_written_day_first_or_iso_round_trips(day):
    for text in (day.strftime("%d/%m/%Y"), day.isoformat(), day.strftime("%d.%m.%Y")):
        values = pd.Series([text], dtype=object)
        read = parse_dates(values).iloc[0]
        assert read == pd.Timestamp(day) or bool(ambiguous_day_month(values).iloc[0])
    us = pd.Series([day.strftime("%m/%d/%Y")], dtype=object)
    read = parse_dates(us).iloc[0]
    assert read == pd.Timestamp(day) or bool(ambiguous_day_month(us).iloc[0])


@pytest.mark.parametrize("fast", [True, False])
def test_one_bad_date_after_many_good_rows_is_named_by_its_row(tmp_path, fast):
    good = "".join(f"C{i};{1 + i % 28:02d}/{1 + i % 12:02d}/2024;1\n" for i in range(20_000))
    path = write(tmp_path / "ventes.csv", "client;date;montant\n" + good + "Z;45/13/2024;2\n")
    with pytest.raises(PortfolioDataError) as err:
        load_transactions(path, fast=fast)
    assert err.value.code == "bad_dates" and err.value.rows == [20_002]


@pytest.mark.parametrize(
    "file, code", [("inf_amount.csv", "huge_amounts"), ("blank_line_inside.csv", "bad_dates")]
)
def test_hostile_corpus_through_prepare(file, code):
    from portfolio_lib.engine.prepare import prepare

    with pytest.raises(PortfolioDataError) as err:
        prepare(str(CORPUS / file))
    assert err.value.code == code and file in str(err.value)


def test_prepare_as_of_before_the_data_with_transactions_only():
    from portfolio_lib.engine.prepare import prepare

    with pytest.raises(PortfolioDataError) as err:
        prepare(str(CORPUS / "us_dates_with_evidence.csv"), as_of="2020-01-01")
    assert err.value.code == "no_transactions_before"
    assert str(err.value).startswith("us_dates_with_evidence.csv:")
    assert "customers" not in str(err.value)


@pytest.mark.parametrize("text", ["2923-01-01", "05/01/2923", "1500-06-30"])
def test_a_date_beyond_what_nanoseconds_hold_is_a_bad_date_with_its_row(tmp_path, text):
    # Found by the fuzz run: pandas gave OutOfBoundsDatetime instead of the project's error.
    from portfolio_lib.data.load import load_customers

    path = tmp_path / "clients.csv"
    path.write_text(f"customer_id;acquisition_date\nC1;2024-01-05\nC2;{text}\n", encoding="utf-8")
    with pytest.raises(PortfolioDataError) as caught:
        load_customers(path)
    assert caught.value.code == "bad_dates"
    assert "row 3" in caught.value.text("en") and text in caught.value.text("en")


def test_a_parquet_text_column_with_invalid_utf8_is_an_unreadable_file(tmp_path):
    # Found by the fuzz run: pyarrow's ArrowException surfaced when the text was first used.
    import pyarrow.parquet as pq

    from portfolio_lib.data.load import load_customers

    raw = pa.array([b"C1", b"Outi\xe9lage"], pa.binary())
    text = pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())  # not valid UTF-8
    path = tmp_path / "clients.parquet"
    pq.write_table(pa.table({"customer_id": text}), path)
    with pytest.raises(PortfolioDataError) as caught:
        load_customers(path)
    assert caught.value.code == "unreadable_file"
    assert "clients.parquet" in caught.value.text("en") and "UTF8" in caught.value.text("en")


@pytest.mark.parametrize("far", [b'r="B99999999"', b'r="ZZZZ2"'])
def test_a_workbook_reaching_impossible_cells_is_refused_before_reading(tmp_path, far):
    # Found by the fuzz run: the reader allocated the whole range (861 GB) and aborted.
    import io
    import zipfile

    from openpyxl import Workbook

    from portfolio_lib.data.load import load_customers

    book = Workbook()
    book.active.append(["customer_id", "segment"])
    book.active.append(["C1", "PME"])
    plain = io.BytesIO()
    book.save(plain)
    damaged = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b'r="B2"', far)
            target.writestr(item, data)
    path = tmp_path / "clients.xlsx"
    path.write_bytes(damaged.getvalue())
    with pytest.raises(PortfolioDataError) as caught:
        load_customers(path)
    assert caught.value.code == "sheet_too_large"
    assert "Delete" in caught.value.text("en") and "Supprimer" in caught.value.text("fr")


def test_a_cost_month_beyond_what_nanoseconds_hold_is_a_bad_month_with_its_row(tmp_path):
    # Found by the fuzz run: pandas gave OutOfBoundsDatetime instead of the project's error.
    from portfolio_lib.data.load import load_costs

    path = tmp_path / "couts.csv"
    path.write_text(
        "month;channel;kind;amount\n2024-01;web;acquisition;5\n2707-11;web;acquisition;10\n"
    )
    with pytest.raises(PortfolioDataError) as caught:
        load_costs(path)
    assert "row 3" in caught.value.text("en") and "2707-11" in caught.value.text("en")


@pytest.mark.parametrize("fast", [True, False])
def test_mixed_date_formats_name_the_rows_of_the_rarer_one(tmp_path, fast):
    # Issue 19: 2,000 good day-first rows and one month-first date at the end gave no row.
    from portfolio_lib.data.load import load_transactions

    lines = ["customer_id;date;amount", *[f"C{i % 50};25/01/2024;10" for i in range(2000)]]
    path = tmp_path / "ventes.csv"
    path.write_text("\n".join([*lines, "C1;01/13/2024;5"]) + "\n", encoding="utf-8")
    with pytest.raises(PortfolioDataError) as caught:
        load_transactions(path, fast=fast)
    assert caught.value.code == "ambiguous_dates"
    assert caught.value.rows == [2002]  # header on line 1, the 2,000 good rows on 2-2001
    assert "the rarer format is on row 2002" in caught.value.text("en")
    assert "le format le plus rare se trouve ligne 2002" in caught.value.text("fr")
