"""Notebooks 01_weight, 02_movements, 03_costs publish the library's own figures.

Each notebook is run with papermill (fixture ``executed_notebook``) on the sample with its
defaults and with other parameters (period, activity window, a sales rep filter, budgets
instead of a cost file), and on the edge-case set; the figures it records with
``present.record`` are compared with the library functions called here directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from notebook_outputs import REP, SAMPLE, errors

from portfolio_lib.config import SAMPLE_DIR
from portfolio_lib.engine.prepare import prepare
from portfolio_lib.engine.tables import active_matrix, window_totals
from portfolio_lib.metrics.clv import simple_clv
from portfolio_lib.metrics.cohorts import cohort_matrix, cohort_table
from portfolio_lib.metrics.costs import acquisition_costs, cost_summary, ltv_to_cac
from portfolio_lib.metrics.movements import annual_churn, movements, revenue_bridge
from portfolio_lib.metrics.weight import headline_kpis, weight_by, weight_over_time
from portfolio_lib.ui.present import read_records

pytestmark = pytest.mark.notebooks


def _floats(values) -> np.ndarray:
    """Recorded numbers (JSON: NaN recorded as None) as a float array."""
    return np.asarray(values, dtype=float)


def _close(recorded, expected) -> None:
    np.testing.assert_allclose(_floats(recorded), _floats(expected), rtol=1e-12, atol=1e-9)


def _messages(notebook) -> str:
    return "\n".join(
        o["data"]["text/markdown"]
        for c in notebook.cells
        for o in c.get("outputs", [])
        if "text/markdown" in o.get("data", {})
    )


# ------------------------------------------------------------------------------ 01_weight


# Split column -> the record listing its groups.
_SPLIT_RECORDS = {"segment": "segments", "sales_rep": "sales_reps", "region": "regions"}


def _check_weight(records: dict, agg, *, period: str, window: int, splits: list[str]) -> None:
    kpis = headline_kpis(agg.monthly, months=agg.months, customers=agg.customers, window=window)
    assert set(records["kpis"]) == set(kpis.index)
    _close([records["kpis"][k] for k in kpis.index], kpis.to_numpy())
    trend = weight_over_time(
        agg.monthly,
        months=agg.months,
        customers=agg.customers,
        period=period,
        activity_window=window,
    )
    assert records["periods"] == trend["period"].tolist()
    last = trend.iloc[-1]
    _close(records["last_period_revenue"], last["revenue"])
    _close(records["last_revenue_window"], last["revenue_window"])
    assert records["last_active_customers"] == last["active_customers"]
    for by in splits:
        table = weight_by(agg.monthly, months=agg.months, customers=agg.customers, by=by,
                          window=window)  # fmt: skip
        assert records[_SPLIT_RECORDS[by]] == table[by].tolist()
    segments = weight_by(agg.monthly, months=agg.months, customers=agg.customers, by="segment",
                         window=window)  # fmt: skip
    _close(records["segment_revenue_share"], segments["revenue_share"])
    _close(records["segment_customer_share"], segments["customer_share"])


def test_weight_notebook_records_the_library_figures(executed_notebook, sample_aggregates):
    records = read_records(executed_notebook("01_weight", "sample"))
    agg = sample_aggregates
    assert records["as_of"] == agg.as_of.isoformat()
    _check_weight(records, agg, period="month", window=12,
                  splits=["segment", "sales_rep", "region"])  # fmt: skip
    reps = weight_by(agg.monthly, months=agg.months, customers=agg.customers, by="sales_rep")
    _close(records["sales_rep_revenue"], reps["revenue"])
    regions = weight_by(agg.monthly, months=agg.months, customers=agg.customers, by="region")
    _close(records["region_revenue_share"], regions["revenue_share"])
    # Product mix (issue 18): the tiers' family revenues are the positive customer x family
    # sums of 2025's lines of the active customers, read here with pandas from the CSV.
    by_tier = pd.DataFrame(records["product_revenue_by_tier"])
    lines = pd.read_csv(SAMPLE_DIR / "transactions.csv", parse_dates=["date"])
    lines = lines[lines["date"].dt.year == 2025]
    active = lines.groupby("customer_id")["amount"].sum().loc[lambda r: r > 0].index
    cells = lines[lines["customer_id"].isin(active)].groupby(["customer_id", "product"])["amount"]
    _close(by_tier["revenue"].sum(), cells.sum().loc[lambda r: r > 0].sum())
    assert records["cross_sell_customers"] == 814
    _close(records["cross_sell_potential"], 5_699_539.555)


def test_weight_notebook_by_quarter_for_one_sales_rep(executed_notebook):
    notebook = executed_notebook(
        "01_weight", "sample", PERIOD="quarter", ACTIVITY_WINDOW=6, SALES_REP=REP
    )
    records = read_records(notebook)
    agg = prepare(**SAMPLE, sales_rep=REP).agg
    assert records["periods"][-4:] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    _check_weight(records, agg, period="quarter", window=6, splits=["segment", "sales_rep"])
    assert records["sales_reps"] == [REP]  # the filter keeps one rep: 100 % of the revenue


def test_weight_notebook_on_the_edge_set_says_which_splits_are_missing(executed_notebook):
    notebook = executed_notebook("01_weight", "edge")
    records = read_records(notebook)
    assert records["segments"] == ["Grand compte", "PME", "Artisan"]
    assert "sales_reps" not in records and "regions" not in records
    messages = _messages(notebook)
    assert "'sales_rep'" in messages and "'region'" in messages
    assert records["kpis"]["churn_rate"] is None  # 4 months: nobody active a window ago


def test_weight_notebook_notes_duplicate_rows_instead_of_printing_a_warning(
    executed_notebook, tmp_path
):
    # The sample log with its first invoice line exported twice (the copy on the last row).
    lines = (SAMPLE_DIR / "transactions.csv").read_text(encoding="utf-8").splitlines()
    doubled = tmp_path / "transactions.csv"
    doubled.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    notebook = executed_notebook(
        "01_weight",
        "sample",
        TRANSACTIONS=str(doubled),
        CUSTOMERS=SAMPLE["customers"],
        COSTS=SAMPLE["costs"],
    )
    assert errors(notebook) == []
    # Row numbers as a spreadsheet shows them: the header is row 1, the copy row n + 1.
    note = f"1 ligne(s) sont des copies exactes d'une ligne précédente : ligne {len(lines) + 1}"
    assert note in _messages(notebook)
    stderr = [
        o.get("text", "")
        for c in notebook.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
    assert not any("DataQualityWarning" in text for text in stderr), stderr


# ------------------------------------------------------------------------------ 02_movements


def _check_movements(records: dict, agg, *, period, window, bridge_period, cohort_period):
    moves = movements(agg.monthly, months=agg.months, period=period, activity_window=window)
    assert records["periods"] == moves["period"].tolist()
    assert records["complete_periods"] == int(moves["complete_history"].sum())
    last = moves.iloc[-1]
    assert records["last_period"] == last["period"]
    for name in ("active_start", "new", "reactivated", "retained", "lost", "active_end"):
        assert records["last_movements"][name] == last[name], name
    _close(records["churn_rate"], moves["churn_rate"])
    bridge = revenue_bridge(agg.monthly, months=agg.months, period=bridge_period, window=window)
    assert records["bridge_period"] == bridge["period"].iloc[-1]
    last_bridge = bridge.iloc[-1].drop(["period_start", "period_end", "period", "complete_history"])
    for name, value in last_bridge.items():
        _close(records["bridge"][name], value)
    # NRR and GRR (issue 18) from the bridge's columns, as the subscription tools define them.
    start = bridge["revenue_start"]
    _close(
        records["nrr"],
        (start + bridge["expansion"] - bridge["contraction"] - bridge["churned"]) / start,
    )
    _close(records["grr"], (start - bridge["contraction"] - bridge["churned"]) / start)
    cohorts = cohort_table(agg.monthly, months=agg.months, period=cohort_period)
    active = cohort_matrix(cohorts, value="active_share")
    assert records["cohorts"] == len(active)
    _close(records["cohort_active_share_1"], active[1])
    _close(records["cohort_revenue_share_1"], cohort_matrix(cohorts, value="revenue_share")[1])


def test_movements_notebook_records_the_library_figures(executed_notebook, sample_aggregates):
    records = read_records(executed_notebook("02_movements", "sample"))
    _check_movements(records, sample_aggregates, period="month", window=12,
                     bridge_period="year", cohort_period="quarter")  # fmt: skip
    assert records["bridge_period"] == "2025" and records["cohorts"] == 12


def test_movements_notebook_with_other_periods_and_window(executed_notebook):
    parameters = {
        "PERIOD": "quarter",
        "ACTIVITY_WINDOW": 6,
        "BRIDGE_PERIOD": "quarter",
        "COHORT_PERIOD": "year",
        "SALES_REP": REP,
    }
    records = read_records(executed_notebook("02_movements", "sample", **parameters))
    agg = prepare(**SAMPLE, sales_rep=REP).agg
    _check_movements(records, agg, period="quarter", window=6, bridge_period="quarter",
                     cohort_period="year")  # fmt: skip
    assert records["cohorts"] == 3  # 2023, 2024, 2025
    # A 6-month window over quarters: the first two quarters lack history.
    assert records["complete_periods"] == len(records["periods"]) - 2


def test_movements_notebook_on_the_edge_set_explains_the_missing_bridge(executed_notebook):
    notebook = executed_notebook("02_movements", "edge")
    records = read_records(notebook)
    assert "bridge" not in records  # four months: a single year end
    # Sep-Dec 2025 hold one year end; the yearly bridge needs December 2024 on.
    assert "revenue bridge by year needs 13 months of history; the data cover 4" in _messages(
        notebook
    )
    assert records["complete_periods"] == 0
    assert records["last_movements"]["active_end"] == 4


# ------------------------------------------------------------------------------ 03_costs


def test_costs_notebook_records_the_library_figures(
    executed_notebook, sample_portfolio, sample_aggregates
):
    records = read_records(executed_notebook("03_costs", "sample"))
    agg, costs = sample_aggregates, sample_portfolio.costs
    summary = cost_summary(costs, agg.monthly, agg.customers, months=agg.months)
    yearly = cost_summary(costs, agg.monthly, agg.customers, months=agg.months, period="year")
    assert records["periods"] == summary["period"].tolist()
    for name in ("cac", "crc", "payback_months"):
        _close(records[name], summary[name])
        _close(records[f"yearly_{name}"], yearly[name])
    assert records["years"] == ["2023", "2024", "2025"]
    channels = acquisition_costs(
        costs, agg.customers, months=agg.months, period="year", by_channel=True
    )
    last_year = channels[channels["period"] == "2025"].set_index("channel")["cac"]
    assert set(records["channel_cac"]) == set(last_year.index)
    _close([records["channel_cac"][c] for c in last_year.index], last_year)
    # Annual churn: customers active in December 2024 and no longer in December 2025.
    active = active_matrix(agg.monthly, agg.months)
    start, end = active[pd.Timestamp("2024-12-01")], active[pd.Timestamp("2025-12-01")]
    churn = (start & ~end).sum() / start.sum()
    _close(records["annual_churn"], churn)
    _close(records["annual_churn"], annual_churn(agg.monthly, months=agg.months))
    ltv = simple_clv(window_totals(agg.monthly, agg.months), annual_churn=churn).loc["total", "clv"]
    _close(records["ltv"], ltv)
    _close(records["ltv_to_cac"], ltv_to_cac(ltv, yearly["cac"].iloc[-1]))
    assert records["filters"] == {}


def test_costs_notebook_with_budgets_and_a_filter_uses_the_whole_portfolio(executed_notebook):
    notebook = executed_notebook(
        "03_costs",
        "sample",
        COSTS="",
        ACQUISITION_BUDGET=20_000.0,
        SALES_REP=REP,
        PAYBACK_HORIZON_MONTHS=6,
    )
    records = read_records(notebook)
    assert records["filters"] == {"sales_rep": [REP]}
    assert "Les dépenses ne sont pas réparties par commercial" in _messages(notebook)
    full = prepare(SAMPLE["transactions"], SAMPLE["customers"]).full
    # 12 months of 20 000 € over the year's new customers (first purchase in the year), counted
    # on the whole portfolio, not on the rep's customers.
    first = pd.DatetimeIndex(full.customers["first_purchase"])
    bought = full.customers["orders"].to_numpy() > 0
    new_2025 = int(((first.year == 2025) & bought).sum())
    _close(records["yearly_cac"][-1], 12 * 20_000.0 / new_2025)
    assert all(value is None for value in records["yearly_crc"])  # no retention budget
    # The payback counts each new customer's first 6 months of margin.
    for period, prefix in (("month", ""), ("year", "yearly_")):
        expected = cost_summary(
            None,
            full.monthly,
            full.customers,
            months=full.months,
            period=period,
            acquisition_budget=20_000.0,
            horizon_months=6,
        )
        _close(records[f"{prefix}payback_months"], expected["payback_months"])
    twelve = cost_summary(None, full.monthly, full.customers, months=full.months,
                          period="year", acquisition_budget=20_000.0)  # fmt: skip
    # ... not the default 12: the payback changes (the first months of margin differ).
    change = np.abs(_floats(records["yearly_payback_months"]) - twelve["payback_months"])
    assert np.nanmax(change) > 0.01  # far above rounding noise
    assert "channel_cac" not in records  # budgets have no channel


def test_costs_notebook_on_the_edge_set_explains_what_is_missing(executed_notebook):
    notebook = executed_notebook("03_costs", "edge")
    records = read_records(notebook)
    messages = _messages(notebook)
    assert "no cost table" in messages
    # Four months: no customer base a year ago, hence no annual churn and no LTV.
    assert "annual churn needs 13 months of history; the data cover 4" in messages
    assert records["annual_churn"] is None
    assert "cac" not in records and "ltv" not in records
