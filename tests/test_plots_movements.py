"""Movement charts: bars, lines and cells equal the tables; labels follow the language."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import TwoSlopeNorm

from portfolio_lib.metrics.cohorts import cohort_matrix, cohort_table
from portfolio_lib.metrics.movements import movements, revenue_bridge
from portfolio_lib.plots.movements import (
    plot_churn,
    plot_cohorts,
    plot_movements,
    plot_revenue_bridge,
)

NB = "\u00a0"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _moves(months: int = 4) -> pd.DataFrame:
    """A movements table (the columns of portfolio_lib.metrics.movements.movements) by hand."""
    starts = pd.date_range("2024-01-01", periods=months, freq="MS")
    new = np.array([5, 3, 0, 2] * (months // 4))
    reactivated = np.array([0, 1, 2, 0] * (months // 4))
    lost = np.array([0, 2, 1, 3] * (months // 4))
    active_start = np.array([0, 5, 7, 8] * (months // 4))
    with np.errstate(divide="ignore", invalid="ignore"):
        churn = np.where(active_start > 0, lost / np.maximum(active_start, 1), np.nan)
    return pd.DataFrame(
        {
            "period_start": starts,
            "period_end": starts,
            "period": [f"{m:%Y-%m}" for m in starts],
            "active_start": active_start,
            "new": new,
            "reactivated": reactivated,
            "retained": active_start - lost,
            "lost": lost,
            "active_end": active_start - lost + new + reactivated,
            "churn_rate": churn,
            "retention_rate": 1 - churn,
            "complete_history": np.arange(months) >= 2,
        }
    )


def _legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


# ------------------------------------------------------------------------------ movements


def test_movement_bars_and_net_line_equal_the_table():
    moves = _moves()
    _, ax = plt.subplots()
    assert plot_movements(moves, lang="en", ax=ax) is ax
    new, reactivated, lost = ax.containers
    assert [p.get_height() for p in new] == [5, 3, 0, 2]
    assert [p.get_height() for p in reactivated] == [0, 1, 2, 0]
    assert [p.get_y() for p in reactivated] == [5, 3, 0, 2]  # stacked on the new customers
    assert [p.get_height() for p in lost] == [0, -2, -1, -3]  # lost customers hang below 0
    net = ax.get_lines()[0]
    # new + reactivated - lost: 5+0-0, 3+1-2, 0+2-1, 2+0-3
    assert list(net.get_ydata()) == [5, 2, 1, -1]
    # The first two periods read a truncated history: lighter bars.
    assert [p.get_alpha() for p in new] == [0.45, 0.45, 1.0, 1.0]
    assert _legend_texts(ax) == [
        "New",
        "Reactivated",
        "Lost",
        "Net change",
        "History shorter than the activity window",
    ]
    assert ax.get_title() == "Customers won and lost per month"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Jan\n2024", "Feb", "Mar", "Apr"]
    assert plt.get_fignums() == [ax.figure.number]  # nothing drawn on another figure


def test_movements_in_french_with_french_months_and_numbers():
    ax = plot_movements(_moves(), lang="fr")
    assert ax.get_title() == "Clients gagnés et perdus par mois"
    assert _legend_texts(ax)[:4] == ["Nouveaux", "Réactivés", "Perdus", "Variation nette"]
    assert ax.get_xticklabels()[0].get_text() == "janv.\n2024"
    assert ax.yaxis.get_major_formatter()(-1200, 0) == f"-1{NB}200"


def test_long_monthly_axis_is_labelled_every_quarter_with_the_year_once():
    moves = _moves(36)  # 2024-01 .. 2026-12
    ax = plot_movements(moves, lang="en")
    texts = [t.get_text() for t in ax.get_xticklabels()]
    assert list(ax.get_xticks()) == list(range(0, 36, 3))  # 36 months: Jan, Apr, Jul, Oct
    assert texts[:5] == ["Jan\n2024", "Apr", "Jul", "Oct", "Jan\n2025"]
    assert len(texts) == 12


def test_movements_split_by_group_are_refused_and_empty_tables_say_so():
    moves = _moves()
    grouped = pd.concat([moves.assign(sales_rep="A"), moves.assign(sales_rep="B")])
    with pytest.raises(ValueError, match="one row per period"):
        plot_movements(grouped)
    ax = plot_movements(moves.iloc[:0], lang="en")
    assert [t.get_text() for t in ax.texts] == ["No data to show"]


# ------------------------------------------------------------------------------ churn


def test_churn_line_and_pooled_average_of_complete_periods():
    moves = _moves()
    ax = plot_churn(moves, lang="en")
    line, average = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [np.nan, 2 / 5, 1 / 7, 3 / 8])
    # Complete periods 3 and 4: (1 + 3) lost / (7 + 8) active at start = 4 / 15.
    np.testing.assert_allclose(average.get_ydata(), [4 / 15, 4 / 15])
    assert _legend_texts(ax)[:2] == ["Churn rate", "Average of complete periods: 27%"]
    assert ax.get_title() == "Churn rate per month"
    assert ax.texts[-1].get_text() == "38%"  # the last value, 3 / 8, at the end of the line


def test_retention_line_in_french():
    ax = plot_churn(_moves(), rate="retention_rate", lang="fr")
    line, average = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [np.nan, 3 / 5, 6 / 7, 5 / 8])
    np.testing.assert_allclose(average.get_ydata(), [11 / 15, 11 / 15])  # 1 - 4 / 15
    assert ax.get_title() == "Taux de rétention par mois"
    assert _legend_texts(ax)[1] == f"Moyenne des périodes complètes : 73{NB}%"
    with pytest.raises(ValueError, match="churn_rate"):
        plot_churn(_moves(), rate="lost")


# ------------------------------------------------------------------------------ bridge


def _bridge() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-01-01", "2025-01-01"]),
            "period_end": pd.to_datetime(["2024-12-01", "2025-12-01"]),
            "period": ["2024", "2025"],
            "revenue_start": [800_000.0, 1_000_000.0],
            "new": [250_000.0, 300_000.0],
            "reactivated": [0.0, 50_000.0],
            "expansion": [100_000.0, 200_000.0],
            "contraction": [50_000.0, 100_000.0],
            "churned": [100_000.0, 150_000.0],
            # 1_000_000 + 300_000 + 50_000 + 200_000 - 100_000 - 150_000 = 1_300_000
            "revenue_end": [1_000_000.0, 1_300_000.0],
        }
    )


def test_bridge_waterfall_of_the_last_period_adds_up():
    _, ax = plt.subplots()
    assert plot_revenue_bridge(_bridge(), lang="en", ax=ax) is ax
    bars = ax.containers[0]
    heights = [p.get_height() for p in bars]
    bottoms = [p.get_y() for p in bars]
    assert heights == [1_000_000, 300_000, 50_000, 200_000, -100_000, -150_000, 1_300_000]
    # Running total: 1.0M, then +0.3M, +0.05M, +0.2M, -0.1M, -0.15M.
    assert bottoms == [0, 1_000_000, 1_300_000, 1_350_000, 1_550_000, 1_450_000, 0]
    assert bottoms[5] + heights[5] == heights[6]  # the last step lands on the end bar
    texts = [t.get_text() for t in ax.texts]
    # In millions; two decimals since some steps are below 1M.
    assert texts == ["€1.00M", "+€0.30M", "+€0.05M", "+€0.20M", "-€0.10M", "-€0.15M", "€1.30M"]
    assert ax.get_title() == "Revenue bridge: 2025"
    assert ax.get_xlabel() == "Trailing revenue: end of Dec 2024 → end of Dec 2025"
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "Revenue at\nstart" and labels[-1] == "Revenue at end"


def test_bridge_of_a_chosen_period_in_french():
    ax = plot_revenue_bridge(_bridge(), period="2024", lang="fr")
    assert [p.get_height() for p in ax.containers[0]][0] == 800_000
    assert ax.get_title() == "Pont du chiffre d'affaires : 2024"
    assert ax.texts[0].get_text() == f"0,80{NB}M€"
    assert ax.texts[1].get_text() == f"+0,25{NB}M€"  # 250 000 in millions
    larger = _bridge()
    money = larger.columns[3:]
    larger[money] = larger[money] * 20  # steps of 1M and more: one decimal is enough
    ax = plot_revenue_bridge(larger, lang="fr")
    assert [t.get_text() for t in ax.texts][-2:] == [f"-3,0{NB}M€", f"26,0{NB}M€"]
    with pytest.raises(ValueError, match=r"'2023' is not in the bridge.*\['2024', '2025'\]"):
        plot_revenue_bridge(_bridge(), period="2023")


money = st.floats(min_value=0, max_value=1e9, allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(start=money, new=money, reactivated=money, expansion=money, contraction=money,
       churned=money)  # fmt: skip
def test_bridge_steps_always_land_on_the_end_bar(
    start, new, reactivated, expansion, contraction, churned
):
    end = start + new + reactivated + expansion - contraction - churned  # the bridge identity
    bridge = _bridge().iloc[[-1]].assign(
        revenue_start=start, new=new, reactivated=reactivated, expansion=expansion,
        contraction=contraction, churned=churned, revenue_end=end,
    )  # fmt: skip
    ax = plot_revenue_bridge(bridge)
    bars = list(ax.containers[0])
    # Each step starts where the one before ended, and the last one ends at the end bar.
    for before, after in zip(bars[1:-2], bars[2:-1], strict=True):
        assert after.get_y() == pytest.approx(before.get_y() + before.get_height(), abs=1e-3)
    last_step = bars[-2]
    assert last_step.get_y() + last_step.get_height() == pytest.approx(end, abs=1e-3)
    plt.close("all")


# ------------------------------------------------------------------------------ cohorts


def _cohorts() -> pd.DataFrame:
    cohorts = pd.to_datetime(["2024-01-01", "2024-04-01", "2024-07-01"])
    matrix = pd.DataFrame(
        [[1.0, 0.6, 0.5], [1.0, 0.7, np.nan], [1.0, np.nan, np.nan]],
        index=pd.Index(cohorts, name="cohort"),
        columns=pd.Index([0, 1, 2], name="offset"),
    )
    return matrix


def test_cohort_heatmap_cells_equal_the_matrix_with_percentages():
    _, ax = plt.subplots()
    assert plot_cohorts(_cohorts(), lang="en", ax=ax) is ax
    image = ax.images[0].get_array()
    np.testing.assert_array_equal(image.mask, np.isnan(_cohorts().to_numpy()))
    np.testing.assert_allclose(image.filled(np.nan), _cohorts().to_numpy())
    assert [t.get_text() for t in ax.texts] == ["100%", "60%", "50%", "100%", "70%", "100%"]
    # Quarterly cohorts guessed from the 3-month gaps between them.
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Q1 2024", "Q2 2024", "Q3 2024"]
    assert ax.get_xlabel() == "Quarters since acquisition"
    assert ax.get_title() == "Share of customers active, by acquisition cohort"
    assert len(ax.figure.axes) == 2  # the axes and its colour bar, on the same figure
    assert plt.get_fignums() == [ax.figure.number]


def test_revenue_cohorts_are_centred_on_100_percent_and_large_grids_unannotated():
    ax = plot_cohorts(_cohorts() * 1.2, value="revenue_share", period="month", lang="fr")
    norm = ax.images[0].norm
    assert isinstance(norm, TwoSlopeNorm) and norm.vcenter == 1.0
    assert ax.get_title() == "CA par rapport à la période d'acquisition, par cohorte"
    assert ax.get_yticklabels()[0].get_text() == "janv. 2024"
    assert ax.texts[0].get_text() == f"120{NB}%"
    big = pd.DataFrame(np.full((15, 15), 0.5))  # 225 cells: too many numbers to read
    big.index = pd.date_range("2023-01-01", periods=15, freq="MS")
    assert len(plot_cohorts(big).texts) == 0
    with pytest.raises(ValueError, match="active_share"):
        plot_cohorts(_cohorts(), value="revenue")


# ------------------------------------------------------------------------------ library tables


def test_every_chart_draws_the_library_tables_of_the_sample(sample_aggregates):
    agg = sample_aggregates
    moves = movements(agg.monthly, months=agg.months, period="quarter")
    ax = plot_movements(moves)
    assert [p.get_height() for p in ax.containers[0]] == moves["new"].tolist()
    bridge = revenue_bridge(agg.monthly, months=agg.months, period="year")
    ax = plot_revenue_bridge(bridge)
    last = bridge.iloc[-1]
    assert [p.get_height() for p in ax.containers[0]][-1] == last["revenue_end"]
    matrix = cohort_matrix(cohort_table(agg.monthly, months=agg.months, period="quarter"))
    ax = plot_cohorts(matrix, period="quarter")
    assert ax.images[0].get_array().shape == matrix.shape
