"""Excel oddities (issue 19): formulas without values, tables below a filter block, cells
named the Excel way, and the calamine reader giving what openpyxl gave."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from portfolio_lib import PortfolioDataError, load_transactions
from portfolio_lib.data import read

CORPUS = Path(__file__).parent / "data" / "hostile"
WORKBOOKS = [
    c["file"]
    for c in csv.DictReader((CORPUS / "expected.csv").open(encoding="utf-8"), delimiter=";")
    if c["file"].endswith(".xlsx")
]


def test_formulas_without_values_say_open_and_save_in_excel():
    with pytest.raises(PortfolioDataError) as err:
        load_transactions(CORPUS / "excel_formulas_without_values.xlsx")
    assert err.value.code == "formulas_without_values" and err.value.column == "montant"
    assert err.value.rows == [3, 4]
    assert str(err.value).splitlines() == [
        "excel_formulas_without_values.xlsx: 2 cell(s) hold a formula whose value is not stored "
        "in the file: cells Feuil1!C3, Feuil1!C4.",
        "What to do: Open and save the file in Excel (or LibreOffice) so the values are stored, "
        "then load it again (programs that write workbooks often store formulas only).",
    ]
    assert "Ouvrez et enregistrez le fichier dans Excel (ou LibreOffice)" in err.value.text("fr")
    assert "cellules Feuil1!C3, Feuil1!C4" in err.value.text("fr")


def test_a_bad_value_is_named_by_its_row_and_excel_cell_below_a_filter_block():
    with pytest.raises(PortfolioDataError) as err:
        load_transactions(CORPUS / "excel_criteria_block_above.xlsx")
    # Rows 1-2 are a criteria block (client | montant), row 4 a title, row 5 the header.
    assert err.value.code == "bad_numbers" and err.value.rows == [7]
    assert "row 7 (cell Feuil1!C7)" in str(err.value)
    assert "ligne 7 (cellule Feuil1!C7)" in err.value.text("fr")


def test_sheet_names_with_spaces_are_quoted_as_excel_writes_them():
    assert read.excel_sheet_ref("Feuil1") == "Feuil1"
    assert read.excel_sheet_ref("Ventes 2024") == "'Ventes 2024'"
    assert read.excel_sheet_ref("L'export") == "'L''export'"


def _outcome(path: Path) -> object:
    try:
        return load_transactions(path, today="2030-01-01")
    except PortfolioDataError as error:
        return (error.code, error.rows, error.details.get("cells"))


@pytest.mark.parametrize("name", WORKBOOKS)
def test_calamine_reads_every_corpus_workbook_as_openpyxl_did(monkeypatch, name):
    outcomes = []
    for engine in ("openpyxl", "calamine"):
        monkeypatch.setattr(read, "EXCEL_ENGINE", engine)
        outcomes.append(_outcome(CORPUS / name))
    openpyxl_read, calamine_read = outcomes
    if isinstance(openpyxl_read, pd.DataFrame):
        pd.testing.assert_frame_equal(calamine_read, openpyxl_read)
    else:
        assert calamine_read == openpyxl_read
