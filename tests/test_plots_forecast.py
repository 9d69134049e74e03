"""Charts of the forecast and the what-if: what is drawn equals the tables."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from portfolio_lib.i18n import label
from portfolio_lib.plots.forecast import plot_forecast, plot_what_if


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


BY_REP = pd.DataFrame(
    {
        "forecast_revenue": [300.0, 100.0, 200.0],
        "forecast_revenue_low": [250.0, 90.0, 150.0],
        "forecast_revenue_high": [380.0, 115.0, 260.0],
    },
    index=pd.Index(["Julie", "Paul", "unknown"], name="sales_rep"),
)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_forecast_bars_and_intervals_are_the_table(lang):
    ax = plot_forecast(BY_REP, lang=lang)
    widths = [bar.get_width() for bar in ax.patches]
    assert widths == [100.0, 200.0, 300.0]  # smallest at the bottom
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == ["Paul", label("unknown", lang), "Julie"]
    # The error bars run from the low to the high end of each interval.
    segments = ax.collections[0].get_segments()
    ends = [(s[0][0], s[1][0]) for s in segments]
    np.testing.assert_allclose(ends, [(90.0, 115.0), (150.0, 260.0), (250.0, 380.0)])
    assert ax.get_ylabel() == label("sales_rep", lang)
    assert ("90" in ax.get_title()) and label("sales_rep", lang).lower() in ax.get_title()


def test_what_if_stacks_current_and_new_customers():
    table = pd.DataFrame(
        {"what_if_baseline": [1000.0, 0.0], "what_if_scenario": [1100.0, 250.0]},
        index=["what_if_revenue_existing", "what_if_revenue_new"],
    )
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_what_if(table, ax=right, lang="en") is right
    assert not left.patches
    heights = [(bar.get_y(), bar.get_height()) for bar in right.patches]
    assert heights == [(0.0, 1000.0), (0.0, 1100.0), (1000.0, 0.0), (1100.0, 250.0)]
    assert [t.get_text() for t in right.get_xticklabels()] == ["No change", "Scenario"]
