"""Customer lifetime value by simple formulas: the average-customer formula and retention CLV.

The predictive models (BG/NBD and Gamma-Gamma) live in :mod:`portfolio_lib.models`.
Churn is not recomputed here: take it from :func:`portfolio_lib.metrics.movements.annual_churn` (the
last 12 months; with ``by=`` for a rate per group), the one definition every notebook uses.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.i18n import register
from portfolio_lib.metrics.common import column_of, numbers

__all__ = ["clv_formulas", "retention_clv", "simple_clv"]

# Lifetime (years) given to a group with zero churn, where 1 / churn is infinite.
_MAX_LIFETIME_YEARS = DEFAULTS["clv_max_lifetime_years"]

register(
    {
        "average_basket": {"fr": "Panier moyen", "en": "Average basket"},
        "purchases_per_year": {"fr": "Achats par an", "en": "Purchases per year"},
        "margin_rate": {"fr": "Taux de marge", "en": "Margin rate"},
        "annual_churn": {"fr": "Taux d'attrition annuel", "en": "Annual churn rate"},
        "expected_lifetime_years": {
            "fr": "Durée de vie attendue (ans)",
            "en": "Expected lifetime (years)",
        },
        "clv": {"fr": "Valeur vie client (CLV)", "en": "Customer lifetime value (CLV)"},
        "margin_per_year": {"fr": "Marge annuelle", "en": "Yearly margin"},
        "discount_rate": {"fr": "Taux d'actualisation", "en": "Discount rate"},
        # The three CLV methods, as columns of a comparison table (and chart legends).
        "clv_simple": {"fr": "CLV simple (non actualisée)", "en": "Simple CLV (undiscounted)"},
        "clv_retention": {
            "fr": "CLV par rétention (actualisée)",
            "en": "Retention CLV (discounted)",
        },
        # Course text 000's formula and the margin-based variant, each with its formula.
        "clv_revenue": {
            "fr": "CLV du cours (panier × fréquence × durée de vie)",
            "en": "Course CLV (basket × frequency × lifetime)",
        },
        "clv_formula": {"fr": "Formule", "en": "Formula"},
        "clv_method": {"fr": "Méthode", "en": "Method"},
        "clv_value": {"fr": "Valeur", "en": "Value"},
        "clv_method_text": {
            "fr": "CLV du cours (texte 000), en CA",
            "en": "Course CLV (text 000), in revenue",
        },
        "clv_method_margin": {"fr": "CLV sur marge", "en": "Margin-based CLV"},
        "clv_formula_text": {
            "fr": "panier moyen × fréquence d'achat (par an) × durée de vie moyenne (ans)",
            "en": "average order value × purchase frequency (per year) × average lifetime (years)",
        },
        "clv_formula_margin": {
            "fr": "panier moyen × fréquence d'achat × taux de marge × durée de vie "
            "(1 / attrition annuelle)",
            "en": "average order value × purchase frequency × margin rate × lifetime "
            "(1 / annual churn)",
        },
        "clv_predictive": {
            "fr": "CLV prédictive (BG/NBD + Gamma-Gamma)",
            "en": "Predictive CLV (BG/NBD + Gamma-Gamma)",
        },
    }
)

Numeric = TypeVar("Numeric", float, np.ndarray, pd.Series, pd.DataFrame)


def _churn_per_group(annual_churn: float | pd.Series, groups: pd.Index) -> np.ndarray:
    """Churn aligned on the groups, checked to be rates in [0, 1]."""
    if isinstance(annual_churn, pd.Series):
        if list(groups) == ["total"] and "total" not in annual_churn.index:
            if len(annual_churn) != 1:
                raise ValueError(
                    "annual_churn is a Series but by=None: pass one rate (a float), or a Series "
                    "indexed by the groups of `by`"
                )
            churn = annual_churn.to_numpy(dtype=float)
        else:
            missing = [g for g in groups if g not in annual_churn.index]
            if missing:
                raise ValueError(
                    f"annual_churn has no rate for group(s) {missing[:5]}; index it by the values "
                    f"of `by`, e.g. movements.annual_churn(..., customers=..., by=...)"
                )
            churn = annual_churn.reindex(groups).to_numpy(dtype=float)
    else:
        churn = np.full(len(groups), float(annual_churn))
    bad = np.isnan(churn) | (churn < 0) | (churn > 1)
    if bad.any():
        raise ValueError(
            f"annual_churn must be a rate between 0 and 1 (e.g. 0.15 for 15 %), got "
            f"{churn[bad][:5].tolist()}"
        )
    return churn


def simple_clv(
    customers: pd.DataFrame,
    *,
    annual_churn: float | pd.Series,
    by: str | None = None,
    margin_rate: float | None = None,
    revenue: str = "revenue",
    margin: str = "margin",
    orders: str = "orders",
    max_lifetime_years: float = _MAX_LIFETIME_YEARS,
) -> pd.DataFrame:
    """Average-customer CLV: basket x purchases per year x margin rate x expected lifetime.

    Per group of customers (or the whole portfolio):

    - ``average_basket`` = revenue / orders (of the group);
    - ``purchases_per_year`` = orders / customers;
    - ``margin_rate`` = margin / revenue, over the customers whose margin is known; the
      ``margin_rate`` argument when given (overrides the data), else
      ``DEFAULTS["default_margin_rate"]`` for a group without any margin;
    - ``expected_lifetime_years`` = 1 / annual_churn, capped at ``max_lifetime_years`` (a group
      with no churn would otherwise live forever);
    - ``clv`` = average_basket x purchases_per_year x margin_rate x expected_lifetime_years,
      i.e. the yearly gross margin of an average customer times the years they stay.
      Undiscounted: see :func:`retention_clv` for a discounted value;
    - ``clv_revenue`` = average_basket x purchases_per_year x expected_lifetime_years, the
      formula of course text 000 ("multipliez le montant moyen des achats par leur fréquence
      moyenne [...] la durée moyenne du cycle de vie"), in revenue: ``clv`` / margin_rate.

    Parameters
    ----------
    customers : pandas.DataFrame
        Per-customer totals over the **last 12 months** (they are read as yearly figures),
        e.g. ``window_totals(agg.monthly, agg.months)`` joined to the attributes used in ``by``.
        Only active customers (revenue > 0) are counted.
    annual_churn : float or pandas.Series
        Yearly churn rate in [0, 1], or a Series of rates indexed by the values of ``by``:
        :func:`portfolio_lib.metrics.movements.annual_churn` (``monthly, months=..., customers=...,
        by=...``), the churn of the same 12 months as the totals.
    by : str, optional
        Column to group by (segment, region, acquisition channel...); None for one row
        ``"total"``.
    margin_rate : float, optional
        Gross margin rate to use instead of the data's.
    revenue, margin, orders : str
        Column names; ``margin`` may be absent.
    max_lifetime_years : float, default 10
        Cap on the expected lifetime.

    Returns
    -------
    pandas.DataFrame
        One row per group (index ``by``, or ``"total"``): ``customers``, ``average_basket``,
        ``purchases_per_year``, ``margin_rate``, ``annual_churn``,
        ``expected_lifetime_years``, ``clv``, ``clv_revenue``.

    Notes
    -----
    The sums of revenue, orders and margin are pandas' grouped sums (one group ``"total"``
    without ``by``).

    Examples
    --------
    >>> totals = pd.DataFrame({"customer_id": ["a", "b"], "revenue": [3_000.0, 1_000.0],
    ...                        "margin": [900.0, 300.0], "orders": [6, 2]})
    >>> simple_clv(totals, annual_churn=0.25).loc["total"].round(2).tolist()
    [2.0, 500.0, 4.0, 0.3, 0.25, 4.0, 2400.0, 8000.0]
    """
    if max_lifetime_years <= 0:
        raise ValueError(f"max_lifetime_years must be positive, got {max_lifetime_years!r}")
    if margin_rate is not None and not 0 <= margin_rate <= 1:
        raise ValueError(f"margin_rate must be between 0 and 1 (e.g. 0.3), got {margin_rate!r}")
    analysis = "simple CLV"
    rev = numbers(customers, revenue, analysis)
    active = rev > 0
    if by is None:  # one group; integer keys group faster than a column of "total"
        keys = pd.Series(np.zeros(len(customers), dtype=np.int8))
    else:
        keys = column_of(customers, by, analysis)
        if keys.isna().any():  # customers without the attribute form their own group
            keys = keys.astype(object).where(keys.notna(), "unknown")
    if margin in customers.columns:
        known = column_of(customers, margin, analysis).to_numpy(dtype=float, na_value=np.nan)
    else:
        known = np.full(len(customers), np.nan)
    margin_known = ~np.isnan(known)
    frame = pd.DataFrame(
        {
            "revenue": rev,
            "orders": numbers(customers, orders, analysis),
            "margin": np.nan_to_num(known),
            "margin_revenue": np.where(margin_known, rev, 0.0),  # revenue whose margin is known
            "margin_known": margin_known,
        }
    )[active]
    grouped = frame.groupby(keys[active], observed=True, sort=True)
    sums, counts = grouped.sum(), grouped.size()
    if by is None:
        sums.index = counts.index = pd.Index(["total"] * len(sums), dtype="str")
    with np.errstate(divide="ignore", invalid="ignore"):
        basket = sums["revenue"] / sums["orders"].where(sums["orders"] > 0)
        purchases = sums["orders"] / counts
        data_rate = sums["margin"] / sums["margin_revenue"].where(sums["margin_known"] > 0)
    if margin_rate is not None:
        rate = pd.Series(float(margin_rate), index=sums.index)
    else:
        rate = data_rate.fillna(DEFAULTS["default_margin_rate"])
    churn = _churn_per_group(annual_churn, sums.index)
    with np.errstate(divide="ignore"):
        lifetime = np.minimum(np.where(churn > 0, 1 / churn, np.inf), max_lifetime_years)
    out = pd.DataFrame(
        {
            "customers": counts.astype(np.int64),
            "average_basket": basket,
            "purchases_per_year": purchases,
            "margin_rate": rate,
            "annual_churn": churn,
            "expected_lifetime_years": lifetime,
        },
        index=sums.index,
    )
    out["clv"] = (
        out["average_basket"]
        * out["purchases_per_year"]
        * out["margin_rate"]
        * out["expected_lifetime_years"]
    )
    out["clv_revenue"] = (
        out["average_basket"] * out["purchases_per_year"] * out["expected_lifetime_years"]
    )
    out.index.name = by
    return out


def clv_formulas(simple: pd.DataFrame, *, row: object = "total") -> pd.DataFrame:
    """The course's CLV and the margin-based CLV side by side, each with its formula.

    Parameters
    ----------
    simple : pandas.DataFrame
        Output of :func:`simple_clv`.
    row : default 'total'
        The group to show.

    Returns
    -------
    pandas.DataFrame
        Two rows (index ``clv_method``: ``clv_method_text``, ``clv_method_margin``, label
        keys): ``clv_formula`` (label key of the formula) and ``clv_value``.
        ``i18n.label(key, lang)`` gives the texts.

    Examples
    --------
    >>> totals = pd.DataFrame({"revenue": [3_000.0, 1_000.0], "margin": [900.0, 300.0],
    ...                        "orders": [6, 2]})
    >>> clv_formulas(simple_clv(totals, annual_churn=0.25))["clv_value"].tolist()
    [8000.0, 2400.0]
    """
    line = simple.loc[row]
    return pd.DataFrame(
        {
            # Categoricals of label keys: shown and exported in the reader's language.
            "clv_formula": pd.Categorical(["clv_formula_text", "clv_formula_margin"]),
            "clv_value": [float(line["clv_revenue"]), float(line["clv"])],
        },
        index=pd.CategoricalIndex(["clv_method_text", "clv_method_margin"], name="clv_method"),
    )


def retention_clv(
    margin_per_year: Numeric,
    *,
    retention: float | np.ndarray | pd.Series,
    discount_rate: float | np.ndarray | pd.Series = DEFAULTS["discount_rate"],
) -> Numeric:
    """Retention CLV: m r / (1 + d - r).

    The discounted margin of a customer who brings ``m`` per year and stays each further year
    with probability ``r``, the margin of year t being received at its end if they are still
    there: sum over t >= 1 of m r^t / (1 + d)^t = m r / (1 + d - r). The current year's margin
    is not included (add ``m`` for it).

    Parameters
    ----------
    margin_per_year : float, numpy array, Series or DataFrame
        Yearly gross margin m per customer (or per group).
    retention : float, array or Series
        Yearly retention rate r = 1 - annual churn, with 0 <= r <= 1 and r < 1 + d.
    discount_rate : float, array or Series, default 0.10
        Yearly discount rate d > -1.

    Returns
    -------
    Same type as the inputs (pandas alignment rules apply to Series).

    Examples
    --------
    >>> round(retention_clv(1_000.0, retention=0.8, discount_rate=0.1), 2)  # 800 / 0.3
    2666.67
    """
    r = np.asarray(retention, dtype=float)
    d = np.asarray(discount_rate, dtype=float)
    if np.isnan(r).any() or (r < 0).any() or (r > 1).any():
        raise ValueError(
            f"retention must be a rate between 0 and 1 (e.g. 0.85), got {np.ravel(r)[:5].tolist()}"
        )
    if np.isnan(d).any() or (d <= -1).any():
        raise ValueError(
            f"discount_rate must be above -1 (e.g. 0.10), got {np.ravel(d)[:5].tolist()}"
        )
    if np.broadcast_to(r >= 1 + d, np.broadcast_shapes(r.shape, d.shape)).any():
        raise ValueError(
            "retention must stay below 1 + discount_rate, otherwise the discounted sum of "
            "future margins is infinite; lower the retention or raise the discount rate"
        )
    result = margin_per_year * retention / (1 + discount_rate - retention)
    if np.ndim(result) == 0:
        return float(result)
    return result
