"""Explorers: controls reach the studies, the views show the library's numbers, changes are cheap.

Each explorer is built once on the sample (module fixture ``explorers``); tests set the
controls they need and put them back. A control change must give the study's result for the
new value (compared with the analysis functions called directly), redraw only the charts
whose data changed, and never aggregate the log or fit the predictive models again.
The time of one change per explorer is printed (``-s``), not asserted: speed targets live in
``benchmarks/``.
"""

from __future__ import annotations

import base64
import html
import io
import re
import sys
import time
from pathlib import Path

import ipywidgets as w
import matplotlib.image
import matplotlib.pyplot as plt
import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from portfolio_lib import i18n, studies
from portfolio_lib.engine.prepare import prepare
from portfolio_lib.metrics.alerts import alerts_by_rep, customer_alerts
from portfolio_lib.metrics.balance import abc_classes, class_summary, lifecycle_phases, pmg_classes
from portfolio_lib.metrics.movements import movements
from portfolio_lib.metrics.rfm import rfm_scores, rfm_table
from portfolio_lib.metrics.weight import headline_kpis
from portfolio_lib.ui import explorer, widgets

EDGE_DIR = Path(__file__).parent / "data" / "edge"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LINK = re.compile(r'download="(?P<name>[^"]+)" href="data:(?P<mime>[^;]+);base64,(?P<data>[^"]+)"')


@pytest.fixture(scope="module")
def explorers(sample_aggregates, sample_portfolio):
    """Every explorer on the sample, in French, with the initial value of each control."""
    agg, costs = sample_aggregates, sample_portfolio.costs
    built = {
        "overview": widgets.overview_explorer(agg, lang="fr"),
        "weight": widgets.weight_explorer(agg, lang="fr"),
        "movements": widgets.movements_explorer(agg, lang="fr"),
        "costs": widgets.costs_explorer(agg, costs, lang="fr"),
        "balance": widgets.balance_explorer(agg, lang="fr"),
        "rfm": widgets.rfm_explorer(agg, lang="fr"),
        "clv": widgets.clv_explorer(
            agg, costs, transactions=sample_portfolio.transactions, lang="fr"
        ),
        "alerts": widgets.alerts_explorer(agg, lang="fr"),
    }
    initial = {
        name: {key: control.value for key, control in box.controls.items()}
        for name, box in built.items()
    }
    yield built, initial
    plt.close("all")


@pytest.fixture
def box(request, explorers):
    """The explorer named by the test's ``name`` parameter, its controls back to the start."""
    built, initial = explorers
    explorer = built[request.param]
    yield explorer
    for key, value in initial[request.param].items():
        explorer.controls[key].value = value


def _links(html: str) -> dict[str, tuple[str, bytes]]:
    return {m["name"]: (m["mime"], base64.b64decode(m["data"])) for m in LINK.finditer(html)}


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    image = matplotlib.image.imread(io.BytesIO(data), format="png")  # decodes every pixel
    return image.shape[1], image.shape[0]


def _codes(notes) -> list[str]:
    return [getattr(note, "code", None) or note.key for note in notes]


# --------------------------------------------------------------------------- scaffolding


def test_explorer_wires_controls_to_render_and_keeps_the_last_view():
    calls = []

    def render(factor: float) -> widgets.View:
        calls.append(factor)
        table = pd.DataFrame({"revenue": [100.0 * factor]})
        figure, ax = plt.subplots()
        ax.bar([0], [factor])
        return widgets.View(charts={"revenue": figure}, tables={"revenue": table})

    slider = w.FloatSlider(value=1.0, min=0.0, max=2.0, continuous_update=False)
    box = widgets.explorer({"factor": slider}, render, name="toy", lang="en")
    assert isinstance(box, w.VBox) and box.controls["factor"] is slider
    # Labelled above, the value beside the track in the page's format (no English readout).
    field = box.children[0].children[0]
    assert field.children[1].children[0] is slider and slider.readout is False
    assert field.children[1].children[1].value == "1.00"
    slider.value = 1.5
    assert field.children[1].children[1].value == "1.50"
    assert calls == [1.0, 1.5]
    assert box.last_view.tables["revenue"]["revenue"].tolist() == [150.0]
    assert list(box.pngs) == ["revenue"] and box.pngs["revenue"].startswith(PNG_SIGNATURE)
    # The lead's download_links still works on a view of figures.
    links = _links(widgets.download_links(box.last_view, name="toy", lang="en"))
    assert set(links) == {"toy.xlsx", "toy-revenue.png"}
    plt.close("all")


def test_explorer_shows_a_bad_setting_as_a_note_and_recovers():
    def render(cut: float) -> widgets.View:
        if cut > 0.5:
            raise ValueError(f"cut must be at most 0.5, got {cut}")
        return widgets.View(tables={"t": pd.DataFrame({"cut": [cut]})})

    slider = w.FloatSlider(value=0.2, min=0.0, max=1.0)
    box = widgets.explorer({"cut": slider}, render, name="toy", lang="fr")
    slider.value = 0.8
    assert box.last_view is None and "0.8" in str(box.last_error)
    assert box.prepare_downloads() == ""
    slider.value = 0.3
    assert box.last_error is None and box.last_view.tables["t"]["cut"].tolist() == [0.3]


def test_chart_fingerprints_follow_the_content():
    frame = pd.DataFrame({"a": [1.0, 2.0]}, index=["x", "y"])
    same = frame.copy()
    changed = frame.assign(a=[1.0, 2.5])
    key = explorer.fingerprint
    assert key(frame) == key(same) and key(frame) != key(changed)
    assert key(frame) != key(frame.rename(columns={"a": "b"}))
    assert key({"thresholds": (1.0, 2.0)}) != key({"thresholds": (1.0, 3.0)})


def test_filter_bar_gives_the_subset(sample_aggregates):
    received = []
    bar = widgets.filter_bar(sample_aggregates, received.append, lang="en")
    segment = next(c for c in bar.children if c.description == "Segment")
    assert segment.options[0] == ("All", "")
    segment.value = "PME"
    assert set(received[-1].customers["segment"]) == {"PME"}
    assert bar.active() == {"segment": "PME"}
    assert widgets.filters_text(bar.active(), "fr") == "Segment\u00a0: PME"
    bar.clear()  # the reset button: everyone, in one change
    assert len(received) == 2 and len(received[-1].customers) == len(sample_aggregates.customers)


# ------------------------------------------------------------------------------ controls


def test_every_control_is_labelled_in_both_languages(explorers, sample_aggregates):
    built, _ = explorers
    french, english = i18n.labels("fr"), i18n.labels("en")
    key_of = {text: key for key, text in french.items()}
    for name, box in built.items():
        for key, control in box.controls.items():
            if isinstance(control, w.FloatSlider | w.IntSlider | w.FloatRangeSlider):
                assert control.continuous_update is False, (name, key)
            # A registered label (not the readable fallback of an unknown key), in English too.
            label_key = key_of.get(control.description)
            assert label_key is not None, (name, key, control.description)
            assert english[label_key] != french[label_key], label_key
    assert built["balance"].controls["a_cut"].description == "Fin de la classe A (part du CA)"
    assert english["control_a_cut"] == "End of class A (revenue share)"
    box = widgets.overview_explorer(sample_aggregates, lang="en")
    assert box.controls["activity_window"].description == "Activity window (months)"
    assert box.download_button.description == "Prepare the downloads (Excel, PNG)"
    plt.close("all")


# ------------------------------------------------------------------------------- balance


@pytest.mark.parametrize("box", ["balance"], indirect=True)
def test_balance_slider_changes_the_abc_classes(box, sample_aggregates):
    buyers = studies.customer_totals(sample_aggregates)
    buyers = buyers[buyers["active"]]
    view = box.last_view
    assert list(view.charts) == [
        "view_pareto",
        "view_abc_mix",
        "view_pmg_mix",
        "view_concentration",
        "view_lifecycle",
        "view_hit_parade",
        "view_potential_matrix",
        "view_relationship",
    ]
    assert list(view.tables) == [
        "view_abc_mix",
        "view_pmg_mix",
        "view_concentration",
        "view_dependent",
        "view_lifecycle",
        "view_tiers",
        "view_resource_check",
        "view_hit_parade",
        "view_vivier",
        "view_relationship",
        "view_relationship_by_segment",
        "view_relationship_by_sales_rep",
        "view_weak_relationships",
    ]
    assert_frame_equal(view.tables["view_abc_mix"], class_summary(abc_classes(buyers), by="abc"))
    # The PMG slider starts at the quantiles: the notebook's default classes.
    assert_frame_equal(view.tables["view_pmg_mix"], class_summary(pmg_classes(buyers), by="pmg"))

    box.controls["a_cut"].value = 0.7  # the A cut
    expected = class_summary(abc_classes(buyers, a_cut=0.7), by="abc")
    assert_frame_equal(box.last_view.tables["view_abc_mix"], expected)
    assert (
        box.last_view.charts["view_pareto"].data["abc"].eq("A").sum()
        == expected.loc["A", "customers"]
    )
    # Fewer customers make 70 % than 80 % of revenue.
    assert expected.loc["A", "customers"] < view.tables["view_abc_mix"].loc["A", "customers"]

    box.controls["pmg_thresholds"].value = (10_000.0, 50_000.0)
    expected = class_summary(pmg_classes(buyers, thresholds=(10_000, 50_000)), by="pmg")
    assert_frame_equal(box.last_view.tables["view_pmg_mix"], expected)


@pytest.mark.parametrize("box", ["balance"], indirect=True)
def test_balance_redraws_only_the_chart_a_control_moves(box, sample_aggregates, monkeypatch):
    drawn = []
    draw = explorer.chart_png

    def counting(chart, lang, **options):
        drawn.append(chart.plot.__name__)
        return draw(chart, lang, **options)

    monkeypatch.setattr(explorer, "chart_png", counting)
    box.controls["lifecycle_growth"].value = 0.2
    assert drawn == ["plot_lifecycle"]
    phases = lifecycle_phases(
        sample_aggregates.monthly, sample_aggregates.customers,
        months=sample_aggregates.months, growth=0.2,
    )  # fmt: skip
    lifecycle = box.last_view.charts["view_lifecycle"].data
    assert lifecycle["customers"].sum() == len(phases)
    drawn.clear()
    box.controls["dependence_alert"].value = 0.05
    assert drawn == ["plot_concentration"]
    assert box.last_view.tables["view_concentration"]["dependent_customers"].iloc[0] == len(
        box.last_view.tables["view_dependent"]
    )
    drawn.clear()
    box.controls["lifecycle_growth"].value = 0.1  # back: the earlier image is reused
    box.controls["dependence_alert"].value = 0.15
    assert drawn == []


@pytest.mark.parametrize("box", ["balance"], indirect=True)
def test_balance_cuts_in_the_wrong_order_say_so(box):
    box.controls["a_cut"].value = 0.95
    box.controls["b_cut"].value = 0.9
    assert box.last_view.charts == {} and box.last_view.tables == {}
    assert _codes(box.last_view.notes) == ["note_abc_cuts_order"]
    assert "(95\xa0%)" in box.last_view.notes[0].text("fr")


@pytest.mark.parametrize("box", ["balance"], indirect=True)
def test_balance_downloads_are_a_workbook_and_pngs(box, sample_aggregates):
    assert box.links.value == ""  # built on request only
    html = box.prepare_downloads()
    links = _links(html)
    assert list(links) == [
        "balance.xlsx",
        *(f"balance-{key.removeprefix('view_')}.png" for key in box.last_view.charts),
    ]
    mime, workbook = links["balance.xlsx"]
    assert mime == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    assert book.sheetnames[:2] == ["Classes ABC", "Classes PMG"]
    rows = list(book["Classes ABC"].iter_rows(values_only=True))
    abc = box.last_view.tables["view_abc_mix"]
    assert [row[1] for row in rows[1:]] == abc["customers"].tolist()
    for name, (mime, data) in links.items():
        if name.endswith(".png"):
            assert mime == "image/png"
            width, height = _png_size(data)
            assert width > 1000 and height > 300  # 150 dpi, about 9 inches wide
    # A change makes the links stale: they go until asked again.
    box.controls["a_cut"].value = 0.75
    assert box.links.value == ""


# ----------------------------------------------------------------------- other explorers


@pytest.mark.parametrize("box", ["overview"], indirect=True)
def test_overview_window_changes_the_tiles(box, sample_aggregates):
    agg = sample_aggregates
    box.controls["activity_window"].value = 6
    kpis = headline_kpis(agg.monthly, months=agg.months, customers=agg.customers, window=6)
    row = box.last_view.tables["view_kpis"].iloc[0]
    assert row["active_customers"] == kpis["active_customers"]
    assert row["revenue"] == pytest.approx(kpis["revenue"], rel=1e-12)
    assert list(box.last_view.charts) == ["view_kpis"]


@pytest.mark.parametrize("box", ["weight"], indirect=True)
def test_weight_controls(box, sample_aggregates):
    assert list(box.controls) == ["period", "activity_window", "by"]
    assert list(box.last_view.charts) == [
        "view_revenue_trend",
        "view_active_trend",
        "view_weight_by_segment",
    ]
    assert len(box.last_view.tables) == 5
    box.controls["period"].value = "quarter"
    assert len(box.last_view.tables["view_weight_trend"]) == 12  # 36 months
    box.controls["by"].value = "region"
    assert "view_weight_by_region" in box.last_view.charts
    assert "view_weight_by_segment" not in box.last_view.charts
    box.controls["activity_window"].value = 3
    agg = sample_aggregates
    kpis = headline_kpis(agg.monthly, months=agg.months, customers=agg.customers, window=3)
    assert box.last_view.tables["view_kpis"].iloc[0]["active_customers"] == kpis["active_customers"]


@pytest.mark.parametrize("box", ["movements"], indirect=True)
def test_movements_controls(box, sample_aggregates):
    assert list(box.last_view.charts) == [
        "view_movements",
        "view_churn",
        "view_bridge",
        "view_nrr",
        "view_cohorts_active",
        "view_cohorts_revenue",
        "view_cohorts_nrr",
    ]
    # NRR of the last bridge: retained revenue over revenue at the start (issue 18).
    bridge = box.last_view.tables["view_nrr"].iloc[-1]
    assert bridge["nrr"] == pytest.approx(
        (bridge["revenue_start"] + bridge["expansion"] - bridge["contraction"] - bridge["churned"])
        / bridge["revenue_start"]
    )
    box.controls["activity_window"].value = 6
    box.controls["period"].value = "quarter"
    expected = movements(
        sample_aggregates.monthly, months=sample_aggregates.months, period="quarter",
        activity_window=6,
    )  # fmt: skip
    assert_frame_equal(box.last_view.tables["view_movements"], expected)
    box.controls["cohort_period"].value = "year"
    assert box.last_view.tables["view_cohorts_active"].shape == (3, 3)


@pytest.mark.parametrize("box", ["costs"], indirect=True)
def test_costs_controls(box, sample_aggregates, sample_portfolio):
    assert list(box.controls) == ["period", "activity_window", "payback_horizon_months"]
    assert len(box.last_view.charts) == 5
    box.controls["payback_horizon_months"].value = 6
    study = studies.costs_study(sample_aggregates, sample_portfolio.costs, payback_horizon_months=6)
    assert_frame_equal(box.last_view.tables["view_costs"], study.summary)
    chart = box.last_view.charts["view_payback"]
    assert chart.data["payback_months"].equals(study.summary["payback_months"])


def test_costs_explorer_without_cost_table_asks_for_budgets(sample_aggregates):
    box = widgets.costs_explorer(sample_aggregates, None, lang="en")
    assert list(box.controls)[-2:] == ["acquisition_budget", "retention_budget"]
    assert _codes(box.last_view.notes) == ["no_costs"] and box.last_view.charts == {}
    box.controls["acquisition_budget"].value = 20_000.0
    summary = box.last_view.tables["view_costs"]
    assert (summary["acquisition_spend"] == 20_000.0).all()
    # CAC = 20,000 € / new customers of the month.
    expected = 20_000.0 / summary["new_customers"].where(summary["new_customers"] > 0)
    assert summary["cac"].equals(expected)
    assert "view_acquisition" in box.last_view.charts
    plt.close("all")


@pytest.mark.parametrize("box", ["rfm"], indirect=True)
def test_rfm_bins(box, sample_aggregates):
    charts = ["view_rfm_grid", "view_rfm_classes", "view_rfm_segments"]
    assert list(box.last_view.charts) == charts
    box.controls["bins"].value = 4
    assert list(box.last_view.charts) == charts[:2]  # the weighted classes need no grid
    assert _codes(box.last_view.notes) == ["rfm_needs_5_bins"]
    scores = rfm_scores(rfm_table(sample_aggregates.customers, as_of=sample_aggregates.as_of),
                        bins=4)  # fmt: skip
    listing = box.last_view.tables["rfm_customers"].set_index("customer_id")
    assert listing.loc[scores["customer_id"], "rfm_code"].tolist() == scores["rfm_code"].tolist()


@pytest.mark.parametrize("box", ["clv"], indirect=True)
def test_clv_sliders_redo_only_the_discounting(box, sample_aggregates, monkeypatch):
    def refit(*_args, **_kwargs):
        raise AssertionError("fitted again on a slider change")

    monkeypatch.setattr("portfolio_lib.studies.clv.fit_bgnbd", refit)
    monkeypatch.setattr("portfolio_lib.studies.clv.fit_gamma_gamma", refit)
    # 8 charts, and the purchase models compared on the holdout and their weekly tracking.
    assert len(box.last_view.charts) == 10
    assert {"view_model_comparison", "view_tracking"} <= set(box.last_view.charts)
    before = box.last_view.tables["view_top_clv"]["clv"].iloc[0]
    box.controls["discount_rate"].value = 0.2
    after = box.last_view.tables["view_top_clv"]["clv"].iloc[0]
    assert after < before  # more discounting, less value
    box.controls["horizon_months"].value = 12
    study = studies.clv_study(
        sample_aggregates, models=box.prepared["models"], discount_rate=0.2, horizon_months=12
    )
    assert_frame_equal(box.last_view.tables["view_clv_by_group"], study.predictive_by_group)
    box.controls["by"].value = "region"
    assert box.last_view.tables["view_simple_clv"].index.name == "region"


def test_clv_explorer_reuses_the_models_it_is_given(
    sample_aggregates, sample_portfolio, monkeypatch
):
    # The notebook fits once (clv_study) and hands its models to the explorer.
    agg = sample_aggregates
    models = studies.fit_clv_models(agg, min_repeat_customers=30, holdout_months=3)

    def refit(*_args, **_kwargs):
        raise AssertionError("the explorer fitted its own models")

    monkeypatch.setattr(widgets, "fit_clv_models", refit)
    explorer = widgets.clv_explorer(agg, sample_portfolio.costs, models=models, lang="en")
    assert explorer.prepared["models"] is models
    study = studies.clv_study(agg, sample_portfolio.costs, models=models)
    assert_frame_equal(explorer.last_view.tables["view_top_clv"], study.top_customers)
    plt.close("all")


def test_explorers_start_from_the_values_they_are_given(sample_aggregates):
    # What a notebook passes: its parameters, a list for the PMG range, an empty list for the
    # quantiles, and a keyword this portfolio has no control for (budgets need no cost table).
    agg = sample_aggregates
    balance = widgets.balance_explorer(
        agg,
        lang="en",
        start={"a_cut": 0.7, "b_cut": 0.9, "pmg_thresholds": [5000.0, 30000.0]},
    )
    assert balance.controls["a_cut"].value == 0.7
    assert balance.controls["pmg_thresholds"].value == (5000.0, 30000.0)
    study = studies.balance_study(agg, a_cut=0.7, b_cut=0.9, pmg_thresholds=(5000.0, 30000.0))
    assert_frame_equal(balance.last_view.tables["view_abc_mix"], study.abc_mix)
    assert_frame_equal(balance.last_view.tables["view_pmg_mix"], study.pmg_mix)

    quantiles = widgets.balance_explorer(agg, lang="en", start={"pmg_thresholds": []})
    first = studies.balance_study(agg)
    assert quantiles.controls["pmg_thresholds"].value == pytest.approx(first.pmg_thresholds)

    costs = widgets.costs_explorer(
        agg, None, lang="en",
        start={"payback_horizon_months": 6, "acquisition_budget": 1000.0, "nonexistent": 1},
    )  # fmt: skip
    assert costs.controls["payback_horizon_months"].value == 6
    assert costs.controls["acquisition_budget"].value == 1000.0
    rfm = widgets.rfm_explorer(agg, lang="en", start={"bins": 4})
    assert rfm.controls["bins"].value == 4
    assert set("".join(rfm.last_view.tables["rfm_customers"]["rfm_code"])) == set("1234")
    plt.close("all")


@pytest.mark.parametrize("box", ["alerts"], indirect=True)
def test_alerts_thresholds_and_rep(box, sample_aggregates):
    agg = sample_aggregates
    assert list(box.controls) == ["drop_alert", "gap_alert"]  # the app's filter picks reps
    box.controls["drop_alert"].value = 0.5
    box.controls["gap_alert"].value = 3.0
    alerts = customer_alerts(
        agg.monthly, agg.customers, months=agg.months, as_of=agg.as_of,
        drop_alert=0.5, gap_alert=3.0,
    )  # fmt: skip
    assert_frame_equal(box.last_view.tables["view_alerts"], alerts)
    assert_frame_equal(
        box.last_view.tables["alerts_summary"],
        alerts_by_rep(alerts, reps=agg.customers["sales_rep"]),
    )
    # Within one rep's customers: their rows of the whole portfolio's alerts (key accounts
    # are the portfolio's largest, not the rep's).
    mine = agg.subset(sales_rep="Julie Petit")
    theirs = widgets.alerts_explorer(
        agg, lang="fr", within=mine, start={"drop_alert": 0.5, "gap_alert": 3.0}
    )
    expected = alerts[alerts["sales_rep"] == "Julie Petit"].reset_index(drop=True)
    assert_frame_equal(theirs.last_view.tables["view_alerts"], expected)
    assert_frame_equal(
        theirs.last_view.tables["alerts_summary"],
        alerts_by_rep(expected, reps=mine.customers["sales_rep"]),
    )


# ------------------------------------------------------------------------ cheap changes


# Values no other test sets, so that the charts they move are not in the explorer's cache.
CHANGES = {
    "overview": ("activity_window", 9),
    "weight": ("activity_window", 9),
    "movements": ("activity_window", 9),
    "costs": ("payback_horizon_months", 9),
    "balance": ("a_cut", 0.72),
    "rfm": ("bins", 6),
    "clv": ("discount_rate", 0.12),
    "alerts": ("drop_alert", 0.42),
}


def test_a_change_never_aggregates_or_fits_again(explorers, monkeypatch):
    """Every explorer: a control change runs no aggregation and no model fit; times printed."""
    built, initial = explorers
    forbidden = ("aggregate", "customer_summary", "fit_bgnbd", "fit_gamma_gamma")
    originals = {name: getattr(sys.modules["portfolio_lib.models"], name, None)
                 for name in forbidden}  # fmt: skip
    originals.update(
        aggregate=sys.modules["portfolio_lib.engine.aggregate"].aggregate,
        customer_summary=sys.modules["portfolio_lib.engine.aggregate"].customer_summary,
    )

    def forbid(name):
        def call(*_args, **_kwargs):
            raise AssertionError(f"{name} called on a control change")

        return call

    for module in [m for n, m in sys.modules.items() if n.startswith("portfolio_lib")]:
        for name, original in originals.items():
            if original is not None and getattr(module, name, None) is original:
                monkeypatch.setattr(module, name, forbid(name))
    timings = {}
    for name, (key, value) in CHANGES.items():
        box = built[name]
        start = time.perf_counter()
        box.controls[key].value = value
        timings[name] = time.perf_counter() - start
        assert box.last_error is None, (name, box.last_error)
        box.controls[key].value = initial[name][key]
    with _visible(monkeypatch):
        print("\nOne control change per explorer on the sample (seconds):")
        for name, seconds in timings.items():
            key, value = CHANGES[name]
            print(f"  {name:<10} {key}={value}: {seconds:.2f}")


class _visible:
    """Print to the terminal even when pytest captures output (for the timings)."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def __enter__(self):
        self.monkeypatch.setattr(sys, "stdout", sys.__stdout__)

    def __exit__(self, *exc):
        self.monkeypatch.undo()


# --------------------------------------------------------------------------------- edge


def test_explorers_run_on_the_edge_set_with_notes():
    edge = prepare(EDGE_DIR / "transactions_fr.csv", EDGE_DIR / "customers.csv", "")
    agg = edge.agg
    built = {
        "weight": widgets.weight_explorer(agg, lang="en"),
        "movements": widgets.movements_explorer(agg, lang="en"),
        "costs": widgets.costs_explorer(edge.full, None, lang="en"),
        "balance": widgets.balance_explorer(agg, lang="en"),
        "clv": widgets.clv_explorer(agg, None, transactions=edge.data.transactions, lang="en"),
        "alerts": widgets.alerts_explorer(agg, lang="en"),
    }
    notes = {name: _codes(box.last_view.notes) for name, box in built.items()}
    assert notes == {
        "weight": ["missing_attribute", "missing_attribute"],
        "movements": ["history_too_short"],
        "costs": ["no_costs", "history_too_short"],
        "balance": ["note_lifecycle_revenue_only", "missing_attribute", "note_resource_check_ok"],
        "clv": ["history_too_short", "too_few_repeat_customers", "no_costs"],
        "alerts": ["missing_attribute", "no_alerts"],
    }
    assert "by" in built["weight"].controls and "sales_rep" not in built["alerts"].controls
    assert list(built["balance"].last_view.charts) == [
        "view_pareto", "view_abc_mix", "view_pmg_mix", "view_concentration", "view_lifecycle",
        "view_hit_parade",
    ]  # fmt: skip
    assert built["clv"].last_view.charts == {}
    plt.close("all")


def test_with_filters_rebuilds_the_explorer_on_the_subset(sample_aggregates):
    agg = sample_aggregates
    box = widgets.with_filters(widgets.balance_explorer, agg, lang="en", start={"a_cut": 0.7})
    bar, holder = box.children
    assert [c.description for c in bar.children] == ["Sales rep", "Segment", "Region", "Reset"]
    assert box.explorer.controls["a_cut"].value == 0.7  # options reach the explorer
    box.explorer.controls["b_cut"].value = 0.9  # kept through the filter change
    segment = bar.children[1]
    segment.value = "PME"
    mine = agg.subset(segment=["PME"])
    expected = studies.balance_study(mine, a_cut=0.7, b_cut=0.9)
    assert_frame_equal(box.explorer.last_view.tables["view_abc_mix"], expected.abc_mix)
    assert holder.children == (box.explorer,)
    assert box.explorer.controls["a_cut"].value == 0.7
    assert box.explorer.controls["b_cut"].value == 0.9
    # A rep and a region nobody shares (each rep covers one region): a note, no explorer.
    rep = agg.customers["sales_rep"].dropna().iloc[0]
    theirs = set(agg.customers.loc[agg.customers["sales_rep"] == rep, "region"])
    elsewhere = sorted(set(agg.customers["region"].dropna()) - theirs)[0]
    bar.children[0].value, bar.children[2].value = rep, elsewhere
    assert box.explorer is None
    assert "No customer matches these filters." in holder.children[0].value
    # Reset: everyone again.
    bar.clear()
    assert_frame_equal(
        box.explorer.last_view.tables["view_abc_mix"],
        studies.balance_study(agg, a_cut=0.7, b_cut=0.9).abc_mix,
    )
    plt.close("all")


def test_explorers_show_the_studys_key_findings_first(sample_aggregates):
    # The key findings above the charts are studies.findings' sentences, in the page's
    # language, HTML-escaped (the customer's apostrophe-free name, the French number format).
    from portfolio_lib.studies import balance_study
    from portfolio_lib.studies.findings import findings

    for lang in ("fr", "en"):
        box = widgets.balance_explorer(sample_aggregates, lang=lang).children[1].value
        expected = findings(balance_study(sample_aggregates), lang=lang)
        assert expected, "the sample has a dependent customer"
        for finding in expected:
            assert html.escape(finding.text) in box
    assert (
        "SARL Masson Bâtiment, pèse 18,2\u00a0%"
        in widgets.balance_explorer(sample_aggregates, lang="fr").children[1].value
    )
