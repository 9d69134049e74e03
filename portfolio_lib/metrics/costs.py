"""Cost of winning and keeping customers: CAC, CRC, CAC payback and LTV/CAC.

Spend comes from the canonical cost table (:func:`portfolio_lib.data.load.load_costs`: ``period``
month, ``kind`` acquisition/retention, ``amount``, optional ``channel``) or, without a cost
file, from monthly budgets (:func:`costs_from_budgets`). Customers come from the aggregated
tables of :func:`portfolio_lib.engine.aggregate.aggregate`; periods and the retained customers are
those of :mod:`portfolio_lib.metrics.movements`.

Rules shared by every function
------------------------------
- Cost rows are placed in the period of their month; months outside the month grid (before
  the first transaction or after ``as_of``) are ignored.
- A period's spend of a kind is the sum of its rows, and **NaN when the cost table has no row
  of that kind in the period** (spend not recorded is unknown, not zero), so CAC and CRC are
  NaN there too. Within a recorded period, a channel without rows spent 0.
- The **new customers** of a period are the customers whose ``first_purchase`` (first invoice
  with a positive amount; ``Aggregates.customers``) falls in it. This is the acquisition count,
  whether or not they are still active at the period end (unlike ``movements``' "new").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.engine.tables import Period, same_customers, views
from portfolio_lib.i18n import register
from portfolio_lib.metrics.common import (
    Periods,
    aligned,
    calendar_periods,
    customer_codes,
    date_positions,
    factorize,
    month_grid,
    ratio,
    require_attribute,
)
from portfolio_lib.metrics.movements import movements

__all__ = [
    "acquisition_costs",
    "cac_payback",
    "cost_summaries",
    "cost_summary",
    "costs_from_budgets",
    "ltv_to_cac",
    "retention_costs",
]

# Months of margin after the first purchase counted for the CAC payback.
_PAYBACK_HORIZON = DEFAULTS["payback_horizon_months"]
_KINDS = ("acquisition", "retention")

register(
    {
        "acquisition": {"fr": "Acquisition", "en": "Acquisition"},
        "retention": {"fr": "Fidélisation", "en": "Retention"},
        "acquisition_spend": {"fr": "Dépenses d'acquisition", "en": "Acquisition spend"},
        "retention_spend": {"fr": "Dépenses de fidélisation", "en": "Retention spend"},
        "new_customers": {"fr": "Nouveaux clients", "en": "New customers"},
        "retained_customers": {"fr": "Clients conservés", "en": "Retained customers"},
        "cac": {"fr": "Coût d'acquisition client (CAC)", "en": "Customer acquisition cost (CAC)"},
        "crc": {"fr": "Coût de rétention client (CRC)", "en": "Customer retention cost (CRC)"},
        "customer_months": {"fr": "Mois-clients observés", "en": "Observed customer-months"},
        "cohort_margin": {"fr": "Marge de la cohorte", "en": "Cohort margin"},
        "monthly_margin_per_customer": {
            "fr": "Marge mensuelle par nouveau client",
            "en": "Monthly margin per new customer",
        },
        "payback_months": {"fr": "Retour sur CAC (mois)", "en": "CAC payback (months)"},
        "ltv_to_cac": {"fr": "Ratio LTV / CAC", "en": "LTV / CAC"},
        "unallocated": {"fr": "Non affecté (tous canaux)", "en": "Unallocated (all channels)"},
        # Note when the analysis is filtered: spend is company-wide (see cost_summary).
        "costs_filters_ignored": {
            "fr": "Les dépenses ne sont pas réparties par commercial, segment ou région : CAC, "
            "CRC, retour sur CAC et LTV/CAC portent sur tout le portefeuille, sans les filtres.",
            "en": "Spend is not split by sales rep, segment or region: CAC, CRC, CAC payback "
            "and LTV/CAC cover the whole portfolio, without the filters.",
        },
    }
)


# --------------------------------------------------------------------------------------------
# Inputs


def costs_from_budgets(
    months: Sequence[object],
    *,
    acquisition_budget: float | None,
    retention_budget: float | None,
) -> pd.DataFrame:
    """A cost table with a constant spend per month, for when there is no cost file.

    Parameters
    ----------
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    acquisition_budget, retention_budget : float or None
        € spent every month to win, and to keep, customers. ``None`` leaves that kind out
        (its spend, CAC or CRC are then unknown: NaN).

    Returns
    -------
    pandas.DataFrame
        Canonical costs: ``period`` (every month), ``kind``, ``amount``, ``channel`` (NaN).

    Examples
    --------
    >>> costs_from_budgets(pd.date_range("2025-01", periods=2, freq="MS"),
    ...                    acquisition_budget=20_000, retention_budget=None)
          period         kind   amount channel
    0 2025-01-01  acquisition  20000.0     NaN
    1 2025-02-01  acquisition  20000.0     NaN
    """
    grid = month_grid(months)
    parts = []
    for kind, budget in zip(_KINDS, (acquisition_budget, retention_budget), strict=True):
        if budget is None:
            continue
        budget = float(budget)
        if not np.isfinite(budget) or budget < 0:
            raise ValueError(
                f"{kind}_budget must be a positive amount in € per month, got {budget}"
            )
        parts.append(
            pd.DataFrame({"period": grid, "kind": kind, "amount": budget, "channel": np.nan})
        )
    if not parts:
        return pd.DataFrame(
            {
                "period": pd.DatetimeIndex([], dtype="datetime64[ns]"),
                "kind": pd.Series([], dtype=object),
                "amount": pd.Series([], dtype=float),
                "channel": pd.Series([], dtype=object),
            }
        )
    out = pd.concat(parts, ignore_index=True)
    out["channel"] = out["channel"].astype(object)
    return out


def _check_costs(costs: pd.DataFrame) -> None:
    missing = [c for c in ("period", "kind", "amount") if c not in costs]
    if missing:
        raise ValueError(
            f"the cost table lacks column(s) {missing} (columns: {list(costs.columns)}): "
            "load it with portfolio_lib.data.load.load_costs or build it with costs_from_budgets"
        )
    kinds = set(costs["kind"].dropna().unique()) - set(_KINDS)
    if kinds:
        raise ValueError(
            f"cost kind(s) {sorted(map(str, kinds))} are neither 'acquisition' nor 'retention': "
            "load the table with portfolio_lib.data.load.load_costs, which recognises French words"
        )


def _cost_periods(costs: pd.DataFrame, grid: pd.DatetimeIndex, periods: Periods) -> np.ndarray:
    """Period index of every cost row (-1 outside the grid)."""
    position = date_positions(pd.to_datetime(costs["period"]), grid)
    return np.where(position >= 0, periods.of_month[position], -1)


def _spend(
    costs: pd.DataFrame,
    kind: str,
    grid: pd.DatetimeIndex,
    periods: Periods,
    channel: np.ndarray | None = None,
    n_channels: int = 1,
) -> np.ndarray:
    """(periods, channels) spend of ``kind``; NaN for periods without any row of that kind."""
    rows = (costs["kind"] == kind).to_numpy()
    period_of = _cost_periods(costs, grid, periods)
    channel = np.zeros(len(costs), dtype=np.int64) if channel is None else channel
    keep = rows & (period_of >= 0) & (channel >= 0)
    n_periods = len(periods)
    spend = np.bincount(
        period_of[keep] * n_channels + channel[keep],
        weights=costs["amount"].to_numpy(dtype=float)[keep],
        minlength=n_periods * n_channels,
    ).reshape(n_periods, n_channels)
    recorded = np.bincount(period_of[keep], minlength=n_periods) > 0
    return np.where(recorded[:, None], np.round(spend, 9), np.nan)


def _first_purchase_months(customers: pd.DataFrame, grid: pd.DatetimeIndex) -> np.ndarray:
    """Grid position of each customer's first purchase month, -1 for none (or off the grid)."""
    if "first_purchase" not in customers:
        raise ValueError(
            "the customer table has no 'first_purchase': pass Aggregates.customers from "
            "portfolio_lib.engine.aggregate.aggregate"
        )
    position = date_positions(customers["first_purchase"], grid)
    if "orders" in customers:  # customers with credit notes only have no real purchase
        position[~(customers["orders"].to_numpy() > 0)] = -1
    return position


def _new_by_month(customers: pd.DataFrame, grid: pd.DatetimeIndex) -> np.ndarray:
    """Customers whose first purchase falls in each month of the grid (the new customers)."""
    return _count_by_month(_first_purchase_months(customers, grid), grid)


def _count_by_month(first: np.ndarray, grid: pd.DatetimeIndex) -> np.ndarray:
    """Customers per first-purchase month of the grid, from :func:`_first_purchase_months`."""
    return np.bincount(first[first >= 0], minlength=len(grid))


def _new_by_month_and_value(
    customers: pd.DataFrame, grid: pd.DatetimeIndex, column: str
) -> tuple[np.ndarray, list[object], bool]:
    """New customers by first-purchase month and value of ``column``.

    Returns the counts (one row per month of the grid, one column for the customers without
    a value then one per value), the values some customer has (purchase or not), and whether
    some customer has none.
    """
    first = _first_purchase_months(customers, grid)
    codes, names = factorize(customers[column])
    slots = len(names) + 1
    # Row 0: no purchase; column 0: no value.
    key = (first + 1) * slots + codes + 1
    counts = np.bincount(key, minlength=(len(grid) + 1) * slots).reshape(-1, slots)
    used = np.flatnonzero(counts[:, 1:].any(axis=0))
    missing = bool(counts[:, 0].any())
    counts = counts[1:, np.concatenate([[0], used + 1])]
    return counts, [names[i] for i in used], missing


def _payback_sums(
    monthly: pd.DataFrame,
    customers: pd.DataFrame,
    grid: pd.DatetimeIndex,
    horizon_months: int,
    margin_rate: float | None,
    first: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """What :func:`cac_payback` needs whatever the period.

    ``first`` is :func:`_first_purchase_months` of ``customers``. Returns the customers of the
    monthly table acquired in each month of the grid, and the margin of the payback rows (the
    monthly rows inside their customer's first ``horizon_months`` months) summed per first
    month, in row order, not rounded.
    """
    codes, index = customer_codes(monthly)
    cached = views(monthly)
    if not same_customers(index, customers["customer_id"]):
        first = aligned(pd.Series(first), customers["customer_id"], index, same=False)
        first = first.fillna(-1).to_numpy(dtype=np.int64)
    acquired = np.bincount(first[first >= 0], minlength=len(grid))
    if margin_rate is None and cached.has_values("margin"):
        values = cached.values("margin")
    else:
        rate = DEFAULTS["default_margin_rate"] if margin_rate is None else float(margin_rate)
        values = cached.values("revenue") * rate
    # Month positions and first months in 16-bit integers (a grid of at most a few hundred
    # months); rows without a customer (code -1) read the appended -1: no first purchase.
    small = np.int16 if len(grid) < 2**14 else np.int64
    first_of_row = np.append(first, -1).astype(small)[codes]
    since = cached.positions(grid).astype(small) - first_of_row  # off the grid: position -1
    # 0 <= since < horizon in one comparison: negative values wrap above any horizon.
    inside = since.view(np.uint16 if small is np.int16 else np.uint64) < horizon_months
    inside &= first_of_row >= 0
    inside &= cached.positions(grid) >= 0
    sums = np.bincount(first_of_row[inside], weights=values[inside], minlength=len(grid))
    return acquired, sums


def _acquisition_table(
    costs: pd.DataFrame, grid: pd.DatetimeIndex, periods: Periods, new_by_month: np.ndarray
) -> pd.DataFrame:
    """:func:`acquisition_costs` without channels, from the new customers of each month."""
    spend = _spend(costs, "acquisition", grid, periods)[:, 0]
    new = np.add.reduceat(new_by_month, periods.starts)
    return pd.DataFrame(
        {
            **_period_columns(periods),
            "acquisition_spend": spend,
            "new_customers": new.astype(np.int64),
            "cac": ratio(spend, new, positive=True),
        }
    )


def _payback_table(
    acquired: np.ndarray,
    by_month: np.ndarray,
    grid: pd.DatetimeIndex,
    periods: Periods,
    horizon_months: int,
    cac: object,
) -> pd.DataFrame:
    """:func:`cac_payback` from :func:`_payback_sums` (which do not depend on the period)."""
    # Counts per first-purchase month, summed per period: integers, so exactly the sums per
    # customer (each observed for the horizon, or until the last month of the grid).
    size = np.add.reduceat(acquired, periods.starts)
    observed = np.minimum(horizon_months, len(grid) - np.arange(len(grid)))
    customer_months = np.add.reduceat(acquired * observed, periods.starts).astype(float)
    cohort_margin = np.round(np.add.reduceat(by_month, periods.starts), 9)
    per_month = ratio(cohort_margin, customer_months, positive=True)
    cac_values = _cac_by_period(cac, periods.labels)
    payback = np.where(per_month > 0, cac_values / np.where(per_month > 0, per_month, 1), np.nan)
    return pd.DataFrame(
        {
            **_period_columns(periods),
            "new_customers": size.astype(np.int64),
            "customer_months": customer_months.astype(np.int64),
            "cohort_margin": cohort_margin,
            "monthly_margin_per_customer": per_month,
            "cac": cac_values,
            "payback_months": payback,
        }
    )


def _period_columns(periods: Periods, repeat: int = 1) -> dict[str, object]:
    return {
        "period_start": np.repeat(periods.start_months, repeat),
        "period_end": np.repeat(periods.end_months, repeat),
        "period": np.repeat(np.asarray(periods.labels, dtype=object), repeat),
    }


# --------------------------------------------------------------------------------------------
# CAC, CRC, payback


def acquisition_costs(
    costs: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    months: Sequence[object],
    period: Period = DEFAULTS["period"],
    by_channel: bool = False,
) -> pd.DataFrame:
    """Customer acquisition cost (CAC) per period: acquisition spend / new customers.

    Parameters
    ----------
    costs : pandas.DataFrame
        Canonical cost table (``io.load_costs`` or :func:`costs_from_budgets`).
    customers : pandas.DataFrame
        ``Aggregates.customers`` (``first_purchase``, ``orders`` and, by channel,
        ``acquisition_channel``).
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    period : {'month', 'quarter', 'year'}, default 'month'
    by_channel : bool, default False
        Split by channel: spend by ``costs.channel``, new customers by
        ``customers.acquisition_channel``, matched by name. Spend rows without a channel go
        to the channel ``'unallocated'`` (no customer is attributed to it, so its CAC is NaN);
        customers without an acquisition channel go to ``'unknown'`` (no spend is attributed
        to it, so its CAC is 0). The rows of a period add up to its totals.

    Returns
    -------
    pandas.DataFrame
        One row per period (and channel, known channels sorted, then 'unknown' and
        'unallocated'): ``period_start``, ``period_end``, ``period``, [``channel``],
        ``acquisition_spend`` (NaN when no acquisition row falls in the period),
        ``new_customers`` (first purchase in the period), ``cac`` (NaN when no new customer).

    Raises
    ------
    PortfolioDataError
        ``missing_attribute`` when ``by_channel`` and the customer table has no
        ``acquisition_channel``.
    """
    _check_costs(costs)
    grid = month_grid(months)
    periods = calendar_periods(grid, period)
    if not by_channel:
        return _acquisition_table(costs, grid, periods, _new_by_month(customers, grid))
    require_attribute(customers, "acquisition_channel", "CAC by channel")
    cost_channel = (
        costs["channel"].astype(object)
        if "channel" in costs
        else pd.Series(np.nan, index=costs.index, dtype=object)
    )
    cost_channel = cost_channel.where(cost_channel.notna(), "unallocated")
    # New customers by first month and channel value (no Python object per customer); the
    # first column, customers without a value, is the channel 'unknown'.
    counts, values, missing = _new_by_month_and_value(customers, grid, "acquisition_channel")
    customer_values = values + (["unknown"] if missing else [])
    special = ["unknown", "unallocated"]
    known = set(pd.unique(cost_channel[costs["kind"].eq("acquisition")].to_numpy()))
    known |= set(customer_values)
    channels = sorted((c for c in known if c not in special), key=str)
    channels += [c for c in special if c in known]
    # Retention rows may carry channels outside this list: -1, and _spend skips them.
    cost_code = pd.Index(channels).get_indexer(cost_channel).astype(np.int64)
    n_channels = len(channels)
    spend = _spend(costs, "acquisition", grid, periods, cost_code, n_channels)
    # Channel of each column of the counts: 'unknown', then the values'.
    column_channel = pd.Index(channels).get_indexer(pd.Index(["unknown", *values], dtype=object))
    by_month = np.zeros((len(grid), n_channels), dtype=np.int64)
    for column, channel in enumerate(column_channel):
        if channel >= 0:  # 'unknown' is a channel when some customer has no value
            by_month[:, channel] += counts[:, column]
    new = np.add.reduceat(by_month, periods.starts, axis=0)
    return pd.DataFrame(
        {
            **_period_columns(periods, n_channels),
            "channel": np.tile(np.asarray(channels, dtype=object), len(periods)),
            "acquisition_spend": spend.reshape(-1),
            "new_customers": new.reshape(-1).astype(np.int64),
            "cac": ratio(spend, new, positive=True).reshape(-1),
        }
    )


def retention_costs(
    costs: pd.DataFrame,
    monthly: pd.DataFrame,
    *,
    months: Sequence[object],
    period: Period = DEFAULTS["period"],
    activity_window: int = DEFAULTS["activity_window"],
) -> pd.DataFrame:
    """Customer retention cost (CRC) per period: retention spend / retained customers.

    Parameters
    ----------
    costs : pandas.DataFrame
        Canonical cost table.
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    period : {'month', 'quarter', 'year'}, default 'month'
    activity_window : int, default 12
        Months of trailing net revenue that make a customer active.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period_start``, ``period_end``, ``period``,
        ``retention_spend`` (NaN when no retention row falls in the period),
        ``retained_customers`` (active at the start and at the end of the period, from
        :func:`portfolio_lib.metrics.movements.movements`), ``crc`` (NaN when nobody was retained).
    """
    _check_costs(costs)
    grid = month_grid(months)
    periods = calendar_periods(grid, period)
    spend = _spend(costs, "retention", grid, periods)[:, 0]
    moves = movements(monthly, months=grid, period=period, activity_window=activity_window)
    retained = moves["retained"].to_numpy()
    return pd.DataFrame(
        {
            **_period_columns(periods),
            "retention_spend": spend,
            "retained_customers": retained.astype(np.int64),
            "crc": ratio(spend, retained, positive=True),
        }
    )


def _cac_by_period(cac: object, labels: list[str]) -> np.ndarray:
    """CAC per period label from a scalar, a Series by period or an acquisition_costs table."""
    if isinstance(cac, pd.DataFrame):
        if not {"period", "cac"} <= set(cac.columns):
            raise ValueError("a CAC table needs 'period' and 'cac' columns (acquisition_costs)")
        if cac["period"].duplicated().any():
            raise ValueError(
                "the CAC table has several rows per period (by channel?): pass the CAC of "
                "acquisition_costs(..., by_channel=False)"
            )
        cac = cac.set_index("period")["cac"]
    if isinstance(cac, pd.Series):
        return cac.reindex(labels).to_numpy(dtype=float)
    return np.full(len(labels), float(cac))


def cac_payback(
    monthly: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    months: Sequence[object],
    cac: float | pd.Series | pd.DataFrame,
    period: Period = DEFAULTS["period"],
    horizon_months: int = _PAYBACK_HORIZON,
    margin_rate: float | None = None,
) -> pd.DataFrame:
    """Months of gross margin a new customer needs to pay back their acquisition cost.

    ``payback_months = CAC / monthly gross margin per new customer``. The cohort of a period
    is its new customers (first purchase in it, see the module docstring). Each member
    contributes its gross margin over its first ``horizon_months`` months, counted from its
    own first-purchase month and stopping at the last month of the grid (``as_of``'s month,
    counted as observed), and the number of those months it was observed. The monthly margin
    per new customer is the cohort's margin / the cohort's observed customer-months; for
    monthly cohorts this is margin / (cohort size x observed months).

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    customers : pandas.DataFrame
        ``Aggregates.customers``.
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    cac : float, Series or DataFrame
        One CAC for every period, a Series indexed by period label, or the output of
        :func:`acquisition_costs` (without ``by_channel``).
    period : {'month', 'quarter', 'year'}, default 'month'
    horizon_months : int, default 12
        Months of margin observed after the first purchase.
    margin_rate : float, optional
        When given, margin = net revenue x ``margin_rate`` (overrides the log's margin).
        By default the log's margin is used; **when the log has no margin column, margin =
        net revenue x ``DEFAULTS["default_margin_rate"]`` (30 %)**, an assumption to state
        in any report.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period_start``, ``period_end``, ``period``, ``new_customers``,
        ``customer_months``, ``cohort_margin``, ``monthly_margin_per_customer``, ``cac``,
        ``payback_months`` (NaN when the CAC is unknown or the cohort earns no positive
        margin: it never pays back at that rate).
    """
    if horizon_months < 1:
        raise ValueError(f"horizon_months must be at least 1, got {horizon_months}")
    grid = month_grid(months)
    first = _first_purchase_months(customers, grid)
    acquired, by_month = _payback_sums(monthly, customers, grid, horizon_months, margin_rate, first)
    periods = calendar_periods(grid, period)
    return _payback_table(acquired, by_month, grid, periods, horizon_months, cac)


def ltv_to_cac(ltv: float | pd.Series, cac: float | pd.Series) -> float | pd.Series:
    """LTV / CAC: how many times a customer's lifetime value covers their acquisition cost.

    Parameters
    ----------
    ltv : float or Series
        Customer lifetime value (from :mod:`portfolio_lib.metrics.clv`), e.g. per channel or cohort.
    cac : float or Series
        Acquisition cost, aligned on the same index when both are Series.

    Returns
    -------
    float or Series
        The ratio; NaN where the CAC is zero, negative or missing (and where the indexes of
        two Series do not match). Rule of thumb: above 3 is healthy, below 1 loses money.

    Examples
    --------
    >>> ltv_to_cac(3_000.0, 1_000.0)
    3.0
    >>> ltv_to_cac(pd.Series({"Web": 900.0, "Salon": 2_000.0}), pd.Series({"Web": 300.0,
    ...            "Salon": 0.0})).tolist()
    [3.0, nan]
    """
    if isinstance(ltv, pd.Series) or isinstance(cac, pd.Series):
        ltv_s = ltv if isinstance(ltv, pd.Series) else pd.Series(ltv, index=cac.index)
        cac_s = cac if isinstance(cac, pd.Series) else pd.Series(cac, index=ltv.index)
        ltv_s, cac_s = ltv_s.align(cac_s)
        out = ltv_s.astype(float) / cac_s.where(cac_s > 0).astype(float)
        return out.rename("ltv_to_cac")
    return float(ratio(np.asarray(ltv), np.asarray(cac), positive=True))


def cost_summary(
    costs: pd.DataFrame | None,
    monthly: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    months: Sequence[object],
    period: Period = DEFAULTS["period"],
    activity_window: int = DEFAULTS["activity_window"],
    acquisition_budget: float | None = None,
    retention_budget: float | None = None,
    horizon_months: int = _PAYBACK_HORIZON,
    margin_rate: float | None = None,
) -> pd.DataFrame:
    """CAC, CRC and CAC payback per period, in one table.

    .. warning::
       Spend is company-wide: a cost table (or a budget) is not split by sales rep, segment
       or region. Pass the tables of the **whole** portfolio (``prepare(...).full``, not a
       filtered ``agg``): dividing all the spend by the new or retained customers of a
       subset would overstate its CAC and CRC (and its payback) by the inverse of its share.

    Parameters
    ----------
    costs : pandas.DataFrame or None
        Canonical cost table; when None, the budgets are used (:func:`costs_from_budgets`).
    monthly, customers : pandas.DataFrame
        ``Aggregates.monthly`` and ``Aggregates.customers`` of the whole portfolio.
    months : DatetimeIndex
        The month grid, usually ``Aggregates.months``.
    period : {'month', 'quarter', 'year'}, default 'month'
    activity_window : int, default 12
        Months of trailing net revenue that make a customer active (retained customers).
    acquisition_budget, retention_budget : float, optional
        € per month, used only without a cost table.
    horizon_months : int, default 12
        Months of margin after each new customer's first purchase counted for the payback
        (:func:`cac_payback`; ``DEFAULTS["payback_horizon_months"]``).
    margin_rate : float, optional
        Margin = net revenue x ``margin_rate`` for the payback, instead of the log's margin
        (or of ``DEFAULTS["default_margin_rate"]`` when the log has none).

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period_start``, ``period_end``, ``period``,
        ``acquisition_spend``, ``new_customers``, ``cac``, ``retention_spend``,
        ``retained_customers``, ``crc``, ``payback_months`` (see :func:`acquisition_costs`,
        :func:`retention_costs` and :func:`cac_payback`).

    Raises
    ------
    PortfolioDataError
        ``no_costs`` when there is neither a cost table nor a budget.
    """
    return cost_summaries(
        costs,
        monthly,
        customers,
        months=months,
        periods=(period,),
        activity_window=activity_window,
        acquisition_budget=acquisition_budget,
        retention_budget=retention_budget,
        horizon_months=horizon_months,
        margin_rate=margin_rate,
    )[period]


def cost_summaries(
    costs: pd.DataFrame | None,
    monthly: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    months: Sequence[object],
    periods: Sequence[Period],
    activity_window: int = DEFAULTS["activity_window"],
    acquisition_budget: float | None = None,
    retention_budget: float | None = None,
    horizon_months: int = _PAYBACK_HORIZON,
    margin_rate: float | None = None,
) -> dict[Period, pd.DataFrame]:
    """:func:`cost_summary` for each of ``periods`` (e.g. by month and by year), as
    ``{period: table}``.

    The customers' first purchases and the payback margins do not depend on the period: they
    are computed once for all the tables. Parameters and errors are those of
    :func:`cost_summary`.
    """
    if costs is None:
        if acquisition_budget is None and retention_budget is None:
            raise PortfolioDataError("no_costs", analysis="CAC/CRC")
        costs = costs_from_budgets(
            months, acquisition_budget=acquisition_budget, retention_budget=retention_budget
        )
    _check_costs(costs)
    if horizon_months < 1:
        raise ValueError(f"horizon_months must be at least 1, got {horizon_months}")
    grid = month_grid(months)
    first = _first_purchase_months(customers, grid)
    new_by_month = _count_by_month(first, grid)
    acquired, by_month = _payback_sums(monthly, customers, grid, horizon_months, margin_rate, first)
    tables: dict[Period, pd.DataFrame] = {}
    for period in dict.fromkeys(periods):
        calendar = calendar_periods(grid, period)
        out = _acquisition_table(costs, grid, calendar, new_by_month)
        retention = retention_costs(
            costs, monthly, months=months, period=period, activity_window=activity_window
        )
        for name in ("retention_spend", "retained_customers", "crc"):
            out[name] = retention[name].to_numpy()
        payback = _payback_table(acquired, by_month, grid, calendar, horizon_months, out)
        out["payback_months"] = payback["payback_months"].to_numpy()
        tables[period] = out
    return tables
