"""Charts of the cost of winning and keeping customers: CAC, CRC, CAC by channel, payback, LTV/CAC.

Each function takes the table made by the matching function of :mod:`portfolio_lib.metrics.costs`
(``cost_summary``, ``acquisition_costs``, ``retention_costs``, ``cac_payback``) unchanged,
draws on ``ax`` (a new figure when missing) and returns it; labels follow ``lang``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from portfolio_lib import i18n
from portfolio_lib.i18n import label
from portfolio_lib.metrics.costs import ltv_to_cac
from portfolio_lib.plots.common import (
    COLORS,
    align_twin,
    check_one_row_per_period,
    currency_axis,
    get_ax,
    no_data,
    number_axis,
    per_period,
    period_axis,
    period_kind,
    period_rows,
    plain_text,
)

__all__ = ["plot_cac_by_channel", "plot_cost_trend", "plot_ltv_to_cac", "plot_payback"]

# kind -> (spend column, customers column, cost per customer column, line colour, bar colour)
_KINDS = {
    "acquisition": (
        "acquisition_spend",
        "new_customers",
        "cac",
        COLORS["new"],
        COLORS["new_light"],
    ),
    "retention": (
        "retention_spend",
        "retained_customers",
        "crc",
        COLORS["revenue"],
        COLORS["revenue_light"],
    ),
}
_CAC_BARS = COLORS["contraction"]  # money going out
_LTV_BARS = COLORS["margin"]  # margin coming back
_HEALTHY_MULTIPLE = 3.0  # the usual rule of thumb: LTV above 3 x CAC
_INK, _MUTED = COLORS["ink"], COLORS["muted"]

i18n.register(
    {
        "cost_trend_title_acquisition": {
            "fr": "Acquisition : dépenses et CAC {per}",
            "en": "Acquisition: spend and CAC {per}",
        },
        "cost_trend_title_retention": {
            "fr": "Fidélisation : dépenses et CRC {per}",
            "en": "Retention: spend and CRC {per}",
        },
        "cost_average": {"fr": "{name} moyen : {value}", "en": "Average {name}: {value}"},
        "cost_no_spend_acquisition": {
            "fr": "Aucune dépense d'acquisition connue sur la période",
            "en": "No acquisition spend known over the period",
        },
        "cost_no_spend_retention": {
            "fr": "Aucune dépense de fidélisation connue sur la période",
            "en": "No retention spend known over the period",
        },
        "cac_short": {"fr": "CAC", "en": "CAC"},
        "crc_short": {"fr": "CRC", "en": "CRC"},
        "cac_by_channel_title": {
            "fr": "CAC par canal d'acquisition : {period}",
            "en": "CAC by acquisition channel: {period}",
        },
        "cac_channel_note": {
            "fr": "{cac} · {n} nouveaux clients",
            "en": "{cac} · {n} new customers",
        },
        "cac_channel_no_customer": {
            "fr": "{spend} dépensés, aucun client attribué",
            "en": "{spend} spent, no customer attributed",
        },
        "payback_title": {
            "fr": "Retour sur CAC : mois de marge pour rembourser l'acquisition",
            "en": "CAC payback: months of margin to recover the acquisition cost",
        },
        "payback_cohort": {
            "fr": "Nouveaux clients acquis {per}",
            "en": "New customers acquired {per}",
        },
        "payback_median": {"fr": "Médiane : {value} mois", "en": "Median: {value} months"},
        "months_unit": {"fr": "Mois", "en": "Months"},
        "ltv_cac_title": {
            "fr": "Valeur vie client (LTV) et coût d'acquisition (CAC)",
            "en": "Customer lifetime value (LTV) and acquisition cost (CAC)",
        },
        "ltv_short": {"fr": "LTV", "en": "LTV"},
        "ltv_cac_ratio": {"fr": "LTV / CAC = {value}", "en": "LTV / CAC = {value}"},
        "ltv_cac_healthy": {
            "fr": "3 × CAC (seuil d'une acquisition rentable)",
            "en": "3 × CAC (rule of thumb for healthy acquisition)",
        },
    }
)


def plot_cost_trend(
    data: pd.DataFrame,
    *,
    kind: str = "acquisition",
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Spend per period as bars, CAC (or CRC) as a line, with its average over the periods.

    The average is pooled: total spend / total new (or retained) customers over the periods
    whose spend is recorded, so a period with few customers does not weigh as much as a busy
    one. Periods without recorded spend have no bar and a gap in the line.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.costs.cost_summary`, or :func:`~portfolio_lib.metrics.costs.acquisition_costs`
        (kind 'acquisition') / :func:`~portfolio_lib.metrics.costs.retention_costs` (kind 'retention')
        without ``by_channel``.
    kind : {'acquisition', 'retention'}
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The Axes of the spend bars; the cost per customer is on its twin (right axis).
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'acquisition' or 'retention', got {kind!r}")
    spend_column, count_column, cost_column, color, bar_color = _KINDS[kind]
    ax = get_ax(ax)
    if len(data) == 0:
        return no_data(ax, lang=lang)
    check_one_row_per_period(data, "plot_cost_trend")
    period_unit = period_kind(data["period"].tolist())
    x = np.arange(len(data))
    spend = data[spend_column].to_numpy(dtype=float)
    if not np.isfinite(spend).any():
        return no_data(ax, lang=lang, text=label(f"cost_no_spend_{kind}", lang))
    costs = data[cost_column].to_numpy(dtype=float)
    bars = ax.bar(x, np.nan_to_num(spend), 0.75, color=bar_color, label=label(spend_column, lang))
    ax.set_ylim(0, max(float(np.nanmax(np.r_[spend, 0.0])), 1.0) * 1.3)  # room for the legend
    currency_axis(ax, lang=lang)
    ax.set_ylabel(label(spend_column, lang), color=_MUTED)
    period_axis(ax, data["period_end"], period_unit, lang=lang)

    trend = ax.twinx()
    trend.plot(x, costs, color=color, linewidth=2.2, marker="o", markersize=3,
               label=label(cost_column, lang))  # fmt: skip
    handles, texts = [bars, trend.get_lines()[0]], [label(spend_column, lang)]
    texts.append(label(cost_column, lang))
    recorded = np.isfinite(spend)
    customers = data[count_column].to_numpy(dtype=float)[recorded].sum()
    if customers > 0:
        average = spend[recorded].sum() / customers
        text = label("cost_average", lang).format(
            name=label(f"{cost_column}_short", lang),
            value=i18n.format_currency(average, lang),
        )
        handles.append(trend.axhline(average, color=color, linestyle="--", linewidth=1,
                                     alpha=0.7))  # fmt: skip
        texts.append(text)
    finite = np.flatnonzero(np.isfinite(costs))
    if finite.size:
        i = finite[-1]
        trend.annotate(i18n.format_currency(costs[i], lang), (x[i], costs[i]), xytext=(0, 8),
                       textcoords="offset points", ha="center", va="bottom", fontsize=9,
                       fontweight="bold", color=color)  # fmt: skip
    top = float(np.nanmax(costs)) * 1.12 if finite.size and np.nanmax(costs) > 0 else 1.0
    currency_axis(trend, lang=lang)
    align_twin(ax, trend, top)  # after the formatter: the shared grid fixes the twin's ticks
    trend.grid(False)
    trend.set_ylabel(label(f"{cost_column}_short", lang), color=color)
    ax.legend(handles, texts, loc="upper left", frameon=False, fontsize=9, ncol=3)
    ax.set_title(label(f"cost_trend_title_{kind}", lang).format(per=per_period(period_unit, lang)))
    return ax


def plot_cac_by_channel(
    data: pd.DataFrame,
    *,
    period: str | None = None,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """CAC of each acquisition channel in one period, most expensive on top, new customers noted.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.costs.acquisition_costs` with ``by_channel=True``.
    period : str, optional
        Label of the period (a value of ``data["period"]``, e.g. ``"2025"``); default the last.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per channel (CAC; 0 width when unknown), sorted by CAC descending,
        channels without a CAC last.
    """
    if "channel" not in data:
        raise ValueError(
            "plot_cac_by_channel needs the table of acquisition_costs(..., by_channel=True)"
        )
    ax = get_ax(ax)
    if len(data) == 0:
        return no_data(ax, lang=lang)
    rows = period_rows(data, period)
    rows = rows.sort_values("cac", ascending=False, na_position="last", kind="stable")
    cac = rows["cac"].to_numpy(dtype=float)
    positions = np.arange(len(rows))
    ax.barh(positions, np.nan_to_num(cac), 0.6, color=COLORS["new"])
    largest = max(float(np.nanmax(np.r_[cac, 0.0])), 1.0)
    for position, value, new, spend in zip(
        positions, cac, rows["new_customers"], rows["acquisition_spend"], strict=True
    ):
        if np.isfinite(value):
            text = label("cac_channel_note", lang).format(
                cac=i18n.format_currency(value, lang), n=i18n.format_number(new, lang)
            )
        else:
            text = label("cac_channel_no_customer", lang).format(
                spend=i18n.format_currency(spend, lang, compact=True)
            )
        ax.text(np.nan_to_num(value) + largest * 0.02, position, text, va="center", fontsize=9,
                color=_INK)  # fmt: skip
    ax.set_yticks(positions, [plain_text(label(str(c), lang)) for c in rows["channel"]])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, largest * 1.6)  # room for the notes
    currency_axis(ax, axis="x", lang=lang)
    ax.grid(axis="y", visible=False)
    first = rows.iloc[0]
    name = i18n.period_name(pd.Timestamp(first["period_end"]), period_kind([first["period"]]), lang)
    ax.set_title(label("cac_by_channel_title", lang).format(period=name))
    return ax


def plot_payback(
    data: pd.DataFrame,
    *,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Months of gross margin each cohort of new customers needs to pay back its CAC.

    Bars per acquisition period; the dashed line is the median over the periods with a
    payback (periods whose CAC is unknown or whose cohort earned no margin have no bar).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.costs.cac_payback` or :func:`~portfolio_lib.metrics.costs.cost_summary`.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    if len(data) == 0:
        return no_data(ax, lang=lang)
    check_one_row_per_period(data, "plot_payback")
    kind = period_kind(data["period"].tolist())
    x = np.arange(len(data))
    months = data["payback_months"].to_numpy(dtype=float)
    ax.bar(x, np.nan_to_num(months), 0.75, color=COLORS["revenue"],
           label=label("payback_months", lang))  # fmt: skip
    finite = months[np.isfinite(months)]
    decimals = 1 if finite.size and finite.max() < 10 else 0
    if finite.size:
        median = float(np.median(finite))
        ax.axhline(median, color=COLORS["alert"], linestyle="--", linewidth=1.2,
                   label=label("payback_median", lang).format(
                       value=i18n.format_number(median, lang, decimals=1)))  # fmt: skip
        ax.set_ylim(0, float(finite.max()) * 1.25)
        if len(data) <= 16:  # few bars: each one labelled
            for i, value in zip(x, months, strict=True):
                if np.isfinite(value):
                    ax.text(i, value, i18n.format_number(value, lang, decimals=1), ha="center",
                            va="bottom", fontsize=9, color=_INK)  # fmt: skip
    period_axis(ax, data["period_end"], kind, lang=lang)
    number_axis(ax, lang=lang, decimals=decimals)
    ax.set_ylabel(label("months_unit", lang))
    ax.set_xlabel(label("payback_cohort", lang).format(per=per_period(kind, lang)),
                  color=_MUTED, fontsize=9)  # fmt: skip
    ax.set_title(label("payback_title", lang))
    ax.legend(loc="upper left", frameon=False, fontsize=9)
    return ax


def plot_ltv_to_cac(
    ltv: float | pd.Series,
    cac: float | pd.Series,
    *,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """LTV next to CAC (for the portfolio, or per group), with the 3 x CAC mark and the ratio.

    Parameters
    ----------
    ltv : float or pandas.Series
        Customer lifetime value, e.g. ``simple_clv(...)["clv"]`` (:mod:`portfolio_lib.metrics.clv`).
    cac : float or pandas.Series
        Acquisition cost, aligned on the same index when both are Series.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Per group, a CAC bar then an LTV bar (horizontal); the ratio
        (:func:`portfolio_lib.metrics.costs.ltv_to_cac`) is written right of them.
    """
    ax = get_ax(ax, figsize=(9, 2.6))
    ratio = ltv_to_cac(ltv, cac)
    if isinstance(ratio, pd.Series):
        frame = pd.DataFrame({"ltv": ltv, "cac": cac}).reindex(ratio.index)
        frame["ratio"] = ratio
        names = [plain_text(label(str(name), lang)) for name in frame.index]
    else:
        frame = pd.DataFrame({"ltv": [float(ltv)], "cac": [float(cac)], "ratio": [ratio]})
        names = [""]
    if len(frame) == 0:
        return no_data(ax, lang=lang)
    positions = np.arange(len(frame))
    height = 0.36
    values_cac = frame["cac"].to_numpy(dtype=float)
    values_ltv = frame["ltv"].to_numpy(dtype=float)
    ax.barh(positions - height / 2, np.nan_to_num(values_cac), height, color=_CAC_BARS,
            label=label("cac_short", lang))  # fmt: skip
    ax.barh(positions + height / 2, np.nan_to_num(values_ltv), height, color=_LTV_BARS,
            label=label("ltv_short", lang))  # fmt: skip
    largest = max(float(np.nanmax(np.r_[values_ltv, values_cac * _HEALTHY_MULTIPLE, 1.0])), 1.0)
    for position, c, v, r in zip(positions, values_cac, values_ltv, frame["ratio"], strict=True):
        # The CAC value goes right of the 3 x CAC mark, which would cross it otherwise.
        for offset, value, at in ((-height / 2, c, c * _HEALTHY_MULTIPLE), (height / 2, v, v)):
            ax.text(np.nan_to_num(at) + largest * 0.01, position + offset,
                    i18n.format_currency(value, lang, compact=True), va="center", fontsize=9,
                    color=_INK)  # fmt: skip
        ax.plot([c * _HEALTHY_MULTIPLE] * 2, [position - 0.42, position + 0.42], color=_MUTED,
                linestyle="--", linewidth=1.2)  # fmt: skip
        ax.text(largest * 1.2, position, label("ltv_cac_ratio", lang).format(
                    value=i18n.format_number(r, lang, decimals=1)),
                va="center", ha="left", fontsize=11, fontweight="bold",
                color=COLORS["good"] if r >= _HEALTHY_MULTIPLE else COLORS["alert"])  # fmt: skip
    ax.set_yticks(positions, names)
    ax.set_ylim(len(frame) - 0.5, -0.5)
    ax.set_xlim(0, largest * 1.6)
    currency_axis(ax, axis="x", lang=lang)
    ax.grid(axis="y", visible=False)
    handles, texts = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color=_MUTED, linestyle="--", linewidth=1.2))
    texts.append(label("ltv_cac_healthy", lang))
    # Above the bars, under the title: no bar or value can hide it.
    ax.legend(handles, texts, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False,
              fontsize=9, borderaxespad=0.2)  # fmt: skip
    ax.set_title(label("ltv_cac_title", lang), pad=26)
    return ax
