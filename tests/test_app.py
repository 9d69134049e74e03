"""The app's logic without a browser: uploads, mapping, errors, language, filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from portfolio_lib.ui.app import App

EDGE = Path(__file__).parent / "data" / "edge"
NBSP = "\u00a0"


def upload(app: App, kind: str, name: str, content: bytes) -> None:
    """What the browser does: the FileUpload widget receives the file."""
    app.files[kind].value = (
        {"name": name, "type": "text/csv", "size": len(content), "content": memoryview(content),
         "last_modified": dt.datetime(2025, 12, 31, tzinfo=dt.timezone.utc)},
    )  # fmt: skip


@pytest.fixture(scope="module")
def app():
    return App(lang="fr")


def test_starts_on_the_sample(app):
    assert app.showing == "sample"
    assert f"23{NBSP}888 transactions, 2{NBSP}000 clients" in app.summary.value
    assert app.tabs.titles[0] == "Vue d'ensemble" and len(app.tabs.children) == 8
    assert "overview" in app.built  # the first tab is built, the others when opened


def test_upload_maps_french_columns_and_loads_them():
    app = App(lang="fr")
    upload(app, "transactions", "ventes.csv", (EDGE / "transactions_fr.csv").read_bytes())
    dropdowns = app.mappings["transactions"]
    assert dropdowns["customer_id"].value == "N° client"
    assert dropdowns["amount"].value == "Montant HT"
    assert dropdowns["margin"].value == "—"  # not in the file
    upload(app, "customers", "clients.csv", (EDGE / "customers.csv").read_bytes())
    assert app.mappings["customers"]["name"].value == "Raison sociale"
    app.load_uploads()
    assert app.showing == "files"
    assert "14 transactions, 6 clients" in app.summary.value
    assert len(app.full.customers) == 7  # with the prospect of the customer file
    assert app.costs is None


def test_a_wrong_mapping_shows_the_bilingual_error():
    app = App(lang="fr")
    upload(app, "transactions", "ventes.csv", (EDGE / "transactions_fr.csv").read_bytes())
    app.mappings["transactions"]["amount"].value = "N° facture"  # invoice numbers are no amounts
    app.load_uploads()
    assert app.showing == "sample"  # the sample stays on screen
    assert "portfolio-error" in app.messages.value
    assert "ne sont pas des montants" in app.messages.value and "Que faire" in app.messages.value
    app.language.value = "en"  # the message follows the language switch
    assert "are not amounts" in app.messages.value


def test_bad_files_are_refused_with_a_message():
    app = App(lang="en", upload_limit_mb=0.001)
    upload(app, "transactions", "big.csv", b"client;date;amount\n" + b"A;01/01/2025;1\n" * 200)
    assert "the file is 0.0 MB, over the limit of 0.001 MB" in app.messages.value
    assert "transactions" not in app.uploads
    app = App(lang="en")
    upload(app, "transactions", "report.pdf", b"%PDF-1.4")
    assert "is not supported" in app.messages.value
    upload(app, "transactions", "empty.csv", b"")
    assert "no data rows" in app.messages.value
    app.load_uploads()
    assert "Upload the transaction file first" in app.messages.value


def test_unknown_customers_need_the_keep_box():
    app = App(lang="en")
    upload(app, "transactions", "ventes.csv", (EDGE / "transactions_fr.csv").read_bytes())
    upload(app, "customers", "clients.csv", b"customer_id;segment\nE1;PME\n")
    app.load_uploads()
    assert "are not in the customer file" in app.messages.value
    app.keep_unknown.value = True
    app.load_uploads()
    assert app.showing == "files" and len(app.full.customers) == 6


def test_language_switch_relabels_everything(app):
    app.language.value = "en"
    try:
        assert app.tabs.titles[0] == "Overview"
        assert "23,888 transactions, 2,000 customers" in app.summary.value
        assert app.source.options[0][0] == "Sample data"
    finally:
        app.language.value = "fr"


def test_filters_restrict_the_analyses(app):
    bar = app.filters.children[0]
    reps = next(select for select in bar.children if select.description == "Commercial")
    reps.value = ("Julie Petit",)
    try:
        assert set(app.agg.customers["sales_rep"]) == {"Julie Petit"}
        assert app.full.customers["sales_rep"].nunique() == 8  # the full portfolio is kept
    finally:
        reps.value = ()
    assert len(app.agg.customers) == len(app.full.customers)


def test_tabs_are_built_when_opened(app):
    app.tabs.selected_index = 4
    assert "balance" in app.built
    assert "portfolio-tab-balance" in app.built["balance"]._dom_classes
