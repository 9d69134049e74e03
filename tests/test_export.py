"""Excel and PNG exports: values, formats, headers, widths, panes, and formula injection."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import math
import struct
import zipfile

import matplotlib
import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portfolio_lib import i18n
from portfolio_lib.metrics.alerts import alerts_by_rep
from portfolio_lib.ui import export

matplotlib.use("Agg")
import matplotlib.pyplot as plt

INJECTIONS = [
    "=cmd|' /C calc'!A0",
    "+SUM(A1)",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    '=HYPERLINK("http://evil.example", "clic")',
    "\uff1dSUM(A1)",  # full-width =
    "\uff0b1",  # full-width +
    "\uff0d1",  # full-width -
    "\uff20SUM(1)",  # full-width @
]


@pytest.fixture(scope="module")
def customers():
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "name": ["Dupont SA", "Martin & fils", "Établissements Zoé"],
            "revenue": [1250.5, 300.0, -40.0],
            "share": [0.125, 0.5, 0.375],
            "orders": np.array([3, 1, 0], dtype="int64"),
            "last_purchase": pd.to_datetime(["2025-03-31", "2024-12-01", None]).as_unit("ns"),
        }
    )


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _rows(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def _sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        return "".join(archive.read(name).decode("utf-8") for name in names)


# --------------------------------------------------------------------------------------------
# Round trip
# --------------------------------------------------------------------------------------------
def test_round_trip_values_and_french_headers(customers):
    sheet = _load(export.workbook_bytes({"customers": customers}))["Clients"]
    assert _rows(sheet) == [
        ["Code client", "Client", "Chiffre d'affaires", "Part", "Commandes", "Dernier achat"],
        ["C1", "Dupont SA", 1250.5, 0.125, 3, dt.datetime(2025, 3, 31)],
        ["C2", "Martin & fils", 300, 0.5, 1, dt.datetime(2024, 12, 1)],
        ["C3", "Établissements Zoé", -40, 0.375, 0, None],  # NaT -> empty cell
    ]
    assert [cell.data_type for cell in sheet[4]][:5] == ["s", "s", "n", "n", "n"]


def test_english_headers_sheet_name_and_currency(customers):
    workbook = _load(export.workbook_bytes({"customers": customers}, lang="en"))
    assert workbook.sheetnames == ["Customers"]
    sheet = workbook["Customers"]
    assert [cell.value for cell in sheet[1]] == [
        "Customer id",
        "Customer",
        "Revenue",
        "Share",
        "Orders",
        "Last purchase",
    ]
    assert sheet["C2"].number_format == '"€"#,##0'
    assert sheet["D2"].number_format == "0.0%"


def test_number_formats_by_column_meaning(customers):
    sheet = _load(export.workbook_bytes({"customers": customers}))["Clients"]
    formats = [cell.number_format for cell in sheet[2]]
    # text, text, money, share, integer count, date
    assert formats == ["General", "General", '#,##0 "€"', "0.0 %", "#,##0", "dd/mm/yyyy"]


def _width(sheet, letter: str) -> int:
    """A column's width in characters as Excel shows it: the file stores it with Excel's cell
    padding (13 -> 13.71) and one entry for neighbouring columns of the same width."""
    index = openpyxl.utils.column_index_from_string(letter)
    for dimension in sheet.column_dimensions.values():
        if dimension.min <= index <= dimension.max:
            return int(dimension.width)
    raise AssertionError(f"column {letter} has no width")


def test_header_bold_frozen_filtered_and_widths(customers):
    sheet = _load(export.workbook_bytes({"customers": customers}))["Clients"]
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F4"
    widths = {letter: _width(sheet, letter) for letter in "ABCDEF"}
    # width = max(header, longest value, 8) + 2:
    # A "Code client" 11 -> 13; B "Établissements Zoé" 18 -> 20;
    # C "Chiffre d'affaires" 18 (values "1,251" + " €" = 7) -> 20; D "Part" 4, "50.0" + " %" = 6
    # -> minimum 8 -> 10; E "Commandes" 9 -> 11; F "Dernier achat" 13 (dates 10) -> 15
    assert widths == {"A": 13, "B": 20, "C": 20, "D": 10, "E": 11, "F": 15}


def test_long_headers_wrap_instead_of_widening():
    table = pd.DataFrame({"days_since_the_last_purchase_of_the_customer": [12]})
    sheet = _load(export.workbook_bytes({"t": table}, lang="en"))["T"]
    # unregistered key: label "Days since the last purchase of the customer" (44 characters)
    # is capped at 28 (+2) and wraps
    assert sheet["A1"].value == "Days since the last purchase of the customer"
    assert _width(sheet, "A") == 30
    assert sheet["A1"].alignment.wrap_text


def test_index_is_written_when_it_carries_information():
    table = pd.DataFrame(
        {"revenue": [10.0, 20.0]}, index=pd.Index(["C1", "C2"], name="customer_id")
    )
    rows = _rows(_load(export.workbook_bytes({"top": table}, lang="en"))["Top"])
    assert rows == [["Customer id", "Revenue"], ["C1", 10], ["C2", 20]]
    plain = pd.DataFrame({"revenue": [10.0]})
    assert _rows(_load(export.workbook_bytes({"top": plain}, lang="en"))["Top"]) == [
        ["Revenue"],
        [10],
    ]


def test_missing_infinite_timezones_and_control_characters():
    table = pd.DataFrame(
        {
            "cac": [np.inf, np.nan],
            "date": pd.to_datetime(["2025-01-31 23:30", "2025-02-01 08:00"]).tz_localize(
                "Europe/Paris"
            ),
            "name": ["Dupont\x0bSA", None],
            "price": [decimal.Decimal("12.5"), pd.NA],  # object column of decimals
        }
    )
    rows = _rows(_load(export.workbook_bytes({"t": table}))["T"])
    # Excel has no infinity nor time zone: empty cell, local wall time kept
    assert rows[1:] == [
        [None, dt.datetime(2025, 1, 31, 23, 30), "DupontSA", 12.5],
        [None, dt.datetime(2025, 2, 1, 8, 0), None, None],
    ]


def test_categorical_values_that_are_labels_are_translated():
    table = pd.DataFrame({"segment": pd.Categorical(["other", "Grands comptes", "total"])})
    fr = _rows(_load(export.workbook_bytes({"t": table}))["T"])
    en = _rows(_load(export.workbook_bytes({"t": table}, lang="en"))["T"])
    assert [row[0] for row in fr[1:]] == ["Autres", "Grands comptes", "Total"]
    assert [row[0] for row in en[1:]] == ["Other", "Grands comptes", "Total"]


def test_month_columns_and_period_dtype():
    table = pd.DataFrame(
        {
            "month": pd.to_datetime(["2025-01-01", "2025-02-01"]).as_unit("ns"),
            "quarter": pd.period_range("2025Q1", periods=2, freq="Q"),
        }
    )
    sheet = _load(export.workbook_bytes({"t": table}))["T"]
    assert sheet["A2"].number_format == "mm/yyyy"
    assert sheet["B3"].value == dt.datetime(2025, 4, 1)  # Q2 starts in April
    assert sheet["B3"].number_format == "dd/mm/yyyy"


def test_explicit_formats_override_inference():
    bridge = pd.DataFrame({"new": [1200.0], "rank": [1.0], "score": [0.1234]})
    cohorts = pd.DataFrame({0: [1.0], 1: [0.62]}, index=pd.Index(["2024-01"], name="cohort"))
    data = export.workbook_bytes(
        {"bridge": bridge, "cohorts": cohorts},
        formats={"new": "money", "bridge": {"score": "0.000"}, "cohorts": "percent"},
        lang="en",  # "cohort" reads "Cohort" whether or not movements registered "Cohorte"
    )
    workbook = _load(data)
    bridge_sheet = workbook[workbook.sheetnames[0]]
    assert [c.number_format for c in bridge_sheet[2]] == ['"€"#,##0', "#,##0", "0.000"]
    cohort_sheet = workbook[workbook.sheetnames[1]]
    assert [c.value for c in cohort_sheet[1]] == ["Cohort", "0", "1"]
    assert [c.number_format for c in cohort_sheet[2]][1:] == ["0.0%", "0.0%"]


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("revenue", [1.5], "money"),
        ("acquisition_spend", [1.5], "money"),
        ("clv", [1.5], "money"),
        ("churn_rate", [0.1], "percent"),
        ("cumulative_share", [0.1], "percent"),
        ("margin_rate", [0.3], "percent"),  # a rate, although it says margin
        ("p_alive", [0.3], "percent"),
        ("ltv_cac", [3.2], "ratio"),
        ("ltv_to_cac", [3.2], "ratio"),  # the name costs.ltv_to_cac gives its result
        ("gini", [0.4], "ratio"),
        ("hhi", [1800.0], "integer"),
        # Churn, trends, changes and growth are relative, whatever money word they carry.
        ("annual_churn", [0.18], "percent"),
        ("trend", [-0.12], "percent"),
        ("revenue_change", [-0.65], "percent"),
        ("revenue_growth", [0.08], "percent"),
        ("churned", [12_000.0], "money"),  # the churned revenue of the bridge: euros
        ("gap", [41_000.0], "money"),  # potential - revenue
        ("usual_gap_days", [30.5], "number"),
        ("gap_ratio", [2.4], "ratio"),
        # Alert counts per rep (alerts_by_rep) are integers, the flags per customer booleans.
        ("revenue_drop", [2, 0], "integer"),
        ("overdue", [1, 3], "integer"),
        ("top_at_risk", [0, 1], "integer"),
        ("revenue_drop", [True, False], None),
        ("orders", [3], "integer"),
        ("customers", [3.0, np.nan], "integer"),  # whole numbers stored as float
        ("recency", [3.5], "number"),
        ("name", ["a"], None),
        ("active", [True], None),
    ],
)
def test_infer_format(name, values, expected):
    assert export.infer_format(pd.Series(values), name) == expected


def test_alert_counts_per_rep_are_counts_and_alert_flags_stay_booleans():
    # The example of alerts.alerts_by_rep: Léa has 2 drops, 1 overdue, 1 key account.
    alerts = pd.DataFrame(
        {
            "sales_rep": ["Léa", "Marc", "Léa"],
            "revenue_change": [-0.5, np.nan, -0.4],
            "revenue_drop": [True, False, True],
            "overdue": [False, True, True],
            "top_at_risk": [False, False, True],
            "revenue_at_risk": [100.0, 400.0, 250.0],
        }
    )
    book = _load(
        export.workbook_bytes(
            {"summary": alerts_by_rep(alerts), "Léa": alerts[alerts["sales_rep"] == "Léa"]},
            lang="en",
        )
    )
    summary = list(book["Summary"].iter_rows())
    # Marc (400 € at risk) first: 0 drops, 1 overdue, 0 key accounts, 1 customer, 400 €.
    assert [c.value for c in summary[1]] == ["Marc", 0, 1, 0, 1, 400]
    assert [c.number_format for c in summary[1]][1:] == ["#,##0"] * 4 + ['"€"#,##0']
    rows = list(book["Léa"].iter_rows())
    header = [c.value for c in rows[0]]
    first = {name: cell for name, cell in zip(header, rows[1], strict=True)}
    assert first["Revenue drop"].value is True and first["Revenue drop"].data_type == "b"
    assert first["Revenue change"].value == -0.5
    assert first["Revenue change"].number_format == "0.0%"


# --------------------------------------------------------------------------------------------
# Formula injection
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def injected():
    table = pd.DataFrame(
        {
            "name": INJECTIONS,
            "amount": [-5.0] * len(INJECTIONS),
            "=bad header": ["#N/A"] + ["x"] * (len(INJECTIONS) - 1),
        }
    )
    return export.workbook_bytes({"=evil": table})


def test_injected_text_is_stored_as_text_and_shown_unchanged(injected):
    workbook = _load(injected)
    sheet = workbook[workbook.sheetnames[0]]
    names = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in names] == INJECTIONS
    assert {cell.data_type for cell in names} == {"s"}
    assert all(cell.quotePrefix for cell in names)  # Excel keeps them text when edited
    assert sheet["C1"].value == "=bad header" and sheet["C1"].data_type == "s"
    assert sheet["C2"].value == "#N/A" and sheet["C2"].data_type == "s"  # not an error cell
    assert sheet.title == "=evil"


def test_no_formula_anywhere(injected):
    workbook = _load(injected)
    assert all(
        cell.data_type != "f" for sheet in workbook for row in sheet.iter_rows() for cell in row
    )
    xml = _sheet_xml(injected)
    assert "<f>" not in xml and "<f " not in xml and "=cmd|" in xml


def test_negative_numbers_stay_numbers(injected):
    workbook = _load(injected)
    amounts = [row[1] for row in workbook[workbook.sheetnames[0]].iter_rows(min_row=2)]
    assert [(c.value, c.data_type, c.quotePrefix) for c in amounts] == [(-5, "n", False)] * len(
        INJECTIONS
    )


def test_carriage_return_prefix_is_text():
    data = export.workbook_bytes({"t": pd.DataFrame({"name": ["\r=1+1"]})})
    cell = _load(data)["T"]["A2"]
    # text with the quote prefix; the standard library's XML reader turns a raw CR into a line
    # feed, lxml (which openpyxl uses when installed, e.g. with python-pptx) keeps it; the
    # streaming writer stores it as OOXML's escape _x000D_, which Excel reads as the CR
    assert cell.value in ("\n=1+1", "\r=1+1", "_x000D_=1+1")
    assert (cell.data_type, cell.quotePrefix) == ("s", True)
    assert "<f" not in _sheet_xml(data)


@settings(max_examples=40, deadline=None)
@given(
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs",),
            blacklist_characters="\r" + "".join(map(chr, [*range(0, 9), 11, 12, *range(14, 32)])),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_any_text_comes_back_identical_as_text(text):
    # A column made only of label keys is a column of codes, translated on purpose (tested
    # apart): any other text is the user's, written as it is.
    assume(text not in i18n.labels("fr"))
    cell = _load(export.workbook_bytes({"t": pd.DataFrame({"name": [text]})}))["T"]["A2"]
    assert (cell.value, cell.data_type) == (text, "s")


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=-1e300, max_value=1e300))  # Excel stops below 1e308
def test_any_finite_number_comes_back_as_the_same_number(number):
    cell = _load(export.workbook_bytes({"t": pd.DataFrame({"x": [number]})}))["T"]["A2"]
    # openpyxl writes 16 significant digits (Excel shows 15): equal to 1e-15 relative
    assert cell.data_type == "n" and math.isclose(cell.value, number, rel_tol=1e-15)


# --------------------------------------------------------------------------------------------
# Sheet names, files, errors
# --------------------------------------------------------------------------------------------
def test_sheet_names_are_excel_safe_and_unique():
    keys = ["a" * 40, "a" * 40, "CA/client: [2025]?", "History", "'quoted'", "", "revenue"]
    names = export.sheet_names(keys, lang="fr")
    assert names == [
        "A" + "a" * 30,  # label() capitalises; cut to 31
        "A" + "a" * 26 + " (2)",  # 31 with the suffix
        "CA-client- -2025--",
        "History_",
        "quoted",  # apostrophes cannot start or end a sheet name
        "Sheet",
        "Chiffre d'affaires",
    ]
    tables = {key: pd.DataFrame({"x": [1]}) for key in ["a" * 40, "A" * 40, "x/y"]}
    assert _load(export.workbook_bytes(tables)).sheetnames == [
        "A" + "a" * 30,
        "A" * 27 + " (2)",  # Excel ignores case: "AAA..." repeats "Aaa..."
        "X-y",
    ]


def test_write_workbook_to_a_path_and_bytes_agree(tmp_path, customers):
    path = tmp_path / "export.xlsx"
    export.write_workbook({"customers": customers, "top": customers.head(1)}, path, lang="en")
    data = export.workbook_bytes({"customers": customers, "top": customers.head(1)}, lang="en")
    assert data[:4] == b"PK\x03\x04"  # a zip: the xlsx container
    from_path, from_bytes = openpyxl.load_workbook(path), _load(data)
    assert from_path.sheetnames == from_bytes.sheetnames == ["Customers", "Top"]
    for name in from_path.sheetnames:
        assert _rows(from_path[name]) == _rows(from_bytes[name])


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="no table to export"):
        export.workbook_bytes({})
    with pytest.raises(ValueError, match="lang must be one of"):
        export.workbook_bytes({"t": pd.DataFrame({"x": [1]})}, lang="de")
    with pytest.raises(TypeError, match="table 't' is a list, not a DataFrame"):
        export.workbook_bytes({"t": [1, 2]})


# --------------------------------------------------------------------------------------------
# PNG
# --------------------------------------------------------------------------------------------
def _png_size(data: bytes) -> tuple[int, int]:
    # PNG: 8-byte signature, then the IHDR chunk whose data starts with width and height
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_figure_png_bytes_signature_and_resolution():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([1, 2, 3], [3, 1, 2])
    try:
        low = export.figure_png_bytes(fig, dpi=50)
        high = export.figure_png_bytes(ax, dpi=100)  # an Axes works too
    finally:
        plt.close(fig)
    assert low[:8] == high[:8] == b"\x89PNG\r\n\x1a\n"
    (w_low, h_low), (w_high, h_high) = _png_size(low), _png_size(high)
    # twice the dpi, twice the pixels (the tight bounding box moves by a few pixels)
    assert abs(w_high / w_low - 2) < 0.03 and abs(h_high / h_low - 2) < 0.03
    assert 150 <= w_low <= 200  # 4 in at 50 dpi = 200 px, minus the trimmed margins


def test_figure_png_bytes_refuses_other_objects():
    with pytest.raises(TypeError, match="expected a matplotlib Figure or Axes"):
        export.figure_png_bytes("chart")


def test_columns_of_label_codes_are_translated_but_names_are_not():
    """The lifecycle's recommended actions are codes (action_childhood...): the client reads
    the sentence; a column of customer names stays as written, even when one name is a key."""
    from portfolio_lib.metrics.balance import LIFECYCLE_ACTIONS

    table = pd.DataFrame(
        {
            "action": ["action_childhood", "action_old_age", None],
            "name": ["revenue", "Dupont", "X"],
        }
    )
    book = openpyxl.load_workbook(
        io.BytesIO(export.workbook_bytes({"lifecycle": table}, lang="fr"))
    )
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == [
        LIFECYCLE_ACTIONS["action_childhood"]["fr"],
        LIFECYCLE_ACTIONS["action_old_age"]["fr"],
        None,
    ]
    assert rows[0][0].startswith("Veiller à la qualité de la relation")
    assert [row[1] for row in rows] == ["revenue", "Dupont", "X"]
