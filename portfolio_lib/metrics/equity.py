"""The portfolio's value "en capital": break-even, customer equity and the price of a clientele.

- :func:`break_even`: how many of the largest customers cover the fixed charges, and what
  share of the profit the small customers make (course texts 001 and 003);
- :func:`customer_clv`: each customer's discounted CLV, predictive where the models fit,
  else the simple formula's yearly margin discounted with the survival (retention CLV);
- :func:`customer_equity`: the sum of those CLVs beside the number of customers (text 000:
  a portfolio is valued "en volume" or "en capital"), in total or per group;
- :func:`clientele_price`: text 000's rule of thumb, a percentage range of a base.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.i18n import register
from portfolio_lib.metrics.clv import retention_clv
from portfolio_lib.metrics.common import column_of, numbers

__all__ = ["break_even", "clientele_price", "customer_clv", "customer_equity"]

register(
    {
        "fixed_charges": {"fr": "Charges fixes", "en": "Fixed charges"},
        "break_even_value": {"fr": "Valeur comptée", "en": "Value counted"},
        "value_total": {"fr": "Montant total", "en": "Total amount"},
        "break_even_customers": {
            "fr": "Clients qui couvrent les charges",
            "en": "Customers covering the charges",
        },
        "break_even_customer_share": {
            "fr": "Part des clients qui couvrent les charges",
            "en": "Share of customers covering the charges",
        },
        "profit": {"fr": "Résultat (après charges fixes)", "en": "Profit (after fixed charges)"},
        "large_customers": {"fr": "Gros clients (les premiers)", "en": "Large customers (the top)"},
        "large_value": {"fr": "Valeur des gros clients", "en": "Value of the large customers"},
        "small_customers": {"fr": "Petits clients (80/20)", "en": "Small customers (80/20)"},
        "small_value": {"fr": "Valeur des petits clients", "en": "Value of the small customers"},
        "small_share_of_value": {
            "fr": "Part des petits clients dans la valeur",
            "en": "Small customers' share of the value",
        },
        "small_share_of_profit": {
            "fr": "Part des petits clients dans le résultat",
            "en": "Small customers' share of the profit",
        },
        "large_cover_charges": {
            "fr": "Les gros clients couvrent les charges",
            "en": "The large customers cover the charges",
        },
        "equity": {"fr": "Capital client (somme des CLV)", "en": "Customer equity (sum of CLVs)"},
        "equity_share": {"fr": "Part du capital client", "en": "Share of customer equity"},
        "mean_clv": {"fr": "CLV moyenne", "en": "Mean CLV"},
        "clv_source": {"fr": "CLV utilisée", "en": "CLV used"},
        "clv_source_predictive": {
            "fr": "prédictive (BG/NBD + Gamma-Gamma, actualisée)",
            "en": "predictive (BG/NBD + Gamma-Gamma, discounted)",
        },
        "clv_source_simple": {
            "fr": "simple : marge annuelle du client × r / (1 + d - r)",
            "en": "simple: the customer's yearly margin × r / (1 + d - r)",
        },
        "price_base": {"fr": "Base du prix", "en": "Price base"},
        "price_low": {"fr": "Prix bas", "en": "Low price"},
        "price_high": {"fr": "Prix haut", "en": "High price"},
        "rate_low": {"fr": "Taux bas", "en": "Low rate"},
        "rate_high": {"fr": "Taux haut", "en": "High rate"},
    }
)


def break_even(
    customers: pd.DataFrame,
    *,
    fixed_charges: float,
    value: str = "margin",
    small_customers_share: float = DEFAULTS["small_customers_share"],
) -> pd.Series:
    """How many of the largest customers cover the fixed charges; the small customers' share.

    Course text 001: the large customers "permettent [...] de couvrir nos charges"; text 003:
    the 20 % of revenue of the 80 % of small customers "c'est souvent la différence entre le
    seuil de rentabilité et la rentabilité". With the customers ranked by ``value``
    descending (as :func:`~portfolio_lib.metrics.balance.pareto_table`):

    - ``break_even_customers``: the smallest k whose cumulative value reaches
      ``fixed_charges`` (0 when the charges are 0; NaN when all customers together do not);
    - ``large_customers`` = ceil(n x (1 - small_customers_share)), the top of the ranking;
      ``small_customers`` the n - large others;
    - ``profit`` = total value - fixed_charges;
    - ``small_share_of_profit`` = small_value / profit when the profit is positive (NaN
      otherwise: there is no profit to share).

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer to count (the active ones): ``customer_id`` and ``value``.
    fixed_charges : float
        Yearly fixed charges, >= 0, in the unit of ``value``.
    value : str, default 'margin'
        Gross margin over the year; pass 'revenue' when the log has no margin.
    small_customers_share : float, default 0.80
        Share of the customers counted as small (the "80 %").

    Returns
    -------
    pandas.Series
        ``customers``, ``value_total``, ``fixed_charges``, ``break_even_customers``,
        ``break_even_customer_share``, ``profit``, ``large_customers``, ``large_value``,
        ``small_customers``, ``small_value``, ``small_share_of_value``,
        ``small_share_of_profit``, ``large_cover_charges`` (1.0 or 0.0).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abcde"),
    ...                       "margin": [500.0, 300.0, 100.0, 60.0, 40.0]})
    >>> out = break_even(frame, fixed_charges=700.0)
    >>> out[["break_even_customers", "profit", "small_value", "small_share_of_profit"]].tolist()
    [2.0, 300.0, 500.0, 1.6666666666666667]
    """
    if not fixed_charges >= 0:
        raise ValueError(f"fixed_charges must be an amount >= 0, got {fixed_charges!r}")
    if not 0 <= small_customers_share <= 1:
        raise ValueError(
            f"small_customers_share must be between 0 and 1 (e.g. 0.8), got "
            f"{small_customers_share!r}"
        )
    # Sorted values are enough: ties in value change neither a cumulative sum nor a count.
    ranked = np.sort(numbers(customers, value, "break-even"))[::-1]
    n = len(ranked)
    cumulative = np.cumsum(ranked)
    total = float(cumulative[-1]) if n else 0.0
    if fixed_charges == 0:
        k = 0.0
    else:
        reached = np.flatnonzero(cumulative >= fixed_charges - 1e-9)
        k = float(reached[0] + 1) if reached.size else math.nan
    large = math.ceil(round(n * (1 - small_customers_share), 9))
    large_value = float(ranked[:large].sum())
    small_value = total - large_value
    profit = total - fixed_charges
    return pd.Series(
        {
            "customers": float(n),
            "value_total": total,
            "fixed_charges": float(fixed_charges),
            "break_even_customers": k,
            "break_even_customer_share": k / n if n else math.nan,
            "profit": profit,
            "large_customers": float(large),
            "large_value": large_value,
            "small_customers": float(n - large),
            "small_value": small_value,
            "small_share_of_value": small_value / total if total > 0 else math.nan,
            "small_share_of_profit": small_value / profit if profit > 0 else math.nan,
            "large_cover_charges": float(large_value >= fixed_charges),
        },
        name=value,
    )


def customer_clv(
    customers: pd.DataFrame,
    *,
    predicted: pd.DataFrame | None = None,
    annual_churn: float | None = None,
    discount_rate: float = DEFAULTS["discount_rate"],
    margin_rate: float = DEFAULTS["default_margin_rate"],
    revenue: str = "revenue",
    margin: str = "margin",
) -> pd.DataFrame:
    """Each active customer's discounted CLV: predictive where the models fit, else simple.

    - with ``predicted`` (:func:`portfolio_lib.models.predictive_clv`, same rows as
      ``customers`` or with a ``customer_id`` column): its ``clv`` (``clv_source`` =
      'clv_source_predictive');
    - otherwise the customer's yearly margin m (``margin``, or ``revenue`` x ``margin_rate``
      when unknown) discounted with the survival r = 1 - annual_churn:
      m r / (1 + d - r) (:func:`~portfolio_lib.metrics.clv.retention_clv`;
      ``clv_source`` = 'clv_source_simple').

    Parameters
    ----------
    customers : pandas.DataFrame
        Per-customer totals over the last 12 months (``customer_totals``), attributes kept.
        Only active customers (revenue > 0) are returned.
    predicted : pandas.DataFrame, optional
    annual_churn : float, optional
        Needed without ``predicted``.
    discount_rate : float, default 0.10
    margin_rate : float, default 0.30
        Margin rate of customers without a known margin.
    revenue, margin : str

    Returns
    -------
    pandas.DataFrame
        The active rows of ``customers`` with ``clv`` and ``clv_source`` (label key).
    """
    rev = numbers(customers, revenue, "customer equity")
    active = rev > 0
    if predicted is not None:
        if "customer_id" in predicted.columns and "customer_id" in customers.columns:
            by_id = predicted.set_index(predicted["customer_id"].astype(str))["clv"]
            clv = by_id.reindex(customers["customer_id"].astype(str)).to_numpy(dtype=float)
        else:
            clv = predicted["clv"].reindex(customers.index).to_numpy(dtype=float)
        source = "clv_source_predictive"
    else:
        if annual_churn is None or not 0 <= annual_churn < 1:
            raise ValueError(
                "customer_clv needs the predictive CLVs or an annual churn rate in [0, 1), "
                f"got {annual_churn!r}"
            )
        if margin in customers.columns:
            known = column_of(customers, margin, "customer equity").to_numpy(
                dtype=float, na_value=np.nan
            )
        else:
            known = np.full(len(customers), np.nan)
        yearly = np.where(np.isnan(known), rev * margin_rate, known)
        clv = retention_clv(yearly, retention=1 - annual_churn, discount_rate=discount_rate)
        source = "clv_source_simple"
    out = customers.loc[active].assign(clv=np.nan_to_num(np.asarray(clv)[active]))
    out["clv_source"] = pd.Categorical([source] * len(out))
    return out.reset_index(drop=True)


def customer_equity(values: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Customer equity (sum of the CLVs) beside the volume (number of customers).

    Course text 000: "La valeur du portefeuille client peut être évaluée en volume (le nombre
    de clients) ou bien en capital (ce qu'ils rapportent au niveau financier)."

    Parameters
    ----------
    values : pandas.DataFrame
        :func:`customer_clv` (``clv``, and ``by`` when given).
    by : str, optional
        Group column (sales rep, segment, tier...); None for one row ``"total"``.

    Returns
    -------
    pandas.DataFrame
        One row per group, largest equity first: ``customers``, ``customer_share``,
        ``equity``, ``equity_share``, ``mean_clv``.

    Examples
    --------
    >>> frame = pd.DataFrame({"rep": ["x", "y", "x"], "clv": [100.0, 300.0, 200.0]})
    >>> customer_equity(frame, by="rep")["equity"].to_dict()
    {'x': 300.0, 'y': 300.0}
    """
    clv = numbers(values, "clv", "customer equity")
    if by is None:
        keys = pd.Series("total", index=values.index)
    else:
        keys = column_of(values, by, "customer equity").astype(object).fillna("unknown")
    grouped = pd.Series(clv, index=values.index).groupby(keys, sort=True)
    out = pd.DataFrame({"customers": grouped.size().astype(np.int64), "equity": grouped.sum()})
    n, total = out["customers"].sum(), out["equity"].sum()
    out.insert(1, "customer_share", out["customers"] / n if n else np.nan)
    out["equity_share"] = out["equity"] / total if total else np.nan
    out["mean_clv"] = out["equity"] / out["customers"]
    out.index.name = by
    return out.sort_values("equity", ascending=False, kind="stable")


def clientele_price(
    base: float, *, rates: tuple[float, float] = DEFAULTS["clientele_price_range"]
) -> pd.Series:
    """Rule-of-thumb price of a clientele: a percentage range of a base (course text 000).

    The text: "si un conseiller achète pour 10 M$ d'actif et qu'on applique un pourcentage de
    1,5 à 2,5 %, le prix de la clientèle se situera entre 150 000 et 250 000 $." The base
    (assets, yearly revenue, customer equity) and the rates are the user's.

    Parameters
    ----------
    base : float
    rates : (float, float), default (0.015, 0.025)
        Low and high rate, 0 <= low <= high.

    Returns
    -------
    pandas.Series
        ``price_base``, ``rate_low``, ``rate_high``, ``price_low``, ``price_high``.

    Examples
    --------
    >>> clientele_price(10_000_000, rates=(0.015, 0.025))[["price_low", "price_high"]].tolist()
    [150000.0, 250000.0]
    """
    low, high = (float(r) for r in rates)
    if not 0 <= low <= high:
        raise ValueError(f"rates must be (low, high) with 0 <= low <= high, got {rates!r}")
    return pd.Series(
        {
            "price_base": float(base),
            "rate_low": low,
            "rate_high": high,
            "price_low": base * low,
            "price_high": base * high,
        }
    )
