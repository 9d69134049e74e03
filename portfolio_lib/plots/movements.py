"""Charts of the portfolio movements: customers won and lost, churn, revenue bridge, cohorts.

Each function takes the table made by the matching function of :mod:`portfolio_lib.metrics.movements`
(``movements``, ``revenue_bridge``, ``cohort_matrix``) unchanged, draws on ``ax`` (a new figure
when missing) and returns it; labels follow ``lang``.

The period axis, the shading of incomplete periods and the axes formats come from
:mod:`portfolio_lib.plots.common`, shared with the weight and cost charts.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, Normalize, TwoSlopeNorm
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from portfolio_lib import i18n
from portfolio_lib.i18n import label
from portfolio_lib.plots.common import (
    COLORS,
    check_one_row_per_period,
    currency_axis,
    get_ax,
    money_in_unit,
    money_unit,
    no_data,
    number_axis,
    per_period,
    percent_axis,
    period_axis,
    period_kind,
    period_rows,
    shade_periods,
)

__all__ = [
    "plot_churn",
    "plot_cohorts",
    "plot_movements",
    "plot_revenue_bridge",
    "plot_revenue_retention",
]

_INK, _MUTED = COLORS["ink"], COLORS["muted"]
# Above this many cells the cohort grid is too dense to read a number in each.
_MAX_ANNOTATED_CELLS = 196

i18n.register(
    {
        "movements_title": {
            "fr": "Clients gagnés et perdus {per}",
            "en": "Customers won and lost {per}",
        },
        "movements_net": {"fr": "Variation nette", "en": "Net change"},
        "incomplete_history": {
            "fr": "Historique plus court que la fenêtre d'activité",
            "en": "History shorter than the activity window",
        },
        "churn_title": {"fr": "Taux d'attrition {per}", "en": "Churn rate {per}"},
        "retention_title": {"fr": "Taux de rétention {per}", "en": "Retention rate {per}"},
        "rate_average": {
            "fr": "Moyenne des périodes complètes : {value}",
            "en": "Average of complete periods: {value}",
        },
        "bridge_title": {
            "fr": "Pont du chiffre d'affaires : {period}",
            "en": "Revenue bridge: {period}",
        },
        "bridge_windows": {
            "fr": "CA glissant : fin {start} → fin {end}",
            "en": "Trailing revenue: end of {start} → end of {end}",
        },
        "cohort_title_active_share": {
            "fr": "Part des clients actifs, par cohorte d'acquisition",
            "en": "Share of customers active, by acquisition cohort",
        },
        "cohort_title_revenue_share": {
            "fr": "CA par rapport à la période d'acquisition, par cohorte",
            "en": "Revenue relative to the acquisition period, by cohort",
        },
        "cohort_title_nrr": {
            "fr": "Rétention nette du CA (NRR) de chaque cohorte, période par période",
            "en": "Net revenue retention (NRR) of each cohort, period by period",
        },
        "revenue_retention_title": {
            "fr": "Rétention nette et brute du CA {per}",
            "en": "Net and gross revenue retention {per}",
        },
        "cohort_offset_month": {
            "fr": "Mois depuis l'acquisition",
            "en": "Months since acquisition",
        },
        "cohort_offset_quarter": {
            "fr": "Trimestres depuis l'acquisition",
            "en": "Quarters since acquisition",
        },
        "cohort_offset_year": {
            "fr": "Années depuis l'acquisition",
            "en": "Years since acquisition",
        },
    }
)


# --------------------------------------------------------------------------------------------
# Movements and churn


def plot_movements(
    data: pd.DataFrame,
    *,
    lang: str = "fr",
    ax: Axes | None = None,
    net: bool = True,
) -> Axes:
    """Customers won (new, reactivated: up) and lost (down) per period, with the net change.

    Periods whose ``complete_history`` is False (the activity window reaches before the
    data) are drawn lighter on a grey background: their counts read a truncated history.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.movements.movements` without ``by`` (one row per period).
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional
    net : bool, default True
        Draw the net change (new + reactivated - lost) as a line.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    if len(data) == 0:
        return no_data(ax, lang=lang)
    check_one_row_per_period(data, "plot_movements")
    kind = period_kind(data["period"].tolist())
    x = np.arange(len(data))
    new = data["new"].to_numpy(dtype=float)
    reactivated = data["reactivated"].to_numpy(dtype=float)
    lost = data["lost"].to_numpy(dtype=float)
    incomplete = ~data["complete_history"].to_numpy(dtype=bool)
    width = 0.8
    groups = [
        ax.bar(x, new, width, color=COLORS["new"], label=label("new", lang)),
        ax.bar(x, reactivated, width, bottom=new, color=COLORS["reactivated"],
               label=label("reactivated", lang)),
        ax.bar(x, -lost, width, color=COLORS["lost"], label=label("lost", lang)),
    ]  # fmt: skip
    for bars in groups:
        for patch, light in zip(bars.patches, incomplete, strict=True):
            patch.set_alpha(0.45 if light else 1.0)
    net_line = None
    if net:
        (net_line,) = ax.plot(x, new + reactivated - lost, color=_INK, linewidth=1.5, marker="o",
                markersize=3, label=label("movements_net", lang))  # fmt: skip
    ax.axhline(0, color=_MUTED, linewidth=0.8)
    top = float(np.nanmax(np.r_[new + reactivated, 1.0]))
    bottom = float(np.nanmax(np.r_[lost, 0.0]))
    ax.set_ylim(-(bottom * 1.15 + top * 0.03), top * 1.35)  # headroom for the legend
    shade = shade_periods(ax, incomplete)
    period_axis(ax, data["period_end"], kind, lang=lang)
    number_axis(ax, lang=lang)
    ax.set_ylabel(label("customers", lang))
    ax.set_title(label("movements_title", lang).format(per=per_period(kind, lang)))
    # Legend keys drawn here: the containers would lend the key the light first bar.
    handles = [Patch(color=COLORS[key]) for key in ("new", "reactivated", "lost")]
    texts = [label(key, lang) for key in ("new", "reactivated", "lost")]
    if net_line is not None:
        handles.append(net_line)
        texts.append(label("movements_net", lang))
    if shade is not None:
        handles.append(shade)
        texts.append(label("incomplete_history", lang))
    ax.legend(handles, texts, loc="upper right", ncol=3, frameon=False, fontsize=9)
    return ax


def plot_churn(
    data: pd.DataFrame,
    *,
    rate: str = "churn_rate",
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Churn (or retention) rate per period, with its average over the complete periods.

    The average is pooled: lost / active at start summed over the periods with a complete
    history (retention: 1 minus it), so large periods weigh more than small ones. Periods
    with an incomplete history are on a grey background.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.movements.movements` without ``by``.
    rate : {'churn_rate', 'retention_rate'}
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    if rate not in ("churn_rate", "retention_rate"):
        raise ValueError(f"rate must be 'churn_rate' or 'retention_rate', got {rate!r}")
    ax = get_ax(ax)
    if len(data) == 0:
        return no_data(ax, lang=lang)
    check_one_row_per_period(data, "plot_churn")
    kind = period_kind(data["period"].tolist())
    x = np.arange(len(data))
    values = data[rate].to_numpy(dtype=float)
    color = COLORS["lost"] if rate == "churn_rate" else COLORS["good"]
    ax.plot(x, values, color=color, linewidth=2, marker="o", markersize=3.5,
            label=label(rate, lang))  # fmt: skip
    complete = data["complete_history"].to_numpy(dtype=bool)
    lost = data["lost"].to_numpy(dtype=float)[complete].sum()
    start = data["active_start"].to_numpy(dtype=float)[complete].sum()
    finite = values[np.isfinite(values)]
    decimals = 1 if finite.size and np.nanmax(np.abs(finite)) < 0.2 else 0
    if start > 0:
        average = lost / start if rate == "churn_rate" else 1.0 - lost / start
        ax.axhline(average, color=color, linestyle="--", linewidth=1, alpha=0.7,
                   label=label("rate_average", lang).format(
                       value=i18n.format_percent(average, lang, decimals=decimals)))  # fmt: skip
    last = np.flatnonzero(np.isfinite(values))
    if last.size:
        i = last[-1]
        ax.annotate(i18n.format_percent(values[i], lang, decimals=decimals), (x[i], values[i]),
                    xytext=(6, 0), textcoords="offset points", ha="left", va="center",
                    fontsize=9, fontweight="bold", color=color)  # fmt: skip
    if finite.size:
        if rate == "churn_rate":
            ax.set_ylim(0, max(float(finite.max()) * 1.3, 0.01))
        else:
            low = float(finite.min())
            ax.set_ylim(max(0.0, low - (1 - low) * 0.5 - 0.01), 1.0 + (1 - low) * 0.15 + 0.002)
    shade = shade_periods(ax, ~complete)
    period_axis(ax, data["period_end"], kind, lang=lang)
    ax.set_xlim(-0.6, len(data) - 0.4 + max(1.0, len(data) * 0.07))  # room for the last value
    percent_axis(ax, lang=lang, decimals=decimals)
    title = "churn_title" if rate == "churn_rate" else "retention_title"
    ax.set_title(label(title, lang).format(per=per_period(kind, lang)))
    handles, texts = ax.get_legend_handles_labels()
    if shade is not None:
        handles.append(shade)
        texts.append(label("incomplete_history", lang))
    ax.legend(handles, texts, loc="lower left" if rate == "retention_rate" else "upper right",
              frameon=False, fontsize=9)  # fmt: skip
    return ax


# --------------------------------------------------------------------------------------------
# Revenue bridge

_BRIDGE_STEPS = (
    ("new", 1.0),
    ("reactivated", 1.0),
    ("expansion", 1.0),
    ("contraction", -1.0),
    ("churned", -1.0),
)


def plot_revenue_bridge(
    data: pd.DataFrame,
    *,
    period: str | None = None,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Waterfall from the revenue at the start to the revenue at the end of one period.

    Start (total), + new, + reactivated, + expansion, - contraction, - churned, end (total):
    the floating bars add up exactly to the end bar (the identity of the bridge).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.movements.revenue_bridge` without ``by``.
    period : str, optional
        Label of the period to show (a value of ``data["period"]``, e.g. ``"2025"``); default
        the last one.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Bars in order: start, the five steps, end; a decrease is a bar of negative height
        hanging from the running total.
    """
    ax = get_ax(ax)
    if len(data) == 0:
        return no_data(ax, lang=lang)
    check_one_row_per_period(data, "plot_revenue_bridge")
    row = period_rows(data, period, table="bridge").iloc[0]
    kind = period_kind([row["period"]])
    start, end = float(row["revenue_start"]), float(row["revenue_end"])
    names = ["revenue_start"] + [name for name, _ in _BRIDGE_STEPS] + ["revenue_end"]
    heights = [start] + [sign * float(row[name]) for name, sign in _BRIDGE_STEPS] + [end]
    bottoms = [0.0]
    level = start
    for height in heights[1:-1]:
        bottoms.append(level)
        level += height
    bottoms.append(0.0)
    colors = [COLORS["revenue"]] + [COLORS[name] for name, _ in _BRIDGE_STEPS]
    colors.append(COLORS["revenue"])
    x = np.arange(len(names))
    bars = ax.bar(x, heights, 0.65, bottom=bottoms, color=colors)
    # Running totals joined by thin steps, so the eye follows the path from start to end.
    for i in range(len(names) - 1):
        level = bottoms[i] + heights[i] if i else heights[0]
        ax.plot([x[i] + 0.33, x[i + 1] - 0.33], [level, level], color=_MUTED, linewidth=0.8,
                linestyle=":")  # fmt: skip
    span = max(abs(start), abs(end), max(b + h for b, h in zip(bottoms, heights, strict=True)))
    span = span or 1.0  # an all-zero bridge still gets a scale
    unit = money_unit(span)
    # One decimal, two when a step is below one unit (0,58 M€ would read 0,6 M€).
    steps = np.abs(heights[1:-1])
    decimals = 2 if np.any((steps > 0) & (steps < unit[0])) else 1
    for i, (patch, height) in enumerate(zip(bars.patches, heights, strict=True)):
        total = i in (0, len(names) - 1)
        text = money_in_unit(height, unit, lang, sign=not total, decimals=decimals)
        top = max(patch.get_y(), patch.get_y() + patch.get_height())
        ax.text(patch.get_x() + patch.get_width() / 2, top + span * 0.015, text, ha="center",
                va="bottom", fontsize=9, fontweight="bold" if total else "normal",
                color=_INK)  # fmt: skip
    ax.axhline(0, color=_MUTED, linewidth=0.8)
    ax.set_xticks(x, [textwrap.fill(label(name, lang), 14) for name in names], fontsize=9)
    ax.grid(axis="x", visible=False)
    ax.set_ylim(min(0.0, *(b + h for b, h in zip(bottoms, heights, strict=True))), span * 1.12)
    currency_axis(ax, lang=lang)
    previous_end = pd.Timestamp(row["period_start"]) - pd.DateOffset(months=1)
    ax.set_xlabel(
        label("bridge_windows", lang).format(
            start=i18n.period_name(previous_end, "month", lang),
            end=i18n.period_name(pd.Timestamp(row["period_end"]), "month", lang),
        ),
        fontsize=9,
        color=_MUTED,
    )
    name = i18n.period_name(pd.Timestamp(row["period_end"]), kind, lang)
    ax.set_title(label("bridge_title", lang).format(period=name))
    return ax


# --------------------------------------------------------------------------------------------
# Cohorts


def _cohort_kind(cohorts: pd.Index) -> str:
    """Period of the cohorts from the smallest gap between two of them (month if one)."""
    if len(cohorts) < 2:
        return "month"
    months = pd.DatetimeIndex(cohorts)
    gaps = np.diff(np.asarray(months.year * 12 + months.month))
    smallest = int(gaps.min())
    return "year" if smallest >= 12 else "quarter" if smallest >= 3 else "month"


def _thin(n: int, max_labels: int) -> np.ndarray:
    return np.arange(0, n, max(1, -(-n // max_labels)))


def plot_cohorts(
    data: pd.DataFrame,
    *,
    value: str = "active_share",
    period: str | None = None,
    annotate: bool | None = None,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Cohort triangle as a heatmap: one row per acquisition cohort, one column per period since.

    ``active_share`` runs from white (0 %) to dark blue (100 %); ``revenue_share`` (revenue
    of the period / revenue of the acquisition period) and ``nrr`` (net revenue retention of
    the cohort in each period, :func:`portfolio_lib.metrics.retention.retention_matrix`) are
    red below 100 % and green above, white at 100 %. Cells not yet observable are blank.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.movements.cohort_matrix` (index ``cohort``, columns ``offset``).
    value : {'active_share', 'revenue_share', 'nrr'}
        The value the matrix holds (the ``value`` passed to ``cohort_matrix``).
    period : {'month', 'quarter', 'year'}, optional
        Period of the cohorts (the ``period`` of ``cohort_table``); guessed from the gaps
        between cohorts when missing.
    annotate : bool, optional
        Write the percentage in each cell; by default when the grid has at most 196 cells.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The image is ``ax.images[0]`` (its array is the matrix, NaN cells masked); a
        colour bar is added next to ``ax`` on the same figure.
    """
    if value not in ("active_share", "revenue_share", "nrr"):
        raise ValueError(f"value must be 'active_share', 'revenue_share' or 'nrr', got {value!r}")
    ax = get_ax(ax)
    if data.size == 0:
        return no_data(ax, lang=lang)
    kind = period or _cohort_kind(data.index)
    matrix = data.to_numpy(dtype=float)
    finite = matrix[np.isfinite(matrix)]
    if value == "active_share":
        colors = ["#ffffff", COLORS["active"]]
        norm = Normalize(vmin=0.0, vmax=1.0)
    else:
        colors = [COLORS["lost"], "#ffffff", COLORS["new"]]
        high = max(1.5, float(np.percentile(finite, 95)) if finite.size else 1.5)
        norm = TwoSlopeNorm(vmin=0.0, vcenter=1.0, vmax=high)
    cmap = LinearSegmentedColormap.from_list(value, colors).with_extremes(bad="#ffffff")
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, norm=norm, aspect="auto",
                      interpolation="nearest")  # fmt: skip
    n_rows, n_columns = matrix.shape
    if annotate is None:
        annotate = matrix.size <= _MAX_ANNOTATED_CELLS
    if annotate:
        size = 9 if n_columns <= 8 else 8 if n_columns <= 12 else 7
        for (r, c), cell in np.ndenumerate(matrix):
            if not np.isfinite(cell):
                continue
            shade = float(np.clip(norm(cell), 0, 1))
            dark = shade > 0.6 if value == "active_share" else abs(shade - 0.5) > 0.35
            ax.text(c, r, i18n.format_percent(cell, lang, decimals=0), ha="center",
                    va="center", fontsize=size, color="white" if dark else _INK)  # fmt: skip
    rows = _thin(n_rows, 18)
    cohorts = pd.DatetimeIndex(data.index)
    ax.set_yticks(rows, [i18n.period_name(cohorts[r], kind, lang) for r in rows])
    columns = _thin(n_columns, 18)
    ax.set_xticks(columns, [str(data.columns[c]) for c in columns])
    ax.tick_params(axis="both", labelsize=9, length=0)
    ax.grid(False)
    ax.set_xlabel(label(f"cohort_offset_{kind}", lang))
    ax.set_ylabel(label("cohort", lang))
    ax.set_title(label(f"cohort_title_{value}", lang))
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.formatter = FuncFormatter(lambda v, _pos: i18n.format_percent(v, lang, decimals=0))
    bar.update_ticks()
    bar.outline.set_visible(False)
    return ax


# --------------------------------------------------------------------------------------------
# Net and gross revenue retention


def plot_revenue_retention(
    data: pd.DataFrame,
    *,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Net (NRR) and gross (GRR) revenue retention per period, against the 100 % line.

    Above 100 % the customers of the period before buy more, in total, than they did (NRR);
    GRR, without their expansion, is at most 100 %. Periods whose windows reach before the
    data are on a grey background.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.retention.revenue_retention` of a bridge without ``by``.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One line per rate (NRR first), y in shares of 1.
    """
    ax = get_ax(ax)
    if len(data) == 0:
        return no_data(ax, lang=lang)
    check_one_row_per_period(data, "plot_revenue_retention")
    kind = period_kind(data["period"].tolist())
    x = np.arange(len(data))
    ax.axhline(1.0, color=_MUTED, linewidth=1, linestyle=":")
    for rate, color in (("nrr", COLORS["active"]), ("grr", COLORS["lost"])):
        values = data[rate].to_numpy(dtype=float)
        ax.plot(x, values, color=color, linewidth=2, marker="o", markersize=4,
                label=label(rate, lang))  # fmt: skip
        last = np.flatnonzero(np.isfinite(values))
        if last.size:
            i = last[-1]
            ax.annotate(i18n.format_percent(values[i], lang, decimals=0), (x[i], values[i]),
                        xytext=(6, 0), textcoords="offset points", ha="left", va="center",
                        fontsize=9, fontweight="bold", color=color)  # fmt: skip
    shade = shade_periods(ax, ~data["complete_history"].to_numpy(dtype=bool))
    period_axis(ax, data["period_end"], kind, lang=lang)
    ax.set_xlim(-0.6, len(data) - 0.4 + max(1.0, len(data) * 0.07))
    percent_axis(ax, lang=lang, decimals=0)
    ax.set_title(label("revenue_retention_title", lang).format(per=per_period(kind, lang)))
    handles, texts = ax.get_legend_handles_labels()
    if shade is not None:
        handles.append(shade)
        texts.append(label("incomplete_history", lang))
    ax.legend(handles, texts, loc="lower left", frameon=False, fontsize=9)
    return ax
