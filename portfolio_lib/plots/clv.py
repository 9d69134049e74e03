"""Charts of the customer lifetime value: distribution, simple CLV by group, three methods compared.

Each function takes the tables made by :mod:`portfolio_lib.metrics.clv` (``simple_clv``,
``retention_clv``) and :mod:`portfolio_lib.models` (``predictive_clv``,
``clv_by_segment``), draws on ``ax`` (a new figure when missing) and returns it; labels follow
``lang``. The predictive model's own diagnostics are in :mod:`portfolio_lib.plots.predictive`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from portfolio_lib import i18n
from portfolio_lib.i18n import label
from portfolio_lib.plots.common import COLORS, currency_axis, get_ax, no_data, plain_text, shorten

__all__ = ["plot_clv_comparison", "plot_clv_distribution", "plot_simple_clv"]

# Colours of the three CLV methods (the predictive one is the "revenue" blue of the model charts).
_METHOD_COLORS = {
    "clv_simple": COLORS["neutral"],
    "clv_retention": COLORS["margin"],
    "clv_predictive": COLORS["revenue"],
}
# Log-scale histograms start at the 1st percentile of the positive CLVs, and at 1 € at least: a
# customer almost certainly gone has a CLV of 1e-20 €, which would stretch the axis over twenty
# decades of nothing.
_LOW_QUANTILE = 0.01
_LOW_FLOOR = 1.0

i18n.register(
    {
        "clv_distribution_title": {
            "fr": "Répartition de la CLV prédictive des clients",
            "en": "Distribution of the customers' predictive CLV",
        },
        "clv_log_axis": {
            "fr": "CLV par client (échelle logarithmique)",
            "en": "CLV per customer (log scale)",
        },
        "clv_clipped_axis": {
            "fr": "CLV par client (au-delà de {cap} : dernière barre)",
            "en": "CLV per customer (above {cap}: last bar)",
        },
        "clv_low_note": {
            "fr": "{n} clients sous {low} comptés dans la première barre",
            "en": "{n} customers below {low} counted in the first bar",
        },
        "median_value": {"fr": "Médiane : {value}", "en": "Median: {value}"},
        "mean_value": {"fr": "Moyenne : {value}", "en": "Mean: {value}"},
        "simple_clv_title": {
            "fr": "CLV simple par client : marge annuelle × durée de vie attendue",
            "en": "Simple CLV per customer: yearly margin × expected lifetime",
        },
        "simple_clv_terms": {
            "fr": "{basket} × {purchases} achats/an × {rate} de marge × {years} ans",
            "en": "{basket} × {purchases} purchases/yr × {rate} margin × {years} yrs",
        },
        "clv_predictive_horizon": {
            "fr": "CLV prédictive sur {months} mois (actualisée)",
            "en": "Predictive CLV over {months} months (discounted)",
        },
        "clv_comparison_title": {
            "fr": "CLV moyenne par client selon la méthode",
            "en": "Mean CLV per customer by method",
        },
        "clv_per_customer": {"fr": "CLV par client", "en": "CLV per customer"},
    }
)


def plot_clv_distribution(
    data: pd.DataFrame,
    *,
    value: str = "clv",
    log: bool = True,
    bins: int = 40,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Histogram of the CLV per customer, with the median and the mean marked.

    CLVs are very skewed (a few key accounts weigh as much as thousands of small customers),
    so the default is a log scale from the 1st percentile of the positive values or 1 €,
    whichever is larger (lower values counted in the first bar, noted under the axis). With ``log=False`` the axis is linear and
    values above the 99th percentile are counted in the last bar. Customers without a CLV
    (prospects) are left out; the median and mean are those of every customer with a CLV.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.models.predictive_clv` (or any table with a ``value`` column).
    value : str, default 'clv'
    log : bool, default True
    bins : int, default 40
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    values = data[value].to_numpy(dtype=float, na_value=np.nan)
    values = values[np.isfinite(values)]
    positive = values[values > 0]
    if positive.size == 0:
        return no_data(ax, lang=lang)
    median, mean = float(np.median(values)), float(np.mean(values))
    note = None
    if log:
        low = max(float(np.quantile(positive, _LOW_QUANTILE)), _LOW_FLOOR)
        high = float(positive.max())
        if high <= low:  # one distinct value (or all below 1 €): a decade around it
            low, high = low / 3, high * 3
        edges = np.geomspace(low, high, bins + 1)
        shown = np.clip(values, low, high)
        below = int(np.sum(values < low))
        if below:
            note = label("clv_low_note", lang).format(
                n=i18n.format_number(below, lang),
                low=i18n.format_currency(low, lang, compact=True),
            )
        ax.set_xscale("log")
        xlabel = label("clv_log_axis", lang)
    else:
        cap = float(np.quantile(values, 0.99))
        low = float(min(values.min(), 0.0))
        edges = np.linspace(low, cap if cap > low else low + 1.0, bins + 1)
        shown = np.clip(values, low, edges[-1])
        xlabel = label("clv_clipped_axis", lang).format(
            cap=i18n.format_currency(edges[-1], lang, compact=True)
        )
    ax.hist(shown, bins=edges, color=COLORS["revenue"], alpha=0.85, edgecolor="white")
    for figure, key, style in ((median, "median_value", "-"), (mean, "mean_value", "--")):
        if log and figure <= 0:
            continue
        ax.axvline(figure, color=COLORS["alert"], linestyle=style, linewidth=1.6,
                   label=label(key, lang).format(
                       value=i18n.format_currency(figure, lang, compact=True)))  # fmt: skip
    currency_axis(ax, axis="x", lang=lang)
    ax.set_xlabel(xlabel if note is None else f"{xlabel}\n{note}")
    ax.set_ylabel(label("customers", lang))
    ax.legend(loc="upper right", frameon=True)
    ax.set_title(label("clv_distribution_title", lang))
    return ax


def _group_names(index: pd.Index, lang: str) -> list[str]:
    """Group values as shown: translated when they are label keys ('total', 'unknown')."""
    known = i18n.labels(lang)
    return [plain_text(shorten(known.get(str(v), str(v)), 26)) for v in index]


def plot_simple_clv(data: pd.DataFrame, *, lang: str = "fr", ax: Axes | None = None) -> Axes:
    """Simple CLV of an average customer per group, largest on top, with its formula's terms.

    Each bar is labelled with its value and the four terms that make it: average basket x
    purchases per year x margin rate x expected lifetime (years), so the audience sees which
    lever makes a group valuable.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.clv.simple_clv` (one row per group).
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax, figsize=(9, max(3.0, 0.55 * len(data) + 1.5)))
    shown = data[data["clv"].notna()].sort_values("clv", ascending=False, kind="stable")
    if len(shown) == 0:
        return no_data(ax, lang=lang)
    positions = np.arange(len(shown))
    clv = shown["clv"].to_numpy(dtype=float)
    bars = ax.barh(positions, clv, 0.6, color=COLORS["margin"])
    labels = [
        f"{i18n.format_currency(row.clv, lang, compact=True)}   "
        + label("simple_clv_terms", lang).format(
            basket=i18n.format_currency(row.average_basket, lang, compact=True),
            purchases=i18n.format_number(row.purchases_per_year, lang, decimals=1),
            rate=i18n.format_percent(row.margin_rate, lang, decimals=0),
            years=i18n.format_number(row.expected_lifetime_years, lang, decimals=1),
        )
        for row in shown.itertuples()
    ]
    ax.bar_label(bars, labels=labels, padding=4, fontsize=9)
    ax.set_yticks(positions, _group_names(shown.index, lang))
    ax.invert_yaxis()
    # Room on the right for the labels (the formula is about as long as the longest bar).
    ax.set_xlim(0, max(float(clv.max()), 1.0) * 2.1)
    currency_axis(ax, axis="x", lang=lang)
    ax.set_xlabel(label("clv_per_customer", lang))
    if data.index.name:
        ax.set_ylabel(label(data.index.name, lang))
    ax.grid(axis="y", visible=False)
    ax.set_title(label("simple_clv_title", lang))
    return ax


def plot_clv_comparison(
    data: pd.DataFrame,
    *,
    retention: pd.Series | None = None,
    predictive: pd.DataFrame | None = None,
    horizon_months: int | None = None,
    lang: str = "fr",
    ax: Axes | None = None,
) -> Axes:
    """Mean CLV per customer of each group by the simple, retention and predictive methods.

    The three answer different questions, which the legend says: the simple CLV is the
    undiscounted margin of an average active customer over 1 / churn years; the retention CLV
    discounts that margin year by year with the survival rate (future years only); the
    predictive CLV is the discounted margin each customer (active or not) is expected to bring
    over the model's horizon, averaged over the group.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.clv.simple_clv` by group (``clv``).
    retention : pandas.Series, optional
        :func:`portfolio_lib.metrics.clv.retention_clv` per group, indexed like ``data``.
    predictive : pandas.DataFrame, optional
        :func:`portfolio_lib.models.clv_by_segment` by the same attribute (``clv_mean``).
    horizon_months : int, optional
        Horizon of the predictive CLV, for the legend.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per method present, in the order simple, retention, predictive.
    """
    methods = {"clv_simple": data["clv"]}
    if retention is not None:
        methods["clv_retention"] = pd.Series(retention, dtype=float)
    if predictive is not None:
        methods["clv_predictive"] = predictive["clv_mean"]
    table = pd.DataFrame(methods)
    table = table.sort_values(list(methods)[-1], ascending=False, kind="stable", na_position="last")
    ax = get_ax(ax, figsize=(9, max(4.0, 0.8 * len(table) + 1.5)))
    if len(table) == 0 or table.isna().all().all():
        return no_data(ax, lang=lang)
    positions = np.arange(len(table))
    height = 0.8 / len(methods)
    for i, (method, values) in enumerate(table.items()):
        name = label(method, lang)
        if method == "clv_predictive" and horizon_months is not None:
            name = label("clv_predictive_horizon", lang).format(months=horizon_months)
        heights = values.to_numpy(dtype=float, na_value=np.nan)
        bars = ax.barh(positions - 0.4 + height * (i + 0.5), np.nan_to_num(heights), height,
                       color=_METHOD_COLORS[method], label=name)  # fmt: skip
        ax.bar_label(bars, labels=[i18n.format_currency(v, lang, compact=True) for v in heights],
                     padding=3, fontsize=8.5)  # fmt: skip
    ax.set_yticks(positions, _group_names(table.index, lang))
    ax.invert_yaxis()
    ax.set_xlim(0, max(float(np.nanmax(table.to_numpy(dtype=float))), 1.0) * 1.18)
    currency_axis(ax, axis="x", lang=lang)
    ax.set_xlabel(label("clv_per_customer", lang))
    if data.index.name:
        ax.set_ylabel(label(data.index.name, lang))
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", frameon=True, fontsize=9)
    ax.set_title(label("clv_comparison_title", lang))
    return ax
