"""Write the hostile corpus (issue 19): awkward transaction files and what the loader must do.

Run ``python tests/data/hostile/make_corpus.py`` from the repository root; it rewrites the files
of this folder and ``expected.csv`` (file; outcome: ``ok``, ``error:<code>`` or
``warning:<code>``; rows named by the message; amounts read; column named by the message),
which tests/test_hostile_inputs.py checks through ``load_transactions`` (fast and plain paths)
and tests/test_hostile_corpus.py through the studies, the app's upload and
``portfolio-report``. Each case's expected outcome is declared next to its bytes.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
HEADER = "client;date;montant\n"

# name: (bytes, outcome, rows, amounts[, column named by the error])
CASES: dict[str, tuple[bytes, str, str, str] | tuple[bytes, str, str, str, str]] = {
    "inf_amount.csv": (
        b"customer_id,date,amount\nC1,2024-01-15,10\nC2,2024-01-16,inf\n",
        "error:huge_amounts", "3", "",
    ),
    "huge_amount.csv": (
        b"customer_id,date,amount\nC1,2024-01-15,1e308\n", "error:huge_amounts", "2", ""
    ),
    "nan_amount.csv": (
        b"customer_id,date,amount\nC1,2024-01-15,nan\n", "error:bad_numbers", "2", ""
    ),
    "thousands_dot_with_french_amount.csv": (
        (HEADER + "A;15/01/2024;1.234,56\nB;16/01/2024;1.234\nC;17/01/2024;25.000\n").encode(),
        "ok", "", "1234.56 1234 25000",
    ),
    "thousands_dot_alone.csv": (
        (HEADER + "A;15/01/2024;1.234\nB;16/01/2024;25.000\n").encode(),
        "warning:ambiguous_thousands", "2 3", "1234 25000",
    ),
    "us_dates_all_ambiguous.csv": (
        b"customer_id,date,amount\nA,01/05/2024,1\nB,02/03/2024,2\n",
        "warning:ambiguous_day_month", "2 3", "1 2",
    ),
    "us_dates_with_evidence.csv": (
        b"customer_id,date,amount\nA,01/05/2024,1\nB,01/13/2024,2\n", "ok", "", "1 2"
    ),
    "nul_in_id.csv": (
        b"customer_id,date,amount\nC021\x00,2024-01-15,1\nC021,2024-01-16,2\n", "ok", "", "1 2"
    ),
    "mac_roman.csv": (
        (HEADER + "Café Élise;15/01/2024;1,5\n").encode("mac_roman"), "ok", "", "1.5"
    ),
    "utf16_no_bom.csv": (
        (HEADER + "Café;15/01/2024;1,5\n").encode("utf-16-le"), "ok", "", "1.5"
    ),
    "title_and_blank_lines.csv": (
        ("Export ventes\n\n\n" + HEADER + "A;15/01/2024;1\nB;32/01/2024;2\n").encode(),
        "error:bad_dates", "6", "",
    ),
    "blank_line_inside.csv": (
        (HEADER + "A;15/01/2024;1\n\nB;16/01/2024;2\nC;32/01/2024;3\n").encode(),
        "error:bad_dates", "5", "",
    ),
    "two_amount_columns.csv": (
        b"client;date;montant;amount\nA;15/01/2024;10;12\n",
        "warning:other_candidate_columns", "", "12",
    ),
    "bad_date_at_the_end.csv": (
        (HEADER + "A;15/01/2024;1\n" * 20_000 + "B;2024-13-45;2\n").encode(),
        "error:bad_dates", "20002", "",
    ),
}  # fmt: skip

# Grown for the rest of issue 19: layouts, encodings, separators, numbers, dates, names.
# name: (bytes, outcome, rows, amounts, column named by the error | customers read)
MORE: dict[str, tuple[bytes, str, str, str, str]] = {
    # empty and truncated files: "no data rows", or the row that is cut
    "empty.csv": (b"", "error:empty_file", "", "", ""),
    "header_only.csv": (HEADER.encode(), "error:empty_file", "", "", ""),
    "blank_lines_only.csv": (b"\n\r\n  \n", "error:empty_file", "", "", ""),
    "truncated_last_line.csv": (
        (HEADER + "A;15/01/2024;1\nB;16/01/2024;2\nC;17/01/20").encode(),
        "error:missing_values", "4", "", "montant",
    ),
    "truncated_in_quotes.csv": (
        (HEADER + 'A;15/01/2024;1\n"B;16/01/2024;2\n').encode(),
        "error:unreadable_file", "", "", "",
    ),
    # encodings and byte order marks: read as written
    "utf8_bom.csv": (codecs.BOM_UTF8 + (HEADER + "Café;15/01/2024;1,5\n").encode(),
                     "ok", "", "1.5", "1"),
    "utf16_bom.csv": ((HEADER + "Café;15/01/2024;1,5\n").encode("utf-16"), "ok", "", "1.5", "1"),
    "cp1252_accents.csv": (
        (HEADER + "Crêperie Élise;15/01/2024;2,5\nÇa & là;16/01/2024;1\n").encode("cp1252"),
        "ok", "", "2.5 1", "2",
    ),
    "bom_and_title_line.csv": (
        codecs.BOM_UTF8 + ("Extraction du 31/01/2024\n" + HEADER + "A;15/01/2024;3\n").encode(),
        "ok", "", "3", "1",
    ),
    # separators and line endings
    "mixed_line_endings.csv": (
        (HEADER.replace("\n", "\r\n") + "A;15/01/2024;1\nB;16/01/2024;2\r\nC;17/01/2024;3\r")
        .encode(), "ok", "", "1 2 3", "3",
    ),
    "tab_separated.tsv": (b"client\tdate\tmontant\nA\t15/01/2024\t1,5\nB\t16/01/2024\t2\n",
                          "ok", "", "1.5 2", "2"),
    "pipe_separated.csv": (b"client|date|montant\nA|15/01/2024|1.5\nB|16/01/2024|2\n",
                           "ok", "", "1.5 2", "2"),
    "separator_inside_quotes.csv": (
        (HEADER + '"Dupont; fils";15/01/2024;1\nB;16/01/2024;2\n').encode(), "ok", "", "1 2", "2"
    ),
    "quoted_newline.csv": (
        (HEADER[:-1] + ";libellé\n" + 'A;15/01/2024;1;"sur deux\nlignes"\nB;16/01/2024;2;x\n')
        .encode(), "ok", "", "1 2", "2",
    ),
    "uneven_row.csv": (
        (HEADER + "A;15/01/2024;1\nB;16/01/2024;2;en trop\nC;17/01/2024;3\n").encode(),
        "error:uneven_row", "3", "", "",
    ),
    # headers
    "repeated_amount_header.csv": (
        b"client;date;montant;montant\nA;15/01/2024;1;2\n", "error:repeated_columns", "", "",
        "montant",
    ),
    "missing_amount_column.csv": (b"client;date\nA;15/01/2024\n", "error:missing_columns",
                                  "", "", ""),
    "headers_with_spaces_and_accents.csv": (
        " N° Client ; Date facture ;  Montant HT \nA;15/01/2024;1,5\n".encode(), "ok", "", "1.5",
        "1",
    ),
    "empty_optional_columns.csv": (
        b"client;date;montant;marge;canal\nA;15/01/2024;1;;\nB;16/01/2024;2;;\n",
        "ok", "", "1 2", "2",
    ),
    # numbers
    "blank_amounts.csv": (
        (HEADER + "A;15/01/2024;1\nB;16/01/2024;\nC;17/01/2024;   \n").encode(),
        "error:missing_values", "3 4", "", "montant",
    ),
    "text_amounts.csv": (
        (HEADER + "A;15/01/2024;1\nB;16/01/2024;douze\nC;17/01/2024;N/A\n").encode(),
        "error:bad_numbers", "3 4", "", "montant",
    ),
    "percent_amount.csv": ((HEADER + "A;15/01/2024;12%\n").encode(), "error:bad_numbers", "2",
                           "", "montant"),
    "currency_symbols.csv": (
        (HEADER + "A;15/01/2024;1\u00a0234,56 €\nB;16/01/2024;€ 12\nC;17/01/2024;3 EUR\n")
        .encode(), "ok", "", "1234.56 12 3", "3",
    ),
    "accounting_negative.csv": ((HEADER + "A;15/01/2024;(12,50)\nB;16/01/2024;\u221212,5\n")
                                .encode(), "ok", "", "-12.5 -12.5", "2"),
    # dates
    "iso_datetimes.csv": (b"customer_id,date,amount\nA,2024-01-15T10:30:00,1\n"
                          b"B,2024-01-16 23:59:59,2\n", "ok", "", "1 2", "2"),
    "dotted_dates.csv": ((HEADER + "A;15.01.2024;1\nB;16.01.2024;2\n").encode(), "ok", "",
                         "1 2", "2"),
    "day_month_mixed.csv": ((HEADER + "A;13/01/2024;1\nB;01/13/2024;2\n").encode(),
                            "error:ambiguous_dates", "3", "", "date"),
    "future_date.csv": ((HEADER + "A;15/01/2024;1\nB;16/01/2099;2\n").encode(),
                        "error:future_dates", "3", "", "date"),
    # names: text, never markup nor another customer
    "hostile_names.csv": (
        (HEADER + "<script>alert(1)</script>;15/01/2024;1\n=HYPERLINK(\"http://x\");16/01/2024;2"
         "\nTeam $ales #1 $;17/01/2024;3\n\"Robert\"\"); DROP TABLE--\";18/01/2024;4\n").encode(),
        "ok", "", "1 2 3 4", "4",
    ),
    "invisible_characters_in_ids.csv": (
        (HEADER + "C7\u200b;15/01/2024;1\nC7;16/01/2024;2\nC7\x07;17/01/2024;3\n\ufeffC7;"
         "18/01/2024;4\n").encode(), "ok", "", "1 2 3 4", "1",
    ),
    # not a table at all
    "binary_garbage.csv": (bytes(range(256)) * 4, "error:missing_columns", "", "", ""),
    "report.pdf": (b"%PDF-1.4\n%\xe2\xe3\n", "error:unsupported_format", "", "", ""),
    "csv_named_xlsx.xlsx": ((HEADER + "A;15/01/2024;1\n").encode(), "error:unreadable_file",
                            "", "", ""),
}  # fmt: skip


def _excel_text_amounts(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["client", "date", "montant"])
    sheet.append(["A", "2024-01-15", 12.5])
    sheet.append(["B", "2024-01-16", "1234,56"])
    book.save(path)


def _excel_sheets(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Extraction"])
    sales = book.create_sheet("Ventes")
    sales.append(["client", "date", "montant"])
    sales.append(["A", "2024-01-15", 3])
    book.save(path)


def _book(*sheets: tuple[str, list[list[object]]]) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    return book


def _saved(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _formulas() -> bytes:
    # openpyxl writes formulas without their values: only Excel or LibreOffice computes them.
    return _saved(
        _book(
            (
                "Feuil1",
                [
                    ["client", "date", "montant"],
                    ["A", "2024-01-15", 10],
                    ["B", "2024-01-16", "=C2*2"],
                    ["C", "2024-01-17", "=SUM(C2:C3)"],
                ],
            )
        )
    )


def _criteria_block() -> bytes:
    # An advanced-filter criteria block above the table names two of its columns.
    book = _book(
        (
            "Feuil1",
            [
                ["client", "montant"],
                ["A*", ">100"],
                [],
                ["Export du 31/01/2024"],
                ["client", "date", "montant"],
                ["A", "2024-01-15", 120],
                ["B", "2024-01-16", "abc"],
            ],
        )
    )
    return _saved(book)


def _title_autofilter() -> bytes:
    book = _book(
        (
            "Feuil1",
            [
                ["Ventes janvier"],
                [],
                [None, "client", "date", "montant"],
                [None, "A", "2024-01-15", 1],
                [],
                [None, "B", "32/01/2024", 2],
            ],
        )
    )
    book["Feuil1"].auto_filter.ref = "B3:D6"
    return _saved(book)


def _dates_and_numeric_ids() -> bytes:
    return _saved(
        _book(
            (
                "Ventes",
                [
                    ["N° client", "Date facture", "Montant HT"],
                    [1042, dt.datetime(2024, 1, 15), 12.5],
                    [1042.0, dt.datetime(2024, 1, 16, 17, 30), 7],
                    ["1042", "16/01/2024", "3,5"],
                ],
            )
        )
    )


EXCEL: dict[str, tuple[Callable[[], bytes], str, str, str, str, str]] = {
    # name: (writer, outcome, rows, amounts, column | customers, Excel cells named)
    "excel_formulas_without_values.xlsx": (
        _formulas, "error:formulas_without_values", "3 4", "", "montant",
        "Feuil1!C3,Feuil1!C4",
    ),
    "excel_criteria_block_above.xlsx": (
        _criteria_block, "error:bad_numbers", "7", "", "montant", "Feuil1!C7"
    ),
    "excel_title_blank_rows_autofilter.xlsx": (
        _title_autofilter, "error:bad_dates", "6", "", "date", "Feuil1!C6"
    ),
    "excel_sheet_name_with_space.xlsx": (
        lambda: _saved(_book(("Ventes 2024", [["client", "date", "montant"],
                                              ["A", "2024-01-15", "1,5"], ["B", "x", 2]]))),
        "error:bad_dates", "3", "", "date", "'Ventes 2024'!B3",
    ),
    "excel_repeated_header.xlsx": (
        lambda: _saved(_book(("Feuil1", [["client", "date", "montant", "montant"],
                                         ["A", "2024-01-15", 1, 2]]))),
        "error:repeated_columns", "", "", "montant", "",
    ),
    "excel_header_only.xlsx": (
        lambda: _saved(_book(("Feuil1", [["client", "date", "montant"]]))),
        "error:empty_file", "", "", "", "",
    ),
    "excel_empty_workbook.xlsx": (
        lambda: _saved(_book(("Feuil1", []))), "error:empty_file", "", "", "", ""
    ),
    "excel_truncated.xlsx": (
        lambda: _dates_and_numeric_ids()[:700], "error:unreadable_file", "", "", "", ""
    ),
    "excel_dates_and_numeric_ids.xlsx": (_dates_and_numeric_ids, "ok", "", "12.5 7 3.5", "1", ""),
}  # fmt: skip


def main() -> None:
    rows = []
    for name, (data, outcome, where, amounts, *column) in {**CASES, **MORE}.items():
        (HERE / name).write_bytes(data)
        rows.append([name, outcome, where, amounts, *_named(outcome, column), ""])
    _excel_text_amounts(HERE / "excel_text_amounts.xlsx")
    rows.append(["excel_text_amounts.xlsx", "ok", "", "12.5 1234.56", "", "2", ""])
    _excel_sheets(HERE / "excel_note_sheet_first.xlsx")
    rows.append(["excel_note_sheet_first.xlsx", "ok", "", "3", "", "1", ""])
    for name, (write, outcome, where, amounts, column, cells) in EXCEL.items():
        (HERE / name).write_bytes(write())
        rows.append([name, outcome, where, amounts, *_named(outcome, [column]), cells])
    with (HERE / "expected.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["file", "outcome", "rows", "amounts", "column", "customers", "cells"])
        writer.writerows(rows)


def _named(outcome: str, column: list[str]) -> list[str]:
    """(column named by the error, customers read): the fifth field is one or the other."""
    value = column[0] if column else ""
    return [value, ""] if outcome.startswith("error") else ["", value]


if __name__ == "__main__":
    main()
