"""01 weight: headline tiles, revenue and active customers per period, weight of each group."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.engine.tables import Period
from portfolio_lib.metrics.weight import headline_kpis, weight_by, weight_over_time
from portfolio_lib.studies.base import StudyNote, StudyResult, attempt

__all__ = ["WEIGHT_GROUPS", "WeightStudy", "weight_study"]

#: Customer attributes the weight study splits by.
WEIGHT_GROUPS: tuple[str, ...] = ("segment", "sales_rep", "region")


@dataclass(frozen=True, eq=False, repr=False)
class WeightStudy(StudyResult):
    """Weight of the portfolio (notebook 01).

    Attributes
    ----------
    kpis : pandas.Series
        :func:`portfolio_lib.metrics.weight.headline_kpis` (window = activity window).
    trend : pandas.DataFrame
        :func:`portfolio_lib.metrics.weight.weight_over_time` per period.
    by : mapping
        ``{attribute: weight_by table}`` for each attribute of ``groups`` that the customer
        table has (read-only mapping; a missing attribute is a note).
    notes : tuple
    """

    kpis: pd.Series
    trend: pd.DataFrame
    by: Mapping[str, pd.DataFrame]
    notes: tuple[StudyNote, ...] = ()


def weight_study(
    agg: Aggregates,
    *,
    period: Period = DEFAULTS["period"],
    activity_window: int = DEFAULTS["activity_window"],
    groups: Iterable[str] = WEIGHT_GROUPS,
) -> WeightStudy:
    """Headline KPIs, revenue and active customers per period, weight of each group.

    Parameters
    ----------
    agg : Aggregates
    period : {'month', 'quarter', 'year'}, default 'month'
    activity_window : int, default 12
        Months of trailing revenue that make a customer active (and of the group windows).
    groups : iterable of str, default ('segment', 'sales_rep', 'region')
        Attributes to weigh; those missing from the customer table give a
        ``missing_attribute`` note.

    Returns
    -------
    WeightStudy
    """
    notes: list[StudyNote] = []
    kpis = headline_kpis(
        agg.monthly, months=agg.months, customers=agg.customers, window=activity_window
    )
    trend = weight_over_time(
        agg.monthly,
        months=agg.months,
        customers=agg.customers,
        period=period,
        activity_window=activity_window,
    )
    by: dict[str, pd.DataFrame] = {}
    for column in groups:
        table = attempt(
            notes,
            lambda column=column: weight_by(
                agg.monthly,
                months=agg.months,
                customers=agg.customers,
                by=column,
                window=activity_window,
            ),
        )
        if table is not None:
            by[column] = table
    return WeightStudy(kpis=kpis, trend=trend, by=MappingProxyType(by), notes=tuple(notes))
