"""Shared chart pieces: axes formatters and KPI tiles."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from portfolio_lib.plots.common import Kpi, currency_axis, get_ax, kpi_tiles, percent_axis

NB = "\u00a0"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_get_ax_reuses_or_creates():
    _, ax = plt.subplots()
    assert get_ax(ax) is ax
    assert get_ax(None).figure is not ax.figure


def test_currency_and_percent_axes_format_ticks():
    ax = get_ax(None)
    ax.plot([0, 2_000_000], [0, 0.5])
    currency_axis(ax, axis="x", lang="fr")
    percent_axis(ax, axis="y", lang="en")
    assert ax.xaxis.get_major_formatter()(1_500_000, 0) == f"1,5{NB}M€"
    assert ax.yaxis.get_major_formatter()(0.25, 0) == "25%"


def test_kpi_tiles_show_labels_values_and_coloured_changes():
    kpis = {
        "revenue": Kpi(1_234_000, "currency", change=0.12),
        "churn_rate": Kpi(0.08, "percent", change=0.02, higher_is_better=False),
        "customers": Kpi(1480),
    }
    ax = kpi_tiles(kpis, columns=2, lang="en")
    texts = {t.get_text(): t for t in ax.texts}
    assert {"Revenue", "€1.2M", "Customers", "1,480", "8.0%"} <= set(texts)
    assert texts["▲ 12.0%"].get_color() == "#2e8b57"  # revenue up: good
    assert texts["▲ 2.0%"].get_color() == "#c0392b"  # churn up: bad
    assert len(ax.patches) == 3
    assert ax.get_ylim() == (0, 2)  # two rows of two tiles
