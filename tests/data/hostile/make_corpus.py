"""Write the hostile corpus (issue 19): awkward transaction files and what the loader must do.

Run ``python tests/data/hostile/make_corpus.py`` from the repository root; it rewrites the files
of this folder and ``expected.csv`` (file; outcome: ``ok``, ``error:<code>`` or
``warning:<code>``; rows named by the message; amounts read), which
tests/test_hostile_inputs.py checks through ``load_transactions`` (fast and plain paths).
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
HEADER = "client;date;montant\n"

# name: (bytes, outcome, rows, amounts)
CASES: dict[str, tuple[bytes, str, str, str]] = {
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


def main() -> None:
    rows = []
    for name, (data, outcome, where, amounts) in CASES.items():
        (HERE / name).write_bytes(data)
        rows.append([name, outcome, where, amounts])
    _excel_text_amounts(HERE / "excel_text_amounts.xlsx")
    rows.append(["excel_text_amounts.xlsx", "ok", "", "12.5 1234.56"])
    _excel_sheets(HERE / "excel_note_sheet_first.xlsx")
    rows.append(["excel_note_sheet_first.xlsx", "ok", "", "3"])
    with (HERE / "expected.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["file", "outcome", "rows", "amounts"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
