"""Net and gross revenue retention (NRR, GRR), per period and per acquisition cohort.

Both read the revenue bridge (:func:`portfolio_lib.metrics.movements.revenue_bridge`), as the
subscription tools define them (docs/definitions.md, Movements):

- **NRR** = (revenue_start + expansion - contraction - churned) / revenue_start: the revenue at
  the end of last period's customers (new and reactivated customers left out) over their
  revenue at the start;
- **GRR** = (revenue_start - contraction - churned) / revenue_start: the same without the
  expansion, so at most 100 %: sum over last period's customers of min(revenue now, revenue
  before) / sum of revenue before.

The bridge's buckets make the two forms equal: a customer in *expansion* counts for their
revenue before, one in *contraction* or *churned* for their revenue now.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.tables import PERIOD_MONTHS, Period
from portfolio_lib.i18n import register
from portfolio_lib.metrics.common import ratio, require_attribute
from portfolio_lib.metrics.movements import revenue_bridge

__all__ = ["cohort_revenue_retention", "retention_matrix", "revenue_retention"]

register(
    {
        "nrr": {"fr": "Rétention nette du CA (NRR)", "en": "Net revenue retention (NRR)"},
        "grr": {"fr": "Rétention brute du CA (GRR)", "en": "Gross revenue retention (GRR)"},
        "retained_revenue": {
            "fr": "CA actuel des clients du début",
            "en": "Revenue now of the starting customers",
        },
    }
)

_FREQUENCY = {"month": "M", "quarter": "Q", "year": "Y"}


def revenue_retention(bridge: pd.DataFrame) -> pd.DataFrame:
    """NRR and GRR of every row of a revenue bridge.

    Parameters
    ----------
    bridge : pandas.DataFrame
        Output of :func:`portfolio_lib.metrics.movements.revenue_bridge` (any ``by``).

    Returns
    -------
    pandas.DataFrame
        A copy of ``bridge`` with ``retained_revenue`` (revenue_start + expansion - contraction
        - churned), ``nrr`` (retained_revenue / revenue_start) and ``grr`` ((revenue_start -
        contraction - churned) / revenue_start); NaN where revenue_start <= 0.

    Examples
    --------
    >>> bridge = pd.DataFrame({"revenue_start": [100.0], "new": [30.0], "reactivated": [0.0],
    ...                        "expansion": [20.0], "contraction": [5.0], "churned": [10.0],
    ...                        "revenue_end": [135.0]})
    >>> revenue_retention(bridge)[["nrr", "grr"]].to_numpy().tolist()
    [[1.05, 0.85]]
    """
    missing = [
        c for c in ("revenue_start", "expansion", "contraction", "churned") if c not in bridge
    ]
    if missing:
        raise ValueError(f"revenue_retention needs the revenue bridge; missing columns {missing}")
    start = bridge["revenue_start"].to_numpy(dtype=float)
    lost = bridge["contraction"].to_numpy(dtype=float) + bridge["churned"].to_numpy(dtype=float)
    retained = start + bridge["expansion"].to_numpy(dtype=float) - lost
    return bridge.assign(
        retained_revenue=np.round(retained, 9) + 0.0,
        nrr=ratio(retained, start, positive=True),
        grr=ratio(start - lost, start, positive=True),
    )


def cohort_revenue_retention(
    monthly: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    months: Sequence[object],
    period: Period = "year",
    window: int = DEFAULTS["activity_window"],
) -> pd.DataFrame:
    """NRR and GRR per acquisition cohort and period: the revenue bridge by cohort.

    A customer's cohort is the calendar ``period`` of their ``first_purchase``; the bridge
    compares the trailing ``window`` months of revenue at consecutive period ends, as
    :func:`portfolio_lib.metrics.movements.revenue_bridge` with ``by="cohort"``.

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``Aggregates.monthly``.
    customers : pandas.DataFrame
        ``customer_id`` and ``first_purchase`` (``Aggregates.customers``).
    months : DatetimeIndex
        The month grid.
    period : {'month', 'quarter', 'year'}, default 'year'
        Cohorts and bridge periods.
    window : int, default 12
        Months of the trailing revenue compared.

    Returns
    -------
    pandas.DataFrame
        :func:`revenue_retention` of the bridge, rows with a positive ``revenue_start`` only
        (a cohort is followed from the period after its acquisition): ``cohort`` (first month
        of the cohort period), ``offset`` (periods since the cohort's), then the bridge's
        columns with ``nrr`` and ``grr``. Customers without a purchase are in no cohort.
    """
    require_attribute(customers, "first_purchase", "cohort revenue retention")
    first = pd.to_datetime(customers["first_purchase"])
    cohort = pd.PeriodIndex(first, freq=_FREQUENCY[period]).to_timestamp()
    frame = pd.DataFrame({"customer_id": customers["customer_id"], "cohort": cohort})
    bridge = revenue_bridge(
        monthly, months=months, period=period, window=window, customers=frame, by="cohort"
    )
    bridge = bridge[bridge["cohort"] != "unknown"]
    table = revenue_retention(bridge[bridge["revenue_start"] > 0])
    start = pd.DatetimeIndex(table["period_start"])
    cohorts = pd.DatetimeIndex(table["cohort"])
    gap = (start.year - cohorts.year) * 12 + start.month - cohorts.month
    table = table.assign(cohort=cohorts, offset=np.asarray(gap // PERIOD_MONTHS[period]))
    columns = ["cohort", "offset", *[c for c in table.columns if c not in ("cohort", "offset")]]
    return table[columns].reset_index(drop=True)


def retention_matrix(table: pd.DataFrame, *, value: str = "nrr") -> pd.DataFrame:
    """Pivot :func:`cohort_revenue_retention` into cohorts x periods since (as
    :func:`portfolio_lib.metrics.cohorts.cohort_matrix`): ``value`` 'nrr' or 'grr'."""
    if value not in ("nrr", "grr"):
        raise ValueError(f"value must be 'nrr' or 'grr', got {value!r}")
    return table.pivot(index="cohort", columns="offset", values=value)
