"""00 overview: the headline tiles and the concentration of the last window."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics.balance import concentration
from portfolio_lib.metrics.weight import headline_kpis
from portfolio_lib.studies.base import StudyNote, StudyResult, window_frame

__all__ = ["OverviewStudy", "overview_study"]


@dataclass(frozen=True, eq=False, repr=False)
class OverviewStudy(StudyResult):
    """Headline figures of the portfolio (the overview tiles).

    Attributes
    ----------
    kpis : pandas.Series
        :func:`portfolio_lib.metrics.weight.headline_kpis` over the activity window.
    concentration : pandas.Series
        :func:`portfolio_lib.metrics.balance.concentration` of the window's revenue.
    notes : tuple
    """

    kpis: pd.Series
    concentration: pd.Series
    notes: tuple[StudyNote, ...] = ()


def overview_study(
    agg: Aggregates, *, activity_window: int = DEFAULTS["activity_window"]
) -> OverviewStudy:
    """Headline KPIs and concentration over the last ``activity_window`` months.

    Parameters
    ----------
    agg : Aggregates
    activity_window : int, default 12

    Returns
    -------
    OverviewStudy
    """
    kpis = headline_kpis(
        agg.monthly, months=agg.months, customers=agg.customers, window=activity_window
    )
    totals = window_frame(agg, activity_window, ["revenue"])  # all concentration reads
    return OverviewStudy(kpis=kpis, concentration=concentration(totals))
