"""Predictive CLV: the discounted margin the BG/NBD and Gamma-Gamma models expect per customer.

``clv = margin_rate * expected_spend * sum_k (E[Y(k)] - E[Y(k-1)]) / (1 + d_m)^k`` over the
months ``k = 1..horizon``: the expected purchases of each month
(:func:`portfolio_lib.models.bgnbd.conditional_expected_purchases`, Fader, Hardie & Lee 2005
eq. 10) times the expected spend per purchase (:func:`portfolio_lib.models.gamma_gamma.
expected_spend`, Fader & Hardie 2013 eq. 5), discounted at the month's end: lifetimes'
``customer_lifetime_value``. Then the totals by segment or channel and LTV / CAC by channel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.models.bgnbd import BGNBDFit
from portfolio_lib.models.chebyshev import interpolated_monthly_purchases
from portfolio_lib.models.common import DAYS_PER_MONTH, FloatArray, column, purchase_history
from portfolio_lib.models.diagnostics import PurchaseFit
from portfolio_lib.models.gamma_gamma import GammaGammaFit, expected_spend
from portfolio_lib.models.mbgnbd import MBGNBDFit, alive_equivalent

__all__ = ["clv_by_segment", "ltv_to_cac", "monthly_purchases_if_alive", "predictive_clv"]

# From this many (history, month) values on, the monthly purchases are interpolated
# (:mod:`portfolio_lib.models.chebyshev`): below, the interpolants cost more than they save.
_INTERPOLATED_FROM = 20_000


def _margin_rates(
    summary: pd.DataFrame, margin_rate: float | pd.Series | None, n: int
) -> FloatArray:
    if margin_rate is None:
        if {"margin", "revenue"} <= set(summary.columns) and summary["margin"].notna().any():
            # Margin / revenue of the customers with revenue > 0 (missing margins as 0).
            revenue = summary["revenue"].to_numpy(float)
            rows = revenue > 0
            total = float(revenue[rows].sum())
            if total > 0:
                return np.full(n, float(np.nansum(summary["margin"].to_numpy(float)[rows])) / total)
        return np.full(n, float(DEFAULTS["default_margin_rate"]))
    if isinstance(margin_rate, pd.Series):
        # A copy: the result's column must not be a view of the caller's Series.
        return margin_rate.reindex(summary.index).to_numpy(float, copy=True)
    return np.full(n, float(margin_rate))


def monthly_purchases_if_alive(
    bgnbd: PurchaseFit, frequency: FloatArray, T: FloatArray, horizon_months: int
) -> FloatArray:
    """Expected purchases of alive customers in each of the next months.

    Parameters
    ----------
    bgnbd : BGNBDFit, ParetoNBDFit or MBGNBDFit
    frequency, T : numpy.ndarray
        Repeat purchases and ages in days of the customers.
    horizon_months : int

    Returns
    -------
    numpy.ndarray
        ``(len(frequency), horizon_months)``: column ``k`` is E[Y(k + 1)] - E[Y(k)], with
        E[Y(k)] :func:`~portfolio_lib.models.bgnbd.expected_purchases_if_alive` over ``k``
        months of ``365.25 / 12`` days.
    """
    months = np.arange(1.0, horizon_months + 1) * DAYS_PER_MONTH
    cumulative = bgnbd.expected_purchases_if_alive(months, frequency[:, None], T[:, None])
    return np.diff(cumulative, axis=1, prepend=0.0)


def _monthly_purchases(
    bgnbd: PurchaseFit, frequency: FloatArray, T: FloatArray, horizon_months: int
) -> FloatArray:
    """:func:`monthly_purchases_if_alive`, interpolated per frequency for many histories.

    The interpolation is the BG/NBD's; an MBG/NBD's alive customers buy like those of a
    BG/NBD (:func:`~portfolio_lib.models.mbgnbd.alive_equivalent`); the Pareto/NBD's closed
    form is cheap enough as it is.
    """
    if isinstance(bgnbd, MBGNBDFit):
        bgnbd = alive_equivalent(bgnbd)
    if not isinstance(bgnbd, BGNBDFit) or len(frequency) * horizon_months < _INTERPOLATED_FROM:
        return monthly_purchases_if_alive(bgnbd, frequency, T, horizon_months)
    increments, done = interpolated_monthly_purchases(bgnbd, frequency, T, horizon_months)
    if not done.all():
        rest = ~done
        increments[rest] = monthly_purchases_if_alive(
            bgnbd, frequency[rest], T[rest], horizon_months
        )
    return increments


def predictive_clv(
    summary: pd.DataFrame,
    bgnbd: PurchaseFit,
    gamma_gamma: GammaGammaFit,
    *,
    horizon_months: int = DEFAULTS["clv_horizon_months"],
    discount_rate: float = DEFAULTS["discount_rate"],
    margin_rate: float | pd.Series | None = None,
    frequency_col: str = "frequency",
    recency_col: str = "recency",
    T_col: str = "T",
    monetary_value_col: str = "monetary_value",
    customer_col: str = "customer_id",
) -> pd.DataFrame:
    """Discounted margin each customer is expected to bring over the next ``horizon_months``.

    ``clv = margin_rate * expected_spend * sum_k (E[Y(k)] - E[Y(k-1)]) / (1 + d_m)^k`` for the
    months ``k = 1..horizon_months``, with ``E[Y(k)]`` the conditional expected purchases in
    the next ``k`` months (:func:`conditional_expected_purchases`) and ``d_m = (1 +
    discount_rate)^(1/12) - 1`` the monthly equivalent of the yearly rate: lifetimes'
    ``customer_lifetime_value``, each month's purchases discounted at the month's end.

    Parameters
    ----------
    summary : pandas.DataFrame
        Purchase histories in days (``frequency``, ``recency``, ``T``, ``monetary_value``);
        ``Aggregates.customers`` or :func:`portfolio_lib.engine.aggregate.customer_summary`.
    bgnbd : BGNBDFit, ParetoNBDFit or MBGNBDFit
        The purchase model (any of the three: their P(alive) and expected purchases).
    gamma_gamma : GammaGammaFit
    horizon_months : int, default 36
        Whole months ahead; 0 gives zero CLV.
    discount_rate : float, default 0.10
        Yearly discount rate.
    margin_rate : float, Series or None, default None
        Gross margin per euro of revenue: a number, or a Series by customer (aligned on the
        index). None: the portfolio's margin / revenue when ``summary`` has ``margin`` and
        ``revenue`` columns (``Aggregates.customers``), else ``DEFAULTS["default_margin_rate"]``.
    frequency_col, recency_col, T_col, monetary_value_col, customer_col : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Same index as ``summary`` (with its ``customer_id`` column when it has one, a
        categorical one kept categorical):
        ``p_alive``, ``expected_purchases`` (over the horizon), ``expected_spend`` (per
        purchase), ``margin_rate`` and ``clv``. Prospects (no purchase) get missing values.
    """
    if int(horizon_months) != horizon_months or horizon_months < 0:
        raise ValueError(f"horizon_months must be a whole number >= 0, got {horizon_months!r}")
    if discount_rate <= -1:
        raise ValueError(f"discount_rate must be above -100 %, got {discount_rate!r}")
    x, tx, T, known = purchase_history(
        summary,
        frequency_col=frequency_col,
        recency_col=recency_col,
        T_col=T_col,
        customer_col=customer_col,
        analysis="predictive CLV",
    )
    m = column(summary, monetary_value_col, analysis="predictive CLV").to_numpy()
    n = len(summary)
    purchases, discounted = np.full(n, np.nan), np.full(n, np.nan)
    alive = np.where(known, bgnbd.p_alive(x, tx, T), np.nan)
    if known.any():
        # The monthly purchases depend on the history through (x, T) alone: once per pair.
        pairs = pd.DataFrame({"x": x[known], "T": T[known]}).groupby(["x", "T"], sort=False)
        codes = pairs.ngroup().to_numpy()
        distinct = pairs.size().index
        increments = _monthly_purchases(
            bgnbd,
            distinct.get_level_values("x").to_numpy(float),
            distinct.get_level_values("T").to_numpy(float),
            int(horizon_months),
        )
        discount = ((1.0 + discount_rate) ** (1.0 / 12.0)) ** -np.arange(1.0, horizon_months + 1)
        purchases[known] = alive[known] * increments.sum(axis=1)[codes]
        discounted[known] = alive[known] * (increments @ discount)[codes]
    # Prospects' missing frequency gives the portfolio's mean spend, then missing.
    spend = np.where(known, expected_spend(gamma_gamma, x, m), np.nan)
    margin = _margin_rates(summary, margin_rate, n)
    out = pd.DataFrame(
        {
            "p_alive": alive,
            "expected_purchases": purchases,
            "expected_spend": spend,
            "margin_rate": margin,
            "clv": margin * spend * discounted,
        },
        index=summary.index,
        copy=False,
    )
    if customer_col in summary.columns:
        out.insert(0, customer_col, summary[customer_col])
    return out


def clv_by_segment(
    clv: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] = "segment",
    customer_col: str = "customer_id",
) -> pd.DataFrame:
    """Predictive CLV summed and averaged by segment (or any customer attribute).

    Parameters
    ----------
    clv : pandas.DataFrame
        Output of :func:`predictive_clv` (customer ids in ``customer_col`` or the index).
    customers : pandas.DataFrame, optional
        Table with ``customer_col`` and the ``by`` column(s) (``Aggregates.customers`` or the
        loaded customer table); default: the columns of ``clv`` itself.
    by : str or list of str, default 'segment'
        Attribute(s) to group by; missing values form the group ``'unknown'`` (as in
        :mod:`portfolio_lib.metrics.costs`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``, sorted by total CLV (largest first): ``customers`` (with a CLV),
        ``clv`` (total), ``clv_mean``, ``clv_share`` (of the total), ``expected_purchases``
        (total) and ``p_alive_mean``; groups in their order of first appearance among
        equal totals.
    """
    keys = [by] if isinstance(by, str) else list(by)
    frame = clv if customer_col in clv.columns else clv.assign(**{customer_col: clv.index})
    table = frame
    if customers is not None:
        table = customers if customer_col in customers.columns else customers.reset_index()
    missing = [k for k in keys if k not in table.columns]
    if missing:
        raise PortfolioDataError(
            "missing_attribute",
            analysis="CLV by segment",
            column=missing[0],
            found=", ".join(map(str, table.columns)),
        )
    if customers is not None:
        attributes = table[[customer_col, *keys]].drop_duplicates(customer_col)
        frame = frame.drop(columns=[k for k in keys if k in frame.columns]).merge(
            attributes, on=customer_col, how="left"
        )
    frame = frame[frame["clv"].notna()]
    groups = [_or_unknown(frame[key], categorical=len(keys) == 1) for key in keys]
    out = frame.groupby(groups, sort=False, observed=True).agg(
        customers=("clv", "size"),
        clv=("clv", "sum"),
        clv_mean=("clv", "mean"),
        expected_purchases=("expected_purchases", "sum"),
        p_alive_mean=("p_alive", "mean"),
    )
    if isinstance(out.index, pd.CategoricalIndex):  # the groups' values, as for other keys
        out.index = pd.Index(out.index.to_numpy(dtype=object), name=out.index.name)
    total = float(frame["clv"].sum())
    out.insert(3, "clv_share", out["clv"] / total if total else np.nan)
    return out.sort_values("clv", ascending=False, kind="stable")


def _or_unknown(values: pd.Series, *, categorical: bool) -> pd.Series:
    """The attribute with missing values as ``'unknown'``; with ``categorical``, categories
    stay categories (no Python object per customer)."""
    if categorical and isinstance(values.dtype, pd.CategoricalDtype):
        if "unknown" not in values.cat.categories:
            values = values.cat.add_categories("unknown")
        return values.fillna("unknown")
    return values.astype(object).fillna("unknown")


def ltv_to_cac(
    clv_by_channel: pd.DataFrame,
    cac_by_channel: pd.Series | pd.DataFrame,
    *,
    ltv_col: str = "clv_mean",
    cac_col: str = "cac",
) -> pd.DataFrame:
    """LTV/CAC by acquisition channel: value of a customer per euro spent to win one.

    Parameters
    ----------
    clv_by_channel : pandas.DataFrame
        Per channel (index), the LTV in ``ltv_col``: typically
        ``clv_by_segment(clv, customers, by="acquisition_channel")``. The predictive CLV is
        the *future* margin; restrict ``clv`` to recently acquired customers for a value
        comparable with what the channel cost to win them.
    cac_by_channel : Series or DataFrame
        CAC per channel: a Series indexed by channel; a DataFrame indexed by channel with
        ``cac_col``; or the long table of ``costs.acquisition_costs(..., by_channel=True)``
        (``channel``, ``acquisition_spend``, ``new_customers`` per period), whose CAC over the
        whole window is the spend over the new customers of the periods with recorded spend.

    Returns
    -------
    pandas.DataFrame
        Every channel of either input: ``ltv``, ``cac`` and ``ltv_to_cac`` (missing where the
        CAC is unknown or not positive). Above 3 is the usual rule of thumb for a healthy
        channel.
    """
    if isinstance(cac_by_channel, pd.DataFrame) and "channel" in cac_by_channel.columns:
        known = cac_by_channel[cac_by_channel["acquisition_spend"].notna()]
        totals = known.groupby("channel", sort=False)[["acquisition_spend", "new_customers"]].sum()
        new = totals["new_customers"].astype(float)
        cac = totals["acquisition_spend"] / new.where(new > 0)
    elif isinstance(cac_by_channel, pd.DataFrame):
        cac = cac_by_channel[cac_col]
    else:
        cac = cac_by_channel
    out = pd.DataFrame({"ltv": clv_by_channel[ltv_col]}).join(
        pd.DataFrame({"cac": cac.astype(float)}), how="outer"
    )
    out["ltv_to_cac"] = out["ltv"] / out["cac"].where(out["cac"] > 0)
    return out
