"""What every chart shares: theme, colours, axes, period ticks, empty charts, KPI tiles.

Chart functions follow seaborn's contract: data first, keyword options, ``ax=None`` (a new
figure when missing), draw only through ``ax``, return the Axes. The helpers below draw on
the Axes they are given and are the one implementation every ``plots`` module uses:

- axes: :func:`currency_axis`, :func:`percent_axis`, :func:`number_axis` (round ticks in the
  reader's format), :func:`align_twin` (a right-hand axis on the same grid lines);
- periods on x: :func:`period_kind`, :func:`per_period`, :func:`partial_periods`,
  :func:`check_one_row_per_period`, :func:`period_rows`, :func:`period_axis`,
  :func:`shade_periods`;
- pieces: :func:`share_bars` (customer share next to revenue share), :func:`no_data`,
  :func:`shorten`, :func:`kpi_tiles`;
- text from data: :func:`plain_text` (names are text, never math).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import cycler
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.patches import FancyBboxPatch, Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from portfolio_lib import i18n
from portfolio_lib.engine.tables import PERIOD_MONTHS
from portfolio_lib.i18n import label

__all__ = [
    "COLORS",
    "Kpi",
    "align_twin",
    "check_one_row_per_period",
    "currency_axis",
    "get_ax",
    "kpi_tiles",
    "money_in_unit",
    "money_unit",
    "no_data",
    "number_axis",
    "partial_periods",
    "per_period",
    "percent_axis",
    "period_axis",
    "period_kind",
    "period_rows",
    "plain_text",
    "set_theme",
    "shade_periods",
    "share_bars",
    "shorten",
]

# One meaning, one colour, in every chart and report.
COLORS = {
    "revenue": "#1f4e79",
    "revenue_light": "#a9c4e0",  # revenue bars behind a trend line
    "margin": "#2e8b57",
    "potential": "#b0b7c3",
    "active": "#1f4e79",
    "new": "#2e8b57",
    "new_light": "#b7dcc5",
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
    # Customer-share bars sit next to revenue-share bars: a light neutral, so money stands out.
    "customer_share": "#c9d1da",
    # Text and panels
    "ink": "#1b2a3a",  # values, totals, net lines: near black, readable on every colour
    "muted": "#4a5a6a",  # secondary text, reference lines
    "panel": "#f3f6fa",  # background of tiles and side panels
    "panel_edge": "#d5dde8",
    "incomplete": "#eef1f5",  # background of periods read on a truncated history
}

# Tick steps of 1, 2 or 5 x 10^k: never 2.5, which compact euros (no decimal from 10 M€ on)
# or whole percentages would misprint (12,5 M€ as "12 M€", 2.5 % as "2 %").
_ROUND_STEPS = [1, 2, 5, 10]
# Tick labels on a period axis (months: Jan/Apr/Jul/Oct beyond this many periods).
_MAX_PERIOD_TICKS = 12

i18n.register(
    {
        "plot_per_month": {"fr": "par mois", "en": "per month"},
        "plot_per_quarter": {"fr": "par trimestre", "en": "per quarter"},
        "plot_per_year": {"fr": "par an", "en": "per year"},
        "plot_partial_period": {"fr": "période incomplète", "en": "partial period"},
        "no_data": {"fr": "Pas de données à afficher", "en": "No data to show"},
    }
)


# What seaborn's ``set_theme(style="whitegrid", context="notebook")`` changes in matplotlib's
# defaults (its "deep" palette included), written out: importing seaborn pulls in scipy.stats
# and costs every app kernel about 65 MB and 0.8 s (tests/test_plots_common.py checks these values
# against seaborn's). Every chart names its colour map, so seaborn's default "rocket" is left out.
THEME = {
    "axes.axisbelow": True,
    "axes.edgecolor": ".8",
    "axes.grid": True,
    "axes.labelcolor": ".15",
    "axes.labelsize": 12.0,
    "axes.linewidth": 1.25,
    "axes.prop_cycle": cycler(
        color=["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3",
               "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd"]
    ),
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "font.size": 12.0,
    "grid.color": ".8",
    "grid.linewidth": 1.0,
    "legend.fontsize": 11.0,
    "legend.title_fontsize": 12.0,
    "lines.solid_capstyle": "round",
    "patch.edgecolor": "w",
    "patch.force_edgecolor": True,
    "text.color": ".15",
    "xtick.bottom": False,
    "xtick.color": ".15",
    "xtick.labelsize": 11.0,
    "xtick.major.size": 6.0,
    "xtick.major.width": 1.25,
    "xtick.minor.size": 4.0,
    "xtick.minor.width": 1.0,
    "ytick.color": ".15",
    "ytick.labelsize": 11.0,
    "ytick.left": False,
    "ytick.major.size": 6.0,
    "ytick.major.width": 1.25,
    "ytick.minor.size": 4.0,
    "ytick.minor.width": 1.0,
    "figure.dpi": 100,
    # The workbook's own: bold titles, a little larger than the labels.
    "axes.titleweight": "bold",
    "axes.titlesize": 13,
}  # fmt: skip


def set_theme() -> None:
    """Seaborn's clean "whitegrid" theme with readable sizes (:data:`THEME`); call once at the
    top of a notebook."""
    plt.rcParams.update(THEME)


def get_ax(ax: Axes | None, *, figsize: tuple[float, float] = (9, 4.5)) -> Axes:
    """``ax`` itself, or the Axes of a new figure of ``figsize``."""
    if ax is not None:
        return ax
    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


# --------------------------------------------------------------------------------------------
# Axes


def _axis(ax: Axes, axis: str) -> Axis:
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    return ax.yaxis if axis == "y" else ax.xaxis


def _format_axis(
    ax: Axes,
    axis: str,
    nbins: int | str,
    text: Callable[[float], str],
    *,
    integer: bool = False,
) -> Axes:
    """Ticks at 1, 2 or 5 x 10^k on a linear axis (a log axis keeps its decades), as ``text``."""
    target = _axis(ax, axis)
    if target.get_scale() == "linear":
        target.set_major_locator(MaxNLocator(nbins=nbins, steps=_ROUND_STEPS, integer=integer))
    target.set_major_formatter(FuncFormatter(lambda value, _pos: text(value)))
    return ax


def currency_axis(
    ax: Axes, *, axis: str = "y", lang: str = "fr", nbins: int | str = "auto"
) -> Axes:
    """Ticks in compact euros (1,2 M€ / €1.2M) on ``axis`` ('x' or 'y').

    Ticks fall on steps of 1, 2 or 5 x 10^k (at most ``nbins`` intervals), so a label never
    rounds its tick: with steps of 2.5 the compact format, which has no decimal from 10 M€
    on, would write 12,5 M€ as "12 M€". Call it before fixing ticks by hand
    (``set_xticks``, :func:`align_twin`): it replaces the tick locator of a linear axis.
    """
    return _format_axis(
        ax, axis, nbins, lambda value: i18n.format_currency(value, lang, compact=True)
    )


def percent_axis(
    ax: Axes, *, axis: str = "y", lang: str = "fr", decimals: int = 0, nbins: int | str = "auto"
) -> Axes:
    """Ticks as percentages of shares in 0-1 (12 % / 12%), on steps of 1, 2 or 5 x 10^k.

    Like :func:`currency_axis`, it replaces the tick locator of a linear axis: call it before
    fixing ticks by hand.
    """
    return _format_axis(
        ax, axis, nbins, lambda value: i18n.format_percent(value, lang, decimals=decimals)
    )


def number_axis(
    ax: Axes, *, axis: str = "y", lang: str = "fr", decimals: int = 0, nbins: int | str = "auto"
) -> Axes:
    """Plain numbers (1 234 / 1,234) on steps of 1, 2 or 5 x 10^k.

    With ``decimals=0`` (counts) the ticks are whole numbers: never 0.5 customer. Like
    :func:`currency_axis`, it replaces the tick locator of a linear axis.
    """
    return _format_axis(
        ax,
        axis,
        nbins,
        lambda value: i18n.format_number(value, lang, decimals=decimals),
        integer=decimals == 0,
    )


def align_twin(ax: Axes, twin: Axes, top: float, *, integer: bool = False) -> None:
    """Give ``twin`` (from 0 to at least ``top``) ticks on the grid lines of ``ax``.

    Both axes must start at 0; the twin's step is the smallest round step that reaches
    ``top`` in as many steps as ``ax`` has, so one set of grid lines serves both. Round
    means 1, 2 or 5 x 10^k for money (the compact euro format would misprint 12,5 M€), and
    also 2.5, 3, 4, 6 or 8 x 10^k for whole counts (``integer``), which wastes less height.
    Call it after the twin's formatter (:func:`currency_axis`...): it fixes the twin's ticks.
    When ``ax`` does not start at 0 or has fewer than three ticks, the twin only gets the
    limits 0 to ``top``.
    """
    low, high = ax.get_ylim()
    ticks = [t for t in ax.get_yticks() if low - 1e-9 <= t <= high + 1e-9]
    if low != 0 or len(ticks) < 3 or not np.isfinite(top) or top <= 0:
        twin.set_ylim(0, top if np.isfinite(top) and top > 0 else 1.0)
        return
    steps_on_ax = high / (ticks[1] - ticks[0])
    raw = top / steps_on_ax
    magnitude = 10 ** np.floor(np.log10(raw))
    mantissas = (1, 2, 2.5, 3, 4, 5, 6, 8, 10) if integer else (1, 2, 5, 10)
    candidates = [m * magnitude for m in mantissas]
    if integer:
        candidates = [max(1.0, c) for c in candidates if c >= 1 and float(c).is_integer()] or [1.0]
    step = next((c for c in candidates if c >= raw * (1 - 1e-9)), candidates[-1])
    twin.set_ylim(0, step * steps_on_ax)
    twin.set_yticks(step * np.arange(int(np.floor(steps_on_ax + 1e-9)) + 1))


# --------------------------------------------------------------------------------------------
# Periods on the x axis (tables of weight, movements and costs: one row per period)


def check_one_row_per_period(data: pd.DataFrame, function: str) -> None:
    """Refuse a table with several rows per period (split by group): the bars would stack up.

    Raises
    ------
    ValueError
        Naming ``function`` and what to pass instead.
    """
    if data["period"].duplicated().any():
        raise ValueError(
            f"{function} draws one row per period, but some periods have several rows (a "
            "table split with by=...?): pass the table without `by`, or the rows of one group"
        )


def period_rows(data: pd.DataFrame, period: object = None, *, table: str = "table") -> pd.DataFrame:
    """The rows of one period (a value of ``data["period"]``, e.g. ``"2025"``), default the last.

    Raises
    ------
    ValueError
        When no row has that period, listing the periods of ``table``.
    """
    if period is None:
        period = data["period"].iloc[-1]
    rows = data[data["period"].astype(str) == str(period)]
    if rows.empty:
        choices = list(dict.fromkeys(data["period"].astype(str)))
        raise ValueError(f"period {period!r} is not in the {table}; choose one of {choices}")
    return rows


def period_kind(labels: Sequence[object]) -> str:
    """'month', 'quarter' or 'year' from the period labels (2025-03, 2025-Q1, 2025)."""
    first = str(labels[0]) if len(labels) else ""
    if "-Q" in first:
        return "quarter"
    if len(first) == 4 and first.isdigit():
        return "year"
    return "month"


def per_period(kind: str, lang: str) -> str:
    """'par mois' / 'per month' (quarter, year) for chart titles."""
    return label(f"plot_per_{kind}", lang)


def partial_periods(data: pd.DataFrame, kind: str) -> np.ndarray:
    """True for periods covering fewer months than a full one (data start, as_of's period)."""
    start = pd.DatetimeIndex(data["period_start"])
    end = pd.DatetimeIndex(data["period_end"])
    spanned = (end.year - start.year) * 12 + end.month - start.month + 1
    return np.asarray(spanned < PERIOD_MONTHS[kind])


def _period_text(month: pd.Timestamp, kind: str, lang: str, *, with_year: bool) -> str:
    """Tick text of the period ending with ``month``: 'janv.' or 'janv.\\n2025', 'T1', '2025'."""
    if kind == "year":
        return str(month.year)
    name = i18n.period_name(month, kind, lang)  # "janv. 2025", "T1 2025"
    short, year = name.rsplit(" ", 1)
    return f"{short}\n{year}" if with_year else short


def period_axis(
    ax: Axes,
    ends: Sequence[object],
    kind: str,
    *,
    lang: str,
    max_ticks: int = _MAX_PERIOD_TICKS,
) -> Axes:
    """Periods at x = 0, 1, ... labelled by name, thinned to calendar steps, year shown once.

    Parameters
    ----------
    ax : matplotlib Axes
    ends : sequence of dates
        Last month of each period (``period_end`` of the tables), one per x position.
    kind : {'month', 'quarter', 'year'}
    lang : {'fr', 'en'}
    max_ticks : int, default 12
        Months beyond this many are labelled every 2, 3, 6 or 12 months on calendar
        boundaries (Jan/Apr/Jul/Oct...), quarters every 2 or 4; the year is written under
        the first label and under each label of a new year.
    """
    months = pd.DatetimeIndex(ends)
    n = len(months)
    steps = {"month": (1, 2, 3, 6, 12), "quarter": (1, 2, 4), "year": (1, 2, 5, 10, 20)}[kind]
    step = next((s for s in steps if -(-n // s) <= max_ticks), steps[-1])
    if kind == "month":
        unit = np.asarray(months.month - 1)
    elif kind == "quarter":
        unit = np.asarray(months.quarter - 1)
    else:
        unit = np.asarray(months.year)
    positions = np.flatnonzero(unit % step == 0)
    if len(positions) < 2:  # too few calendar boundaries in a short series
        positions = np.arange(0, n, step)
    texts, previous_year = [], None
    for position in positions:
        month = months[position]
        if kind == "month" and step == 12:
            texts.append(str(month.year))
        else:
            texts.append(_period_text(month, kind, lang, with_year=month.year != previous_year))
        previous_year = month.year
    ax.set_xticks(positions, texts)
    ax.set_xlim(-0.6, n - 0.4)
    ax.grid(axis="x", visible=False)
    return ax


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) positions of each run of True in ``mask``."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def shade_periods(ax: Axes, mask: np.ndarray) -> Patch | None:
    """Grey background behind the periods (x positions) of ``mask``.

    Returns
    -------
    matplotlib.patches.Patch or None
        A legend key for the shade, None when no period is shaded.
    """
    for first, last in _runs(np.asarray(mask, dtype=bool)):
        ax.axvspan(first - 0.5, last + 0.5, color=COLORS["incomplete"], zorder=0, linewidth=0)
    if not np.any(mask):
        return None
    # Edged, so the key is seen on a grey legend background too.
    return Patch(facecolor=COLORS["incomplete"], edgecolor=COLORS["customer_share"])


# --------------------------------------------------------------------------------------------
# Pieces


def no_data(ax: Axes, *, lang: str = "fr", text: str | None = None) -> Axes:
    """An empty chart that says why ("No data to show" or ``text``), not a blank frame."""
    ax.text(0.5, 0.5, text or label("no_data", lang), ha="center", va="center",
            transform=ax.transAxes, color=COLORS["muted"])  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plain_text(value: object) -> str:
    """``value`` as text matplotlib draws as written, for every label built from data.

    Matplotlib reads the text between two ``$`` as math: a customer, rep or segment named
    ``Team $ales #1 $`` would fail to draw (and the whole chart with it) or come out garbled.
    Each ``$`` is escaped (``\\$``), which matplotlib draws as ``$``.
    """
    return str(value).replace("$", r"\$")


def shorten(text: str, width: int = 30) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (long names on an axis)."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def share_bars(
    ax: Axes,
    names: Sequence[str],
    customer_share: np.ndarray,
    revenue_share: np.ndarray,
    *,
    lang: str,
    horizontal: bool = False,
) -> Axes:
    """Customer share and revenue share of each category, side by side, labelled in %.

    The customer bar comes first: left of the revenue bar, or above it when ``horizontal``
    (the y axis is then inverted, the first category on top). Draws a legend.
    """
    positions = np.arange(len(names))
    width = 0.38
    bar = ax.barh if horizontal else ax.bar
    offset = -width / 2
    customers = bar(positions + offset, customer_share, width, color=COLORS["customer_share"],
                    label=label("customer_share", lang))  # fmt: skip
    revenue = bar(positions - offset, revenue_share, width, color=COLORS["revenue"],
                  label=label("revenue_share", lang))  # fmt: skip
    for bars in (customers, revenue):
        ax.bar_label(
            bars,
            labels=[i18n.format_percent(v, lang, decimals=0) for v in bars.datavalues],
            padding=2,
            fontsize=9,
        )
    top = float(np.nanmax(np.r_[customer_share, revenue_share, 0.0]))
    if horizontal:
        ax.set_yticks(positions, names)
        ax.invert_yaxis()
        ax.set_xlim(0, max(top * 1.15, 0.05))
        percent_axis(ax, axis="x", lang=lang)
        ax.grid(axis="y", visible=False)
    else:
        ax.set_xticks(positions, names)
        ax.set_ylim(0, max(top * 1.15, 0.05))
        percent_axis(ax, lang=lang)
        ax.grid(axis="x", visible=False)
    ax.legend(loc="best", frameon=False)
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
                facecolor=COLORS["panel"],
                edgecolor=COLORS["panel_edge"],
            )
        )
        ax.text(x + 0.5, y + 0.72, i18n.label(key, lang), ha="center", va="center", fontsize=9,
                color=COLORS["muted"], wrap=True)  # fmt: skip
        ax.text(x + 0.5, y + 0.45, _format(kpi.value, kpi.kind, lang), ha="center",
                va="center", fontsize=16, fontweight="bold", color=COLORS["ink"])  # fmt: skip
        if kpi.change is not None and kpi.change == kpi.change:  # not NaN
            good = (kpi.change >= 0) == kpi.higher_is_better
            arrow = "▲" if kpi.change >= 0 else "▼"
            text = f"{arrow} {i18n.format_percent(abs(kpi.change), lang)}"
            ax.text(x + 0.5, y + 0.2, text, ha="center", va="center", fontsize=9,
                    color=COLORS["good"] if good else COLORS["alert"])  # fmt: skip
    return ax


# --------------------------------------------------------------------------------------------
# Sums in one shared unit (bridge bars, migration cells)


def money_unit(largest: float) -> tuple[float, str, str]:
    """(divisor, French suffix, English suffix) making ``largest`` a short number."""
    for divisor, fr_unit, en_unit in ((1e9, "Md€", "bn"), (1e6, "M€", "M"), (1e3, "k€", "k")):
        if abs(largest) >= divisor:
            return divisor, fr_unit, en_unit
    return 1.0, "€", ""


def money_in_unit(
    value: float, unit: tuple[float, str, str], lang: str, *, sign: bool, decimals: int = 1
) -> str:
    """A sum in a shared unit (53,4 M€ / €53.4M), so bars compare at a glance."""
    divisor, fr_unit, en_unit = unit
    number = i18n.format_number(abs(value) / divisor, lang, decimals=decimals if divisor > 1 else 0)
    negative = value < 0 and number.strip("0,.") != ""
    prefix = "-" if negative else ("+" if sign else "")
    if lang == "fr":
        return f"{prefix}{number}\u00a0{fr_unit}"
    return f"{prefix}€{number}{en_unit}"
