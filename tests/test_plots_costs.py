"""Cost charts: bars and lines equal the tables; labels follow the language."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from portfolio_lib.metrics.costs import acquisition_costs, cost_summary
from portfolio_lib.plots.costs import (
    plot_cac_by_channel,
    plot_cost_trend,
    plot_ltv_to_cac,
    plot_payback,
)

NB = "\u00a0"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _summary() -> pd.DataFrame:
    """cost_summary by month, by hand; no acquisition spend recorded in March."""
    starts = pd.date_range("2025-01-01", periods=4, freq="MS")
    spend = np.array([10_000.0, 12_000.0, np.nan, 6_000.0])
    new = np.array([10, 8, 5, 2])
    retention = np.array([2_000.0, 2_000.0, 2_500.0, 2_500.0])
    retained = np.array([0, 40, 45, 50])
    with np.errstate(divide="ignore", invalid="ignore"):
        crc = np.where(retained > 0, retention / np.maximum(retained, 1), np.nan)
    return pd.DataFrame(
        {
            "period_start": starts,
            "period_end": starts,
            "period": [f"{m:%Y-%m}" for m in starts],
            "acquisition_spend": spend,
            "new_customers": new,
            "cac": spend / new,
            "retention_spend": retention,
            "retained_customers": retained,
            "crc": crc,
            "payback_months": [2.0, 1.0, np.nan, 4.0],
        }
    )


def _twin(ax):
    return next(other for other in ax.figure.axes if other is not ax)


def test_acquisition_spend_bars_cac_line_and_pooled_average():
    _, ax = plt.subplots()
    assert plot_cost_trend(_summary(), lang="en", ax=ax) is ax
    assert [p.get_height() for p in ax.containers[0]] == [10_000, 12_000, 0, 6_000]
    line, average = _twin(ax).get_lines()
    np.testing.assert_allclose(line.get_ydata(), [1_000, 1_500, np.nan, 3_000])
    # Spend recorded in Jan, Feb, Apr: (10 000 + 12 000 + 6 000) / (10 + 8 + 2) = 1 400.
    np.testing.assert_allclose(average.get_ydata(), [1_400, 1_400])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Acquisition spend", "Customer acquisition cost (CAC)", "Average CAC: €1,400"]
    assert ax.get_title() == "Acquisition: spend and CAC per month"
    assert _twin(ax).texts[0].get_text() == "€3,000"  # the last CAC
    assert len(ax.figure.axes) == 2 and plt.get_fignums() == [ax.figure.number]


def test_retention_spend_and_crc_in_french():
    ax = plot_cost_trend(_summary(), kind="retention", lang="fr")
    assert [p.get_height() for p in ax.containers[0]] == [2_000, 2_000, 2_500, 2_500]
    line, average = _twin(ax).get_lines()
    np.testing.assert_allclose(line.get_ydata(), [np.nan, 50, 2_500 / 45, 50])
    # (2 000 + 2 000 + 2 500 + 2 500) / (0 + 40 + 45 + 50) = 9 000 / 135 = 66,67.
    np.testing.assert_allclose(average.get_ydata(), [9_000 / 135] * 2)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1] == f"CRC moyen : 67{NB}€"
    assert ax.get_title() == "Fidélisation : dépenses et CRC par mois"


def test_no_recorded_spend_says_so_instead_of_an_empty_chart():
    summary = _summary().assign(retention_spend=np.nan, crc=np.nan)
    ax = plot_cost_trend(summary, kind="retention", lang="en")
    assert [t.get_text() for t in ax.texts] == ["No retention spend known over the period"]
    with pytest.raises(ValueError, match="kind must be"):
        plot_cost_trend(_summary(), kind="margin")


def _by_channel() -> pd.DataFrame:
    """acquisition_costs(by_channel=True, period="year"), by hand, two years."""
    channels = ["Salon", "Web", "unknown", "unallocated"]
    return pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-01-01"] * 4 + ["2025-01-01"] * 4),
            "period_end": pd.to_datetime(["2024-12-01"] * 4 + ["2025-12-01"] * 4),
            "period": ["2024"] * 4 + ["2025"] * 4,
            "channel": channels * 2,
            "acquisition_spend": [20_000.0, 5_000.0, 0.0, 1_000.0] + [30_000.0, 4_000.0, 0.0, 12_000.0],
            "new_customers": [10, 20, 3, 0] + [15, 8, 2, 0],
            "cac": [2_000.0, 250.0, 0.0, np.nan] + [2_000.0, 500.0, 0.0, np.nan],
        }
    )  # fmt: skip


def test_cac_by_channel_of_the_last_year_sorted_with_new_customers():
    _, ax = plt.subplots()
    assert plot_cac_by_channel(_by_channel(), lang="en", ax=ax) is ax
    assert [p.get_width() for p in ax.containers[0]] == [2_000, 500, 0, 0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == ["Salon", "Web", "Not specified", "Unallocated (all channels)"]
    assert [t.get_text() for t in ax.texts] == [
        "€2,000 · 15 new customers",
        "€500 · 8 new customers",
        "€0 · 2 new customers",
        "€12k spent, no customer attributed",
    ]
    assert ax.get_title() == "CAC by acquisition channel: 2025"


def test_cac_by_channel_of_a_chosen_year_in_french():
    ax = plot_cac_by_channel(_by_channel(), period="2024", lang="fr")
    assert [p.get_width() for p in ax.containers[0]] == [2_000, 250, 0, 0]
    assert ax.texts[0].get_text() == f"2{NB}000{NB}€ · 10 nouveaux clients"
    assert ax.get_title() == "CAC par canal d'acquisition : 2024"
    with pytest.raises(ValueError, match=r"'2023' is not in the table"):
        plot_cac_by_channel(_by_channel(), period="2023")
    with pytest.raises(ValueError, match="by_channel=True"):
        plot_cac_by_channel(_summary())


def test_payback_bars_and_median():
    ax = plot_payback(_summary(), lang="en")
    assert [p.get_height() for p in ax.containers[0]] == [2.0, 1.0, 0.0, 4.0]
    median = ax.get_lines()[0]
    np.testing.assert_allclose(median.get_ydata(), [2.0, 2.0])  # median of 2, 1 and 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Median: 2.0 months",
        "CAC payback (months)",
    ]
    assert [t.get_text() for t in ax.texts] == ["2.0", "1.0", "4.0"]  # no label without payback
    assert ax.get_ylabel() == "Months"
    ticks = ax.get_yticks()
    assert ticks[1] - ticks[0] in (0.5, 1.0, 2.0)  # round steps, one decimal prints them right
    assert plot_payback(_summary(), lang="fr").get_ylabel() == "Mois"


def test_ltv_against_cac_with_the_healthy_mark_and_ratio():
    _, ax = plt.subplots()
    assert plot_ltv_to_cac(36_000.0, 1_500.0, lang="en", ax=ax) is ax
    cac, ltv = ax.containers
    assert [p.get_width() for p in cac] == [1_500] and [p.get_width() for p in ltv] == [36_000]
    assert list(ax.get_lines()[0].get_xdata()) == [4_500, 4_500]  # 3 x CAC
    ratio = ax.texts[-1]
    assert ratio.get_text() == "LTV / CAC = 24.0"  # 36 000 / 1 500
    assert ratio.get_color() == "#2e8b57"  # above 3: healthy
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "CAC",
        "LTV",
        "3 × CAC (rule of thumb for healthy acquisition)",
    ]


def test_ltv_to_cac_per_group_in_french():
    ltv = pd.Series({"Salon": 5_000.0, "Web": 2_000.0})
    cac = pd.Series({"Salon": 2_000.0, "Web": 0.0})
    ax = plot_ltv_to_cac(ltv, cac, lang="fr")
    cac_bars, ltv_bars = ax.containers
    assert [p.get_width() for p in cac_bars] == [2_000, 0]
    assert [p.get_width() for p in ltv_bars] == [5_000, 2_000]
    ratios = [t for t in ax.texts if t.get_text().startswith("LTV")]
    # 5 000 / 2 000 = 2,5 (below 3: red); no CAC for Web: no ratio.
    assert [t.get_text() for t in ratios] == ["LTV / CAC = 2,5", "LTV / CAC = –"]
    assert ratios[0].get_color() == "#c0392b"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Salon", "Web"]


def test_cost_charts_draw_the_library_tables_of_the_sample(sample_portfolio, sample_aggregates):
    agg = sample_aggregates
    summary = cost_summary(
        sample_portfolio.costs, agg.monthly, agg.customers, months=agg.months, period="quarter"
    )
    ax = plot_cost_trend(summary)
    assert [p.get_height() for p in ax.containers[0]] == summary["acquisition_spend"].tolist()
    ax = plot_payback(summary)
    assert [p.get_height() for p in ax.containers[0]] == summary["payback_months"].tolist()
    channels = acquisition_costs(
        sample_portfolio.costs, agg.customers, months=agg.months, period="year", by_channel=True
    )
    ax = plot_cac_by_channel(channels)
    last = channels[channels["period"] == channels["period"].iloc[-1]]
    widths = sorted(p.get_width() for p in ax.containers[0])
    assert widths == sorted(last["cac"].tolist())
