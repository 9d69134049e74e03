"""The ideal customer profile (course text 000: "Créer un profil de votre (vos) client(s) idéal
(idéaux)"): which traits are over-represented among the most valuable customers.

- :func:`first_year_behaviour`: revenue and orders of each customer's first 12 months;
- :func:`trait_lift`: for each value of each trait (segment, region, acquisition channel, size
  class, first-year class), its share among the top customers over its share in the whole
  portfolio (the lift), sorted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from portfolio_lib.i18n import register
from portfolio_lib.metrics.common import check_monthly, column_of, customer_ids, numbers

__all__ = ["PROFILE_TRAITS", "first_year_behaviour", "top_flags", "trait_frame", "trait_lift"]

# Traits looked at when present: customer attributes, then the numeric ones cut in terciles.
PROFILE_TRAITS = (
    "segment",
    "region",
    "acquisition_channel",
    "potential",
    "first_year_revenue",
    "first_year_orders",
)
_TERCILES = ("tercile_low", "tercile_medium", "tercile_high")

register(
    {
        "first_year_revenue": {"fr": "CA de la première année", "en": "First-year revenue"},
        "first_year_orders": {
            "fr": "Commandes de la première année",
            "en": "First-year orders",
        },
        "trait": {"fr": "Caractéristique", "en": "Trait"},
        "trait_value": {"fr": "Valeur", "en": "Value"},
        "customers_top": {"fr": "Clients les plus rentables", "en": "Most valuable customers"},
        "share_top": {"fr": "Part chez les meilleurs", "en": "Share among the best"},
        "customers_all": {"fr": "Clients du portefeuille", "en": "Customers in the portfolio"},
        "share_all": {"fr": "Part dans le portefeuille", "en": "Share in the portfolio"},
        "lift": {"fr": "Sur-représentation (lift)", "en": "Lift"},
        "tercile_low": {"fr": "tiers bas", "en": "low third"},
        "tercile_medium": {"fr": "tiers moyen", "en": "middle third"},
        "tercile_high": {"fr": "tiers haut", "en": "high third"},
    }
)


def first_year_behaviour(
    monthly: pd.DataFrame, customers: pd.DataFrame, *, months: int = 12
) -> pd.DataFrame:
    """Revenue and orders of each customer in the ``months`` calendar months from the month of
    their first purchase (that month included).

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly`` (``customer_id``, ``month``, ``revenue``, ``orders``).
    customers : pandas.DataFrame
        ``Aggregates.customers`` (``customer_id``, ``first_purchase``).
    months : int, default 12

    Returns
    -------
    pandas.DataFrame
        One row per row of ``customers``: ``first_year_revenue``, ``first_year_orders`` (0
        for prospects). A first year not over yet at as_of counts what there is.
    """
    check_monthly(monthly)
    ids = customer_ids(customers, "first year").astype(str)
    first = pd.to_datetime(column_of(customers, "first_purchase", "first year"))
    start = pd.Series(first.dt.to_period("M").dt.to_timestamp().to_numpy(), index=ids.to_numpy())
    cell_ids = monthly["customer_id"].astype(str).to_numpy()
    cell_start = start.reindex(cell_ids).to_numpy()
    cell_month = pd.to_datetime(monthly["month"]).to_numpy()
    end = (pd.DatetimeIndex(cell_start) + pd.DateOffset(months=int(months))).to_numpy()
    inside = (cell_month >= cell_start) & (cell_month < end)
    cells = pd.DataFrame(
        {
            "first_year_revenue": monthly["revenue"].to_numpy(dtype=float)[inside],
            "first_year_orders": monthly["orders"].to_numpy(dtype=float)[inside],
        }
    ).groupby(cell_ids[inside], sort=False)
    sums = cells.sum().reindex(ids.to_numpy(), fill_value=0.0)
    return sums.reset_index(drop=True)


def _trait_values(values: pd.Series) -> pd.Categorical:
    """Text values of a trait: numbers cut in terciles (label keys), missing as 'unknown'."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numeric = values.to_numpy(dtype=float, na_value=np.nan)
        ranks = pd.Series(numeric).rank(method="average", pct=True).to_numpy()
        level = np.select([ranks <= 1 / 3, ranks <= 2 / 3, np.isnan(numeric)], [0, 1, 3], 2)
        return pd.Categorical.from_codes(level, categories=[*_TERCILES, "unknown"])
    return pd.Categorical(values.astype(object).where(values.notna(), "unknown").astype(str))


def trait_frame(customers: pd.DataFrame, traits: Sequence[str] = PROFILE_TRAITS) -> pd.DataFrame:
    """The traits of :func:`trait_lift` as categoricals, computed once (explorers keep it).

    Parameters
    ----------
    customers : pandas.DataFrame
    traits : sequence of str
        Columns kept when present; numeric ones cut in terciles by rank (low, middle, high
        third), missing values as 'unknown'.

    Returns
    -------
    pandas.DataFrame
        One categorical column per trait present, same rows as ``customers``.
    """
    return pd.DataFrame(
        {t: _trait_values(customers[t]) for t in traits if t in customers.columns},
        index=customers.index,
    )


def trait_lift(
    customers: pd.DataFrame,
    top: np.ndarray | pd.Series,
    *,
    traits: Sequence[str] = PROFILE_TRAITS,
) -> pd.DataFrame:
    """Lift of each trait value among the top customers: share among them / share overall.

    For a trait value v: share_top = (top customers with v) / (top customers), share_all =
    (customers with v) / (customers), lift = share_top / share_all. A lift of 2 means the
    value is twice as common among the best customers as in the portfolio: a look-alike to
    prospect. Numeric traits (potential, first-year revenue and orders) are cut in terciles
    of the portfolio (low, medium, high third, by rank).

    Parameters
    ----------
    customers : pandas.DataFrame
        The portfolio (usually the active customers) with the trait columns, or their
        :func:`trait_frame` (computed once, then each call only counts).
    top : boolean array or Series
        True for the most valuable customers (e.g. ABC class A, or the top CLV quintile).
    traits : sequence of str
        Columns to look at; those missing from ``customers`` are skipped.

    Returns
    -------
    pandas.DataFrame
        One row per trait value: ``trait`` (column name), ``trait_value``,
        ``customers_top``, ``share_top``, ``customers_all``, ``share_all``, ``lift``; sorted
        by lift descending (ties: more top customers first).

    Examples
    --------
    >>> frame = pd.DataFrame({"segment": ["PME", "PME", "ETI", "ETI", "ETI"]})
    >>> out = trait_lift(frame, np.array([True, True, False, False, True]), traits=["segment"])
    >>> out[["trait_value", "lift"]].round(3).to_numpy().tolist()
    [['PME', 1.667], ['ETI', 0.556]]
    """
    flags = np.asarray(top, dtype=bool)
    if flags.shape != (len(customers),):
        raise ValueError(
            f"top must have one flag per customer ({len(customers)}), got shape {flags.shape}"
        )
    n, n_top = len(customers), int(flags.sum())
    frame = customers[[t for t in traits if t in customers.columns]]
    if not all(isinstance(frame[t].dtype, pd.CategoricalDtype) for t in frame.columns):
        frame = trait_frame(frame, frame.columns)
    parts = []
    for trait in frame.columns:
        values = frame[trait].array
        codes = np.asarray(values.codes, dtype=np.intp)
        known = codes >= 0
        size = len(values.categories)
        all_counts = np.bincount(codes[known], minlength=size)
        top_counts = np.bincount(codes[known & flags], minlength=size)
        present = np.flatnonzero(all_counts)
        parts.append(
            pd.DataFrame(
                {
                    "trait": trait,
                    "trait_value": np.asarray(values.categories, dtype=object)[present],
                    "customers_top": top_counts[present],
                    "customers_all": all_counts[present],
                }
            )
        )
    columns = ["trait", "trait_value", "customers_top", "customers_all"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    out["share_top"] = out["customers_top"] / n_top if n_top else np.nan
    out["share_all"] = out["customers_all"] / n if n else np.nan
    out["lift"] = out["share_top"] / out["share_all"]
    out = out[["trait", "trait_value", "customers_top", "share_top", "customers_all",
               "share_all", "lift"]]  # fmt: skip
    return out.sort_values(
        ["lift", "customers_top"], ascending=False, kind="stable", ignore_index=True
    )


def top_flags(values: pd.DataFrame, column: str, *, top_share: float = 0.20) -> np.ndarray:
    """True for the ``top_share`` of rows with the largest ``column`` (ties by position)."""
    x = numbers(values, column, "profile")
    k = int(np.ceil(round(len(x) * top_share, 9)))
    flags = np.zeros(len(x), dtype=bool)
    flags[np.argsort(-x, kind="stable")[:k]] = True
    return flags
