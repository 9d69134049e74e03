"""Notebook 00_overview, the front page: its recorded headline figures are the library's.

The notebook is run with papermill (fixture ``executed_notebook``, shared with the other
notebook tests) on the sample with its defaults, with another activity window, dependence
threshold and a sales rep filter, and on the edge-case set. Its records are compared with the
analysis functions called here directly, and the main figures are recomputed by hand from the
monthly table (net revenue of the last 12 months per customer).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from notebook_outputs import REP, SAMPLE, errors, outputs, recorded_figures

from portfolio_lib.engine.prepare import prepare
from portfolio_lib.engine.tables import window_totals
from portfolio_lib.metrics.alerts import alerts_by_rep, customer_alerts
from portfolio_lib.metrics.balance import concentration, dependence_alerts
from portfolio_lib.metrics.weight import headline_kpis, weight_over_time

pytestmark = pytest.mark.notebooks


def _notes(notebook) -> str:
    """Texts of the boxes shown with present.show_message."""
    return "\n".join(outputs(notebook, "text/markdown"))


def _run(executed_notebook, dataset="sample", **parameters):
    notebook = executed_notebook("00_overview", dataset, **parameters)
    assert errors(notebook) == []
    return notebook, recorded_figures(notebook)


def _approx_dict(values, rel=1e-12):
    """A Series as the JSON record holds it: NaN recorded as None."""
    return {
        str(k): None if pd.isna(v) else pytest.approx(float(v), rel=rel) for k, v in values.items()
    }


def _window_revenue(agg, months: int) -> pd.Series:
    """Net revenue per customer over the last ``months`` months, from the monthly table."""
    start = agg.months[-months]
    recent = agg.monthly[agg.monthly["month"] >= start]
    return recent.groupby("customer_id", observed=True)["revenue"].sum()


def _expected(agg, *, window=12, dependence_alert=0.15, filters=None):
    """The records the notebook should publish, from the library functions."""
    kpis = headline_kpis(agg.monthly, months=agg.months, customers=agg.customers, window=window)
    totals = window_totals(agg.monthly, agg.months, window=window)
    buyers = totals[totals["active"]].reset_index()
    trend = weight_over_time(
        agg.monthly, months=agg.months, customers=agg.customers, activity_window=window
    )
    alerts = customer_alerts(agg.monthly, agg.customers, months=agg.months, as_of=agg.as_of)
    by_rep = alerts_by_rep(alerts, reps=agg.customers.get("sales_rep"))
    return {
        "as_of": agg.as_of.isoformat(),
        "filters": filters or {},
        "kpis": _approx_dict(kpis),
        "shares": _approx_dict(concentration(totals)),
        "last_revenue_window": pytest.approx(trend["revenue_window"].iloc[-1], rel=1e-12),
        "last_active_customers": trend["active_customers"].iloc[-1],
        "concentration": _approx_dict(concentration(buyers, dependence_alert=dependence_alert)),
        "dependent_customers": dependence_alerts(buyers, dependence_alert=dependence_alert)[
            "customer_id"
        ].tolist(),
        "alerted_customers": len(alerts),
        "revenue_at_risk": pytest.approx(alerts["revenue_at_risk"].sum(), rel=1e-12),
        "customers_alerted_by_rep": by_rep["customers_alerted"].to_dict(),
        "revenue_at_risk_by_rep": _approx_dict(by_rep["revenue_at_risk"]),
    }


def test_00_overview_records_the_library_figures(executed_notebook, sample_aggregates):
    notebook, records = _run(executed_notebook)
    agg = sample_aggregates
    assert records == _expected(agg)

    # By hand from the monthly table: the last 12 months are January to December 2025.
    assert agg.months[-12] == pd.Timestamp("2025-01-01")
    revenue = _window_revenue(agg, 12)
    assert records["kpis"]["revenue"] == pytest.approx(revenue.sum(), rel=1e-12)
    # Active = positive net revenue over the window: 1,480 customers, also the last point of
    # the trend line and the tile.
    positive = revenue[revenue > 0]
    assert records["kpis"]["active_customers"] == len(positive) == 1480
    assert records["last_active_customers"] == 1480
    assert records["last_revenue_window"] == pytest.approx(revenue.sum(), rel=1e-12)
    # HHI = sum of the squared shares in percent, top-10 share, among the buyers.
    shares = np.sort((positive / positive.sum()).to_numpy())[::-1]
    assert records["concentration"]["hhi"] == pytest.approx(np.sum((100 * shares) ** 2))
    assert records["concentration"]["top_10_share"] == pytest.approx(shares[:10].sum())
    # The tiles' shares and the concentration chart's figures are the same numbers.
    assert records["shares"] == records["concentration"]
    # The sample's largest customer makes 18.2 % of the year's revenue: the one alert > 15 %.
    assert shares[0] == pytest.approx(0.1825, abs=5e-4)
    assert records["dependent_customers"] == ["C00005"]
    # Every customer alerted counts once, under their rep; the 8 reps of the sample are listed.
    assert len(records["customers_alerted_by_rep"]) == 8
    assert sum(records["customers_alerted_by_rep"].values()) == records["alerted_customers"]
    assert sum(records["revenue_at_risk_by_rep"].values()) == pytest.approx(
        records["revenue_at_risk"]
    )
    assert "Aucun client au-dessus du seuil" not in _notes(notebook)  # C00005 is listed


def test_00_overview_follows_its_window_threshold_and_filter(executed_notebook):
    notebook, records = _run(
        executed_notebook, ACTIVITY_WINDOW=6, DEPENDENCE_ALERT=0.05, SALES_REP=REP
    )
    agg = prepare(**SAMPLE, sales_rep=REP).agg
    expected = _expected(agg, window=6, dependence_alert=0.05, filters={"sales_rep": [REP]})
    assert records == expected
    # By hand: July to December 2025, the rep's customers only.
    revenue = _window_revenue(agg, 6)
    assert records["kpis"]["revenue"] == pytest.approx(revenue.sum(), rel=1e-12)
    positive = revenue[revenue > 0]
    assert records["kpis"]["active_customers"] == len(positive)
    shares = (positive / positive.sum()).sort_values(ascending=False)
    assert records["dependent_customers"] == shares[shares > 0.05].index.tolist()
    assert records["dependent_customers"]  # the threshold of 5 % flags someone here
    assert list(records["customers_alerted_by_rep"]) == [REP]


def test_00_overview_on_the_edge_set(executed_notebook):
    notebook, records = _run(executed_notebook, "edge")
    # Net revenue of the four months: E1 1,200 + 950.50 - 150.50 + 1,100 + 1,300 = 4,400;
    # E2 500 - 500 = 0; E3 -80 (credit note only); E4 25,000; E5 300 + 200 + 450 = 950;
    # E6 75 + 80 = 155. Total 30,425 €, 4 buyers (E1, E4, E5, E6) making 30,505 €.
    assert records["kpis"]["revenue"] == pytest.approx(30_425.0)
    assert records["kpis"]["active_customers"] == 4
    assert records["kpis"]["churn_rate"] is None  # nobody active a window ago
    assert records["concentration"]["top_1_share"] == pytest.approx(25_000 / 30_505)
    shares = np.array([25_000, 4_400, 950, 155]) / 30_505
    assert records["concentration"]["hhi"] == pytest.approx(np.sum((100 * shares) ** 2))
    assert records["dependent_customers"] == ["E4"]  # E1: 4,400 / 30,505 = 14.4 % < 15 %
    assert records["alerted_customers"] == 0 and records["customers_alerted_by_rep"] == {}
    notes = _notes(notebook)
    assert "No customer raises an alert" in notes
    assert "'sales_rep'" in notes  # no rep column: the alerts cannot be split by rep
