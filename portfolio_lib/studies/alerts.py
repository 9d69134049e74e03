"""Risk alerts (notebook 07): customers at risk and the summary per sales rep."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics.alerts import alerts_by_rep, customer_alerts
from portfolio_lib.studies.base import Note, StudyNote, StudyResult

__all__ = ["AlertsStudy", "alerts_study"]


@dataclass(frozen=True, eq=False, repr=False)
class AlertsStudy(StudyResult):
    """Risk alerts (notebook 07).

    Attributes
    ----------
    alerts : pandas.DataFrame
        :func:`portfolio_lib.metrics.alerts.customer_alerts`, by priority (may be empty).
    by_rep : pandas.DataFrame
        :func:`portfolio_lib.metrics.alerts.alerts_by_rep` with every rep of the customer table.
    notes : tuple
        No alert with these thresholds; no ``sales_rep`` column (everyone under 'unknown').
    """

    alerts: pd.DataFrame
    by_rep: pd.DataFrame
    notes: tuple[StudyNote, ...] = ()

    def sheets(self) -> dict[str, pd.DataFrame]:
        """The Excel hand-out: the summary, then one sheet per rep with their alerts."""
        per_rep = {
            str(rep): rows
            for rep, rows in self.alerts.set_index("priority").groupby("sales_rep", observed=True)
        }
        return {"alerts_summary": self.by_rep, **per_rep}


def alerts_study(
    agg: Aggregates,
    *,
    drop_alert: float = DEFAULTS["drop_alert"],
    gap_alert: float = DEFAULTS["gap_alert"],
    top_at_risk: int = DEFAULTS["top_at_risk"],
    window: int = DEFAULTS["lifecycle_window_months"],
) -> AlertsStudy:
    """Customers at risk (revenue drop, overdue order, key account) and the per-rep summary.

    Parameters
    ----------
    agg : Aggregates
    drop_alert : float, default 0.30
        Alert when revenue falls by more than this share.
    gap_alert : float, default 2.0
        Alert when the days since the last order exceed this many usual gaps.
    top_at_risk : int, default 20
        How many of the largest customers are watched as key accounts.
    window : int, default 12
        Months of each revenue window compared.

    Returns
    -------
    AlertsStudy
    """
    notes: list[StudyNote] = []
    alerts = customer_alerts(
        agg.monthly,
        agg.customers,
        months=agg.months,
        as_of=agg.as_of,
        drop_alert=drop_alert,
        gap_alert=gap_alert,
        top_at_risk=top_at_risk,
        window=window,
    )
    reps = agg.customers.get("sales_rep")
    if reps is None:
        notes.append(
            PortfolioDataError(
                "missing_attribute",
                file="customers",
                analysis="alerts per sales rep",
                column="sales_rep",
                found=", ".join(map(str, agg.customers.columns)),
            )
        )
    if len(alerts) == 0:
        notes.append(Note("no_alerts"))
    return AlertsStudy(alerts=alerts, by_rep=alerts_by_rep(alerts, reps=reps), notes=tuple(notes))
