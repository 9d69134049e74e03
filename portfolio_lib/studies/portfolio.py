"""The sales rep's portfolio document (course text 001), notebook 07.

"Le portefeuille clients est un document rattaché à un commercial, regroupant, classant ses
clients actifs [...] nom du client ou numéro d'enregistrement, le CA qu'il réalise, le nombre
de commandes, [...] le % de la part de marché du CA global. [...] classer selon l'importance du
CA, la quantité vendue, le type de produits vendus, la marge."

:func:`rep_portfolio_study` builds, once, one row per active customer with every class the
workbook gives it (ABC, PMG, lifecycle phase and action, RFM class and segment, potential and
penetration, hit-parade tier when given); :func:`rank_portfolio` ranks each rep's customers by
the column chosen (the cheap step an explorer redoes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics.balance import abc_classes, pmg_classes
from portfolio_lib.metrics.hitparade import hit_parade
from portfolio_lib.metrics.lifecycle import lifecycle_phases
from portfolio_lib.metrics.rfm import rfm_classes, rfm_scores, rfm_segments, rfm_table
from portfolio_lib.studies.base import Note, StudyNote, StudyResult, customer_totals

__all__ = [
    "RANK_COLUMNS",
    "RepPortfolioStudy",
    "family_revenue",
    "rank_portfolio",
    "rep_portfolio_study",
]

# Columns a rep's customers can be ranked by, when the table has them.
RANK_COLUMNS = ("revenue", "margin", "orders", "quantity", "family_revenue")
_NO_REP = "all"
# No label for "tier" here: metrics.hitparade (which makes the tiers) registers it.

i18n.register(
    {
        "rep_rank": {"fr": "Rang chez le commercial", "en": "Rank in the rep's portfolio"},
        "revenue_share_company": {
            "fr": "Part du CA de l'entreprise",
            "en": "Share of the company's revenue",
        },
        "family_revenue": {"fr": "CA de la famille", "en": "Family revenue"},
        "quantity": {"fr": "Quantité", "en": "Quantity"},
        "rep_portfolio": {"fr": "Portefeuille du commercial", "en": "Sales rep's portfolio"},
        "rep_summary": {"fr": "Synthèse par commercial", "en": "Summary by rep"},
        "a_customers": {"fr": "Clients A", "en": "A customers"},
        "control_rank_by": {"fr": "Classer par", "en": "Rank by"},
        "control_family": {"fr": "Famille de produits", "en": "Product family"},
        "note_no_sales_rep": {
            "fr": "Le fichier clients n'a pas de commercial : un seul portefeuille, « Tous ».",
            "en": 'The customer file has no sales rep: one portfolio, "All".',
        },
    }
)


@dataclass(frozen=True, eq=False, repr=False)
class RepPortfolioStudy(StudyResult):
    """The reps' portfolio documents.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per active customer, by rep then rank: ``sales_rep``, ``rep_rank``,
        ``customer_id``, ``name``, ``revenue``, ``orders``, ``margin``,
        ``revenue_share_company``, ``abc``, ``pmg``, ``phase``, ``action``, ``tier`` (when
        given), ``rfm_class``, ``rfm_segment``, ``potential``, ``penetration``,
        ``family_revenue`` (when a family is chosen), ``rfm_action`` (label keys: the
        lifecycle's ``action`` and the RFM segment's).
    by_rep : pandas.DataFrame
        Per rep: ``customers``, ``revenue``, ``revenue_share_company``, ``a_customers``.
    rank_by : str
    notes : tuple
    """

    table: pd.DataFrame
    by_rep: pd.DataFrame
    rank_by: str
    notes: tuple[StudyNote, ...] = ()

    def sheets(self) -> dict[str, pd.DataFrame]:
        """The Excel hand-out: the summary, then one sheet per rep with their customers."""
        per_rep = {
            str(rep): rows.drop(columns="sales_rep").set_index("rep_rank")
            for rep, rows in self.table.groupby("sales_rep", observed=True, sort=True)
        }
        return {"rep_summary": self.by_rep, **per_rep}


def family_revenue(
    transactions: pd.DataFrame, family: str, *, start: object, end: object
) -> pd.Series:
    """Revenue of one product family per customer, dates from ``start`` to ``end`` included.

    Parameters
    ----------
    transactions : pandas.DataFrame
        The canonical log (``customer_id``, ``date``, ``amount``, ``product``).
    family : str
        A value of ``product``.
    start, end : date-like

    Returns
    -------
    pandas.Series
        Indexed by ``customer_id`` (as text): the family's revenue.
    """
    if "product" not in transactions.columns:
        raise ValueError("the transactions have no product (family) column")
    dates = pd.to_datetime(transactions["date"])
    keep = (
        (transactions["product"].astype(str) == str(family))
        & (dates >= pd.Timestamp(start))
        & (dates <= pd.Timestamp(end))
    )
    rows = transactions.loc[keep]
    return rows["amount"].groupby(rows["customer_id"].astype(str)).sum()


def rank_portfolio(table: pd.DataFrame, *, rank_by: str = "revenue") -> pd.DataFrame:
    """Each rep's customers ranked by ``rank_by`` descending (ties: revenue, then id).

    Parameters
    ----------
    table : pandas.DataFrame
        ``RepPortfolioStudy.table``.
    rank_by : str
        A numeric column of ``table`` (:data:`RANK_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        ``table`` sorted by rep then rank, ``rep_rank`` (1 = first) recomputed.
    """
    if rank_by not in table.columns:
        raise ValueError(
            f"rank_by {rank_by!r} is not a column of the portfolio table; choose one of "
            f"{[c for c in RANK_COLUMNS if c in table.columns]}"
        )
    # A stable sort on (rep, rank_by desc, revenue desc): ties keep the table's order, which is
    # by id among equal values in every table rep_portfolio_study and this function make.
    column = table["sales_rep"]
    if (
        isinstance(column.dtype, pd.CategoricalDtype)
        and column.cat.categories.is_monotonic_increasing
    ):
        reps = column.cat.codes.to_numpy(dtype=np.intp)
    else:
        reps, _ = pd.factorize(column, sort=True)
    key = table[rank_by].to_numpy(dtype=float, na_value=np.nan)
    revenue = table["revenue"].to_numpy(dtype=float)
    order = np.lexsort((-revenue, -key, reps))  # NaN last
    counts = np.bincount(reps, minlength=reps.max() + 1 if len(reps) else 0)
    starts = np.cumsum(counts) - counts
    ranks = np.arange(len(order)) - starts[reps[order]] + 1
    return table.take(order).assign(rep_rank=ranks).reset_index(drop=True)


def rep_portfolio_study(
    agg: Aggregates,
    *,
    rank_by: str = "revenue",
    tiers: pd.DataFrame | None = None,
    transactions: pd.DataFrame | None = None,
    family: str | None = None,
    a_cut: float = DEFAULTS["a_cut"],
    b_cut: float = DEFAULTS["b_cut"],
    rfm_weights: tuple[float, float, float] = DEFAULTS["rfm_weights"],
    activity_window: int = DEFAULTS["activity_window"],
    totals: pd.DataFrame | None = None,
) -> RepPortfolioStudy:
    """Per rep, the active customers classed and ranked, with the action for each.

    Parameters
    ----------
    agg : Aggregates
    rank_by : str, default 'revenue'
        'revenue', 'margin', 'orders', 'quantity' (when the customer table has one) or
        'family_revenue' (with ``family``).
    tiers : pandas.DataFrame, optional
        ``customer_id`` and ``tier`` (the hit-parade tiers, 1 = biggest), shown per customer;
        by default :func:`portfolio_lib.metrics.hitparade.hit_parade` of the active customers.
    transactions : pandas.DataFrame, optional
        The canonical log, for ``family``.
    family : str, optional
        A product family: its revenue over the window per customer (``family_revenue``).
    a_cut, b_cut : float
        ABC cuts.
    rfm_weights : (float, float, float)
        w_R, w_F, w_M of the RFM class.
    activity_window : int, default 12
        Months of the revenue, orders and margin shown (active = revenue > 0 over them).
    totals : pandas.DataFrame, optional
        ``customer_totals(agg, window=activity_window)`` computed beforehand.

    Returns
    -------
    RepPortfolioStudy
    """
    notes: list[StudyNote] = []
    customers = customer_totals(agg, window=activity_window) if totals is None else totals
    buyers = customers.loc[customers["revenue"].to_numpy(dtype=float) > 0]
    keep = ["customer_id", "name", "sales_rep", "revenue", "orders", "margin", "quantity",
            "potential"]  # fmt: skip
    table = buyers.filter(items=keep).reset_index(drop=True)
    if "sales_rep" not in table.columns:
        notes.append(Note("note_no_sales_rep"))
        table.insert(1, "sales_rep", _NO_REP)
    # Categorical (sorted names): ranking and splitting by rep read its codes.
    table["sales_rep"] = pd.Categorical(table["sales_rep"].astype(object).fillna("?").astype(str))
    total = table["revenue"].sum()
    table.insert(
        table.columns.get_loc("revenue") + 1, "revenue_share_company", table["revenue"] / total
    )
    abc = abc_classes(table[["customer_id", "revenue"]], a_cut=a_cut, b_cut=b_cut)
    pmg = pmg_classes(table[["customer_id", "revenue"]])
    table = table.merge(abc[["customer_id", "abc"]], on="customer_id", how="left")
    table["pmg"] = pmg["pmg"].to_numpy()
    phases = lifecycle_phases(agg.monthly, agg.customers, months=agg.months)
    table = table.merge(phases[["customer_id", "phase", "action"]], on="customer_id", how="left")
    if tiers is None:  # the hit-parade's tiers of these customers (text 003)
        tiers = hit_parade(table[["customer_id", "revenue"]])
    table = table.merge(tiers[["customer_id", "tier"]], on="customer_id", how="left")
    rfm = rfm_classes(rfm_scores(rfm_table(agg.customers, as_of=agg.as_of)), weights=rfm_weights)
    rfm = rfm_segments(rfm)
    table = table.merge(
        rfm[["customer_id", "rfm_class", "rfm_segment"]], on="customer_id", how="left"
    )
    if "potential" in table.columns:
        potential = table.pop("potential").to_numpy(dtype=float, na_value=np.nan)
        table["potential"] = potential
        with np.errstate(divide="ignore", invalid="ignore"):
            table["penetration"] = np.where(potential > 0, table["revenue"] / potential, np.nan)
    if family is not None and transactions is not None:
        start = (agg.as_of.to_period("M") - (activity_window - 1)).start_time
        found = family_revenue(transactions, family, start=start, end=agg.as_of)
        ids = table["customer_id"].astype(str)
        table["family_revenue"] = found.reindex(ids).fillna(0.0).to_numpy()
    # The action of the RFM segment beside the lifecycle's (label keys, translated when shown).
    table["rfm_action"] = pd.Categorical(
        ["" if pd.isna(key) else f"rfm_action_{key}" for key in table["rfm_segment"]]
    )
    ranked = rank_portfolio(table, rank_by=rank_by)
    first = ["sales_rep", "rep_rank", "customer_id"]
    ranked = ranked[first + [c for c in ranked.columns if c not in first]]
    grouped = ranked.groupby("sales_rep", sort=True, observed=True)
    by_rep = pd.DataFrame(
        {
            "customers": grouped.size().astype(np.int64),
            "revenue": grouped["revenue"].sum(),
            "revenue_share_company": grouped["revenue_share_company"].sum(),
            "a_customers": grouped["abc"].apply(lambda s: int((s == "A").sum())),
        }
    )
    by_rep.index.name = "sales_rep"
    return RepPortfolioStudy(table=ranked, by_rep=by_rep, rank_by=rank_by, notes=tuple(notes))
