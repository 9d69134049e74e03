"""What every study shares: notes on parts not shown, the results' repr, the customer totals,
the window's totals and the portfolio's annual churn and simple CLV (costs and CLV studies)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TypeVar

import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.engine.tables import same_customers, views, window_arrays, window_totals
from portfolio_lib.metrics.clv import simple_clv
from portfolio_lib.metrics.movements import annual_churn

__all__ = [
    "Note",
    "StudyNote",
    "StudyResult",
    "annual_churn_or_note",
    "attempt",
    "customer_totals",
    "describe_value",
    "grouping_totals",
    "portfolio_simple_clv",
    "window_frame",
]

i18n.register(
    {
        "note_annual_churn_undefined": {
            "fr": "Aucun client n'était actif il y a 12 mois : le taux d'attrition annuel, donc "
            "la durée de vie de la CLV simple, n'est pas défini.",
            "en": "No customer was active 12 months ago: the annual churn rate, hence the "
            "lifetime of the simple CLV, is undefined.",
        },
    }
)

# --------------------------------------------------------------------------------------------
# Notes


@dataclass(frozen=True, eq=False)
class Note:
    """A remark on a part of a study that is not shown, for any language.

    Like :class:`~portfolio_lib.data.errors.PortfolioDataError`, ``text(lang)`` gives the French or
    English sentence and ``str()`` the English one, so front ends show both kinds alike.

    Parameters
    ----------
    key : str
        Label key of the sentence (:func:`portfolio_lib.i18n.label`), with ``{placeholders}``.
    details : mapping
        Values of the placeholders.
    """

    key: str
    details: Mapping[str, object] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        """The sentence in ``lang`` ('fr' or 'en')."""
        return i18n.label(self.key, lang).format(**self.details)

    def __str__(self) -> str:
        return self.text("en")

    def __repr__(self) -> str:
        return f"Note({self.key!r}, {dict(self.details)!r})"


#: What ``notes`` hold: catalogue errors and warnings of the data, or :class:`Note` remarks.
StudyNote = PortfolioDataError | DataQualityWarning | Note

_T = TypeVar("_T")


def attempt(notes: list[StudyNote], compute: Callable[[], _T]) -> _T | None:
    """``compute()``, or None with the error in ``notes`` when the data cannot support it."""
    try:
        return compute()
    except PortfolioDataError as error:
        notes.append(error)
        return None


def describe_value(value: object) -> str:
    if isinstance(value, pd.DataFrame):
        return f"DataFrame({value.shape[0]}x{value.shape[1]})"
    if isinstance(value, pd.Series):
        return f"Series({len(value)})"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k!r}: {describe_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple) and value and not isinstance(value[0], (int, float)):
        return f"({len(value)} items)"
    if isinstance(value, float):
        return f"{value:.6g}"
    return type(value).__name__ if hasattr(value, "__dataclass_fields__") else repr(value)


class StudyResult:
    """Readable repr for the study dataclasses (their frames are summarised, not printed)."""

    def __repr__(self) -> str:
        parts = (f"{f.name}={describe_value(getattr(self, f.name))}" for f in fields(self))
        return f"{type(self).__name__}({', '.join(parts)})"


# --------------------------------------------------------------------------------------------
# Shared intermediate results


def customer_totals(agg: Aggregates, *, window: int = DEFAULTS["activity_window"]) -> pd.DataFrame:
    """The customer table with its revenue, margin and orders over the last ``window`` months.

    The attributes of ``agg.customers`` (and the purchase summary) followed by ``revenue``,
    ``margin``, ``orders`` and ``active`` of :func:`portfolio_lib.engine.tables.window_totals`,
    which replace the all-time totals: what the balance and CLV analyses read as yearly
    figures. Explorers compute it once and pass it to the studies (``totals=``).

    Parameters
    ----------
    agg : Aggregates
    window : int, default 12
        Months of the window, ending with the last month of the data.

    Returns
    -------
    pandas.DataFrame
        One row per customer of ``agg.customers``, in its order, prospects included.
    """
    totals = window_totals(agg.monthly, agg.months, window=window)
    attributes = agg.customers.drop(columns=["revenue", "margin", "orders"])
    if same_customers(totals.index, attributes["customer_id"]):  # the Aggregates invariant
        return attributes.assign(**{name: totals[name].to_numpy() for name in totals.columns})
    return attributes.join(totals, on="customer_id")


def window_frame(agg: Aggregates, window: int, names: Sequence[str]) -> pd.DataFrame:
    """Columns ``names`` of :func:`~portfolio_lib.engine.tables.window_totals` for a reader of
    their values only (not the index, not the dtype of orders): the table's kept arrays, no
    copy. Margin is left out when the log has none (unknown either way)."""
    _, arrays = window_arrays(agg.monthly, agg.months, window=window)
    if not views(agg.monthly).has_values("margin"):
        names = [name for name in names if name != "margin"]
    return pd.DataFrame({name: arrays[name] for name in names}, copy=False)


def grouping_totals(agg: Aggregates, window: int, attributes: Sequence[str]) -> pd.DataFrame:
    """What the simple CLVs by group read of ``customer_totals(agg, window=window)``: the
    window's revenue, orders and margin (:func:`window_frame`) and the customers'
    ``attributes``. ``customer_totals`` itself when an attribute is missing (its error lists
    the table's columns) or the customers are not the monthly table's."""
    customers = agg.customers
    index, _ = window_arrays(agg.monthly, agg.months, window=window)
    if any(name not in customers.columns for name in attributes) or not same_customers(
        index, customers["customer_id"]
    ):
        return customer_totals(agg, window=window)
    frame = window_frame(agg, window, ["revenue", "orders", "margin"])
    for name in dict.fromkeys(attributes):
        frame[name] = customers[name].array
    return frame


def annual_churn_or_note(
    agg: Aggregates, activity_window: int, notes: list[StudyNote]
) -> float | None:
    """The portfolio's :func:`~portfolio_lib.metrics.movements.annual_churn`, or None with the
    reason in ``notes``: history shorter than 13 months (``history_too_short``), or nobody
    active 12 months ago (the rate is undefined)."""
    churn = attempt(
        notes, lambda: annual_churn(agg.monthly, months=agg.months, activity_window=activity_window)
    )
    if churn is not None and not churn >= 0:  # NaN: nobody to lose a year ago
        notes.append(Note("note_annual_churn_undefined"))
        return None
    return churn


def portfolio_simple_clv(
    agg: Aggregates, window: int, churn: float, max_lifetime_years: float
) -> pd.DataFrame:
    """:func:`~portfolio_lib.metrics.clv.simple_clv` of the whole portfolio's totals over the
    last ``window`` months (row ``"total"``): the costs study's LTV, the CLV study's total."""
    return simple_clv(
        window_frame(agg, window, ["revenue", "orders", "margin"]),
        annual_churn=churn,
        max_lifetime_years=max_lifetime_years,
    )
