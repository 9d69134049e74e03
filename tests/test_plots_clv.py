"""CLV charts: histogram counts and reference lines, bars equal to the CLV tables."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from portfolio_lib.i18n import label
from portfolio_lib.metrics.clv import retention_clv, simple_clv
from portfolio_lib.plots.clv import plot_clv_comparison, plot_clv_distribution, plot_simple_clv

NB = "\u00a0"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def predicted():
    # 200 customers with CLVs spread over four decades, a near-zero tail and one prospect.
    rng = np.random.default_rng(11)
    clv = np.r_[10 ** rng.uniform(1, 5, 190), [1e-12] * 9, np.nan]
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(200)], "clv": clv})


def _heights(ax):
    return np.array([p.get_height() for p in ax.patches])


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_distribution_counts_every_customer_with_a_clv_on_a_log_scale(predicted, lang):
    ax = plot_clv_distribution(predicted, lang=lang)
    assert ax.get_xscale() == "log"
    heights = _heights(ax)
    assert len(heights) == 40 and heights.sum() == 199  # the prospect has no CLV
    # The 9 near-zero CLVs are below 1 €: counted in the first bar and noted under the axis.
    assert heights[0] >= 9
    note = label("clv_low_note", lang).format(n=9, low=f"1{NB}€" if lang == "fr" else "€1")
    assert ax.get_xlabel() == f"{label('clv_log_axis', lang)}\n{note}"
    values = predicted["clv"].dropna()
    median, mean = (line.get_xdata()[0] for line in ax.lines)
    assert median == pytest.approx(values.median()) and mean == pytest.approx(values.mean())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith(label("median_value", lang).split("{")[0])
    assert ax.get_ylabel() == label("customers", lang)


def test_distribution_on_a_linear_scale_puts_the_top_percent_in_the_last_bar(predicted):
    ax = plot_clv_distribution(predicted, log=False, bins=20, lang="en")
    heights = _heights(ax)
    assert ax.get_xscale() == "linear" and len(heights) == 20 and heights.sum() == 199
    cap = np.quantile(predicted["clv"].dropna(), 0.99)
    # 199 values: the 99th percentile leaves exactly 2 above it, both in the last bar.
    assert (predicted["clv"] > cap).sum() == 2 and heights[-1] >= 2
    assert ax.patches[-1].get_x() + ax.patches[-1].get_width() == pytest.approx(cap)


def test_distribution_without_positive_clv_says_so():
    ax = plot_clv_distribution(pd.DataFrame({"clv": [0.0, np.nan]}), lang="en")
    assert len(ax.patches) == 0 and ax.texts[0].get_text() == label("no_data", "en")


@pytest.fixture
def simple():
    # Group x: 2 customers, 3,000 € and 1,000 € over 6 + 2 orders, margin 30 %:
    #   basket 4,000 / 8 = 500, 4 purchases a year, churn 25 % -> 4 years: 500*4*.3*4 = 2,400.
    # Group y: 1 customer, 2,000 € over 2 orders, margin 50 %, churn 50 % -> 2 years:
    #   1,000 * 2 * .5 * 2 = 2,000.
    totals = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "revenue": [3_000.0, 1_000.0, 2_000.0],
            "margin": [900.0, 300.0, 1_000.0],
            "orders": [6, 2, 2],
            "segment": ["x", "x", "y"],
        }
    )
    return simple_clv(totals, annual_churn=pd.Series({"x": 0.25, "y": 0.5}), by="segment")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_simple_clv_bars_carry_the_formula(simple, lang):
    ax = plot_simple_clv(simple, lang=lang)
    assert [b.get_width() for b in ax.patches] == pytest.approx([2_400.0, 2_000.0])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]
    labels = [t.get_text() for t in ax.texts]
    if lang == "fr":
        assert labels[0] == (f"2,4{NB}k€   500{NB}€ × 4,0 achats/an × 30{NB}% de marge × 4,0 ans")
    else:
        assert labels[1] == "€2.0k   €1.0k × 2.0 purchases/yr × 50% margin × 2.0 yrs"
    assert ax.get_ylabel() == label("segment", lang)
    assert ax.get_title() == label("simple_clv_title", lang)


def test_simple_clv_translates_the_total_row():
    totals = pd.DataFrame({"customer_id": ["a"], "revenue": [1_000.0], "orders": [4]})
    ax = plot_simple_clv(simple_clv(totals, annual_churn=0.5, margin_rate=0.2), lang="fr")
    # 250 € x 4 x 20 % x 2 years = 400 €.
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Total"]
    assert ax.patches[0].get_width() == pytest.approx(400.0)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_comparison_shows_the_three_methods_per_group(simple, lang):
    margin = simple["clv"] / simple["expected_lifetime_years"]  # x: 600 €, y: 1,000 €
    retention = retention_clv(margin, retention=1 - simple["annual_churn"], discount_rate=0.1)
    # x: 600 * .75 / (1.1 - .75) = 1,285.71; y: 1,000 * .5 / (1.1 - .5) = 833.33.
    predictive = pd.DataFrame(
        {"customers": [5, 9], "clv": [1_500.0, 9_000.0], "clv_mean": [300.0, 1_000.0]},
        index=pd.Index(["x", "y"], name="segment"),
    )
    ax = plot_clv_comparison(
        simple, retention=retention, predictive=predictive, horizon_months=36, lang=lang
    )
    assert len(ax.containers) == 3
    simple_bars, retention_bars, predictive_bars = ax.containers
    # Sorted by predictive CLV, largest on top: y, then x.
    assert [t.get_text() for t in ax.get_yticklabels()] == ["y", "x"]
    assert [b.get_width() for b in simple_bars] == pytest.approx([2_000.0, 2_400.0])
    assert [b.get_width() for b in retention_bars] == pytest.approx([833.333333, 1_285.714286])
    assert [b.get_width() for b in predictive_bars] == pytest.approx([1_000.0, 300.0])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        label("clv_simple", lang),
        label("clv_retention", lang),
        label("clv_predictive_horizon", lang).format(months=36),
    ]


def test_comparison_without_the_optional_methods_and_on_given_axes(simple):
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_clv_comparison(simple, ax=right, lang="en") is right
    assert len(right.containers) == 1 and len(left.patches) == 0 and len(fig.axes) == 2
    # Without a predictive column the bars are sorted by the simple CLV.
    assert [t.get_text() for t in right.get_yticklabels()] == ["x", "y"]
