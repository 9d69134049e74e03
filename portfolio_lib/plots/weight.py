"""Charts of the weight of the portfolio: revenue and active customers over time, weight by group.

Each function takes the table made by the matching function of :mod:`portfolio_lib.metrics.weight`
(``weight_over_time``, ``weight_by``) unchanged, draws on ``ax`` (a new figure when missing)
and returns it; labels follow ``lang``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from portfolio_lib import i18n
from portfolio_lib.i18n import label
from portfolio_lib.plots.common import (
    COLORS,
    align_twin,
    check_one_row_per_period,
    currency_axis,
    get_ax,
    no_data,
    number_axis,
    partial_periods,
    per_period,
    percent_axis,
    period_axis,
    period_kind,
    plain_text,
)

__all__ = ["plot_weight_by", "plot_weight_trend"]

_PERIOD_BARS = COLORS["revenue_light"]  # period revenue bars sit behind the trend line
_INK, _MUTED = COLORS["ink"], COLORS["muted"]
_TREND_LINES = ("revenue_window", "active_customers")

i18n.register(
    {
        "weight_trend_title_revenue_window": {
            "fr": "Chiffre d'affaires {per} et CA glissant",
            "en": "Revenue {per} and trailing revenue",
        },
        "weight_trend_title_active_customers": {
            "fr": "Chiffre d'affaires {per} et clients actifs",
            "en": "Revenue {per} and active customers",
        },
        "weight_period_revenue": {"fr": "CA de la période", "en": "Revenue of the period"},
        "weight_by_title": {
            "fr": "{by} : part du chiffre d'affaires et part des clients actifs",
            "en": "{by}: share of revenue and share of active customers",
        },
        "weight_penetration_short": {"fr": "Pénétration", "en": "Penetration"},
    }
)


def plot_weight_trend(
    data: pd.DataFrame,
    *,
    line: str = "revenue_window",
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Revenue of each period as bars, with the trailing revenue or the active customers as a line.

    The line is on a second y axis (``ax.twinx()``, on the right) since its scale differs;
    its last value is written at its end. Partial periods (the data start or ``as_of`` in
    the middle of a quarter or a year) have lighter, hatched bars: their revenue is not
    comparable with a full period.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.weight.weight_over_time` without ``by`` (one row per period).
    line : {'revenue_window', 'active_customers'}
        The trend drawn as a line: trailing revenue over the activity window, or active
        customers at each period end.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The Axes of the bars; the line is on its twin, the other Axes of ``ax.figure``.
    """
    if line not in _TREND_LINES:
        raise ValueError(f"line must be one of {list(_TREND_LINES)}, got {line!r}")
    ax = get_ax(ax)
    if len(data) == 0:
        return no_data(ax, lang=lang)
    check_one_row_per_period(data, "plot_weight_trend")
    kind = period_kind(data["period"].tolist())
    x = np.arange(len(data))
    revenue = data["revenue"].to_numpy(dtype=float)
    partial = partial_periods(data, kind)
    bars = ax.bar(x, revenue, 0.75, color=_PERIOD_BARS, label=label("weight_period_revenue", lang))
    for patch, is_partial in zip(bars.patches, partial, strict=True):
        if is_partial:
            patch.set_alpha(0.5)
            patch.set_hatch("///")
            patch.set_edgecolor("white")
    ax.set_ylim(
        min(0.0, float(np.nanmin(revenue))) * 1.1, max(float(np.nanmax(revenue)), 1.0) * 1.2
    )
    currency_axis(ax, lang=lang)
    ax.set_ylabel(label("weight_period_revenue", lang), color=_MUTED)
    period_axis(ax, data["period_end"], kind, lang=lang)

    trend = ax.twinx()
    values = data[line].to_numpy(dtype=float)
    color = COLORS["revenue"] if line == "revenue_window" else COLORS["new"]
    trend.plot(x, values, color=color, linewidth=2.2, marker="o", markersize=3,
               label=label(line, lang))  # fmt: skip
    if line == "revenue_window":
        currency_axis(trend, lang=lang)
        last = i18n.format_currency(values[-1], lang, compact=True)
    else:
        number_axis(trend, lang=lang)
        last = i18n.format_number(values[-1], lang)
    # After the formatters: the shared grid fixes the twin's ticks.
    if np.nanmin(values) >= 0:
        align_twin(ax, trend, float(np.nanmax(values)) * 1.12, integer=line == "active_customers")
    else:  # a negative trailing revenue (credit notes): no shared grid
        trend.set_ylim(float(np.nanmin(values)) * 1.1, float(np.nanmax(values)) * 1.15)
    trend.grid(False)
    trend.set_ylabel(label(line, lang), color=color)
    trend.annotate(last, (x[-1], values[-1]), xytext=(0, 8), textcoords="offset points",
                   ha="center", va="bottom", fontsize=9, fontweight="bold",
                   color=color)  # fmt: skip
    handles = [Patch(color=_PERIOD_BARS), trend.get_lines()[0]]  # not the first, maybe hatched, bar
    texts = [label("weight_period_revenue", lang), label(line, lang)]
    if partial.any():
        handles.append(Patch(facecolor=_PERIOD_BARS, alpha=0.5, hatch="///", edgecolor="white"))
        texts.append(label("plot_partial_period", lang))
    ax.legend(handles, texts, loc="upper left", frameon=False, fontsize=9)
    ax.set_title(label(f"weight_trend_title_{line}", lang).format(per=per_period(kind, lang)))
    return ax


def _merge_tail(data: pd.DataFrame, by: str, max_groups: int) -> pd.DataFrame:
    """The ``max_groups - 1`` largest groups, then one row 'other' adding up the rest."""
    if len(data) <= max_groups:
        return data
    head, tail = data.iloc[: max_groups - 1], data.iloc[max_groups - 1 :]
    other = {by: "other"}
    for column in ("customers", "customer_share", "revenue", "revenue_share", "potential"):
        if column in data:
            other[column] = tail[column].sum()
    if "penetration" in data:
        potential = other["potential"]
        other["penetration"] = other["revenue"] / potential if potential > 0 else np.nan
    return pd.concat([head, pd.DataFrame([other])], ignore_index=True)


def plot_weight_by(
    data: pd.DataFrame,
    *,
    by: str | None = None,
    max_groups: int = 12,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Share of revenue and share of active customers of each group, largest revenue on top.

    When the table has a penetration (revenue / potential), it is written in a column on
    the right of the bars.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.weight.weight_by` (sorted by revenue, the group column first).
    by : str, optional
        The group column (``'segment'``, ``'sales_rep'``...); default the first column.
    max_groups : int, default 12
        Beyond this many groups the smallest ones are merged into one bar "other".
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Two horizontal bar containers, revenue share (first) and customer share, one bar per
        group (after merging) in the order of ``data``.
    """
    if max_groups < 2:
        raise ValueError(f"max_groups must be at least 2, got {max_groups}")
    ax = get_ax(ax)
    if len(data) == 0:
        return no_data(ax, lang=lang)
    by = by or str(data.columns[0])
    shown = _merge_tail(data, by, max_groups)
    names = [plain_text(label(str(name), lang)) for name in shown[by]]
    customer_share = shown["customer_share"].to_numpy(dtype=float, na_value=0.0)
    revenue_share = shown["revenue_share"].to_numpy(dtype=float, na_value=0.0)
    positions = np.arange(len(shown))
    height = 0.4
    # Revenue above customers within each group (the y axis is inverted: largest on top).
    revenue = ax.barh(positions - height / 2, revenue_share, height, color=COLORS["revenue"],
                      label=label("revenue_share", lang))  # fmt: skip
    customers = ax.barh(positions + height / 2, customer_share, height, color=COLORS["customer_share"],
                        label=label("customer_share", lang))  # fmt: skip
    for bars in (revenue, customers):
        ax.bar_label(bars, labels=[i18n.format_percent(v, lang, decimals=0)
                                   for v in bars.datavalues], padding=3, fontsize=8,
                     color=_INK)  # fmt: skip
    top = max(float(np.nanmax(np.r_[customer_share, revenue_share])), 0.05)
    right = top * 1.18
    ax.set_ylim(len(shown) - 0.45, -0.55)  # inverted: the largest group on top
    if "penetration" in shown:
        # A column of penetration rates right of the bars, like a table next to the chart.
        column_x = top * 1.34
        right = top * 1.48
        ax.axvspan(top * 1.2, right, color=COLORS["panel"], linewidth=0, zorder=0)
        ax.text(column_x, -0.55, label("weight_penetration_short", lang), ha="center",
                va="bottom", fontsize=9, fontweight="bold", color=_MUTED)  # fmt: skip
        for position, rate in zip(positions, shown["penetration"], strict=True):
            ax.text(column_x, position, i18n.format_percent(rate, lang, decimals=0),
                    ha="center", va="center", fontsize=9, color=_INK)  # fmt: skip
    ax.set_yticks(positions, names)
    ax.set_xlim(0, right)
    percent_axis(ax, axis="x", lang=lang)
    ticks = ax.get_xticks()
    ax.set_xticks(ticks[(ticks >= 0) & (ticks <= top * 1.2)])  # no share scale under the column
    ax.set_xlim(0, right)
    ax.grid(axis="y", visible=False)
    # Above the bars, under the title: no bar can hide it.
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False, fontsize=9,
              borderaxespad=0.2)  # fmt: skip
    ax.set_title(label("weight_by_title", lang).format(by=label(by, lang)), pad=26)
    return ax
