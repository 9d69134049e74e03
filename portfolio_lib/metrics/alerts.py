"""Risk alerts per customer and per sales rep: revenue drops, overdue customers, key accounts.

Works on ``Aggregates.monthly`` / ``.months`` / ``.customers`` (whose lifetimes-style summary
columns ``frequency`` and ``recency`` give each customer's usual gap between purchases).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.i18n import register
from portfolio_lib.metrics.common import (
    change,
    column_of,
    customer_ids,
    descending_ranking,
    numbers,
)
from portfolio_lib.metrics.lifecycle import customer_window_revenue

__all__ = ["ALERT_KINDS", "alerts_by_rep", "customer_alerts"]

# Alert kinds, the boolean columns of customer_alerts (stable keys, labels in i18n).
ALERT_KINDS = ("revenue_drop", "overdue", "top_at_risk")

register(
    {
        "priority": {"fr": "Priorité", "en": "Priority"},
        "revenue_change": {"fr": "Évolution du CA", "en": "Revenue change"},
        "days_since_last": {
            "fr": "Jours depuis le dernier achat",
            "en": "Days since last purchase",
        },
        "usual_gap_days": {
            "fr": "Intervalle habituel entre achats (j)",
            "en": "Usual gap between purchases (days)",
        },
        "gap_ratio": {"fr": "Retard / intervalle habituel", "en": "Gap ratio"},
        "revenue_drop": {"fr": "Baisse du CA", "en": "Revenue drop"},
        "overdue": {"fr": "Commande en retard", "en": "Overdue order"},
        "top_at_risk": {"fr": "Compte clé à risque", "en": "Key account at risk"},
        "revenue_at_risk": {"fr": "CA à risque", "en": "Revenue at risk"},
        "customers_alerted": {"fr": "Clients en alerte", "en": "Customers with an alert"},
        # Sheet name of the summary per rep (alerts_by_rep) in the alerts hand-out.
        "alerts_summary": {"fr": "Synthèse par commercial", "en": "Summary by sales rep"},
        "no_alerts": {
            "fr": "Aucun client en alerte avec ces seuils",
            "en": "No customer raises an alert with these thresholds",
        },
    }
)


def customer_alerts(
    monthly: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    months: pd.DatetimeIndex,
    as_of: object,
    drop_alert: float = DEFAULTS["drop_alert"],
    gap_alert: float = DEFAULTS["gap_alert"],
    top_at_risk: int = DEFAULTS["top_at_risk"],
    window: int = DEFAULTS["lifecycle_window_months"],
    relationship_alert: float = DEFAULTS["relationship_alert"],
) -> pd.DataFrame:
    """Customers with at least one risk alert, most urgent first.

    Customers with positive revenue in the last two windows are checked (those who stopped
    buying earlier are lost, not at risk; see the movements analysis):

    - ``revenue_recent`` / ``revenue_previous``: revenue over the last ``window`` months and the
      ``window`` months before (as in the lifecycle, :func:`portfolio_lib.metrics.lifecycle.window_revenue`);
      ``revenue_change`` = recent / previous - 1 (NaN without previous revenue);
    - ``days_since_last``: days from ``last_purchase`` to ``as_of``;
    - ``usual_gap_days`` = recency / frequency of the lifetimes-style summary (days from the
      first to the last purchase over the number of repeat purchase days), only for customers
      with frequency >= 2 (one gap is not a habit); ``gap_ratio`` = days_since_last /
      usual_gap_days;
    - alerts: ``revenue_drop`` = previous > 0 and revenue_change < -``drop_alert``;
      ``overdue`` = gap_ratio > ``gap_alert``; ``top_at_risk`` = among the ``top_at_risk``
      largest customers by revenue over the two windows (ties by ``customer_id``) and with
      another alert;
    - ``revenue_at_risk``: revenue_previous for a revenue drop (the yearly revenue being lost),
      revenue_recent otherwise;
    - ``priority``: 1, 2, ... ordering top accounts at risk first, then revenue at risk
      descending, then ``customer_id``;
    - with a ``relationship_quality`` column (0-1, course text 000's third criterion):
      ``relationship_quality`` and ``weak_relationship`` = quality < ``relationship_alert``,
      the alerted customers whose relationship itself is fragile (the alerts stay the same).

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    customers : pandas.DataFrame
        ``Aggregates.customers``: ``customer_id``, ``last_purchase``, ``frequency``,
        ``recency``; ``sales_rep`` and ``name`` are used when present.
    months : pandas.DatetimeIndex
        ``Aggregates.months``.
    as_of : date-like
        ``Aggregates.as_of``.
    drop_alert : float, default 0.30
    gap_alert : float, default 2.0
    top_at_risk : int, default 20
    window : int, default 12
        Months per window.
    relationship_alert : float, default 0.5
        Relationship quality below which an alerted customer's relationship is weak.

    Returns
    -------
    pandas.DataFrame
        One row per alerted customer, by priority: ``priority``, ``sales_rep`` ("unknown"
        when missing), ``customer_id``, [``name``], ``revenue_recent``, ``revenue_previous``,
        ``revenue_change``, ``days_since_last``, ``usual_gap_days``, ``gap_ratio``,
        ``revenue_drop``, ``overdue``, ``top_at_risk``, ``revenue_at_risk``, and with a
        ``relationship_quality`` column: ``relationship_quality``, ``weak_relationship``.
    """
    if drop_alert < 0:
        raise ValueError(f"drop_alert must be >= 0 (e.g. 0.30 for -30 %), got {drop_alert!r}")
    if gap_alert <= 0:
        raise ValueError(f"gap_alert must be positive (e.g. 2.0), got {gap_alert!r}")
    if int(top_at_risk) < 0:
        raise ValueError(f"top_at_risk must be >= 0, got {top_at_risk!r}")
    analysis = "risk alerts"
    ids = customer_ids(customers, analysis)
    windows = customer_window_revenue(monthly, customers, months=months, window=window)
    recent = windows["revenue_recent"].to_numpy()
    previous = windows["revenue_previous"].to_numpy()
    end = pd.Timestamp(as_of).normalize()
    days = _days_since(column_of(customers, "last_purchase", analysis), end)
    frequency = numbers(customers, "frequency", analysis)
    recency = numbers(customers, "recency", analysis)
    with np.errstate(divide="ignore", invalid="ignore"):
        usual_gap = np.where(frequency >= 2, recency / frequency, np.nan)  # one gap: no habit
        gap_ratio = days / usual_gap

    in_scope = (recent > 0) | (previous > 0)
    revenue_change = change(recent, previous)
    drop = revenue_change < -drop_alert  # implies previous > 0, hence in scope
    overdue = (gap_ratio > gap_alert) & in_scope
    alerted = drop | overdue
    top = np.zeros(len(ids), dtype=bool)
    k = min(int(top_at_risk), len(ids))
    if k:
        # Only the customers at or above the k-th largest revenue can be among the k largest.
        both = recent + previous
        candidates = np.flatnonzero(both >= np.partition(both, -k)[-k])
        ranked = candidates[descending_ranking(ids.take(candidates), both[candidates])]
        top[ranked[:k]] = True
    top_alert = top & alerted & (recent + previous > 0)
    at_risk = np.where(drop, previous, recent)

    rows = np.flatnonzero(alerted)
    if np.isnan(days[rows]).any():
        examples = ids.take(rows[np.isnan(days[rows])]).head(3).tolist()
        raise ValueError(
            f"risk alerts: customers with revenue but no last_purchase date (e.g. {examples}); "
            "pass Aggregates.customers, which dates every buyer's last purchase."
        )
    if (days[rows] < 0).any():
        raise ValueError(
            f"risk alerts: last purchases after as_of ({end:%Y-%m-%d}); pass the as_of used for "
            "the aggregation (Aggregates.as_of)."
        )
    # Top accounts at risk first, then revenue at risk descending, then customer id.
    rows = rows[descending_ranking(ids.take(rows), at_risk[rows])]
    rows = rows[np.argsort(~top_alert[rows], kind="stable")]

    if "sales_rep" in customers.columns:
        reps = column_of(customers, "sales_rep", analysis).take(rows).reset_index(drop=True)
        if isinstance(reps.dtype, pd.CategoricalDtype) and "unknown" not in reps.cat.categories:
            reps = reps.cat.add_categories("unknown")
        reps = reps.fillna("unknown")
    else:
        reps = pd.Series("unknown", index=range(rows.size), dtype="str")
    columns = {
        "priority": np.arange(1, rows.size + 1),
        "sales_rep": reps,
        "customer_id": ids.take(rows).reset_index(drop=True),
    }
    if "name" in customers.columns:
        columns["name"] = column_of(customers, "name", analysis).take(rows).reset_index(drop=True)
    columns |= {
        "revenue_recent": recent[rows],
        "revenue_previous": previous[rows],
        "revenue_change": revenue_change[rows],
        "days_since_last": days[rows].astype(np.int64),
        "usual_gap_days": usual_gap[rows],
        "gap_ratio": gap_ratio[rows],
        "revenue_drop": drop[rows],
        "overdue": overdue[rows],
        "top_at_risk": top_alert[rows],
        "revenue_at_risk": at_risk[rows],
    }
    if "relationship_quality" in customers.columns:
        quality = column_of(customers, "relationship_quality", analysis).to_numpy(
            dtype=np.float64, na_value=np.nan
        )[rows]
        columns["relationship_quality"] = quality
        columns["weak_relationship"] = quality < relationship_alert  # NaN (unknown): not weak
    return pd.DataFrame(columns, copy=False)  # new arrays


def _days_since(last: pd.Series, end: pd.Timestamp) -> np.ndarray:
    """Whole days from each date to ``end`` as floats (``Timedelta.days``), NaN without a date."""
    if not pd.api.types.is_datetime64_any_dtype(last):
        last = pd.to_datetime(last)
    return (end - last).dt.days.to_numpy(dtype=float, na_value=np.nan)


def alerts_by_rep(alerts: pd.DataFrame, *, reps: Iterable[str] | None = None) -> pd.DataFrame:
    """Alerts per sales rep: how many of each kind, customers alerted and revenue at risk.

    Parameters
    ----------
    alerts : pandas.DataFrame
        Output of :func:`customer_alerts`.
    reps : iterable of str, optional
        Every rep to show, those without alerts with zeros (e.g. the reps of the customer
        table); default only the reps with alerts.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``sales_rep``: ``revenue_drop``, ``overdue``, ``top_at_risk`` (counts),
        ``customers_alerted`` and ``revenue_at_risk`` (sum), sorted by revenue at risk
        descending, then rep name.

    Examples
    --------
    >>> alerts = pd.DataFrame({"sales_rep": ["Léa", "Marc", "Léa"],
    ...                        "revenue_drop": [True, False, True],
    ...                        "overdue": [False, True, True],
    ...                        "top_at_risk": [False, False, True],
    ...                        "revenue_at_risk": [100.0, 400.0, 250.0]})
    >>> alerts_by_rep(alerts).reset_index().to_numpy().tolist()
    [['Marc', 0, 1, 0, 1, 400.0], ['Léa', 2, 1, 1, 2, 350.0]]
    """
    grouped = alerts.groupby("sales_rep", sort=True, observed=True)
    kinds = [*ALERT_KINDS, *(["weak_relationship"] if "weak_relationship" in alerts else [])]
    out = grouped[kinds].sum().astype(np.int64)
    out["customers_alerted"] = grouped.size().astype(np.int64)
    out["revenue_at_risk"] = grouped["revenue_at_risk"].sum()
    if reps is not None:
        listed = (pd.Series, pd.Index, np.ndarray, pd.api.extensions.ExtensionArray)
        distinct = pd.unique(reps if isinstance(reps, listed) else pd.Series(list(reps)))
        names = pd.Index(pd.unique(pd.Series(distinct, dtype=object).fillna("unknown")))
        out = out.reindex(out.index.union(names), fill_value=0)
    out.index.name = "sales_rep"
    out = out.reset_index().sort_values(
        ["revenue_at_risk", "sales_rep"], ascending=[False, True], kind="stable"
    )
    return out.set_index("sales_rep")
