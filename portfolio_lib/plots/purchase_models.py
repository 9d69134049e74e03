"""Charts of the purchase-model comparison and of the CLV's uncertainty.

Data first (the tables of :mod:`portfolio_lib.models.comparison` and
:mod:`portfolio_lib.models.uncertainty`), ``ax=None`` in, Axes out, labels in ``lang``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from portfolio_lib import i18n
from portfolio_lib.i18n import label
from portfolio_lib.plots.common import COLORS, currency_axis, get_ax, plain_text, shorten
from portfolio_lib.plots.predictive import plot_calibration_vs_holdout

__all__ = ["plot_clv_intervals", "plot_model_comparison", "plot_tracking"]

i18n.register(
    {
        "model_comparison_title": {
            "fr": "Achats de la période de test : observés et prévus par chaque modèle "
            "(retenu : {chosen})",
            "en": "Holdout purchases: observed and forecast by each model (chosen: {chosen})",
        },
        "tracking_title": {
            "fr": "Achats répétés par semaine : observés et prévus",
            "en": "Repeat purchases per week: observed and forecast",
        },
        "repeat_purchases_per_week": {
            "fr": "Achats répétés par semaine",
            "en": "Repeat purchases per week",
        },
        "holdout_start": {"fr": "Début de la période de test", "en": "Holdout starts"},
        "clv_intervals_title": {
            "fr": "CLV prédictive des plus gros clients et son intervalle à {level}",
            "en": "Predictive CLV of the largest customers and its {level} interval",
        },
    }
)

_MODEL_STYLES = {"bgnbd": "--", "pareto_nbd": ":", "mbgnbd": "-."}
_MODEL_COLORS = ("revenue", "margin", "lost")


def _model_color(position: int) -> str:
    return COLORS.get(_MODEL_COLORS[position % len(_MODEL_COLORS)], COLORS["revenue"])


def _model_lines(ax: Axes, x: object, data: pd.DataFrame, models: list[str], lang: str) -> dict:
    """One line per model of ``data``, each in its style; the lines by model name."""
    return {
        name: ax.plot(
            x,
            data[name],
            linestyle=_MODEL_STYLES.get(name, "--"),
            color=_model_color(position),
            label=label(name, lang),
        )[0]
        for position, name in enumerate(models)
    }


def plot_model_comparison(
    data: pd.DataFrame, *, chosen: str, ax: Axes | None = None, lang: str = "fr"
) -> Axes:
    """Mean holdout purchases by calibration frequency: observed, and each model's forecast.

    :func:`~portfolio_lib.plots.predictive.plot_calibration_vs_holdout` of the observed
    purchases, with one line per model instead of one forecast (the chosen one thicker).

    Parameters
    ----------
    data : pandas.DataFrame
        ``ModelComparison.by_frequency`` (``customers``, ``observed``, one column per model).
    chosen : str
        The chosen model's name (thicker line, named in the title).
    ax : matplotlib Axes, optional
    lang : {'fr', 'en'}

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = plot_calibration_vs_holdout(data.assign(expected=np.nan), ax=ax, lang=lang)
    ax.get_lines()[1].remove()  # the single forecast, replaced by the models' lines
    models = [c for c in data.columns if c not in ("customers", "observed")]
    lines = _model_lines(ax, np.arange(len(data)), data, models, lang)
    if chosen in lines:
        lines[chosen].set_linewidth(3)
    ax.set_title(label("model_comparison_title", lang).format(chosen=label(chosen, lang)))
    ax.legend()
    return ax


def plot_tracking(data: pd.DataFrame, *, ax: Axes | None = None, lang: str = "fr") -> Axes:
    """Weekly repeat purchases, observed and each model's, the holdout weeks marked.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.models.weekly_tracking` (index ``week``, ``observed``, one
        column per model, ``holdout``).
    ax : matplotlib Axes, optional
    lang : {'fr', 'en'}

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax, figsize=(10, 4.5))
    weeks = data.index
    ax.plot(weeks, data["observed"], color=COLORS["neutral"], label=label("observed", lang))
    models = [c for c in data.columns if c not in ("observed", "holdout")]
    _model_lines(ax, weeks, data, models, lang)
    if data["holdout"].any():
        ax.axvline(
            weeks[np.argmax(data["holdout"].to_numpy())],
            color="grey",
            linewidth=1,
            label=label("holdout_start", lang),
        )
    ax.set_ylabel(label("repeat_purchases_per_week", lang))
    ax.set_title(label("tracking_title", lang))
    ax.set_ylim(bottom=0)
    ax.legend()
    return ax


def plot_clv_intervals(
    predicted: pd.DataFrame,
    intervals: pd.DataFrame,
    *,
    level: float = 0.9,
    top: int = 15,
    ax: Axes | None = None,
    lang: str = "fr",
) -> Axes:
    """The largest predictive CLVs as bars with their interval as error bars.

    Parameters
    ----------
    predicted : pandas.DataFrame
        :func:`portfolio_lib.models.predictive_clv` (``clv``; ``customer_id`` or the index
        names the customers).
    intervals : pandas.DataFrame
        ``ClvIntervals.per_customer`` (``clv_low``, ``clv_high``), same index.
    level : float, default 0.9
        The intervals' level (in the title).
    top : int, default 15
    ax : matplotlib Axes, optional
    lang : {'fr', 'en'}

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    largest = predicted.nlargest(top, "clv")
    bounds = intervals.loc[largest.index]
    names = largest["customer_id"] if "customer_id" in largest.columns else largest.index
    y = np.arange(len(largest))[::-1]
    values = largest["clv"].to_numpy(float)
    errors = np.vstack(
        [values - bounds["clv_low"].to_numpy(float), bounds["clv_high"].to_numpy(float) - values]
    )
    ax.barh(y, values, color=COLORS["revenue"], xerr=np.maximum(errors, 0), capsize=3)
    ax.set_yticks(y, [shorten(plain_text(n)) for n in names])
    currency_axis(ax, axis="x", lang=lang)
    percent = f"{level:.0%}".replace("%", "\u00a0%") if lang == "fr" else f"{level:.0%}"
    ax.set_title(label("clv_intervals_title", lang).format(level=percent))
    return ax
