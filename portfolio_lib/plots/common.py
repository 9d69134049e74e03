"""What every chart shares: theme, colours, money and percent axes, KPI tiles.

Chart functions follow seaborn's contract: data first, keyword options, ``ax=None`` (a new
figure when missing), draw only through ``ax``, return the Axes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import FuncFormatter

from .. import i18n

__all__ = [
    "COLORS",
    "Kpi",
    "currency_axis",
    "get_ax",
    "kpi_tiles",
    "percent_axis",
    "set_theme",
]

# One meaning, one colour, in every chart and report.
COLORS = {
    "revenue": "#1f4e79",
    "margin": "#2e8b57",
    "potential": "#b0b7c3",
    "active": "#1f4e79",
    "new": "#2e8b57",
    "reactivated": "#66c2a5",
    "retained": "#9aa5b1",
    "expansion": "#8fd18f",
    "contraction": "#f4a582",
    "lost": "#c0392b",
    "churned": "#c0392b",
    "A": "#1f4e79",
    "B": "#5b8db8",
    "C": "#c6d7ea",
    "small": "#c6d7ea",
    "medium": "#5b8db8",
    "large": "#1f4e79",
    "childhood": "#66c2a5",
    "adolescence": "#2e8b57",
    "adulthood": "#1f4e79",
    "old_age": "#c0392b",
    "neutral": "#9aa5b1",
    "alert": "#c0392b",
    "good": "#2e8b57",
}


def set_theme() -> None:
    """Seaborn's clean theme with readable sizes; call once at the top of a notebook."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", rc={"figure.dpi": 100})
    plt.rcParams.update({"axes.titleweight": "bold", "axes.titlesize": 13})


def get_ax(ax: Axes | None, *, figsize: tuple[float, float] = (9, 4.5)) -> Axes:
    """``ax`` itself, or the Axes of a new figure of ``figsize``."""
    if ax is not None:
        return ax
    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


def currency_axis(ax: Axes, *, axis: str = "y", lang: str = "fr") -> Axes:
    """Ticks in compact euros (1,2 M€ / €1.2M) on ``axis`` ('x' or 'y')."""
    formatter = FuncFormatter(lambda v, _pos: i18n.format_currency(v, lang, compact=True))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)
    return ax


def percent_axis(ax: Axes, *, axis: str = "y", lang: str = "fr", decimals: int = 0) -> Axes:
    """Ticks as percentages of shares in 0-1 (12 % / 12%)."""
    formatter = FuncFormatter(lambda v, _pos: i18n.format_percent(v, lang, decimals=decimals))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)
    return ax


@dataclass(frozen=True)
class Kpi:
    """One headline figure: value, how to format it, optional change and whether up is good."""

    value: float
    kind: str = "number"  # number, currency or percent
    change: float | None = None  # relative change vs the previous window, e.g. 0.08
    higher_is_better: bool = True


def _format(value: float, kind: str, lang: str) -> str:
    if kind == "currency":
        return i18n.format_currency(value, lang, compact=True)
    if kind == "percent":
        return i18n.format_percent(value, lang)
    return i18n.format_number(value, lang)


def kpi_tiles(
    kpis: Mapping[str, Kpi],
    *,
    columns: int = 4,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Headline figures as tiles: label, value, and the change coloured good/bad.

    Parameters
    ----------
    kpis : mapping
        ``{label key: Kpi}``; keys are translated with :func:`portfolio_lib.i18n.label`.
    columns : int, default 4
        Tiles per row.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    items: Sequence[tuple[str, Kpi]] = list(kpis.items())
    rows = max(1, -(-len(items) // columns))
    ax = get_ax(ax, figsize=(2.6 * columns, 1.5 * rows))
    ax.set_xlim(0, columns)
    ax.set_ylim(0, rows)
    ax.set_axis_off()
    for i, (key, kpi) in enumerate(items):
        x, y = i % columns, rows - 1 - i // columns
        ax.add_patch(
            FancyBboxPatch(
                (x + 0.05, y + 0.08),
                0.9,
                0.84,
                boxstyle="round,pad=0,rounding_size=0.06",
                facecolor="#f3f6fa",
                edgecolor="#d5dde8",
            )
        )
        ax.text(x + 0.5, y + 0.72, i18n.label(key, lang), ha="center", va="center", fontsize=9,
                color="#4a5a6a", wrap=True)  # fmt: skip
        ax.text(x + 0.5, y + 0.45, _format(kpi.value, kpi.kind, lang), ha="center",
                va="center", fontsize=16, fontweight="bold", color="#1b2a3a")  # fmt: skip
        if kpi.change is not None and kpi.change == kpi.change:  # not NaN
            good = (kpi.change >= 0) == kpi.higher_is_better
            arrow = "▲" if kpi.change >= 0 else "▼"
            text = f"{arrow} {i18n.format_percent(abs(kpi.change), lang)}"
            ax.text(x + 0.5, y + 0.2, text, ha="center", va="center", fontsize=9,
                    color=COLORS["good"] if good else COLORS["alert"])  # fmt: skip
    return ax
