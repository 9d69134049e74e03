"""prepare(): notebook parameters to an aggregated, optionally filtered portfolio."""

from __future__ import annotations

import pandas as pd
import pytest

from portfolio_lib import PortfolioDataError
from portfolio_lib.engine.prepare import as_list, prepare


def test_as_list():
    assert as_list("") == [] and as_list(None) == []
    assert as_list("Julie Petit") == ["Julie Petit"]
    assert as_list("PME; ETI ;") == ["PME", "ETI"]
    assert as_list(["A", "B"]) == ["A", "B"]


def test_relative_sample_paths_and_filters(sample_aggregates):
    prepared = prepare(
        "data/sample/transactions.csv",
        "data/sample/customers.csv",
        "",
        sales_rep="Julie Petit",
        segment="PME; ETI",
    )
    assert prepared.costs is None
    pd.testing.assert_frame_equal(prepared.full.customers, sample_aggregates.customers)
    customers = prepared.agg.customers
    expected = sample_aggregates.customers.query(
        "sales_rep == 'Julie Petit' and segment in ['PME', 'ETI']"
    )
    assert customers["customer_id"].tolist() == expected["customer_id"].tolist()
    assert prepared.filters == {"sales_rep": ["Julie Petit"], "segment": ["PME", "ETI"]}


def test_as_of_and_dataframes():
    tx = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": ["2025-01-10", "2025-03-01"], "amount": [5.0, 7.0]}
    )
    prepared = prepare(tx, as_of="2025-02-28")
    assert prepared.agg is prepared.full
    assert prepared.agg.customers["customer_id"].tolist() == ["a"]


def test_filter_errors_are_clear():
    tx = pd.DataFrame({"customer_id": ["a"], "date": ["2025-01-10"], "amount": [5.0]})
    with pytest.raises(PortfolioDataError) as info:
        prepare(tx, sales_rep="Léa")
    assert info.value.code == "missing_attribute" and "sales_rep" in str(info.value)
    customers = pd.DataFrame({"customer_id": ["a"], "sales_rep": ["Marc"]})
    with pytest.raises(PortfolioDataError) as info:
        prepare(tx, customers, sales_rep="Léa")
    assert info.value.code == "no_match"
    assert "Léa" in str(info.value) and "Marc" in str(info.value)
    assert "aucun client" in info.value.text("fr")
