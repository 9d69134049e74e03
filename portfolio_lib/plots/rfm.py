"""Charts of the RFM analysis: the R x F grid of segments and the segments' weight.

Each function takes the table made by :mod:`portfolio_lib.metrics.rfm` (``rfm_segments`` or
``rfm_scores`` for the grid, ``rfm_summary`` for the segment sizes), draws on ``ax`` (a new
figure when missing) and returns it; labels follow ``lang``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.axes import Axes

from portfolio_lib import i18n
from portfolio_lib.i18n import label
from portfolio_lib.metrics.rfm import RFM_GRID
from portfolio_lib.plots.common import COLORS, get_ax, no_data, number_axis, share_bars

__all__ = ["plot_rfm_grid", "plot_rfm_segments"]

i18n.register(
    {
        "rfm_grid_title": {
            "fr": "Grille RFM : segments et nombre de clients",
            "en": "RFM grid: segments and number of customers",
        },
        "r_score_axis": {
            "fr": "Score R (récence) : {top} = achat le plus récent",
            "en": "R score (recency): {top} = most recent purchase",
        },
        "f_score_axis": {
            "fr": "Score F (fréquence) : {top} = le plus de commandes",
            "en": "F score (frequency): {top} = most orders",
        },
        "rfm_counts_title": {
            "fr": "Grille RFM : nombre de clients par score R et F",
            "en": "RFM grid: number of customers by R and F score",
        },
        "rfm_segments_title": {
            "fr": "Segments RFM : part des clients et part du chiffre d'affaires",
            "en": "RFM segments: share of customers and share of revenue",
        },
    }
)


def _cell_segments(
    data: pd.DataFrame, bins: int, grid: Mapping[tuple[int, int], str] | None
) -> dict[tuple[int, int], str]:
    """Segment key of each (R, F) cell: the data's own, the grid's for empty cells."""
    cells: dict[tuple[int, int], str] = {}
    if grid is None and bins == 5:
        grid = RFM_GRID
    if grid is not None:
        cells.update({(int(r), int(f)): str(key) for (r, f), key in grid.items()})
    if "rfm_segment" in data.columns and len(data):
        # Every cell maps to exactly one segment (rfm_segments), so the first row tells.
        firsts = data.groupby(["r_score", "f_score"], observed=True)["rfm_segment"].first()
        cells.update({(int(r), int(f)): str(key) for (r, f), key in firsts.items()})
    return cells


def plot_rfm_grid(
    data: pd.DataFrame,
    *,
    grid: Mapping[tuple[int, int], str] | None = None,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of customers per (R score, F score) cell, with each cell's segment written in.

    Rows are R scores (most recent buyers on top), columns F scores (most frequent buyers on
    the right); the colour is the number of customers. Thick white lines separate segments.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.rfm.rfm_segments` (or :func:`portfolio_lib.metrics.rfm.rfm_scores`, then
        without segment names unless the scores are 1-5, which use :data:`RFM_GRID`).
    grid : mapping, optional
        ``{(r, f): segment key}`` given to ``rfm_segments``, to name cells without customers;
        default :data:`portfolio_lib.metrics.rfm.RFM_GRID` for 5 scores.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax, figsize=(9, 6))
    if len(data) == 0:
        return no_data(ax, lang=lang)
    bins = int(max(data["r_score"].max(), data["f_score"].max()))
    scores = range(1, bins + 1)
    counts = (
        pd.crosstab(data["r_score"], data["f_score"])
        .reindex(index=scores, columns=scores, fill_value=0)
        .to_numpy()
    )
    top = max(int(counts.max()), 1)
    image = ax.imshow(counts, origin="lower", cmap="Blues", vmin=0, vmax=top, aspect="auto",
                      extent=(0.5, bins + 0.5, 0.5, bins + 0.5))  # fmt: skip
    colorbar = ax.figure.colorbar(image, ax=ax, label=label("customers", lang))
    number_axis(colorbar.ax, lang=lang)  # whole customers, not 0.2 customer
    cells = _cell_segments(data, bins, grid)
    for r in scores:
        for f in scores:
            count = i18n.format_number(counts[r - 1, f - 1], lang)
            key = cells.get((r, f))
            text = count if key is None else f"{label(key, lang)}\n{count}"
            ax.text(f, r, text, ha="center", va="center", fontsize=11 if not cells else 8.5 if bins <= 5 else 7,
                    color="white" if counts[r - 1, f - 1] > 0.55 * top else COLORS["ink"])  # fmt: skip
            # Segment borders: right and top edges of the cell where the segment changes.
            if key is not None and f < bins and cells.get((r, f + 1), key) != key:
                ax.plot([f + 0.5, f + 0.5], [r - 0.5, r + 0.5], color="white", linewidth=3)
            if key is not None and r < bins and cells.get((r + 1, f), key) != key:
                ax.plot([f - 0.5, f + 0.5], [r + 0.5, r + 0.5], color="white", linewidth=3)
    ax.set_xticks(list(scores))
    ax.set_yticks(list(scores))
    ax.set_xlim(0.5, bins + 0.5)
    ax.set_ylim(0.5, bins + 0.5)
    ax.set_xlabel(label("f_score_axis", lang).format(top=bins))
    ax.set_ylabel(label("r_score_axis", lang).format(top=bins))
    ax.grid(False)
    ax.set_title(label("rfm_grid_title" if cells else "rfm_counts_title", lang))
    return ax


def plot_rfm_segments(data: pd.DataFrame, *, lang: str = "fr", ax: Axes | None = None) -> Axes:
    """Share of customers and share of revenue of each RFM segment, by revenue, largest on top.

    Segments without customers are left out.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.rfm.rfm_summary` (index ``rfm_segment``; ``customers``,
        ``customer_share``, ``revenue``, ``revenue_share``).
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax, figsize=(9, 6))
    shown = data[data["customers"] > 0]
    if len(shown) == 0:
        return no_data(ax, lang=lang)
    shown = shown.sort_values("revenue", ascending=False, kind="stable")
    names = [
        f"{label(str(key), lang)} ({i18n.format_number(n, lang)})"
        for key, n in zip(shown.index, shown["customers"], strict=True)
    ]
    share_bars(
        ax,
        names,
        shown["customer_share"].to_numpy(dtype=float, na_value=0.0),
        shown["revenue_share"].to_numpy(dtype=float, na_value=0.0),
        lang=lang,
        horizontal=True,
    )
    ax.legend(loc="lower right", frameon=False)
    ax.set_title(label("rfm_segments_title", lang))
    return ax
