"""Balance of the portfolio (notebook 04): Pareto/ABC, PMG, concentration, lifecycle, matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics import balance
from portfolio_lib.studies.base import StudyNote, StudyResult, attempt, customer_totals

__all__ = ["BalanceStudy", "balance_study"]


@dataclass(frozen=True, eq=False, repr=False)
class BalanceStudy(StudyResult):
    """Balance of the portfolio (notebook 04), over the last ``activity_window`` months.

    Attributes
    ----------
    buyers : pandas.DataFrame
        :func:`customer_totals` of the active customers (revenue > 0 in the window).
    abc, abc_mix : pandas.DataFrame
        :func:`portfolio_lib.metrics.balance.abc_classes` of the buyers and its
        :func:`class_summary`.
    pmg, pmg_mix : pandas.DataFrame
        :func:`portfolio_lib.metrics.balance.pmg_classes` and its summary.
    pmg_thresholds : tuple of float
        ``(medium_from, large_from)`` in € used (given, or the quantiles).
    concentration : pandas.Series
        :func:`portfolio_lib.metrics.balance.concentration`.
    dependent : pandas.DataFrame
        :func:`portfolio_lib.metrics.balance.dependence_alerts` (empty when none).
    phases, lifecycle : pandas.DataFrame
        :func:`portfolio_lib.metrics.balance.lifecycle_phases` and :func:`lifecycle_summary`.
    matrix, matrix_cells : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.balance.potential_matrix` and its 3 x 3 summary; None (and a
        note) without a ``potential`` column.
    notes : tuple
    """

    buyers: pd.DataFrame
    abc: pd.DataFrame
    abc_mix: pd.DataFrame
    pmg: pd.DataFrame
    pmg_mix: pd.DataFrame
    pmg_thresholds: tuple[float, float]
    concentration: pd.Series
    dependent: pd.DataFrame
    phases: pd.DataFrame
    lifecycle: pd.DataFrame
    matrix: pd.DataFrame | None
    matrix_cells: pd.DataFrame | None
    notes: tuple[StudyNote, ...] = ()

    @property
    def vivier(self) -> pd.DataFrame | None:
        """Customers of the pool to develop (high potential, low penetration), largest gap first."""
        if self.matrix is None:
            return None
        return (
            self.matrix[self.matrix["vivier"]]
            .drop(columns=["potential_class", "penetration_class", "vivier"])
            .sort_values("gap", ascending=False)
            .reset_index(drop=True)
        )


def balance_study(
    agg: Aggregates,
    *,
    activity_window: int = DEFAULTS["activity_window"],
    a_cut: float = DEFAULTS["a_cut"],
    b_cut: float = DEFAULTS["b_cut"],
    pmg_thresholds: Sequence[float] | None = None,
    pmg_quantiles: Sequence[float] = DEFAULTS["pmg_quantiles"],
    dependence_alert: float = DEFAULTS["dependence_alert"],
    top_n: Sequence[int] = DEFAULTS["top_n"],
    lifecycle_growth: float = DEFAULTS["lifecycle_growth"],
    lifecycle_childhood_months: int = DEFAULTS["lifecycle_childhood_months"],
    lifecycle_window_months: int = DEFAULTS["lifecycle_window_months"],
    potential_quantiles: Sequence[float] = DEFAULTS["potential_quantiles"],
    penetration_cuts: Sequence[float] = DEFAULTS["penetration_cuts"],
    totals: pd.DataFrame | None = None,
) -> BalanceStudy:
    """Pareto/ABC, PMG, concentration and dependence, lifecycle and potential matrix.

    Parameters
    ----------
    agg : Aggregates
    activity_window : int, default 12
        Months of revenue ranked; customers with revenue > 0 in them are the buyers.
    a_cut, b_cut : float, default 0.80 and 0.95
        ABC cuts of cumulative revenue.
    pmg_thresholds : (float, float), optional
        PMG ``(medium_from, large_from)`` in €; None or empty for the quantiles.
    pmg_quantiles : (float, float), default (0.50, 0.80)
    dependence_alert : float, default 0.15
    top_n : sequence of int, default (1, 5, 10)
    lifecycle_growth : float, default 0.10
    lifecycle_childhood_months, lifecycle_window_months : int, default 12
    potential_quantiles : (float, float), default (1/3, 2/3)
    penetration_cuts : (float, float), default (0.25, 0.60)
    totals : pandas.DataFrame, optional
        ``customer_totals(agg, window=activity_window)`` computed beforehand (explorers keep
        it between changes); computed here when missing.

    Returns
    -------
    BalanceStudy
    """
    customers = customer_totals(agg, window=activity_window) if totals is None else totals
    buyers = customers[customers["active"].to_numpy(dtype=bool)]
    abc = balance.abc_classes(buyers, a_cut=a_cut, b_cut=b_cut)
    pmg = balance.pmg_classes(
        buyers,
        thresholds=tuple(pmg_thresholds) if pmg_thresholds else None,
        quantiles=tuple(pmg_quantiles),
    )
    figures = balance.concentration(buyers, top_n=top_n, dependence_alert=dependence_alert)
    dependent = balance.dependence_alerts(buyers, dependence_alert=dependence_alert)
    phases = balance.lifecycle_phases(
        agg.monthly,
        agg.customers,
        months=agg.months,
        growth=lifecycle_growth,
        childhood_months=lifecycle_childhood_months,
        window_months=lifecycle_window_months,
    )
    notes: list[StudyNote] = []
    matrix = attempt(
        notes,
        lambda: balance.potential_matrix(
            customers,
            potential_quantiles=tuple(potential_quantiles),
            penetration_cuts=tuple(penetration_cuts),
        ),
    )
    return BalanceStudy(
        buyers=buyers,
        abc=abc,
        abc_mix=balance.class_summary(abc, by="abc"),
        pmg=pmg,
        pmg_mix=balance.class_summary(pmg, by="pmg"),
        pmg_thresholds=tuple(float(t) for t in pmg.attrs["thresholds"]),
        concentration=figures,
        dependent=dependent,
        phases=phases,
        lifecycle=balance.lifecycle_summary(phases),
        matrix=matrix,
        matrix_cells=None if matrix is None else balance.potential_matrix_summary(matrix),
        notes=tuple(notes),
    )
