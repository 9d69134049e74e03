"""Chart of a migration matrix: customers (or revenue) moving between the classes of two dates.

Takes :func:`portfolio_lib.metrics.migration.migration_matrix` unchanged; labels follow ``lang``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, Normalize, TwoSlopeNorm
from matplotlib.patches import Rectangle

from portfolio_lib import i18n
from portfolio_lib.i18n import label
from portfolio_lib.metrics.migration import class_name
from portfolio_lib.plots.common import (
    COLORS,
    get_ax,
    money_in_unit,
    money_unit,
    no_data,
    plain_text,
)

__all__ = ["plot_migration"]

i18n.register(
    {
        "migration_title_customers": {
            "fr": "{kind} : d'où viennent les clients",
            "en": "{kind}: where customers moved",
        },
        "migration_title_revenue_change": {
            "fr": "{kind} : variation du CA par mouvement",
            "en": "{kind}: revenue change by move",
        },
        "migration_title_revenue_before": {
            "fr": "{kind} : CA avant, par mouvement",
            "en": "{kind}: revenue before, by move",
        },
        "migration_title_revenue_after": {
            "fr": "{kind} : CA maintenant, par mouvement",
            "en": "{kind}: revenue now, by move",
        },
        "migration_before_axis": {
            "fr": "Classe à la date d'avant",
            "en": "Class at the earlier date",
        },
        "migration_after_axis": {"fr": "Classe aujourd'hui", "en": "Class now"},
    }
)


def plot_migration(
    data: pd.DataFrame,
    *,
    value: str = "customers",
    kind: str = "abc",
    dates: tuple[object, object] | None = None,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of a migration matrix, the customers who kept their class framed.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.migration.migration_matrix` (classes then as rows,
        ``new`` last; classes now as columns, ``lost`` last).
    value : {'customers', 'revenue_before', 'revenue_after', 'revenue_change'}
        What the matrix holds: counts and revenues in blue, the revenue change red (lost)
        to green (won), white at 0.
    kind : str, default 'abc'
        The classification (its label titles the chart: 'abc', 'pmg', 'rfm_class', 'phase',
        'tier').
    dates : (date, date), optional
        The two dates compared, for the title.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The image is ``ax.images[0]`` (its array is the matrix).
    """
    ax = get_ax(ax, figsize=(8, 5))
    if data.size == 0 or not np.isfinite(data.to_numpy(dtype=float)).any():
        return no_data(ax, lang=lang)
    matrix = data.to_numpy(dtype=float)
    if value == "revenue_change":
        reach = max(float(np.abs(matrix).max()), 1.0)
        norm: Normalize = TwoSlopeNorm(vmin=-reach, vcenter=0.0, vmax=reach)
        colors = [COLORS["lost"], "#ffffff", COLORS["new"]]
    else:
        norm = Normalize(vmin=0.0, vmax=max(float(matrix.max()), 1.0))
        colors = ["#ffffff", COLORS["active"]]
    cmap = LinearSegmentedColormap.from_list(value, colors)
    ax.imshow(matrix, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    unit = money_unit(float(np.abs(matrix).max()))  # every cell in one unit
    for (r, c), cell in np.ndenumerate(matrix):
        if cell == 0:
            continue
        shade = float(np.clip(norm(cell), 0, 1))
        dark = abs(shade - 0.5) > 0.35 if value == "revenue_change" else shade > 0.6
        text = (i18n.format_number(cell, lang) if value == "customers"
                else money_in_unit(cell, unit, lang, sign=False))  # fmt: skip
        ax.text(c, r, text, ha="center", va="center", fontsize=9,
                color="white" if dark else COLORS["ink"])  # fmt: skip
    for r, name in enumerate(data.index):
        if name in data.columns:
            c = list(data.columns).index(name)
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False,
                                   edgecolor=COLORS["ink"], linewidth=1.2))  # fmt: skip
    ax.set_xticks(range(len(data.columns)), [plain_text(class_name(c, lang)) for c in data.columns])
    ax.set_yticks(range(len(data.index)), [plain_text(class_name(r, lang)) for r in data.index])
    ax.tick_params(axis="both", labelsize=9, length=0)
    ax.grid(False)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(label("migration_after_axis", lang))
    ax.set_ylabel(label("migration_before_axis", lang))
    title = label(f"migration_title_{value}", lang).format(kind=label(kind, lang))
    if dates is not None:
        before, after = (i18n.month_label(pd.Timestamp(d), lang) for d in dates)
        title = f"{title} ({before} → {after})"
    ax.set_title(title, pad=28)
    return ax
