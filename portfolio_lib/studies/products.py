"""Product mix: revenue by product family per segment and per hit-parade tier, share of wallet
across families, cross-selling opportunities (notebook 01, the app's "Products" tab)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics.hitparade import hit_parade
from portfolio_lib.metrics.products import cross_sell, product_mix, wallet_shares
from portfolio_lib.studies.base import Note, StudyNote, StudyResult, customer_totals

__all__ = ["ProductStudy", "product_study"]

i18n.register(
    {
        "note_products_no_segment": {
            "fr": "Pas de segment dans le fichier clients : pas de mix par segment, et les pairs "
            "des ventes croisées sont tous les clients actifs.",
            "en": "No segment in the customer file: no mix by segment, and the cross-selling "
            "peers are all the active customers.",
        },
    }
)


@dataclass(frozen=True, eq=False, repr=False)
class ProductStudy(StudyResult):
    """The product mix of the active customers over the window.

    Attributes
    ----------
    by_segment, by_tier : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.products.product_mix` by ``segment`` (None, with a note,
        without that column) and by hit-parade tier (:func:`hit_parade` of the window).
    wallet : pandas.DataFrame
        :func:`~portfolio_lib.metrics.products.wallet_shares` of the active customers.
    cross_sell : pandas.DataFrame
        :func:`~portfolio_lib.metrics.products.cross_sell` among peers of the same segment
        (the whole portfolio without segments), with ``name`` and ``sales_rep`` when known.
    top_families : int
    notes : tuple
    """

    by_segment: pd.DataFrame | None
    by_tier: pd.DataFrame
    wallet: pd.DataFrame
    cross_sell: pd.DataFrame
    top_families: int
    notes: tuple[StudyNote, ...] = ()


def product_study(
    agg: Aggregates,
    products: pd.DataFrame,
    *,
    activity_window: int = DEFAULTS["activity_window"],
    tiers: int = DEFAULTS["hitparade_tiers"],
    top_families: int = 3,
) -> ProductStudy:
    """Mix by segment and tier, wallet shares and cross-sell of the customers of ``agg``.

    Parameters
    ----------
    agg : Aggregates
        Its customers (a filter applies) active over the window are studied.
    products : pandas.DataFrame
        :func:`portfolio_lib.engine.aggregate.product_totals` of the log with the same
        ``as_of`` and ``window=activity_window``.
    activity_window : int, default 12
    tiers : int, default 4
        Hit-parade tiers.
    top_families : int, default 3
        Peer families of the cross-sell.

    Returns
    -------
    ProductStudy
    """
    notes: list[StudyNote] = []
    totals = customer_totals(agg, window=activity_window)
    active = totals[totals["active"].to_numpy(dtype=bool)]
    ids = pd.Index(active["customer_id"].astype(str), name="customer_id")
    products = products[products["customer_id"].astype(str).isin(ids)]
    tier = hit_parade(active, tiers=tiers)
    tier_of = pd.Series(tier["tier"].to_numpy(), index=tier["customer_id"].astype(str))
    by_tier = product_mix(products, tier_of)
    by_segment = None
    if "segment" in active.columns:
        segments = pd.Series(active["segment"].astype(object).to_numpy(), index=ids)
        by_segment = product_mix(products, segments)
        peers = segments
    else:
        notes.append(Note("note_products_no_segment"))
        peers = pd.Series("all", index=ids)
    opportunities = cross_sell(products, peers, top_families=top_families)
    attributes = active.filter(items=["name", "sales_rep"]).set_index(ids)
    opportunities = opportunities.join(attributes, on="customer_id")
    return ProductStudy(
        by_segment=by_segment,
        by_tier=by_tier.assign(group=by_tier["group"].astype(int)),
        wallet=wallet_shares(products),
        cross_sell=opportunities,
        top_families=top_families,
        notes=tuple(notes),
    )
