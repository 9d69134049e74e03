"""Shared chart pieces: axes, period ticks, shading, share bars, empty charts, KPI tiles."""

from __future__ import annotations

import json
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.ticker import MaxNLocator

from portfolio_lib.plots.common import (
    Kpi,
    check_one_row_per_period,
    currency_axis,
    get_ax,
    kpi_tiles,
    no_data,
    number_axis,
    partial_periods,
    per_period,
    percent_axis,
    period_axis,
    period_kind,
    period_rows,
    shade_periods,
    share_bars,
    shorten,
)

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


def _visible_ticks(axis) -> list[float]:
    """The ticks inside the view, once the figure is laid out (auto tick counts need it)."""
    axis.figure.canvas.draw()
    low, high = axis.get_view_interval()
    return [float(t) for t in axis.get_majorticklocs() if low - 1e-9 <= t <= high + 1e-9]


def _round_step(ticks: list[float]) -> bool:
    """Ticks evenly spaced by 1, 2 or 5 x 10^k."""
    steps = np.diff(ticks)
    mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]))
    return bool(np.allclose(steps, steps[0]) and np.isclose(mantissa, [1, 2, 5]).any())


def test_currency_axis_never_rounds_a_tick_label():
    # Six intervals up to 15 M€: matplotlib's own steps are 2.5 M€, and the compact format,
    # without decimals from 10 M€ on, writes 12,5 M€ as "12 M€".
    assert 12.5e6 in MaxNLocator(nbins=6).tick_values(0, 15e6)
    ax = get_ax(None)
    currency_axis(ax, lang="fr", nbins=6)
    ticks = ax.yaxis.get_major_locator().tick_values(0, 15e6)
    assert ticks == pytest.approx([0.0, 5e6, 10e6, 15e6])
    formatter = ax.yaxis.get_major_formatter()
    assert [formatter(t, 0) for t in ticks] == [f"0{NB}€", f"5,0{NB}M€", f"10{NB}M€", f"15{NB}M€"]
    # With the automatic tick count, on a short chart (9 x 2.6 in, the LTV/CAC one).
    ax = get_ax(None, figsize=(9, 2.6))
    ax.set_ylim(0, 15e6)
    currency_axis(ax, lang="fr")
    ticks = _visible_ticks(ax.yaxis)
    assert len(ticks) >= 3 and _round_step(ticks) and 12.5e6 not in ticks


def test_percent_and_number_axes_use_round_steps():
    # Six intervals over 0-15 %: matplotlib's own steps would be 2.5 %, and "12 %" for 12.5 %.
    assert 0.125 in MaxNLocator(nbins=6).tick_values(0, 0.15)
    ax = get_ax(None)
    percent_axis(ax, lang="en", nbins=6)
    number_axis(ax, axis="x", lang="en", nbins=6)
    shares = ax.yaxis.get_major_locator().tick_values(0, 0.15)
    counts = ax.xaxis.get_major_locator().tick_values(0, 150)
    assert shares == pytest.approx([0.0, 0.05, 0.10, 0.15])
    assert counts == pytest.approx([0.0, 50.0, 100.0, 150.0])  # not 25, 50, ..., 125
    formatter = ax.yaxis.get_major_formatter()
    assert [formatter(t, 0) for t in shares] == ["0%", "5%", "10%", "15%"]
    # A count axis never shows half a customer, even on a tiny range.
    few = get_ax(None)
    few.set_ylim(0, 3)
    number_axis(few, lang="fr")
    assert _visible_ticks(few.yaxis) == [0.0, 1.0, 2.0, 3.0]


def test_currency_axis_keeps_the_decades_of_a_log_axis():
    ax = get_ax(None)
    ax.set_xscale("log")
    ax.set_xlim(10, 1e6)
    currency_axis(ax, axis="x", lang="en")
    assert _visible_ticks(ax.xaxis) == [10.0, 100.0, 1e3, 1e4, 1e5, 1e6]
    assert ax.xaxis.get_major_formatter()(1e4, 0) == "€10k"


def test_share_bars_period_axis_and_shading():
    ax = get_ax(None)
    share_bars(ax, ["A", "B"], np.array([0.2, 0.8]), np.array([0.6, 0.4]), lang="en")
    customers, revenue = ax.containers
    assert [p.get_height() for p in customers] == [0.2, 0.8]
    assert [p.get_height() for p in revenue] == [0.6, 0.4]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B"]
    assert [t.get_text() for t in ax.legend_.get_texts()] == ["Customer share", "Revenue share"]
    ax = get_ax(None)
    ends = pd.date_range("2024-11-01", periods=4, freq="MS")
    period_axis(ax, ends, "month", lang="fr")
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "nov.\n2024", "déc.", "janv.\n2025", "févr."
    ]  # fmt: skip
    key = shade_periods(ax, np.array([True, True, False, True]))
    spans = [p.get_x() for p in ax.patches]
    assert key is not None and spans == [-0.5, 2.5]  # two runs: periods 0-1 and 3
    assert shade_periods(ax, np.zeros(4, dtype=bool)) is None


def test_period_helpers_and_empty_chart():
    table = pd.DataFrame(
        {
            "period": ["2025-Q1", "2025-Q2"],
            "period_start": pd.to_datetime(["2025-02-01", "2025-04-01"]),
            "period_end": pd.to_datetime(["2025-03-01", "2025-06-01"]),
        }
    )
    assert period_kind(table["period"]) == "quarter"
    assert period_kind(["2025"]) == "year" and period_kind(["2025-03"]) == "month"
    assert per_period("quarter", "fr") == "par trimestre"
    # The first quarter starts with the data in February: two months of three.
    assert partial_periods(table, "quarter").tolist() == [True, False]
    assert period_rows(table).index.tolist() == [1]  # the last period by default
    assert period_rows(table, "2025-Q1")["period_end"].tolist() == [pd.Timestamp("2025-03-01")]
    with pytest.raises(ValueError, match=r"'2024-Q4' is not in the bridge; .*'2025-Q2'\]"):
        period_rows(table, "2024-Q4", table="bridge")
    check_one_row_per_period(table, "plot_x")
    with pytest.raises(ValueError, match="plot_x draws one row per period"):
        check_one_row_per_period(pd.concat([table, table]), "plot_x")
    ax = no_data(get_ax(None), lang="en")
    assert [t.get_text() for t in ax.texts] == ["No data to show"] and ax.get_xticks().size == 0
    assert shorten("Établissements Dupont et fils", 12) == "Établisseme…"


def test_theme_is_seaborns_whitegrid_without_importing_seaborn():
    # THEME writes out what seaborn's theme changes (so the app's kernels need not import
    # seaborn and scipy.stats): compare with seaborn's own, in a fresh process.
    code = """
import json, sys
import matplotlib as mpl
from matplotlib.colors import to_hex
from portfolio_lib.plots.common import set_theme
def rc():  # colours compared as hex: seaborn's cycle holds RGB tuples
    out = {k: str(v) for k, v in mpl.rcParams.items()}
    out["axes.prop_cycle"] = [to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]]
    return out
set_theme()
assert "seaborn" not in sys.modules and "scipy" not in sys.modules
ours = rc()
mpl.rcdefaults()
import seaborn as sns
sns.set_theme(style="whitegrid", context="notebook", rc={"figure.dpi": 100})
mpl.rcParams.update({"axes.titleweight": "bold", "axes.titlesize": 13})
theirs = rc()
print(json.dumps(sorted(k for k in ours if ours[k] != theirs[k])))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["image.cmap"]  # seaborn's "rocket": every chart names its own
