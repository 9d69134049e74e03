"""Charts of the balance of the portfolio: Pareto/ABC, class mixes, concentration, lifecycle,
the potential x penetration matrix, the hit-parade tiers and the relationship quality.

Each function takes the table made by the matching function of :mod:`portfolio_lib.metrics.balance`
(``abc_classes``, ``class_summary``, ``concentration``, ``lifecycle_summary``,
``potential_matrix_summary``), :mod:`~portfolio_lib.metrics.hitparade` (``tier_summary``) or
:mod:`~portfolio_lib.metrics.relationship` (``relationship_bands``), draws on ``ax`` (a new
figure when missing) and returns it; labels follow ``lang``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.i18n import label
from portfolio_lib.metrics.balance import ABC_CLASSES, LEVELS
from portfolio_lib.metrics.potential import VIVIER_PENETRATION, VIVIER_POTENTIAL
from portfolio_lib.plots.common import (
    COLORS,
    currency_axis,
    get_ax,
    no_data,
    percent_axis,
    plain_text,
    share_bars,
    shorten,
)

__all__ = [
    "plot_class_mix",
    "plot_concentration",
    "plot_hit_parade",
    "plot_lifecycle",
    "plot_pareto_curve",
    "plot_potential_matrix",
    "plot_relationship",
]

# Above this many customers the Pareto curve is drawn through evenly spaced points (plus the
# class boundaries): the curve is monotone and concave, so the picture is the same.
_MAX_CURVE_POINTS = 2_000

i18n.register(
    {
        "pareto_title": {
            "fr": "Courbe de Pareto : qui fait le chiffre d'affaires",
            "en": "Pareto curve: who makes the revenue",
        },
        "pareto_x": {
            "fr": "Part des clients, du plus gros au plus petit",
            "en": "Share of customers, largest first",
        },
        "equal_shares": {"fr": "Répartition égale", "en": "Equal shares"},
        "pareto_point": {
            "fr": "{customers} des clients\nfont {revenue} du CA",
            "en": "{customers} of customers\nmake {revenue} of revenue",
        },
        "n_customers_short": {"fr": "{n} clients", "en": "{n} customers"},
        "class_mix_title": {
            "fr": "{by} : part des clients et part du chiffre d'affaires",
            "en": "{by}: share of customers and share of revenue",
        },
        "below": {"fr": "< {value}", "en": "< {value}"},
        "from_to": {"fr": "{low} à {high}", "en": "{low} to {high}"},
        "from": {"fr": "≥ {value}", "en": "≥ {value}"},
        "concentration_title": {
            "fr": "Concentration du chiffre d'affaires",
            "en": "Revenue concentration",
        },
        "dependence_threshold": {
            "fr": "Seuil de dépendance ({share})",
            "en": "Dependence threshold ({share})",
        },
        "dependence_line": {
            "fr": "⚠ {name}\n    {share} du CA",
            "en": "⚠ {name}\n    {share} of revenue",
        },
        "lifecycle_title": {
            "fr": "Cycle de vie : clients et chiffre d'affaires par phase",
            "en": "Lifecycle: customers and revenue per phase",
        },
        "trend_short": {"fr": "CA {trend}", "en": "revenue {trend}"},
        "potential_matrix_title": {
            "fr": "Potentiel × pénétration : le vivier, zone de fragilité (texte 002)",
            "en": "Potential × penetration: the vivier, zone of fragility (text 002)",
        },
        "vivier_move_up": {
            "fr": "Vivier : {n} clients, les faire monter dans la matrice",
            "en": "Vivier: {n} customers, move them up the matrix",
        },
        "hit_parade_title": {
            "fr": "Hit-parade : {tiers} tranches de CA homogènes, ressources par tranche (texte 003)",
            "en": "Hit-parade: {tiers} homogeneous revenue tiers, resources per tier (text 003)",
        },
        "tier_short": {"fr": "Tranche {tier}", "en": "Tier {tier}"},
        "per_customer_short": {"fr": "{value} {unit} / client", "en": "{value} {unit} / customer"},
        "relationship_title": {
            "fr": "Qualité de la relation : clients, CA et potentiel (texte 000)",
            "en": "Relationship quality: customers, revenue and potential (text 000)",
        },
        "gap_short": {"fr": "{gap} à conquérir", "en": "{gap} to win"},
    }
)


# --------------------------------------------------------------------------------------------
# Shared pieces


def _customers_line(count: float, lang: str) -> str:
    """The "N clients" line under a bar's or a cell's name."""
    return label("n_customers_short", lang).format(n=i18n.format_number(count, lang))


def _figure_line(key: str, value: str, lang: str) -> str:
    """ "Indice HHI : 373" / "HHI: 373" (French puts a space before the colon)."""
    return f"{label(key, lang)}{' :' if lang == 'fr' else ':'} {value}"


def _concentration_lines(data: pd.Series, lang: str) -> list[str]:
    """HHI, Gini and the Pareto share, one line each."""
    lines = [
        _figure_line("hhi", i18n.format_number(data.get("hhi"), lang), lang),
        _figure_line("gini", i18n.format_number(data.get("gini"), lang, decimals=2), lang),
    ]
    pareto = next((k for k in data.index if re.fullmatch(r"pareto_\d+_share", str(k))), None)
    if pareto is not None and pd.notna(data[pareto]):
        target = int(str(pareto).split("_")[1]) / 100
        lines.append(
            label("pareto_point", lang).format(
                customers=i18n.format_percent(data[pareto], lang),
                revenue=i18n.format_percent(target, lang, decimals=0),
            )
        )
    return lines


def _signed_percent(value: float, lang: str) -> str:
    text = i18n.format_percent(value, lang, decimals=0)
    return text if value < 0 or text.startswith("0") else f"+{text}"


# --------------------------------------------------------------------------------------------
# Pareto / ABC


def plot_pareto_curve(
    data: pd.DataFrame,
    *,
    lang: str = "fr",
    ax: Axes | None = None,
    max_points: int = _MAX_CURVE_POINTS,
) -> Axes:
    """Pareto curve of the revenue with the A, B and C zones shaded.

    The curve is the cumulative share of revenue (y) made by the largest customers (x, share of
    customers ranked by revenue descending); the diagonal is an equal split. The zone of each
    ABC class is shaded and the end of class A (the customers making ``a_cut`` of the revenue)
    is annotated.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.balance.abc_classes` (ranked; ``cumulative_share``, ``abc``).
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional
    max_points : int, default 2000
        Beyond this many customers the curve goes through evenly spaced customers and the
        class boundaries (same picture, lighter figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    n = len(data)
    if n == 0:
        return no_data(ax, lang=lang)
    cumulative = data["cumulative_share"].to_numpy(dtype=float, na_value=0.0)
    classes = data["abc"].astype(str).to_numpy()
    counts = [int(np.sum(classes == key)) for key in ABC_CLASSES]
    ends = np.cumsum(counts)  # rows are ranked, so the classes are consecutive
    x = np.arange(1, n + 1) / n
    keep = np.arange(n)
    if n > max_points:
        keep = np.unique(np.r_[np.linspace(0, n - 1, max_points).astype(int), ends[ends > 0] - 1])
    start = 0.0
    for key, count, end in zip(ABC_CLASSES, counts, ends, strict=True):
        if count == 0:
            continue
        ax.axvspan(start, end / n, color=COLORS[key], alpha=0.25, linewidth=0)
        ax.text((start + end / n) / 2, 1.02, label(key, lang), ha="center", va="bottom",
                fontweight="bold", color=COLORS["revenue"])  # fmt: skip
        start = end / n
    ax.plot([0, 1], [0, 1], linestyle="--", linewidth=1, color=COLORS["neutral"],
            label=label("equal_shares", lang))  # fmt: skip
    ax.plot(np.r_[0.0, x[keep]], np.r_[0.0, cumulative[keep]], color=COLORS["revenue"],
            linewidth=2.2, label=label("cumulative_share", lang))  # fmt: skip
    if counts[0]:
        px, py = ends[0] / n, cumulative[ends[0] - 1]
        ax.plot([px], [py], marker="o", color=COLORS["alert"], zorder=5)
        text = label("pareto_point", lang).format(
            customers=i18n.format_percent(px, lang, decimals=1),
            revenue=i18n.format_percent(py, lang, decimals=0),
        )
        ax.annotate(
            text,
            xy=(px, py),
            xytext=(min(px + 0.12, 0.6), max(py - 0.3, 0.15)),
            arrowprops={"arrowstyle": "->", "color": COLORS["muted"]},
            fontsize=10,
            bbox={
                "boxstyle": "round,pad=0.3",
                "facecolor": "white",
                "edgecolor": COLORS["panel_edge"],
            },
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.08)
    percent_axis(ax, axis="x", lang=lang)
    percent_axis(ax, lang=lang)
    ax.set_xlabel(label("pareto_x", lang))
    ax.set_ylabel(label("cumulative_share", lang))
    ax.set_title(label("pareto_title", lang), pad=18)
    ax.legend(loc="lower right", frameon=False)
    return ax


def _threshold_ticks(thresholds: Sequence[float], lang: str) -> list[str]:
    low, high = (i18n.format_currency(v, lang, compact=True) for v in thresholds)
    return [
        label("below", lang).format(value=low),
        label("from_to", lang).format(low=low, high=high),
        label("from", lang).format(value=high),
    ]


def plot_class_mix(
    data: pd.DataFrame,
    *,
    value: str = "revenue",
    thresholds: Sequence[float] | None = None,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Share of customers and share of revenue of each class (ABC, PMG...), side by side.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.balance.class_summary` (index: the classes; ``customers``,
        ``customer_share``, ``{value}_share``).
    value : str, default 'revenue'
        The value summed by ``class_summary``.
    thresholds : (float, float), optional
        The PMG ``(medium_from, large_from)`` in euros (``pmg_classes(...).attrs["thresholds"]``),
        written under the class names.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    if len(data) == 0:
        return no_data(ax, lang=lang)
    names = [
        f"{plain_text(label(str(key), lang))}\n" + _customers_line(count, lang)
        for key, count in zip(data.index, data["customers"], strict=True)
    ]
    if thresholds is not None and len(data) == 3 and np.all(np.isfinite(thresholds)):
        names = [
            f"{n}\n{t}" for n, t in zip(names, _threshold_ticks(thresholds, lang), strict=True)
        ]
    share_bars(
        ax,
        names,
        data["customer_share"].to_numpy(dtype=float, na_value=0.0),
        data[f"{value}_share"].to_numpy(dtype=float, na_value=0.0),
        lang=lang,
    )
    by = label(data.index.name or "class", lang)
    ax.set_title(label("class_mix_title", lang).format(by=by))
    return ax


# --------------------------------------------------------------------------------------------
# Concentration


def plot_concentration(
    data: pd.Series,
    *,
    dependent: pd.DataFrame | None = None,
    dependence_alert: float = DEFAULTS["dependence_alert"],
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Share of revenue of the largest customers, against the dependence threshold.

    One bar per ``top_{k}_share`` (the top-1 bar in the alert colour when it is above the
    threshold), the threshold as a dashed line, and a box with the HHI, the Gini index, the
    Pareto share and the customers above the threshold.

    Parameters
    ----------
    data : pandas.Series
        :func:`portfolio_lib.metrics.balance.concentration`.
    dependent : pandas.DataFrame, optional
        :func:`portfolio_lib.metrics.balance.dependence_alerts` computed with the same threshold: its
        customers are named in the box (``name`` when present, else ``customer_id``).
    dependence_alert : float, default 0.15
        The threshold used for ``data``.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    keys = sorted(
        (k for k in data.index if re.fullmatch(r"top_\d+_share", str(k))),
        key=lambda k: int(str(k).split("_")[1]),
    )
    shares = data[keys].to_numpy(dtype=float) if keys else np.empty(0)
    if not keys or np.isnan(shares).all():
        return no_data(ax, lang=lang)
    positions = np.arange(len(keys))
    colors = [COLORS["revenue"]] * len(keys)
    if keys[0] == "top_1_share" and shares[0] > dependence_alert:
        colors[0] = COLORS["alert"]
    bars = ax.barh(positions, shares, 0.6, color=colors)
    ax.bar_label(bars, labels=[i18n.format_percent(v, lang) for v in shares], padding=3,
                 fontsize=10)  # fmt: skip
    ax.set_yticks(positions, [label(k, lang) for k in keys])
    ax.invert_yaxis()
    ax.axvline(dependence_alert, color=COLORS["alert"], linestyle="--", linewidth=1.2)
    threshold = label("dependence_threshold", lang).format(
        share=i18n.format_percent(dependence_alert, lang, decimals=0)
    )
    ax.text(dependence_alert, -0.75, f" {threshold}", color=COLORS["alert"], va="center",
            fontsize=9)  # fmt: skip
    # Room after the longest bar for its label; no tick beyond 100 %.
    right = max(float(np.nanmax(shares)), dependence_alert) * 1.3
    ax.set_xlim(0, right)
    percent_axis(ax, axis="x", lang=lang)
    if right > 1.0:
        ax.set_xticks(np.linspace(0.0, 1.0, 6))
    ax.set_ylim(len(keys) - 0.4, -1.0)
    ax.set_xlabel(label("revenue_share", lang))
    ax.grid(axis="y", visible=False)
    # The figures and the alerts in a side panel, right of the bars (constrained layout
    # makes room for it).
    ax.text(1.03, 1.0, "\n".join(_concentration_lines(data, lang)), transform=ax.transAxes,
            ha="left", va="top", fontsize=10, linespacing=1.6,
            bbox={"boxstyle": "round,pad=0.5", "facecolor": COLORS["panel"],
                  "edgecolor": COLORS["panel_edge"]})  # fmt: skip
    if dependent is not None:
        if len(dependent):
            names = (
                dependent["name"].fillna(dependent["customer_id"])
                if "name" in dependent
                else dependent["customer_id"]
            )
            text = "\n".join(
                label("dependence_line", lang).format(
                    name=plain_text(shorten(str(name))), share=i18n.format_percent(share, lang)
                )
                for name, share in list(zip(names, dependent["share"], strict=True))[:4]
            )
            color, weight = COLORS["alert"], "bold"
        else:
            text, color, weight = label("no_dependence", lang), COLORS["good"], "normal"
        ax.text(1.03, 0.42, text, transform=ax.transAxes, ha="left", va="top", color=color,
                fontweight=weight, fontsize=10, linespacing=1.4)  # fmt: skip
    ax.set_title(label("concentration_title", lang))
    return ax


# --------------------------------------------------------------------------------------------
# Lifecycle


def plot_lifecycle(data: pd.DataFrame, *, lang: str = "fr", ax: Axes | None = None) -> Axes:
    """Share of customers and share of recent revenue of each lifecycle phase.

    Under each phase: its customers and the trend of its revenue (recent window vs the one
    before). The recommended actions belong in a table next to the chart (``action`` column).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.balance.lifecycle_summary` (index ``phase``).
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    if len(data) == 0 or data["customers"].sum() == 0:
        return no_data(ax, lang=lang)
    names = []
    for phase, row in data.iterrows():
        name = f"{label(str(phase), lang)}\n" + _customers_line(row["customers"], lang)
        if pd.notna(row["trend"]):
            name += "\n" + label("trend_short", lang).format(
                trend=_signed_percent(row["trend"], lang)
            )
        names.append(name)
    share_bars(
        ax,
        names,
        data["customer_share"].to_numpy(dtype=float, na_value=0.0),
        data["revenue_share"].to_numpy(dtype=float, na_value=0.0),
        lang=lang,
    )
    # Phase colours on the tick labels tie the chart to the other lifecycle views.
    for tick, phase in zip(ax.get_xticklabels(), data.index, strict=True):
        tick.set_color(COLORS.get(str(phase), COLORS["ink"]))
    ax.set_title(label("lifecycle_title", lang))
    return ax


# --------------------------------------------------------------------------------------------
# Potential matrix


def plot_potential_matrix(data: pd.DataFrame, *, lang: str = "fr", ax: Axes | None = None) -> Axes:
    """3 x 3 heatmap of the revenue left to win, potential (rows) x penetration (columns).

    Laid out as course text 002's matrix: potential classes as rows, the highest last (at the
    bottom), penetration classes as columns from the highest to the lowest ("peu ou pas
    implantés" last). The *vivier*, the block at the intersection of the two last rows and the
    two last columns (zone of fragility: move them up the matrix), is framed bottom right. Each
    cell shows its customers and its revenue gap (potential - revenue); the colour is the gap.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.balance.potential_matrix_summary`.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax, figsize=(8, 5.5))
    rows = list(LEVELS)  # the highest potential in the last row
    columns = list(LEVELS)[::-1]  # the lowest penetration in the last column
    gap = data["gap"].reindex(index=rows, columns=columns).to_numpy(dtype=float, na_value=0.0)
    counts = data["customers"].reindex(index=rows, columns=columns).fillna(0).to_numpy(dtype=int)
    image = ax.imshow(gap, cmap="Blues", vmin=0, vmax=max(float(gap.max()), 1.0), aspect="auto")
    colorbar = ax.figure.colorbar(image, ax=ax, label=label("gap", lang))
    currency_axis(colorbar.ax, lang=lang)
    threshold = 0.55 * max(float(gap.max()), 1.0)
    in_block = np.outer(np.isin(rows, VIVIER_POTENTIAL), np.isin(columns, VIVIER_PENETRATION))
    for i in range(len(rows)):
        for j in range(len(columns)):
            lines = [
                _customers_line(counts[i, j], lang),
                label("gap_short", lang).format(
                    gap=i18n.format_currency(gap[i, j], lang, compact=True)
                ),
            ]
            ax.text(j, i, "\n".join(lines), ha="center", va="center", fontsize=10,
                    fontweight="bold" if in_block[i, j] else "normal",
                    color="white" if gap[i, j] > threshold else COLORS["ink"])  # fmt: skip
    block_rows, block_columns = (
        np.flatnonzero(in_block.any(axis=1)),
        np.flatnonzero(in_block.any(axis=0)),
    )
    if block_rows.size and block_columns.size:
        top, left = block_rows.min() - 0.48, block_columns.min() - 0.48
        height = block_rows.max() - block_rows.min() + 0.96
        width = block_columns.max() - block_columns.min() + 0.96
        ax.add_patch(Rectangle((left, top), width, height, fill=False, edgecolor=COLORS["alert"],
                               linewidth=3))  # fmt: skip
        text = label("vivier_move_up", lang).format(
            n=i18n.format_number(int(counts[in_block].sum()), lang)
        )
        ax.text(left + width / 2, top - 0.04, text, ha="center", va="bottom",
                color=COLORS["alert"], fontweight="bold", fontsize=10)  # fmt: skip
    ax.set_xticks(range(3), [label(c, lang) for c in columns])
    ax.set_yticks(range(3), [label(r, lang) for r in rows])
    ax.set_xlabel(label("penetration_class", lang))
    ax.set_ylabel(label("potential_class", lang))
    ax.grid(False)
    ax.set_title(label("potential_matrix_title", lang))
    return ax


# --------------------------------------------------------------------------------------------
# Hit-parade tiers and relationship quality


def _three_bars(
    ax: Axes, names: Sequence[str], data: pd.DataFrame, third: tuple[str, str], lang: str
) -> Axes:
    """Share of customers, of revenue and ``third`` (column, colour key; when ``data`` has
    it) of each category, side by side, labelled in %."""
    columns = [("customer_share", "customer_share"), ("revenue_share", "revenue"), third]
    series = [
        (column, data[column].to_numpy(dtype=float, na_value=0.0), color)
        for column, color in columns
        if column in data.columns
    ]
    positions = np.arange(len(names))
    width = 0.27
    for k, (key, values, color) in enumerate(series):
        bars = ax.bar(positions + (k - 1) * width, values, width, color=COLORS[color],
                      label=label(key, lang))  # fmt: skip
        ax.bar_label(bars, labels=[i18n.format_percent(v, lang, decimals=0) for v in values],
                     padding=2, fontsize=8)  # fmt: skip
    top = max(float(np.nanmax(np.r_[[v for _, v, _ in series]].ravel())), 0.05)
    ax.set_xticks(positions, names)
    ax.set_ylim(0, top * 1.15)
    percent_axis(ax, lang=lang)
    ax.grid(axis="x", visible=False)
    ax.legend(loc="best", frameon=False)
    return ax


def plot_hit_parade(
    data: pd.DataFrame, *, unit: str = "visits", lang: str = "fr", ax: Axes | None = None
) -> Axes:
    """Share of customers, of revenue and of resources of each hit-parade tier.

    Under each tier: its customers and the resources per customer (in ``unit``), the figure
    text 003 asks to look at: equal resources per tier give the biggest customers much more
    each.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.hitparade.tier_summary` with resources.
    unit : {'visits', 'hours', 'budget'}
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    if len(data) == 0 or data["customers"].sum() == 0:
        return no_data(ax, lang=lang)
    names = []
    for tier, row in data.iterrows():
        name = label("tier_short", lang).format(tier=tier) + "\n"
        name += _customers_line(row["customers"], lang)
        if "resources_per_customer" in data.columns and pd.notna(row["resources_per_customer"]):
            value = row["resources_per_customer"]
            name += "\n" + label("per_customer_short", lang).format(
                value=i18n.format_number(value, lang, decimals=0 if value >= 10 else 1),
                unit=label(unit, lang),
            )
        names.append(name)
    _three_bars(ax, names, data, ("resource_share", "margin"), lang)
    ax.set_title(label("hit_parade_title", lang).format(tiers=len(data)))
    return ax


def plot_relationship(data: pd.DataFrame, *, lang: str = "fr", ax: Axes | None = None) -> Axes:
    """Share of customers, of revenue and of potential of each band of relationship quality.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.relationship.relationship_bands`.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    if len(data) == 0 or data["customers"].sum() == 0:
        return no_data(ax, lang=lang)
    names = [
        f"{band}\n" + _customers_line(n, lang)
        for band, n in zip(data.index, data["customers"], strict=True)
    ]
    _three_bars(ax, names, data, ("potential_share", "potential"), lang)
    ax.set_xlabel(label("quality_band", lang))
    ax.set_title(label("relationship_title", lang))
    return ax
