"""Chart of the product mix: each group's revenue split across product families.

Takes :func:`portfolio_lib.metrics.products.product_mix` unchanged; labels follow ``lang``.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from portfolio_lib import i18n
from portfolio_lib.i18n import label
from portfolio_lib.metrics.migration import class_name
from portfolio_lib.plots.common import get_ax, no_data, percent_axis, plain_text

__all__ = ["plot_product_mix"]

i18n.register(
    {
        "product_mix_title_segment": {
            "fr": "Mix produits : part du CA de chaque famille, par segment",
            "en": "Product mix: each family's share of revenue, by segment",
        },
        "product_mix_title_tier": {
            "fr": "Mix produits : part du CA de chaque famille, par tranche du hit-parade",
            "en": "Product mix: each family's share of revenue, by hit-parade tier",
        },
    }
)


def plot_product_mix(
    data: pd.DataFrame,
    *,
    by: str = "segment",
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """One 100 % bar per group, cut by product family (share of the group's revenue).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.products.product_mix` (``group``, ``product``,
        ``revenue_share``).
    by : {'segment', 'tier'}
        What the groups are (the title; tiers are named "Tranche 1"...).
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per family (``ax.containers``), in the order of the legend.
    """
    ax = get_ax(ax, figsize=(9, 4.5))
    if data is None or not len(data):
        return no_data(ax, lang=lang)
    wide = data.pivot(index="group", columns="product", values="revenue_share").fillna(0.0)
    wide = wide[wide.sum().sort_values(ascending=False).index]  # largest family first
    tab10 = matplotlib.colormaps["tab10"].colors  # seaborn's "tab10" palette, cycled
    colors = [tab10[i % len(tab10)] for i in range(max(len(wide.columns), 1))]
    y = np.arange(len(wide))
    left = np.zeros(len(wide))
    for color, family in zip(colors, wide.columns, strict=False):
        share = wide[family].to_numpy()
        ax.barh(y, share, left=left, color=color, label=plain_text(family), height=0.7)
        for row, (start, width) in enumerate(zip(left, share, strict=True)):
            if width >= 0.06:
                ax.text(start + width / 2, row, i18n.format_percent(width, lang, decimals=0),
                        ha="center", va="center", fontsize=8, color="white")  # fmt: skip
        left += share
    names = [plain_text(class_name(g, lang) if by == "tier" else str(g)) for g in wide.index]
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    percent_axis(ax, axis="x", lang=lang, decimals=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    ax.set_title(label(f"product_mix_title_{by}", lang))
    ax.grid(False)
    return ax
