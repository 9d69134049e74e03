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
    assert app.tabs.titles[0] == "Vue d'ensemble" and len(app.tabs.children) == 13
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
    assert reps.options[0] == ("Tous", "")  # everyone first
    reps.value = "Julie Petit"
    try:
        assert set(app.agg.customers["sales_rep"]) == {"Julie Petit"}
        assert app.full.customers["sales_rep"].nunique() == 8  # the full portfolio is kept
        assert "Commercial\u00a0: Julie Petit" in app.banner.value
    finally:
        bar.clear()  # the reset button
    assert reps.value == "" and app.banner.value == ""
    assert len(app.agg.customers) == len(app.full.customers)


def test_tabs_are_built_when_opened(app):
    app.tabs.selected_index = 4
    assert "balance" in app.built
    assert "portfolio-tab-balance" in app.built["balance"]._dom_classes


def test_tab_filters_and_sliders_survive_language_filter_and_upload():
    app = App(lang="fr")
    app.tabs.selected_index = 4  # Équilibre
    app.built["balance"].controls["a_cut"].value = 0.7
    app.built["balance"].controls["dependence_alert"].value = 0.2
    app.filter_bar.selects["sales_rep"].value = "Julie Petit"
    assert app.tabs.selected_index == 4
    assert app.built["balance"].controls["a_cut"].value == 0.7
    assert app.built["balance"].name == "equilibre_Julie-Petit_2025-12-30"
    app.language.value = "en"
    balance = app.built["balance"]
    assert app.tabs.selected_index == 4 and app.tabs.titles[4] == "Balance"
    assert balance.controls["a_cut"].value == 0.7
    assert balance.controls["dependence_alert"].value == 0.2
    assert app.filter_bar.values()["sales_rep"] == "Julie Petit"
    assert set(app.agg.customers["sales_rep"]) == {"Julie Petit"}
    assert balance.name == "balance_Julie-Petit_2025-12-30"
    # A new upload without sales reps: the tab and the sliders stay, the rep filter goes.
    upload(app, "transactions", "ventes.csv", (EDGE / "transactions_fr.csv").read_bytes())
    app.load_uploads()
    assert app.showing == "files" and app.tabs.selected_index == 4
    assert app.built["balance"].controls["a_cut"].value == 0.7
    assert app.filter_bar.active() == {}
    assert "ventes.csv" in app.summary.value


def test_readouts_and_file_sizes_follow_the_french_page():
    app = App(lang="fr")
    app.tabs.selected_index = 4
    bar = app.built["balance"].children[0]
    readouts = [box.children[1].children[-1].value for box in bar.children]
    low, high = app.built["balance"].controls["pmg_thresholds"].value
    assert readouts[0] == f"80{NBSP}%"
    pmg = f"{round(low):,} – {round(high):,}{NBSP}€".replace(",", NBSP)
    assert readouts[-1] == pmg and "k" not in pmg
    app.tabs.selected_index = 7
    gap = app.built["alerts"].children[0].children[1]
    assert gap.children[1].children[-1].value == "2,00"
    upload(
        app, "transactions", "ventes.csv", b"client;date;montant\n" + b"A;01/01/2025;1\n" * 100_000
    )
    assert f"(1,5{NBSP}Mo)" in app.file_status["transactions"].value


def test_a_failed_load_says_which_data_stays_on_screen():
    app = App(lang="fr")
    upload(app, "transactions", "ventes.csv", (EDGE / "transactions_fr.csv").read_bytes())
    app.mappings["transactions"]["amount"].value = "N° facture"
    app.load_uploads()
    assert (
        "les résultats à l'écran restent ceux de : Données d'exemple"
        in app.messages.value.replace("&#x27;", "'")
    )


def test_key_accounts_at_risk_do_not_change_with_the_filter():
    app = App(lang="fr")
    app.tabs.selected_index = 7
    everyone = app.built["alerts"].last_view.tables["view_alerts"]
    hers = everyone[everyone["sales_rep"] == "Julie Petit"]
    app.filter_bar.selects["sales_rep"].value = "Julie Petit"
    filtered = app.built["alerts"].last_view.tables["view_alerts"]
    assert list(filtered["customer_id"]) == list(hers["customer_id"])
    assert filtered["top_at_risk"].sum() == hers["top_at_risk"].sum() == 0
    assert "sales_rep" not in app.built["alerts"].controls  # the global filter rules


def test_cohort_labels_percent_p_alive_and_whole_days():
    app = App(lang="fr")
    app.tabs.selected_index = 2  # Mouvements
    movements = app.built["movements"]
    movements.controls["cohort_period"].value = "quarter"
    table = movements.last_view.tables["view_cohorts_active"]
    assert list(table.index[:2]) == ["T1 2023", "T2 2023"]  # as the chart, not "janv. 2023"
    app.tabs.selected_index = 7  # Alertes: days since the last purchase, whole days
    block = app.built["alerts"].tables.children[1]
    first = block.table.iloc[0]
    assert "<td" in block.rows.value
    assert f">{first['days_since_last']:.0f}<" in block.rows.value.replace(NBSP, "")
    usual = first["usual_gap_days"]
    assert (
        f"{usual:.0f}" in block.rows.value
        and f"{usual:.2f}".replace(".", ",") not in block.rows.value
    )
    app.tabs.selected_index = 6  # Valeur client: P(actif) in percent
    top = next(b for b in app.built["clv"].tables.children if b.key == "view_top_clv")
    p_alive = top.table["p_alive"].iloc[0]
    assert f"{p_alive * 100:.1f}".replace(".", ",") + f"{NBSP}%" in top.rows.value


def test_a_partial_last_month_is_flagged_on_the_costs_tab():
    app = App(lang="fr")
    assert f"{app.full.as_of:%d/%m/%Y}" == "30/12/2025"  # the sample stops a day early
    app.tabs.selected_index = 3  # CAC / CRC
    notes = [note.text("fr") for note in app.built["costs"].last_view.notes]
    assert notes[0] == (
        "Le dernier mois (déc. 2025) est incomplet : les données s'arrêtent au 30/12/2025. "
        "Son CAC et son CRC ne portent que sur une partie du mois : ne le comparez pas aux "
        "mois entiers."
    )


def test_the_forecast_tab_reuses_the_clv_models_and_moves_with_its_sliders(app):
    app.tabs.selected_index = 6  # Valeur client: fits the models
    models = app.built["clv"].prepared["models"]
    app.tabs.selected_index = 10
    assert app.tabs.titles[10] == "Prévision"
    forecast = app.built["forecast"]
    study = forecast.prepared["study"]
    assert study.models is models  # not fitted twice
    what_if = forecast.last_view.tables["view_what_if"]
    revenue = study.portfolio.loc["total", "forecast_revenue"]
    assert what_if.loc["Scénario", "what_if_revenue"] == revenue
    forecast.controls["basket"].value = -0.2
    what_if = forecast.last_view.tables["view_what_if"]
    assert what_if.loc["Scénario", "what_if_revenue"] == pytest.approx(0.8 * revenue, rel=1e-12)
    assert "view_forecast_check" in forecast.last_view.tables  # the app has the transactions
