"""Lifecycle of the customers: revenue of the last two windows, phases and their actions.

Works on ``Aggregates.monthly`` / ``.months`` / ``.customers``. Phase and action columns hold
stable English keys (ordered ``Categorical``); their French and English labels are registered
with :func:`portfolio_lib.i18n.register` at import.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.tables import same_customers, window_totals
from portfolio_lib.i18n import register
from portfolio_lib.metrics.common import change, column_of, customer_ids

__all__ = [
    "LIFECYCLE_ACTIONS",
    "PHASES",
    "PHASE_ACTIONS",
    "customer_window_revenue",
    "lifecycle_phases",
    "lifecycle_summary",
    "window_revenue",
]

PHASES = ("childhood", "adolescence", "adulthood", "old_age")

# Recommended action per lifecycle phase (key of LIFECYCLE_ACTIONS).
PHASE_ACTIONS = {
    "childhood": "action_onboard",
    "adolescence": "action_develop",
    "adulthood": "action_retain",
    "old_age": "action_win_back",
}
LIFECYCLE_ACTIONS: dict[str, dict[str, str]] = {
    "action_onboard": {
        "fr": "Intégrer : obtenir la deuxième commande, former aux produits, visite de bienvenue",
        "en": "Onboard: secure the second order, product training, welcome visit",
    },
    "action_develop": {
        "fr": "Développer : élargir la gamme achetée, augmenter la part de portefeuille",
        "en": "Develop: widen the range bought, raise the share of wallet",
    },
    "action_retain": {
        "fr": "Fidéliser et protéger : qualité de service, conditions de fidélité",
        "en": "Retain and protect: service quality, loyalty terms",
    },
    "action_win_back": {
        "fr": "Diagnostiquer et reconquérir, ou réduire le coût de service",
        "en": "Diagnose and win back, or cut the cost to serve",
    },
}

register(
    {
        "tenure_months": {"fr": "Ancienneté (mois)", "en": "Tenure (months)"},
        "revenue_recent": {"fr": "CA période récente", "en": "Revenue, recent window"},
        "revenue_previous": {"fr": "CA période précédente", "en": "Revenue, previous window"},
        "trend": {"fr": "Tendance du CA", "en": "Revenue trend"},
        "phase": {"fr": "Phase du cycle de vie", "en": "Lifecycle phase"},
        "action": {"fr": "Action recommandée", "en": "Recommended action"},
        "childhood": {"fr": "Enfance", "en": "Childhood"},
        "adolescence": {"fr": "Adolescence", "en": "Adolescence"},
        "adulthood": {"fr": "Maturité", "en": "Adulthood"},
        "old_age": {"fr": "Déclin", "en": "Old age"},
        **LIFECYCLE_ACTIONS,
    }
)


def window_revenue(
    monthly: pd.DataFrame,
    months: pd.DatetimeIndex,
    *,
    window: int = DEFAULTS["lifecycle_window_months"],
) -> pd.DataFrame:
    """Revenue of each customer over the last ``window`` months and the ``window`` before.

    The recent window is the ``window`` calendar months ending with the last month of
    ``months`` (the month of ``as_of``); the previous window the ``window`` months before it.
    Months before the start of the history count as months without revenue.

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``: ``customer_id`` (categorical), ``month``, ``revenue``.
    months : pandas.DatetimeIndex
        ``Aggregates.months``; only its last month matters.
    window : int, default 12

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (every category, prospects included, as
        :func:`portfolio_lib.engine.aggregate.revenue_matrix`): ``revenue_recent`` and
        ``revenue_previous``.
    """
    if int(window) < 1:
        raise ValueError(f"window must be at least 1 month, got {window!r}")
    if len(months) == 0:
        raise ValueError("months is empty: there is no analysis period")
    grid = pd.DatetimeIndex(months)
    spans = grid.equals(pd.date_range(grid[0], periods=len(grid), freq="MS").as_unit(grid.unit))
    if not (spans and len(grid) >= 2 * int(window)):
        # The 2 x window months ending with the last one (none is before the history start);
        # otherwise ``months`` itself, whose totals customer_totals has usually cached.
        last = grid[-1].to_period("M").to_timestamp()
        grid = pd.date_range(end=last, periods=2 * int(window), freq="MS").as_unit(grid.unit)
    previous_end = grid[-1] - pd.DateOffset(months=int(window))
    recent = window_totals(monthly, grid, window=int(window))["revenue"]
    previous = window_totals(monthly, grid, window=int(window), end=previous_end)["revenue"]
    return pd.DataFrame({"revenue_recent": recent, "revenue_previous": previous})


def customer_window_revenue(
    monthly: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    months: pd.DatetimeIndex,
    window: int = DEFAULTS["lifecycle_window_months"],
) -> pd.DataFrame:
    """:func:`window_revenue` in the row order of ``customers`` (customers absent: 0).

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    customers : pandas.DataFrame
        One row per customer, ``customer_id`` column or index (``Aggregates.customers``).
    months : pandas.DatetimeIndex
        ``Aggregates.months``.
    window : int, default 12

    Returns
    -------
    pandas.DataFrame
        ``revenue_recent`` and ``revenue_previous``, one row per row of ``customers``, with
        a RangeIndex.
    """
    ids = customer_ids(customers, "window revenue")
    windows = window_revenue(monthly, months, window=window)
    if not same_customers(windows.index, ids):
        windows = windows.reindex(ids, fill_value=0.0)
    return windows.reset_index(drop=True)


def lifecycle_phases(
    monthly: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    months: pd.DatetimeIndex,
    growth: float = DEFAULTS["lifecycle_growth"],
    childhood_months: int = DEFAULTS["lifecycle_childhood_months"],
    window_months: int = DEFAULTS["lifecycle_window_months"],
) -> pd.DataFrame:
    """Lifecycle phase of each customer with revenue in the last two windows.

    - ``tenure_months``: calendar months from the month of ``first_purchase`` to the last month
      of ``months`` (the month of as_of): a first purchase in January 2025 with as_of in
      December 2025 gives 11;
    - ``revenue_recent`` / ``revenue_previous``: revenue over the last ``window_months`` months
      and the ``window_months`` before (:func:`window_revenue`);
    - ``trend`` = revenue_recent / revenue_previous - 1, NaN (undefined) when the previous
      window has no positive revenue;
    - ``phase``, in this order of precedence:

      ============ ==================================================================
      childhood    tenure_months < ``childhood_months``
      adolescence  trend > ``growth``, or no positive revenue in the previous window
      old_age      trend < -``growth``
      adulthood    otherwise (-growth <= trend <= growth)
      ============ ==================================================================

    - ``action``: key of the recommended action (:data:`PHASE_ACTIONS`, texts in
      :data:`LIFECYCLE_ACTIONS`, labels in :mod:`portfolio_lib.i18n`).

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    customers : pandas.DataFrame
        ``Aggregates.customers`` (``customer_id``, ``first_purchase``).
    months : pandas.DatetimeIndex
        ``Aggregates.months``.
    growth : float, default 0.10
        g: a trend above +g is growth, below -g decline.
    childhood_months : int, default 12
    window_months : int, default 12

    Returns
    -------
    pandas.DataFrame
        One row per customer with positive revenue in either window, in the order of
        ``customers``: ``customer_id``, ``tenure_months``, ``revenue_recent``,
        ``revenue_previous``, ``trend``, ``phase`` and ``action`` (categoricals of keys).
    """
    if growth < 0:
        raise ValueError(f"growth must be >= 0, got {growth!r}")
    ids = customer_ids(customers, "lifecycle")
    windows = customer_window_revenue(monthly, customers, months=months, window=window_months)
    recent = windows["revenue_recent"].to_numpy()
    previous = windows["revenue_previous"].to_numpy()
    keep = np.flatnonzero((recent > 0) | (previous > 0))
    first = pd.to_datetime(column_of(customers, "first_purchase", "lifecycle").take(keep))
    if first.isna().any():
        examples = ids.take(keep[first.isna().to_numpy()]).head(3).tolist()
        raise ValueError(
            f"lifecycle: customers with revenue but no first_purchase date (e.g. {examples}); "
            "pass Aggregates.customers, which dates every buyer's first purchase."
        )
    last = pd.Timestamp(months[-1])
    months_between = (last.year - first.dt.year) * 12 + (last.month - first.dt.month)
    tenure = months_between.clip(lower=0).to_numpy(dtype=np.int64)
    recent, previous = recent[keep], previous[keep]
    trend = change(recent, previous)
    phase = np.select(
        [tenure < childhood_months, ~(previous > 0) | (trend > growth), trend < -growth],
        [0, 1, 3],
        default=2,  # adulthood: -growth <= trend <= growth
    )
    return pd.DataFrame(
        {
            "customer_id": ids.take(keep).reset_index(drop=True),
            "tenure_months": tenure,
            "revenue_recent": recent,
            "revenue_previous": previous,
            "trend": trend,
            "phase": pd.Categorical.from_codes(phase, categories=PHASES, ordered=True),
            "action": pd.Categorical.from_codes(
                phase, categories=[PHASE_ACTIONS[p] for p in PHASES], ordered=True
            ),
        },
        copy=False,  # new arrays
    )


def lifecycle_summary(phases: pd.DataFrame) -> pd.DataFrame:
    """Customers and revenue per lifecycle phase, with the recommended action.

    Parameters
    ----------
    phases : pandas.DataFrame
        Output of :func:`lifecycle_phases`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``phase`` (all four): ``customers``, ``customer_share``,
        ``revenue_recent``, ``revenue_previous``, ``revenue_share`` (of the recent revenue),
        ``trend`` (of the phase's summed revenue, NaN without previous revenue) and ``action``
        (key; ``i18n.label(key, lang)`` gives the text).
    """
    grouped = phases.groupby("phase", observed=False, sort=True)
    out = pd.DataFrame(
        {
            "customers": grouped.size(),
            "revenue_recent": grouped["revenue_recent"].sum(),
            "revenue_previous": grouped["revenue_previous"].sum(),
        }
    )
    out = out.reindex(pd.CategoricalIndex(PHASES, categories=PHASES, ordered=True, name="phase"))
    out = out.fillna({"customers": 0, "revenue_recent": 0.0, "revenue_previous": 0.0})
    out["customers"] = out["customers"].astype(np.int64)
    n = out["customers"].sum()
    out.insert(1, "customer_share", out["customers"] / n if n else np.nan)
    recent_total = out["revenue_recent"].sum()
    out["revenue_share"] = out["revenue_recent"] / recent_total if recent_total else np.nan
    previous = out["revenue_previous"].where(out["revenue_previous"] > 0)
    out["trend"] = out["revenue_recent"] / previous - 1
    out["action"] = [PHASE_ACTIONS[p] for p in PHASES]
    return out
