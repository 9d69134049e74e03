"""Charts of the purchase-model comparison and of the CLV intervals: what is drawn equals the
tables, labels follow the language."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from portfolio_lib.plots.purchase_models import (
    plot_clv_intervals,
    plot_model_comparison,
    plot_tracking,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


BY_FREQUENCY = pd.DataFrame(
    {
        "customers": [10, 5, 2],
        "observed": [0.1, 0.6, 2.0],
        "bgnbd": [0.2, 0.5, 1.8],
        "pareto_nbd": [0.15, 0.55, 1.9],
    },
    index=pd.Index([0, 1, 2], name="frequency_cal"),
)


@pytest.mark.parametrize(
    ("lang", "title"),
    [("fr", "(retenu : Pareto/NBD)"), ("en", "(chosen: Pareto/NBD)")],
)
def test_model_comparison_draws_each_model_and_names_the_chosen(lang, title):
    ax = plot_model_comparison(BY_FREQUENCY, chosen="pareto_nbd", lang=lang)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"Observé" if lang == "fr" else "Observed", "BG/NBD", "Pareto/NBD"}
    assert list(lines["Pareto/NBD"].get_ydata()) == [0.15, 0.55, 1.9]
    assert lines["Pareto/NBD"].get_linewidth() > lines["BG/NBD"].get_linewidth()
    assert ax.get_title().endswith(title)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2+"]


def test_tracking_marks_the_holdout_start():
    weeks = pd.date_range("2024-01-01", periods=4, freq="7D")
    data = pd.DataFrame(
        {
            "observed": [1.0, 3.0, 2.0, 4.0],
            "bgnbd": [1.5, 2.5, 2.5, 3.0],
            "holdout": [False, False, True, True],
        },
        index=pd.Index(weeks, name="week"),
    )
    ax = plot_tracking(data, lang="en")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["Observed"].get_ydata()) == [1.0, 3.0, 2.0, 4.0]
    assert list(lines["BG/NBD"].get_ydata()) == [1.5, 2.5, 2.5, 3.0]
    # The vertical line at the first holdout week (x in matplotlib date units).
    start = lines["Holdout starts"].get_xdata()[0]
    assert pd.Timestamp(start) == weeks[2] or np.isclose(
        float(start), plt.matplotlib.dates.date2num(weeks[2])
    )
    assert ax.get_title() == "Repeat purchases per week: observed and forecast"


def test_clv_intervals_bars_and_error_bars_equal_the_tables():
    predicted = pd.DataFrame(
        {"customer_id": ["a", "b", "c"], "clv": [100.0, 300.0, 200.0]}, index=[5, 6, 7]
    )
    per_customer = pd.DataFrame(
        {"clv_low": [80.0, 250.0, 150.0], "clv_high": [130.0, 320.0, 260.0]}, index=[5, 6, 7]
    )
    ax = plot_clv_intervals(predicted, per_customer, level=0.9, top=2, lang="fr")
    widths = sorted(patch.get_width() for patch in ax.patches)
    assert widths == [200.0, 300.0]  # the two largest
    ticks = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)}
    assert ticks["b"] > ticks["c"]  # the largest on top
    # Error bars from low to high: b at 250..320, c at 150..260.
    segments = ax.collections[0].get_segments()
    spans = sorted((float(s[0][0]), float(s[1][0])) for s in segments)
    assert spans == [(150.0, 260.0), (250.0, 320.0)]
    assert "90\u00a0%" in ax.get_title()
