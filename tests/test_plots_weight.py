"""Weight charts: bars and lines equal the tables; labels follow the language."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Annotation

from portfolio_lib.metrics.weight import weight_by, weight_over_time
from portfolio_lib.plots.weight import plot_weight_by, plot_weight_trend

NB = "\u00a0"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _trend() -> pd.DataFrame:
    """weight_over_time by quarter; the data start in February, so Q1 is partial."""
    return pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-02-01", "2024-04-01", "2024-07-01"]),
            "period_end": pd.to_datetime(["2024-03-01", "2024-06-01", "2024-09-01"]),
            "period": ["2024-Q1", "2024-Q2", "2024-Q3"],
            "active_customers": [120, 1_350, 1_480],
            "revenue": [4_000_000.0, 12_500_000.0, 17_500_000.0],
            "margin": [np.nan] * 3,
            "revenue_window": [4_000_000.0, 16_500_000.0, 34_000_000.0],
        }
    )


def _is_one_two_five(step: float) -> bool:
    mantissa = step / 10 ** np.floor(np.log10(step))
    return any(np.isclose(mantissa, m) for m in (1, 2, 5, 10))


def test_trend_bars_are_the_period_revenue_and_the_line_the_trailing_revenue():
    _, ax = plt.subplots()
    assert plot_weight_trend(_trend(), lang="en", ax=ax) is ax
    bars = ax.containers[0]
    assert [p.get_height() for p in bars] == [4_000_000, 12_500_000, 17_500_000]
    # Q1 has two months of data: hatched and lighter, not comparable with a full quarter.
    assert [p.get_hatch() for p in bars] == ["///", None, None]
    twin = next(other for other in ax.figure.axes if other is not ax)
    assert list(twin.get_lines()[0].get_ydata()) == [4_000_000, 16_500_000, 34_000_000]
    assert twin.texts[0].get_text() == "€34M"  # the last value, at the end of the line
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Revenue of the period", "Trailing revenue", "partial period"]
    assert ax.get_title() == "Revenue per quarter and trailing revenue"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Q1\n2024", "Q2", "Q3"]
    assert len(ax.figure.axes) == 2 and plt.get_fignums() == [ax.figure.number]


def test_money_ticks_are_round_and_shared_by_both_axes():
    ax = plot_weight_trend(_trend(), lang="fr")
    twin = next(other for other in ax.figure.axes if other is not ax)
    ticks = ax.get_yticks()
    # Steps of 1, 2 or 5 x 10^k: 12,5 M€ would otherwise be written "12 M€".
    assert _is_one_two_five(ticks[1] - ticks[0])
    # The twin's ticks sit on the same grid lines: same positions relative to each axis.
    left_top, right_top = ax.get_ylim()[1], twin.get_ylim()[1]
    n = len(twin.get_yticks())
    np.testing.assert_allclose(twin.get_yticks() / right_top, ticks[:n] / left_top)
    assert _is_one_two_five(twin.get_yticks()[1])
    assert ax.yaxis.get_major_formatter()(10_000_000, 0) == f"10{NB}M€"


def test_active_customers_line_in_french():
    ax = plot_weight_trend(_trend(), line="active_customers", lang="fr")
    twin = next(other for other in ax.figure.axes if other is not ax)
    assert list(twin.get_lines()[0].get_ydata()) == [120, 1_350, 1_480]
    assert twin.texts[0].get_text() == f"1{NB}480"
    assert ax.get_title() == "Chiffre d'affaires par trimestre et clients actifs"
    assert twin.get_ylabel() == "Clients actifs"
    # Whole customers on the grid lines of the revenue axis.
    n = len(twin.get_yticks())
    np.testing.assert_allclose(
        twin.get_yticks() / twin.get_ylim()[1], ax.get_yticks()[:n] / ax.get_ylim()[1]
    )
    assert all(float(t).is_integer() for t in twin.get_yticks())
    with pytest.raises(ValueError, match="line must be one of"):
        plot_weight_trend(_trend(), line="margin")


def test_trend_split_by_group_is_refused():
    grouped = pd.concat([_trend().assign(segment="PME"), _trend().assign(segment="ETI")])
    with pytest.raises(ValueError, match="one row per period"):
        plot_weight_trend(grouped)


def _column_texts(ax) -> list[str]:
    """Free texts of the axes (the penetration column), not the bar labels."""
    return [t.get_text() for t in ax.texts if not isinstance(t, Annotation)]


def _bar_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.texts if isinstance(t, Annotation)]


def _weight_by() -> pd.DataFrame:
    """weight_by(by="segment") with a potential, by hand (sorted by revenue)."""
    return pd.DataFrame(
        {
            "segment": ["Grand compte", "PME", "unknown", "Artisan", "ETI"],
            "customers": [10, 40, 5, 40, 5],
            "customer_share": [0.10, 0.40, 0.05, 0.40, 0.05],
            "revenue": [500.0, 300.0, 100.0, 60.0, 40.0],
            "revenue_share": [0.50, 0.30, 0.10, 0.06, 0.04],
            "potential": [1_000.0, 1_500.0, 0.0, 300.0, 100.0],
            "penetration": [0.5, 0.2, np.nan, 0.2, 0.4],
        }
    )


def test_weight_by_bars_are_the_shares_with_penetration_beside():
    _, ax = plt.subplots()
    assert plot_weight_by(_weight_by(), lang="en", ax=ax) is ax
    revenue, customers = ax.containers
    assert [p.get_width() for p in revenue] == [0.50, 0.30, 0.10, 0.06, 0.04]
    assert [p.get_width() for p in customers] == [0.10, 0.40, 0.05, 0.40, 0.05]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == ["Grand compte", "PME", "Not specified", "Artisan", "ETI"]
    assert _bar_labels(ax) == ["50%", "30%", "10%", "6%", "4%", "10%", "40%", "5%", "40%", "5%"]
    assert _column_texts(ax) == ["Penetration", "50%", "20%", "–", "20%", "40%"]
    assert ax.get_title() == "Segment: share of revenue and share of active customers"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Revenue share",
        "Customer share",
    ]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # inverted: the largest group on top
    assert max(ax.get_xticks()) <= 0.50 * 1.2  # no share scale under the penetration column


def test_weight_by_merges_the_smallest_groups_into_other():
    ax = plot_weight_by(_weight_by(), max_groups=3, lang="fr")
    revenue, customers = ax.containers
    # Grand compte, PME, then unknown + Artisan + ETI: 0.10 + 0.06 + 0.04 of revenue.
    np.testing.assert_allclose([p.get_width() for p in revenue], [0.50, 0.30, 0.20])
    np.testing.assert_allclose([p.get_width() for p in customers], [0.10, 0.40, 0.50])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Grand compte", "PME", "Autres"]
    # Penetration of "other": (100 + 60 + 40) / (0 + 300 + 100) = 50 %.
    assert _column_texts(ax)[-1] == f"50{NB}%"
    assert _bar_labels(ax)[:3] == [f"50{NB}%", f"30{NB}%", f"20{NB}%"]
    assert ax.get_title() == "Segment : part du chiffre d'affaires et part des clients actifs"


def test_weight_by_without_potential_has_no_penetration_column(sample_aggregates):
    agg = sample_aggregates
    table = weight_by(
        agg.monthly, months=agg.months, customers=agg.customers.drop(columns="potential"),
        by="sales_rep",
    )  # fmt: skip
    ax = plot_weight_by(table, lang="en")
    assert _column_texts(ax) == []
    assert [p.get_width() for p in ax.containers[0]] == table["revenue_share"].tolist()
    assert ax.get_title().startswith("Sales rep:")


def test_trend_from_the_library_table_of_the_sample(sample_aggregates):
    agg = sample_aggregates
    table = weight_over_time(agg.monthly, months=agg.months, customers=agg.customers)
    ax = plot_weight_trend(table, line="active_customers")
    assert len(ax.containers[0]) == len(agg.months)
    twin = next(other for other in ax.figure.axes if other is not ax)
    assert list(twin.get_lines()[0].get_ydata()) == table["active_customers"].tolist()
