"""Charts of the risk alerts: revenue at risk per sales rep and the accounts to call first.

Both take the per-customer table of :func:`portfolio_lib.metrics.alerts.customer_alerts`, draw on
``ax`` (a new figure when missing) and return it; labels follow ``lang``.

A customer can raise several alerts at once, so to stack revenue without counting it twice
each alerted customer is put under one *main* alert, the most serious: key account at risk,
else revenue drop, else overdue order. The stacks of a rep add up to the ``revenue_at_risk``
of :func:`portfolio_lib.metrics.alerts.alerts_by_rep`.
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
    currency_axis,
    get_ax,
    no_data,
    plain_text,
    shorten,
)

__all__ = ["MAIN_ALERTS", "main_alert", "plot_revenue_at_risk_by_rep", "plot_top_at_risk"]

# Main alert of a customer, most serious first, with its colour.
MAIN_ALERTS = ("top_at_risk", "revenue_drop", "overdue")
_ALERT_COLORS = {
    "top_at_risk": COLORS["alert"],
    "revenue_drop": COLORS["contraction"],
    "overdue": COLORS["potential"],
}

i18n.register(
    {
        "main_alert_top_at_risk": {"fr": "Compte clé à risque", "en": "Key account at risk"},
        "main_alert_revenue_drop": {"fr": "Baisse du CA", "en": "Revenue drop"},
        "main_alert_overdue": {"fr": "Commande en retard seule", "en": "Overdue order only"},
        "revenue_at_risk_by_rep_title": {
            "fr": "Chiffre d'affaires à risque par commercial",
            "en": "Revenue at risk per sales rep",
        },
        "alerted_short": {"fr": "{n} clients en alerte", "en": "{n} customers alerted"},
        "top_at_risk_title": {
            "fr": "Les {n} comptes à risque à traiter en premier",
            "en": "The {n} accounts at risk to handle first",
        },
        "drop_note": {"fr": "CA {change}", "en": "revenue {change}"},
        "overdue_note": {
            "fr": "{days} j sans commande ({ratio} l'habitude)",
            "en": "{days} days without an order ({ratio} usual gap)",
        },
    }
)


def main_alert(alerts: pd.DataFrame) -> pd.Series:
    """The most serious alert of each customer: top_at_risk, else revenue_drop, else overdue.

    Parameters
    ----------
    alerts : pandas.DataFrame
        :func:`portfolio_lib.metrics.alerts.customer_alerts`.

    Returns
    -------
    pandas.Series
        Categorical of :data:`MAIN_ALERTS` keys, aligned on ``alerts``.
    """
    codes = np.select(
        [alerts["top_at_risk"].to_numpy(bool), alerts["revenue_drop"].to_numpy(bool)], [0, 1], 2
    )
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=list(MAIN_ALERTS)),
        index=alerts.index,
        name="main_alert",
    )


def _rep_names(reps: pd.Index, lang: str) -> list[str]:
    return [
        label("unknown", lang) if str(r) == "unknown" else plain_text(shorten(str(r), 24))
        for r in reps
    ]


def plot_revenue_at_risk_by_rep(
    data: pd.DataFrame, *, lang: str = "fr", ax: Axes | None = None
) -> Axes:
    """Revenue at risk of each sales rep, stacked by main alert, the largest on top.

    Each bar ends with the rep's total and the number of customers alerted.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.alerts.customer_alerts`.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per main alert, in the order of :data:`MAIN_ALERTS`.
    """
    reps = data["sales_rep"].astype(object).nunique() if len(data) else 0
    ax = get_ax(ax, figsize=(9, max(3.0, 0.5 * reps + 1.5)))
    if len(data) == 0:
        return no_data(ax, lang=lang, text=label("no_alerts", lang))
    frame = pd.DataFrame(
        {
            "sales_rep": data["sales_rep"].astype(object).to_numpy(),
            "main_alert": main_alert(data).to_numpy(),
            "revenue_at_risk": data["revenue_at_risk"].to_numpy(dtype=float),
        }
    )
    table = frame.pivot_table(index="sales_rep", columns="main_alert", values="revenue_at_risk",
                              aggfunc="sum", fill_value=0.0, observed=False)  # fmt: skip
    table = table.reindex(columns=list(MAIN_ALERTS), fill_value=0.0)
    totals = table.sum(axis=1)
    order = pd.DataFrame({"total": totals, "rep": totals.index.astype(str)}).sort_values(
        ["total", "rep"], ascending=[False, True], kind="stable"
    )
    table = table.loc[order.index]
    counts = frame.groupby("sales_rep").size().reindex(table.index)
    positions = np.arange(len(table))
    left = np.zeros(len(table))
    for kind in MAIN_ALERTS:
        widths = table[kind].to_numpy(dtype=float)
        ax.barh(positions, widths, 0.65, left=left, color=_ALERT_COLORS[kind],
                label=label(f"main_alert_{kind}", lang))  # fmt: skip
        left += widths
    for y, (total, n) in enumerate(zip(left, counts, strict=True)):
        text = f"{i18n.format_currency(total, lang, compact=True)} · " + label(
            "alerted_short", lang
        ).format(n=i18n.format_number(n, lang))
        ax.text(total, y, f"  {text}", va="center", fontsize=9)
    ax.set_yticks(positions, _rep_names(table.index, lang))
    ax.invert_yaxis()
    ax.set_xlim(0, max(float(left.max()), 1.0) * 1.45)
    currency_axis(ax, axis="x", lang=lang)
    ax.set_xlabel(label("revenue_at_risk", lang))
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", frameon=True, fontsize=9)
    ax.set_title(label("revenue_at_risk_by_rep_title", lang))
    return ax


def _alert_note(row: pd.Series, lang: str) -> str:
    """'CA -65 % · 81 j sans commande (2,4× l'habitude) · Antoine Moreau'."""
    parts = []
    if row["revenue_drop"] and pd.notna(row["revenue_change"]):
        change = i18n.format_percent(row["revenue_change"], lang, decimals=0)
        parts.append(label("drop_note", lang).format(change=change))
    if row["overdue"]:
        ratio = i18n.format_number(row["gap_ratio"], lang, decimals=1) + "×"
        parts.append(
            label("overdue_note", lang).format(
                days=i18n.format_number(row["days_since_last"], lang), ratio=ratio
            )
        )
    rep = str(row["sales_rep"])
    parts.append(label("unknown", lang) if rep == "unknown" else plain_text(rep))
    return " · ".join(parts)


def plot_top_at_risk(
    data: pd.DataFrame, *, n: int = 15, lang: str = "fr", ax: Axes | None = None
) -> Axes:
    """The ``n`` first customers by priority as a list: revenue at risk and why.

    One bar per customer in priority order (1 on top), coloured by its main alert, labelled
    with its name (else its id) on the left and, on the right, the amount, the revenue change,
    the days without an order against the usual gap, and the sales rep.

    Parameters
    ----------
    data : pandas.DataFrame
        :func:`portfolio_lib.metrics.alerts.customer_alerts` (sorted by priority).
    n : int, default 15
        How many customers to list.
    lang : {'fr', 'en'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    shown = data.sort_values("priority", kind="stable").head(int(n))
    ax = get_ax(ax, figsize=(11, max(3.0, 0.42 * len(shown) + 1.6)))
    if len(shown) == 0:
        return no_data(ax, lang=lang, text=label("no_alerts", lang))
    names = (
        shown["name"].astype(object).where(shown["name"].notna(), shown["customer_id"])
        if "name" in shown
        else shown["customer_id"]
    )
    kinds = main_alert(shown)
    positions = np.arange(len(shown))
    at_risk = shown["revenue_at_risk"].to_numpy(dtype=float)
    ax.barh(positions, at_risk, 0.65, color=[_ALERT_COLORS[k] for k in kinds])
    # The why of each row in a column right of the axes, like a list (x in axes units).
    column = ax.get_yaxis_transform()
    for y, (value, (_, row)) in enumerate(zip(at_risk, shown.iterrows(), strict=True)):
        money = i18n.format_currency(value, lang, compact=True)
        for text, offset, weight in ((money, 8, "bold"), (_alert_note(row, lang), 60, "normal")):
            ax.annotate(text, xy=(1.0, y), xycoords=column, xytext=(offset, 0),
                        textcoords="offset points", va="center", fontsize=8.5,
                        fontweight=weight, annotation_clip=False)  # fmt: skip
    ax.set_yticks(
        positions,
        [
            f"{p}. {plain_text(shorten(str(name), 28))}"
            for p, name in zip(shown["priority"], names, strict=True)
        ],
    )
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.set_xlim(0, max(float(at_risk.max()), 1.0) * 1.05)
    currency_axis(ax, axis="x", lang=lang, nbins=3)  # the list leaves the bars a narrow column
    ax.set_xlabel(label("revenue_at_risk", lang))
    ax.grid(axis="y", visible=False)
    handles = [
        Patch(facecolor=_ALERT_COLORS[k], label=label(f"main_alert_{k}", lang))
        for k in MAIN_ALERTS
        if (kinds == k).any()
    ]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(handles),
              frameon=False, fontsize=9)  # fmt: skip
    ax.set_title(label("top_at_risk_title", lang).format(n=len(shown)), pad=24)
    return ax
