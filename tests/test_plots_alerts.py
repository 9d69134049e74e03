"""Alert charts: stacks add up to the revenue at risk per rep, the list follows the priority."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from portfolio_lib.i18n import label
from portfolio_lib.metrics.alerts import alerts_by_rep, customer_alerts
from portfolio_lib.plots.alerts import (
    MAIN_ALERTS,
    main_alert,
    plot_revenue_at_risk_by_rep,
    plot_top_at_risk,
)

NB = "\u00a0"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def alerts():
    """customer_alerts-shaped table, by priority (top accounts first, then revenue at risk)."""
    return pd.DataFrame(
        {
            "priority": [1, 2, 3, 4, 5],
            "sales_rep": ["Léa", "Marc", "Léa", "unknown", "Marc"],
            "customer_id": ["c1", "c2", "c3", "c4", "c5"],
            "name": ["Durand SA", "=HYPERLINK(1)", None, "Petit SARL", "Martin"],
            "revenue_recent": [35_000.0, 90_000.0, 2_000.0, 0.0, 6_000.0],
            "revenue_previous": [100_000.0, 80_000.0, 10_000.0, 9_000.0, 5_000.0],
            "revenue_change": [-0.65, 0.125, -0.8, -1.0, 0.2],
            "days_since_last": [81, 95, 200, 400, 60],
            "usual_gap_days": [33.75, 34.5, np.nan, 50.0, 20.0],
            "gap_ratio": [2.4, 2.7536, np.nan, 8.0, 3.0],
            "revenue_drop": [True, False, True, True, False],
            "overdue": [True, True, False, True, True],
            "top_at_risk": [True, True, False, False, False],
            "revenue_at_risk": [100_000.0, 90_000.0, 10_000.0, 9_000.0, 6_000.0],
        }
    )


def test_main_alert_is_the_most_serious_alert(alerts):
    assert main_alert(alerts).tolist() == [
        "top_at_risk", "top_at_risk", "revenue_drop", "revenue_drop", "overdue",
    ]  # fmt: skip
    assert list(main_alert(alerts).cat.categories) == list(MAIN_ALERTS)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_revenue_at_risk_by_rep_stacks_by_main_alert(alerts, lang):
    ax = plot_revenue_at_risk_by_rep(alerts, lang=lang)
    top, drop, overdue = ax.containers
    # Reps by total: Marc 96,000 (90,000 top + 6,000 overdue), Léa 110,000 (100,000 top +
    # 10,000 drop), unknown 9,000 (drop): Léa, Marc, unknown.
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Léa", "Marc", label("unknown", lang)]
    assert [b.get_width() for b in top] == [100_000.0, 90_000.0, 0.0]
    assert [b.get_width() for b in drop] == [10_000.0, 0.0, 9_000.0]
    assert [b.get_width() for b in overdue] == [0.0, 6_000.0, 0.0]
    assert [b.get_x() for b in overdue] == [110_000.0, 90_000.0, 9_000.0]  # stacked
    totals = np.add.reduce([[b.get_width() for b in c] for c in ax.containers])
    by_rep = alerts_by_rep(alerts)["revenue_at_risk"]
    assert totals.tolist() == by_rep.loc[["Léa", "Marc", "unknown"]].tolist()
    ends = [t.get_text() for t in ax.texts]
    word = "clients en alerte" if lang == "fr" else "customers alerted"
    money = f"110{NB}k€" if lang == "fr" else "€110k"
    assert ends[0] == f"  {money} · 2 {word}"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [label(f"main_alert_{k}", lang) for k in MAIN_ALERTS]
    assert ax.get_xlabel() == label("revenue_at_risk", lang)


def test_revenue_at_risk_by_rep_adds_up_on_the_sample(sample_aggregates):
    agg = sample_aggregates
    alerts = customer_alerts(agg.monthly, agg.customers, months=agg.months, as_of=agg.as_of)
    ax = plot_revenue_at_risk_by_rep(alerts, lang="fr")
    reps = [t.get_text() for t in ax.get_yticklabels()]
    totals = np.add.reduce([[b.get_width() for b in c] for c in ax.containers])
    expected = alerts_by_rep(alerts)["revenue_at_risk"]
    assert reps == expected.index.tolist()  # same order: revenue at risk descending
    np.testing.assert_allclose(totals, expected.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_top_at_risk_lists_customers_by_priority_with_reasons(alerts, lang):
    ax = plot_top_at_risk(alerts, n=4, lang=lang)
    assert [b.get_width() for b in ax.patches] == [100_000.0, 90_000.0, 10_000.0, 9_000.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "1. Durand SA", "2. =HYPERLINK(1)", "3. c3", "4. Petit SARL",
    ]  # fmt: skip
    assert ax.yaxis_inverted()
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 8  # amount and reasons for each of the 4 rows
    if lang == "fr":
        assert texts[0] == f"100{NB}k€"
        assert texts[1] == (f"CA -65{NB}% · 81 j sans commande (2,4× l'habitude) · Léa")
        assert texts[3] == "95 j sans commande (2,8× l'habitude) · Marc"
        assert texts[7] == f"CA -100{NB}% · 400 j sans commande (8,0× l'habitude) · Non renseigné"
    else:
        assert texts[5] == "revenue -80% · Léa"
    assert ax.get_title() == label("top_at_risk_title", lang).format(n=4)


def test_top_at_risk_draws_on_the_given_axes_and_handles_no_alert(alerts):
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_top_at_risk(alerts, ax=right) is right
    assert len(right.patches) == 5 and len(left.patches) == 0 and len(fig.axes) == 2
    empty = plot_top_at_risk(alerts.iloc[0:0], lang="en")
    assert len(empty.patches) == 0
    assert [t.get_text() for t in empty.texts] == [label("no_alerts", "en")]
    empty = plot_revenue_at_risk_by_rep(alerts.iloc[0:0], lang="fr")
    assert [t.get_text() for t in empty.texts] == [label("no_alerts", "fr")]
