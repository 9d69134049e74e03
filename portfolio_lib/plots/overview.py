"""The overview's headline tiles, from the weight KPIs and the concentration figures."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

from portfolio_lib.plots.common import Kpi, kpi_tiles

__all__ = ["headline_tiles", "plot_headline"]


def headline_tiles(kpis: pd.Series, shares: pd.Series | None = None) -> dict[str, Kpi]:
    """The tiles of the overview, in reading order.

    Parameters
    ----------
    kpis : pandas.Series
        :func:`portfolio_lib.metrics.weight.headline_kpis`.
    shares : pandas.Series, optional
        :func:`portfolio_lib.metrics.balance.concentration` of the same window.
    """
    tiles = {
        "revenue": Kpi(kpis["revenue"], "currency", change=kpis.get("revenue_growth")),
        "active_customers": Kpi(kpis["active_customers"]),
        "revenue_per_customer": Kpi(kpis["revenue_per_customer"], "currency"),
        "margin_rate": Kpi(kpis["margin_rate"], "percent"),
        "new_customers": Kpi(kpis["new_customers"]),
        "lost_customers": Kpi(kpis["lost_customers"], higher_is_better=False),
        "churn_rate": Kpi(kpis["churn_rate"], "percent", higher_is_better=False),
    }
    if "penetration" in kpis and pd.notna(kpis["penetration"]):
        tiles["penetration"] = Kpi(kpis["penetration"], "percent")
    if shares is not None:
        tiles["top_10_share"] = Kpi(shares["top_10_share"], "percent", higher_is_better=False)
        tiles["hhi"] = Kpi(shares["hhi"], higher_is_better=False)
    return tiles


def plot_headline(
    kpis: pd.Series,
    shares: pd.Series | None = None,
    *,
    columns: int = 4,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Headline figures of the portfolio as tiles (revenue with its growth, customers, churn...)."""
    return kpi_tiles(headline_tiles(kpis, shares), columns=columns, lang=lang, ax=ax)
