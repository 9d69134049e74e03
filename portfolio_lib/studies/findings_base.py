"""What the findings of every study share: :class:`Finding` and the numbers written the French
or English way (money, shares, counts), with the sentence lookup :func:`say`."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.studies import findings_texts  # noqa: F401  (registers the sentences)

__all__ = [
    "Finding",
    "customer_name",
    "decimal",
    "finite",
    "group_name",
    "integer",
    "listing",
    "money",
    "percent",
    "period_label",
    "ranked",
    "say",
    "signed",
    "threshold_text",
]


@dataclass(frozen=True)
class Finding:
    """One key finding of a study.

    Attributes
    ----------
    study : str
        'overview', 'weight', 'movements', 'costs', 'balance', 'rfm', 'clv' or 'alerts'.
    key : str
        The fact it states (e.g. 'dependence', 'vivier'); the same fact has the same key in
        every study.
    text : str
        The sentence, in the language asked for; plain text (escape it in HTML).
    importance : float
        0 to 1: how much a consultant should see it first.
    figures : mapping
        The numbers (and names) the sentence quotes, unformatted.
    """

    study: str
    key: str
    text: str
    importance: float
    # Not hashed (a dict): findings hash by their other fields.
    figures: Mapping[str, object] = field(default_factory=dict, hash=False)

    def as_record(self) -> dict:
        """The five fields as a plain JSON-able dict (numbers as int/float, NaN as None)."""
        return {
            "study": self.study,
            "key": self.key,
            "text": self.text,
            "importance": float(self.importance),
            "figures": {str(k): _plain(v) for k, v in self.figures.items()},
        }


def _plain(value: object) -> object:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


# --------------------------------------------------------------------------------------------
# Formatting: the numbers as a consultant writes them


def money(value: float, lang: str) -> str:
    """1 420 € below 10 k€, compact above with three significant digits at most: 35,9 k€,
    857 k€, 70,7 M€, 127 M€ (fr); €35.9k, €857k, €70.7M, €127M (en)."""
    value = float(value)
    for size, fr_unit, en_unit in ((1e9, "Md", "bn"), (1e6, "M", "M"), (1e4, "k", "k")):
        if abs(value) >= size:
            scaled = value / (1e3 if size == 1e4 else size)
            number = i18n.format_number(abs(scaled), lang, decimals=0 if abs(scaled) >= 100 else 1)
            sign = "-" if value < 0 else ""
            unit = fr_unit if lang == "fr" else en_unit
            return f"{sign}{number}\u00a0{unit}€" if lang == "fr" else f"{sign}€{number}{unit}"
    return i18n.format_currency(value, lang)


def percent(value: float, lang: str, decimals: int = 1) -> str:
    return i18n.format_percent(value, lang, decimals=decimals)


def signed(value: float, lang: str) -> str:
    """A relative change with its sign: +32,4 % / -14.0%."""
    return ("+" if value > 0 else "") + percent(value, lang)


def threshold_text(value: float, lang: str) -> str:
    """A threshold share as set: 15 % rather than 15,0 %."""
    whole = round(value * 100) == round(value * 100, 6)
    return percent(value, lang, decimals=0 if whole else 1)


def integer(value: float, lang: str) -> str:
    return i18n.format_number(value, lang)


def decimal(value: float, lang: str, decimals: int = 1) -> str:
    return i18n.format_number(value, lang, decimals=decimals)


def listing(items: Sequence[str], lang: str) -> str:
    """ "A, B et C" / "A, B and C"."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {i18n.label('finding_and', lang)} {items[-1]}"


def group_name(value: object, lang: str) -> str:
    """A group's name as the data spell it; the library's own groups ('unknown') translated."""
    text = str(value)
    return i18n.label(text, lang) if text in ("unknown", "other") else text


def say(
    study: str,
    key: str,
    importance: float,
    lang: str,
    figures: Mapping[str, object],
    *,
    variant: str | None = None,
    **shown: str,
) -> Finding:
    """The finding whose sentence is the label ``finding_<study>_<variant or key>``."""
    text = i18n.label(f"finding_{study}_{variant or key}", lang).format(**shown)
    return Finding(study, key, text, float(min(max(importance, 0.0), 1.0)), dict(figures))


def finite(*values: object) -> bool:
    return all(v is not None and not pd.isna(v) for v in values)


def ranked(found: list[Finding]) -> list[Finding]:
    return sorted(found, key=lambda f: f.importance, reverse=True)


def period_label(start: pd.Timestamp, end: pd.Timestamp, lang: str) -> str:
    """A period of the tables by its name: 2025, T3 2025 / Q3 2025, déc. 2025."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    period = {12: "year", 3: "quarter"}.get(months, "month")
    return i18n.period_name(pd.Timestamp(end), period, lang)


def customer_name(row: pd.Series) -> str:
    name = row.get("name")
    return str(row["customer_id"]) if name is None or pd.isna(name) else str(name)
