"""Charts of the predictive models: what is drawn equals the tables, labels follow the language."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.image import AxesImage

from portfolio_lib.i18n import label
from portfolio_lib.models import (
    BGNBDFit,
    frequency_recency_matrix,
    p_alive_matrix,
    period_transactions,
)
from portfolio_lib.plots.predictive import (
    plot_calibration_vs_holdout,
    plot_clv_by_segment,
    plot_frequency_recency_matrix,
    plot_p_alive_matrix,
    plot_period_transactions,
)

FIT = BGNBDFit(
    r=0.25,
    alpha=4.0,
    a=0.8,
    b=2.5,
    log_likelihood=0.0,
    n_customers=0,
    n_repeat_customers=0,
    converged=True,
    time_unit_days=7.0,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def period_table():
    summary = pd.DataFrame(
        {
            "frequency": [0, 0, 0, 1, 2, 2, 5, 9, 14],
            "recency": [0, 0, 0, 30, 60, 90, 200, 300, 390],
            "T": [100.0, 200, 300, 100, 200, 300, 300, 400, 400],
        }
    )
    return period_transactions(FIT, summary, max_frequency=4)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_period_transactions_bars_are_the_table(period_table, lang):
    ax = plot_period_transactions(period_table, lang=lang)
    bars = ax.patches
    assert len(bars) == 10  # observed and expected for 0, 1, 2, 3, 4+
    observed, expected = bars[:5], bars[5:]
    assert [b.get_height() for b in observed] == [3.0, 1.0, 2.0, 0.0, 3.0]
    np.testing.assert_allclose([b.get_height() for b in expected], period_table["expected"])
    # side by side: observed left of expected at each tick
    assert all(o.get_x() < e.get_x() for o, e in zip(observed, expected, strict=True))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2", "3", "4+"]
    assert ax.get_xlabel() == label("frequency", lang)
    assert ax.get_ylabel() == label("customers", lang)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == (["Observé", "Modèle"] if lang == "fr" else ["Observed", "Model"])


def test_period_transactions_draws_on_the_given_axes(period_table):
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_period_transactions(period_table, ax=right, lang="en") is right
    assert len(left.patches) == 0 and len(right.patches) == 10
    assert len(fig.axes) == 2


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_calibration_vs_holdout_lines(lang):
    table = pd.DataFrame(
        {"customers": [50, 20, 10], "observed": [0.2, 0.9, 2.5], "expected": [0.25, 1.0, 2.2]},
        index=pd.Index([0, 1, 2], name="frequency_cal"),
    )
    ax = plot_calibration_vs_holdout(table, lang=lang)
    lines = ax.get_lines()
    assert len(lines) == 2
    assert lines[0].get_ydata().tolist() == [0.2, 0.9, 2.5]
    assert lines[1].get_ydata().tolist() == [0.25, 1.0, 2.2]
    assert lines[0].get_label() == label("observed", lang)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2+"]
    assert ax.get_xlabel() == label("frequency_cal", lang)
    expected_y = (
        "Achats moyens par client (période de test)"
        if lang == "fr"
        else ("Mean purchases per customer (holdout)")
    )
    assert ax.get_ylabel() == expected_y
    assert ax.get_ylim()[0] == 0


def test_frequency_recency_heatmap_shows_the_matrix():
    matrix = frequency_recency_matrix(FIT, max_frequency=5, max_recency=140, T=140, t=30)
    ax = plot_frequency_recency_matrix(matrix, horizon_days=30, T=140, lang="en")
    images = [im for im in ax.get_images() if isinstance(im, AxesImage)]
    assert len(images) == 1
    np.testing.assert_allclose(images[0].get_array(), matrix.to_numpy())
    # one row per frequency, one column per 7-day recency, centred on the values
    assert images[0].get_extent() == [-3.5, 143.5, -0.5, 5.5]
    assert ax.get_xlabel() == "Recency: days from first to last purchase"
    assert ax.get_ylabel() == "Repeat purchases"
    assert ax.get_title() == "Expected purchases in the next 30 days (customer aged 140 days)"
    colorbar = images[0].colorbar
    assert colorbar is not None and colorbar.ax.get_ylabel() == "Expected purchases"


def test_p_alive_heatmap_on_a_fixed_scale_in_french():
    matrix = p_alive_matrix(FIT, max_frequency=4, max_recency=70)
    ax = plot_p_alive_matrix(matrix, lang="fr")
    image = ax.get_images()[0]
    np.testing.assert_allclose(image.get_array(), matrix.to_numpy())
    assert image.get_clim() == (0.0, 1.0)
    assert image.get_array()[0].tolist() == [1.0] * 11  # no repeat purchase: alive
    assert ax.get_title() == "Probabilité d'être encore actif (client de 70 jours)"
    assert ax.get_xlabel() == "Récence : jours entre le premier et le dernier achat"
    assert image.colorbar.ax.get_ylabel() == "Probabilité d'être actif"


def test_clv_by_segment_bars_sorted_with_euro_ticks():
    table = pd.DataFrame(
        {"customers": [1, 2, 1], "clv": [300.0, 150.0, 10.0], "clv_mean": [300.0, 75.0, 10.0]},
        index=pd.Index(["ETI", "PME", "unknown"], name="segment"),
    )
    ax = plot_clv_by_segment(table, lang="fr")
    widths = [p.get_width() for p in ax.patches]
    assert widths == [10.0, 150.0, 300.0]  # largest on top
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Non renseigné", "PME", "ETI"]
    assert ax.get_xaxis().get_major_formatter()(1500, 0) == "1,5\u00a0k€"
    assert ax.get_title() == "CLV prédictive par segment"
    ax_en = plot_clv_by_segment(table, value="clv_mean", lang="en")
    assert [p.get_width() for p in ax_en.patches] == [10.0, 75.0, 300.0]
    assert ax_en.get_xlabel() == "Mean CLV per customer"
