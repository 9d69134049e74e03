"""Notebooks 04 balance, 05 RFM, 06 CLV and 07 alerts: their recorded figures are the library's.

Each notebook is executed with papermill (fixture ``executed_notebook``, shared with
``test_notebooks.py``) and the figures it publishes with ``present.record`` are compared with
the analysis functions called here on the same data (``sample_aggregates``), plus a few
identities and hand checks that do not go through the notebook's code path. The Excel
hand-outs are opened and read back.
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from notebook_outputs import errors, outputs, recorded_figures

from portfolio_lib.config import SAMPLE_DIR
from portfolio_lib.engine.prepare import prepare
from portfolio_lib.engine.tables import active_matrix, window_totals
from portfolio_lib.metrics.alerts import alerts_by_rep, customer_alerts
from portfolio_lib.metrics.balance import (
    abc_classes,
    class_summary,
    concentration,
    dependence_alerts,
    lifecycle_phases,
    lifecycle_summary,
    pmg_classes,
    potential_matrix,
)
from portfolio_lib.metrics.clv import retention_clv, simple_clv
from portfolio_lib.metrics.costs import acquisition_costs
from portfolio_lib.metrics.hitparade import hit_parade, resource_check, tier_summary
from portfolio_lib.metrics.movements import annual_churn, movements
from portfolio_lib.metrics.relationship import weak_relationships
from portfolio_lib.metrics.rfm import (
    rfm_class_summary,
    rfm_classes,
    rfm_scores,
    rfm_segments,
    rfm_summary,
    rfm_table,
)
from portfolio_lib.models import (
    clv_by_segment,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_purchase_model,
    ltv_to_cac,
    predictive_clv,
)

pytestmark = pytest.mark.notebooks

EDGE_DIR = SAMPLE_DIR.parent.parent / "tests" / "data" / "edge"
# The model fits stop at the optimiser's tolerance: the notebook (its own kernel) and this
# process agree to ~1e-9 on the parameters; 1e-6 leaves room for summation order.
FIT_RTOL = 1e-6


def _notes(notebook) -> list[str]:
    """Texts of the messages shown with present.show_message."""
    return [
        text
        for text in outputs(notebook, "text/markdown")
        if text.startswith(("> **Note**", "> **Attention**"))
    ]


def _run(executed_notebook, name, dataset="sample", **parameters):
    notebook = executed_notebook(name, dataset, **parameters)
    assert errors(notebook) == []
    return recorded_figures(notebook)


def _approx_dict(values, rel=1e-9):
    return {str(k): pytest.approx(float(v), rel=rel, nan_ok=True) for k, v in values.items()}


def _window_buyers(agg):
    """Last 12 months' revenue of the active customers (customer_id, revenue)."""
    totals = window_totals(agg.monthly, agg.months)
    return totals.loc[totals["active"], ["revenue"]].reset_index()


# ------------------------------------------------------------------------------ 04 balance


def _balance_expected(agg, *, a_cut=0.8, b_cut=0.95):
    buyers = _window_buyers(agg)
    abc = class_summary(abc_classes(buyers, a_cut=a_cut, b_cut=b_cut), by="abc")
    pmg = pmg_classes(buyers)
    phases = lifecycle_summary(lifecycle_phases(agg.monthly, agg.customers, months=agg.months))
    with_potential = agg.customers[["customer_id", "potential"]].merge(
        window_totals(agg.monthly, agg.months)[["revenue"]], left_on="customer_id",
        right_index=True,
    )  # fmt: skip
    matrix = potential_matrix(with_potential)
    hit = hit_parade(buyers, tiers=4, resources=1000.0, small_from=a_cut)
    tiers = tier_summary(hit, tiers=4)
    quality = buyers.merge(agg.customers[["customer_id", "relationship_quality"]])
    return {
        "active_customers": len(buyers),
        "revenue": pytest.approx(buyers["revenue"].sum(), rel=1e-12),
        "abc_customers": abc["customers"].to_dict(),
        "abc_revenue_share": _approx_dict(abc["revenue_share"]),
        "pmg_customers": class_summary(pmg, by="pmg")["customers"].to_dict(),
        "pmg_thresholds": pytest.approx(list(pmg.attrs["thresholds"])),
        "concentration": _approx_dict(concentration(buyers)),
        "dependent_customers": dependence_alerts(buyers)["customer_id"].tolist(),
        "lifecycle_customers": phases["customers"].to_dict(),
        "lifecycle_revenue_share": _approx_dict(phases["revenue_share"]),
        "vivier_customers": int(matrix["vivier"].sum()),
        "vivier_gap": pytest.approx(matrix.loc[matrix["vivier"], "gap"].sum(), rel=1e-12),
        "lifecycle_margin_used": True,
        "tier_customers": {str(k): v for k, v in tiers["customers"].items()},
        "tier_revenue_share": _approx_dict(tiers["revenue_share"]),
        "resource_check": _approx_dict(resource_check(hit, matrix=matrix)),
        "weak_relationships": len(weak_relationships(quality)),
    }


def test_04_balance_records_the_library_figures(executed_notebook, sample_aggregates):
    records = _run(executed_notebook, "04_balance")
    # Issue 18: the migration matrix of the ABC classes, 12 months ago -> now.
    migration = {k: records.pop(k) for k in list(records) if k.startswith("migration_")}
    expected = _balance_expected(sample_aggregates)
    assert records == expected
    assert migration["migration_as_of_before"] == "2024-12-31T00:00:00"
    counts = pd.DataFrame(migration["migration_abc"])
    # Today's column totals are today's ABC classes; nobody is both new and lost.
    assert counts[["A", "B", "C"]].sum().to_dict() == records["abc_customers"]
    assert counts.loc["new", "lost"] == 0
    # Every cell of the revenue change is a number; nobody is both new and lost.
    change = pd.DataFrame(migration["migration_abc_revenue_change"])
    assert np.isfinite(change.to_numpy()).all() and change.loc["new", "lost"] == 0
    # Identities the figures must satisfy whatever the code path.
    assert sum(records["abc_customers"].values()) == records["active_customers"]
    assert sum(records["pmg_customers"].values()) == records["active_customers"]
    assert sum(records["abc_revenue_share"].values()) == pytest.approx(1.0)
    # The A class makes at least 80 % of revenue, without its smallest customer less than 80 %.
    assert records["abc_revenue_share"]["A"] >= 0.8
    # The sample's largest customer makes 18.2 % of revenue: the one dependence alert.
    assert records["dependent_customers"] == ["C00005"]
    assert records["concentration"]["top_1_share"] > 0.15


def test_04_balance_follows_its_parameters_and_the_sales_rep_filter(
    executed_notebook, sample_aggregates
):
    records = _run(
        executed_notebook,
        "04_balance",
        A_CUT=0.7,
        B_CUT=0.9,
        SALES_REP="Julie Petit",
    )
    agg = sample_aggregates.subset(sales_rep=["Julie Petit"])
    migration = {k: records.pop(k) for k in list(records) if k.startswith("migration_")}
    expected = _balance_expected(agg, a_cut=0.7, b_cut=0.9)
    assert records == expected
    # The migration follows the cuts and the filter: today's column totals are today's classes.
    counts = pd.DataFrame(migration["migration_abc"])
    assert counts[["A", "B", "C"]].sum().to_dict() == records["abc_customers"]
    assert records["active_customers"] < 1480  # the rep's customers only
    assert set(records["dependent_customers"]) <= set(agg.customers["customer_id"])
    default = _balance_expected(agg)
    assert records["abc_customers"]["A"] < default["abc_customers"]["A"]


def test_04_balance_pmg_classes_follow_thresholds_in_euros(executed_notebook, sample_aggregates):
    # PMG by euro thresholds (a list parameter, as a consultant types it): small under
    # 5 000 €, medium from 5 000 € to under 50 000 €, large from 50 000 €.
    records = _run(executed_notebook, "04_balance", PMG_THRESHOLDS=[5_000.0, 50_000.0])
    buyers = _window_buyers(sample_aggregates)
    expected = class_summary(pmg_classes(buyers, thresholds=(5_000.0, 50_000.0)), by="pmg")
    assert records["pmg_customers"] == expected["customers"].to_dict()
    assert records["pmg_thresholds"] == [5_000.0, 50_000.0]
    # Independently, by counting the revenue of the last 12 months against the thresholds.
    revenue = buyers["revenue"].to_numpy()
    assert records["pmg_customers"] == {
        "small": int((revenue < 5_000).sum()),
        "midsize": int(((revenue >= 5_000) & (revenue < 50_000)).sum()),
        "large": int((revenue >= 50_000).sum()),
    }
    # Not the quantile classes (50 % and 80 % of the 1 480 buyers: 740, 444, 296), and every
    # other figure is the default run's.
    default = _balance_expected(sample_aggregates)
    assert default["pmg_customers"] == {"small": 740, "midsize": 444, "large": 296}
    assert records["pmg_customers"] != default["pmg_customers"]
    others = {key: value for key, value in default.items() if not key.startswith("pmg_")}
    assert {key: records[key] for key in others} == others


def test_04_balance_on_the_edge_set_says_the_matrix_needs_a_potential(executed_notebook):
    notebook = executed_notebook("04_balance", "edge")
    records = recorded_figures(notebook)
    assert records["vivier_customers"] is None and records["vivier_gap"] is None
    assert any("'potential'" in note for note in _notes(notebook))
    # Net revenue: E1 1,200 + 950.50 - 150.50 + 1,100 + 1,300 = 4,400; E4 25,000; E5 950;
    # E6 155; E2 (500 - 500) and E3 (credit note only) have none: 4 buyers, 30,505 €.
    assert records["active_customers"] == 4
    assert records["revenue"] == pytest.approx(30_505.0)
    # E4 makes 25,000 / 30,505 = 82.0 %; E1 4,400 / 30,505 = 14.4 % stays under 15 %.
    assert records["dependent_customers"] == ["E4"]
    assert records["concentration"]["top_1_share"] == pytest.approx(25_000 / 30_505)
    # Four months of history: every buyer is in childhood.
    assert records["lifecycle_customers"] == {
        "childhood": 4, "adolescence": 0, "adulthood": 0, "old_age": 0, "lost": 0,
    }  # fmt: skip


# ---------------------------------------------------------------------------------- 05 RFM


def test_05_rfm_records_the_library_figures(executed_notebook, sample_aggregates):
    records = _run(executed_notebook, "05_rfm")
    agg = sample_aggregates
    values = rfm_table(agg.customers, as_of=agg.as_of)
    scores = rfm_scores(values)
    summary = rfm_summary(rfm_segments(scores))
    assert records == {
        "rfm_customers": len(values),
        "mean_days_since_last": pytest.approx(values["days_since_last"].mean()),
        "score_counts": scores["rfm_code"].value_counts().head(10).to_dict(),
        "segment_customers": summary["customers"].to_dict(),
        "segment_revenue_share": _approx_dict(summary["revenue_share"]),
        # The weighted classes with the default weights 1, 1, 1 (RFM_WEIGHTS).
        "rfm_class_customers": rfm_class_summary(rfm_classes(scores))["customers"].to_dict(),
        "excel_output": None,
    }
    # Every buyer is in one segment; the 11 segments of the grid all have customers here.
    assert sum(records["segment_customers"].values()) == records["rfm_customers"] == 2000
    assert sum(records["segment_revenue_share"].values()) == pytest.approx(1.0)


def test_05_rfm_hand_out_keeps_a_formula_like_name_as_text(executed_notebook, tmp_path):
    path = tmp_path / "rfm.xlsx"
    records = _run(executed_notebook, "05_rfm", "edge", EXCEL_OUTPUT=str(path))
    assert records["excel_output"] == str(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Customers by segment", "Segment summary", "RFM classes"]
    rows = list(book["Customers by segment"].iter_rows())
    header = [c.value for c in rows[0]]
    assert header[:3] == ["Customer id", "Customer", "Segment"]
    assert header[-4:] == ["RFM code", "Weighted RFM score", "RFM class", "RFM segment"]
    # Buyers: every customer with a positive invoice, E1 to E6 (E3 only has a credit note;
    # E7 is a prospect): E1, E2, E4, E5, E6.
    ids = [row[0].value for row in rows[1:]]
    assert sorted(ids) == ["E1", "E2", "E4", "E5", "E6"] and records["rfm_customers"] == 5
    names = {row[0].value: row[1] for row in rows[1:]}
    formula = names["E2"]
    assert formula.value == '=HYPERLINK("http://x")-Test' and formula.data_type == "s"
    assert all(c.data_type != "f" for row in rows for c in row)
    # Largest revenue first: E4 (25,000 €).
    assert ids[0] == "E4" and rows[1][header.index("Monetary (revenue)")].value == 25_000
    summary = list(book["Segment summary"].iter_rows(values_only=True))
    assert summary[0][:2] == ("RFM segment", "Customers")
    assert sum(row[1] for row in summary[1:]) == 5


# ---------------------------------------------------------------------------------- 06 CLV


def test_06_clv_records_the_library_figures(executed_notebook, sample_aggregates, sample_portfolio):
    records = _run(executed_notebook, "06_clv")
    agg = sample_aggregates
    # Annual churn of the last 12 months (to December 2025), from the activity matrix
    # directly: active in December 2024 and no longer in December 2025, over active then.
    active = active_matrix(agg.monthly, agg.months)
    start, end = active[pd.Timestamp("2024-12-01")], active[pd.Timestamp("2025-12-01")]
    churn = (start & ~end).sum() / start.sum()
    assert records["annual_churn"] == pytest.approx(churn, rel=1e-12)
    # The figure notebook 03 divides by (one definition, movements.annual_churn).
    assert records["annual_churn"] == annual_churn(agg.monthly, months=agg.months)

    # Simple CLV of the whole portfolio by hand from the yearly totals of the active customers:
    # basket x purchases per year x margin rate x 1 / churn.
    totals = window_totals(agg.monthly, agg.months)
    active_totals = totals[totals["active"]]
    basket = active_totals["revenue"].sum() / active_totals["orders"].sum()
    purchases = active_totals["orders"].sum() / len(active_totals)
    margin_rate = active_totals["margin"].sum() / active_totals["revenue"].sum()
    simple_by_hand = basket * purchases * margin_rate / churn
    assert records["simple_clv"] == pytest.approx(simple_by_hand, rel=1e-9)
    yearly_margin = basket * purchases * margin_rate
    retention = 1 - churn
    assert records["retention_clv"] == pytest.approx(
        yearly_margin * retention / (1.1 - retention), rel=1e-9
    )

    # By segment, and the predictive models, through the library.
    customers = agg.customers.drop(columns=["revenue", "margin", "orders"]).join(
        totals, on="customer_id"
    )
    by_segment = movements(agg.monthly, months=agg.months, period="year",
                           customers=agg.customers, by="segment")  # fmt: skip
    segment_churn = by_segment[by_segment["period"] == "2025"].set_index("segment")["churn_rate"]
    simple = simple_clv(customers, annual_churn=segment_churn, by="segment")
    assert records["simple_clv_by_group"] == _approx_dict(simple["clv"])
    expected_retention = retention_clv(
        simple["clv"] / simple["expected_lifetime_years"], retention=1 - segment_churn
    )
    assert records["retention_clv_by_group"] == _approx_dict(expected_retention)

    bgnbd = fit_bgnbd(agg.customers)
    with pytest.warns(UserWarning):  # 9 repeat customers with credit notes only: excluded
        gamma_gamma = fit_gamma_gamma(agg.customers, on_nonpositive="exclude")
    assert records["bgnbd"] == _approx_dict(bgnbd.params, rel=FIT_RTOL)
    assert records["gamma_gamma"] == _approx_dict(gamma_gamma.params, rel=FIT_RTOL)
    # The purchase model chosen on the last 6 months (smallest holdout error) makes the CLV.
    table = pd.DataFrame.from_dict(records["purchase_models"], orient="index")
    assert records["purchase_model"] == table["holdout_error"].idxmin()
    purchase_fit = fit_purchase_model(records["purchase_model"], agg.customers)
    predicted = predictive_clv(agg.customers, purchase_fit, gamma_gamma)
    # The 90 % bootstrap interval of the total brackets the estimate.
    interval = records["clv_intervals"]["clv_total"]
    assert interval["interval_low"] < records["predictive_clv_total"] < interval["interval_high"]
    assert records["predictive_clv_total"] == pytest.approx(predicted["clv"].sum(), rel=FIT_RTOL)
    assert records["predictive_clv_median"] == pytest.approx(
        predicted["clv"].median(), rel=FIT_RTOL
    )
    by_group = clv_by_segment(predicted, agg.customers, by="segment")
    assert records["predictive_clv_by_group"] == _approx_dict(by_group["clv_mean"], FIT_RTOL)
    # Course CLV (text 000): basket x purchases per year x lifetime, in revenue.
    assert records["simple_clv_course"] == pytest.approx(basket * purchases / churn, rel=1e-9)
    # Customer equity: the predictive CLVs of the customers active over the last 12 months.
    active_ids = set(active_totals.index.astype(str))
    in_portfolio = agg.customers["customer_id"].astype(str).isin(active_ids).to_numpy()
    assert records["customer_equity"] == pytest.approx(
        predicted["clv"].to_numpy()[in_portfolio].sum(), rel=FIT_RTOL
    )
    # No fixed charges given (FIXED_CHARGES = 0): nobody is needed to cover them, and the
    # small customers' share of the profit is their share of the margin.
    assert records["break_even_customers"] == 0
    margins = np.sort(active_totals["margin"].to_numpy())[::-1]
    small = margins[int(np.ceil(len(margins) * 0.2)) :].sum()
    assert records["small_share_of_profit"] == pytest.approx(small / margins.sum(), rel=1e-9)

    by_channel = movements(agg.monthly, months=agg.months, period="year",
                           customers=agg.customers, by="acquisition_channel")  # fmt: skip
    channel_churn = by_channel[by_channel["period"] == "2025"].set_index("acquisition_channel")
    channel_clv = simple_clv(
        customers, annual_churn=channel_churn["churn_rate"], by="acquisition_channel"
    )
    cac = acquisition_costs(sample_portfolio.costs, agg.customers, months=agg.months,
                            by_channel=True)  # fmt: skip
    expected_ratio = ltv_to_cac(channel_clv, cac, ltv_col="clv")["ltv_to_cac"]
    assert records["ltv_to_cac"] == _approx_dict(expected_ratio)
    assert set(records["ltv_to_cac"]) == set(agg.customers["acquisition_channel"].unique())


def test_06_clv_shows_the_customers_left_out_of_the_spend_model_as_a_note(executed_notebook):
    notebook = executed_notebook("06_clv", "sample")
    # The 9 repeat customers whose credit notes cancel their spend (fit_gamma_gamma with
    # on_nonpositive="exclude"): a French note, not a warning line on stderr.
    notes = "\n".join(_notes(notebook))
    assert "9 client(s) réguliers ont une dépense moyenne nulle ou négative" in notes
    stderr = [
        o.get("text", "")
        for c in notebook.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
    assert not any("Warning" in text for text in stderr), stderr


def test_06_clv_on_the_edge_set_explains_what_is_unavailable(executed_notebook):
    notebook = executed_notebook("06_clv", "edge")
    assert errors(notebook) == []
    records = recorded_figures(notebook)
    for key in ("annual_churn", "simple_clv", "retention_clv", "bgnbd", "predictive_clv_total",
                "ltv_to_cac"):  # fmt: skip
        assert records[key] is None, key
    notes = "\n".join(_notes(notebook))
    assert "annual churn needs 13 months of history; the data cover 4" in notes
    assert "bought more than once" in notes  # too few repeat customers for BG/NBD
    # ... and the note does not send the reader to the simple CLV, unavailable here too.
    assert "need an annual churn rate, hence at least 13 months of history" in notes
    assert "no cost table" in notes


# ------------------------------------------------------------------------------- 07 alerts


def _alerts_expected(agg):
    alerts = customer_alerts(agg.monthly, agg.customers, months=agg.months, as_of=agg.as_of)
    by_rep = alerts_by_rep(alerts, reps=agg.customers["sales_rep"])
    return alerts, {
        "alerted_customers": len(alerts),
        "revenue_at_risk": pytest.approx(alerts["revenue_at_risk"].sum(), rel=1e-12),
        "alerts_by_kind": alerts[["revenue_drop", "overdue", "top_at_risk"]].sum().to_dict(),
        "revenue_at_risk_by_rep": _approx_dict(by_rep["revenue_at_risk"], rel=1e-12),
        "customers_alerted_by_rep": by_rep["customers_alerted"].to_dict(),
        "first_priorities": alerts["customer_id"].head(15).tolist(),
        **_portfolio_expected(agg),
    }


def _portfolio_expected(agg):
    """The reps' portfolio documents: active customers (revenue > 0 over the last 12 months)
    and ABC class A customers per rep, from the window's totals directly."""
    totals = window_totals(agg.monthly, agg.months)
    active = totals[totals["revenue"] > 0].reset_index()
    classes = abc_classes(active[["customer_id", "revenue"]])
    reps = agg.customers.set_index("customer_id")["sales_rep"]
    classes["sales_rep"] = reps.reindex(classes["customer_id"].astype(str)).to_numpy()
    grouped = classes.groupby("sales_rep")
    return {
        "portfolio_customers_by_rep": grouped.size().to_dict(),
        "portfolio_a_customers_by_rep": grouped["abc"]
        .apply(lambda s: int((s == "A").sum()))
        .to_dict(),
    }


def test_07_alerts_records_the_library_figures(executed_notebook, sample_aggregates):
    records = _run(executed_notebook, "07_alerts")
    alerts, expected = _alerts_expected(sample_aggregates)
    assert records == expected
    assert len(records["revenue_at_risk_by_rep"]) == 8  # every rep of the sample
    # Key accounts at risk come first.
    top = alerts.loc[alerts["top_at_risk"], "customer_id"].tolist()
    assert records["first_priorities"][: len(top)] == top


def test_07_alerts_excel_has_a_sheet_per_rep_and_keeps_names_as_text(
    executed_notebook, sample_aggregates, tmp_path
):
    # The sample's customer table with the first account to call renamed like a formula.
    alerts, expected = _alerts_expected(sample_aggregates)
    first = alerts["customer_id"].iloc[0]
    customers = pd.read_csv(SAMPLE_DIR / "customers.csv")
    trap = '=HYPERLINK("http://example.com","Cliquez")'
    customers.loc[customers["customer_id"] == first, "name"] = trap
    customers_path = tmp_path / "customers.csv"
    customers.to_csv(customers_path, index=False)
    path = tmp_path / "alerts.xlsx"
    records = _run(
        executed_notebook,
        "07_alerts",
        CUSTOMERS=str(customers_path),
        TRANSACTIONS=str(SAMPLE_DIR / "transactions.csv"),
        COSTS=str(SAMPLE_DIR / "costs.csv"),
        EXCEL_OUTPUT=str(path),
    )
    assert records == expected  # a name changes no figure

    book = openpyxl.load_workbook(path)
    reps = sorted(alerts["sales_rep"].unique())
    assert book.sheetnames == ["Synthèse par commercial", *reps]
    summary = list(book["Synthèse par commercial"].iter_rows(values_only=True))
    assert summary[0][0] == "Commercial" and summary[0][-1] == "CA à risque"
    by_rep = alerts_by_rep(alerts)
    assert [row[0] for row in summary[1:]] == by_rep.index.tolist()
    np.testing.assert_allclose([row[-1] for row in summary[1:]], by_rep["revenue_at_risk"])
    for rep in reps:
        rows = list(book[rep].iter_rows())
        header = [c.value for c in rows[0]]
        assert header[0] == "Priorité"
        mine = alerts[alerts["sales_rep"] == rep]
        assert [r[0].value for r in rows[1:]] == mine["priority"].tolist()
        assert all(r[header.index("Commercial")].value == rep for r in rows[1:])
    rep = alerts["sales_rep"].iloc[0]
    sheet = list(book[rep].iter_rows())
    header = [c.value for c in sheet[0]]
    cell = sheet[1][header.index("Client")]
    assert cell.value == trap and cell.data_type == "s"
    # Percent change written as a percentage, counts as counts.
    change = sheet[1][header.index("Évolution du CA")]
    assert change.number_format == "0.0 %"


def test_07_alerts_on_the_edge_set_has_no_alert(executed_notebook):
    notebook = executed_notebook("07_alerts", "edge")
    records = recorded_figures(notebook)
    # Four months: no previous window, so no drop; no buyer with two repeat purchases is
    # overdue (E1 buys every ~30 days and last bought 29 days before as_of).
    assert records["alerted_customers"] == 0 and records["revenue_at_risk"] == 0
    assert any("No customer raises an alert" in note for note in _notes(notebook))


def test_prepare_reads_the_edge_set_like_the_notebooks():
    # Guard for the hand computations above: the edge set loads with the notebooks' call.
    prepared = prepare(str(EDGE_DIR / "transactions_fr.csv"), str(EDGE_DIR / "customers.csv"))
    assert prepared.agg.as_of == pd.Timestamp("2025-12-30")
    assert sorted(prepared.agg.customers["customer_id"]) == [f"E{i}" for i in range(1, 8)]


def test_06_clv_records_the_forecast_and_the_what_if(executed_notebook, sample_aggregates):
    """Issue 18: next year's revenue and active customers of the current customers, by hand
    from the models' per-customer closed forms (FHL eq. 10 x Gamma-Gamma eq. 5)."""
    from portfolio_lib.models import conditional_expected_purchases, expected_spend
    from portfolio_lib.models.forecast import probability_active

    records = _run(executed_notebook, "06_clv")
    customers = sample_aggregates.customers
    bgnbd = fit_bgnbd(customers)
    with pytest.warns(UserWarning):
        gamma_gamma = fit_gamma_gamma(customers, on_nonpositive="exclude")
    x, tx, T = (customers[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    known = ~np.isnan(x)
    year = 365.25
    purchases = conditional_expected_purchases(bgnbd, year, x[known], tx[known], T[known])
    spend = expected_spend(gamma_gamma, x[known], customers["monetary_value"].to_numpy()[known])
    assert records["forecast_revenue"] == pytest.approx((purchases * spend).sum(), rel=1e-4)
    active = probability_active(bgnbd, year, x[known], tx[known], T[known]).sum()
    assert records["forecast_active"] == pytest.approx(active, rel=1e-4)
    # No what-if change by default: the scenario is the forecast.
    assert records["what_if_revenue"] == records["forecast_revenue"]
    errors_by_measure = records["forecast_holdout_error"]
    assert set(errors_by_measure) == {"forecast_revenue", "forecast_active"}
    assert all(abs(e) < 0.15 for e in errors_by_measure.values())
