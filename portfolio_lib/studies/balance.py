"""Balance of the portfolio (notebook 04): Pareto/ABC, PMG, concentration, lifecycle, matrix,
hit-parade tiers and resources, relationship quality (course texts 000 to 003)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics import balance, hitparade, relationship
from portfolio_lib.studies.base import Note, StudyNote, StudyResult, attempt, customer_totals

__all__ = ["RELATIONSHIP_GROUPS", "BalanceStudy", "balance_study"]

# Customer attributes the relationship quality is summarised by, when the table has them.
RELATIONSHIP_GROUPS = ("segment", "sales_rep")

i18n.register(
    {
        "note_lifecycle_revenue_only": {
            "fr": "Le journal des ventes n'a pas de marge : les phases du cycle de vie suivent le "
            "chiffre d'affaires seul (le texte 001 suit la contribution à la marge et au CA).",
            "en": "The sales log has no margin: the lifecycle phases follow revenue only (text "
            "001 follows the contribution to margin and revenue).",
        },
        "note_potential_estimated": {
            "fr": "{estimated} potentiels sur {total} sont estimés (dépense moyenne par salarié "
            "{spend} € × effectif du client, texte 002) : colonne « Potentiel estimé ».",
            "en": "{estimated} of {total} potentials are estimated (average spend per employee "
            '€{spend} × the customer\'s headcount, text 002): column "Estimated potential".',
        },
        "note_no_headcount": {
            "fr": "Une dépense par salarié est donnée mais le fichier clients n'a pas de colonne "
            "d'effectif : les potentiels sont ceux du fichier.",
            "en": "A spend per employee is given but the customer file has no headcount "
            "column: the potentials are the file's.",
        },
        "note_resource_check_ok": {
            "fr": "Les {customers} % de clients qui font les {revenue} % restants du CA "
            "consomment {resources} % des ressources : moins que leur part des clients, ils ne "
            "reçoivent pas le traitement des plus gros (texte 003).",
            "en": "The {customers} % of customers who make the remaining {revenue} % of revenue "
            "consume {resources} % of the resources: less than their share of customers, they "
            "do not get the treatment of the biggest (text 003).",
        },
        "note_resource_check_alert": {
            "fr": "Alerte : les {customers} % de clients qui font les {revenue} % restants du CA "
            "consomment {resources} % des ressources, autant que leur part des clients. Le "
            "texte 003 demande qu'ils ne consomment pas 80 % des ressources : allouez-les par "
            "tranche.",
            "en": "Alert: the {customers} % of customers who make the remaining {revenue} % of "
            "revenue consume {resources} % of the resources, as much as their share of "
            "customers. Text 003 asks that they do not consume 80 % of the resources: allocate "
            "them per tier.",
        },
        "note_tomorrow_customers": {
            "fr": "Attention (texte 003) : parmi ces petits clients il y a aussi les clients de "
            "demain. {high} ont un potentiel élevé, {vivier} sont dans le vivier : gardons-nous "
            "de les décevoir.",
            "en": "Careful (text 003): these small customers include tomorrow's customers. "
            "{high} have a high potential, {vivier} are in the vivier: take care not to "
            "disappoint them.",
        },
    }
)


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
        note) without a ``potential`` column (nor a headcount with a spend per employee).
    hit, tiers : pandas.DataFrame
        :func:`portfolio_lib.metrics.hitparade.hit_parade` of the buyers (with the resources)
        and its :func:`~portfolio_lib.metrics.hitparade.tier_summary`.
    resources : pandas.Series
        :func:`portfolio_lib.metrics.hitparade.resource_check` (text 003's 80/20 check).
    resource_unit : str
        visits, hours or budget.
    resource_notes : tuple of Note
        Text 003's check in words: the small customers' share of the resources (an alert when
        it reaches their share of the customers) and, with a potential matrix, how many of them
        have a high potential or are in the vivier.
    relationship_bands, weak_relationships : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.relationship.relationship_bands` and
        :func:`~portfolio_lib.metrics.relationship.weak_relationships` of the buyers; None
        without a ``relationship_quality`` column.
    relationship_by : dict of str to pandas.DataFrame
        :func:`~portfolio_lib.metrics.relationship.relationship_by` per attribute of
        :data:`RELATIONSHIP_GROUPS` the customer table has.
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
    hit: pd.DataFrame
    tiers: pd.DataFrame
    resources: pd.Series
    resource_unit: str
    resource_notes: tuple[Note, ...]
    relationship_bands: pd.DataFrame | None
    relationship_by: dict[str, pd.DataFrame]
    weak_relationships: pd.DataFrame | None
    notes: tuple[StudyNote, ...] = ()

    @property
    def vivier(self) -> pd.DataFrame | None:
        """Customers of the vivier (text 002: the two last rows x the two last columns of the
        matrix, medium or high potential and low or medium penetration), largest gap first."""
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
    lifecycle_use_margin: bool = DEFAULTS["lifecycle_use_margin"],
    relationship_alert: float = DEFAULTS["relationship_alert"],
    potential_quantiles: Sequence[float] = DEFAULTS["potential_quantiles"],
    penetration_cuts: Sequence[float] = DEFAULTS["penetration_cuts"],
    spend_per_employee: float = DEFAULTS["spend_per_employee"],
    estimate_all_potentials: bool = False,
    tiers: int = DEFAULTS["hitparade_tiers"],
    resources: float = DEFAULTS["hitparade_resources"],
    resource_unit: str = DEFAULTS["hitparade_unit"],
    allocation: str = DEFAULTS["hitparade_allocation"],
    services: Sequence[str] | None = None,
    totals: pd.DataFrame | None = None,
) -> BalanceStudy:
    """Pareto/ABC, PMG, concentration and dependence, lifecycle, potential matrix, hit-parade
    tiers and their resources, relationship quality.

    Parameters
    ----------
    agg : Aggregates
    activity_window : int, default 12
        Months of revenue ranked; customers with revenue > 0 in them are the buyers.
    a_cut, b_cut : float, default 0.80 and 0.95
        ABC cuts of cumulative revenue (``a_cut`` also closes the big customers of the
        hit-parade's 80/20 check).
    pmg_thresholds : (float, float), optional
        PMG ``(medium_from, large_from)`` in €; None or empty for the quantiles.
    pmg_quantiles : (float, float), default (0.50, 0.80)
    dependence_alert : float, default 0.15
    top_n : sequence of int, default (1, 5, 10)
    lifecycle_growth : float, default 0.10
    lifecycle_childhood_months, lifecycle_window_months : int, default 12
    lifecycle_use_margin : bool, default True
        Phases on margin and revenue (text 001); revenue only when False or without margin.
    relationship_alert : float, default 0.5
        Relationship quality below which a relationship is weak.
    potential_quantiles : (float, float), default (1/3, 2/3)
    penetration_cuts : (float, float), default (0.25, 0.60)
    spend_per_employee : float, default 0
        Text 002's estimate of potential (spend per employee x headcount); 0 for none.
    estimate_all_potentials : bool, default False
        Estimate every customer with a headcount, not only those without a potential.
    tiers : int, default 4
        Hit-parade tiers of equal revenue.
    resources : float, default 1000
        Yearly resources shared out by the tiers, in ``resource_unit``.
    resource_unit : {'visits', 'hours', 'budget'}
    allocation : {'tier', 'customer'}, default 'tier'
    services : sequence of str, optional
        The service model of each tier, tier 1 first (defaults from text 003).
    totals : pandas.DataFrame, optional
        ``customer_totals(agg, window=activity_window)`` computed beforehand (explorers keep
        it between changes); computed here when missing.

    Returns
    -------
    BalanceStudy
    """
    if resource_unit not in hitparade.RESOURCE_UNITS:
        raise ValueError(f"resource_unit must be one of {hitparade.RESOURCE_UNITS}")
    customers = customer_totals(agg, window=activity_window) if totals is None else totals
    buyers = customers[customers["active"].to_numpy(dtype=bool)]
    ranked = balance.pareto_table(buyers)  # ranked once: ABC, concentration, hit-parade
    abc = balance.abc_classes(buyers, a_cut=a_cut, b_cut=b_cut, ranked=ranked)
    pmg = balance.pmg_classes(
        buyers,
        thresholds=tuple(pmg_thresholds) if pmg_thresholds else None,
        quantiles=tuple(pmg_quantiles),
    )
    figures = balance.concentration(
        buyers, top_n=top_n, dependence_alert=dependence_alert, ranked=ranked
    )
    dependent = balance.dependence_alerts(buyers, dependence_alert=dependence_alert)
    phases = balance.lifecycle_phases(
        agg.monthly,
        agg.customers,
        months=agg.months,
        growth=lifecycle_growth,
        childhood_months=lifecycle_childhood_months,
        window_months=lifecycle_window_months,
        use_margin=lifecycle_use_margin,
        relationship_alert=relationship_alert,
    )
    notes: list[StudyNote] = []
    if lifecycle_use_margin and not phases.attrs["margin_used"] and len(phases):
        notes.append(Note("note_lifecycle_revenue_only"))
    if spend_per_employee and "headcount" not in customers.columns:
        notes.append(Note("note_no_headcount"))
    matrix = attempt(
        notes,
        lambda: balance.potential_matrix(
            customers,
            potential_quantiles=tuple(potential_quantiles),
            penetration_cuts=tuple(penetration_cuts),
            spend_per_employee=spend_per_employee,
            estimate_all=estimate_all_potentials,
        ),
    )
    if matrix is not None and matrix["potential_estimated"].any():
        details = {"estimated": int(matrix["potential_estimated"].sum()), "total": len(matrix)}
        notes.append(Note("note_potential_estimated", {**details, "spend": spend_per_employee}))
    hit = hitparade.hit_parade(
        buyers,
        tiers=tiers,
        resources=resources,
        allocation=allocation,
        small_from=a_cut,
        ranked=ranked,
    )
    check = hitparade.resource_check(hit, matrix=matrix)
    checks: list[Note] = []
    if check["small_customers"] > 0 and resources > 0:
        shares = {
            "customers": round(100 * check["small_customer_share"]),
            "revenue": round(100 * check["small_revenue_share"]),
            "resources": round(100 * check["small_resource_share"]),
        }
        key = "note_resource_check_alert" if check["resource_alert"] else "note_resource_check_ok"
        checks.append(Note(key, shares))
        if matrix is not None:
            counts = {
                "high": int(check["small_high_potential"]),
                "vivier": int(check["small_vivier"]),
            }
            checks.append(Note("note_tomorrow_customers", counts))
    bands = weak = None
    by: dict[str, pd.DataFrame] = {}
    if "relationship_quality" in buyers.columns:
        bands = relationship.relationship_bands(buyers)
        weak = relationship.weak_relationships(buyers, alert=relationship_alert)
        for column in RELATIONSHIP_GROUPS:
            if column in buyers.columns:
                by[column] = relationship.relationship_by(
                    buyers, by=column, alert=relationship_alert
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
        hit=hit,
        tiers=hitparade.tier_summary(hit, tiers=tiers, services=services, matrix=matrix),
        resources=check,
        resource_unit=resource_unit,
        resource_notes=tuple(checks),
        relationship_bands=bands,
        relationship_by=by,
        weak_relationships=weak,
        notes=tuple(notes),
    )
