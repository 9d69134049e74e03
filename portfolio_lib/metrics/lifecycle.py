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

# The customer's phases of course text 001 (enfance, adolescence, âge adulte, vieillesse; the
# product words lancement, croissance, maturité, déclin are not used for customers), then the
# customers lost: no revenue in the recent window (they left the active portfolio: not old).
PHASES = ("childhood", "adolescence", "adulthood", "old_age", "lost")

# Recommended action per phase (key of LIFECYCLE_ACTIONS): text 001's actions, word for word.
PHASE_ACTIONS = {
    "childhood": "action_childhood",
    "adolescence": "action_adolescence",
    "adulthood": "action_adulthood",
    "old_age": "action_old_age",
    "lost": "action_lost",
}
# A child whose relationship quality is below the alert (relationship_quality): text 001's
# first enfance action, "veiller à la qualité de la relation", made the priority.
WEAK_CHILD_ACTION = "action_childhood_weak"
LIFECYCLE_ACTIONS: dict[str, dict[str, str]] = {
    "action_childhood": {
        "fr": "Veiller à la qualité de la relation, mener des actions de suivi rapproché",
        "en": "Care for the quality of the relationship, run close follow-up actions",
    },
    WEAK_CHILD_ACTION: {
        "fr": "Relation fragile : veiller d'abord à la qualité de la relation, suivi rapproché",
        "en": "Weak relationship: care first for the quality of the relationship, close follow-up",
    },
    "action_adolescence": {
        "fr": "Poursuivre l'accompagnement avec un suivi régulier",
        "en": "Keep supporting the customer with regular follow-up",
    },
    "action_adulthood": {
        "fr": "Suivre et entretenir la relation, mais ralentir, espacer les visites et les appels",
        "en": "Keep up and maintain the relationship, but slow down: space out visits and calls",
    },
    "action_old_age": {
        "fr": "Tout mettre en œuvre pour le retenir, réfléchir à de nouvelles offres, décider si "
        "l'on reconduit le partenariat ou si on l'abandonne",
        "en": "Do everything to retain them, think of new offers, decide whether to renew the "
        "partnership or drop it",
    },
    "action_lost": {
        "fr": "Sorti du portefeuille (aucun achat sur la période) : le reconvertir en client "
        "actif par la prospection",
        "en": "Out of the portfolio (no purchase in the window): convert them back into an "
        "active customer through prospection",
    },
}
_ACTION_KEYS = [PHASE_ACTIONS["childhood"], WEAK_CHILD_ACTION] + [
    PHASE_ACTIONS[p] for p in PHASES[1:]
]

register(
    {
        "tenure_months": {"fr": "Ancienneté (mois)", "en": "Tenure (months)"},
        "revenue_recent": {"fr": "CA période récente", "en": "Revenue, recent window"},
        "revenue_previous": {"fr": "CA période précédente", "en": "Revenue, previous window"},
        "margin_recent": {"fr": "Marge période récente", "en": "Margin, recent window"},
        "margin_previous": {"fr": "Marge période précédente", "en": "Margin, previous window"},
        "trend": {"fr": "Tendance du CA", "en": "Revenue trend"},
        "margin_trend": {"fr": "Tendance de la marge", "en": "Margin trend"},
        "phase": {"fr": "Phase du cycle de vie", "en": "Lifecycle phase"},
        "action": {"fr": "Action recommandée", "en": "Recommended action"},
        "weak_relationship": {"fr": "Relation fragile", "en": "Weak relationship"},
        "childhood": {"fr": "Enfance", "en": "Childhood"},
        "adolescence": {"fr": "Adolescence", "en": "Adolescence"},
        "adulthood": {"fr": "Âge adulte", "en": "Adulthood"},
        "old_age": {"fr": "Vieillesse", "en": "Old age"},
        "lost": {"fr": "Perdus", "en": "Lost"},  # as the movements: no longer active
        **LIFECYCLE_ACTIONS,
    }
)


def window_revenue(
    monthly: pd.DataFrame,
    months: pd.DatetimeIndex,
    *,
    window: int = DEFAULTS["lifecycle_window_months"],
    margin: bool = False,
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
    margin : bool, default False
        Add ``margin_recent`` and ``margin_previous`` (NaN when the log has no margin).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (every category, prospects included, as
        :func:`portfolio_lib.engine.aggregate.revenue_matrix`): ``revenue_recent`` and
        ``revenue_previous`` [, ``margin_recent``, ``margin_previous``].
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
    recent = window_totals(monthly, grid, window=int(window))
    previous = window_totals(monthly, grid, window=int(window), end=previous_end)
    out = {"revenue_recent": recent["revenue"], "revenue_previous": previous["revenue"]}
    if margin:
        out["margin_recent"] = recent["margin"]
        out["margin_previous"] = previous["margin"]
    return pd.DataFrame(out)


def customer_window_revenue(
    monthly: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    months: pd.DatetimeIndex,
    window: int = DEFAULTS["lifecycle_window_months"],
    margin: bool = False,
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
    margin : bool, default False
        Add the margins of both windows (:func:`window_revenue`).

    Returns
    -------
    pandas.DataFrame
        ``revenue_recent`` and ``revenue_previous`` [and the margins], one row per row of
        ``customers``, with a RangeIndex.
    """
    ids = customer_ids(customers, "window revenue")
    windows = window_revenue(monthly, months, window=window, margin=margin)
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
    use_margin: bool = True,
    relationship_alert: float = DEFAULTS["relationship_alert"],
) -> pd.DataFrame:
    """Lifecycle phase of each customer with revenue in the last two windows (course text 001).

    Text 001: the cycle shows "la contribution du client à la marge et CA"; the phases are
    enfance, adolescence, âge adulte, vieillesse. A customer's contribution is followed on
    revenue **and** margin:

    - ``tenure_months``: calendar months from the month of ``first_purchase`` to the last month
      of ``months`` (the month of as_of): a first purchase in January 2025 with as_of in
      December 2025 gives 11;
    - ``revenue_recent`` / ``revenue_previous`` (and ``margin_recent`` / ``margin_previous``):
      over the last ``window_months`` months and the ``window_months`` before
      (:func:`window_revenue`);
    - ``trend`` = revenue_recent / revenue_previous - 1 and ``margin_trend`` the same on the
      margin; NaN (undefined) when the previous window has no positive value. A margin trend
      that is NaN (no margin in the log, ``use_margin=False``, or no positive margin before)
      leaves the revenue alone to judge;
    - ``phase``, in this order of precedence:

      ============ ==================================================================
      lost         no positive revenue in the recent window (lost, not old)
      childhood    tenure_months < ``childhood_months``
      adolescence  no positive revenue in the previous window (back after a gap)
      old_age      trend < -``growth`` **or** margin_trend < -``growth`` (the
                   contribution to revenue or to margin falls)
      adolescence  trend > ``growth`` **and** (margin_trend > ``growth`` or NaN) (the
                   contribution to both grows)
      adulthood    otherwise (the contribution holds)
      ============ ==================================================================

    - ``action``: key of the recommended action (:data:`PHASE_ACTIONS`, texts in
      :data:`LIFECYCLE_ACTIONS`); a child whose ``relationship_quality`` (when the customer
      table has it) is below ``relationship_alert`` gets ``action_childhood_weak``: the
      quality of the relationship first.

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    customers : pandas.DataFrame
        ``Aggregates.customers`` (``customer_id``, ``first_purchase``, optional
        ``relationship_quality``).
    months : pandas.DatetimeIndex
        ``Aggregates.months``.
    growth : float, default 0.10
        g: a trend above +g is growth, below -g decline.
    childhood_months : int, default 12
    window_months : int, default 12
    use_margin : bool, default True
        Judge on the margin too (when the log has one).
    relationship_alert : float, default 0.5
        Relationship quality below which a child's action is ``action_childhood_weak``.

    Returns
    -------
    pandas.DataFrame
        One row per customer with positive revenue in either window, in the order of
        ``customers``: ``customer_id``, ``tenure_months``, ``revenue_recent``,
        ``revenue_previous``, ``trend``, ``margin_recent``, ``margin_previous``,
        ``margin_trend``, [``relationship_quality``, ``weak_relationship``], ``phase`` and
        ``action`` (categoricals of keys). ``attrs["margin_used"]`` says whether the margin
        took part (False: revenue only).
    """
    if growth < 0:
        raise ValueError(f"growth must be >= 0, got {growth!r}")
    ids = customer_ids(customers, "lifecycle")
    windows = customer_window_revenue(
        monthly, customers, months=months, window=window_months, margin=True
    )
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
    margin_recent = windows["margin_recent"].to_numpy(dtype=float)[keep]
    margin_previous = windows["margin_previous"].to_numpy(dtype=float)[keep]
    margin_used = bool(use_margin) and bool(np.isfinite(margin_recent).any())
    trend = change(recent, previous)
    margin_trend = change(margin_recent, margin_previous)
    judged = margin_trend if margin_used else np.full(len(keep), np.nan)
    phase = np.select(
        [
            ~(recent > 0),
            tenure < childhood_months,
            ~(previous > 0),
            (trend < -growth) | (judged < -growth),
            (trend > growth) & ((judged > growth) | np.isnan(judged)),
        ],
        [4, 0, 1, 3, 1],
        default=2,  # adulthood: the contribution holds
    )
    columns: dict[str, object] = {
        "customer_id": ids.take(keep).reset_index(drop=True),
        "tenure_months": tenure,
        "revenue_recent": recent,
        "revenue_previous": previous,
        "trend": trend,
        "margin_recent": margin_recent,
        "margin_previous": margin_previous,
        "margin_trend": margin_trend,
    }
    action = np.asarray([0, 2, 3, 4, 5])[phase]  # position in _ACTION_KEYS
    if "relationship_quality" in customers.columns:
        quality = column_of(customers, "relationship_quality", "lifecycle").take(keep)
        quality = quality.to_numpy(dtype=float, na_value=np.nan)
        weak = quality < relationship_alert
        columns["relationship_quality"] = quality
        columns["weak_relationship"] = weak
        action[(phase == 0) & weak] = 1
    columns["phase"] = pd.Categorical.from_codes(phase, categories=PHASES, ordered=True)
    columns["action"] = pd.Categorical.from_codes(action, categories=_ACTION_KEYS, ordered=True)
    out = pd.DataFrame(columns, copy=False)  # new arrays
    out.attrs["margin_used"] = margin_used
    return out


def lifecycle_summary(phases: pd.DataFrame) -> pd.DataFrame:
    """Customers, revenue and margin per lifecycle phase, with the recommended action.

    Parameters
    ----------
    phases : pandas.DataFrame
        Output of :func:`lifecycle_phases`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``phase`` (all five): ``customers``, ``customer_share``,
        ``revenue_recent``, ``revenue_previous``, ``revenue_share`` (of the recent revenue),
        ``trend`` (of the phase's summed revenue, NaN without previous revenue),
        ``margin_recent``, ``margin_trend`` (same on the margin; NaN without margin),
        ``weak_relationship`` (customers under the relationship alert, when known) and
        ``action`` (key; ``i18n.label(key, lang)`` gives the text).
    """
    codes = phases["phase"].cat.codes.to_numpy()  # a Categorical of PHASES

    def per_phase(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(codes, weights=weights, minlength=len(PHASES))

    index = pd.CategoricalIndex(PHASES, categories=PHASES, ordered=True, name="phase")
    out = pd.DataFrame({"customers": per_phase().astype(np.int64)}, index=index)
    n = out["customers"].sum()
    out["customer_share"] = out["customers"] / n if n else np.nan
    for name in ("revenue_recent", "revenue_previous", "margin_recent", "margin_previous"):
        if name in phases.columns:
            # Missing margins (no margin in the log) count as 0 here, NaN below.
            out[name] = per_phase(np.nan_to_num(phases[name].to_numpy(dtype=float)))
    recent_total = out["revenue_recent"].sum()
    out.insert(4, "revenue_share", out["revenue_recent"] / recent_total if recent_total else np.nan)
    previous = out["revenue_previous"].where(out["revenue_previous"] > 0)
    out.insert(5, "trend", out["revenue_recent"] / previous - 1)
    if "margin_recent" in out.columns:
        has_margin = bool(np.isfinite(phases["margin_recent"].to_numpy(dtype=float)).any())
        margin_before = out["margin_previous"].where(out["margin_previous"] > 0)
        out["margin_trend"] = out["margin_recent"] / margin_before - 1
        if not has_margin:
            out[["margin_recent", "margin_trend"]] = np.nan
        out = out.drop(columns="margin_previous")
    if "weak_relationship" in phases.columns:
        weak = phases["weak_relationship"].to_numpy(dtype=float)
        out["weak_relationship"] = per_phase(weak).astype(np.int64)
    out["action"] = [PHASE_ACTIONS[p] for p in PHASES]
    return out
