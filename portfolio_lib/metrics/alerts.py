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
from portfolio_lib.metrics.balance import (
    _aligned_windows,
    _change,
    _column,
    _descending_order,
    _ids,
    _is_sorted,
    _numbers,
    _ranking,
    _take,
)
from portfolio_lib.runtime import parallel_map

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
) -> pd.DataFrame:
    """Customers with at least one risk alert, most urgent first.

    Customers with positive revenue in the last two windows are checked (those who stopped
    buying earlier are lost, not at risk; see the movements analysis):

    - ``revenue_recent`` / ``revenue_previous``: revenue over the last ``window`` months and the
      ``window`` months before (as in the lifecycle, :func:`portfolio_lib.metrics.balance.window_revenue`);
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
      descending, then ``customer_id``.

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

    Returns
    -------
    pandas.DataFrame
        One row per alerted customer, by priority: ``priority``, ``sales_rep`` ("unknown"
        when missing), ``customer_id``, [``name``], ``revenue_recent``, ``revenue_previous``,
        ``revenue_change``, ``days_since_last``, ``usual_gap_days``, ``gap_ratio``,
        ``revenue_drop``, ``overdue``, ``top_at_risk``, ``revenue_at_risk``.
    """
    if drop_alert < 0:
        raise ValueError(f"drop_alert must be >= 0 (e.g. 0.30 for -30 %), got {drop_alert!r}")
    if gap_alert <= 0:
        raise ValueError(f"gap_alert must be positive (e.g. 2.0), got {gap_alert!r}")
    if int(top_at_risk) < 0:
        raise ValueError(f"top_at_risk must be >= 0, got {top_at_risk!r}")
    analysis = "risk alerts"
    recent, previous = _aligned_windows(monthly, customers, months, window, analysis)
    ids = _ids(customers, analysis)
    n = len(ids)

    last = _column(customers, "last_purchase", analysis)
    end = pd.Timestamp(as_of).normalize()
    if not pd.api.types.is_datetime64_any_dtype(last):
        last = pd.to_datetime(last)
    if isinstance(last.dtype, np.dtype):  # numpy dates: days computed part by part
        stamps = last.to_numpy()

        def days_of(rows: slice | np.ndarray) -> np.ndarray:
            return _days_from(stamps[rows], end)

    else:  # timezone-aware dates
        all_days = _days_since(last, end)

        def days_of(rows: slice | np.ndarray) -> np.ndarray:
            return all_days[rows]

    frequency = _float_column(customers, "frequency", analysis)
    recency = _float_column(customers, "recency", analysis)

    def usual_gap_of(rows: slice | np.ndarray) -> np.ndarray:
        return _usual_gap(_as_numbers(recency[rows]), _as_numbers(frequency[rows]))

    k = min(int(top_at_risk), n)

    def scan(part: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows of ``part`` with an alert, and the rows and values of its ``k`` largest
        revenues over the two windows (ties with the k-th included): candidates for the top."""
        _, _, drop, overdue = _risk_figures(
            recent[part],
            previous[part],
            days_of(part),
            usual_gap_of(part),
            drop_alert=drop_alert,
            gap_alert=gap_alert,
        )
        offset = part.start
        hit = np.flatnonzero(drop | overdue)
        hit += offset
        both = recent[part] + previous[part]
        if k == 0:
            top = np.empty(0, dtype=np.int64)
        elif both.size > k:
            top = np.flatnonzero(both >= np.partition(both, both.size - k)[both.size - k])
        else:
            top = np.arange(both.size)
        return hit, top + offset, both[top]

    # Elementwise figures: each half of the customers on its own thread, the same numbers.
    half = n // 2 if n >= _TWO_THREADS_FROM else 0
    parts = [part for part in (slice(0, half), slice(half, n)) if part.stop > part.start]
    found = parallel_map(scan, parts) if len(parts) > 1 else [scan(part) for part in parts]
    alerted = np.concatenate([hit for hit, _, _ in found] or [np.empty(0, dtype=np.int64)])
    top = np.zeros(n, dtype=bool)
    if k > 0:
        # The k largest over every half are among each half's k largest: the same k-th value.
        rows = np.concatenate([rows for _, rows, _ in found])
        values = np.concatenate([values for _, _, values in found])
        kth = np.partition(values, values.size - k)[values.size - k]
        # The k largest, plus any ties with the k-th, ranked with ties broken by customer id.
        above = values >= kth
        rows, values = rows[above], values[above]
        top[rows[_ranking_by_id(ids, values, rows)][:k]] = True

    # The alerted rows' inputs, cut down to them (ascending positions, a streaming read); their
    # figures are computed again there (elementwise: the same numbers).
    recent, previous = recent[alerted], previous[alerted]
    days, usual_gap = days_of(alerted), usual_gap_of(alerted)
    top_alert = top[alerted] & (recent + previous > 0)
    if np.isnan(days).any():
        examples = ids.take(alerted[np.isnan(days)]).head(3).tolist()
        raise ValueError(
            f"risk alerts: customers with revenue but no last_purchase date (e.g. {examples}); "
            "pass Aggregates.customers, which dates every buyer's last purchase."
        )
    if (days < 0).any():
        raise ValueError(
            f"risk alerts: last purchases after as_of ({end:%Y-%m-%d}); pass the as_of used for "
            "the aggregation (Aggregates.as_of)."
        )
    change, gap_ratio, drop, overdue = _risk_figures(
        recent, previous, days, usual_gap, drop_alert=drop_alert, gap_alert=gap_alert
    )
    at_risk = np.where(drop, previous, recent)
    # Revenue at risk descending, then customer id; top accounts first. ``order`` ranks the
    # alerted rows.
    order = _ranking_by_id(ids, at_risk, alerted)
    flagged = top_alert[order]
    order = np.concatenate([order[flagged], order[~flagged]])
    rows = alerted[order]
    # The inputs in that order and the figures computed again from them (elementwise: the
    # same numbers): five gathers instead of ten.
    recent, previous, days, usual_gap, top_alert = (
        values[order] for values in (recent, previous, days, usual_gap, top_alert)
    )
    change, gap_ratio, drop, overdue = _risk_figures(
        recent, previous, days, usual_gap, drop_alert=drop_alert, gap_alert=gap_alert
    )

    if "sales_rep" in customers.columns:
        reps = _take(_column(customers, "sales_rep", analysis), rows)
        if isinstance(reps.dtype, pd.CategoricalDtype) and "unknown" not in reps.cat.categories:
            reps = reps.cat.add_categories("unknown")
        reps = reps.fillna("unknown")
    else:
        reps = pd.Series("unknown", index=range(rows.size), dtype="str")
    columns = {
        "priority": np.arange(1, rows.size + 1),
        "sales_rep": reps,
        "customer_id": _take(ids, rows),
    }
    if "name" in customers.columns:
        columns["name"] = _take(_column(customers, "name", analysis), rows)
    columns |= {
        "revenue_recent": recent,
        "revenue_previous": previous,
        "revenue_change": change,
        "days_since_last": days.astype(np.int64),
        "usual_gap_days": usual_gap,
        "gap_ratio": gap_ratio,
        "revenue_drop": drop,
        "overdue": overdue,
        "top_at_risk": top_alert,
        "revenue_at_risk": np.where(drop, previous, recent),
    }
    return pd.DataFrame(columns, copy=False)  # new arrays, each kept as it is


def _risk_figures(
    recent: np.ndarray,
    previous: np.ndarray,
    days: np.ndarray,
    usual_gap: np.ndarray,
    *,
    drop_alert: float,
    gap_alert: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Revenue change, gap ratio and the drop and overdue alerts of each customer.

    Elementwise (each customer's from its own values): the same on every row or on a subset.
    """
    # recent / previous - 1 where previous > 0, else NaN (which no comparison passes).
    change = _change(recent, previous)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap_ratio = days / usual_gap
    drop = change < -drop_alert  # implies previous > 0, hence in scope
    overdue = gap_ratio > gap_alert
    overdue &= (recent > 0) | (previous > 0)  # in scope
    return change, gap_ratio, drop, overdue


# From this many customers the alerts' figures are computed on two threads (halves).
_TWO_THREADS_FROM = 100_000


def _float_column(customers: pd.DataFrame, column: str, analysis: str) -> np.ndarray:
    """A numeric column as float64 for :func:`_as_numbers`: a float64 column's own array (no
    copy), any other the new array of :func:`portfolio_lib.metrics.balance._numbers`."""
    values = _column(customers, column, analysis)
    if values.dtype == np.float64:
        return values.to_numpy()
    return _numbers(customers, column, analysis)


def _as_numbers(values: np.ndarray) -> np.ndarray:
    """``_numbers``' values of a part of a :func:`_float_column` (a new array): NaN as 0 and
    -0.0 as 0.0."""
    values = values + 0.0
    missing = np.isnan(values)
    if missing.any():
        values[missing] = 0.0
    return values


def _usual_gap(recency: np.ndarray, frequency: np.ndarray) -> np.ndarray:
    """recency / frequency where frequency >= 2, else NaN (one gap is not a habit)."""
    usual_gap = np.full(recency.shape, np.nan)
    np.divide(recency, frequency, out=usual_gap, where=frequency >= 2)
    return usual_gap


def _days_from(stamps: np.ndarray, end: pd.Timestamp) -> np.ndarray:
    """:func:`_days_since` of numpy dates (datetime64)."""
    # numpy on the dates, no Series of a million Timedeltas; NaT gives NaN afterwards.
    with np.errstate(invalid="ignore"):
        days = ((end.to_datetime64() - stamps) // np.timedelta64(1, "D")).astype(float)
    days[np.isnat(stamps)] = np.nan
    return days


def _days_since(last: pd.Series, end: pd.Timestamp) -> np.ndarray:
    """Whole days from each date to ``end`` as floats (``Timedelta.days``), NaN without a date."""
    if not pd.api.types.is_datetime64_any_dtype(last):
        last = pd.to_datetime(last)
    if not isinstance(last.dtype, np.dtype):  # timezone-aware dates
        return (end - last).dt.days.to_numpy(dtype=float, na_value=np.nan)
    return _days_from(last.to_numpy(), end)


def _ranking_by_id(ids: pd.Series, values: np.ndarray, subset: np.ndarray) -> np.ndarray:
    """Order of ``subset`` (ascending positions) by ``values`` (theirs) descending, ties by id.

    ``subset[_ranking_by_id(ids, values[subset], subset)]`` is
    :func:`portfolio_lib.metrics.balance._ranking` ``(ids, values, subset)``. On sorted ids (aggregated
    tables) ties by id are ties by position: the stable descending order of
    :func:`portfolio_lib.metrics.balance._descending_order` (int64 keys) replaces the stable argsort of the
    floats.
    """
    if _is_sorted(ids) and not np.isnan(values).any():
        return _descending_order(values)
    return _ranking(_take(ids, subset), values)[0]


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
    if isinstance(alerts["sales_rep"].dtype, pd.CategoricalDtype):
        out = _counts_by_category(alerts)
    else:
        grouped = alerts.groupby("sales_rep", sort=True, observed=True)
        out = grouped[list(ALERT_KINDS)].sum().astype(np.int64)
        out["customers_alerted"] = grouped.size().astype(np.int64)
        out["revenue_at_risk"] = grouped["revenue_at_risk"].sum()
    if reps is not None:
        if isinstance(reps, (pd.Series, pd.Index, np.ndarray, pd.api.extensions.ExtensionArray)):
            reps = _distinct(reps)  # in order, without a string per customer
        names = pd.Index(pd.unique(pd.Series(list(reps), dtype=object).fillna("unknown")))
        out = out.reindex(out.index.union(names), fill_value=0)
    out.index.name = "sales_rep"
    out = out.reset_index().sort_values(
        ["revenue_at_risk", "sales_rep"], ascending=[False, True], kind="stable"
    )
    return out.set_index("sales_rep")


def _distinct(
    values: pd.Series | pd.Index | np.ndarray | pd.api.extensions.ExtensionArray,
) -> Iterable[object]:
    """``pd.unique(values)``: the distinct values in order of first appearance, missing
    included.

    A categorical of a few categories (the sales reps of a customer table) is read from its
    codes: a count of each code finds those present, and the first position of each one their
    order, instead of hashing a million codes. (The order matters: ``Index.union`` keeps an
    index equal to the other as it is.)
    """
    if not (isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype)):
        return pd.unique(values)
    categories = values.cat.categories
    if len(categories) > 64:  # one pass per category below: hashing is cheaper
        return pd.unique(values)
    codes = values.cat.codes.to_numpy()
    # Usually every category and no missing value shows in the first rows: their first
    # appearances are then read there, and one pass (the smallest code) checks for missing.
    head = codes[:_DISTINCT_HEAD]
    seen, first = np.unique(head, return_index=True)
    if codes.size and seen.size == len(categories) and codes.min() >= 0:
        return [categories[code] for code in seen[np.argsort(first)]]
    counts = np.bincount(codes.astype(np.intp) + 1, minlength=len(categories) + 1)
    present = np.flatnonzero(counts) - 1  # -1: missing
    first = [int(np.argmax(codes == code)) for code in present]
    return [np.nan if code < 0 else categories[code] for code in present[np.argsort(first)]]


# Rows of a categorical that _distinct reads first (the first appearance of every category).
_DISTINCT_HEAD = 4096


def _counts_by_category(alerts: pd.DataFrame) -> pd.DataFrame:
    """The per-rep counts and sums of :func:`alerts_by_rep` for a categorical ``sales_rep``.

    Equal to the ``groupby("sales_rep", sort=True, observed=True)`` sums and size (the
    observed reps in category order, a CategoricalIndex): counts by ``np.bincount`` of the
    category codes, the revenue summed by pandas' group sum on those codes (the same
    compensated sum over the same rows in the same order), without recoding the categorical.
    """
    reps = alerts["sales_rep"].array
    codes = np.asarray(reps.codes)
    known = codes >= 0
    if not known.all():  # missing reps form no group, as in groupby
        alerts, codes = alerts[known], codes[known]
    size = len(reps.categories)
    counts = np.bincount(codes, minlength=size)
    observed = np.flatnonzero(counts)
    index = pd.CategoricalIndex(
        pd.Categorical.from_codes(observed, dtype=reps.dtype), name="sales_rep"
    )
    out = pd.DataFrame(
        {
            kind: np.bincount(codes, weights=alerts[kind].to_numpy(dtype=float), minlength=size)[
                observed
            ].astype(np.int64)
            for kind in ALERT_KINDS
        },
        index=index,
    )
    out["customers_alerted"] = counts[observed].astype(np.int64)
    revenue = pd.Series(alerts["revenue_at_risk"].to_numpy()).groupby(codes, sort=True).sum()
    out["revenue_at_risk"] = revenue.to_numpy()
    return out
