"""Charts of the predictive CLV models: the diagnostics users check before trusting a fit.

Each function takes the table made by the matching function of
:mod:`portfolio_lib.models` (``period_transactions``, ``calibration_vs_holdout``,
``frequency_recency_matrix``, ``p_alive_matrix``, ``clv_by_segment``), draws on ``ax`` (a new
figure when missing) and returns it; labels follow ``lang``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from portfolio_lib import i18n
from portfolio_lib.i18n import label
from portfolio_lib.plots.common import COLORS, currency_axis, get_ax, plain_text

__all__ = [
    "plot_calibration_vs_holdout",
    "plot_clv_by_segment",
    "plot_frequency_recency_matrix",
    "plot_p_alive_matrix",
    "plot_period_transactions",
]

i18n.register(
    {
        "period_transactions_title": {
            "fr": "Clients par nombre d'achats répétés : observé et modèle BG/NBD",
            "en": "Customers by number of repeat purchases: observed and BG/NBD model",
        },
        "calibration_vs_holdout_title": {
            "fr": "Achats de la période de test selon les achats de calibration",
            "en": "Holdout purchases by calibration purchases",
        },
        "mean_holdout_purchases": {
            "fr": "Achats moyens par client (période de test)",
            "en": "Mean purchases per customer (holdout)",
        },
        "frequency_recency_title": {
            "fr": "Achats attendus sur les {days} prochains jours (client de {age} jours)",
            "en": "Expected purchases in the next {days} days (customer aged {age} days)",
        },
        "p_alive_title": {
            "fr": "Probabilité d'être encore actif (client de {age} jours)",
            "en": "Probability of still being active (customer aged {age} days)",
        },
        "recency_axis": {
            "fr": "Récence : jours entre le premier et le dernier achat",
            "en": "Recency: days from first to last purchase",
        },
        "clv_by_segment_title": {
            "fr": "CLV prédictive par {by}",
            "en": "Predictive CLV by {by}",
        },
    }
)


def _frequency_ticks(index: pd.Index) -> list[str]:
    """0, 1, ..., k+ : the last row of the diagnostics groups 'k or more'."""
    ticks = [str(int(v)) for v in index]
    if ticks:
        ticks[-1] += "+"
    return ticks


def plot_period_transactions(
    data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "fr"
) -> Axes:
    """Observed and expected customers by number of repeat purchases, side by side.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.models.period_transactions` (``observed``, ``expected``).
    ax : matplotlib Axes, optional
    lang : {'fr', 'en'}

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    positions = np.arange(len(data))
    width = 0.4
    ax.bar(
        positions - width / 2,
        data["observed"],
        width,
        color=COLORS["neutral"],
        label=label("observed", lang),
    )
    ax.bar(
        positions + width / 2,
        data["expected"],
        width,
        color=COLORS["revenue"],
        label=label("expected", lang),
    )
    ax.set_xticks(positions, _frequency_ticks(data.index))
    ax.set_xlabel(label("frequency", lang))
    ax.set_ylabel(label("customers", lang))
    ax.set_title(label("period_transactions_title", lang))
    ax.legend()
    return ax


def plot_calibration_vs_holdout(
    data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "fr"
) -> Axes:
    """Mean holdout purchases by calibration frequency: observed and predicted lines.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.models.calibration_vs_holdout` (``observed``, ``expected``).
    ax : matplotlib Axes, optional
    lang : {'fr', 'en'}

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    x = np.arange(len(data))
    ax.plot(x, data["observed"], marker="o", color=COLORS["neutral"], label=label("observed", lang))
    ax.plot(
        x,
        data["expected"],
        marker="s",
        linestyle="--",
        color=COLORS["revenue"],
        label=label("expected", lang),
    )
    ax.set_xticks(x, _frequency_ticks(data.index))
    ax.set_xlabel(label("frequency_cal", lang))
    ax.set_ylabel(label("mean_holdout_purchases", lang))
    ax.set_title(label("calibration_vs_holdout_title", lang))
    ax.set_ylim(bottom=0)
    ax.legend()
    return ax


def _heatmap(
    data: pd.DataFrame,
    ax: Axes,
    *,
    cmap: str,
    colorbar_label: str,
    lang: str,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Axes:
    recency = data.columns.to_numpy(float)
    step = float(recency[1] - recency[0]) if len(recency) > 1 else 1.0
    extent = (
        recency[0] - step / 2,
        recency[-1] + step / 2,
        float(data.index[0]) - 0.5,
        float(data.index[-1]) + 0.5,
    )
    image = ax.imshow(
        data.to_numpy(float),
        origin="lower",
        aspect="auto",
        extent=extent,
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        interpolation="nearest",
    )
    ax.figure.colorbar(image, ax=ax, label=colorbar_label)
    ax.set_xlabel(label("recency_axis", lang))
    ax.set_ylabel(label("frequency", lang))
    ax.grid(False)
    return ax


def plot_frequency_recency_matrix(
    data: pd.DataFrame,
    *,
    horizon_days: float | None = None,
    T: float | None = None,
    ax: Axes | None = None,
    lang: str = "fr",
) -> Axes:
    """Heatmap of expected purchases by frequency (rows) and recency (columns).

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.models.frequency_recency_matrix`.
    horizon_days, T : float, optional
        The horizon ``t`` and customer age used to build ``data``, shown in the title
        (default: no title numbers, age = largest recency).
    ax : matplotlib Axes, optional
    lang : {'fr', 'en'}

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax, figsize=(9, 5))
    _heatmap(data, ax, cmap="viridis", colorbar_label=label("expected_purchases", lang), lang=lang)
    age = float(data.columns[-1]) if T is None else float(T)
    days = "?" if horizon_days is None else i18n.format_number(horizon_days, lang)
    ax.set_title(
        label("frequency_recency_title", lang).format(days=days, age=i18n.format_number(age, lang))
    )
    return ax


def plot_p_alive_matrix(
    data: pd.DataFrame, *, T: float | None = None, ax: Axes | None = None, lang: str = "fr"
) -> Axes:
    """Heatmap of P(alive) by frequency (rows) and recency (columns), on a 0-1 scale.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.models.p_alive_matrix`.
    T : float, optional
        Customer age used to build ``data`` (default the largest recency), for the title.
    ax : matplotlib Axes, optional
    lang : {'fr', 'en'}

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax, figsize=(9, 5))
    _heatmap(
        data,
        ax,
        cmap="RdYlGn",
        colorbar_label=label("p_alive", lang),
        lang=lang,
        vmin=0.0,
        vmax=1.0,
    )
    age = float(data.columns[-1]) if T is None else float(T)
    ax.set_title(label("p_alive_title", lang).format(age=i18n.format_number(age, lang)))
    return ax


def plot_clv_by_segment(
    data: pd.DataFrame, *, value: str = "clv", ax: Axes | None = None, lang: str = "fr"
) -> Axes:
    """Horizontal bars of the predictive CLV per segment, largest on top.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.models.clv_by_segment` (one index level).
    value : {'clv', 'clv_mean'}, default 'clv'
        Total or mean CLV per customer.
    ax : matplotlib Axes, optional
    lang : {'fr', 'en'}

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    ordered = data.sort_values(value, ascending=True, kind="stable")
    names = [label(str(v), lang) if str(v) == "unknown" else plain_text(v) for v in ordered.index]
    ax.barh(names, ordered[value].to_numpy(float), color=COLORS["margin"])
    currency_axis(ax, axis="x", lang=lang)
    ax.set_xlabel(label(value, lang))
    by = data.index.name or "segment"
    ax.set_ylabel(label(by, lang))
    ax.set_title(label("clv_by_segment_title", lang).format(by=label(by, lang).lower()))
    return ax
