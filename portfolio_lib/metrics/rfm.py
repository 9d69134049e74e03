"""RFM analysis: recency, frequency, monetary scores and named segments.

Works on the per-customer table ``Aggregates.customers`` (``last_purchase``, ``orders``,
``revenue``), or on a window of it (``window_totals`` joined to ``last_purchase``).

Segments come from the R x F grid :data:`RFM_GRID` (rows R score, columns F score):

======  ================  ===================  ===================  ==============  ==============
R \\ F   1                 2                    3                    4               5
======  ================  ===================  ===================  ==============  ==============
5       new               potential_loyalist   potential_loyalist   champions       champions
4       promising         potential_loyalist   potential_loyalist   loyal           loyal
3       about_to_sleep    about_to_sleep       need_attention       loyal           loyal
2       hibernating       hibernating          at_risk              at_risk         cant_lose_them
1       lost              lost                 at_risk              at_risk         cant_lose_them
======  ================  ===================  ===================  ==============  ==============
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.metrics.balance import _column, _ids, _numbers, _take

__all__ = [
    "RFM_ACTIONS",
    "RFM_GRID",
    "RFM_SEGMENTS",
    "rfm_scores",
    "rfm_segments",
    "rfm_summary",
    "rfm_table",
]

# Segment key -> French and English name, in display order (best customers first).
RFM_SEGMENTS: dict[str, dict[str, str]] = {
    "champions": {"fr": "Champions", "en": "Champions"},
    "loyal": {"fr": "Fidèles", "en": "Loyal"},
    "potential_loyalist": {"fr": "Fidèles potentiels", "en": "Potential loyalist"},
    "new": {"fr": "Nouveaux", "en": "New"},
    "promising": {"fr": "Prometteurs", "en": "Promising"},
    "need_attention": {"fr": "À surveiller", "en": "Need attention"},
    "about_to_sleep": {"fr": "Bientôt endormis", "en": "About to sleep"},
    "at_risk": {"fr": "À risque", "en": "At risk"},
    "cant_lose_them": {"fr": "À ne pas perdre", "en": "Can't lose them"},
    "hibernating": {"fr": "En hibernation", "en": "Hibernating"},
    "lost": {"fr": "Perdus", "en": "Lost"},
}

# Suggested action per segment; registered in i18n as "rfm_action_<segment>".
RFM_ACTIONS: dict[str, dict[str, str]] = {
    "champions": {
        "fr": "Récompenser, associer aux nouveautés, solliciter des recommandations",
        "en": "Reward them, involve them in new products, ask for referrals",
    },
    "loyal": {
        "fr": "Proposer la montée en gamme et les ventes complémentaires, programme de fidélité",
        "en": "Up-sell and cross-sell, loyalty programme",
    },
    "potential_loyalist": {
        "fr": "Offre d'adhésion ou contrat-cadre, recommandations personnalisées",
        "en": "Membership or framework-agreement offer, personalised recommendations",
    },
    "new": {
        "fr": "Accueil et accompagnement, viser rapidement la deuxième commande",
        "en": "Welcome and onboarding, aim for the second order quickly",
    },
    "promising": {
        "fr": "Faire connaître la gamme, offre d'essai ciblée",
        "en": "Build awareness of the range, targeted trial offer",
    },
    "need_attention": {
        "fr": "Offre limitée dans le temps, reprendre contact à partir des achats passés",
        "en": "Time-limited offer, get back in touch based on past purchases",
    },
    "about_to_sleep": {
        "fr": "Relance avec produits populaires et conditions attractives",
        "en": "Follow up with popular products and attractive terms",
    },
    "at_risk": {
        "fr": "Contact personnalisé du commercial, comprendre la baisse, offre de reconquête",
        "en": "Personal call from the sales rep, understand the decline, win-back offer",
    },
    "cant_lose_them": {
        "fr": "Rendez-vous de la direction commerciale, plan de reconquête prioritaire",
        "en": "Meeting with sales management, priority win-back plan",
    },
    "hibernating": {
        "fr": "Relance à faible coût, réactiver avec une offre pertinente",
        "en": "Low-cost follow-up, reactivate with a relevant offer",
    },
    "lost": {
        "fr": "Campagne de reconquête peu coûteuse, sinon ne plus investir",
        "en": "Low-cost win-back campaign, otherwise stop investing",
    },
}

_N_SCORES = 5  # the grid is 5 x 5: segments need scores made with bins=5
# (R score, F score) -> segment key; rows of the module docstring's table.
_GRID_ROWS = {
    5: ("new", "potential_loyalist", "potential_loyalist", "champions", "champions"),
    4: ("promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"),
    3: ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose_them"),
    1: ("lost", "lost", "at_risk", "at_risk", "cant_lose_them"),
}
RFM_GRID: dict[tuple[int, int], str] = {
    (r, f): key for r, row in _GRID_ROWS.items() for f, key in enumerate(row, start=1)
}

i18n.register(
    {
        "monetary": {"fr": "Montant (CA)", "en": "Monetary (revenue)"},
        "r_score": {"fr": "Score R", "en": "R score"},
        "f_score": {"fr": "Score F", "en": "F score"},
        "m_score": {"fr": "Score M", "en": "M score"},
        "rfm_code": {"fr": "Code RFM", "en": "RFM code"},
        "rfm_segment": {"fr": "Segment RFM", "en": "RFM segment"},
        "mean_days_since_last": {
            "fr": "Jours depuis le dernier achat (moyenne)",
            "en": "Mean days since last purchase",
        },
        "mean_orders": {"fr": "Commandes (moyenne)", "en": "Mean orders"},
        "mean_monetary": {"fr": "CA moyen", "en": "Mean revenue"},
        "suggested_action": {"fr": "Action suggérée", "en": "Suggested action"},
        # Sheet names of the RFM hand-out (customers with their segment, rfm_summary).
        "rfm_customers": {"fr": "Clients par segment", "en": "Customers by segment"},
        "rfm_summary": {"fr": "Synthèse des segments", "en": "Segment summary"},
        # Note when the scores have other bins than the 5 the segments need.
        "rfm_needs_5_bins": {
            "fr": "Les segments nommés utilisent la grille R x F de 5 x 5 scores : avec "
            "{bins} scores, seuls les scores et la grille des effectifs sont affichés. "
            "Remettez RFM_BINS à 5 pour les segments.",
            "en": "Named segments use the 5 x 5 R x F grid: with {bins} scores only the scores "
            "and the grid of counts are shown. Set RFM_BINS back to 5 for the segments.",
        },
        **RFM_SEGMENTS,
        **{f"rfm_action_{key}": texts for key, texts in RFM_ACTIONS.items()},
    }
)


def rfm_table(
    customers: pd.DataFrame,
    *,
    as_of: object,
    last_purchase: str = "last_purchase",
    frequency: str = "orders",
    monetary: str = "revenue",
) -> pd.DataFrame:
    """Recency, frequency and monetary value of every buying customer.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer: ``customer_id`` (column or index) and the three source columns,
        e.g. ``Aggregates.customers``.
    as_of : date-like
        Analysis date (``Aggregates.as_of``).
    last_purchase : str, default 'last_purchase'
        Date of the last purchase.
    frequency : str, default 'orders'
        Number of orders (not lifetimes' repeat-purchase ``frequency``).
    monetary : str, default 'revenue'
        Revenue over the same period.

    Returns
    -------
    pandas.DataFrame
        Buyers only (frequency > 0 and a last purchase date), in input order:
        ``customer_id``, ``days_since_last`` (days from the last purchase to ``as_of``), ``orders``,
        ``monetary``.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...                       "last_purchase": pd.to_datetime(["2025-12-01", "2025-06-30", None]),
    ...                       "orders": [4, 1, 0], "revenue": [900.0, 120.0, 0.0]})
    >>> rfm_table(frame, as_of="2025-12-31").to_numpy().tolist()
    [['a', 30, 4, 900.0], ['b', 184, 1, 120.0]]
    """
    return _rfm_table(
        customers,
        as_of=as_of,
        last_purchase=last_purchase,
        frequency=frequency,
        monetary=monetary,
    )[0]


def _rfm_table(
    customers: pd.DataFrame,
    *,
    as_of: object,
    last_purchase: str = "last_purchase",
    frequency: str = "orders",
    monetary: str = "revenue",
) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`rfm_table` and the positions in ``customers`` of its rows."""
    analysis = "RFM"
    keep, dates, counts = _buyers(customers, last_purchase=last_purchase, frequency=frequency)
    end = pd.Timestamp(as_of).normalize()
    if isinstance(dates.dtype, np.dtype):
        # Whole days, floored as Timedelta.days: numpy on the buyers' dates, no Series of
        # Timedeltas.
        days = (end.to_datetime64() - dates.to_numpy()[keep]) // np.timedelta64(1, "D")
    else:  # timezone-aware dates
        days = (end - dates.take(keep)).dt.days.to_numpy()
    if (days < 0).any():
        raise ValueError(
            f"RFM: {int((days < 0).sum())} customer(s) have a last purchase after as_of "
            f"({end:%Y-%m-%d}); pass the as_of used for the aggregation (Aggregates.as_of)."
        )
    orders = counts[keep]
    if orders.dtype != np.int64 and np.all(orders == np.round(orders)):
        orders = orders.astype(np.int64)
    # New arrays (days, orders and the values are computed or gathered here): the frame keeps
    # them as they are instead of copying the two integer columns into one block.
    frame = pd.DataFrame(
        {
            "customer_id": _take(_ids(customers, analysis), keep),
            "days_since_last": days.astype(np.int64, copy=False),
            "orders": orders,
            "monetary": _numbers(customers, monetary, analysis, rows=keep),
        },
        copy=False,
    )
    return frame, keep


def _buyers(
    customers: pd.DataFrame, *, last_purchase: str = "last_purchase", frequency: str = "orders"
) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """Positions of the rows :func:`rfm_table` keeps (in order), their dates and the counts.

    The counts are an int64 column's own array (read only; ``Aggregates.customers``' orders),
    else :func:`_numbers`' floats.
    """
    analysis = "RFM"
    dates = _column(customers, last_purchase, analysis)
    if not pd.api.types.is_datetime64_any_dtype(dates):
        raise ValueError(
            f"RFM: column {last_purchase!r} must hold dates, found {dates.dtype}; load the "
            "customers with portfolio_lib.engine.aggregate or convert it with pandas.to_datetime."
        )
    counts = _whole_or_numbers(customers, frequency)
    return np.flatnonzero((counts > 0) & dates.notna().to_numpy()), dates, counts


def _scores(values: np.ndarray, bins: int, ascending: np.ndarray | None = None) -> np.ndarray:
    """Quantile score 1..bins: ceil(bins * rank / n), rank = 'min' rank (ties share a score).

    No ranking is needed: score <= s  <=>  bins * rank <= s * n  <=>  rank <= floor(s * n / bins)
    =: k_s  <=>  fewer than k_s values are smaller  <=>  value <= the k_s-th smallest value
    (never when k_s = 0). So the score is bins minus the number of those ``bins - 1``
    thresholds the value does not exceed: a partition and a few comparisons instead of an
    argsort of the million values (exact, integers only). Whole numbers over a short range
    (days, order counts) look their score up in a table of each number's. ``ascending``: the
    values sorted, when the caller has them; the thresholds are then read off it.
    """
    n = values.size
    limits = np.arange(1, bins, dtype=np.int64) * n // bins  # k_s for s = 1 .. bins - 1
    positions = limits[limits > 0] - 1  # 0-based position of the k_s-th smallest value
    if not positions.size:
        return np.full(n, bins, dtype=np.int64)
    counted = _counted(values) if ascending is None else None
    if counted is not None:
        numbers, _, below = counted
        thresholds = np.searchsorted(below, positions, side="right")  # as numbers - low
        # Number i exceeds searchsorted(thresholds, i) of them: bins minus the others.
        exceeds = np.searchsorted(thresholds, np.arange(below.size), side="left")
        score_of = bins - thresholds.size + exceeds
        return score_of[numbers]
    thresholds = _smallest(values, positions) if ascending is None else ascending[positions]
    scores = np.full(n, bins, dtype=np.int64)
    for threshold in thresholds:
        scores -= values <= threshold
    return scores


def _counted(values: np.ndarray) -> tuple[np.ndarray, int, np.ndarray] | None:
    """Whole numbers over a short range (days, order counts) counted, else None.

    ``(numbers, low, below)``: each value minus the smallest, ``low``, as int64; the smallest;
    and how many values are <= low + i, for every i (a cumulative count of each number).
    """
    if values.dtype.kind == "i":  # integers (days, orders): whole already, no float check
        low, high = int(values.min()), int(values.max())
        if high - low > 4 * values.size:
            return None
        whole = np.subtract(values, low, dtype=np.int64)
        return whole, low, np.cumsum(np.bincount(whole))
    with np.errstate(invalid="ignore"):  # NaN, inf or huge values: caught by the check below
        whole = values.astype(np.int64)
    if not np.array_equal(whole, values):
        return None
    low, high = int(whole.min()), int(whole.max())
    if high - low > 4 * values.size:
        return None
    whole -= low
    return whole, low, np.cumsum(np.bincount(whole))


def _smallest(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The values at ``positions`` (ascending) of ``values`` sorted: ``np.partition``'s.

    Days and order counts are whole numbers over a short range: a count of each number (one
    pass) then gives them without partitioning a million values.
    """
    counted = _counted(values)
    if counted is not None:
        _, low, below = counted
        # The p-th smallest (0-based) is the first number with more than p values <= it.
        found = np.searchsorted(below, positions, side="right") + low
        return found.astype(values.dtype)
    return np.partition(values, np.unique(positions))[positions]


def _codes(
    r_score: np.ndarray, f_score: np.ndarray, m_score: np.ndarray, index: pd.Index | None = None
) -> pd.Series:
    """``rfm_code`` strings such as "545" (one digit per score), as the ``str`` dtype.

    Equal to ``pd.Series(r * 100 + f * 10 + m).astype("str")``; with Arrow-backed strings the
    three-byte codes are written straight into an Arrow buffer instead of formatting a
    million Python integers.
    """
    dtype = pd.api.types.pandas_dtype("str")
    n = r_score.size
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow") or n == 0:
        return pd.Series(r_score * 100 + f_score * 10 + m_score, index=index).astype("str")
    import pyarrow as pa

    digits = np.empty((n, 3), dtype=np.uint8)
    for column, score in enumerate((r_score, f_score, m_score)):
        np.add(score, ord("0"), out=digits[:, column], casting="unsafe")
    offsets = np.arange(0, 3 * n + 1, 3, dtype=np.int64)
    strings = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(digits))
    return pd.Series(pd.arrays.ArrowStringArray(strings, dtype=dtype), index=index, copy=False)


def rfm_scores(rfm: pd.DataFrame, *, bins: int = DEFAULTS["rfm_bins"]) -> pd.DataFrame:
    """Quantile scores 1..bins for recency (reversed), frequency and monetary value.

    score = ceil(bins x rank / n), where rank is the ascending rank with ties given the lowest
    rank of their group (pandas' ``method="min"``) and n the number of customers. So the
    largest value scores ``bins``, equal values always share a score, scores stay within
    1..bins whatever the number of distinct values, and a mass of one-order customers gets
    F = 1 (with ``method="max"`` they would be lifted into the middle bins and the "new" and
    "lost" segments would vanish). Recency is ranked reversed: the most recent buyers score
    highest.

    Parameters
    ----------
    rfm : pandas.DataFrame
        Output of :func:`rfm_table` (``days_since_last``, ``orders``, ``monetary``).
    bins : int, default 5
        Number of scores, 2 to 9 (one digit each in ``rfm_code``).

    Returns
    -------
    pandas.DataFrame
        A copy of ``rfm`` with ``r_score``, ``f_score``, ``m_score`` (int) and ``rfm_code``
        (e.g. "545"); ``attrs["bins"]`` holds ``bins``, which :func:`rfm_segments` checks.

    Examples
    --------
    >>> rfm = pd.DataFrame({"customer_id": list("abcde"), "days_since_last": [5, 40, 40, 200, 10],
    ...                     "orders": [9, 1, 1, 1, 3], "monetary": [900, 50, 60, 30, 400]})
    >>> rfm_scores(rfm)["rfm_code"].tolist()
    ['555', '212', '213', '111', '444']
    """
    return _rfm_scores(rfm, bins=bins)


def _rfm_scores(
    rfm: pd.DataFrame, *, bins: int, monetary_ascending: np.ndarray | None = None
) -> pd.DataFrame:
    """:func:`rfm_scores`; ``monetary_ascending``: the monetary values (as :func:`_numbers`
    reads them) sorted, when the caller has sorted them (the M thresholds are read off it)."""
    if not 2 <= int(bins) <= 9:
        raise ValueError(f"bins must be between 2 and 9, got {bins!r}")
    missing = [c for c in ("days_since_last", "orders", "monetary") if c not in rfm.columns]
    if missing:
        raise ValueError(f"rfm_scores needs the output of rfm_table; missing columns {missing}")
    out = rfm.copy(deep=False)  # copy-on-write: the new columns never reach ``rfm``
    out.attrs["bins"] = int(bins)
    if len(out) == 0:
        for column in ("r_score", "f_score", "m_score"):
            out[column] = np.empty(0, dtype=np.int64)
        out["rfm_code"] = pd.Series([], dtype="str", index=out.index)
        return out
    scores = {
        "r_score": _scores(-_whole_or_numbers(rfm, "days_since_last"), bins),
        "f_score": _scores(_whole_or_numbers(rfm, "orders"), bins),
        "m_score": _scores(_numbers(rfm, "monetary", "RFM"), bins, monetary_ascending),
    }
    codes = _codes(scores["r_score"], scores["f_score"], scores["m_score"], out.index)
    new = [*scores, "rfm_code"]
    if out.columns.is_unique and not out.columns.isin(new).any():
        # The columns of ``rfm`` (shared, copy-on-write) and the new score arrays as they are:
        # assigning them would copy each million-row array once more.
        columns = {name: out[name] for name in out.columns}
        columns.update(scores)
        columns["rfm_code"] = codes
        attrs = dict(out.attrs)
        out = pd.DataFrame(columns, index=out.index, copy=False)
        out.attrs.update(attrs)
        return out
    for column, values in scores.items():
        out[column] = values
    out["rfm_code"] = codes
    return out


def _whole_or_numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """An int64 column's own array (read only: days and orders of :func:`rfm_table`, orders of
    ``Aggregates.customers``), else :func:`_numbers`' floats.

    The scores and counts of whole numbers are the same either way (:func:`_scores`); the
    integers skip a float copy to compare and round back.
    """
    values = _column(frame, column, "RFM")
    if values.dtype == np.int64:
        return values.to_numpy()
    return _numbers(frame, column, "RFM")


def _grid_mapping(
    grid: Mapping[tuple[int, int], str] | Sequence[Sequence[str]] | None,
) -> dict[tuple[int, int], str]:
    """The grid as {(r, f): key}, checked: 5 x 5, every cell mapped."""
    if grid is None:
        return dict(RFM_GRID)
    if isinstance(grid, Mapping):
        cells = {(int(r), int(f)): str(key) for (r, f), key in grid.items()}
    else:
        rows = [list(row) for row in grid]
        if len(rows) != _N_SCORES or any(len(row) != _N_SCORES for row in rows):
            shape = [len(row) for row in rows]
            raise ValueError(
                f"grid must be 5 rows (R = 5 down to 1) of 5 segment keys (F = 1 to 5), got rows "
                f"of lengths {shape}"
            )
        cells = {
            (_N_SCORES - i, f): str(key)
            for i, row in enumerate(rows)
            for f, key in enumerate(row, start=1)
        }
    expected = set(RFM_GRID)
    missing, extra = sorted(expected - set(cells)), sorted(set(cells) - expected)
    if missing or extra:
        raise ValueError(
            "grid must map every (R score, F score) cell with scores 1 to 5 exactly once; "
            f"unmapped cells: {missing or 'none'}, unexpected cells: {extra or 'none'}"
        )
    return cells


def rfm_segments(
    scores: pd.DataFrame,
    *,
    grid: Mapping[tuple[int, int], str] | Sequence[Sequence[str]] | None = None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """Named segment of each customer from its R and F scores.

    The default grid (:data:`RFM_GRID`; rows R score, columns F score) maps every cell to
    exactly one segment:

    ======  ================  ===================  ===================  ==============  ==============
    R \\ F   1                 2                    3                    4               5
    ======  ================  ===================  ===================  ==============  ==============
    5       new               potential_loyalist   potential_loyalist   champions       champions
    4       promising         potential_loyalist   potential_loyalist   loyal           loyal
    3       about_to_sleep    about_to_sleep       need_attention       loyal           loyal
    2       hibernating       hibernating          at_risk              at_risk         cant_lose_them
    1       lost              lost                 at_risk              at_risk         cant_lose_them
    ======  ================  ===================  ===================  ==============  ==============

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`rfm_scores` with ``bins=5`` (other bins are refused: a score of 4
        out of 4 is not the 4 of the 5 x 5 grid).
    grid : dict or nested list, optional
        Another grid: ``{(r, f): key}`` for every r, f in 1..5, or 5 lists of 5 keys laid out
        like the table above (first row R = 5, last row R = 1; columns F = 1 to 5). Keys are
        the segments of :data:`RFM_SEGMENTS` or new keys, which need French and English names
        (in ``labels``, or already registered with :func:`portfolio_lib.i18n.register`).
    labels : dict, optional
        ``{key: {"fr": ..., "en": ...}}`` for new keys; registered in :mod:`portfolio_lib.i18n`.
        A suggested action for a new key can be registered as ``"rfm_action_<key>"``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``scores`` with ``rfm_segment`` (categorical of segment keys, in the order of
        :data:`RFM_SEGMENTS`, new keys after).

    Raises
    ------
    ValueError
        Scores made with ``bins`` other than 5 (``scores.attrs["bins"]``), scores outside
        1..5, a grid that is not 5 x 5 or leaves cells unmapped, or new keys without names.
    """
    bins = scores.attrs.get("bins", _N_SCORES)
    if bins != _N_SCORES:
        raise ValueError(
            f"rfm_segments reads the 5 x 5 R x F grid, but these scores go from 1 to {bins} "
            f"(rfm_scores(..., bins={bins})): a score of {min(bins, 4)} would not mean what it "
            "means in the grid. Compute the scores with rfm_scores(rfm, bins=5) for named "
            f"segments, or keep the {bins}-level scores without segments."
        )
    cells = _grid_mapping(grid)
    if labels:
        i18n.register(labels)
    known = set(RFM_SEGMENTS) | set(i18n.labels("en"))
    unnamed = sorted({key for key in cells.values() if key not in known})
    if unnamed:
        raise ValueError(
            f"grid uses segment key(s) {unnamed} with no French/English names; pass "
            f"labels={{'{unnamed[0]}': {{'fr': ..., 'en': ...}}}} or use the keys "
            f"{list(RFM_SEGMENTS)}"
        )
    r = scores["r_score"].to_numpy()
    f = scores["f_score"].to_numpy()
    # The extremes first (no mask of a million rows); the mask only to count the culprits.
    inside = not r.size or (min(r.min(), f.min()) >= 1 and max(r.max(), f.max()) <= _N_SCORES)
    outside = None if inside else (r < 1) | (r > _N_SCORES) | (f < 1) | (f > _N_SCORES)
    if outside is not None and outside.any():
        raise ValueError(
            f"{int(outside.sum())} customer(s) have R or F scores outside 1..5; the segment grid "
            "is 5 x 5: compute the scores with rfm_scores(rfm, bins=5)."
        )
    used = set(cells.values())
    categories = [key for key in RFM_SEGMENTS if key in used]
    categories += [key for key in dict.fromkeys(cells.values()) if key not in RFM_SEGMENTS]
    # int8: the codes pandas keeps for at most 25 segments (no million-row cast).
    lookup = np.zeros((_N_SCORES + 1, _N_SCORES + 1), dtype=np.int8)
    for (ri, fi), key in cells.items():
        lookup[ri, fi] = categories.index(key)
    out = scores.copy(deep=False)  # copy-on-write: the new column never reaches ``scores``
    flat = r * (_N_SCORES + 1) + f  # each row's cell, flat in the table: a plain gather
    out["rfm_segment"] = pd.Categorical.from_codes(lookup.ravel()[flat], categories=categories)
    return out


def rfm_summary(segments: pd.DataFrame, *, lang: str | None = None) -> pd.DataFrame:
    """Customers, revenue and mean R, F, M per segment, with the suggested action.

    Parameters
    ----------
    segments : pandas.DataFrame
        Output of :func:`rfm_segments`.
    lang : {'fr', 'en'}, optional
        Language of the ``suggested_action`` texts, default ``DEFAULTS["lang"]``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``rfm_segment`` (every segment of the grid, empty ones with 0 customers):
        ``customers``, ``customer_share``, ``revenue`` (sum of monetary), ``revenue_share``
        (of the total), ``mean_days_since_last``, ``mean_orders``, ``mean_monetary`` and
        ``suggested_action`` (text; empty for a custom segment without a registered
        ``rfm_action_<key>``).
    """
    lang = DEFAULTS["lang"] if lang is None else lang
    texts = i18n.labels(lang)  # also validates lang
    grouped = segments.groupby("rfm_segment", observed=False, sort=True)
    customers, revenue = grouped.size(), grouped["monetary"].sum()
    out = pd.DataFrame(
        {
            "customers": customers,
            "revenue": revenue,
            **{
                f"mean_{column}": _group_mean(segments, column, grouped, customers, revenue)
                for column in ("days_since_last", "orders", "monetary")
            },
        }
    )
    n, total = out["customers"].sum(), out["revenue"].sum()
    out.insert(1, "customer_share", out["customers"] / n if n else np.nan)
    out.insert(3, "revenue_share", out["revenue"] / total if total else np.nan)
    out["suggested_action"] = [texts.get(f"rfm_action_{key}", "") for key in out.index]
    return out


def _group_mean(
    segments: pd.DataFrame,
    column: str,
    grouped: pd.api.typing.DataFrameGroupBy,
    counts: pd.Series,
    monetary_sums: pd.Series,
) -> pd.Series:
    """``grouped[column].mean()``, without a pass of pandas' group kernel where its result is
    known to the bit.

    - ``monetary`` (floats, no NaN): pandas' group mean is its group sum over the count, and
      the sums (``monetary_sums``) and counts (``counts``, rows per segment) are made already;
    - integers whose sums stay below 2**53 (days, orders): float64 adds them exactly in any
      order, so one ``np.bincount`` of the segment codes gives pandas' compensated sum, over
      the same counts.
    """
    values = segments[column]
    if column == "monetary" and values.dtype == np.float64 and not values.isna().any():
        return monetary_sums / counts
    key = segments["rfm_segment"]
    if pd.api.types.is_integer_dtype(values.dtype) and isinstance(key.dtype, pd.CategoricalDtype):
        numbers = values.to_numpy()
        largest = max(abs(int(numbers.min())), abs(int(numbers.max()))) if numbers.size else 0
        if largest * numbers.size < 2**53:
            codes = key.cat.codes.to_numpy()
            named = codes >= 0  # no segment: in no group, as in groupby
            if not named.all():
                codes, numbers = codes[named], numbers[named]
            sums = np.bincount(codes, weights=numbers, minlength=len(counts))
            with np.errstate(divide="ignore", invalid="ignore"):  # 0 / 0: NaN, as pandas
                return pd.Series(sums / counts.to_numpy(), index=counts.index)
    return grouped[column].mean()
