"""Hit-parade of the customers, homogeneous revenue tiers and their resources (course text 003).

Text 003: "réaliser un classement en hit-parade, des plus gros aux plus petits, puis de faire
des groupes homogènes, tranche de chiffre d'affaires par tranche de chiffre d'affaires, en leur
allouant des ressources à peu près identiques [...] Les plus importants seront gratifiés d'une
relation personnalisée gérée souvent directement par l'entrepreneur lui-même et les plus petits
seront délégués à des collaborateurs dans le cadre de procédures en partie automatisées."
And its check: "que les 80 % qui font seulement 20 % de son chiffre d'affaires ne consomment
pas 80 % de ses ressources", with its warning: "dans les 80 % qui ne font que 20 % du chiffre
d'affaires, il y a aussi les clients de demain".

- :func:`hit_parade`: customers ranked biggest first, their tier (1 = the biggest) and the
  resources each gets;
- :func:`tier_summary`: customers, revenue, resources and resources per customer per tier,
  with the tier's service model (and its high-potential customers when a potential matrix is
  given);
- :func:`resource_check`: the small customers' share of customers, revenue and resources, the
  text's alert, and the high-potential customers among them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.i18n import register
from portfolio_lib.metrics.balance import ranked_table
from portfolio_lib.metrics.common import column_of, customer_ids

__all__ = [
    "ALLOCATIONS",
    "RESOURCE_UNITS",
    "SERVICE_MODELS",
    "hit_parade",
    "resource_check",
    "tier_services",
    "tier_summary",
]

ALLOCATIONS = ("tier", "customer")  # equal per tier (text 003) or equal per customer
RESOURCE_UNITS = ("visits", "hours", "budget")
# Service model keys: the top tier's and the last tier's are text 003's; the tiers between
# are the workbook's (the text names only the two ends).
SERVICE_MODELS = ("service_owner", "service_reps", "service_staff")
_EPS = 1e-9  # a cumulative share within 1e-9 of a tier's bound counts as reaching it

register(
    {
        "tier": {"fr": "Tranche", "en": "Tier"},
        "revenue_from": {"fr": "CA de", "en": "Revenue from"},
        "revenue_to": {"fr": "CA jusqu'à", "en": "Revenue up to"},
        "resources": {"fr": "Ressources par an", "en": "Resources per year"},
        "resources_per_customer": {"fr": "Ressources par client", "en": "Resources per customer"},
        "resource_share": {"fr": "Part des ressources", "en": "Share of resources"},
        "service": {"fr": "Mode de relation", "en": "Service model"},
        "small_customers": {"fr": "Petits clients (80/20)", "en": "Small customers (80/20)"},
        "small_customer_share": {
            "fr": "Part des clients (petits)",
            "en": "Share of customers (small)",
        },
        "small_revenue_share": {"fr": "Part du CA (petits)", "en": "Share of revenue (small)"},
        "small_resource_share": {
            "fr": "Part des ressources (petits)",
            "en": "Share of resources (small)",
        },
        "resource_alert": {
            "fr": "Alerte 80/20 (1 = oui)",
            "en": "80/20 alert (1 = yes)",
        },
        "small_high_potential": {
            "fr": "Petits clients à potentiel élevé",
            "en": "Small customers of high potential",
        },
        "small_vivier": {"fr": "Petits clients du vivier", "en": "Small customers in the vivier"},
        "high_potential": {"fr": "Potentiel élevé", "en": "High potential"},
        "visits": {"fr": "visites", "en": "visits"},
        "hours": {"fr": "heures", "en": "hours"},
        "budget": {"fr": "€ de budget", "en": "€ of budget"},
        "service_owner": {
            "fr": "Relation personnalisée, gérée souvent directement par le dirigeant",
            "en": "Personal relationship, often run directly by the owner",
        },
        "service_reps": {
            "fr": "Entre les deux : suivi par les commerciaux",
            "en": "In between: followed by the sales reps",
        },
        "service_staff": {
            "fr": "Délégués à des collaborateurs, procédures en partie automatisées",
            "en": "Delegated to staff, partly automated procedures",
        },
    }
)


def _check_tiers(tiers: int) -> int:
    if int(tiers) != tiers or int(tiers) < 1:
        raise ValueError(f"tiers must be a whole number >= 1, got {tiers!r}")
    return int(tiers)


def tier_services(tiers: int, services: Sequence[str] | None = None) -> list[str]:
    """The service model of each tier, tier 1 first.

    Parameters
    ----------
    tiers : int
    services : sequence of str, optional
        The user's service models, tier 1 first (free text, or keys of
        :data:`SERVICE_MODELS`); missing or empty entries take the default.

    Returns
    -------
    list of str
        Default: ``service_owner`` for tier 1, ``service_staff`` for the last tier (when there
        are two or more), ``service_reps`` between.

    Examples
    --------
    >>> tier_services(4, ["", "Key account managers"])
    ['service_owner', 'Key account managers', 'service_reps', 'service_staff']
    """
    n = _check_tiers(tiers)
    out = ["service_reps"] * n
    out[0] = "service_owner"
    if n > 1:
        out[-1] = "service_staff"
    for i, text in enumerate(list(services or [])[:n]):
        if str(text).strip():
            out[i] = str(text).strip()
    return out


def hit_parade(
    customers: pd.DataFrame,
    *,
    value: str = "revenue",
    tiers: int = DEFAULTS["hitparade_tiers"],
    resources: float | None = None,
    allocation: str = DEFAULTS["hitparade_allocation"],
    small_from: float = DEFAULTS["a_cut"],
    ranked: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Customers ranked biggest to smallest, cut into ``tiers`` tiers of equal revenue.

    A customer's tier is decided by the cumulative share of revenue of the customers ranked
    *before* them (value descending, ties by ``customer_id``, as :func:`pareto_table`): tier k
    (1 = biggest) while it is below k / tiers. So each tier holds about 1 / tiers of the
    revenue; the customer who crosses a bound stays in the tier above, a customer bigger than a
    whole tier leaves the next one empty, and customers with a value <= 0 are in the last tier.

    Resources (visits, hours or budget per year) are shared out:

    - ``allocation='tier'`` (text 003: "des ressources à peu près identiques"): each non-empty
      tier gets resources / (number of non-empty tiers), split equally between its customers;
    - ``allocation='customer'``: every customer the same share, resources / customers (the
      treatment text 003 warns against).

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer: ``customer_id`` (column or index) and ``value``; ``name`` and
        ``sales_rep`` are kept when present. Pass the active customers.
    value : str, default 'revenue'
    tiers : int, default 4
    resources : float, optional
        Yearly resources to share out; without it the ``resources`` column is left out.
    allocation : {'tier', 'customer'}, default 'tier'
    small_from : float, default 0.80
        The "small" customers (``small`` column) are those ranked after the customers making
        this share of revenue: the 80 % of customers making 20 % of revenue of text 003.
    ranked : pandas.DataFrame, optional
        :func:`~portfolio_lib.metrics.balance.pareto_table` of ``customers`` (same ``value``)
        when the caller has it already.

    Returns
    -------
    pandas.DataFrame
        One row per customer, biggest first: ``customer_id``, [``name``, ``sales_rep``],
        ``rank`` (1 = biggest), ``value``, ``share``, ``cumulative_share``, ``tier`` (int,
        1 = biggest), ``small`` (bool) and, with ``resources``, ``resources`` (the customer's).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abcde"),
    ...                       "revenue": [50.0, 20.0, 15.0, 10.0, 5.0]})
    >>> hit = hit_parade(frame, tiers=2, resources=100.0)
    >>> hit["tier"].tolist(), hit["resources"].tolist()
    ([1, 2, 2, 2, 2], [50.0, 12.5, 12.5, 12.5, 12.5])
    """
    n_tiers = _check_tiers(tiers)
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {ALLOCATIONS}, got {allocation!r}")
    if not 0 <= small_from <= 1:
        raise ValueError(f"small_from must be in [0, 1], got {small_from!r}")
    if resources is not None and not resources >= 0:
        raise ValueError(f"resources must be >= 0, got {resources!r}")
    table = ranked_table(customers, value, ranked)
    # Input position of each ranked customer (ids are unique: one lookup, no second sort).
    order = pd.Index(customer_ids(customers, "hit-parade")).get_indexer(table["customer_id"])
    ranked = table[value].to_numpy()
    positive = np.clip(ranked, 0, None)
    total = positive.sum()
    before = (np.cumsum(positive) - positive) / total if total > 0 else np.ones(len(ranked))
    tier = np.minimum(np.floor(before * n_tiers + _EPS).astype(np.int64), n_tiers - 1) + 1
    tier[~(ranked > 0)] = n_tiers
    out = table.drop(columns="customer_share")
    position = 1
    for column in ("name", "sales_rep"):
        if column in customers.columns:
            taken = column_of(customers, column, "hit-parade").take(order)
            out.insert(position, column, taken.array)
            position += 1
    out["tier"] = tier
    out["small"] = (before >= small_from - _EPS) | ~(ranked > 0)
    if resources is not None:
        counts = np.bincount(tier, minlength=n_tiers + 1)[1:]
        if allocation == "tier":
            per_tier = float(resources) / max(np.count_nonzero(counts), 1)
            per_customer = np.divide(per_tier, counts, out=np.zeros(n_tiers), where=counts > 0)
            out["resources"] = per_customer[tier - 1]
        else:
            out["resources"] = float(resources) / len(out) if len(out) else np.empty(0)
    return out


def tier_summary(
    hit: pd.DataFrame,
    *,
    value: str = "revenue",
    tiers: int | None = None,
    services: Sequence[str] | None = None,
    matrix: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Customers, revenue and resources of each tier of the hit-parade, with its service model.

    Parameters
    ----------
    hit : pandas.DataFrame
        Output of :func:`hit_parade`.
    value : str, default 'revenue'
    tiers : int, optional
        Number of tiers (every tier is listed, empty ones with zeros); default the largest tier
        of ``hit``.
    services : sequence of str, optional
        The user's service models per tier (:func:`tier_services`).
    matrix : pandas.DataFrame, optional
        :func:`portfolio_lib.metrics.potential.potential_matrix`: adds ``high_potential``
        (customers of the tier in the high potential class) and ``vivier`` (in the vivier).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``tier`` (1 = biggest): ``customers``, ``customer_share``, ``value``,
        ``{value}_share``, ``revenue_from`` and ``revenue_to`` (smallest and largest customer),
        [``resources``, ``resources_per_customer``, ``resource_share``], ``service`` (a key of
        :data:`SERVICE_MODELS` or the user's text), [``high_potential``, ``vivier``].
    """
    n_tiers = _check_tiers(
        tiers if tiers is not None else int(hit["tier"].to_numpy().max(initial=1))
    )
    index = pd.RangeIndex(1, n_tiers + 1, name="tier")
    tier = hit["tier"].to_numpy(dtype=np.int64)
    values = hit[value].to_numpy(dtype=float)
    counts = np.bincount(tier, minlength=n_tiers + 1)[1:]
    out = pd.DataFrame({"customers": counts.astype(np.int64)}, index=index)
    n, total = int(counts.sum()), np.clip(values, 0, None).sum()
    out["customer_share"] = counts / n if n else np.nan
    out[value] = np.bincount(tier, weights=values, minlength=n_tiers + 1)[1:]
    out[f"{value}_share"] = out[value] / total if total > 0 else np.nan
    grouped = pd.Series(values).groupby(tier)
    out["revenue_from"] = grouped.min().reindex(index).to_numpy()
    out["revenue_to"] = grouped.max().reindex(index).to_numpy()
    if "resources" in hit.columns:
        weights = hit["resources"].to_numpy(dtype=float)
        out["resources"] = np.bincount(tier, weights=weights, minlength=n_tiers + 1)[1:]
        out["resources_per_customer"] = (out["resources"] / out["customers"]).where(
            out["customers"] > 0
        )
        spent = out["resources"].sum()
        out["resource_share"] = out["resources"] / spent if spent > 0 else np.nan
    out["service"] = tier_services(n_tiers, services)
    if matrix is not None:
        flags = _matrix_flags(hit, matrix)
        for name, flag in zip(("high_potential", "vivier"), flags, strict=True):
            out[name] = np.bincount(tier[flag], minlength=n_tiers + 1)[1:].astype(np.int64)
    return out


def _matrix_flags(hit: pd.DataFrame, matrix: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Whether each customer of ``hit`` is of high potential, and in the vivier (customers
    absent from the matrix: neither)."""
    rows = pd.Index(matrix["customer_id"]).get_indexer(hit["customer_id"])
    found = rows >= 0
    high = np.zeros(len(hit), dtype=bool)
    vivier = np.zeros(len(hit), dtype=bool)
    high[found] = np.asarray(matrix["potential_class"] == "high")[rows[found]]
    vivier[found] = matrix["vivier"].to_numpy(dtype=bool)[rows[found]]
    return high, vivier


def resource_check(
    hit: pd.DataFrame, *, value: str = "revenue", matrix: pd.DataFrame | None = None
) -> pd.Series:
    """Text 003's check: the small customers must not consume the resources of the big ones.

    The small customers are the ``small`` rows of :func:`hit_parade` (ranked after the
    customers making 80 % of revenue). The alert is raised when their share of the resources
    reaches their share of the customers, that is when they are served like the big ones
    ("80 % qui font seulement 20 % [du CA] ne consomment pas 80 % de ses ressources": with
    80 % of the customers, 80 % of the resources is the same treatment per head).

    Parameters
    ----------
    hit : pandas.DataFrame
        Output of :func:`hit_parade` with ``resources``.
    value : str, default 'revenue'
    matrix : pandas.DataFrame, optional
        :func:`portfolio_lib.metrics.potential.potential_matrix`: counts the small customers
        of high potential and in the vivier (text 003: "il y a aussi les clients de demain").

    Returns
    -------
    pandas.Series
        ``small_customers``, ``small_customer_share``, ``small_revenue_share``,
        ``small_resource_share``, ``resource_alert`` (1.0 when small_resource_share >=
        small_customer_share, else 0.0), ``small_high_potential`` and ``small_vivier`` (NaN
        without ``matrix``).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abcde"),
    ...                       "revenue": [50.0, 30.0, 10.0, 6.0, 4.0]})
    >>> check = resource_check(hit_parade(frame, tiers=2, resources=100.0))
    >>> check[["small_customer_share", "small_resource_share", "resource_alert"]].tolist()
    [0.6, 0.375, 0.0]
    """
    if "resources" not in hit.columns:
        raise ValueError("resource_check needs hit_parade(..., resources=...)")
    small = hit["small"].to_numpy(dtype=bool)
    n = len(hit)
    positive = hit[value].clip(lower=0).to_numpy(dtype=float)
    spent = hit["resources"].sum()
    figures = {
        "small_customers": float(small.sum()),
        "small_customer_share": small.mean() if n else np.nan,
        "small_revenue_share": positive[small].sum() / positive.sum()
        if positive.sum() > 0
        else np.nan,
        "small_resource_share": hit["resources"].to_numpy()[small].sum() / spent
        if spent > 0
        else np.nan,
    }
    figures["resource_alert"] = float(
        figures["small_resource_share"] >= figures["small_customer_share"] - _EPS
    )
    figures["small_high_potential"] = figures["small_vivier"] = np.nan
    if matrix is not None:
        high, vivier = _matrix_flags(hit, matrix)
        figures["small_high_potential"] = float(np.count_nonzero(high & small))
        figures["small_vivier"] = float(np.count_nonzero(vivier & small))
    return pd.Series(figures, dtype=float, name="resource_check")
