"""Migration matrices: how customers moved between the classes of two dates.

The classes are those of the other metrics (ABC, PMG, RFM class, lifecycle phase, hit-parade
tier), computed by their own functions at each date; this module only crosses the two
classifications (docs/definitions.md, Migrations):

- a row per class at the earlier date, plus ``new``: customers not classified then (first
  purchase since, or back after the window);
- a column per class now, plus ``lost``: customers classified then and not now (no revenue in
  the window now);
- each cell: customers, their revenue then and now (the windows the classes were judged on)
  and its change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from portfolio_lib.i18n import label, register

__all__ = ["LOST", "NEW", "class_name", "migration_matrix", "migration_table"]

NEW, LOST = "new", "lost"

register(
    {
        "class_before": {"fr": "Classe l'an dernier", "en": "Class last year"},
        "class_after": {"fr": "Classe aujourd'hui", "en": "Class now"},
        "revenue_before": {"fr": "CA avant", "en": "Revenue before"},
        "revenue_after": {"fr": "CA maintenant", "en": "Revenue now"},
        "migration_tier": {"fr": "Tranche {tier}", "en": "Tier {tier}"},
    }
)

_VALUES = ("customers", "revenue_before", "revenue_after", "revenue_change")


def _order(values: pd.Series) -> list[object]:
    """The classes in their own order (categories of an ordered categorical, else sorted)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.categories)
    present = values.dropna().unique().tolist()
    try:
        return sorted(present)
    except TypeError:
        return sorted(present, key=str)


def migration_table(
    before: pd.Series,
    after: pd.Series,
    *,
    revenue_before: pd.Series | None = None,
    revenue_after: pd.Series | None = None,
) -> pd.DataFrame:
    """Customers, and their revenue, moving from each class then to each class now.

    Parameters
    ----------
    before, after : pandas.Series
        The class of each customer at the earlier date and now, indexed by ``customer_id``;
        a customer missing (or NaN) was not classified at that date.
    revenue_before, revenue_after : pandas.Series, optional
        Revenue of each customer at each date (indexed by ``customer_id``; missing = 0).

    Returns
    -------
    pandas.DataFrame
        One row per non-empty cell, rows then columns in class order (``new`` last among
        the rows, ``lost`` last among the columns): ``class_before``, ``class_after``,
        ``customers``, ``revenue_before``, ``revenue_after``, ``revenue_change``.
        ``attrs["rows"]`` and ``attrs["columns"]`` hold the full orders.

    Examples
    --------
    >>> before = pd.Series(["A", "A", "B"], index=["x", "y", "z"])
    >>> after = pd.Series(["A", "B", "A"], index=["x", "z", "w"])
    >>> migration_table(before, after)[["class_before", "class_after", "customers"]].values.tolist()
    [['A', 'A', 1], ['A', 'lost', 1], ['B', 'B', 1], ['new', 'A', 1]]
    """
    rows = [c for c in _order(before) if c != NEW] + [NEW]
    columns = [c for c in _order(after) if c != LOST] + [LOST]
    ids = before.dropna().index.union(after.dropna().index)
    frame = pd.DataFrame(
        {
            "class_before": before.reindex(ids).astype(object).fillna(NEW).to_numpy(),
            "class_after": after.reindex(ids).astype(object).fillna(LOST).to_numpy(),
            "customers": np.ones(len(ids), dtype=np.int64),
            "revenue_before": _revenue(revenue_before, ids),
            "revenue_after": _revenue(revenue_after, ids),
        }
    )
    frame["revenue_change"] = frame["revenue_after"] - frame["revenue_before"]
    cells = frame.groupby(["class_before", "class_after"], sort=False).sum()
    cells = cells.reindex(pd.MultiIndex.from_product([rows, columns])).dropna()
    cells.index.names = ["class_before", "class_after"]
    out = cells.reset_index()
    out["customers"] = out["customers"].astype(np.int64)
    out.attrs.update(rows=rows, columns=columns)
    return out


def _revenue(values: pd.Series | None, ids: pd.Index) -> np.ndarray:
    if values is None:
        return np.zeros(len(ids))
    return values.reindex(ids).fillna(0.0).to_numpy(dtype=float)


def migration_matrix(table: pd.DataFrame, *, value: str = "customers") -> pd.DataFrame:
    """Pivot :func:`migration_table`: classes then (rows, ``new`` last) x classes now (columns,
    ``lost`` last), 0 in empty cells.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`migration_table`.
    value : {'customers', 'revenue_before', 'revenue_after', 'revenue_change'}
    """
    if value not in _VALUES:
        raise ValueError(f"value must be one of {list(_VALUES)}, got {value!r}")
    matrix = table.pivot(index="class_before", columns="class_after", values=value)
    rows = table.attrs.get("rows", list(matrix.index))
    columns = table.attrs.get("columns", list(matrix.columns))
    matrix = matrix.reindex(index=rows, columns=columns).fillna(0)
    if value == "customers":
        matrix = matrix.astype(np.int64)
    return matrix  # the new-to-lost corner is 0: a customer is classified at one date at least


def class_name(value: object, lang: str) -> str:
    """A class as the front ends write it: ABC letters as they are, tiers as "Tranche 2",
    the other keys (small, childhood, rfm_strong, new, lost) translated; plain text."""
    if isinstance(value, (int, np.integer)):
        return label("migration_tier", lang).format(tier=int(value))
    return label(str(value), lang)
