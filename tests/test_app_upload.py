"""The app's upload panel: the remedies its messages name (date format, sheet, future dates,
column mapping) as controls, each file read once, progress while reading."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

import portfolio_lib.data.load as load_module
from portfolio_lib.ui import upload as upload_module
from portfolio_lib.ui.app import App

NBSP = "\u00a0"
PYTHON_ARGUMENTS = ("date_format", "sheet=", "mapping=", "allow_future_dates", "unknown_customers")

# US export: no day above 12, so read day first unless the month-first format is chosen.
US_DATES = (
    b"client;date;montant\nA;01/05/2024;100\nB;02/03/2024;50\nA;03/04/2024;20\nC;04/06/2024;70\n"
)
# One row day first (13/01), one month first (01/14): no format fits both.
MIXED_DATES = b"client;date;montant\nA;13/01/2024;100\nB;01/14/2024;50\nC;02/02/2024;7\n"
# Year first with slashes: not recognised, read with the ISO choice.
YEAR_FIRST = b"client;date;montant\nA;2024/01/13;100\nB;2024/01/14;50\n"


def upload(app: App, kind: str, name: str, content: bytes) -> None:
    """What the browser does: the FileUpload widget receives the file."""
    when = dt.datetime(2025, 12, 31, tzinfo=dt.timezone.utc)
    item = {"name": name, "type": "", "size": len(content), "content": memoryview(content)}
    app.files[kind].value = ({**item, "last_modified": when},)


@pytest.fixture(scope="module")
def app():
    return App(lang="fr")


def fresh(app: App) -> App:
    """The module's app with its upload panel back to its defaults (an App takes seconds)."""
    app.uploads.clear()
    app.options.date_format.value = "auto"
    app.options.future.value = False
    app.keep_unknown.value = False
    app.language.value = "fr"
    return app


def message(app: App) -> str:
    return app.messages.value.replace("&#x27;", "'").replace("&quot;", '"')


def no_python_argument(text: str) -> bool:
    return not any(argument in text for argument in PYTHON_ARGUMENTS)


def test_us_dates_warn_then_load_month_first_once_chosen(app):
    app = fresh(app)
    upload(app, "transactions", "us.csv", US_DATES)
    said = message(app)
    assert "portfolio-warning" in said and "se lisent jour/mois ou mois/jour" in said
    assert "choisissez « Mois d'abord (MM/JJ/AAAA) » dans « Format des dates » ci-dessus" in said
    assert no_python_argument(said)
    read = app.uploads["transactions"].table
    assert read["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-05-01", "2024-03-02", "2024-04-03", "2024-06-04"
    ]  # fmt: skip
    app.options.date_format.value = "monthfirst"
    read = app.uploads["transactions"].table
    assert read["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-05", "2024-02-03", "2024-03-04", "2024-04-06"
    ]  # fmt: skip
    assert app.messages.value == ""  # the doubt is lifted
    app.load_uploads()
    assert app.showing == "files"
    assert "4 transactions, 3 clients, du 05/01/2024 au 06/04/2024" in app.summary.value


def test_mixed_dates_error_names_the_control_then_the_rows(app):
    app = fresh(app)
    upload(app, "transactions", "mixte.csv", MIXED_DATES)
    said = message(app)
    assert "mélange des dates jour/mois et mois/jour (13/01/2024 et 01/14/2024)" in said
    assert "Choisissez le format des dates ci-dessus (« Format des dates »" in said
    assert no_python_argument(said)
    app.options.date_format.value = "dayfirst"  # then 01/14/2024 is the one wrong date
    said = message(app)
    assert "1 valeur(s) de la colonne « date » ne sont pas des dates : ligne 3" in said
    assert "'01/14/2024'" in said and no_python_argument(said)
    app.language.value = "en"
    said = message(app)
    assert "or choose their format in 'Date format' above" in said and no_python_argument(said)


def test_year_first_dates_load_with_the_iso_choice(app):
    app = fresh(app)
    upload(app, "transactions", "ventes.csv", YEAR_FIRST)
    assert "ne sont pas des dates : lignes 2, 3" in message(app)
    app.options.date_format.value = "iso"
    table = app.uploads["transactions"].table
    assert table["date"].dt.strftime("%d/%m/%Y").tolist() == ["13/01/2024", "14/01/2024"]
    assert table["amount"].tolist() == [100.0, 50.0]


def _two_sheets() -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "Janvier"
    for row in (["client", "date", "montant"], ["A", "2024-01-15", 10], ["B", "2024-01-16", 20]):
        book.active.append(row)
    second = book.create_sheet("Février")
    for row in (
        ["code client", "date facture", "montant HT"],
        ["C", "2024-02-01", 5],
        ["D", "2024-02-02", 6],
        ["C", "2024-02-03", 7.5],
    ):
        second.append(row)
    third = book.create_sheet("Erreurs")
    for row in (["client", "date", "montant"], ["E", "2024-03-01", "abc"]):
        third.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_sheet_is_chosen_in_the_panel(app):
    app = fresh(app)
    upload(app, "transactions", "ventes.xlsx", _two_sheets())
    sheet = app.options.sheets["transactions"]
    assert sheet.layout.display == "" and sheet.options == ("Janvier", "Février", "Erreurs")
    assert sheet.value == "Janvier"  # the loader's pick
    assert app.uploads["transactions"].table["customer_id"].tolist() == ["A", "B"]
    sheet.value = "Février"
    table = app.uploads["transactions"].table
    assert table["customer_id"].tolist() == ["C", "D", "C"]
    assert table["amount"].tolist() == [5.0, 6.0, 7.5]
    assert app.mappings["transactions"]["customer_id"].value == "code client"
    app.load_uploads()
    assert "3 transactions, 2 clients, du 01/02/2024 au 03/02/2024" in app.summary.value
    sheet.value = "Erreurs"
    said = message(app)
    assert "ventes.xlsx (onglet « Erreurs » sur 3 : choisissez l'onglet ci-dessus): " in said
    assert "ne sont pas des montants : ligne 2" in said and no_python_argument(said)


def test_the_sheet_the_loader_picks_is_the_default():
    app = App(lang="en")
    with open("tests/data/hostile/excel_note_sheet_first.xlsx", "rb") as file:
        upload(app, "transactions", "book.xlsx", file.read())
    assert app.options.sheets["transactions"].value == "Ventes"  # the first sheet is a note
    assert app.uploads["transactions"].table["amount"].tolist() == [3.0]


def test_future_dates_are_accepted_with_the_box(app):
    app = fresh(app)
    content = b"client;date;montant\nA;02/01/2024;10\nB;03/01/2099;20\n"
    upload(app, "transactions", "ventes.csv", content)
    said = message(app)
    assert "1 ligne(s) sont datées après aujourd'hui" in said and "ligne 3" in said
    assert "cochez « Accepter les dates futures » ci-dessus" in said and no_python_argument(said)
    app.options.future.value = True
    table = app.uploads["transactions"].table
    assert table["date"].dt.strftime("%d/%m/%Y").tolist() == ["02/01/2024", "03/01/2099"]
    app.load_uploads()
    assert app.showing == "files" and "2 transactions, 2 clients" in app.summary.value


def test_a_missing_column_is_chosen_in_the_mapping(app):
    app = fresh(app)
    upload(app, "transactions", "ventes.csv", b"client;jour;total\nA;02/01/2024;10\n")
    said = message(app)
    assert "introuvable" in said and "dans « Correspondance des colonnes » ci-dessus" in said
    assert no_python_argument(said)
    app.mappings["transactions"]["date"].value = "jour"
    app.mappings["transactions"]["amount"].value = "total"
    app.load_uploads()
    assert app.showing == "files" and "1 transactions, 1 clients" in app.summary.value


def test_unknown_customers_name_the_keep_box(app):
    app = fresh(app)
    upload(app, "transactions", "ventes.csv", US_DATES)
    upload(app, "customers", "clients.csv", b"customer_id;segment\nA;PME\n")
    app.load_uploads()
    said = message(app)
    assert "cochez « Garder les clients absents du fichier clients » ci-dessus" in said
    assert no_python_argument(said)


def _count_reads(monkeypatch) -> dict[str, int]:
    counts = {"read_raw": 0, "read_arrow": 0, "read_table": 0}

    def counted(name, function):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(load_module, "read_raw", counted("read_raw", load_module.read_raw))
    monkeypatch.setattr(load_module, "read_arrow", counted("read_arrow", load_module.read_arrow))
    monkeypatch.setattr(
        upload_module, "read_table", counted("read_table", upload_module.read_table)
    )
    return counts


def test_a_workbook_is_read_once_from_upload_to_analysis(app, monkeypatch):
    app = fresh(app)
    counts = _count_reads(monkeypatch)
    upload(app, "transactions", "ventes.xlsx", _two_sheets())
    app.load_uploads()
    assert "2 transactions, 2 clients" in app.summary.value
    assert counts["read_raw"] == 1 and counts["read_table"] == 0
    app.load_uploads()  # analysed again: still no read
    assert counts["read_raw"] == 1
    app.options.sheets["transactions"].value = "Février"
    app.load_uploads()
    assert counts["read_raw"] == 2 and "3 transactions" in app.summary.value


def test_a_csv_is_read_once_and_progress_is_shown_while_reading(app, monkeypatch):
    app = fresh(app)
    counts = _count_reads(monkeypatch)
    seen = []
    reader = load_module.read_arrow

    def watched(*args, **kwargs):
        seen.append((app.options.progress_box.layout.display, app.options.progress_text.value))
        return reader(*args, **kwargs)

    monkeypatch.setattr(load_module, "read_arrow", watched)
    content = "client;date;montant\nA;15/01/2024;10\nB;16/02/2024;20\nA;17/03/2024;5\n"
    upload(app, "transactions", "ventes.csv", content.encode())
    assert seen == [("", "<i>Lecture de ventes.csv (0,0\u00a0Mo)… étape 1/1</i>")]
    assert app.options.progress_box.layout.display == "none"  # hidden once read
    app.load_uploads()
    assert len(seen) == 1 and counts["read_raw"] == 0  # the upload's table is analysed
    assert "3 transactions, 2 clients" in app.summary.value
    assert pd.Timestamp(app.full.as_of) == pd.Timestamp("2024-03-17")


def test_a_language_switch_reads_no_file_again(app, monkeypatch):
    app = fresh(app)
    counts = _count_reads(monkeypatch)
    upload(app, "transactions", "ventes.xlsx", _two_sheets())
    app.options.sheets["transactions"].value = "Février"
    app.options.date_format.value = "dayfirst"
    assert counts["read_raw"] == 3  # upload, sheet, date format: one read each
    app.language.value = "en"
    assert app.options.date_format.value == "dayfirst"
    assert app.options.date_format.options[1] == ("Day first (DD/MM/YYYY)", "dayfirst")
    assert app.options.sheets["transactions"].value == "Février"
    app.load_uploads()
    assert counts["read_raw"] == 3 and "3 transactions, 2 customers" in app.summary.value


def test_an_empty_sheet_keeps_the_workbook_to_choose_another(app):
    app = fresh(app)
    book = openpyxl.Workbook()
    book.active.title = "Ventes"
    for row in (["client", "date", "montant"], ["A", "2024-01-15", 10]):
        book.active.append(row)
    book.create_sheet("Vide")
    buffer = io.BytesIO()
    book.save(buffer)
    upload(app, "transactions", "ventes.xlsx", buffer.getvalue())
    sheet = app.options.sheets["transactions"]
    sheet.value = "Vide"
    assert "aucune ligne de données" in message(app)
    assert "transactions" in app.uploads and sheet.layout.display == ""
    sheet.value = "Ventes"
    assert app.uploads["transactions"].table["amount"].tolist() == [10.0]
    assert message(app) == ""
