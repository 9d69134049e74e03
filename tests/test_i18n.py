"""Labels and French/English number formats."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from portfolio_lib import i18n

NB = "\u00a0"


def test_labels_in_both_languages_and_readable_fallback():
    assert i18n.label("revenue", "fr") == "Chiffre d'affaires"
    assert i18n.label("sales_rep", "en") == "Sales rep"
    assert i18n.label("unregistered_top_3", "en") == "Unregistered top 3"
    with pytest.raises(ValueError, match="'fr' or 'en'"):
        i18n.label("revenue", "de")


def test_register_requires_both_languages():
    i18n.register({"test_only_key": {"fr": "Clé", "en": "Key"}})
    assert i18n.labels("fr")["test_only_key"] == "Clé"
    with pytest.raises(ValueError, match="lacks"):
        i18n.register({"half": {"fr": "Moitié"}})


def test_translate_columns():
    frame = pd.DataFrame({"revenue": [1.0], "custom": [2]}).rename_axis("segment")
    out = i18n.translate_columns(frame, "fr")
    assert list(out.columns) == ["Chiffre d'affaires", "Custom"]
    assert out.index.name == "Segment"


@pytest.mark.parametrize(
    ("value", "lang", "kwargs", "expected"),
    [
        (1234567.891, "fr", {}, f"1{NB}234{NB}568"),
        (1234567.891, "en", {"decimals": 2}, "1,234,567.89"),
        (-0.4, "fr", {}, "0"),
        (-12.5, "fr", {"decimals": 1}, "-12,5"),
        (math.nan, "en", {}, "–"),
    ],
)
def test_format_number(value, lang, kwargs, expected):
    assert i18n.format_number(value, lang, **kwargs) == expected


@pytest.mark.parametrize(
    ("value", "lang", "kwargs", "expected"),
    [
        (1234.0, "fr", {}, f"1{NB}234{NB}€"),
        (1234.0, "en", {}, "€1,234"),
        (-1234.5, "en", {"decimals": 2}, "-€1,234.50"),
        (1_250_000, "fr", {"compact": True}, f"1,2{NB}M€"),
        (1_250_000, "en", {"compact": True}, "€1.2M"),
        (35_400, "fr", {"compact": True}, f"35{NB}k€"),
        (2.5e9, "en", {"compact": True}, "€2.5bn"),
        (999, "en", {"compact": True}, "€999"),
    ],
)
def test_format_currency(value, lang, kwargs, expected):
    assert i18n.format_currency(value, lang, **kwargs) == expected


def test_format_percent_and_dates():
    assert i18n.format_percent(0.1234, "fr") == f"12,3{NB}%"
    assert i18n.format_percent(0.1234, "en", decimals=0) == "12%"
    month = pd.Timestamp("2025-02-01")
    assert i18n.month_label(month, "fr") == "févr. 2025"
    assert i18n.period_name(month, "quarter", "fr") == "T1 2025"
    assert i18n.period_name(month, "quarter", "en") == "Q1 2025"
    assert i18n.period_name(month, "year", "en") == "2025"


def test_a_key_keeps_one_meaning():
    i18n.register({"test_same": {"fr": "Même", "en": "Same"}})
    i18n.register({"test_same": {"fr": "Même", "en": "Same"}})  # same texts: fine
    with pytest.raises(ValueError, match="already means"):
        i18n.register({"test_same": {"fr": "Autre", "en": "Same"}})
