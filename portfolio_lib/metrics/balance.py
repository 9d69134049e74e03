"""Balance of the portfolio: Pareto, ABC, PMG, concentration, lifecycle and potential matrix.

The lifecycle lives in :mod:`portfolio_lib.metrics.lifecycle` (it reads the monthly table)
and the potential matrix in :mod:`portfolio_lib.metrics.potential`; their names are available
here too. Each ABC and PMG class carries its recommended action (:data:`CLASS_ACTIONS`).

Every function takes aggregated tables, never the transaction log:

- a per-customer table with a ``customer_id`` column (or index) and a value column, typically
  ``aggregate.window_totals(agg.monthly, agg.months)`` (revenue of the last 12 months) joined
  to the customer attributes (``name``, ``sales_rep``, ``potential``...);

Conventions shared by the functions of this module
--------------------------------------------------
- Missing values of the value column count as 0.
- Revenue shares are taken on the total of the **positive** values. A customer whose credit
  notes exceed their invoices (negative net revenue) has no share of the revenue to lose; using
  the net total instead would let the others' shares exceed 100 %. Such customers get a
  negative ``share``, but cumulative shares and the Lorenz curve ignore them (clipped at 0), so
  they rise monotonically to 1.
- Customers are ranked by value descending, ties broken by ``customer_id`` ascending, so every
  ranking (and the ABC class of tied customers on a cut) is deterministic.
- Category columns hold stable English keys (ordered ``Categorical``); their French and English
  labels are registered with :func:`portfolio_lib.i18n.register` at import.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.i18n import register
from portfolio_lib.metrics.common import column_of, customer_ids, descending_ranking, numbers
from portfolio_lib.metrics.lifecycle import (
    LIFECYCLE_ACTIONS,
    PHASE_ACTIONS,
    PHASES,
    customer_window_revenue,
    lifecycle_phases,
    lifecycle_summary,
    window_revenue,
)
from portfolio_lib.metrics.potential import (
    LEVELS,
    estimate_potential,
    potential_matrix,
    potential_matrix_summary,
)

__all__ = [
    "ABC_CLASSES",
    "CLASS_ACTIONS",
    "CLASS_ACTION_TEXTS",
    "LEVELS",
    "LIFECYCLE_ACTIONS",
    "PHASES",
    "PHASE_ACTIONS",
    "PMG_CLASSES",
    "abc_classes",
    "check_abc_cuts",
    "class_summary",
    "concentration",
    "customer_window_revenue",
    "dependence_alerts",
    "estimate_potential",
    "lifecycle_phases",
    "lifecycle_summary",
    "lorenz_curve",
    "pareto_share",
    "pareto_table",
    "ranked_table",
    "pmg_classes",
    "potential_matrix",
    "potential_matrix_summary",
    "window_revenue",
]

ABC_CLASSES = ("A", "B", "C")
# PMG, text 000: "Petits, Moyens et Grands clients" (the middle key is not "medium", which
# names the middle potential and penetration classes).
PMG_CLASSES = ("small", "midsize", "large")

# Recommended action per ABC and PMG class (key of CLASS_ACTION_TEXTS). Texts 000 and 003 name
# the two ends: concentrate commercial action on the top (000: "concentrer les actions
# commerciales sur cette cible"; 003: "une relation personnalisée gérée souvent directement par
# l'entrepreneur"), delegate and automate for the smallest without disappointing them (003).
# The middle class's action is the workbook's (the texts say nothing of it).
CLASS_ACTIONS = {
    "A": "action_class_top",
    "B": "action_class_middle",
    "C": "action_class_small",
    "large": "action_class_top",
    "midsize": "action_class_middle",
    "small": "action_class_small",
}
CLASS_ACTION_TEXTS: dict[str, dict[str, str]] = {
    "action_class_top": {
        "fr": "Concentrer l'action commerciale : relation personnalisée, gérée souvent "
        "directement par le dirigeant",
        "en": "Concentrate commercial action: a personal relationship, often run directly by "
        "the owner",
    },
    "action_class_middle": {
        "fr": "Suivi régulier par les commerciaux ; repérer ceux qui peuvent grandir",
        "en": "Regular follow-up by the sales reps; spot those who can grow",
    },
    "action_class_small": {
        "fr": "Déléguer à des collaborateurs, procédures en partie automatisées, sans les "
        "décevoir : leur potentiel n'est jamais connu",
        "en": "Delegate to staff with partly automated procedures, without disappointing "
        "them: their potential is never known",
    },
}

# Pareto figure of `concentration`: share of customers making this share of revenue.
_PARETO_TARGET = DEFAULTS["a_cut"]
# Money sums accumulate rounding noise; a share within 1e-9 of a cut counts as reaching it.
_EPS = 1e-9

register(
    {
        # Pareto and Lorenz
        "rank": {"fr": "Rang", "en": "Rank"},
        "cumulative_share": {"fr": "Part cumulée du CA", "en": "Cumulative revenue share"},
        "customer_share": {"fr": "Part des clients", "en": "Customer share"},
        "revenue_share": {"fr": "Part du chiffre d'affaires", "en": "Revenue share"},
        # ABC and PMG
        "abc": {"fr": "Classe ABC", "en": "ABC class"},
        "A": {"fr": "A", "en": "A"},
        "B": {"fr": "B", "en": "B"},
        "C": {"fr": "C", "en": "C"},
        "pmg": {"fr": "Classe PMG", "en": "Size class"},
        "small": {"fr": "Petits clients", "en": "Small customers"},
        "midsize": {"fr": "Moyens clients", "en": "Medium customers"},
        "large": {"fr": "Grands clients", "en": "Large customers"},
        **CLASS_ACTION_TEXTS,
        # Concentration
        "n_customers": {"fr": "Clients acheteurs", "en": "Buying customers"},
        "hhi": {"fr": "Indice HHI", "en": "HHI"},
        "gini": {"fr": "Indice de Gini", "en": "Gini index"},
        "top_1_share": {"fr": "Part du 1er client", "en": "Top-1 share"},
        "top_5_share": {"fr": "Part des 5 premiers clients", "en": "Top-5 share"},
        "top_10_share": {"fr": "Part des 10 premiers clients", "en": "Top-10 share"},
        "pareto_80_share": {
            "fr": "Part des clients faisant 80 % du CA",
            "en": "Share of customers making 80% of revenue",
        },
        "dependent_customers": {
            "fr": "Clients en situation de dépendance",
            "en": "Customers above the dependence alert",
        },
        "no_dependence": {
            "fr": "Aucun client au-dessus du seuil de dépendance",
            "en": "No customer above the dependence threshold",
        },
    }
)


# --------------------------------------------------------------------------------------------
# Checks and small helpers


def _check_fraction(name: str, value: float, *, low: float = 0.0, high: float = 1.0) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value!r}")


def _levels(values: np.ndarray, cuts: Sequence[float], labels: Sequence[str]) -> pd.Categorical:
    """Ordered categorical of ``labels``: level i when ``cuts[i - 1] <= value < cuts[i]``.

    ``cuts`` are increasing; NaN is above every cut (the last level).
    """
    codes = np.searchsorted(np.asarray(cuts, dtype=float), values, side="right")
    return pd.Categorical.from_codes(codes, categories=list(labels), ordered=True)


# --------------------------------------------------------------------------------------------
# Pareto and Lorenz


def pareto_table(customers: pd.DataFrame, *, value: str = "revenue") -> pd.DataFrame:
    """Customers ranked by value, with their share and cumulative share of the total.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer: ``customer_id`` (column or index) and ``value``. Pass the
        customers to count (usually the active ones: customers with no value count as
        customers holding nothing).
    value : str, default 'revenue'
        Column to rank by; missing values count as 0.

    Returns
    -------
    pandas.DataFrame
        One row per input customer, by value descending (ties: ``customer_id`` ascending):
        ``customer_id``, ``rank`` (1 = largest), ``value``, ``share`` (of the total of positive
        values, negative for net credit), ``cumulative_share`` (negative values counted as 0,
        so it rises to 1) and ``customer_share`` (= rank / number of customers).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
    ...                       "revenue": [15.0, 50.0, 5.0, 30.0]})
    >>> pareto_table(frame)[["customer_id", "share", "cumulative_share"]].to_numpy().tolist()
    [['b', 0.5, 0.5], ['d', 0.3, 0.8], ['a', 0.15, 0.95], ['c', 0.05, 1.0]]
    """
    ids = customer_ids(customers, "Pareto")
    values = numbers(customers, value, "Pareto")
    order = descending_ranking(ids, values)
    ranked = values[order]
    total = ranked[ranked > 0].sum()
    if total > 0:
        share = ranked / total
        cumulative = np.minimum(np.cumsum(np.clip(ranked, 0, None)) / total, 1.0)
    else:
        share = cumulative = np.full(len(ranked), np.nan)
    n = len(ranked)
    return pd.DataFrame(
        {
            "customer_id": ids.take(order).reset_index(drop=True),
            "rank": np.arange(1, n + 1),
            value: ranked,
            "share": share,
            "cumulative_share": cumulative,
            "customer_share": np.arange(1, n + 1) / n if n else np.empty(0),
        },
        copy=False,  # new arrays
    )


def ranked_table(customers: pd.DataFrame, value: str, ranked: pd.DataFrame | None) -> pd.DataFrame:
    """``ranked`` when given (checked to be a Pareto table of as many customers), else
    :func:`pareto_table` of ``customers``: what the classifications by cumulative share read."""
    if ranked is None:
        return pareto_table(customers, value=value)
    if len(ranked) != len(customers) or value not in ranked.columns:
        raise ValueError(
            f"ranked must be pareto_table(customers, value={value!r}) of the same "
            f"{len(customers)} customers; got {len(ranked)} rows with columns {list(ranked.columns)}"
        )
    return ranked


def lorenz_curve(customers: pd.DataFrame, *, value: str = "revenue") -> pd.DataFrame:
    """Lorenz curve: cumulative share of revenue held by the smallest customers.

    Negative values (net credit notes) are counted as 0 for the curve, so it is monotone. With
    no positive value at all every customer holds the same (nothing): the curve is the diagonal.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer with the ``value`` column.
    value : str, default 'revenue'

    Returns
    -------
    pandas.DataFrame
        ``customer_share`` and ``revenue_share``, n + 1 points from (0, 0) to (1, 1), customers
        by value ascending.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abcd"), "revenue": [50.0, 30.0, 15.0, 5.0]})
    >>> lorenz_curve(frame)["revenue_share"].round(2).tolist()
    [0.0, 0.05, 0.2, 0.5, 1.0]
    """
    values = np.sort(np.clip(numbers(customers, value, "Lorenz curve"), 0, None))
    n = len(values)
    if n == 0:
        return pd.DataFrame({"customer_share": [0.0, 1.0], "revenue_share": [0.0, 1.0]})
    steps = np.arange(n + 1) / n
    total = values.sum()
    if total > 0:
        held = np.minimum(np.concatenate([[0.0], np.cumsum(values)]) / total, 1.0)
        held[-1] = 1.0  # exact end point despite rounding
    else:
        held = steps.copy()
    return pd.DataFrame({"customer_share": steps, "revenue_share": held})


def pareto_share(
    customers: pd.DataFrame, *, value: str = "revenue", target: float = DEFAULTS["a_cut"]
) -> float:
    """Smallest share of customers that makes ``target`` of the revenue.

    The largest customers are taken first; the share is counted over every row passed (so pass
    the active customers to read "x % of the active customers make 80 % of revenue").

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer with the ``value`` column.
    value : str, default 'revenue'
    target : float, default 0.80
        Share of the revenue (of the positive total) to reach, in (0, 1].

    Returns
    -------
    float
        k / n where k is the smallest number of largest customers whose revenue reaches
        ``target`` of the total; NaN when no customer has a positive value.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abcd"), "revenue": [50.0, 30.0, 15.0, 5.0]})
    >>> pareto_share(frame), pareto_share(frame, target=0.9)
    (0.5, 0.75)
    """
    if not 0 < target <= 1:
        raise ValueError(f"target must be in (0, 1], got {target!r}")
    values = numbers(customers, value, "Pareto")
    return _pareto_share(np.sort(np.clip(values, 0, None))[::-1], target, len(values))


def _pareto_share(descending: np.ndarray, target: float, n: int) -> float:
    """:func:`pareto_share` of the values in descending order, counted over ``n`` customers."""
    total = descending.sum()
    if n == 0 or total <= 0:
        return float("nan")
    reached = np.cumsum(descending) >= target * total * (1 - _EPS)
    return (int(np.argmax(reached)) + 1) / n


# --------------------------------------------------------------------------------------------
# ABC and PMG


def check_abc_cuts(a_cut: float, b_cut: float) -> None:
    """Check the ABC cuts: ``0 <= a_cut <= b_cut <= 1``, else ``ValueError``.

    Called by :func:`abc_classes`; front ends call it to refuse a pair of cuts early.
    """
    _check_fraction("a_cut", a_cut)
    _check_fraction("b_cut", b_cut)
    if a_cut > b_cut:
        raise ValueError(f"a_cut ({a_cut}) must not exceed b_cut ({b_cut})")


def abc_classes(
    customers: pd.DataFrame,
    *,
    value: str = "revenue",
    a_cut: float = DEFAULTS["a_cut"],
    b_cut: float = DEFAULTS["b_cut"],
    ranked: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """ABC classes by cumulative share of revenue.

    A customer's class is decided by the cumulative share of the customers ranked *before* them
    (value descending, ties by ``customer_id``): A while it is below ``a_cut``, B while below
    ``b_cut``, C after. So the customer who crosses 80 % is still A, and the largest customer is
    always A (if their value is positive). Customers with a value <= 0 are C. A cumulative share
    within 1e-9 of a cut counts as reaching it (rounding of money sums).

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer: ``customer_id`` (column or index) and ``value``.
    value : str, default 'revenue'
    a_cut, b_cut : float, default 0.80 and 0.95
        Cumulative revenue shares closing class A and class B (0 < a_cut <= b_cut <= 1).
    ranked : pandas.DataFrame, optional
        ``pareto_table(customers, value=value)`` when the caller has it already (the balance
        study ranks its buyers once for the ABC classes and the hit-parade).

    Returns
    -------
    pandas.DataFrame
        Every input customer once, ranked by value descending: ``customer_id``, ``value``,
        ``cumulative_share`` (as in :func:`pareto_table`) and ``abc`` (ordered categorical
        A < B < C).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abcd"), "revenue": [50.0, 30.0, 15.0, 5.0]})
    >>> abc_classes(frame)["abc"].tolist()
    ['A', 'A', 'B', 'C']
    """
    check_abc_cuts(a_cut, b_cut)
    table = ranked_table(customers, value, ranked)
    ranked = table[value].to_numpy()
    share = np.clip(ranked, 0, None) / ranked[ranked > 0].sum() if (ranked > 0).any() else np.nan
    before = table["cumulative_share"].to_numpy() - share  # the share of the customers before
    abc = _levels(before, [a_cut - _EPS, b_cut - _EPS], ABC_CLASSES)
    abc[~(ranked > 0)] = "C"
    return pd.DataFrame(
        {
            "customer_id": table["customer_id"],
            value: ranked,
            "cumulative_share": table["cumulative_share"],
            "abc": abc,
        },
        copy=False,  # new arrays
    )


def pmg_classes(
    customers: pd.DataFrame,
    *,
    value: str = "revenue",
    thresholds: tuple[float, float] | None = None,
    quantiles: tuple[float, float] = DEFAULTS["pmg_quantiles"],
) -> pd.DataFrame:
    """PMG classes (text 000: Petits, Moyens et Grands clients): small, midsize, large.

    small if value < medium_from, midsize if medium_from <= value < large_from, large if
    value >= large_from. Customers with a value <= 0 are small.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer: ``customer_id`` (column or index) and ``value``.
    value : str, default 'revenue'
    thresholds : (float, float), optional
        ``(medium_from, large_from)`` in euros. When missing they are the ``quantiles`` of the
        positive values (numpy's linear interpolation).
    quantiles : (float, float), default (0.50, 0.80)
        Used when ``thresholds`` is None.

    Returns
    -------
    pandas.DataFrame
        Every input customer once, in input order: ``customer_id``, ``value`` and ``pmg``
        (ordered categorical small < midsize < large). ``attrs["thresholds"]`` holds the
        ``(medium_from, large_from)`` used.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abcde"),
    ...                       "revenue": [500.0, 80.0, 2_000.0, 0.0, 1_000.0]})
    >>> pmg_classes(frame, thresholds=(100, 1_000))["pmg"].tolist()
    ['midsize', 'small', 'large', 'small', 'large']
    """
    ids = customer_ids(customers, "PMG")
    values = numbers(customers, value, "PMG")
    if thresholds is None:
        low, high = quantiles
        _check_fraction("quantiles[0]", low)
        _check_fraction("quantiles[1]", high)
        if low > high:
            raise ValueError(f"quantiles must be increasing, got {quantiles!r}")
        positive = values[values > 0]
        medium_from, large_from = (
            (float(q) for q in np.quantile(positive, [low, high]))
            if positive.size
            else (np.inf, np.inf)
        )
    else:
        medium_from, large_from = (float(t) for t in thresholds)
        if medium_from > large_from:
            raise ValueError(
                f"thresholds must be (medium_from, large_from) with medium_from <= large_from, "
                f"got {thresholds!r}"
            )
    pmg = _levels(values, [medium_from, large_from], PMG_CLASSES)
    pmg[~(values > 0)] = "small"
    out = pd.DataFrame({"customer_id": ids, value: values, "pmg": pmg}, copy=False)
    out.attrs["thresholds"] = (medium_from, large_from)
    return out


def class_summary(
    classes: pd.DataFrame, *, by: str = "abc", value: str = "revenue"
) -> pd.DataFrame:
    """Customers and revenue per class (ABC, PMG or any category column).

    Parameters
    ----------
    classes : pandas.DataFrame
        Output of :func:`abc_classes` or :func:`pmg_classes` (or any frame with ``by`` and
        ``value``).
    by : str, default 'abc'
    value : str, default 'revenue'

    Returns
    -------
    pandas.DataFrame
        Indexed by class (every category, empty ones with zeros): ``customers``,
        ``customer_share``, ``value`` (sum) and ``{value}_share`` (of the net total, so the
        shares add up to 1); for ABC and PMG classes ``action``, the key of the class's
        recommended action (:data:`CLASS_ACTIONS`).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abcd"), "revenue": [50.0, 30.0, 15.0, 5.0]})
    >>> class_summary(abc_classes(frame))["revenue_share"].tolist()
    [0.8, 0.15, 0.05]
    """
    keys = column_of(classes, by, "class summary")
    values = pd.Series(numbers(classes, value, "class summary"))
    grouped = values.groupby(keys, observed=False, sort=True)
    out = pd.DataFrame({"customers": grouped.size(), value: grouped.sum()})
    out.index.name = by
    n, total = len(values), values.sum()
    out.insert(1, "customer_share", out["customers"] / n if n else np.nan)
    out[f"{value}_share"] = out[value] / total if total != 0 else np.nan
    if len(out) and all(key in CLASS_ACTIONS for key in out.index):
        out["action"] = [CLASS_ACTIONS[key] for key in out.index]
    return out


# --------------------------------------------------------------------------------------------
# Concentration


def concentration(
    customers: pd.DataFrame,
    *,
    value: str = "revenue",
    top_n: Sequence[int] = DEFAULTS["top_n"],
    dependence_alert: float = DEFAULTS["dependence_alert"],
    ranked: pd.DataFrame | None = None,
) -> pd.Series:
    """Concentration figures of the portfolio's revenue.

    All figures are computed among the customers with a positive value (buyers), so prospects
    and lapsed customers passed along do not change them.

    - ``n_customers``: customers with value > 0;
    - ``hhi``: Herfindahl-Hirschman index, sum of the squared revenue shares in percent
      (10,000 / n for n equal customers, 10,000 for a single one);
    - ``gini``: Gini index of the positive values, in [0, 1 - 1/n]:
      ``2 * sum(i * x_(i)) / (n * sum(x)) - (n + 1) / n`` with x ascending;
    - ``top_{k}_share``: share of the k largest customers, for each k of ``top_n``;
    - ``pareto_80_share``: smallest share of the buying customers making 80 % of revenue;
    - ``dependent_customers``: customers whose share exceeds ``dependence_alert``.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer with the ``value`` column.
    value : str, default 'revenue'
    top_n : sequence of int, default (1, 5, 10)
    dependence_alert : float, default 0.15
    ranked : pandas.DataFrame, optional
        :func:`pareto_table` of ``customers`` (same ``value``) when the caller has it: its
        values are already sorted.

    Returns
    -------
    pandas.Series
        Figures named as above (NaN shares when no customer has a positive value).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abcd"), "revenue": [50.0, 30.0, 15.0, 5.0]})
    >>> concentration(frame, top_n=(1,))[["hhi", "gini", "top_1_share"]].round(3).tolist()
    [3650.0, 0.375, 0.5]
    """
    _check_fraction("dependence_alert", dependence_alert)
    if ranked is None:
        values = numbers(customers, value, "concentration")
        positive = np.sort(values[values > 0])  # ascending
    else:
        values = ranked_table(customers, value, ranked)[value].to_numpy()
        positive = values[values > 0][::-1]  # the ranking is descending
    n = positive.size
    shares = positive / positive.sum()
    figures: dict[str, float] = {"n_customers": n, "hhi": np.nan, "gini": np.nan}
    if n:
        figures["hhi"] = float(np.sum((100 * shares) ** 2))
        ranks = np.arange(1, n + 1, dtype=np.float64)
        figures["gini"] = float(max(2 * np.sum(ranks * shares) / n - (n + 1) / n, 0.0))
    for k in top_n:
        if int(k) < 1:
            raise ValueError(f"top_n values must be at least 1, got {k!r}")
        figures[f"top_{int(k)}_share"] = float(shares[::-1][: int(k)].sum()) if n else np.nan
    label = f"pareto_{round(_PARETO_TARGET * 100)}_share"
    figures[label] = _pareto_share(positive[::-1], _PARETO_TARGET, n)
    figures["dependent_customers"] = int(np.count_nonzero(shares > dependence_alert))
    return pd.Series(figures, dtype=float, name=value)


def dependence_alerts(
    customers: pd.DataFrame,
    *,
    value: str = "revenue",
    dependence_alert: float = DEFAULTS["dependence_alert"],
    name: str = "name",
) -> pd.DataFrame:
    """Customers holding more than ``dependence_alert`` of the revenue, largest first.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer: ``customer_id`` (column or index), ``value``, optionally ``name``.
    value : str, default 'revenue'
    dependence_alert : float, default 0.15
        Share of the positive revenue above which the portfolio depends on one customer.
    name : str, default 'name'
        Column with the customer's name, kept when present.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``name`` (when present), ``value`` and ``share`` (of the positive
        total), by share descending; empty when no customer is above the threshold.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abc"), "revenue": [70.0, 20.0, 10.0]})
    >>> dependence_alerts(frame, dependence_alert=0.15).to_numpy().tolist()
    [['a', 70.0, 0.7], ['b', 20.0, 0.2]]
    """
    _check_fraction("dependence_alert", dependence_alert)
    ids = customer_ids(customers, "dependence alert")
    values = numbers(customers, value, "dependence alert")
    total = values[values > 0].sum()
    share = values / total if total > 0 else np.full(len(values), np.nan)
    above = np.flatnonzero(share > dependence_alert)
    above = above[descending_ranking(ids.take(above), values[above])]
    out = pd.DataFrame({"customer_id": ids.take(above).reset_index(drop=True)})
    if name in customers.columns:
        out[name] = column_of(customers, name, "dependence alert").take(above).array
    out[value] = values[above]
    out["share"] = share[above]
    return out
