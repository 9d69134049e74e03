"""French and English labels, number, currency, percent and date formats.

Analysis modules register the labels of the columns they produce with :func:`register`;
charts, tables and exports translate with :func:`label` and format with the ``format_*``
functions, so one ``lang`` parameter switches a whole report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

__all__ = [
    "LANGS",
    "format_currency",
    "format_number",
    "format_percent",
    "label",
    "labels",
    "month_label",
    "period_name",
    "register",
    "translate_columns",
]

LANGS = ("fr", "en")
_NBSP = "\u00a0"  # French thousands separator and space before € and %; encodable in cp1252

_LABELS: dict[str, dict[str, str]] = {
    # Canonical data columns
    "customer_id": {"fr": "Code client", "en": "Customer id"},
    "date": {"fr": "Date", "en": "Date"},
    "amount": {"fr": "Montant HT", "en": "Amount"},
    "order_id": {"fr": "N° de commande", "en": "Order id"},
    "margin": {"fr": "Marge brute", "en": "Gross margin"},
    "product": {"fr": "Produit", "en": "Product"},
    "channel": {"fr": "Canal", "en": "Channel"},
    "name": {"fr": "Client", "en": "Customer"},
    "sales_rep": {"fr": "Commercial", "en": "Sales rep"},
    "segment": {"fr": "Segment", "en": "Segment"},
    "region": {"fr": "Région", "en": "Region"},
    "acquisition_date": {"fr": "Date d'acquisition", "en": "Acquisition date"},
    "acquisition_channel": {"fr": "Canal d'acquisition", "en": "Acquisition channel"},
    "potential": {"fr": "Potentiel annuel", "en": "Yearly potential"},
    "relationship_quality": {"fr": "Qualité de la relation", "en": "Relationship quality"},
    "period": {"fr": "Période", "en": "Period"},
    "kind": {"fr": "Type", "en": "Kind"},
    # Aggregated tables
    "first_purchase": {"fr": "Premier achat", "en": "First purchase"},
    "last_purchase": {"fr": "Dernier achat", "en": "Last purchase"},
    "revenue": {"fr": "Chiffre d'affaires", "en": "Revenue"},
    "orders": {"fr": "Commandes", "en": "Orders"},
    "frequency": {"fr": "Achats répétés", "en": "Repeat purchases"},
    "recency": {"fr": "Âge au dernier achat (j)", "en": "Age at last purchase (days)"},
    "T": {"fr": "Ancienneté client (j)", "en": "Customer age (days)"},
    "monetary_value": {"fr": "Panier moyen (achats répétés)", "en": "Average repeat spend"},
    "month": {"fr": "Mois", "en": "Month"},
    "active": {"fr": "Actif", "en": "Active"},
    "customers": {"fr": "Clients", "en": "Customers"},
    "share": {"fr": "Part", "en": "Share"},
    # Periods
    "quarter": {"fr": "Trimestre", "en": "Quarter"},
    "year": {"fr": "Année", "en": "Year"},
    "total": {"fr": "Total", "en": "Total"},
    "other": {"fr": "Autres", "en": "Other"},
    "unknown": {"fr": "Non renseigné", "en": "Not specified"},
}

_MONTHS = {
    "fr": (
        "janv.", "févr.", "mars", "avr.", "mai", "juin",
        "juil.", "août", "sept.", "oct.", "nov.", "déc.",
    ),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}  # fmt: skip


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be 'fr' or 'en', got {lang!r}")
    return lang


def register(entries: Mapping[str, Mapping[str, str]]) -> None:
    """Add labels (``{key: {"fr": ..., "en": ...}}``); analysis modules call it on import."""
    for key, texts in entries.items():
        missing = set(LANGS) - set(texts)
        if missing:
            raise ValueError(f"label {key!r} lacks {sorted(missing)}")
        # One key, one meaning: modules may register a shared key only with the same texts.
        known = _LABELS.get(key)
        if known is not None and any(known[lang] != texts[lang] for lang in LANGS):
            raise ValueError(f"label {key!r} already means {known}, not {dict(texts)}")
        _LABELS[key] = {lang: texts[lang] for lang in LANGS}


def label(key: str, lang: str = "fr") -> str:
    """The label of ``key`` in ``lang``; unknown keys come back readable ("top_10" -> "Top 10").

    Examples
    --------
    >>> label("revenue", "fr"), label("revenue", "en"), label("days_since_x", "en")
    ("Chiffre d'affaires", 'Revenue', 'Days since x')
    """
    _lang(lang)
    texts = _LABELS.get(str(key))
    if texts is None:
        text = str(key).replace("_", " ")
        return text[:1].upper() + text[1:]
    return texts[lang]


def labels(lang: str = "fr") -> dict[str, str]:
    """Every registered key with its label in ``lang``."""
    _lang(lang)
    return {key: texts[lang] for key, texts in _LABELS.items()}


def translate_columns(frame: pd.DataFrame, lang: str = "fr") -> pd.DataFrame:
    """A copy of ``frame`` with its column (and index) names translated, for display/export."""
    out = frame.rename(columns=lambda c: label(c, lang) if isinstance(c, str) else c)
    if out.index.name:
        out.index = out.index.rename(label(out.index.name, lang))
    return out


def _grouped(value: float, decimals: int, lang: str) -> str:
    text = f"{abs(value):,.{decimals}f}"
    if lang == "fr":
        text = text.replace(",", _NBSP).replace(".", ",")
    negative = value < 0 and round(abs(value), decimals) > 0  # no "-0"
    return ("-" if negative else "") + text


def format_number(value: float | None, lang: str = "fr", *, decimals: int = 0) -> str:
    """1 234 567 (fr) or 1,234,567 (en); missing values as an en dash.

    Examples
    --------
    >>> format_number(-1234.5, "fr", decimals=1), format_number(1234.5, "en")
    ('-1\\xa0234,5', '1,234')
    """
    _lang(lang)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return _grouped(float(value), decimals, lang)


def format_currency(
    value: float | None, lang: str = "fr", *, decimals: int = 0, compact: bool = False
) -> str:
    """Euros: 1 234 € / €1,234; compact: 1,2 M€ / €1.2M, 35 k€ / €35k.

    Examples
    --------
    >>> format_currency(1_250_000, "fr", compact=True), format_currency(1_250_000, "en", compact=True)
    ('1,2\\xa0M€', '€1.2M')
    >>> format_currency(-35_400, "en", compact=True)
    '-€35k'
    """
    _lang(lang)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    suffix = ""
    if compact:
        for threshold, fr_unit, en_unit in ((1e9, "Md", "bn"), (1e6, "M", "M"), (1e3, "k", "k")):
            if abs(value) >= threshold:
                value /= threshold
                suffix = fr_unit if lang == "fr" else en_unit
                decimals = 1 if abs(value) < 10 else 0
                break
    sign = "-" if value < 0 and round(abs(value), decimals) > 0 else ""
    number = _grouped(abs(value), decimals, lang)
    if lang == "fr":
        return f"{sign}{number}{_NBSP}{suffix}€"
    return f"{sign}€{number}{suffix}"


def format_percent(value: float | None, lang: str = "fr", *, decimals: int = 1) -> str:
    """A share (0.125) as 12,5 % (fr) or 12.5% (en).

    Examples
    --------
    >>> format_percent(0.125, "fr"), format_percent(0.125, "en", decimals=0)
    ('12,5\\xa0%', '12%')
    """
    _lang(lang)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    number = _grouped(float(value) * 100, decimals, lang)
    return f"{number}{_NBSP}%" if lang == "fr" else f"{number}%"


def month_label(month: pd.Timestamp, lang: str = "fr") -> str:
    """janv. 2025 (fr) or Jan 2025 (en)."""
    return f"{_MONTHS[_lang(lang)][month.month - 1]} {month.year}"


def period_name(month: pd.Timestamp, period: str = "month", lang: str = "fr") -> str:
    """Readable name of the period ending at ``month``: janv. 2025, T1 2025 / Q1 2025, 2025."""
    _lang(lang)
    if period == "month":
        return month_label(month, lang)
    if period == "quarter":
        return f"{'T' if lang == 'fr' else 'Q'}{month.quarter} {month.year}"
    if period == "year":
        return str(month.year)
    raise ValueError(f"period must be month, quarter or year, got {period!r}")
