"""Hostile names and paths (issue 19, security and mixed-up data).

Text from a client's file is text: ``<script>`` in a customer name is written escaped in the
tables and the report pages, ``$`` in a rep name is drawn as ``$`` (not read as math).
A report writes only inside its folder, one Excel file per notebook, and a run on the user's
transactions never reads the sample's customers or costs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell
from matplotlib.text import Text

from portfolio_lib.config import NOTEBOOKS_DIR, SAMPLE_DIR
from portfolio_lib.report import cli, params, publish
from portfolio_lib.ui.present import show_message, show_table

SCRIPT = "<script>alert('xss')</script>"
IMG = "<img src=x onerror=alert(1)>"
DOLLARS = "Team $ales #1 $"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def hostile_files(folder: Path) -> dict[str, Path]:
    """The sample with hostile names: customers (names, reps, segments, regions, channels)
    and costs (channels); the transactions are the sample's."""
    customers = pd.read_csv(SAMPLE_DIR / "customers.csv", dtype=str, keep_default_na=False)
    customers["name"] = [
        f"{SCRIPT} {i}" if i % 3 == 0 else f"{DOLLARS}{i}" if i % 3 == 1 else f"{IMG} {i}"
        for i in range(len(customers))
    ]
    customers["sales_rep"] = customers["sales_rep"].replace(
        {"Sophie Martin": DOLLARS, "Thomas Bernard": SCRIPT, "Julie Petit": IMG}
    )
    customers["segment"] = customers["segment"].replace({"PME": DOLLARS, "Artisan": SCRIPT})
    customers["region"] = customers["region"].replace(
        {"Île-de-France": SCRIPT, "Hauts-de-France": DOLLARS}
    )
    channels = {"Recommandation": DOLLARS, "Site web": SCRIPT}
    customers["acquisition_channel"] = customers["acquisition_channel"].replace(channels)
    costs = pd.read_csv(SAMPLE_DIR / "costs.csv", dtype=str, keep_default_na=False)
    costs["channel"] = costs["channel"].replace(channels)
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "transactions": folder / "client_tx.csv",
        "customers": folder / "client_customers.csv",
        "costs": folder / "client_costs.csv",
    }
    files["transactions"].write_bytes((SAMPLE_DIR / "transactions.csv").read_bytes())
    customers.to_csv(files["customers"], index=False)
    costs.to_csv(files["costs"], index=False)
    return files


# --------------------------------------------------------------------------------------------
# Tables and messages
# --------------------------------------------------------------------------------------------
def test_show_table_writes_cells_headers_and_caption_as_text():
    frame = pd.DataFrame(
        {
            "name": [SCRIPT, IMG, "A & B"],
            "sales_rep": [DOLLARS, SCRIPT, "x"],
            SCRIPT: [1.0, 2.0, 3.0],  # a column named by a client's file
            "revenue": [1000.0, 2000.0, 3000.0],
        }
    )
    for table in (frame, frame.set_index("name")):
        page = show_table(table, lang="en", caption=f"Top {SCRIPT}").to_html()
        assert "<script" not in page and "<img" not in page, page
        assert "&lt;script&gt;alert(" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "A &amp; B" in page and "<caption>Top &lt;script&gt;" in page
        # the header of the hostile column too
        assert re.search(
            r"<th [^>]*>&lt;script&gt;alert\(&#(x27|39);xss&#(x27|39);\)&lt;/script&gt;</th>", page
        )


def test_show_message_quotes_values_as_text_not_html_nor_links():
    shell = InteractiveShell.instance()
    published = []
    shell.display_pub.publish = lambda data, **kwargs: published.append(data)
    show_message(f"unknown id {SCRIPT} [click](javascript:alert(1))", lang="en")
    text = published[-1]["text/markdown"]
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    rendered = markdown2html_mistune(text)
    assert "<script" not in rendered and "&lt;script&gt;" in rendered
    assert "<a " not in rendered and "[click](javascript:alert(1))" in rendered


def test_index_names_the_data_files_escaped_without_their_folders(tmp_path):
    run = {
        "lang": "en",
        "date": "2025-06-02",
        "data": {
            "TRANSACTIONS": {"path": f"/home/me/clients/{IMG}.csv", "default": False},
            "CUSTOMERS": {"path": "", "default": False},
            "COSTS": {"path": str(SAMPLE_DIR / "costs.csv"), "default": True},
        },
        "notebooks": [
            {"notebook": "05_rfm.ipynb", "title": SCRIPT, "html": "05_rfm.html",
             "executed": "05_rfm.ipynb", "excel": "05_rfm.xlsx", "duration_s": 3.0},
        ],
        "effective_parameters": {"SALES_REP": IMG},
        "parameters": {"SALES_REP": IMG},
    }  # fmt: skip
    page = publish.write_index(run, tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page
    assert "/home/me/clients" not in page  # a user-facing page: the file's name only
    assert "<dd>&lt;img src=x onerror=alert(1)&gt;.csv</dd>" in page
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;</a>" in page  # the title
    assert "<dt>Customer file</dt><dd>none</dd>" in page
    assert "<dd>costs.csv (sample data)</dd>" in page
    assert "<dt>Sales rep</dt><dd>&lt;img src=x onerror=alert(1)&gt;</dd>" in page


# --------------------------------------------------------------------------------------------
# Report outputs stay in the report folder; user data never mixed with the sample
# --------------------------------------------------------------------------------------------
@pytest.fixture
def run_cli(monkeypatch, capsys):
    """``portfolio-report ARGS`` from a folder: (exit status, stdout, stderr)."""

    def run(argv, cwd: Path):
        monkeypatch.chdir(cwd)
        status = cli.main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def no_kernel(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a notebook ran")

    monkeypatch.setattr(cli, "execute_notebook", forbidden)


@pytest.mark.parametrize("where", ["config", "--set"])
@pytest.mark.parametrize("value", ["../outside_handout.xlsx", "/tmp/elsewhere.xlsx", "mine.xlsx"])
def test_excel_output_is_refused_before_anything_runs(tmp_path, no_kernel, run_cli, where, value):
    files = hostile_files(tmp_path / "data")
    reports = tmp_path / "reports"
    argv = ["--notebooks-dir", NOTEBOOKS_DIR, "--output", reports, "--notebooks", "05", "07"]
    argv += ["--transactions", files["transactions"]]
    if where == "config":
        config = tmp_path / "params.yaml"
        config.write_text(f"excel_output: {value}\n", encoding="utf-8")
        argv += ["--config", config]
    else:
        argv += ["--set", f"excel_output={value}"]
    status, out, err = run_cli(argv, cwd=tmp_path)
    assert status == 2 and out == ""
    assert "EXCEL_OUTPUT (from " in err and "05_rfm.xlsx, 07_alerts.xlsx" in err
    assert "Remove excel_output from the report's parameters" in err
    assert not (tmp_path / "outside_handout.xlsx").exists() and not reports.exists()


def test_each_notebook_writes_its_own_excel_file_in_the_report_folder(tmp_path):
    declared = {"LANG": "fr", "INTERACTIVE": True, "EXCEL_OUTPUT": ""}
    for stem in ("05_rfm", "07_alerts"):
        given = params.report_parameters(declared, {"LANG": "en"}, folder=tmp_path, stem=stem)
        assert given["EXCEL_OUTPUT"] == str(tmp_path / f"{stem}.xlsx")
    with pytest.raises(params.ReportError, match="EXCEL_OUTPUT"):
        params.report_parameters(
            declared, {"EXCEL_OUTPUT": "../x.xlsx"}, folder=tmp_path, stem="05_rfm"
        )


def test_given_transactions_never_run_with_the_sample_customers_or_costs(
    tmp_path, no_kernel, run_cli
):
    files = hostile_files(tmp_path / "data")
    args = cli.build_parser().parse_args(
        ["--notebooks-dir", str(NOTEBOOKS_DIR), "--transactions", str(files["transactions"])]
    )
    plan = cli.plan_run(args, cwd=tmp_path)
    assert plan.parameters["CUSTOMERS"] == "" and plan.parameters["COSTS"] == ""
    effective = plan.effective_parameters()
    assert str(SAMPLE_DIR) not in json.dumps({k: effective[k] for k in params.DATA_PARAMETERS})
    # a configuration file's transactions too; the flags still add files
    config = tmp_path / "params.yaml"
    config.write_text(f"transactions: {files['transactions']}\n", encoding="utf-8")
    args = cli.build_parser().parse_args(
        ["--notebooks-dir", str(NOTEBOOKS_DIR), "--config", str(config), "--costs",
         str(files["costs"])]
    )  # fmt: skip
    plan = cli.plan_run(args, cwd=tmp_path)
    assert plan.parameters["CUSTOMERS"] == "" and plan.parameters["COSTS"] == str(files["costs"])
    # customers without transactions would run the sample's transactions with them
    status, _, err = run_cli(
        ["--notebooks-dir", NOTEBOOKS_DIR, "--customers", files["customers"], "--dry-run"],
        cwd=tmp_path,
    )
    assert status == 2 and "CUSTOMERS (from command-line flags) given without a transaction" in err
    # no data at all: the sample (a demonstration run), said so on the index
    args = cli.build_parser().parse_args(["--notebooks-dir", str(NOTEBOOKS_DIR)])
    assert not any(name in cli.plan_run(args, cwd=tmp_path).parameters for name in
                   params.DATA_PARAMETERS)  # fmt: skip


def test_data_rules_of_resolve_parameters(tmp_path):
    (tmp_path / "tx.csv").write_text("x")
    declared = {"a.ipynb": {"TRANSACTIONS": "s/t.csv", "CUSTOMERS": "s/c.csv", "COSTS": "s/k.csv"}}

    def resolve(values):
        return params.resolve_parameters([("flags", values)], declared, cwd=tmp_path)

    tx = str(tmp_path / "tx.csv")
    assert resolve({"transactions": "tx.csv"}) == {"TRANSACTIONS": tx, "CUSTOMERS": "", "COSTS": ""}
    assert resolve({}) == {}  # the sample, as the notebooks declare it
    assert resolve({"costs": ""}) == {"COSTS": ""}  # the sample without its costs: no mix
    with pytest.raises(params.ReportError, match=r"TRANSACTIONS \(from flags\) is empty"):
        resolve({"transactions": "", "customers": "tx.csv"})
    with pytest.raises(params.ReportError, match=r"COSTS \(from flags\) given without a trans"):
        resolve({"costs": "tx.csv"})


# --------------------------------------------------------------------------------------------
# Charts: names are text, never math
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hostile_studies(tmp_path_factory):
    from portfolio_lib.engine.prepare import prepare
    from portfolio_lib.studies import (
        alerts_study,
        balance_study,
        clv_study,
        costs_study,
        rfm_study,
        weight_study,
    )

    files = hostile_files(tmp_path_factory.mktemp("hostile"))
    prepared = prepare(files["transactions"], files["customers"], files["costs"])
    agg = prepared.agg
    return {
        "prepared": prepared,
        "weight": weight_study(agg),
        "balance": balance_study(agg, dependence_alert=0.0),
        "rfm": rfm_study(agg, lang="en"),
        "alerts": alerts_study(agg),
        "costs": costs_study(prepared.full, prepared.costs),
        "clv": clv_study(
            agg, prepared.costs, by="sales_rep", transactions=prepared.data.transactions
        ),
        "clv_channel": clv_study(agg, prepared.costs, by="acquisition_channel"),
    }


def _charts():
    from portfolio_lib.plots import alerts, balance, clv, costs, predictive, weight

    return {
        "weight_by_rep": lambda s: weight.plot_weight_by(s["weight"].by["sales_rep"], lang="en"),
        "weight_by_segment": lambda s: weight.plot_weight_by(s["weight"].by["segment"]),
        "weight_by_region": lambda s: weight.plot_weight_by(s["weight"].by["region"]),
        "concentration": lambda s: balance.plot_concentration(
            s["balance"].concentration, dependent=s["balance"].dependent.assign(
                name=[f"{DOLLARS}{i}" for i in range(len(s["balance"].dependent))]
            ), dependence_alert=0.0,
        ),
        "revenue_at_risk_by_rep": lambda s: alerts.plot_revenue_at_risk_by_rep(s["alerts"].alerts),
        "top_at_risk": lambda s: alerts.plot_top_at_risk(
            s["alerts"].alerts.assign(name=DOLLARS, sales_rep=DOLLARS), n=5
        ),
        "cac_by_channel": lambda s: costs.plot_cac_by_channel(s["costs"].channel_costs),
        "ltv_to_cac_by_group": lambda s: costs.plot_ltv_to_cac(
            pd.Series({DOLLARS: 3000.0, "B": 2000.0}), pd.Series({DOLLARS: 1000.0, "B": 900.0})
        ),
        "simple_clv": lambda s: clv.plot_simple_clv(s["clv"].simple),
        "clv_comparison": lambda s: clv.plot_clv_comparison(
            s["clv"].simple, retention=s["clv"].retention,
            predictive=s["clv"].predictive_by_group, horizon_months=36,
        ),
        "clv_by_segment": lambda s: predictive.plot_clv_by_segment(
            s["clv"].predictive_by_group, value="clv_mean"
        ),
        "simple_clv_by_channel": lambda s: clv.plot_simple_clv(s["clv_channel"].simple),
    }  # fmt: skip


@pytest.mark.parametrize("chart", sorted(_charts()))
def test_every_chart_draws_names_with_dollars_as_written(hostile_studies, chart):
    ax = _charts()[chart](hostile_studies)
    figure = ax.figure
    figure.canvas.draw()  # mathtext errors are raised here
    shown = []
    for text in figure.findobj(Text):
        raw = text.get_text()
        if "ales #1" in raw:
            drawn, is_math = text._preprocess_math(raw)
            assert not is_math, raw
            shown.append(drawn)
    assert shown and all(DOLLARS in drawn for drawn in shown), shown


# --------------------------------------------------------------------------------------------
# A report on hostile names
# --------------------------------------------------------------------------------------------
@pytest.mark.notebooks
def test_report_on_hostile_names_escapes_pages_and_keeps_files_inside(tmp_path, run_cli):
    files = hostile_files(tmp_path / "data")
    reports = tmp_path / "reports"
    status, out, err = run_cli(
        ["--notebooks-dir", NOTEBOOKS_DIR, "--output", reports, "--date", "2025-06-02",
         "--notebooks", "05", "07", "--transactions", files["transactions"],
         "--customers", files["customers"], "--lang", "en"],
        cwd=tmp_path,
    )  # fmt: skip
    assert status == 0, out + err
    folder = reports / "2025-06-02"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "reports"]
    for stem in ("05_rfm", "07_alerts"):
        page = (folder / f"{stem}.html").read_text(encoding="utf-8")
        body = page[page.index("<body") :]
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "&lt;script&gt;alert(" in body
        # the Excel file linked as it is published, next to the page (not the staging folder)
        assert re.search(rf"""Excel : <a href=["']{stem}\.xlsx["']""", body)
        assert ".tmp-" not in body
        assert (folder / f"{stem}.xlsx").is_file()
        injected = next(
            cell.source
            for cell in nbformat.read(folder / f"{stem}.ipynb", as_version=4).cells
            if "injected-parameters" in cell.metadata.get("tags", [])
        )
        assert 'COSTS = ""' in injected  # not given: none, never the sample's costs
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "<dd>client_tx.csv</dd>" in index and "<dd>client_customers.csv</dd>" in index
    assert "<dt>Costs</dt><dd>none</dd>" in index and str(tmp_path) not in index
