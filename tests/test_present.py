"""Notebook presentation: formatted tables, messages and recorded figures."""

from __future__ import annotations

import nbformat
import pandas as pd
from IPython.core.interactiveshell import InteractiveShell

import portfolio_lib.balance  # noqa: F401  (registers the ABC labels)
from portfolio_lib import PortfolioDataError
from portfolio_lib.present import (
    RECORD_MIME,
    format_table,
    read_records,
    record,
    show_message,
    show_table,
)

NB = "\u00a0"


def test_format_table_translates_and_formats_by_column_meaning():
    frame = pd.DataFrame(
        {
            "segment": ["PME", "ETI"],
            "revenue": [1234567.4, 89.0],
            "revenue_share": [0.93, 0.07],
            "orders": [12, 3],
            "abc": ["A", "C"],
        }
    )
    fr = format_table(frame, lang="fr")
    assert list(fr.columns) == [
        "Segment",
        "Chiffre d'affaires",
        "Part du CA",
        "Commandes",
        "Classe ABC",
    ] or list(fr.columns)[:2] == ["Segment", "Chiffre d'affaires"]
    assert fr.iloc[0, 1] == f"1{NB}234{NB}567{NB}€"
    assert fr.iloc[0, 2] == f"93,0{NB}%"
    assert fr.iloc[1, 3] == "3"
    en = format_table(frame, lang="en", formats={"orders": "number"})
    assert en.iloc[0, 1] == "€1,234,567" and en.iloc[1, 3] == "3.00"
    indexed = format_table(frame.set_index("segment"), lang="en")
    assert list(indexed.columns)[0] == "Segment" and indexed.iloc[1, 0] == "ETI"


def test_show_table_returns_a_styler_with_translated_headers():
    frame = pd.DataFrame({"revenue": [10.0, 20.0], "segment": ["a", "b"]})
    html = show_table(frame, lang="en", caption="Top").to_html()
    assert "Revenue" in html and "€20" in html and "Top" in html


def test_record_and_read_back(capsys):
    shell = InteractiveShell.instance()
    published = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: published.append(data)
    record(
        customers=2000,
        revenue=pd.Series([1.5]).sum(),
        share=float("nan"),
        when=pd.Timestamp("2025-12-30"),
    )
    assert published == [
        {
            RECORD_MIME: {
                "customers": 2000,
                "revenue": 1.5,
                "share": None,
                "when": "2025-12-30T00:00:00",
            }
        }
    ]
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("record(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data=published[0])]
    nb.cells.append(cell)
    assert read_records(nb) == {
        "customers": 2000,
        "revenue": 1.5,
        "share": None,
        "when": "2025-12-30T00:00:00",
    }


def test_show_message_in_the_reader_language():
    shell = InteractiveShell.instance()
    published = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: published.append(data)
    show_message(PortfolioDataError("no_costs", analysis="CAC/CRC"), lang="fr")
    text = published[-1]["text/markdown"]
    assert "pas de table de coûts" in text and text.startswith("> **Attention**")
