"""Quality of the relationship with the customers (course text 000).

Text 000 analyses a portfolio on three criteria: "le nombre de clients", "le potentiel en
euros des clients" and "la Qualité de la Relation avec les clients en pourcentage". The
customer file's ``relationship_quality`` (0 to 1) is read here:

- :func:`relationship_bands`: customers, revenue and potential per band of quality (does the
  revenue and the potential sit with the good relationships?);
- :func:`relationship_by`: mean quality and weak relationships per segment, sales rep...;
- :func:`weak_relationships`: the customers below the alert, biggest first (what the alerts
  and the lifecycle's enfance action read).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.i18n import register
from portfolio_lib.metrics.common import column_of, customer_ids, descending_ranking, numbers

__all__ = [
    "QUALITY_BANDS",
    "relationship_bands",
    "relationship_by",
    "weak_relationships",
]

QUALITY_BANDS = (0.25, 0.50, 0.75)  # quarters of the 0-1 scale

register(
    {
        "quality_band": {"fr": "Qualité de la relation", "en": "Relationship quality"},
        "quality_mean": {"fr": "Qualité moyenne", "en": "Mean quality"},
        "quality_weighted": {
            "fr": "Qualité moyenne pondérée par le CA",
            "en": "Revenue-weighted mean quality",
        },
        "weak_customers": {"fr": "Relations fragiles", "en": "Weak relationships"},
        "weak_share": {"fr": "Part de relations fragiles", "en": "Share of weak relationships"},
        "weak_revenue": {"fr": "CA des relations fragiles", "en": "Revenue of weak relationships"},
        "potential_share": {"fr": "Part du potentiel", "en": "Share of potential"},
    }
)


def _quality(customers: pd.DataFrame, context: str) -> np.ndarray:
    quality = column_of(customers, "relationship_quality", context)
    return quality.to_numpy(dtype=float, na_value=np.nan)


def _band_labels(bands: Sequence[float]) -> list[str]:
    """'< 25 %', '25-50 %', ..., '≥ 75 %' for cuts (0.25, 0.5, 0.75)."""
    pct = [f"{round(100 * b)}" for b in bands]
    middle = [f"{a}-{b} %" for a, b in zip(pct[:-1], pct[1:], strict=True)]
    return [f"< {pct[0]} %", *middle, f"≥ {pct[-1]} %"]


def relationship_bands(
    customers: pd.DataFrame,
    *,
    value: str = "revenue",
    potential: str = "potential",
    bands: Sequence[float] = QUALITY_BANDS,
) -> pd.DataFrame:
    """Customers, revenue and potential per band of relationship quality.

    Customers without a known quality are left out. Band i holds ``bands[i - 1] <= quality <
    bands[i]``.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer: ``relationship_quality`` (0-1), ``value``, optional
        ``potential``. Pass the active customers.
    value, potential : str
    bands : sequence of float, default (0.25, 0.50, 0.75)

    Returns
    -------
    pandas.DataFrame
        Indexed by ``quality_band`` (labels such as '25-50 %'): ``customers``,
        ``customer_share``, ``value``, ``{value}_share`` and, with ``potential``, ``potential``,
        ``potential_share`` and ``penetration`` (revenue / potential of the band's customers
        with a potential).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abcd"), "revenue": [10.0, 30.0, 20.0, 40.0],
    ...                       "relationship_quality": [0.1, 0.9, 0.6, 0.8]})
    >>> relationship_bands(frame)["revenue_share"].tolist()
    [0.1, 0.0, 0.2, 0.7]
    """
    cuts = np.asarray(bands, dtype=float)
    if cuts.size == 0 or np.any(np.diff(cuts) <= 0):
        raise ValueError(f"bands must be increasing, got {bands!r}")
    quality = _quality(customers, "relationship quality")
    known = np.isfinite(quality)
    codes = np.searchsorted(cuts, quality[known], side="right")
    names = _band_labels(cuts)
    k = len(names)

    def per_band(weights: np.ndarray | None = None, rows: np.ndarray | None = None) -> np.ndarray:
        keys = codes if rows is None else codes[rows]
        return np.bincount(keys, weights=weights, minlength=k)

    index = pd.CategoricalIndex(names, categories=names, ordered=True, name="quality_band")
    out = pd.DataFrame({"customers": per_band().astype(np.int64)}, index=index)
    n = int(out["customers"].sum())
    out["customer_share"] = out["customers"] / n if n else np.nan
    revenue = numbers(customers, value, "relationship quality")[known]
    out[value] = per_band(revenue)
    total = out[value].sum()
    out[f"{value}_share"] = out[value] / total if total else np.nan
    if potential in customers.columns:
        pot = numbers(customers, potential, "relationship quality")[known]
        out[potential] = per_band(pot)
        total_potential = out[potential].sum()
        out["potential_share"] = out[potential] / total_potential if total_potential else np.nan
        has = pot > 0
        covered = per_band(pot[has], has)
        made = per_band(np.clip(revenue, 0, None)[has], has)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["penetration"] = np.where(covered > 0, made / covered, np.nan)
    return out


def relationship_by(
    customers: pd.DataFrame,
    *,
    by: str = "segment",
    value: str = "revenue",
    alert: float = DEFAULTS["relationship_alert"],
) -> pd.DataFrame:
    """Relationship quality per group (segment, sales rep, region...).

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer: ``by``, ``relationship_quality``, ``value``.
    by : str, default 'segment'
    value : str, default 'revenue'
    alert : float, default 0.5
        Quality below which a relationship is weak.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by`` (groups sorted): ``customers`` (with a known quality),
        ``quality_mean``, ``quality_weighted`` (weighted by the positive ``value``, NaN without
        revenue), ``weak_customers`` (quality < alert), ``weak_share``, ``value`` and
        ``weak_revenue`` (the value of the weak relationships).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abc"), "segment": ["x", "x", "y"],
    ...                       "revenue": [10.0, 30.0, 5.0], "relationship_quality": [0.2, 0.6, 0.9]})
    >>> relationship_by(frame)[["quality_mean", "quality_weighted", "weak_customers"]].loc["x"].tolist()
    [0.4, 0.5, 1.0]
    """
    quality = _quality(customers, "relationship quality")
    known = np.isfinite(quality)
    groups = column_of(customers, by, "relationship quality").array[known]  # dtype kept
    codes, names = pd.factorize(groups, sort=True)  # missing groups: -1, left out
    rows = codes >= 0
    codes = codes[rows]
    q = quality[known][rows]
    revenue = numbers(customers, value, "relationship quality")[known][rows]
    weight = np.clip(revenue, 0, None)
    weak = q < alert

    def per_group(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(codes, weights=weights, minlength=len(names))

    out = pd.DataFrame({"customers": per_group().astype(np.int64)}, index=pd.Index(names))
    out["quality_mean"] = per_group(q) / out["customers"]
    w = per_group(weight)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["quality_weighted"] = np.where(w > 0, per_group(q * weight) / w, np.nan)
    out["weak_customers"] = per_group(weak.astype(float)).astype(np.int64)
    out["weak_share"] = out["weak_customers"] / out["customers"]
    out[value] = per_group(revenue)
    out["weak_revenue"] = per_group(np.where(weak, revenue, 0.0))
    out.index.name = by
    return out


def weak_relationships(
    customers: pd.DataFrame,
    *,
    value: str = "revenue",
    alert: float = DEFAULTS["relationship_alert"],
) -> pd.DataFrame:
    """Customers whose relationship quality is below ``alert``, biggest ``value`` first.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer: ``customer_id`` (column or index), ``relationship_quality``,
        ``value``; ``name``, ``sales_rep``, ``segment`` and ``potential`` are kept when
        present.
    value : str, default 'revenue'
    alert : float, default 0.5

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, [``name``, ``sales_rep``, ``segment``], ``relationship_quality``,
        ``value``, [``potential``]; ties by ``customer_id``.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abc"), "revenue": [10.0, 30.0, 5.0],
    ...                       "relationship_quality": [0.2, 0.4, 0.9]})
    >>> weak_relationships(frame)["customer_id"].tolist()
    ['b', 'a']
    """
    quality = _quality(customers, "relationship quality")
    revenue = numbers(customers, value, "relationship quality")
    ids = customer_ids(customers, "relationship quality")
    rows = np.flatnonzero(quality < alert)
    order = rows[descending_ranking(ids.take(rows).reset_index(drop=True), revenue[rows])]
    out = pd.DataFrame({"customer_id": ids.take(order).reset_index(drop=True)})
    for column in ("name", "sales_rep", "segment"):
        if column in customers.columns:
            out[column] = column_of(customers, column, "relationship quality").take(order).array
    out["relationship_quality"] = quality[order]
    out[value] = revenue[order]
    if "potential" in customers.columns:
        out["potential"] = numbers(customers, "potential", "relationship quality")[order]
    return out
