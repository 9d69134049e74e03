"""Migrations: the classes of every customer a year ago and now, and how they moved.

At each date (:func:`portfolio_lib.engine.history.aggregates_before` for the earlier one) the
classes come from the metrics' own functions, with the same parameters as the balance and RFM
notebooks: ABC (:func:`~portfolio_lib.metrics.balance.abc_classes`), PMG
(:func:`~portfolio_lib.metrics.balance.pmg_classes`), hit-parade tier
(:func:`~portfolio_lib.metrics.hitparade.hit_parade`) of the customers active in the window;
lifecycle phase (:func:`~portfolio_lib.metrics.lifecycle.lifecycle_phases`); RFM class
(:func:`~portfolio_lib.metrics.rfm.rfm_classes` of :func:`~portfolio_lib.metrics.rfm.rfm_scores`
of :func:`~portfolio_lib.metrics.rfm.rfm_table`). :func:`portfolio_lib.metrics.migration.migration_table`
crosses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.engine.history import aggregates_before
from portfolio_lib.metrics.balance import abc_classes, pmg_classes
from portfolio_lib.metrics.hitparade import hit_parade
from portfolio_lib.metrics.lifecycle import lifecycle_phases
from portfolio_lib.metrics.migration import migration_table
from portfolio_lib.metrics.rfm import rfm_classes, rfm_scores, rfm_table
from portfolio_lib.studies.base import StudyNote, StudyResult, attempt, customer_totals

__all__ = ["MIGRATION_KINDS", "MigrationStudy", "customer_classes", "migration_study"]

#: The classifications crossed, in the order the front ends offer them.
MIGRATION_KINDS = ("abc", "pmg", "rfm_class", "phase", "tier")


@dataclass(frozen=True, eq=False, repr=False)
class MigrationStudy(StudyResult):
    """How customers moved between two dates (notebook 04, balance tab of the app).

    Attributes
    ----------
    as_of_before, as_of : pandas.Timestamp
        The two dates: the end of the month ``months_back`` months before the last one, and
        the analysis date.
    classes_before, classes : pandas.DataFrame
        :func:`customer_classes` at each date.
    tables : dict
        :func:`portfolio_lib.metrics.migration.migration_table` per kind of
        :data:`MIGRATION_KINDS`, with the window revenue of each date.
    notes : tuple
    """

    as_of_before: pd.Timestamp | None
    as_of: pd.Timestamp
    classes_before: pd.DataFrame | None
    classes: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    notes: tuple[StudyNote, ...] = ()


def customer_classes(
    agg: Aggregates,
    *,
    window: int = DEFAULTS["activity_window"],
    a_cut: float = DEFAULTS["a_cut"],
    b_cut: float = DEFAULTS["b_cut"],
    pmg_thresholds: tuple[float, float] | None = None,
    pmg_quantiles: Sequence[float] = DEFAULTS["pmg_quantiles"],
    tiers: int = DEFAULTS["hitparade_tiers"],
    rfm_weights: Sequence[float] = DEFAULTS["rfm_weights"],
    lifecycle_growth: float = DEFAULTS["lifecycle_growth"],
    lifecycle_window_months: int = DEFAULTS["lifecycle_window_months"],
    lifecycle_childhood_months: int = DEFAULTS["lifecycle_childhood_months"],
    lifecycle_use_margin: bool = DEFAULTS["lifecycle_use_margin"],
) -> pd.DataFrame:
    """Every classification of every customer at ``agg.as_of``.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id`` (as text), one row per customer of ``agg.customers``: ``revenue``
        (the last ``window`` months) and the classes ``abc``, ``pmg``, ``tier`` (customers
        active in the window), ``phase`` (customers with revenue in the last two lifecycle
        windows), ``rfm_class`` (buyers); missing where a customer is not classified.
    """
    totals = customer_totals(agg, window=window)
    ids = pd.Index(totals["customer_id"].astype(str), name="customer_id")
    out = pd.DataFrame({"revenue": totals["revenue"].to_numpy()}, index=ids)
    buyers = totals[totals["active"].to_numpy(dtype=bool)]

    def by_id(frame: pd.DataFrame, column: str) -> pd.Series:
        return frame.set_index(frame["customer_id"].astype(str))[column].reindex(ids)

    out["abc"] = by_id(abc_classes(buyers, a_cut=a_cut, b_cut=b_cut), "abc")
    thresholds = tuple(pmg_thresholds) if pmg_thresholds else None
    pmg = pmg_classes(buyers, thresholds=thresholds, quantiles=tuple(pmg_quantiles))
    out["pmg"] = by_id(pmg, "pmg")
    out["tier"] = by_id(hit_parade(buyers, tiers=tiers, small_from=a_cut), "tier").astype("Int64")
    phases = lifecycle_phases(
        agg.monthly, agg.customers, months=agg.months, growth=lifecycle_growth,
        childhood_months=lifecycle_childhood_months, window_months=lifecycle_window_months,
        use_margin=lifecycle_use_margin,
    )  # fmt: skip
    out["phase"] = by_id(phases, "phase")
    values = rfm_table(agg.customers, as_of=agg.as_of)
    out["rfm_class"] = by_id(rfm_classes(rfm_scores(values), weights=rfm_weights), "rfm_class")
    return out


def migration_study(
    agg: Aggregates,
    *,
    months_back: int = 12,
    activity_window: int = DEFAULTS["activity_window"],
    **parameters: object,
) -> MigrationStudy:
    """The classes ``months_back`` months ago and now, crossed for every kind.

    Parameters
    ----------
    agg : Aggregates
    months_back : int, default 12
        The earlier date: the end of the month this many months before the last one (by
        default the last 12 months are compared with the 12 months ending a year ago).
    activity_window : int, default 12
        Months of revenue ranked at each date.
    **parameters
        Passed to :func:`customer_classes` (``a_cut``, ``b_cut``, ``pmg_thresholds``,
        ``pmg_quantiles``, ``tiers``, ``rfm_weights``, ``lifecycle_growth``,
        ``lifecycle_window_months``, ``lifecycle_childhood_months``, ``lifecycle_use_margin``).

    Returns
    -------
    MigrationStudy
        With a ``history_too_short`` note and no tables when the data do not reach back
        ``months_back`` months.
    """
    notes: list[StudyNote] = []
    now = customer_classes(agg, window=activity_window, **parameters)
    earlier = attempt(notes, lambda: aggregates_before(agg, months_back))
    if earlier is None:
        return MigrationStudy(None, agg.as_of, None, now, {}, tuple(notes))
    before = customer_classes(earlier, window=activity_window, **parameters)
    tables = {
        kind: migration_table(
            before[kind], now[kind], revenue_before=before["revenue"], revenue_after=now["revenue"]
        )
        for kind in MIGRATION_KINDS
    }
    return MigrationStudy(earlier.as_of, agg.as_of, before, now, tables, tuple(notes))
