"""One definition per metric: every consumer of a metric reads the same public function.

Each test computes a metric of docs/definitions.md once, by its one public function, and
checks every place that shows it (the studies behind the notebooks, the headline tiles, the
explorers and the app, the CAC table, the alerts) against that value, for several parameter
values. A consumer that computed the metric another way (its own rule, a cached copy, another
window) would disagree for one of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from portfolio_lib import studies
from portfolio_lib.engine.tables import window_totals
from portfolio_lib.metrics.alerts import alerts_by_rep, customer_alerts
from portfolio_lib.metrics.balance import concentration
from portfolio_lib.metrics.cohorts import cohort_table
from portfolio_lib.metrics.costs import acquisition_costs, cost_summary
from portfolio_lib.metrics.movements import movements, revenue_bridge
from portfolio_lib.metrics.weight import weight_by, weight_over_time


@pytest.mark.parametrize("window", [6, 12, 18])
def test_active_customers_are_one_count_everywhere(sample_aggregates, window):
    # Active = net revenue of the trailing window > 0: the tiles, the balance study's buyers,
    # the last month of the movements and of the weight trend all count window_totals' actives.
    agg = sample_aggregates
    expected = int(window_totals(agg.monthly, agg.months, window=window)["active"].sum())
    overview = studies.overview_study(agg, activity_window=window)
    assert overview.kpis["active_customers"] == expected
    assert len(studies.balance_study(agg, activity_window=window).buyers) == expected
    moves = movements(agg.monthly, months=agg.months, period="month", activity_window=window)
    assert moves["active_end"].iloc[-1] == expected
    study = studies.movements_study(agg, activity_window=window)
    assert study.movements["active_end"].iloc[-1] == expected
    trend = studies.weight_study(agg, activity_window=window).trend
    assert trend["active_customers"].iloc[-1] == expected


@pytest.mark.parametrize("window", [6, 12])
def test_concentration_of_the_tiles_is_the_balance_studys(sample_aggregates, window):
    # HHI, Gini and top shares: the overview tile and the balance study are concentration()
    # of the same window revenue (the buyers' positive revenue).
    agg = sample_aggregates
    totals = window_totals(agg.monthly, agg.months, window=window)
    expected = concentration(totals)
    overview = studies.overview_study(agg, activity_window=window).concentration
    balance = studies.balance_study(agg, activity_window=window).concentration
    assert_series_equal(overview, expected, check_exact=False, rtol=1e-12)
    assert_series_equal(balance, expected, check_exact=False, rtol=1e-12)
    # The top-1 share by hand: the largest positive revenue over all positive revenue.
    positive = totals["revenue"][totals["revenue"] > 0]
    share = positive.max() / positive.sum()
    assert expected["top_1_share"] == pytest.approx(share, rel=1e-12)


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_movements_bridge_and_cohorts_are_the_metric_functions(sample_aggregates, period):
    agg = sample_aggregates
    study = studies.movements_study(agg, period=period, bridge_period=period, cohort_period=period)
    assert_frame_equal(study.movements, movements(agg.monthly, months=agg.months, period=period))
    assert_frame_equal(
        study.bridge, revenue_bridge(agg.monthly, months=agg.months, period=period, window=12)
    )
    assert_frame_equal(study.cohorts, cohort_table(agg.monthly, months=agg.months, period=period))
    # The bridge's identity holds on what the study shows: R(t) = R(t-1) + movements.
    bridge = study.bridge
    gains = bridge[["new", "reactivated", "expansion"]].sum(axis=1)
    losses = bridge[["contraction", "churned"]].sum(axis=1)
    rebuilt = bridge["revenue_start"] + gains - losses
    np.testing.assert_allclose(rebuilt, bridge["revenue_end"], rtol=1e-9)


@pytest.mark.parametrize("period", ["month", "year"])
def test_cac_is_one_definition(sample_aggregates, sample_portfolio, period):
    # The CAC of the costs study's table is acquisition_costs' (spend / new customers).
    agg, costs = sample_aggregates, sample_portfolio.costs
    study = studies.costs_study(agg, costs, period=period)
    table = cost_summary(costs, agg.monthly, agg.customers, months=agg.months, period=period)
    assert_frame_equal(study.summary, table)
    direct = acquisition_costs(costs, agg.customers, months=agg.months, period=period)
    np.testing.assert_allclose(
        study.summary["cac"].to_numpy(dtype=float),
        direct["cac"].to_numpy(dtype=float),
        rtol=1e-12,
        equal_nan=True,
    )
    # CAC by hand for the last complete row with new customers: spend / new customers.
    row = direct.dropna(subset=["cac"]).iloc[-1]
    assert row["cac"] == pytest.approx(row["acquisition_spend"] / row["new_customers"], rel=1e-12)


@pytest.mark.parametrize("window", [6, 12])
def test_weight_tables_are_the_metric_functions(sample_aggregates, window):
    agg = sample_aggregates
    study = studies.weight_study(agg, activity_window=window)
    trend = weight_over_time(
        agg.monthly, months=agg.months, customers=agg.customers, activity_window=window
    )
    assert_frame_equal(study.trend, trend)
    for column, table in study.by.items():
        expected = weight_by(
            agg.monthly, months=agg.months, customers=agg.customers, by=column, window=window
        )
        assert_frame_equal(table, expected)
        # Every group's revenue adds up to the tile's revenue of the window.
        assert table["revenue"].sum() == pytest.approx(study.kpis["revenue"], rel=1e-9)


@pytest.mark.parametrize("drop_alert", [0.2, 0.3, 0.5])
def test_alerts_are_customer_alerts(sample_aggregates, drop_alert):
    agg = sample_aggregates
    study = studies.alerts_study(agg, drop_alert=drop_alert)
    expected = customer_alerts(
        agg.monthly, agg.customers, months=agg.months, as_of=agg.as_of, drop_alert=drop_alert
    )
    assert_frame_equal(study.alerts, expected)
    assert_frame_equal(study.by_rep, alerts_by_rep(expected, reps=agg.customers["sales_rep"]))
    # A larger drop threshold never raises more drop alerts.
    if drop_alert > 0.2:
        looser = studies.alerts_study(agg, drop_alert=0.2).alerts
        assert len(study.alerts) <= len(looser)


def test_filtered_portfolio_reads_the_same_functions(sample_aggregates):
    # A sales rep's view (the app's filter) is the same functions on the subset, not a
    # share of the portfolio's tables.
    agg = sample_aggregates
    rep = agg.customers["sales_rep"].dropna().iloc[0]
    sub = agg.subset(sales_rep=[rep])
    kpis = studies.overview_study(sub).kpis
    totals = window_totals(sub.monthly, sub.months, window=12)
    assert kpis["active_customers"] == int(totals["active"].sum())
    revenue = pd.Series(totals["revenue"]).sum()
    assert kpis["revenue"] == pytest.approx(revenue, rel=1e-9)
