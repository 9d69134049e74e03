"""RFM charts: the grid counts and names its cells, the segment bars are the summary's shares."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from portfolio_lib.i18n import label
from portfolio_lib.metrics.rfm import RFM_GRID, rfm_scores, rfm_segments, rfm_summary
from portfolio_lib.plots.rfm import plot_rfm_grid, plot_rfm_segments


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def segments():
    # Two champions (5, 5), three lost ((1, 1) twice and (1, 2)), one need_attention (3, 3).
    scores = pd.DataFrame(
        {
            "customer_id": list("abcdef"),
            "days_since_last": [3, 5, 400, 420, 380, 90],
            "orders": [20, 18, 1, 1, 2, 5],
            "monetary": [5_000.0, 3_000.0, 100.0, 80.0, 300.0, 1_500.0],
            "r_score": [5, 5, 1, 1, 1, 3],
            "f_score": [5, 5, 1, 1, 2, 3],
            "m_score": [5, 5, 1, 1, 2, 4],
        }
    )
    return rfm_segments(scores)


def _cell_texts(ax):
    """{(r, f): text} of the grid's cell labels."""
    return {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts
    }


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_grid_counts_customers_per_cell_and_names_the_segments(segments, lang):
    ax = plot_rfm_grid(segments, lang=lang)
    (image,) = ax.get_images()
    counts = np.asarray(image.get_array())  # row r - 1, column f - 1 (origin lower)
    expected = np.zeros((5, 5))
    expected[4, 4], expected[0, 0], expected[0, 1], expected[2, 2] = 2, 2, 1, 1
    np.testing.assert_array_equal(counts, expected)
    texts = _cell_texts(ax)
    assert len(texts) == 25
    assert texts[(5, 5)] == f"{label('champions', lang)}\n2"
    assert texts[(1, 1)] == f"{label('lost', lang)}\n2"
    assert texts[(3, 3)] == f"{label('need_attention', lang)}\n1"
    # Cells without customers are named from the default grid.
    assert texts[(5, 1)] == f"{label(RFM_GRID[(5, 1)], lang)}\n0"
    assert ax.get_xlabel() == label("f_score_axis", lang).format(top=5)
    assert ax.get_ylabel() == label("r_score_axis", lang).format(top=5)
    assert ax.get_title() == label("rfm_grid_title", lang)


def test_grid_draws_segment_borders_only_where_the_segment_changes(segments):
    ax = plot_rfm_grid(segments, lang="en")
    borders = {
        (tuple(np.round(line.get_xdata(), 2)), tuple(np.round(line.get_ydata(), 2)))
        for line in ax.lines
    }
    # R = 5: potential_loyalist (F = 3) | champions (F = 4): a vertical border at F = 3.5.
    assert ((3.5, 3.5), (4.5, 5.5)) in borders
    # R = 5: champions (F = 4) and champions (F = 5): no border between them.
    assert ((4.5, 4.5), (4.5, 5.5)) not in borders
    # F = 1: promising (R = 4) over about_to_sleep (R = 3): a horizontal border at R = 3.5.
    assert ((0.5, 1.5), (3.5, 3.5)) in borders
    # Every border separates two different segments of the grid, and every change has one.
    changes = sum(
        RFM_GRID[(r, f)] != RFM_GRID[(r, f + 1)] for r in range(1, 6) for f in range(1, 5)
    ) + sum(RFM_GRID[(r, f)] != RFM_GRID[(r + 1, f)] for r in range(1, 5) for f in range(1, 6))
    assert len(borders) == changes
    for (x0, x1), (y0, _y1) in borders:
        if x0 == x1:  # vertical: between F = x0 - 0.5 and x0 + 0.5 on row R = y0 + 0.5
            r, f = round(y0 + 0.5), round(x0 - 0.5)
            assert RFM_GRID[(r, f)] != RFM_GRID[(r, f + 1)]
        else:
            r, f = round(y0 - 0.5), round(x0 + 0.5)
            assert RFM_GRID[(r, f)] != RFM_GRID[(r + 1, f)]


def test_grid_uses_the_segments_of_the_data_for_a_custom_grid(segments):
    custom = {cell: ("vip" if cell == (5, 5) else RFM_GRID[cell]) for cell in RFM_GRID}
    labels = {"vip": {"fr": "Très grands comptes", "en": "VIP"}}
    data = rfm_segments(segments.drop(columns="rfm_segment"), grid=custom, labels=labels)
    ax = plot_rfm_grid(data, lang="en")
    assert _cell_texts(ax)[(5, 5)] == "VIP\n2"


def test_grid_of_scores_other_than_5_shows_counts_only():
    rfm = pd.DataFrame(
        {
            "customer_id": list("abcdef"),
            "days_since_last": [1, 2, 3, 4, 5, 6],
            "orders": [6, 5, 4, 3, 2, 1],
            "monetary": [60.0, 50.0, 40.0, 30.0, 20.0, 10.0],
        }
    )
    scores = rfm_scores(rfm, bins=3)
    # R: a, b -> 3; c, d -> 2; e, f -> 1 and F the same: the diagonal holds 2 each.
    ax = plot_rfm_grid(scores, lang="en")
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), np.diag([2, 2, 2]))
    assert sorted(t.get_text() for t in ax.texts) == ["0"] * 6 + ["2"] * 3
    assert ax.get_title() == label("rfm_counts_title", "en")
    assert ax.get_xlabel() == "F score (frequency): 3 = most orders"


def test_grid_draws_on_the_given_axes(segments):
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_rfm_grid(segments, ax=right) is right
    assert left.get_images() == [] and len(right.get_images()) == 1
    assert len(fig.axes) == 3  # and the colour bar


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_segment_bars_are_the_summary_shares_by_revenue(segments, lang):
    summary = rfm_summary(segments, lang=lang)
    ax = plot_rfm_segments(summary, lang=lang)
    # Segments with customers, by revenue: champions 8,000, need_attention 1,500, lost 480
    # (total 9,980); customers 2, 1, 3 of 6.
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == [
        f"{label('champions', lang)} (2)",
        f"{label('need_attention', lang)} (1)",
        f"{label('lost', lang)} (3)",
    ]
    customer_bars, revenue_bars = ax.patches[:3], ax.patches[3:]
    np.testing.assert_allclose([b.get_width() for b in customer_bars], [2 / 6, 1 / 6, 3 / 6])
    np.testing.assert_allclose(
        [b.get_width() for b in revenue_bars], [8_000 / 9_980, 1_500 / 9_980, 480 / 9_980]
    )
    # Top-down reading: each segment's customer bar sits just above its revenue bar.
    assert all(c.get_y() < r.get_y() for c, r in zip(customer_bars, revenue_bars, strict=True))
    assert ax.yaxis_inverted()
    assert ax.get_title() == label("rfm_segments_title", lang)


def test_segment_bars_without_customers_say_so():
    empty = rfm_summary(rfm_segments(rfm_scores(pd.DataFrame(
        {"customer_id": [], "days_since_last": [], "orders": [], "monetary": []}))))  # fmt: skip
    ax = plot_rfm_segments(empty, lang="fr")
    assert len(ax.patches) == 0 and [t.get_text() for t in ax.texts] == [label("no_data", "fr")]
