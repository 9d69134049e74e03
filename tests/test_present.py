"""Notebook presentation: formatted tables, messages and recorded figures."""

from __future__ import annotations

import subprocess
import sys
import warnings

import nbformat
import numpy as np
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

import portfolio_lib.metrics.balance  # noqa: F401  (registers the ABC labels)
from portfolio_lib import DataQualityWarning, PortfolioDataError, load_transactions
from portfolio_lib.metrics.alerts import alerts_by_rep
from portfolio_lib.metrics.clv import simple_clv
from portfolio_lib.metrics.costs import ltv_to_cac
from portfolio_lib.ui.present import (
    RECORD_MIME,
    format_table,
    read_records,
    record,
    show_message,
    show_table,
    warnings_shown,
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


def test_format_table_by_column_meaning_on_real_tables():
    # The example of alerts_by_rep: counts per rep, formatted as counts, not euros.
    alerts = pd.DataFrame(
        {
            "sales_rep": ["Léa", "Marc", "Léa"],
            "revenue_drop": [True, False, True],
            "overdue": [False, True, True],
            "top_at_risk": [False, False, True],
            "revenue_change": [-0.5, np.nan, -0.4],
            "revenue_at_risk": [1000.0, 400.0, 2500.0],
        }
    )
    by_rep = format_table(alerts_by_rep(alerts), lang="en")
    assert by_rep.iloc[0].tolist() == ["Léa", "2", "1", "1", "2", "€3,500"]
    flags = format_table(alerts, lang="fr")
    assert flags.iloc[:, 1].tolist() == ["Oui", "Non", "Oui"]  # revenue_drop per customer
    assert flags.iloc[:, 4].tolist() == [f"-50,0{NB}%", "–", f"-40,0{NB}%"]
    # Simple CLV: churn 25 % as a percentage; 3 000 / 1 000 = 3.00 as a ratio.
    totals = pd.DataFrame({"customer_id": ["a"], "revenue": [1000.0], "orders": [2]})
    clv = format_table(simple_clv(totals, annual_churn=0.25), lang="en")
    assert clv.loc[0, "Annual churn rate"] == "25.0%"
    ratio = format_table(ltv_to_cac(pd.Series({"Web": 3000.0}), 1000.0).to_frame(), lang="en")
    assert ratio.iloc[0].tolist() == ["Web", "3.00"]
    # Potential gap in euros; a boolean with a missing value after a reindex.
    other = pd.DataFrame({"gap": [41_000.0], "vivier": pd.Series([None], dtype=object)})
    other.loc[1] = [5.0, True]
    assert format_table(other, lang="en").to_numpy().tolist() == [["€41,000", "–"], ["€5", "Yes"]]


def test_show_table_right_aligns_numbers_not_flags():
    frame = pd.DataFrame({"revenue": [1.0], "complete_history": [True]})
    html = show_table(frame, lang="en").to_html()
    assert html.count("text-align: right") == 1 and "Yes" in html


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


def test_sheet_names_columns_and_notes_come_with_the_analysis_modules():
    # A fresh interpreter importing the package only (as the app does), no chart module: the
    # sheet names and notes of the notebooks are translated all the same.
    code = (
        "import sys, portfolio_lib\n"
        "from portfolio_lib.i18n import label\n"
        "assert not any(m.startswith('portfolio_lib.plots') for m in sys.modules)\n"
        "keys = ['rfm_customers', 'rfm_summary', 'rfm_needs_5_bins', 'alerts_summary',\n"
        "        'no_alerts', 'costs_filters_ignored', 'clv_retention']\n"
        "print('|'.join(label(k, 'fr') for k in keys))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    texts = result.stdout.strip().split("|")
    assert texts[:2] == ["Clients par segment", "Synthèse des segments"]
    assert texts[2].startswith("Les segments nommés utilisent la grille R x F")
    assert texts[3:5] == ["Synthèse par commercial", "Aucun client en alerte avec ces seuils"]
    assert texts[5].startswith("Les dépenses ne sont pas réparties par commercial")
    assert texts[6] == "CLV par rétention (actualisée)"  # a column of notebook 06's table


def _published_notes():
    shell = InteractiveShell.instance()
    published = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: published.append(data)
    return published


def test_warnings_shown_turns_data_warnings_into_notes(tmp_path):
    published = _published_notes()
    csv = tmp_path / "ventes.csv"
    # Row 3 repeats row 2 (spreadsheet numbering, header on row 1).
    csv.write_text(
        "customer_id,date,amount\nC1,2025-01-10,100\nC1,2025-01-10,100\nC2,2025-02-01,50\n",
        encoding="utf-8",
    )
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        with warnings_shown(lang="fr"):
            loaded = load_transactions(csv)
            duplicate = DataQualityWarning("duplicate_rows", file="b.csv", count=1, rows=[7])
            warnings.warn(duplicate, stacklevel=1)
    assert len(loaded) == 3  # the duplicate is kept
    assert leaked == []  # nothing reaches stderr
    notes = [data["text/markdown"] for data in published]
    assert len(notes) == 2 and all(n.startswith("> **Attention**") for n in notes)
    assert "ventes.csv: 1 ligne(s) sont des copies exactes" in notes[0] and "ligne 3" in notes[0]
    assert "b.csv" in notes[1] and "ligne 7" in notes[1]


def test_warnings_shown_lets_other_warnings_and_errors_through():
    published = _published_notes()
    with pytest.warns(RuntimeWarning, match="not a data problem"), warnings_shown(lang="en"):
        warnings.warn("not a data problem", RuntimeWarning, stacklevel=1)
    assert published == []
    # The error propagates, the warning is shown.
    with pytest.raises(PortfolioDataError), warnings_shown(lang="en"):
        warnings.warn(DataQualityWarning("unused_cost_channels", examples=["Salon"]), stacklevel=1)
        raise PortfolioDataError("no_costs", analysis="CAC/CRC")
    assert len(published) == 1 and "'Salon'" in published[0]["text/markdown"]
