"""Potential x penetration matrix and its *vivier* (course text 002).

Text 002: potential classes are the rows, penetration (the share of the potential you already
make) the columns, and "à l'intersection des deux dernières lignes et des deux dernières
colonnes se trouve votre vivier [...] peu ou pas implantés, mais qui présente cependant un
potentiel important, constitue votre zone de fragilité. Vous devrez les faire monter dans la
matrice verticalement pour protéger vos positions." With three classes each, the last two rows
are the medium and high potentials and the last two columns the medium and low penetrations
(columns run from the highest penetration to "pas implanté").

The text also estimates potential objectively: "multiplier la dépense moyenne de chaque
salarié par l'effectif de votre client" (:func:`estimate_potential`).

Class columns hold stable English keys (ordered ``Categorical`` low < medium < high); their
labels are registered with :func:`portfolio_lib.i18n.register` at import.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from portfolio_lib.config import DEFAULTS
from portfolio_lib.i18n import register
from portfolio_lib.metrics.common import column_of, customer_ids, numbers

__all__ = [
    "LEVELS",
    "VIVIER_PENETRATION",
    "VIVIER_POTENTIAL",
    "estimate_potential",
    "potential_matrix",
    "potential_matrix_summary",
]

LEVELS = ("low", "medium", "high")  # potential and penetration classes
# The vivier block: the two last rows (potential) x the two last columns (penetration).
VIVIER_POTENTIAL = ("medium", "high")
VIVIER_PENETRATION = ("low", "medium")

register(
    {
        "penetration": {"fr": "Taux de pénétration", "en": "Penetration"},
        "potential_class": {"fr": "Classe de potentiel", "en": "Potential class"},
        "penetration_class": {"fr": "Classe de pénétration", "en": "Penetration class"},
        "vivier": {"fr": "Vivier (zone de fragilité)", "en": "Vivier (zone of fragility)"},
        "vivier_action": {
            "fr": "Zone de fragilité : les faire monter dans la matrice pour protéger vos "
            "positions",
            "en": "Zone of fragility: move them up the matrix to protect your positions",
        },
        "gap": {"fr": "CA à conquérir", "en": "Revenue gap"},
        "low": {"fr": "Faible", "en": "Low"},
        "high": {"fr": "Élevé", "en": "High"},
        "medium": {"fr": "Moyen", "en": "Medium"},
        "headcount": {"fr": "Effectif", "en": "Headcount"},
        "potential_estimated": {"fr": "Potentiel estimé", "en": "Estimated potential"},
    }
)


def _classes(values: np.ndarray, cuts: Sequence[float]) -> pd.Categorical:
    """Level i of LEVELS when ``cuts[i - 1] <= value < cuts[i]``; NaN is the last level."""
    codes = np.searchsorted(np.asarray(cuts, dtype=float), values, side="right")
    return pd.Categorical.from_codes(codes, categories=list(LEVELS), ordered=True)


def estimate_potential(
    customers: pd.DataFrame,
    *,
    spend_per_employee: float,
    potential: str = "potential",
    headcount: str = "headcount",
    replace: bool = False,
) -> pd.DataFrame:
    """Yearly potential estimated as average spend per employee x headcount (text 002).

    Customers with a positive ``headcount`` get ``spend_per_employee * headcount`` when their
    potential is missing or not positive (every one of them when ``replace``, or when the
    table has no potential column); the others keep the file's potential.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer with ``headcount`` and optionally ``potential``.
    spend_per_employee : float
        Average yearly spend of one employee of a customer, in € (> 0).
    potential, headcount : str
        Column names.
    replace : bool, default False
        Estimate every customer with a headcount, not only those without a potential.

    Returns
    -------
    pandas.DataFrame
        ``customers`` with ``potential`` (filled) and ``potential_estimated`` (bool).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abc"), "potential": [5e3, np.nan, np.nan],
    ...                       "headcount": [10, 20, np.nan]})
    >>> out = estimate_potential(frame, spend_per_employee=400.0)
    >>> out["potential"].tolist(), out["potential_estimated"].tolist()
    ([5000.0, 8000.0, nan], [False, True, False])
    """
    if not spend_per_employee > 0:
        raise ValueError(f"spend_per_employee must be > 0, got {spend_per_employee!r}")
    staff = numbers(customers, headcount, "potential estimate")
    if potential in customers.columns:
        given = customers[potential].to_numpy(dtype=float, na_value=np.nan)
    else:
        given = np.full(len(customers), np.nan)
    estimated = (staff > 0) & (bool(replace) | ~(given > 0))
    out = customers.copy()
    out[potential] = np.where(estimated, spend_per_employee * staff, given)
    out["potential_estimated"] = estimated
    return out


def potential_matrix(
    customers: pd.DataFrame,
    *,
    revenue: str = "revenue",
    potential: str = "potential",
    potential_quantiles: tuple[float, float] = DEFAULTS["potential_quantiles"],
    penetration_cuts: tuple[float, float] = DEFAULTS["penetration_cuts"],
    spend_per_employee: float = DEFAULTS["spend_per_employee"],
    headcount: str = "headcount",
    estimate_all: bool = False,
) -> pd.DataFrame:
    """Potential x penetration matrix: the revenue to win, and the vivier to move up.

    For every customer with a positive ``potential`` (yearly revenue potential; prospects with
    no revenue included, their penetration is 0):

    - ``penetration`` = max(revenue, 0) / potential (may exceed 1 when the potential is
      underestimated);
    - ``potential_class``: low if potential < q1, medium if q1 <= potential < q2, high if
      potential >= q2, with q1, q2 the ``potential_quantiles`` of the potentials (numpy's
      linear interpolation);
    - ``penetration_class``: low if penetration < cut1, medium if cut1 <= penetration < cut2,
      high otherwise;
    - ``vivier``: the block of text 002, the two last rows and two last columns: medium or high
      potential **and** low or medium penetration (a zone of fragility to move up);
    - ``gap`` = max(potential - revenue, 0), the revenue left to win.

    With ``spend_per_employee`` > 0 and a ``headcount`` column, the potentials missing from the
    file (all of them with ``estimate_all``) are estimated as spend per employee x headcount
    (:func:`estimate_potential`); ``potential_estimated`` says which.

    Compare yearly quantities: pass the revenue of the last 12 months (``window_totals``).

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer: ``customer_id`` (column or index), ``revenue``, ``potential``
        (or ``headcount`` with ``spend_per_employee``); ``name`` and ``sales_rep`` are kept
        when present.
    revenue, potential : str
        Column names.
    potential_quantiles : (float, float), default (1/3, 2/3)
    penetration_cuts : (float, float), default (0.25, 0.60)
    spend_per_employee : float, default 0 (no estimate)
    headcount : str, default 'headcount'
    estimate_all : bool, default False

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, [``name``, ``sales_rep``], ``revenue``, ``potential``,
        ``potential_estimated`` (bool), ``penetration``, ``potential_class``,
        ``penetration_class`` (ordered categoricals low < medium < high), ``vivier`` (bool),
        ``gap``; in input order.

    Raises
    ------
    PortfolioDataError
        ``missing_attribute`` when the potential column is missing (and none is estimated).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": list("abc"), "revenue": [9_000.0, 1_000.0, 0.0],
    ...                       "potential": [10_000.0, 20_000.0, 90_000.0]})
    >>> potential_matrix(frame)[["penetration", "potential_class", "vivier"]].to_numpy().tolist()
    [[0.9, 'low', False], [0.05, 'medium', True], [0.0, 'high', True]]
    """
    for name, pair in (
        ("potential_quantiles", potential_quantiles),
        ("penetration_cuts", penetration_cuts),
    ):
        if len(pair) != 2 or not 0 <= pair[0] <= pair[1]:
            raise ValueError(f"{name} must be two increasing values >= 0, got {pair!r}")
    if potential_quantiles[1] > 1:
        raise ValueError(f"potential_quantiles must be at most 1, got {potential_quantiles!r}")
    estimated = np.zeros(len(customers), dtype=bool)
    if spend_per_employee and spend_per_employee > 0 and headcount in customers.columns:
        customers = estimate_potential(
            customers,
            spend_per_employee=spend_per_employee,
            potential=potential,
            headcount=headcount,
            replace=estimate_all,
        )
        estimated = customers["potential_estimated"].to_numpy()
    pot = column_of(customers, potential, "potential matrix")
    if not pd.api.types.is_numeric_dtype(pot):
        raise ValueError(
            f"potential matrix: column {potential!r} must hold numbers; convert it first."
        )
    pot = pot.to_numpy(dtype=float, na_value=np.nan)
    keep = np.flatnonzero(pot > 0)
    pot = pot[keep]
    rev = numbers(customers, revenue, "potential matrix")[keep]
    penetration = np.clip(rev, 0, None) / pot
    cuts = np.quantile(pot, potential_quantiles) if keep.size else [np.inf, np.inf]
    ids = customer_ids(customers, "potential matrix")
    columns: dict[str, object] = {"customer_id": ids.take(keep).array}
    for column in ("name", "sales_rep"):
        if column in customers.columns:
            columns[column] = column_of(customers, column, "potential matrix").take(keep).array
    # revenue and potential may share a name: the later column wins, as with assignments.
    columns[revenue] = rev
    columns[potential] = pot
    columns["potential_estimated"] = estimated[keep]
    columns["penetration"] = penetration
    columns["potential_class"] = _classes(pot, cuts)
    columns["penetration_class"] = _classes(penetration, penetration_cuts)
    columns["vivier"] = np.asarray(columns["potential_class"].isin(VIVIER_POTENTIAL)) & np.asarray(
        columns["penetration_class"].isin(VIVIER_PENETRATION)
    )
    columns["gap"] = np.clip(pot - rev, 0, None)
    return pd.DataFrame(columns, copy=False)  # new arrays


def potential_matrix_summary(
    matrix: pd.DataFrame, *, revenue: str = "revenue", potential: str = "potential"
) -> pd.DataFrame:
    """3 x 3 pivot of the potential matrix: customers, revenue, potential and gap per cell.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Output of :func:`potential_matrix`.
    revenue, potential : str
        Column names used there.

    Returns
    -------
    pandas.DataFrame
        Index ``potential_class`` (low, medium, high), columns a MultiIndex (measure,
        ``penetration_class``) with measures ``customers``, ``revenue``, ``potential``,
        ``gap``; empty cells hold 0. The (medium/high) x (low/medium) block is the *vivier*.
    """
    full = pd.MultiIndex.from_product(
        [pd.CategoricalIndex(LEVELS, categories=LEVELS, ordered=True)] * 2,
        names=["potential_class", "penetration_class"],
    )
    grouped = matrix.groupby(["potential_class", "penetration_class"], observed=False)
    cells = pd.DataFrame(
        {
            "customers": grouped.size(),
            revenue: grouped[revenue].sum(),
            potential: grouped[potential].sum(),
            "gap": grouped["gap"].sum(),
        }
    )
    cells = cells.reindex(full, fill_value=0)
    cells["customers"] = cells["customers"].astype(np.int64)
    out = cells.unstack("penetration_class")
    out.columns.names = [None, "penetration_class"]
    return out
