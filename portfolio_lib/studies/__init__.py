"""One function per analysis notebook: the notebook's whole computation, once, for every front end.

A notebook, an interactive explorer (:mod:`portfolio_lib.ui.widgets`) and the Voilà app need the
same numbers from the same parameters. Each ``*_study`` function takes the aggregated portfolio
(:class:`~portfolio_lib.engine.aggregate.Aggregates`, the expensive step, done once), the cost table
where needed and the notebook's parameters as keywords (defaults from
:data:`portfolio_lib.config.DEFAULTS`), calls the analysis functions of the library and returns a
frozen dataclass of their DataFrames, Series and fitted models. Nothing is drawn, printed or
written: front ends show the fields.

Parts that are legitimately unavailable (no cost table, no ``potential`` or ``sales_rep``
column, too few repeat customers for the predictive models, a history too short for a yearly
figure) do not raise: the field is ``None`` and ``notes`` says why, with bilingual texts
(``note.text(lang)``; :func:`portfolio_lib.ui.present.show_message` shows them). Bad parameters and
unusable data still raise.

The annual churn rate behind the simple and retention CLV and the LTV is the churn of the
**last 12 months** (:func:`portfolio_lib.metrics.movements.annual_churn`): customers active 12 months
before the last month of the data who are no longer active at its end, over the customers
active then; it needs 13 months of history. Per group (segment, acquisition channel...) the
same rule applies within the group; a group nobody was active in 12 months ago takes the
portfolio's rate.

The CLV study is split so that an explorer fits the predictive models once
(:func:`fit_clv_models`) and redoes only the discounted values when the discount rate or the
horizon changes (:func:`clv_study` with ``models=``).
"""

from portfolio_lib.studies.alerts import AlertsStudy, alerts_study
from portfolio_lib.studies.balance import BalanceStudy, balance_study
from portfolio_lib.studies.base import Note, StudyNote, customer_totals
from portfolio_lib.studies.clv import (
    PURCHASES_GRID_DAYS,
    ClvModels,
    ClvStudy,
    clv_study,
    fit_clv_models,
)
from portfolio_lib.studies.costs import CostsStudy, costs_study
from portfolio_lib.studies.movements import MovementsStudy, movements_study
from portfolio_lib.studies.overview import OverviewStudy, overview_study
from portfolio_lib.studies.rfm import RfmStudy, rfm_study
from portfolio_lib.studies.weight import WEIGHT_GROUPS, WeightStudy, weight_study

__all__ = [
    "PURCHASES_GRID_DAYS",
    "WEIGHT_GROUPS",
    "AlertsStudy",
    "BalanceStudy",
    "ClvModels",
    "ClvStudy",
    "CostsStudy",
    "MovementsStudy",
    "Note",
    "OverviewStudy",
    "RfmStudy",
    "StudyNote",
    "WeightStudy",
    "alerts_study",
    "balance_study",
    "clv_study",
    "costs_study",
    "customer_totals",
    "fit_clv_models",
    "movements_study",
    "overview_study",
    "rfm_study",
    "weight_study",
]
