"""Charts of the portfolio's value: the break-even curve and the ideal customer profile's lifts.

Each function takes the table made by :mod:`portfolio_lib.studies.value` (``ValueStudy.ranked``,
``ValueStudy.profile``), draws on ``ax`` (a new figure when missing) and returns it; labels
follow ``lang``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from portfolio_lib import i18n
from portfolio_lib.i18n import label
from portfolio_lib.plots.common import COLORS, currency_axis, get_ax, no_data, plain_text, shorten

__all__ = ["plot_break_even", "plot_profile_lift"]

i18n.register(
    {
        "break_even_title": {
            "fr": "Point mort : les premiers clients couvrent-ils les charges fixes ?",
            "en": "Break-even: do the top customers cover the fixed charges?",
        },
        "break_even_axis": {
            "fr": "Clients classés du plus gros au plus petit",
            "en": "Customers ranked from biggest to smallest",
        },
        "cumulative_value": {"fr": "{value} cumulé(e)", "en": "Cumulative {value}"},
        "break_even_mark": {
            "fr": "{k} clients couvrent les charges",
            "en": "{k} customers cover the charges",
        },
        "profile_title": {
            "fr": "Profil du client idéal\nsur-représentation chez les meilleurs ({top})",
            "en": "Ideal customer profile\nover-representation among the best ({top})",
        },
        "lift_axis": {
            "fr": "Lift (1 = comme dans le portefeuille)",
            "en": "Lift (1 = as in the portfolio)",
        },
    }
)


def plot_break_even(
    data: pd.DataFrame,
    *,
    fixed_charges: float,
    value: str = "margin",
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Cumulative value of the customers ranked biggest first, against the fixed charges.

    Parameters
    ----------
    data : pandas.DataFrame
        ``ValueStudy.ranked``: ``rank`` and ``cumulative``.
    fixed_charges : float
        Drawn as a horizontal line; the first rank reaching it is marked.
    value : str, default 'margin'
        What is cumulated ('margin' or 'revenue'), for the axis label.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    if len(data) == 0:
        return no_data(ax, lang=lang)
    rank = data["rank"].to_numpy()
    cumulative = data["cumulative"].to_numpy(dtype=float)
    name = label(value, lang)
    ax.plot(rank, cumulative, color=COLORS["margin"], label=label("cumulative_value", lang).format(
        value=name))  # fmt: skip
    if fixed_charges > 0:
        ax.axhline(fixed_charges, color=COLORS["lost"], linestyle="--",
                   label=label("fixed_charges", lang))  # fmt: skip
        reached = np.flatnonzero(cumulative >= fixed_charges - 1e-9)
        if reached.size:
            k = int(rank[reached[0]])
            ax.axvline(k, color=COLORS["muted"], linestyle=":")
            ax.annotate(
                label("break_even_mark", lang).format(k=i18n.format_number(k, lang)),
                (k, fixed_charges), xytext=(8, -16), textcoords="offset points", fontsize=9,
            )  # fmt: skip
    currency_axis(ax, lang=lang)
    ax.set_xlim(0, rank[-1])
    ax.set_ylim(0, None)
    ax.set_xlabel(label("break_even_axis", lang))
    ax.legend(loc="lower right", frameon=False)
    ax.set_title(label("break_even_title", lang))
    return ax


def plot_profile_lift(
    data: pd.DataFrame,
    *,
    top: str = "profile_top_abc",
    n: int = 15,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """The ``n`` most over-represented traits among the best customers, by lift.

    Parameters
    ----------
    data : pandas.DataFrame
        ``ValueStudy.profile`` (:func:`portfolio_lib.metrics.profile.trait_lift`).
    top : str
        Label key of who the best customers are (``ValueStudy.profile_top``).
    n : int, default 15
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    shown = data[data["lift"].notna()].head(n)
    ax = get_ax(ax, figsize=(9, max(3.0, 0.4 * len(shown) + 1.5)))
    if len(shown) == 0:
        return no_data(ax, lang=lang)
    sep = " : " if lang == "fr" else ": "  # French typography
    names = [
        shorten(f"{label(str(trait), lang)}{sep}{plain_text(label(str(value), lang))}", 45)
        for trait, value in zip(shown["trait"], shown["trait_value"], strict=True)
    ]
    lift = shown["lift"].to_numpy(dtype=float)
    colors = [COLORS["margin"] if x > 1 else COLORS["muted"] for x in lift]
    positions = np.arange(len(shown))
    bars = ax.barh(positions, lift, 0.6, color=colors)
    ax.bar_label(bars, labels=[i18n.format_number(x, lang, decimals=2) for x in lift],
                 padding=3, fontsize=9)  # fmt: skip
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(positions, names)
    ax.invert_yaxis()
    ax.set_xlim(0, max(float(lift.max()), 1.0) * 1.15)
    ax.set_xlabel(label("lift_axis", lang))
    ax.grid(axis="y", visible=False)
    ax.set_title(label("profile_title", lang).format(top=label(top, lang)))
    return ax
