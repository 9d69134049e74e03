"""Balance of the portfolio: Pareto, ABC, PMG, concentration, lifecycle and potential matrix.

Every function takes aggregated tables, never the transaction log:

- a per-customer table with a ``customer_id`` column (or index) and a value column, typically
  ``aggregate.window_totals(agg.monthly, agg.months)`` (revenue of the last 12 months) joined
  to the customer attributes (``name``, ``sales_rep``, ``potential``...);
- for the lifecycle, ``Aggregates.monthly`` / ``.months`` / ``.customers``.

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
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.engine.tables import grid_key as _grid_key
from portfolio_lib.engine.tables import same_customers as _same_customers
from portfolio_lib.engine.tables import views as _views
from portfolio_lib.engine.tables import window_arrays as _window_totals
from portfolio_lib.engine.tables import window_block_sums as _window_block_sums
from portfolio_lib.i18n import register

__all__ = [
    "ABC_CLASSES",
    "LEVELS",
    "LIFECYCLE_ACTIONS",
    "PHASES",
    "PHASE_ACTIONS",
    "PMG_CLASSES",
    "abc_classes",
    "class_summary",
    "concentration",
    "dependence_alerts",
    "lifecycle_phases",
    "lifecycle_summary",
    "lorenz_curve",
    "pareto_share",
    "pareto_table",
    "pmg_classes",
    "potential_matrix",
    "potential_matrix_summary",
    "window_revenue",
]

ABC_CLASSES = ("A", "B", "C")
PMG_CLASSES = ("small", "medium", "large")
PHASES = ("childhood", "adolescence", "adulthood", "old_age")
LEVELS = ("low", "medium", "high")  # potential and penetration classes

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
        "small": {"fr": "Petit", "en": "Small"},
        "medium": {"fr": "Moyen", "en": "Medium"},
        "large": {"fr": "Gros", "en": "Large"},
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
        # Lifecycle
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
        # Potential matrix
        "penetration": {"fr": "Taux de pénétration", "en": "Penetration"},
        "potential_class": {"fr": "Classe de potentiel", "en": "Potential class"},
        "penetration_class": {"fr": "Classe de pénétration", "en": "Penetration class"},
        "vivier": {"fr": "Vivier à développer", "en": "Pool to develop"},
        "gap": {"fr": "CA à conquérir", "en": "Revenue gap"},
        "low": {"fr": "Faible", "en": "Low"},
        "high": {"fr": "Élevé", "en": "High"},
    }
)


# --------------------------------------------------------------------------------------------
# Input checks shared by the analysis modules


def _missing(frame: pd.DataFrame, column: str, analysis: str) -> PortfolioDataError:
    found = [str(c) for c in frame.columns]
    if frame.index.name:
        found.insert(0, str(frame.index.name))
    return PortfolioDataError(
        "missing_attribute", analysis=analysis, column=column, found=", ".join(found) or "none"
    )


def _ids(frame: pd.DataFrame, analysis: str) -> pd.Series:
    """Customer ids as a Series with a fresh RangeIndex (from the column, else the index)."""
    if "customer_id" in frame.columns:
        ids = frame["customer_id"]
    elif frame.index.name == "customer_id":
        ids = frame.index.to_series()
    else:
        raise _missing(frame, "customer_id", analysis)
    return ids.reset_index(drop=True)


def _column(frame: pd.DataFrame, column: str, analysis: str) -> pd.Series:
    """A column as a Series with a fresh RangeIndex, with a clear error when missing."""
    if column in frame.columns:
        values = frame[column]
    elif frame.index.name == column:
        values = frame.index.to_series()
    else:
        raise _missing(frame, column, analysis)
    return values.reset_index(drop=True)


def _numbers(
    frame: pd.DataFrame, column: str, analysis: str, rows: np.ndarray | None = None
) -> np.ndarray:
    """A numeric column as float64, missing values as 0 (a new array).

    ``rows`` (positions or a boolean mask): the values of those rows only
    (``_numbers(...)[rows]``), gathered before they are converted (no copy of the whole
    column).
    """
    values = _column(frame, column, analysis)
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        raise ValueError(
            f"{analysis}: column {column!r} must hold numbers, found values of type "
            f"{values.dtype}; convert it (e.g. with pandas.to_numeric) or pick another column."
        )
    # + 0.0 turns -0.0 into 0.0, so that zeros compare and sort as one value; it also makes
    # the new array (pandas 3.1 hands out a view despite copy=True when nothing is missing).
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "biuf":
        # numpy columns: one conversion pass, then NaN (floats only) found and set in place,
        # where pandas' na_value would copy, mark the missing values and write them again.
        if rows is None:
            out = np.add(values.to_numpy(), 0.0, dtype=np.float64)
        else:
            out = values.to_numpy()[rows].astype(np.float64, copy=False)  # new: gathered
            np.add(out, 0.0, out=out)
        if values.dtype.kind == "f":
            missing = np.isnan(out)
            if missing.any():
                out[missing] = 0.0
        return out
    if rows is not None:  # extension arrays: the rows taken, then only they are converted
        values = values.iloc[rows]
    return values.to_numpy(dtype=float, na_value=0.0) + 0.0


def _check_fraction(name: str, value: float, *, low: float = 0.0, high: float = 1.0) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value!r}")


def _is_sorted(ids: pd.Series) -> bool:
    """Whether the ids are in ascending order (aggregated tables are sorted by id)."""
    if isinstance(ids.dtype, pd.StringDtype) and ids.dtype.storage == "pyarrow":
        # Arrow compares strings in C; Index.is_monotonic_increasing would copy to objects.
        array = ids.array
        return len(array) < 2 or bool((array[1:] >= array[:-1]).all())
    return bool(ids.is_monotonic_increasing)


def _take(values: pd.Series, rows: np.ndarray) -> pd.Series:
    """``values.take(rows).reset_index(drop=True)``: the values at ``rows``, a fresh RangeIndex.

    Taken from the array alone: ``Series.take`` would gather the index too, only to drop it.
    """
    return pd.Series(values.array.take(rows), name=values.name, copy=False)


def _ranking(
    ids: pd.Series,
    values: np.ndarray,
    subset: np.ndarray | None = None,
    *,
    normalised: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Positions sorted by value descending, ties by customer id ascending, and those values.

    ``subset`` (ascending positions) restricts the ranking to those rows. The values come in
    the ranking's order (``values[positions]``, as :func:`_descending_sort` gives them);
    ``normalised``: as there.
    """
    if subset is None and _is_sorted(ids):
        # positions are in id order already
        return _descending_sort(values, normalised=normalised)
    positions = np.arange(len(ids)) if subset is None else np.asarray(subset, dtype=np.int64)
    if not _is_sorted(ids):
        by_id = ids.take(positions).argsort(kind="stable").to_numpy()
        positions = positions[by_id]
    # Positions are now in id order, so a stable sort on the value breaks ties by id.
    order, ranked = _descending_sort(values[positions], normalised=normalised)
    return positions[order], ranked


def _descending_order(values: np.ndarray) -> np.ndarray:
    """Positions by value descending, ties in position order (a stable descending sort).

    Equal to ``np.argsort(-values, kind="stable")``; see :func:`_descending_sort`.
    """
    return _descending_sort(values)[0]


def _descending_sort(
    values: np.ndarray, *, normalised: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_descending_order` and the values in that order (new arrays, -0.0 read as 0.0).

    ``normalised``: ``values`` are float64 without -0.0 already (:func:`_numbers`' arrays),
    read as they are instead of copied with -0.0 made 0.0 (they are never written to).

    ``np.argsort(-values, kind="stable")`` in a fraction of its time on a million floats:
    sorting int64 keys is fast, a stable argsort of floats is not. Each key holds the value's
    order-preserving bits, truncated, above the position, so the sorted keys give the
    positions by truncated value, then by position: the order wanted, except where values so
    close that their truncated bits are equal (float noise such as 0.1 + 0.2 against 0.3)
    came out in position order. The values in that order tell: keys of different truncated
    bits are in the right order, so a rise between neighbours can only be such a pair. Only
    then does a stable sort of the nearly sorted sequence (a timsort, linear on sorted runs)
    put them right; equal values, always in position order already, stay so.
    """
    if not (normalised and isinstance(values, np.ndarray) and values.dtype == np.float64):
        values = np.asarray(values, dtype=np.float64) + 0.0  # + 0.0: -0.0 and 0.0: one key
    n = values.size
    bits = max(1, (n - 1).bit_length())
    keys = values.view(np.int64).copy()
    # Order-preserving integer of a float: flip the magnitude bits of the negative ones; then ~
    # reverses the order (descending) and the arithmetic shift keeps it, truncated.
    keys ^= (keys >> 63) & np.int64(0x7FFFFFFFFFFFFFFF)
    np.invert(keys, out=keys)
    keys >>= bits
    keys <<= bits
    keys |= np.arange(n, dtype=np.int64)
    keys.sort()
    keys &= np.int64((1 << bits) - 1)
    ranked = values[keys]
    if not np.all(ranked[:-1] >= ranked[1:]):  # a rise between neighbours, or NaN
        if np.isnan(ranked).any():  # NaN keys sort by their bits: numpy's own order
            keys = np.argsort(-values, kind="stable")
            return keys, values[keys]
        fix = np.argsort(-ranked, kind="stable")
        keys, ranked = keys[fix], ranked[fix]
    return keys, ranked


def _quantiles(
    values: np.ndarray, quantiles: Sequence[float], *, ascending: bool = False
) -> list[float]:
    """``np.quantile(values, quantiles)`` (linear interpolation) of values without NaN.

    The same numbers, cheaper: numpy partitions at every neighbour of every quantile and at
    both ends at once, which on a million values with many ties takes several times as long
    as one partition per position, each of the rest of the array (or none when ``values``
    are ``ascending``, sorted already). The interpolation is numpy's (``_lerp``): the same
    operations on the same two neighbours.
    """
    n = values.size
    if n == 0:
        raise ValueError("no values to take quantiles of")
    virtual = (n - 1) * np.asarray(quantiles, dtype=np.float64)  # numpy's virtual indexes
    below = np.floor(virtual)
    gammas = virtual - below
    lows = np.minimum(below.astype(np.int64), n - 1)
    highs = np.minimum(lows + 1, n - 1)  # the last value stands for any beyond it
    wanted = np.unique(np.concatenate([lows, highs]))
    if ascending:
        found = dict(zip(wanted.tolist(), values[wanted].tolist(), strict=True))
    else:
        work, start, found = np.array(values, dtype=np.float64), 0, {}
        for position in wanted.tolist():
            rest = work[start:]  # a view: each partition leaves the smaller values before it
            rest.partition(position - start)
            found[position] = float(rest[position - start])
            start = position + 1
    out = []
    for low, high, gamma in zip(lows.tolist(), highs.tolist(), gammas.tolist(), strict=True):
        a, b = found[low], found[high]
        difference = b - a
        out.append(b - difference * (1 - gamma) if gamma >= 0.5 else a + difference * gamma)
    return out


def _positive_share(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Shares of the positive total (NaN when nothing is positive) and that total."""
    total = float(values[values > 0].sum())
    if total <= 0:
        return np.full(values.shape, np.nan), 0.0
    return values / total, total


def _categorical(codes: np.ndarray, categories: Sequence[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=list(categories), ordered=True)


def _level_codes(values: np.ndarray, medium_from: float, high_from: float) -> np.ndarray:
    """0 below ``medium_from``, 1 from it, 2 from ``high_from`` (<= ``medium_from``: checked
    by the callers); NaN is 0. int8, the codes pandas keeps for a few categories."""
    return np.add(values >= medium_from, values >= high_from, dtype=np.int8)


def _change(recent: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """``recent / previous - 1`` where ``previous > 0``, else NaN (a new array)."""
    change = np.full(np.shape(recent), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(recent, previous, out=change, where=previous > 0)
    change -= 1
    return change


def _frame(columns: dict[str, object]) -> pd.DataFrame:
    """A DataFrame of freshly computed columns, each kept as its own block.

    ``pd.DataFrame(columns)`` copies every float column of a million rows into one 2-D block;
    here the arrays are used as they are. Only for arrays made by the caller and handed to
    no other frame (a user writing into the frame writes into them).
    """
    return pd.DataFrame(columns, copy=False)


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
    ranked_ids, ranked, share, cumulative = _pareto(customers, value)
    n = len(ranked)
    return _frame(
        {
            "customer_id": ranked_ids,
            "rank": np.arange(1, n + 1),
            value: ranked,
            "share": share,
            "cumulative_share": cumulative,
            "customer_share": np.arange(1, n + 1) / n if n else np.empty(0),
        }
    )


def _pareto(
    customers: pd.DataFrame, value: str, *, clipped: bool = False
) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Ranked ids, values, shares and cumulative shares of :func:`pareto_table` (new arrays).

    ``clipped``: the shares clipped at 0 (what :func:`abc_classes` reads), divided from the
    clipped values (the same numbers) instead of clipped afterwards.
    """
    ids = _ids(customers, "Pareto")
    order, ranked = _ranking(ids, _numbers(customers, value, "Pareto"), normalised=True)
    # The positive values lead the descending ranking: their total (as _positive_share adds
    # them, in that order) is the sum of that head, no gathered copy.
    total = float(ranked[: np.count_nonzero(ranked > 0)].sum())
    if total > 0:
        cumulative = np.clip(ranked, 0, None)  # summed and divided in place
        share = cumulative / total if clipped else ranked / total
        np.cumsum(cumulative, out=cumulative)
        cumulative /= total
        np.minimum(cumulative, 1.0, out=cumulative)
    else:
        share = np.full(ranked.shape, np.nan)
        cumulative = share.copy()  # NaN, but its own array (share is a column too)
    return _take(ids, order), ranked, share, cumulative


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
    values = np.sort(np.clip(_numbers(customers, value, "Lorenz curve"), 0, None))
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
    values = _numbers(customers, value, "Pareto")
    return _pareto_share(np.sort(np.clip(values, 0, None))[::-1], target, len(values))


def _pareto_share(
    descending: np.ndarray, target: float, n: int, *, work: np.ndarray | None = None
) -> float:
    """:func:`pareto_share` of the values by descending order; ``work``: an array of their
    size the cumulative sums may be written into."""
    total = descending.sum()
    if n == 0 or total <= 0:
        return float("nan")
    cumulative = np.cumsum(descending, out=work)
    reached = cumulative >= target * total * (1 - _EPS)
    return (int(np.argmax(reached)) + 1) / n


# --------------------------------------------------------------------------------------------
# ABC and PMG


def abc_classes(
    customers: pd.DataFrame,
    *,
    value: str = "revenue",
    a_cut: float = DEFAULTS["a_cut"],
    b_cut: float = DEFAULTS["b_cut"],
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
    _check_abc_cuts(a_cut, b_cut)
    ranked_ids, ranked, before, cumulative = _pareto(customers, value, clipped=True)
    np.subtract(cumulative, before, out=before)  # the cumulative share before each customer
    # A (0) below a_cut, B (1) below b_cut, else C (2): the cuts reached, as int8 codes (NaN,
    # an infinite total, is C as in the nested comparisons).
    codes = _level_codes(before, a_cut - _EPS, b_cut - _EPS)
    codes[~(ranked > 0) | np.isnan(before)] = 2
    return _frame(
        {
            "customer_id": ranked_ids,
            value: ranked,
            "cumulative_share": cumulative,
            "abc": _categorical(codes, ABC_CLASSES),
        }
    )


def _check_abc_cuts(a_cut: float, b_cut: float) -> None:
    """The checks of :func:`abc_classes`' cuts (0 <= a_cut <= b_cut <= 1)."""
    _check_fraction("a_cut", a_cut)
    _check_fraction("b_cut", b_cut)
    if a_cut > b_cut:
        raise ValueError(f"a_cut ({a_cut}) must not exceed b_cut ({b_cut})")


def pmg_classes(
    customers: pd.DataFrame,
    *,
    value: str = "revenue",
    thresholds: tuple[float, float] | None = None,
    quantiles: tuple[float, float] = DEFAULTS["pmg_quantiles"],
) -> pd.DataFrame:
    """PMG (petits / moyens / gros) size classes: small, medium, large.

    small if value < medium_from, medium if medium_from <= value < large_from, large if
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
        (ordered categorical small < medium < large). ``attrs["thresholds"]`` holds the
        ``(medium_from, large_from)`` used.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abcde"),
    ...                       "revenue": [500.0, 80.0, 2_000.0, 0.0, 1_000.0]})
    >>> pmg_classes(frame, thresholds=(100, 1_000))["pmg"].tolist()
    ['medium', 'small', 'large', 'small', 'large']
    """
    ids = _ids(customers, "PMG")
    values = _numbers(customers, value, "PMG")
    if thresholds is None:
        medium_from, large_from = _pmg_thresholds(values[values > 0], quantiles)
    else:
        medium_from, large_from = (float(t) for t in thresholds)
        if medium_from > large_from:
            raise ValueError(
                f"thresholds must be (medium_from, large_from) with medium_from <= large_from, "
                f"got {thresholds!r}"
            )
    codes = _level_codes(values, medium_from, large_from)
    codes[~(values > 0)] = 0
    out = _frame({"customer_id": ids, value: values, "pmg": _categorical(codes, PMG_CLASSES)})
    out.attrs["thresholds"] = (medium_from, large_from)
    return out


def _pmg_thresholds(
    positive: np.ndarray, quantiles: tuple[float, float], *, ascending: bool = False
) -> tuple[float, float]:
    """``(medium_from, large_from)`` of :func:`pmg_classes`: the ``quantiles`` (checked) of the
    positive values, (inf, inf) without any.

    The values in any order give the same; ``ascending``: they are sorted (read directly).
    """
    low, high = quantiles
    _check_fraction("quantiles[0]", low)
    _check_fraction("quantiles[1]", high)
    if low > high:
        raise ValueError(f"quantiles must be increasing, got {quantiles!r}")
    if not positive.size:
        return np.inf, np.inf
    medium_from, large_from = _quantiles(positive, (low, high), ascending=ascending)
    return medium_from, large_from


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
        shares add up to 1).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abcd"), "revenue": [50.0, 30.0, 15.0, 5.0]})
    >>> class_summary(abc_classes(frame))["revenue_share"].tolist()
    [0.8, 0.15, 0.05]
    """
    keys = _column(classes, by, "class summary")
    values = _column(classes, value, "class summary")
    if not (values.dtype == np.float64 and not np.isnan(values.to_numpy()).any()):
        # float64 without NaN summed as it is: -0.0 and 0.0 add alike (a new array otherwise)
        values = pd.Series(_numbers(classes, value, "class summary"))
    grouped = values.groupby(keys, observed=False, sort=True)
    out = pd.DataFrame({"customers": grouped.size(), value: grouped.sum()})
    out.index.name = by
    n, total = len(values), values.sum()
    out.insert(1, "customer_share", out["customers"] / n if n else np.nan)
    out[f"{value}_share"] = out[value] / total if total != 0 else np.nan
    return out


# --------------------------------------------------------------------------------------------
# Concentration


def concentration(
    customers: pd.DataFrame,
    *,
    value: str = "revenue",
    top_n: Sequence[int] = DEFAULTS["top_n"],
    dependence_alert: float = DEFAULTS["dependence_alert"],
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
    values = _numbers(customers, value, "concentration")
    return _concentration(
        np.sort(values[values > 0]), value=value, top_n=top_n, dependence_alert=dependence_alert
    )


def _concentration(
    positive: np.ndarray, *, value: str, top_n: Sequence[int], dependence_alert: float
) -> pd.Series:
    """:func:`concentration` from the positive values in ascending order (a contiguous array).

    Each figure is numpy's sum of the same values in the same order as the plain expressions
    (``np.sum((100 * shares) ** 2)``, ``np.sum(ranks * shares)``, ``np.cumsum``), computed in
    place in two work arrays (the squares; the ranks times the shares, then the cumulative
    sums) instead of a new array per operation.
    """
    _check_fraction("dependence_alert", dependence_alert)
    n = positive.size
    total = positive.sum()
    shares = positive / total if n else positive
    figures: dict[str, float] = {"n_customers": n}
    work = np.empty(n)
    if n:
        np.multiply(shares, 100, out=work)
        np.square(work, out=work)  # what ** 2 computes
        figures["hhi"] = float(work.sum())
        # ranks * shares: the int64 ranks 1..n, exact as floats (n < 2**53), times the shares.
        work = np.arange(1, n + 1, dtype=np.float64)
        work *= shares
        figures["gini"] = float(max(2 * np.sum(work) / n - (n + 1) / n, 0.0))
    else:
        figures["hhi"] = figures["gini"] = np.nan
    descending = shares[::-1]
    for k in top_n:
        if int(k) < 1:
            raise ValueError(f"top_n values must be at least 1, got {k!r}")
        figures[f"top_{int(k)}_share"] = float(descending[: int(k)].sum()) if n else np.nan
    label = f"pareto_{round(_PARETO_TARGET * 100)}_share"
    figures[label] = _pareto_share(positive[::-1], _PARETO_TARGET, n, work=work)
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
    ids = _ids(customers, "dependence alert")
    values = _numbers(customers, value, "dependence alert")
    share, _ = _positive_share(values)
    above, ranked = _ranking(ids, values, np.flatnonzero(share > dependence_alert), normalised=True)
    out = pd.DataFrame({"customer_id": _take(ids, above)})
    if name in customers.columns:
        out[name] = _take(_column(customers, name, "dependence alert"), above)
    out[value] = ranked
    out["share"] = share[above]
    return out


# --------------------------------------------------------------------------------------------
# Lifecycle


def _month_number(dates: np.ndarray) -> np.ndarray:
    """Months since 1970-01 (NaT -> a very negative number; callers mask it)."""
    return np.asarray(dates, dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)


def _day_month_number(dates: np.ndarray, *, tenure_at: int | None = None) -> np.ndarray:
    """:func:`_month_number` of dates without NaT, read from a table of their days.

    Converting a million dates to months goes through the calendar one by one; the dates span
    a few thousand days, whose months are converted once and looked up. ``tenure_at``: a
    month number; ``max(tenure_at - month, 0)`` instead of the month (the table holds it: no
    array of months to subtract from).
    """
    dates = np.asarray(dates, dtype="datetime64[ns]")
    if dates.size == 0:
        return np.empty(0, dtype=np.int64)
    days = dates.view(np.int64) // np.int64(86_400_000_000_000)  # floor: the date's day
    first, last = int(days.min()), int(days.max())
    if last - first > 4 * days.size:  # a few dates over a long span: convert them directly
        months = _month_number(dates)
        return months if tenure_at is None else np.maximum(tenure_at - months, 0)
    table = np.arange(first, last + 1, dtype=np.int64).astype("datetime64[D]")
    months = table.astype("datetime64[M]").astype(np.int64)
    if tenure_at is not None:
        months = np.maximum(tenure_at - months, 0)
    days -= first
    return months[days]


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
    index, recent, previous = _window_arrays(monthly, months, window=window)
    return pd.DataFrame(
        {"revenue_recent": recent, "revenue_previous": previous},
        index=pd.Index(index, name="customer_id"),
    )


def _window_arrays(
    monthly: pd.DataFrame, months: pd.DatetimeIndex, *, window: int
) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """The customers and their recent and previous revenue (read-only arrays).

    What :func:`window_revenue` shows, cached with the monthly table.
    """
    if int(window) < 1:
        raise ValueError(f"window must be at least 1 month, got {window!r}")
    if len(months) == 0:
        raise ValueError("months is empty: there is no analysis period")
    views = _views(monthly)
    grid = pd.DatetimeIndex(months).as_unit("ns")
    consecutive = grid.equals(pd.date_range(grid[0], periods=len(grid), freq="MS").as_unit("ns"))
    if not (consecutive and len(grid) >= 2 * int(window)):
        # Positions on Aggregates.months (cached, shared) when it spans both windows; else on
        # the 2 x window months ending with its last month (a history shorter than that has
        # no revenue before its first month).
        last_month = grid[-1].to_period("M").to_timestamp()
        grid = pd.date_range(end=last_month, periods=2 * int(window), freq="MS").as_unit("ns")

    def compute() -> tuple[pd.Index, np.ndarray, np.ndarray]:
        # The recent window is window_totals' (the same rows added in the same order, rounded
        # alike): the balance's customer totals have usually computed it already.
        index, totals = _window_totals(monthly, grid, window=int(window))
        # The previous window is the grid positions first .. first + window - 1 (-1: off the
        # grid): each customer adds the same rows in the same order as over the whole table.
        codes, _ = views.customers()
        position = views.positions(grid)
        first = len(grid) - 2 * int(window)
        revenue = views.values("revenue")
        if views.sorted_cells():  # Aggregates.monthly: by blocks of customers, two threads
            last = first + int(window) - 1
            bounds = views.row_bounds()
            previous = _window_block_sums(position, first, last, codes, bounds, [revenue])[0]
        else:  # the window's rows (about a third of the table) gathered, in order
            rows = np.flatnonzero((position >= first) & (position < first + int(window)))
            customers = codes[rows]
            if customers.size and customers.min() < 0:  # rows without a customer id
                rows, customers = rows[customers >= 0], customers[customers >= 0]
            previous = np.bincount(customers, weights=revenue[rows], minlength=len(index))
        previous = previous.astype(float, copy=False)  # bincount of no row gives integers
        previous = np.round(previous, 9, out=previous)  # 1e-9 € of float noise is not revenue
        previous.flags.writeable = False
        return index, totals["revenue"], previous

    return views.get(("window_revenue", _grid_key(grid), int(window)), compute)


def _aligned_windows(
    monthly: pd.DataFrame,
    customers: pd.DataFrame,
    months: pd.DatetimeIndex,
    window: int,
    analysis: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Recent and previous window revenue in the row order of ``customers`` (absent: 0).

    Read-only arrays when the customers are the monthly table's (the cached totals).
    """
    index, recent, previous = _window_arrays(monthly, months, window=window)
    ids = _ids(customers, analysis)
    if _same_customers(index, ids):
        return recent, previous
    windows = window_revenue(monthly, months, window=window).reindex(ids, fill_value=0.0)
    return windows["revenue_recent"].to_numpy(), windows["revenue_previous"].to_numpy()


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
    recent, previous = _aligned_windows(monthly, customers, months, window_months, "lifecycle")
    keep = np.flatnonzero((recent > 0) | (previous > 0))
    first = _column(customers, "first_purchase", "lifecycle").to_numpy()[keep]
    first = np.asarray(first, dtype="datetime64[ns]")
    if np.isnat(first).any():
        examples = _ids(customers, "lifecycle").take(keep[np.isnat(first)]).head(3).tolist()
        raise ValueError(
            f"lifecycle: customers with revenue but no first_purchase date (e.g. {examples}); "
            "pass Aggregates.customers, which dates every buyer's first purchase."
        )
    tenure = _day_month_number(first, tenure_at=int(_month_number(months[-1:].to_numpy())[0]))
    recent, previous = recent[keep], previous[keep]
    trend = _change(recent, previous)
    # The phases from the lowest precedence up, each written over the ones below it (what
    # np.select of the conditions in precedence order gives, without its stacked choices);
    # int8: the categoricals' own codes, no int64 array to narrow.
    codes = np.where(trend < -growth, np.int8(3), np.int8(2))  # old age, else adulthood
    np.copyto(codes, np.int8(1), where=~(previous > 0) | (trend > growth))  # adolescence
    np.copyto(codes, np.int8(0), where=tenure < childhood_months)  # childhood
    return _frame(
        {
            "customer_id": _take(_ids(customers, "lifecycle"), keep),
            "tenure_months": tenure.astype(np.int64, copy=False),
            "revenue_recent": recent,
            "revenue_previous": previous,
            "trend": trend,
            "phase": _categorical(codes, PHASES),
            "action": _categorical(codes, [PHASE_ACTIONS[p] for p in PHASES]),
        }
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


# --------------------------------------------------------------------------------------------
# Potential matrix


def potential_matrix(
    customers: pd.DataFrame,
    *,
    revenue: str = "revenue",
    potential: str = "potential",
    potential_quantiles: tuple[float, float] = DEFAULTS["potential_quantiles"],
    penetration_cuts: tuple[float, float] = DEFAULTS["penetration_cuts"],
) -> pd.DataFrame:
    """Potential x penetration matrix: where the revenue to win is.

    For every customer with a positive ``potential`` (yearly revenue potential; prospects with
    no revenue included, their penetration is 0):

    - ``penetration`` = max(revenue, 0) / potential (may exceed 1 when the potential is
      underestimated);
    - ``potential_class``: low if potential < q1, medium if q1 <= potential < q2, high if
      potential >= q2, with q1, q2 the ``potential_quantiles`` of the potentials (numpy's
      linear interpolation);
    - ``penetration_class``: low if penetration < cut1, medium if cut1 <= penetration < cut2,
      high otherwise;
    - ``vivier``: high potential and low penetration, the pool to develop first;
    - ``gap`` = max(potential - revenue, 0), the revenue left to win.

    Compare yearly quantities: pass the revenue of the last 12 months (``window_totals``).

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer: ``customer_id`` (column or index), ``revenue``, ``potential``;
        ``name`` and ``sales_rep`` are kept when present.
    revenue, potential : str
        Column names.
    potential_quantiles : (float, float), default (1/3, 2/3)
    penetration_cuts : (float, float), default (0.25, 0.60)

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, [``name``, ``sales_rep``], ``revenue``, ``potential``,
        ``penetration``, ``potential_class``, ``penetration_class`` (ordered categoricals low <
        medium < high), ``vivier`` (bool), ``gap``; in input order.

    Raises
    ------
    PortfolioDataError
        ``missing_attribute`` when the potential column is missing.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abc"), "revenue": [9_000.0, 1_000.0, 0.0],
    ...                       "potential": [10_000.0, 20_000.0, 90_000.0]})
    >>> potential_matrix(frame)[["penetration", "potential_class", "vivier"]].to_numpy().tolist()
    [[0.9, 'low', False], [0.05, 'medium', False], [0.0, 'high', True]]
    """
    for name, pair in (
        ("potential_quantiles", potential_quantiles),
        ("penetration_cuts", penetration_cuts),
    ):
        if len(pair) != 2 or not 0 <= pair[0] <= pair[1]:
            raise ValueError(f"{name} must be two increasing values >= 0, got {pair!r}")
    _check_fraction("potential_quantiles[1]", potential_quantiles[1])
    pot = _column(customers, potential, "potential matrix")
    pot = pot.to_numpy(dtype=float, na_value=np.nan) if pd.api.types.is_numeric_dtype(pot) else None
    if pot is None:
        raise ValueError(
            f"potential matrix: column {potential!r} must hold numbers; convert it first."
        )
    keep = np.flatnonzero(pot > 0)
    pot = pot[keep]
    rev = _numbers(customers, revenue, "potential matrix", rows=keep)
    penetration = np.clip(rev, 0, None)
    penetration /= pot
    if keep.size:
        q1, q2 = _quantiles(pot, potential_quantiles)
    else:
        q1 = q2 = np.inf
    pot_codes = _level_codes(pot, q1, q2)
    pen_codes = _level_codes(penetration, *penetration_cuts)
    ids = _ids(customers, "potential matrix")
    columns: dict[str, object] = {"customer_id": _take(ids, keep)}
    for column in ("name", "sales_rep"):
        if column in customers.columns:
            columns[column] = _take(_column(customers, column, "potential matrix"), keep)
    # revenue and potential may share a name: the later column wins, as with assignments.
    columns[revenue] = rev
    columns[potential] = pot
    columns["penetration"] = penetration
    columns["potential_class"] = _categorical(pot_codes, LEVELS)
    columns["penetration_class"] = _categorical(pen_codes, LEVELS)
    columns["vivier"] = (pot_codes == 2) & (pen_codes == 0)
    gap = pot - rev
    columns["gap"] = np.clip(gap, 0, None, out=gap)
    return _frame(columns)


def _cell_codes(matrix: pd.DataFrame) -> pd.Categorical | None:
    """Cell of each row as one categorical of 9 codes (potential x 3 + penetration).

    None unless both class columns are the low/medium/high categoricals of
    :func:`potential_matrix` with every row classed.
    """
    codes = []
    for column in ("potential_class", "penetration_class"):
        values = matrix[column] if column in matrix.columns else None
        if values is None or not isinstance(values.dtype, pd.CategoricalDtype):
            return None
        if list(values.cat.categories) != list(LEVELS) or not values.cat.ordered:
            return None
        column_codes = values.cat.codes.to_numpy()
        if column_codes.size and column_codes.min() < 0:
            return None
        codes.append(column_codes.astype(np.int8))
    cell = codes[0] * np.int8(len(LEVELS)) + codes[1]
    return pd.Categorical.from_codes(cell, categories=range(len(LEVELS) ** 2))


def potential_matrix_summary(
    matrix: pd.DataFrame, *, revenue: str = "revenue", potential: str = "potential"
) -> pd.DataFrame:
    """3 x 3 pivot of the potential matrix: customers, revenue, potential and gap per cell.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Output of :func:`potential_matrix`.
    revenue, potential : str
        Column names used there.

    Returns
    -------
    pandas.DataFrame
        Index ``potential_class`` (low, medium, high), columns a MultiIndex (measure,
        ``penetration_class``) with measures ``customers``, ``revenue``, ``potential``,
        ``gap``; empty cells hold 0. The (high, low) cell is the *vivier*.
    """
    full = pd.MultiIndex.from_product(
        [pd.CategoricalIndex(LEVELS, categories=LEVELS, ordered=True)] * 2,
        names=["potential_class", "penetration_class"],
    )
    cell = _cell_codes(matrix)
    if cell is None:
        grouped = matrix.groupby(["potential_class", "penetration_class"], observed=False)
    else:
        # One key of 9 codes, in the order of ``full``: the same rows summed in the same order
        # per cell as grouping by the two columns, without pandas combining two keys.
        grouped = matrix.groupby(cell, observed=False)
    cells = pd.DataFrame(
        {
            "customers": grouped.size(),
            revenue: grouped[revenue].sum(),
            potential: grouped[potential].sum(),
            "gap": grouped["gap"].sum(),
        }
    )
    if cell is not None:
        cells.index = full
    cells = cells.reindex(full, fill_value=0)
    cells["customers"] = cells["customers"].astype(np.int64)
    out = cells.unstack("penetration_class")
    out.columns.names = [None, "penetration_class"]
    return out
