"""What every study shares: notes on parts not shown, the results' repr, the customer totals."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TypeVar

import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError
from portfolio_lib.engine.aggregate import Aggregates, _same_customers, window_totals

__all__ = ["Note", "StudyNote", "StudyResult", "attempt", "customer_totals", "describe_value"]

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
    ``margin``, ``orders`` and ``active`` of :func:`portfolio_lib.engine.aggregate.window_totals`,
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
    if _same_customers(totals.index, attributes["customer_id"]):  # the Aggregates invariant
        return attributes.assign(**{name: totals[name].to_numpy() for name in totals.columns})
    return attributes.join(totals, on="customer_id")
