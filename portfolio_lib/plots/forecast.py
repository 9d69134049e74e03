"""Charts of the forecast and the what-if (:mod:`portfolio_lib.studies.forecast`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from portfolio_lib.i18n import format_percent, label
from portfolio_lib.plots.common import COLORS, currency_axis, get_ax, no_data, plain_text
from portfolio_lib.studies.forecast import FORECAST_LEVEL  # and the labels it registers

__all__ = ["plot_forecast", "plot_what_if"]


def plot_forecast(
    data: pd.DataFrame,
    *,
    level: float = FORECAST_LEVEL,
    ax: Axes | None = None,
    lang: str = "fr",
) -> Axes:
    """Horizontal bars of the forecast revenue per group, with their intervals, largest on top.

    Parameters
    ----------
    data : pandas.DataFrame
        ``forecast_study(...).by_group[key]`` or ``.portfolio``: ``forecast_revenue``,
        ``forecast_revenue_low`` and ``forecast_revenue_high`` by group (index).
    level : float, default 0.90
        Coverage of the intervals (quoted in the title).
    ax : matplotlib Axes, optional
    lang : {'fr', 'en'}

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    if data.empty:
        return no_data(ax, lang=lang)
    ordered = data.sort_values("forecast_revenue", ascending=True, kind="stable")
    names = [label(str(v), lang) if str(v) == "unknown" else plain_text(v) for v in ordered.index]
    value = ordered["forecast_revenue"].to_numpy(float)
    spread = np.vstack(
        [
            value - ordered["forecast_revenue_low"].to_numpy(float),
            ordered["forecast_revenue_high"].to_numpy(float) - value,
        ]
    )
    ax.barh(names, value, xerr=spread, color=COLORS["revenue"], ecolor="#444444", capsize=3)
    currency_axis(ax, axis="x", lang=lang)
    ax.set_xlabel(label("forecast_revenue", lang))
    by = data.index.name or "portfolio"
    ax.set_ylabel(label(by, lang))
    ax.set_title(
        label("forecast_title", lang).format(
            by=label(by, lang).lower(), level=format_percent(level, lang, decimals=0)
        )
    )
    return ax


def plot_what_if(table: pd.DataFrame, *, ax: Axes | None = None, lang: str = "fr") -> Axes:
    """Next year's revenue without change and in the scenario: current and new customers stacked.

    Parameters
    ----------
    table : pandas.DataFrame
        ``what_if_study(...).table``.
    ax : matplotlib Axes, optional
    lang : {'fr', 'en'}

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax, figsize=(7, 4.5))
    columns = ["what_if_baseline", "what_if_scenario"]
    names = [label(c, lang) for c in columns]
    existing = table.loc["what_if_revenue_existing", columns].to_numpy(float)
    new = table.loc["what_if_revenue_new", columns].to_numpy(float)
    ax.bar(names, existing, color=COLORS["revenue"], label=label("what_if_revenue_existing", lang))
    ax.bar(
        names, new, bottom=existing, color=COLORS["new"], label=label("what_if_revenue_new", lang)
    )
    currency_axis(ax, axis="y", lang=lang)
    ax.set_ylabel(label("what_if_revenue", lang))
    ax.set_title(label("what_if_title", lang))
    ax.legend(loc="lower right")
    return ax
