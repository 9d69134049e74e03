"""Loaders: every file path and every error, on real files written to tmp dirs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from portfolio_lib import (
    DataQualityWarning,
    PortfolioDataError,
    guess_mapping,
    load_costs,
    load_customers,
    load_portfolio,
    load_transactions,
    read_table,
)
from portfolio_lib.data.load import check_cost_channels, check_customer_ids, check_size

EXPECTED = pd.DataFrame(
    {
        "customer_id": ["C1", "C2", "C1", "00042"],
        "date": pd.to_datetime(["2024-12-31", "2025-01-02", "2025-02-15", "2025-03-01"]),
        "amount": [1234.56, -50.0, 12.5, 1000000.0],
    }
)


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def check_expected(frame):
    pd.testing.assert_frame_equal(
        frame[["customer_id", "date", "amount"]], EXPECTED, check_dtype=False
    )
    assert frame["date"].dtype == "datetime64[ns]"
    assert frame["amount"].dtype == float


# ------------------------------------------------------------------ CSV flavours


def test_plain_csv_with_iso_dates(tmp_path):
    path = write(
        tmp_path / "tx.csv",
        "customer_id,date,amount\nC1,2024-12-31,1234.56\nC2,2025-01-02,-50\n"
        "C1,2025-02-15,12.5\n00042,2025-03-01,1000000\n",
    )
    check_expected(load_transactions(path))


def test_french_export_cp1252_semicolon_decimal_comma_title_line(tmp_path):
    text = (
        "Extraction des ventes au 31/03/2025\r\n"
        "N° client;Date facture;Montant HT;Désignation\r\n"
        "C1;31/12/2024;1\u00a0234,56;Tôle\r\n"
        "C2;02/01/2025;-50,00;Remise\r\n"
        "C1;15/02/2025;12,5;Vis\r\n"
        "00042;01/03/2025;1\u00a0000\u00a0000,00;Chaudière\r\n"
    )
    path = write(tmp_path / "ventes.csv", text, "cp1252")
    frame = load_transactions(path)
    check_expected(frame)
    assert frame.attrs["mapping"] == {
        "customer_id": "N° client",
        "date": "Date facture",
        "amount": "Montant HT",
    }
    assert list(frame.columns) == ["customer_id", "date", "amount"]


def test_utf8_bom_semicolon_and_regular_space_thousands(tmp_path):
    text = (
        "\ufeffCode client;Date de facture;CA HT\n"
        "C1;31/12/2024;1 234,56\nC2;02/01/2025;-50\nC1;15/02/2025;12,50\n"
        "00042;01/03/2025;1 000 000\n"
    )
    check_expected(load_transactions(write(tmp_path / "bom.csv", text)))


def test_tab_separated_english_headers_and_us_numbers(tmp_path):
    text = (
        "Customer\tInvoice date\tNet sales\n"
        "C1\t2024-12-31\t1,234.56\nC2\t2025-01-02\t-50.00\nC1\t2025-02-15\t12.50\n"
        "00042\t2025-03-01\t1,000,000.00\n"
    )
    check_expected(load_transactions(write(tmp_path / "us.tsv", text)))


def test_amount_spellings():
    raw = pd.DataFrame(
        {
            "customer_id": list("abcdefghi"),
            "date": ["2025-01-01"] * 9,
            "amount": [
                "1.234,56",
                "(12,50)",
                "12,50-",
                "\u22125",
                "€ 12",
                "12 €",
                "7,1",
                "1 000",
                "0,333",
            ],
        }
    )
    got = load_transactions(raw)["amount"].tolist()
    assert got == [1234.56, -12.5, -12.5, -5.0, 12.0, 12.0, 7.1, 1000.0, 0.333]


def test_date_spellings():
    raw = pd.DataFrame(
        {
            "customer_id": list("abcdef"),
            "date": [
                "31.12.24",
                "2024-12-31 14:35:00",
                "31/12/2024 08:00",
                "45657",
                "20241231",
                "31-12-2024",
            ],
            "amount": [1.0] * 6,
        }
    )
    dates = load_transactions(raw)["date"]
    assert (dates == pd.Timestamp("2024-12-31")).all()


def test_month_first_dates_are_detected_and_dayfirst_can_be_forced():
    raw = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": ["04/13/2024", "01/02/2024"], "amount": [1, 2]}
    )
    assert load_transactions(raw)["date"].tolist() == [
        pd.Timestamp("2024-04-13"),
        pd.Timestamp("2024-01-02"),
    ]
    only_ambiguous = raw.iloc[[1]]
    assert load_transactions(only_ambiguous)["date"].iloc[0] == pd.Timestamp("2024-02-01")
    forced = load_transactions(only_ambiguous, dayfirst=False)
    assert forced["date"].iloc[0] == pd.Timestamp("2024-01-02")
    explicit = load_transactions(only_ambiguous, date_format="%m/%d/%Y")
    assert explicit["date"].iloc[0] == pd.Timestamp("2024-01-02")


def test_mixed_day_and_month_first_is_an_error():
    raw = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": ["13/01/2024", "01/13/2024"], "amount": [1, 2]}
    )
    with pytest.raises(PortfolioDataError) as info:
        load_transactions(raw, name="mix.csv")
    assert info.value.code == "ambiguous_dates"
    assert "13/01/2024" in str(info.value) and "01/13/2024" in str(info.value)


# ------------------------------------------------------------------ Excel, Parquet, frames, bytes


def test_excel_with_real_dates_numeric_ids_and_a_title_row(tmp_path):
    path = tmp_path / "ventes.xlsx"
    body = pd.DataFrame(
        {
            "N° client": [1042, 7, 1042],
            "Date facture": pd.to_datetime(["2025-01-31", "2025-02-01", "2025-03-01"]),
            "Montant HT": [10.5, 20.0, -3.25],
        }
    )
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Ventes 2025"]]).to_excel(writer, header=False, index=False)
        body.to_excel(writer, startrow=2, index=False)
    frame = load_transactions(path)
    assert frame["customer_id"].tolist() == ["1042", "7", "1042"]
    assert frame["date"].tolist() == list(body["Date facture"])
    assert frame["amount"].tolist() == [10.5, 20.0, -3.25]


def test_excel_with_text_dates_and_row_numbers_in_errors(tmp_path):
    path = tmp_path / "texte.xlsx"
    pd.DataFrame(
        {
            "Client": ["A", "B", "C"],
            "Date": ["31/01/2025", "le 3 mars", "01/02/2025"],
            "CA": [1, 2, 3],
        }
    ).to_excel(path, index=False)
    with pytest.raises(PortfolioDataError) as info:
        load_transactions(path)
    # Header on Excel row 1: the bad value sits on row 3.
    assert info.value.rows == [3]
    assert info.value.file == "texte.xlsx"
    assert "le 3 mars" in str(info.value)


def test_parquet_and_dataframe_inputs(tmp_path):
    path = tmp_path / "tx.parquet"
    EXPECTED.to_parquet(path)
    check_expected(load_transactions(path))
    original = EXPECTED.copy()
    check_expected(load_transactions(EXPECTED))
    pd.testing.assert_frame_equal(EXPECTED, original)  # raw data never modified


def test_bytes_upload_needs_and_uses_its_name(tmp_path):
    content = "client;date;montant\nC1;31/12/2024;1 234,56\n".encode("cp1252")
    frame = load_transactions(content, name="upload.csv")
    assert frame["amount"].iloc[0] == 1234.56
    with pytest.raises(PortfolioDataError) as info:
        load_transactions(content, name="upload.pdf")
    assert info.value.code == "unsupported_format"


def test_read_table_keeps_cells_as_text_and_numbers_rows_like_the_file(tmp_path):
    path = write(tmp_path / "t.csv", "Export du 01/02/2025\nclient;montant\n001;1,5\n002;\n")
    raw = read_table(path, table="transactions")
    assert list(raw.columns) == ["client", "montant"]
    # Title on line 1, header on line 2: data rows are lines 3 and 4.
    assert raw.index.tolist() == [3, 4]
    assert raw.loc[3, "client"] == "001" and raw.loc[3, "montant"] == "1,5"
    assert pd.isna(raw.loc[4, "montant"])


# ------------------------------------------------------------------ mapping


def test_explicit_mapping_both_directions_and_ignoring_a_field():
    raw = pd.DataFrame({"Compte": ["A"], "Jour": ["2025-01-01"], "Valeur": ["3,5"], "Marge": ["1"]})
    forward = load_transactions(
        raw, mapping={"customer_id": "Compte", "date": "Jour", "amount": "Valeur"}
    )
    backward = load_transactions(
        raw, mapping={"Compte": "customer_id", "Jour": "date", "Valeur": "amount"}
    )
    pd.testing.assert_frame_equal(forward, backward)
    assert forward["margin"].iloc[0] == 1.0
    ignored = load_transactions(
        raw, mapping={"customer_id": "Compte", "date": "Jour", "amount": "Valeur", "margin": None}
    )
    assert "margin" not in ignored


def test_guess_mapping_prefers_best_synonym_and_uses_each_column_once():
    columns = ["Client", "Code client", "Date facture", "CA TTC", "CA HT", "Nom"]
    assert guess_mapping(columns, "transactions") == {
        "customer_id": "Code client",
        "date": "Date facture",
        "amount": "CA HT",
    }
    customers = guess_mapping(
        ["Code client", "Raison sociale", "Commercial", "Potentiel"], "customers"
    )
    assert customers == {
        "customer_id": "Code client",
        "name": "Raison sociale",
        "sales_rep": "Commercial",
        "potential": "Potentiel",
    }


def test_bad_mapping_names_the_columns():
    raw = pd.DataFrame({"A": ["x"], "B": ["2025-01-01"], "C": ["1"]})
    with pytest.raises(PortfolioDataError) as info:
        load_transactions(raw, mapping={"customer_id": "Client"})
    assert info.value.code == "bad_mapping"
    assert "'Client'" in str(info.value) and "A, B, C" in str(info.value)
    with pytest.raises(PortfolioDataError, match="neither"):
        load_transactions(raw, mapping={"A": "B"})


# ------------------------------------------------------------------ errors


def test_missing_column_lists_found_and_expected_names(tmp_path):
    path = write(tmp_path / "ventes.csv", "Client;Jour;Montant TTC\nA;01/01/2025;12\n")
    with pytest.raises(PortfolioDataError) as info:
        load_transactions(path)
    err = info.value
    assert err.code == "missing_columns"
    assert err.details["fields"] == ["date", "amount"]
    message = str(err)
    assert "ventes.csv" in message
    assert "'Client', 'Jour', 'Montant TTC'" in message  # what was found
    assert "date facture" in message and "montant ht" in message  # what is accepted
    assert "mapping={'date': '...', 'amount': '...'}" in message
    french = err.text("fr")
    assert "introuvable" in french and "Que faire" in french


def test_unparseable_dates_give_file_line_numbers_and_examples(tmp_path):
    lines = ["client;date;montant"] + [f"C{i};0{i % 9 + 1}/01/2025;1" for i in range(8)]
    lines[3] = "C2;31/02/2025;1"  # no 31 February
    lines[6] = "C5;demain;1"
    path = write(tmp_path / "dates.csv", "\n".join(lines) + "\n")
    with pytest.raises(PortfolioDataError) as info:
        load_transactions(path)
    err = info.value
    assert (err.code, err.column, err.rows) == ("bad_dates", "date", [4, 7])
    assert "'31/02/2025', 'demain'" in str(err)
    assert "rows 4, 7" in str(err) and "lignes 4, 7" in err.text("fr")


def test_unparseable_amounts_list_at_most_five_rows(tmp_path):
    lines = ["client;date;montant"] + ["C;01/01/2025;n/a"] * 7 + ["C;01/01/2025;12"]
    path = write(tmp_path / "amounts.csv", "\n".join(lines) + "\n")
    with pytest.raises(PortfolioDataError) as info:
        load_transactions(path)
    err = info.value
    assert err.code == "bad_numbers" and err.details["count"] == 7
    assert err.rows == [2, 3, 4, 5, 6, 7, 8]
    assert "rows 2, 3, 4, 5, 6 and 2 more" in str(err)


def test_blank_required_cells(tmp_path):
    path = write(tmp_path / "blank.csv", "client,date,amount\n,2025-01-01,3\nB,2025-01-01,\n")
    with pytest.raises(PortfolioDataError) as info:
        load_transactions(path)
    assert (info.value.code, info.value.column, info.value.rows) == (
        "missing_values",
        "client",
        [2],
    )


@pytest.mark.parametrize(
    "content",
    ["", "\n\n", "client;date;montant\n", "client;date;montant\n;;\n"],
    ids=["zero-bytes", "blank-lines", "header-only", "empty-cells"],
)
def test_empty_files(tmp_path, content):
    path = write(tmp_path / "vide.csv", content)
    with pytest.raises(PortfolioDataError) as info:
        load_transactions(path)
    assert info.value.code == "empty_file"
    assert "vide.csv" in str(info.value)


def test_empty_excel_and_missing_file(tmp_path):
    path = tmp_path / "vide.xlsx"
    pd.DataFrame({"client": [], "date": [], "montant": []}).to_excel(path, index=False)
    with pytest.raises(PortfolioDataError, match="no data rows"):
        load_transactions(path)
    with pytest.raises(PortfolioDataError) as info:
        load_transactions(tmp_path / "absent.csv")
    assert info.value.code == "file_not_found"


def test_corrupt_excel_and_parquet(tmp_path):
    for name in ("faux.xlsx", "faux.parquet"):
        path = write(tmp_path / name, "not really a binary file")
        with pytest.raises(PortfolioDataError) as info:
            load_transactions(path)
        assert info.value.code == "unreadable_file"


def test_future_dates_are_refused_unless_allowed():
    raw = pd.DataFrame(
        {
            "client": ["A", "B", "C"],
            "date": ["2025-01-01", "2052-01-01", "2025-06-30"],
            "ca": [1, 2, 3],
        }
    )
    with pytest.raises(PortfolioDataError) as info:
        load_transactions(raw, today="2025-06-30", name="ventes.csv")
    assert (info.value.code, info.value.rows) == ("future_dates", [1])
    assert "01/01/2052" in str(info.value) and "30/06/2025" in str(info.value)
    assert len(load_transactions(raw, today="2025-06-30", allow_future_dates=True)) == 3


def test_duplicate_rows_warn_with_count_and_are_kept(tmp_path):
    text = "client;date;montant\nA;01/01/2025;5\nA;01/01/2025;5\nB;01/01/2025;5\nA;01/01/2025;5\n"
    with pytest.warns(DataQualityWarning) as record:
        frame = load_transactions(write(tmp_path / "dup.csv", text))
    assert len(frame) == 4
    warning = record[0].message
    assert warning.code == "duplicate_rows" and warning.details["count"] == 2
    assert "rows 3, 5" in str(warning)


# ------------------------------------------------------------------ customers and costs


CUSTOMERS_CSV = (
    "Code client;Raison sociale;Commercial;Segment;Région;Client depuis;Origine;Potentiel;"
    "Qualité relation\n"
    "C1;Dupont SA;Léa;PME;Bretagne;15/03/2021;Salon;120 000;80 %\n"
    "C2;=cmd|' /C calc'!A0;Marc;Artisan;Bretagne;;Web;8 000,50;0,4\n"
    "C3;Prospect SARL;Léa;PME;Normandie;;;50 000;\n"
)


def test_customers_french_file(tmp_path):
    frame = load_customers(write(tmp_path / "clients.csv", CUSTOMERS_CSV, "cp1252"))
    assert frame["customer_id"].tolist() == ["C1", "C2", "C3"]
    assert frame["region"].tolist() == ["Bretagne", "Bretagne", "Normandie"]
    assert frame["potential"].tolist() == [120000.0, 8000.5, 50000.0]
    np.testing.assert_allclose(frame["relationship_quality"], [0.8, 0.4, np.nan])
    assert frame["acquisition_date"].iloc[0] == pd.Timestamp("2021-03-15")
    assert frame["acquisition_date"].isna().tolist() == [False, True, True]
    assert frame["name"].iloc[1] == "=cmd|' /C calc'!A0"  # kept as text; exports neutralise it


def test_customers_duplicate_ids_negative_potential_and_bad_quality():
    dup = pd.DataFrame({"customer_id": ["A", "B", "A"], "potential": [1, 2, 3]})
    with pytest.raises(PortfolioDataError) as info:
        load_customers(dup, name="clients.xlsx")
    assert (info.value.code, info.value.rows) == ("duplicate_ids", [0, 2])
    negative = pd.DataFrame({"customer_id": ["A", "B"], "potentiel": ["10", "-5"]})
    with pytest.raises(PortfolioDataError) as info:
        load_customers(negative)
    assert (info.value.code, info.value.column) == ("out_of_range", "potentiel")
    quality = pd.DataFrame({"customer_id": ["A", "B"], "satisfaction": ["4", "0.5"]})
    with pytest.raises(PortfolioDataError) as info:
        load_customers(quality)
    assert info.value.code == "out_of_range" and "0 to 1" in str(info.value)


def test_unknown_customers_error_or_keep():
    tx = load_transactions(
        pd.DataFrame({"client": ["A", "Z", "Y"], "date": ["2025-01-01"] * 3, "ca": [1, 2, 3]})
    )
    customers = load_customers(
        pd.DataFrame({"customer_id": ["A", "B"], "segment": ["x", "y"]}), name="clients.csv"
    )
    with pytest.raises(PortfolioDataError) as info:
        check_customer_ids(tx, customers)
    assert info.value.code == "unknown_customers" and info.value.details["count"] == 2
    assert "'Y', 'Z'" in str(info.value) and "clients.csv" in str(info.value)
    kept = check_customer_ids(tx, customers, unknown_customers="keep")
    assert kept["customer_id"].tolist() == ["A", "B", "Y", "Z"]
    assert kept["segment"].isna().tolist() == [False, False, True, True]


def test_costs_french_words_and_month_spellings(tmp_path):
    text = (
        "Mois;Type;Montant;Canal\n"
        "2025-01;Conquête;1 000,00;Salon\n"
        "02/2025;Fidélisation;250;\n"
        "janv. 2025;acquisition;10;Web\n"
        "15/03/2025;Rétention;5,5;\n"
    )
    costs = load_costs(write(tmp_path / "couts.csv", text, "cp1252"))
    assert costs["period"].tolist() == list(
        pd.to_datetime(["2025-01-01", "2025-02-01", "2025-01-01", "2025-03-01"])
    )
    assert costs["kind"].tolist() == ["acquisition", "retention", "acquisition", "retention"]
    assert costs["amount"].tolist() == [1000.0, 250.0, 10.0, 5.5]
    assert costs["channel"].isna().tolist() == [False, True, False, True]


def test_costs_errors(tmp_path):
    bad_kind = write(tmp_path / "k.csv", "period;kind;amount\n2025-01;marketing;1\n")
    with pytest.raises(PortfolioDataError) as info:
        load_costs(bad_kind)
    assert (info.value.code, info.value.rows) == ("bad_cost_kind", [2])
    bad_month = write(tmp_path / "m.csv", "period;kind;amount\nQ1;retention;1\n")
    with pytest.raises(PortfolioDataError) as info:
        load_costs(bad_month)
    assert info.value.code == "bad_periods" and "'Q1'" in str(info.value)


def test_cost_channels_unknown_to_customers_warn():
    costs = pd.DataFrame(
        {
            "period": ["2025-01"] * 2,
            "kind": ["acquisition"] * 2,
            "amount": [1, 2],
            "channel": ["Salon", "Radio"],
        }
    )
    customers = pd.DataFrame({"customer_id": ["A"], "acquisition_channel": ["Salon"]})
    with pytest.warns(DataQualityWarning, match="'Radio'"):
        check_cost_channels(load_costs(costs), load_customers(customers))


def test_check_size():
    check_size(1_000_000, limit_mb=1, name="ok.csv")
    with pytest.raises(PortfolioDataError) as info:
        check_size(5_500_000, limit_mb=2, name="gros.csv")
    assert "the file is 5.5 MB, over the limit of 2 MB" in str(info.value)
    assert "le fichier fait 5.5 Mo" in info.value.text("fr")


def test_load_portfolio_on_the_sample(sample_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the sample is clean: no warning at all
        data = load_portfolio(
            sample_dir / "transactions.csv", sample_dir / "customers.csv", sample_dir / "costs.csv"
        )
    assert data.transactions["customer_id"].nunique() == len(data.customers) == 2000
    assert set(data.costs["kind"]) == {"acquisition", "retention"}
    french = load_transactions(sample_dir / "transactions_fr.csv")
    pd.testing.assert_frame_equal(french[data.transactions.columns], data.transactions)
