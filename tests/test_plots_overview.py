"""Overview tiles built from the weight KPIs and the concentration figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from portfolio_lib.plots.overview import headline_tiles, plot_headline

KPIS = pd.Series(
    {
        "active_customers": 1480.0,
        "revenue": 70_653_229.6,
        "revenue_growth": 0.3236,
        "margin_rate": 0.223,
        "revenue_per_customer": 47_738.7,
        "new_customers": 603.0,
        "lost_customers": 362.0,
        "churn_rate": 0.296,
        "penetration": float("nan"),
    }
)
SHARES = pd.Series({"top_10_share": 0.308, "hhi": 372.8})


def test_tiles_in_reading_order_with_meaningful_directions():
    tiles = headline_tiles(KPIS, SHARES)
    assert list(tiles) == [
        "revenue",
        "active_customers",
        "revenue_per_customer",
        "margin_rate",
        "new_customers",
        "lost_customers",
        "churn_rate",
        "top_10_share",
        "hhi",
    ]  # no penetration tile: the potential is unknown (NaN)
    assert tiles["revenue"].change == 0.3236 and tiles["revenue"].kind == "currency"
    assert not tiles["churn_rate"].higher_is_better and not tiles["hhi"].higher_is_better


def test_plot_headline_draws_every_tile_on_the_given_axes():
    _, ax = plt.subplots()
    assert plot_headline(KPIS, SHARES, lang="en", columns=3, ax=ax) is ax
    texts = [t.get_text() for t in ax.texts]
    assert len(ax.patches) == 9
    assert "€71M" in texts and "29.6%" in texts and "▲ 32.4%" in texts
    plt.close("all")
