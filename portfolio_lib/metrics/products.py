"""Product mix: revenue by product family per group, share of wallet, cross-selling.

Works on :func:`portfolio_lib.engine.aggregate.product_totals` (one row per customer and
product family over the window) and a customer table; docs/definitions.md, Product mix:

- **mix** of a group (segment, hit-parade tier): each family's revenue and share of the group's
  revenue, and its **penetration**: the share of the group's active customers buying it
  (revenue > 0 in the family);
- **share of wallet across families** of a customer: each family's share of their revenue;
  ``families`` counts the families they buy, ``top_share`` is their largest family's share;
- **cross-sell**: in each group, the peer families are the ``top_families`` families with the
  highest penetration; an active customer buying some but not all of them is an opportunity,
  for the families they miss; its ``potential`` is the sum, over those, of the median revenue
  of the group's buyers of the family.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from portfolio_lib.i18n import register

__all__ = ["cross_sell", "product_mix", "wallet_shares"]

register(
    {
        "penetration_rate": {"fr": "Taux de pénétration", "en": "Penetration"},
        "families": {"fr": "Familles achetées", "en": "Families bought"},
        "top_share": {"fr": "Part de la 1re famille", "en": "Top family share"},
        "bought": {"fr": "Achète", "en": "Buys"},
        "missing": {"fr": "N'achète pas encore", "en": "Does not buy yet"},
        "cross_sell_potential": {
            "fr": "Potentiel (médiane des pairs)",
            "en": "Potential (peer median)",
        },
    }
)


def _buying(products: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Rows with revenue > 0, with the group of each customer (customers without one dropped)."""
    lines = products[products["revenue"].to_numpy(dtype=float) > 0]
    group = groups.reindex(lines["customer_id"].astype(str)).to_numpy()
    lines = lines.assign(group=group)
    return lines[pd.notna(group)]


def product_mix(products: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Revenue, share and penetration of every product family in every group.

    Parameters
    ----------
    products : pandas.DataFrame
        ``customer_id``, ``product``, ``revenue`` (:func:`product_totals`).
    groups : pandas.Series
        The group of each active customer, indexed by ``customer_id`` as text (customers
        missing are left out).

    Returns
    -------
    pandas.DataFrame
        One row per group and family bought in it: ``group``, ``product``, ``customers``
        (buyers of the family), ``revenue``, ``revenue_share`` (of the group's revenue over
        the families, positive lines) and ``penetration_rate`` (buyers / the group's customers).
    """
    lines = _buying(products, groups)
    size = groups.dropna().value_counts()
    cells = lines.groupby(["group", "product"], observed=True, sort=True).agg(
        customers=("customer_id", "nunique"), revenue=("revenue", "sum")
    )
    cells = cells.reset_index()
    total = cells.groupby("group", observed=True)["revenue"].transform("sum")
    cells["revenue_share"] = cells["revenue"] / total
    cells["penetration_rate"] = cells["customers"] / size.reindex(cells["group"]).to_numpy()
    return cells


def wallet_shares(products: pd.DataFrame) -> pd.DataFrame:
    """Each customer's revenue split across product families.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id``, one column per family (share of the customer's revenue over
        their positive family lines; 0 for a family not bought), then ``families`` (families
        bought) and ``top_share`` (the largest share). Customers without a positive line are
        left out.
    """
    lines = products[products["revenue"].to_numpy(dtype=float) > 0]
    wide = lines.pivot_table(
        index="customer_id", columns="product", values="revenue", aggfunc="sum", fill_value=0.0
    )
    shares = wide.div(wide.sum(axis=1), axis=0)
    shares.columns.name = None
    shares["families"] = (wide > 0).sum(axis=1).astype(np.int64)
    shares["top_share"] = shares.drop(columns="families").max(axis=1)
    return shares


def cross_sell(products: pd.DataFrame, groups: pd.Series, *, top_families: int = 3) -> pd.DataFrame:
    """Customers buying some, not all, of the families their group's peers buy most.

    Parameters
    ----------
    products : pandas.DataFrame
        ``customer_id``, ``product``, ``revenue``.
    groups : pandas.Series
        The group (peers) of each active customer, indexed by ``customer_id`` as text.
    top_families : int, default 3
        How many families, by penetration in the group, are the peers' families.

    Returns
    -------
    pandas.DataFrame
        One row per opportunity, largest potential first: ``customer_id``, ``group``,
        ``bought`` and ``missing`` (the peer families bought and not bought, joined by ", ",
        most penetrated first), ``families`` (how many of the peer families they buy) and
        ``potential`` (sum of the medians, over the group's buyers, of the missing families'
        revenue).
    """
    if top_families < 2:
        raise ValueError(f"top_families must be >= 2, got {top_families!r}")
    lines = _buying(products, groups)
    mix = product_mix(products, groups)
    mix = mix.sort_values(["group", "penetration_rate", "product"], ascending=[True, False, True])
    peers = mix.groupby("group", observed=True).head(top_families)
    median = lines.groupby(["group", "product"], observed=True)["revenue"].median()
    bought = lines.groupby("customer_id")["product"].agg(set)
    rows = []
    for group, families in peers.groupby("group", observed=True, sort=True)["product"]:
        families = list(families)
        if len(families) < 2:
            continue
        members = groups.index[groups.to_numpy() == group]
        for customer in members.intersection(bought.index):
            have = [f for f in families if f in bought[customer]]
            miss = [f for f in families if f not in bought[customer]]
            if have and miss:
                potential = float(sum(median[(group, f)] for f in miss))
                rows.append(
                    (customer, group, ", ".join(have), ", ".join(miss), len(have), potential)
                )
    columns = ["customer_id", "group", "bought", "missing", "families", "potential"]
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["potential", "customer_id"], ascending=[False, True]).reset_index(
        drop=True
    )
