"""Product mix: the engine's customer x product totals, mix, wallet shares and cross-sell on a
hand-computed log (window: the 12 months of 2025).

====  =======  ====================================================  ===========
cust  segment  2025 revenue by family                                 bought 2024
====  =======  ====================================================  ===========
a     S        P1 100, P2 50                                          P3 1000
b     S        P1 200, P2 60 + 40 (two orders), P3 40
c     S        P1 60
d     T        P1 30, P3 -10 (a credit note: not a purchase of P3)
====  =======  ====================================================  ===========
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.engine.aggregate import aggregate, product_totals
from portfolio_lib.metrics.products import cross_sell, product_mix, wallet_shares
from portfolio_lib.studies.products import product_study


@pytest.fixture(scope="module")
def log():
    rows = [
        ("a", "2024-05-02", 1000.0, "P3", "F0"),
        ("a", "2025-02-03", 100.0, "P1", "F1"), ("a", "2025-02-03", 50.0, "P2", "F1"),
        ("b", "2025-03-10", 200.0, "P1", "F2"), ("b", "2025-03-10", 60.0, "P2", "F2"),
        ("b", "2025-06-11", 40.0, "P2", "F3"), ("b", "2025-06-11", 40.0, "P3", "F3"),
        ("c", "2025-09-01", 60.0, "P1", "F4"),
        ("d", "2025-04-04", 30.0, "P1", "F5"), ("d", "2025-12-31", -10.0, "P3", "AV1"),
    ]  # fmt: skip
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "product", "order_id"])
    tx["date"] = pd.to_datetime(tx["date"])
    customers = pd.DataFrame({"customer_id": list("abcd"), "segment": ["S", "S", "S", "T"]})
    return tx, aggregate(tx, customers)


def test_product_totals_over_the_window(log):
    tx, agg = log
    got = product_totals(tx, as_of=agg.as_of)
    assert list(zip(got["customer_id"], got["product"], strict=True)) == [
        ("a", "P1"), ("a", "P2"), ("b", "P1"), ("b", "P2"), ("b", "P3"), ("c", "P1"),
        ("d", "P1"), ("d", "P3"),
    ]  # fmt: skip
    np.testing.assert_allclose(got["revenue"], [100, 50, 200, 100, 40, 60, 30, -10])
    assert got["orders"].tolist() == [1, 1, 1, 2, 1, 1, 1, 0]
    # Two years of window: a's P3 of 2024 is in.
    assert product_totals(tx, as_of=agg.as_of, window=24)["revenue"].iloc[2] == 1000.0
    with pytest.raises(PortfolioDataError, match="product"):
        product_totals(tx.drop(columns="product"), as_of=agg.as_of)


def test_mix_wallet_and_cross_sell_by_hand(log):
    tx, agg = log
    products = product_totals(tx, as_of=agg.as_of)
    segments = pd.Series({"a": "S", "b": "S", "c": "S", "d": "T"})
    mix = product_mix(products, segments)
    s = mix[mix["group"] == "S"].set_index("product")
    np.testing.assert_allclose(s["revenue"], [360, 150, 40])
    np.testing.assert_allclose(s["revenue_share"], np.array([360, 150, 40]) / 550)
    np.testing.assert_allclose(s["penetration_rate"], [1, 2 / 3, 1 / 3])
    t = mix[mix["group"] == "T"]
    assert t["product"].tolist() == ["P1"] and t["penetration_rate"].tolist() == [1.0]
    wallet = wallet_shares(products)
    np.testing.assert_allclose(wallet.loc["b", ["P1", "P2", "P3"]], np.array([200, 100, 40]) / 340)
    assert wallet["families"].tolist() == [2, 3, 1, 1]
    assert wallet.loc["a", "top_share"] == pytest.approx(2 / 3)
    # S's peer families: P1, P2, P3. c misses P2 (median of a 50, b 100) and P3 (b 40).
    got = cross_sell(products, segments, top_families=3)
    assert got[["customer_id", "bought", "missing", "families"]].values.tolist() == [
        ["c", "P1", "P2, P3", 1],
        ["a", "P1, P2", "P3", 2],
    ]
    np.testing.assert_allclose(got["potential"], [75 + 40, 40])


def test_product_study_and_its_finding(log):
    from portfolio_lib.plots.products import plot_product_mix
    from portfolio_lib.studies.findings import findings

    tx, agg = log
    study = product_study(agg, product_totals(tx, as_of=agg.as_of))
    assert study.cross_sell["customer_id"].tolist() == ["c", "a"]
    assert study.by_tier["group"].tolist()[:1] == [1]
    (found,) = findings(study, lang="en")
    assert found.text == (
        "2 active customers buy only some of the 3 families their peers of the same segment "
        "buy most: a cross-selling potential of €155 (the peers' median purchase), 2 of "
        "them in S."
    )
    ax = plot_product_mix(study.by_segment, lang="en")
    widths = [bar.get_width() for bar in ax.containers[0]]  # P1, the largest family first
    np.testing.assert_allclose(widths, [360 / 550, 1.0])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["S", "T"]
