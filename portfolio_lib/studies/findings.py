"""Key findings of each study as sentences computed from its numbers, in French or English.

:func:`findings` takes any study of :mod:`portfolio_lib.studies` and returns its
:class:`Finding` objects, most important first; one public function per study does the work
(:func:`overview_findings`, :func:`weight_findings`, ...). A finding is a sentence a consultant
can read out to a client ("15 % of your active customers make 80 % of revenue"), the numbers it
quotes (``figures``) and how much it should be seen first (``importance``, 0 to 1), so that a
report's summary can pick the most important ones across analyses.

Thresholds (keywords, defaults from :data:`portfolio_lib.config.DEFAULTS`) decide what is worth
saying: a customer above ``dependence_alert`` of revenue, a year-on-year change larger than
``change_alert``, an LTV/CAC below ``ltv_cac_min``, a rep with ``rep_alert_ratio`` times the
average number of alerts... Only the numbers of the study are read: the findings say what its
tables and charts show. The texts are data (names come from the client's files): front ends
escape them (:func:`portfolio_lib.ui.present.show_findings`).

The ``key`` names the fact: the same fact seen by two studies has the same key (``pareto`` and
``dependence`` in the overview and the balance), so a summary keeps one per key.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from portfolio_lib import i18n
from portfolio_lib.studies.alerts import AlertsStudy
from portfolio_lib.studies.balance import BalanceStudy
from portfolio_lib.studies.clv import ClvStudy
from portfolio_lib.studies.costs import CostsStudy
from portfolio_lib.studies.findings_activity import (
    costs_findings,
    movements_findings,
    overview_findings,
    weight_findings,
)
from portfolio_lib.studies.findings_base import Finding
from portfolio_lib.studies.findings_customers import (
    alerts_findings,
    balance_findings,
    clv_findings,
    rfm_findings,
)
from portfolio_lib.studies.findings_forecast import forecast_findings
from portfolio_lib.studies.findings_moves import migration_findings, product_findings
from portfolio_lib.studies.forecast import ForecastStudy
from portfolio_lib.studies.migration import MigrationStudy
from portfolio_lib.studies.movements import MovementsStudy
from portfolio_lib.studies.overview import OverviewStudy
from portfolio_lib.studies.products import ProductStudy
from portfolio_lib.studies.rfm import RfmStudy
from portfolio_lib.studies.weight import WeightStudy

__all__ = [
    "THRESHOLDS",
    "Finding",
    "alerts_findings",
    "balance_findings",
    "clv_findings",
    "costs_findings",
    "findings",
    "forecast_findings",
    "migration_findings",
    "movements_findings",
    "overview_findings",
    "product_findings",
    "rfm_findings",
    "weight_findings",
]

# --------------------------------------------------------------------------------------------
# Dispatch

_BY_STUDY: dict[type, Callable[..., list[Finding]]] = {
    OverviewStudy: overview_findings,
    WeightStudy: weight_findings,
    MovementsStudy: movements_findings,
    CostsStudy: costs_findings,
    BalanceStudy: balance_findings,
    RfmStudy: rfm_findings,
    ClvStudy: clv_findings,
    AlertsStudy: alerts_findings,
    ForecastStudy: forecast_findings,
    MigrationStudy: migration_findings,
    ProductStudy: product_findings,
}


def _options(function: Callable[..., object]) -> set[str]:
    parameters = inspect.signature(function).parameters
    return {name for name, p in parameters.items() if p.kind is p.KEYWORD_ONLY} - {"lang"}


#: Every threshold or parameter some study's findings take.
THRESHOLDS: frozenset[str] = frozenset().union(*(_options(f) for f in _BY_STUDY.values()))


def findings(study: object, *, lang: str = "fr", **thresholds: object) -> list[Finding]:
    """The key findings of any study, most important first.

    Parameters
    ----------
    study : OverviewStudy, WeightStudy, MovementsStudy, CostsStudy, BalanceStudy, RfmStudy,
        ClvStudy, AlertsStudy, ForecastStudy, MigrationStudy or ProductStudy
    lang : {'fr', 'en'}
    **thresholds
        Passed to the study's function (e.g. ``dependence_alert=0.2``); those another study
        takes are ignored, so one set of parameters serves every study. A name no study knows
        raises TypeError.

    Returns
    -------
    list of Finding

    Examples
    --------
    >>> for f in findings(balance_study(agg), lang="en"):  # doctest: +SKIP
    ...     print(f.text)
    One customer, SARL Masson Bâtiment, weighs 18.2% of revenue: above the 15% dependence ...
    """
    i18n.label("findings_title", lang)  # checks lang
    unknown = set(thresholds) - THRESHOLDS
    if unknown:
        raise TypeError(
            f"unknown finding thresholds {sorted(unknown)}; known: {sorted(THRESHOLDS)}"
        )
    for kind, function in _BY_STUDY.items():
        if isinstance(study, kind):
            accepted = _options(function)
            chosen = {name: value for name, value in thresholds.items() if name in accepted}
            return function(study, lang=lang, **chosen)
    raise TypeError(f"no findings for {type(study).__name__}; expected one of the studies")
