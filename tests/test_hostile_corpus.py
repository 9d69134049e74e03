"""The hostile corpus (tests/data/hostile/, issue 19) past the loader: through the studies,
the app's upload handler and ``portfolio-report``, each file to its declared outcome.

tests/test_hostile_inputs.py checks the loader itself on every file (rows, columns, cells,
amounts); here the same files must give the same outcome further on: the studies compute
on the amounts read, the app shows the bilingual error or the loaded data, the report exits
1 naming the error or publishes.
"""

from __future__ import annotations

import csv
import html
import math
import warnings
from pathlib import Path

import pytest
import test_hostile_security
from test_app import upload

from portfolio_lib import PortfolioDataError
from portfolio_lib.engine.prepare import prepare
from portfolio_lib.studies import alerts_study, rfm_study, weight_study
from portfolio_lib.studies.overview import overview_study
from portfolio_lib.ui.app import App

CORPUS = Path(__file__).parent / "data" / "hostile"
EXPECTED = list(csv.DictReader((CORPUS / "expected.csv").open(encoding="utf-8"), delimiter=";"))
ERRORS = [c for c in EXPECTED if c["outcome"].startswith("error")]
LOADED = [c for c in EXPECTED if not c["outcome"].startswith("error")]
NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
run_cli = test_hostile_security.run_cli  # the fixture: portfolio-report ARGS from a folder


def ids(cases):
    return [c["file"] for c in cases]


def test_the_corpus_has_forty_awkward_files_each_with_its_outcome():
    files = {p.name for p in CORPUS.iterdir()} - {"expected.csv", "make_corpus.py"}
    assert files == {c["file"] for c in EXPECTED} and len(files) >= 40
    assert len(ERRORS) >= 20 and len(LOADED) >= 15


@pytest.mark.parametrize("case", ERRORS, ids=ids(ERRORS))
def test_error_files_stop_prepare_with_the_loader_error(case):
    with pytest.raises(PortfolioDataError) as err:
        prepare(str(CORPUS / case["file"]))
    assert err.value.code == case["outcome"].split(":")[1]
    assert err.value.rows == [int(r) for r in case["rows"].split()]
    assert str(err.value).startswith(case["file"])


@pytest.mark.parametrize("case", LOADED, ids=ids(LOADED))
def test_loaded_files_go_through_the_studies_with_the_amounts_read(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the loader's warnings: tests/test_hostile_inputs.py
        prepared = prepare(str(CORPUS / case["file"]))
    amounts = [float(a) for a in case["amounts"].split()]
    kpis = overview_study(prepared.agg).kpis
    # Every corpus date lies within 12 months of the last: the window's revenue is the file's.
    assert math.isclose(kpis["revenue"], sum(amounts), abs_tol=1e-9)
    if case["customers"]:
        assert len(prepared.agg.customers) == int(case["customers"])
    for study in (weight_study, rfm_study, alerts_study):
        try:
            study(prepared.agg)
        except PortfolioDataError as error:  # too little data for a study: said, in words
            assert "What to do" in str(error) and "Que faire" in error.text("fr")


@pytest.fixture(scope="module")
def app():
    return App(lang="fr")


@pytest.mark.parametrize("case", EXPECTED, ids=ids(EXPECTED))
def test_app_upload_of_each_corpus_file(app, case):
    """What the app does with the file: the French error of the loader, or the data loaded."""
    name = case["file"]
    upload(app, "transactions", name, (CORPUS / name).read_bytes())
    if "transactions" in app.uploads:
        app.load_uploads()
    if case["outcome"].startswith("error"):
        with pytest.raises(PortfolioDataError) as err, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prepare(str(CORPUS / name))
        first = err.value.text("fr").splitlines()[0]
        assert "portfolio-error" in app.messages.value
        assert html.escape(first) in app.messages.value
        assert "Que faire" in app.messages.value
        assert app.showing != "files" or app._showing_names.get("transactions") != name
        return
    assert app.showing == "files" and app._showing_names == {"transactions": name}
    count = len(case["amounts"].split())
    assert f"{count} transaction" in app.summary.value
    assert "portfolio-error" not in app.messages.value
    if case["outcome"].startswith("warning") and case["file"] != "two_amount_columns.csv":
        # (two amount columns: the app's mapping drop-downs show which one is read)
        assert "portfolio-warning" in app.messages.value


@pytest.mark.notebooks
@pytest.mark.parametrize(
    "name, expected",
    [
        ("excel_formulas_without_values.xlsx", "2 cell(s) hold a formula"),
        ("repeated_amount_header.csv", "names column 'montant' 2 times"),
    ],
)
def test_report_cli_on_corpus_errors_exits_1_with_the_error(tmp_path, run_cli, name, expected):
    status, out, err = run_cli(
        ["--notebooks-dir", NOTEBOOKS_DIR, "--output", tmp_path / "reports", "--date",
         "2024-02-01", "--notebooks", "00", "--transactions", CORPUS / name, "--lang", "en"],
        cwd=tmp_path,
    )  # fmt: skip
    assert status == 1
    assert name in out + err and expected.lower() in (out + err).lower()
    assert not (tmp_path / "reports" / "2024-02-01").exists()


@pytest.mark.notebooks
def test_report_cli_on_a_corpus_file_that_loads(tmp_path, run_cli):
    status, out, err = run_cli(
        ["--notebooks-dir", NOTEBOOKS_DIR, "--output", tmp_path / "reports", "--date",
         "2024-02-01", "--notebooks", "00", "--transactions", CORPUS / "hostile_names.csv",
         "--lang", "en"],
        cwd=tmp_path,
    )  # fmt: skip
    assert status == 0, out + err
    page = (tmp_path / "reports" / "2024-02-01" / "00_overview.html").read_text(encoding="utf-8")
    body = page[page.index("<body") :]
    assert "<script>alert(1)" not in body
