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
from portfolio_lib.metrics.common import column_of, customer_ids, numbers

__all__ = [
    "RFM_ACTIONS",
    "RFM_CLASSES",
    "RFM_GRID",
    "RFM_SEGMENTS",
    "rfm_class_summary",
    "rfm_classes",
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

# The five classes of course text 000 ("très fort, fort, moyen, faible, très faible"), strongest
# first; keys of the weighted-score classes of rfm_classes.
RFM_CLASSES: dict[str, dict[str, str]] = {
    "rfm_very_strong": {"fr": "Très fort", "en": "Very strong"},
    "rfm_strong": {"fr": "Fort", "en": "Strong"},
    "rfm_medium": {"fr": "Moyen", "en": "Medium"},
    "rfm_weak": {"fr": "Faible", "en": "Weak"},
    "rfm_very_weak": {"fr": "Très faible", "en": "Very weak"},
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
        "rfm_score": {"fr": "Score RFM pondéré", "en": "Weighted RFM score"},
        "rfm_class": {"fr": "Classe RFM", "en": "RFM class"},
        "rfm_classes": {"fr": "Classes RFM", "en": "RFM classes"},
        "mean_score": {"fr": "Score pondéré moyen", "en": "Mean weighted score"},
        "rfm_action": {"fr": "Action RFM suggérée", "en": "Suggested RFM action"},
        **RFM_CLASSES,
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
    analysis = "RFM"
    dates = column_of(customers, last_purchase, analysis)
    if not pd.api.types.is_datetime64_any_dtype(dates):
        raise ValueError(
            f"RFM: column {last_purchase!r} must hold dates, found {dates.dtype}; load the "
            "customers with portfolio_lib.engine.aggregate or convert it with pandas.to_datetime."
        )
    counts = numbers(customers, frequency, analysis)
    keep = np.flatnonzero((counts > 0) & dates.notna().to_numpy())
    end = pd.Timestamp(as_of).normalize()
    days = (end - dates.take(keep)).dt.days.to_numpy()
    if (days < 0).any():
        raise ValueError(
            f"RFM: {int((days < 0).sum())} customer(s) have a last purchase after as_of "
            f"({end:%Y-%m-%d}); pass the as_of used for the aggregation (Aggregates.as_of)."
        )
    orders = counts[keep]
    if np.all(orders == np.round(orders)):
        orders = orders.astype(np.int64)
    return pd.DataFrame(
        {
            "customer_id": customer_ids(customers, analysis).take(keep).reset_index(drop=True),
            "days_since_last": days.astype(np.int64),
            "orders": orders,
            "monetary": numbers(customers, monetary, analysis)[keep],
        },
        copy=False,  # new arrays
    )


def _score(values: np.ndarray, bins: int) -> np.ndarray:
    """Quantile score 1..bins: ceil(bins x rank / n), with ties given their lowest rank.

    Read off order statistics rather than a rank per value: score <= s exactly when
    rank <= s n / bins, i.e. when fewer than k_s = floor(s n / bins) values are smaller, i.e.
    when the value is at most the k_s-th smallest value (never when k_s = 0). So the score is
    1 plus the number of s in 1..bins-1 with k_s = 0 or a k_s-th smallest value below it.
    """
    n = len(values)
    k = np.arange(1, bins) * n // bins
    order_statistics = k[k > 0] - 1
    # np.partition places exactly these order statistics (no full sort needed).
    thresholds = np.partition(values, order_statistics)[order_statistics] if n else values[:0]
    # 1 + (s with k_s = 0) + (thresholds below the value): a few comparisons per value.
    score = np.full(n, 1 + np.count_nonzero(k == 0), dtype=np.int64)
    for threshold in thresholds:
        score += values > threshold
    return score


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
    if not 2 <= int(bins) <= 9:
        raise ValueError(f"bins must be between 2 and 9, got {bins!r}")
    missing = [c for c in ("days_since_last", "orders", "monetary") if c not in rfm.columns]
    if missing:
        raise ValueError(f"rfm_scores needs the output of rfm_table; missing columns {missing}")
    r = _score(-numbers(rfm, "days_since_last", "RFM"), int(bins))  # the most recent: high
    f = _score(numbers(rfm, "orders", "RFM"), int(bins))
    m = _score(numbers(rfm, "monetary", "RFM"), int(bins))
    code = pd.Series(r * 100 + f * 10 + m, index=rfm.index).astype("str")
    out = rfm.assign(r_score=r, f_score=f, m_score=m, rfm_code=code)
    out.attrs["bins"] = int(bins)
    return out


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
    outside = (r < 1) | (r > _N_SCORES) | (f < 1) | (f > _N_SCORES)
    if outside.any():
        raise ValueError(
            f"{int(outside.sum())} customer(s) have R or F scores outside 1..5; the segment grid "
            "is 5 x 5: compute the scores with rfm_scores(rfm, bins=5)."
        )
    used = set(cells.values())
    categories = [key for key in RFM_SEGMENTS if key in used]
    categories += [key for key in dict.fromkeys(cells.values()) if key not in RFM_SEGMENTS]
    # The segment of every (R, F) cell as a table of category codes, looked up per customer.
    lookup = np.zeros((_N_SCORES + 1, _N_SCORES + 1), dtype=np.int8)
    for (ri, fi), key in cells.items():
        lookup[ri, fi] = categories.index(key)
    return scores.assign(rfm_segment=pd.Categorical.from_codes(lookup[r, f], categories=categories))


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
    out = pd.DataFrame(
        {
            "customers": grouped.size(),
            "revenue": grouped["monetary"].sum(),
            "mean_days_since_last": grouped["days_since_last"].mean(),
            "mean_orders": grouped["orders"].mean(),
            "mean_monetary": grouped["monetary"].mean(),
        }
    )
    n, total = out["customers"].sum(), out["revenue"].sum()
    out.insert(1, "customer_share", out["customers"] / n if n else np.nan)
    out.insert(3, "revenue_share", out["revenue"] / total if total else np.nan)
    out["suggested_action"] = [texts.get(f"rfm_action_{key}", "") for key in out.index]
    return out


def rfm_classes(
    scores: pd.DataFrame,
    *,
    weights: Sequence[float] = DEFAULTS["rfm_weights"],
) -> pd.DataFrame:
    """Weighted RFM score and its five classes, très fort to très faible (course text 000).

    The text: "Le Scoring RFM donne une note à chaque client, calculée en fonction des 3
    critères RFM. Chaque poids est donc défini arbitrairement et chaque paramètre R, F et M
    représente un découpage en 5 classes (très fort, fort, moyen, faible, très faible)." So:

    - ``rfm_score`` = (w_R x R + w_F x F + w_M x M) / (w_R + w_F + w_M), the weighted mean of
      the three scores of :func:`rfm_scores`, between 1 and ``bins``;
    - ``rfm_class``: the range 1..bins cut into five classes of equal width (fixed cut
      points, so a class means the same score whatever the portfolio): with 5 scores,
      très faible [1, 1.8), faible [1.8, 2.6), moyen [2.6, 3.4), fort [3.4, 4.2),
      très fort [4.2, 5].

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`rfm_scores` (``r_score``, ``f_score``, ``m_score``; ``attrs["bins"]``).
    weights : (float, float, float), default (1, 1, 1)
        w_R, w_F, w_M, set by the user; >= 0, not all 0. Only their ratios matter.

    Returns
    -------
    pandas.DataFrame
        A copy of ``scores`` with ``rfm_score`` (float) and ``rfm_class`` (categorical of the
        keys of :data:`RFM_CLASSES`, strongest first).

    Examples
    --------
    >>> scores = pd.DataFrame({"r_score": [5, 1, 3], "f_score": [4, 1, 3], "m_score": [1, 2, 3]})
    >>> out = rfm_classes(scores, weights=(2, 1, 1))
    >>> out["rfm_score"].tolist(), out["rfm_class"].tolist()
    ([3.75, 1.25, 3.0], ['rfm_strong', 'rfm_very_weak', 'rfm_medium'])
    """
    w = np.asarray(weights, dtype=float)
    if w.shape != (3,) or np.isnan(w).any() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(
            f"weights must be three numbers w_R, w_F, w_M >= 0, not all 0, got {weights!r}"
        )
    missing = [c for c in ("r_score", "f_score", "m_score") if c not in scores.columns]
    if missing:
        raise ValueError(f"rfm_classes needs the output of rfm_scores; missing columns {missing}")
    bins = int(scores.attrs.get("bins", _N_SCORES))
    r, f, m = (numbers(scores, c, "RFM") for c in ("r_score", "f_score", "m_score"))
    score = (w[0] * r + w[1] * f + w[2] * m) / w.sum()
    # Five classes of equal width on [1, bins]; a score equal to a cut point goes up.
    width = (bins - 1) / 5
    level = np.clip(np.floor((score - 1) / width + 1e-9), 0, 4).astype(np.int8)
    keys = list(RFM_CLASSES)
    classes = pd.Categorical.from_codes(4 - level, categories=keys)
    return scores.assign(rfm_score=score, rfm_class=classes)


def rfm_class_summary(classes: pd.DataFrame, *, value: str = "monetary") -> pd.DataFrame:
    """Customers and revenue of each RFM class, with their shares.

    Parameters
    ----------
    classes : pandas.DataFrame
        Output of :func:`rfm_classes`.
    value : str, default 'monetary'

    Returns
    -------
    pandas.DataFrame
        Indexed by ``rfm_class`` (all five, strongest first): ``customers``,
        ``customer_share``, ``revenue``, ``revenue_share``, ``mean_score``.
    """
    grouped = classes.groupby("rfm_class", observed=False, sort=True)
    out = pd.DataFrame(
        {
            "customers": grouped.size().astype(np.int64),
            "revenue": grouped[value].sum(),
            "mean_score": grouped["rfm_score"].mean(),
        }
    )
    n, total = out["customers"].sum(), out["revenue"].sum()
    out.insert(1, "customer_share", out["customers"] / n if n else np.nan)
    out.insert(3, "revenue_share", out["revenue"] / total if total else np.nan)
    out.index.name = "rfm_class"
    return out
