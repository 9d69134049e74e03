"""Balance: Pareto, ABC, PMG, concentration, lifecycle and potential matrix.

(The hit-parade, the relationship quality and the course texts' rules added by issue 14 are in
``test_balance_texts.py``.)

Hand-computed examples (arithmetic in the comments), hypothesis properties, and facts of the
committed sample known from its generator.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from portfolio_lib import i18n
from portfolio_lib.config import SAMPLE_FILES
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.data.load import load_portfolio
from portfolio_lib.engine.aggregate import aggregate
from portfolio_lib.engine.tables import window_totals
from portfolio_lib.metrics.balance import (
    CLASS_ACTIONS,
    LEVELS,
    LIFECYCLE_ACTIONS,
    PHASE_ACTIONS,
    abc_classes,
    class_summary,
    concentration,
    dependence_alerts,
    lifecycle_phases,
    lifecycle_summary,
    lorenz_curve,
    pareto_share,
    pareto_table,
    pmg_classes,
    potential_matrix,
    potential_matrix_summary,
    window_revenue,
)
from portfolio_lib.metrics.common import descending_ranking


@pytest.fixture
def four():
    # Revenues 50, 30, 15, 5 (total 100), given out of order and with unsorted ids.
    return pd.DataFrame(
        {"customer_id": ["c1", "c2", "c3", "c4"], "revenue": [15.0, 50.0, 5.0, 30.0]}
    )


# --------------------------------------------------------------------------------------------
# Pareto and Lorenz


def test_pareto_table_by_hand(four):
    table = pareto_table(four)
    # Ranked 50 (c2), 30 (c4), 15 (c1), 5 (c3); shares /100; cumulative 50, 80, 95, 100 %.
    assert table["customer_id"].tolist() == ["c2", "c4", "c1", "c3"]
    assert table["rank"].tolist() == [1, 2, 3, 4]
    assert table["revenue"].tolist() == [50.0, 30.0, 15.0, 5.0]
    np.testing.assert_allclose(table["share"], [0.50, 0.30, 0.15, 0.05])
    np.testing.assert_allclose(table["cumulative_share"], [0.50, 0.80, 0.95, 1.00])
    np.testing.assert_allclose(table["customer_share"], [0.25, 0.50, 0.75, 1.00])


def test_pareto_ties_are_broken_by_customer_id_whatever_the_input_order():
    # b and a tie at 10: a comes first; same answer for sorted and unsorted inputs.
    unsorted = pd.DataFrame({"customer_id": ["b", "c", "a"], "revenue": [10.0, 5.0, 10.0]})
    ordered = unsorted.sort_values("customer_id")
    for frame in (unsorted, ordered, ordered.astype({"customer_id": object})):
        assert pareto_table(frame)["customer_id"].tolist() == ["a", "b", "c"]


def test_pareto_negative_values_and_index_ids():
    # Net revenues 60, 40, 0, -20: shares of the positive total 100 -> 0.6, 0.4, 0, -0.2;
    # the cumulative share ignores the credit (0.6, 1, 1, 1). Ids may be the index.
    frame = pd.DataFrame(
        {"revenue": [-20.0, 60.0, 0.0, 40.0]}, index=pd.Index(list("wxyz"), name="customer_id")
    )
    table = pareto_table(frame)
    assert table["customer_id"].tolist() == ["x", "z", "y", "w"]
    np.testing.assert_allclose(table["share"], [0.6, 0.4, 0.0, -0.2])
    np.testing.assert_allclose(table["cumulative_share"], [0.6, 1.0, 1.0, 1.0])


def test_lorenz_curve_by_hand(four):
    curve = lorenz_curve(four)
    # Ascending 5, 15, 30, 50: cumulative 5, 20, 50, 100 of 100.
    np.testing.assert_allclose(curve["customer_share"], [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(curve["revenue_share"], [0, 0.05, 0.20, 0.50, 1])
    # A credit (-10) counts as 0: ascending 0, 10, 30 -> 0, 0, 0.25, 1.
    credit = pd.DataFrame({"customer_id": list("abc"), "revenue": [30.0, -10.0, 10.0]})
    np.testing.assert_allclose(lorenz_curve(credit)["revenue_share"], [0, 0, 0.25, 1])
    nothing = pd.DataFrame({"customer_id": list("ab"), "revenue": [0.0, 0.0]})
    np.testing.assert_allclose(lorenz_curve(nothing)["revenue_share"], [0, 0.5, 1])


def test_pareto_share_by_hand(four):
    # 80 % is reached by the 2 largest (50 + 30) of 4 customers; 95 % by 3; 96 % needs all 4.
    assert pareto_share(four) == 0.5
    assert pareto_share(four, target=0.95) == 0.75
    assert pareto_share(four, target=0.96) == 1.0
    # A prospect with nothing counts as a customer: 2 of 5.
    with_prospect = pd.concat([four, pd.DataFrame({"customer_id": ["p"], "revenue": [0.0]})])
    assert pareto_share(with_prospect) == 0.4
    with pytest.raises(ValueError, match="target"):
        pareto_share(four, target=1.5)


# --------------------------------------------------------------------------------------------
# ABC and PMG


def test_abc_by_hand(four):
    classes = abc_classes(four)
    # Cumulative share before each customer: 0, 0.50, 0.80, 0.95 -> A (<0.8), A, B (<0.95), C.
    assert classes["customer_id"].tolist() == ["c2", "c4", "c1", "c3"]
    assert classes["abc"].tolist() == ["A", "A", "B", "C"]
    np.testing.assert_allclose(classes["cumulative_share"], [0.5, 0.8, 0.95, 1.0])


def test_abc_crossing_customer_is_a_and_largest_is_always_a():
    # 70, 20, 10: before = 0, 0.7, 0.9 -> A, A (crosses 80 % at 90 %), B.
    frame = pd.DataFrame({"customer_id": list("abc"), "revenue": [70.0, 20.0, 10.0]})
    assert abc_classes(frame)["abc"].tolist() == ["A", "A", "B"]
    # 90, 5, 5, 0, -5: before = 0, 0.9, 0.95 -> A, B, C; zero and negative -> C.
    frame = pd.DataFrame({"customer_id": list("abcde"), "revenue": [90.0, 5.0, 5.0, 0.0, -5.0]})
    assert abc_classes(frame)["abc"].tolist() == ["A", "B", "C", "C", "C"]
    # One customer holding everything.
    solo = pd.DataFrame({"customer_id": ["x"], "revenue": [1.0]})
    assert abc_classes(solo)["abc"].tolist() == ["A"]
    with pytest.raises(ValueError, match="a_cut"):
        abc_classes(frame, a_cut=0.9, b_cut=0.8)


def test_class_summary_by_hand(four):
    summary = class_summary(abc_classes(four))
    # A = c2 + c4 (80), B = c1 (15), C = c3 (5); customers 2, 1, 1 of 4.
    assert summary.index.tolist() == ["A", "B", "C"]
    assert summary["customers"].tolist() == [2, 1, 1]
    np.testing.assert_allclose(summary["customer_share"], [0.5, 0.25, 0.25])
    np.testing.assert_allclose(summary["revenue"], [80.0, 15.0, 5.0])
    np.testing.assert_allclose(summary["revenue_share"], [0.80, 0.15, 0.05])
    # An empty class is listed with zeros.
    solo = class_summary(abc_classes(pd.DataFrame({"customer_id": ["x"], "revenue": [1.0]})))
    assert solo["customers"].tolist() == [1, 0, 0]


@pytest.mark.parametrize(
    "revenue",
    [
        [0.1, 0.2, -0.0, 0.3, 1e16, -1e16, 7.0, -0.0],  # -0.0 and cancellations: read as is
        [0.1, np.nan, -0.0, 0.3, 1e16, -1e16, 7.0, 2.0],  # NaN: the 0.0 of _numbers
        [1, 2, 3, 4, 5, 6, 7, 8],  # integers: converted
    ],
)
def test_class_summary_equals_the_converted_values_summary(revenue):
    """A float64 column without NaN is summed as it is: the summary of its _numbers values."""
    from portfolio_lib.metrics.common import numbers as _numbers

    classes = pd.DataFrame(
        {
            "abc": pd.Categorical(list("ABACCBAC"), categories=list("ABC"), ordered=True),
            "revenue": revenue,
        }
    )
    values = pd.Series(_numbers(classes, "revenue", "test"))
    grouped = values.groupby(classes["abc"], observed=False, sort=True)
    expected = pd.DataFrame({"customers": grouped.size(), "revenue": grouped.sum()})
    expected.index.name = "abc"
    expected.insert(1, "customer_share", expected["customers"] / len(values))
    expected["revenue_share"] = expected["revenue"] / values.sum()
    expected["action"] = ["action_class_top", "action_class_middle", "action_class_small"]
    pd.testing.assert_frame_equal(class_summary(classes), expected, check_exact=True)


def test_pmg_with_quantiles_and_thresholds():
    frame = pd.DataFrame(
        {"customer_id": list("abcdef"), "revenue": [100.0, 200.0, 300.0, 400.0, 500.0, 0.0]}
    )
    # Quantiles of the positive values 100..500 (linear): q50 = 300, q80 = 400 + 0.2 x 100 = 420.
    # small < 300 <= medium < 420 <= large; 0 -> small.
    classes = pmg_classes(frame)
    assert classes.attrs["thresholds"] == pytest.approx((300.0, 420.0))
    assert classes["pmg"].tolist() == ["small", "small", "midsize", "midsize", "large", "small"]
    # Euro thresholds: medium from 150, large from 400 (a value equal to a threshold goes up).
    by_euros = pmg_classes(frame, thresholds=(150, 400))
    assert by_euros["pmg"].tolist() == ["small", "midsize", "midsize", "large", "large", "small"]
    summary = class_summary(by_euros, by="pmg")
    # small: a (100) + f (0); medium: 200 + 300; large: 400 + 500; total 1,500.
    assert summary["customers"].tolist() == [2, 2, 2]
    np.testing.assert_allclose(summary["revenue_share"], [100 / 1500, 500 / 1500, 900 / 1500])
    # Each class its action (texts 000 and 003): delegate the small, concentrate on the large.
    assert summary["action"].tolist() == [CLASS_ACTIONS[k] for k in ("small", "midsize", "large")]
    assert i18n.label("large", "fr") == "Grands clients"
    with pytest.raises(ValueError, match="medium_from"):
        pmg_classes(frame, thresholds=(500, 100))


# --------------------------------------------------------------------------------------------
# Concentration


def test_concentration_by_hand(four):
    figures = concentration(four)
    # HHI = 50² + 30² + 15² + 5² = 2,500 + 900 + 225 + 25 = 3,650.
    assert figures["hhi"] == pytest.approx(3650.0)
    # Gini, x ascending 5, 15, 30, 50: sum(i x_i) = 5 + 30 + 90 + 200 = 325;
    # G = 2 x 325 / (4 x 100) - 5/4 = 1.625 - 1.25 = 0.375.
    assert figures["gini"] == pytest.approx(0.375)
    assert figures["n_customers"] == 4
    assert figures["top_1_share"] == pytest.approx(0.50)
    assert figures["top_5_share"] == pytest.approx(1.0)  # only 4 customers
    assert figures["top_10_share"] == pytest.approx(1.0)
    assert figures["pareto_80_share"] == 0.5
    # Above 15 %: 50 % and 30 % (15 % is not above).
    assert figures["dependent_customers"] == 2
    # Prospects and credits do not change the figures (computed among buyers).
    more = pd.concat(
        [four, pd.DataFrame({"customer_id": ["p", "q"], "revenue": [0.0, -8.0]})],
        ignore_index=True,
    )
    pd.testing.assert_series_equal(concentration(more), figures)


def test_gini_equals_one_minus_twice_the_area_under_the_lorenz_curve():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"customer_id": range(500), "revenue": rng.lognormal(8, 1.5, 500)})
    curve = lorenz_curve(frame)
    # Trapezoids under the curve, an independent way to the Gini index.
    x, y = curve["customer_share"].to_numpy(), curve["revenue_share"].to_numpy()
    area = np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2)
    assert concentration(frame)["gini"] == pytest.approx(1 - 2 * area, abs=1e-12)


def test_dependence_alerts_by_hand():
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "name": ["Alpha", "Beta", "Gamma"],
            "revenue": [20.0, 70.0, 10.0],
        }
    )
    alerts = dependence_alerts(frame)
    # Shares 0.2, 0.7, 0.1: b then a are above 15 %.
    assert alerts["customer_id"].tolist() == ["b", "a"]
    assert alerts["name"].tolist() == ["Beta", "Alpha"]
    np.testing.assert_allclose(alerts["share"], [0.7, 0.2])
    assert dependence_alerts(frame, dependence_alert=0.8).empty


# --------------------------------------------------------------------------------------------
# Lifecycle


def _tx(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


@pytest.fixture
def lifecycle_agg():
    # as_of 31/12/2025: recent window = 2025, previous window = 2024 (12 months each).
    return aggregate(
        _tx(
            [
                ("grow", "2023-03-10", 40.0),  # tenure 2025-12 vs 2023-03 = 33 months
                ("grow", "2024-05-10", 100.0),
                ("grow", "2025-05-10", 150.0),  # 150 / 100 - 1 = +0.50 > 0.10: adolescence
                ("flat", "2023-01-10", 10.0),
                ("flat", "2024-02-10", 100.0),
                ("flat", "2025-02-10", 105.0),  # +0.05: adulthood
                ("decline", "2023-06-10", 10.0),
                ("decline", "2024-06-10", 200.0),
                ("decline", "2025-06-10", 100.0),  # -0.50: old age
                ("stopped", "2023-01-10", 10.0),
                ("stopped", "2024-03-10", 80.0),  # nothing in 2025: lost, not old
                ("young", "2025-01-15", 80.0),  # tenure 11 < 12: childhood
                ("year_old", "2024-12-05", 50.0),  # tenure 12: not a child
                ("year_old", "2025-03-05", 100.0),  # +1.00: adolescence
                ("back", "2023-02-10", 60.0),  # nothing in 2024: no base -> adolescence
                ("back", "2025-09-10", 50.0),
                ("gone", "2023-04-10", 70.0),  # no revenue in 2024 or 2025: not listed
            ]
        ),
        as_of="2025-12-31",
    )


def test_window_revenue_by_hand(lifecycle_agg):
    windows = window_revenue(lifecycle_agg.monthly, lifecycle_agg.months, window=12)
    assert windows.loc["grow"].tolist() == [150.0, 100.0]
    assert windows.loc["back"].tolist() == [50.0, 0.0]
    assert windows.loc["gone"].tolist() == [0.0, 0.0]
    # 6-month windows: Jul-Dec 2025 and Jan-Jun 2025.
    short = window_revenue(lifecycle_agg.monthly, lifecycle_agg.months, window=6)
    assert short.loc["decline"].tolist() == [0.0, 100.0]
    assert short.loc["back"].tolist() == [50.0, 0.0]


def test_window_revenue_needs_only_the_last_month(lifecycle_agg):
    """Months that are not the full grid (here its last 3, then one) give the same windows."""
    agg = lifecycle_agg
    full = window_revenue(agg.monthly, agg.months, window=6)
    for months in (agg.months[-3:], agg.months[[0, -1]]):
        pd.testing.assert_frame_equal(window_revenue(agg.monthly, months, window=6), full)
    # No row in either window: zeros, still amounts (numpy counts an empty bincount in ints).
    old = agg.monthly[agg.monthly["month"] < "2024-01-01"].reset_index(drop=True)
    nothing = window_revenue(old, agg.months, window=12)
    assert nothing.dtypes.tolist() == [np.float64, np.float64]
    assert nothing.to_numpy().sum() == 0.0 and len(nothing) == len(agg.customers)


@pytest.mark.parametrize("n, distinct", [(1, 1), (7, 2), (5_000, 40), (5_000, 5_000)])
@pytest.mark.parametrize("noise", [False, True])
def test_ranking_is_numpys_stable_sort(n, distinct, noise):
    """Value descending, ties in position order: np.argsort(-values, kind='stable').

    With noise, equal amounts differ in their last bits (sums in another order, 0.1 + 0.2
    against 0.3): values the truncated sort keys cannot tell apart, put right afterwards.
    """
    rng = np.random.default_rng(n + distinct)
    values = rng.choice(rng.normal(size=distinct) * 1e3, size=n)  # many ties when few distinct
    if noise:
        values = values + values * rng.choice([-2, -1, 0, 1, 2], size=n) * np.finfo(float).eps
    values[rng.random(n) < 0.1] = 0.0
    values[rng.random(n) < 0.05] = -0.0
    expected = np.argsort(-values, kind="stable")
    np.testing.assert_array_equal(descending_ranking(pd.Series(np.arange(n)), values), expected)
    # Ids out of order: ties by id, not by position.
    ids = pd.Series(np.arange(n)[::-1])
    np.testing.assert_array_equal(
        descending_ranking(ids, values), np.lexsort((ids.to_numpy(), -values))
    )


def test_ranking_with_nan_and_infinities_is_numpys():
    """NaN (both signs) go last in position order, as in numpy's stable sort of -values."""
    values = np.array([1.0, np.nan, np.inf, -np.nan, 3.0, -np.inf, np.nan, 1.0, 0.1 + 0.2, 0.3])
    expected = np.argsort(-values, kind="stable")
    # inf, 3, 0.30000000000000004, 0.3, 1 (pos 0), 1 (pos 7), -inf, then the NaN at 1, 3, 6.
    assert expected.tolist() == [2, 4, 0, 7, 8, 9, 5, 1, 3, 6]
    ids = pd.Series([f"c{i}" for i in range(values.size)])
    np.testing.assert_array_equal(descending_ranking(ids, values), expected)
    assert descending_ranking(ids.iloc[:0], np.empty(0)).size == 0


def test_lifecycle_phases_by_hand(lifecycle_agg):
    agg = lifecycle_agg
    phases = lifecycle_phases(agg.monthly, agg.customers, months=agg.months).set_index(
        "customer_id"
    )
    expected_phase = {
        "back": "adolescence",
        "decline": "old_age",
        "flat": "adulthood",
        "grow": "adolescence",
        "stopped": "lost",
        "year_old": "adolescence",
        "young": "childhood",
    }
    assert phases["phase"].astype(str).to_dict() == expected_phase  # "gone" is not listed
    assert phases.loc["grow", "tenure_months"] == 33
    assert phases.loc["young", "tenure_months"] == 11
    assert phases.loc["year_old", "tenure_months"] == 12
    assert phases.loc["grow", "trend"] == pytest.approx(0.5)
    assert phases.loc["stopped", "trend"] == pytest.approx(-1.0)
    assert math.isnan(phases.loc["back", "trend"]) and math.isnan(phases.loc["young", "trend"])
    assert phases.loc["decline", ["revenue_recent", "revenue_previous"]].tolist() == [100, 200]
    assert phases.loc["young", "action"] == "action_childhood"
    assert phases.loc["decline", "action"] == "action_old_age"
    assert phases.loc["flat", "action"] == "action_adulthood"
    assert phases.loc["stopped", "action"] == "action_lost"
    # No margin in this log: revenue alone judges (and the table says so).
    assert phases.attrs["margin_used"] is False
    # flat is +5 %: adulthood with g = 25 % as with 10 %, growth (adolescence) with g = 1 %.
    strict = lifecycle_phases(agg.monthly, agg.customers, months=agg.months, growth=0.25)
    assert strict.set_index("customer_id").loc["flat", "phase"] == "adulthood"
    loose = lifecycle_phases(agg.monthly, agg.customers, months=agg.months, growth=0.01)
    assert loose.set_index("customer_id").loc["flat", "phase"] == "adolescence"


def test_lifecycle_trend_at_exactly_g_is_adulthood():
    # 100 -> 125 is +0.25 exactly (binary-exact): not above g = 0.25.
    agg = aggregate(
        _tx([("x", "2023-01-10", 1.0), ("x", "2024-06-10", 100.0), ("x", "2025-06-10", 125.0)]),
        as_of="2025-12-31",
    )
    phases = lifecycle_phases(agg.monthly, agg.customers, months=agg.months, growth=0.25)
    assert phases["trend"].tolist() == [0.25]
    assert phases["phase"].tolist() == ["adulthood"]


def test_lifecycle_summary_by_hand(lifecycle_agg):
    agg = lifecycle_agg
    summary = lifecycle_summary(lifecycle_phases(agg.monthly, agg.customers, months=agg.months))
    assert summary.index.tolist() == ["childhood", "adolescence", "adulthood", "old_age", "lost"]
    # childhood: young; adolescence: grow, year_old, back; adulthood: flat;
    # old age: decline; lost: stopped. 7 customers.
    assert summary["customers"].tolist() == [1, 3, 1, 1, 1]
    np.testing.assert_allclose(summary["customer_share"], np.array([1, 3, 1, 1, 1]) / 7)
    # Recent revenue: 80 | 150 + 100 + 50 = 300 | 105 | 100 | 0; total 585.
    np.testing.assert_allclose(summary["revenue_recent"], [80, 300, 105, 100, 0])
    np.testing.assert_allclose(summary["revenue_previous"], [0, 150, 100, 200, 80])
    np.testing.assert_allclose(summary["revenue_share"], np.array([80, 300, 105, 100, 0]) / 585)
    # Trend of the adolescents: 300 / 150 - 1 = 1; old age: 100 / 200 - 1; lost: -1.
    np.testing.assert_allclose(summary["trend"], [np.nan, 1.0, 0.05, -0.5, -1.0])
    assert summary["action"].tolist() == [PHASE_ACTIONS[p] for p in summary.index]


def test_lifecycle_labels_in_both_languages():
    for action in PHASE_ACTIONS.values():
        assert i18n.label(action, "fr") == LIFECYCLE_ACTIONS[action]["fr"]
        assert i18n.label(action, "en") == LIFECYCLE_ACTIONS[action]["en"]
    # Text 001's customer phases (never the product words maturité, déclin), then the lost.
    assert [i18n.label(p, "fr") for p in PHASE_ACTIONS] == [
        "Enfance", "Adolescence", "Âge adulte", "Vieillesse", "Perdus",
    ]  # fmt: skip
    assert [i18n.label(p, "en") for p in PHASE_ACTIONS] == [
        "Childhood", "Adolescence", "Adulthood", "Old age", "Lost",
    ]  # fmt: skip
    # Text 001's actions, word for word where it gives them.
    assert "suivi rapproch" in i18n.label("action_childhood", "fr")
    assert "qualité de la relation" in i18n.label("action_childhood", "fr")
    assert "suivi régulier" in i18n.label("action_adolescence", "fr")
    assert "espacer les visites et les appels" in i18n.label("action_adulthood", "fr")
    for words in ("tout mettre en œuvre pour le retenir", "nouvelles offres", "reconduit"):
        assert words in i18n.label("action_old_age", "fr").lower()


# --------------------------------------------------------------------------------------------
# Potential matrix


@pytest.fixture
def potentials():
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f", "g", "h"],
            "revenue": [5e3, 1e3, 27e3, 10e3, 5e3, 40e3, 3e3, 0.0],
            "potential": [10e3, 20e3, 30e3, 40e3, 50e3, 60e3, np.nan, 0.0],
        }
    )


def test_potential_matrix_by_hand(potentials):
    matrix = potential_matrix(potentials)
    # g (no potential) and h (potential 0) are left out.
    assert matrix["customer_id"].tolist() == list("abcdef")
    # Potentials 10k..60k: q(1/3) at position 5/3 -> 20k + 2/3 x 10k = 26,667;
    # q(2/3) at 10/3 -> 40k + 1/3 x 10k = 43,333 -> low, low, medium, medium, high, high.
    assert matrix["potential_class"].tolist() == ["low"] * 2 + ["medium"] * 2 + ["high"] * 2
    # Penetration 5/10 = 0.5, 1/20 = 0.05, 27/30 = 0.9, 10/40 = 0.25 (a cut goes up),
    # 5/50 = 0.1, 40/60 = 0.667 -> medium, low, high, medium, low, high.
    np.testing.assert_allclose(matrix["penetration"], [0.5, 0.05, 0.9, 0.25, 0.1, 40 / 60])
    assert matrix["penetration_class"].tolist() == [
        "medium", "low", "high", "medium", "low", "high",
    ]  # fmt: skip
    # Vivier (text 002): the two last rows (medium, high potential) x the two last columns
    # (medium, low penetration) -> d (medium, medium) and e (high, low).
    assert matrix["vivier"].tolist() == [False, False, False, True, True, False]
    np.testing.assert_allclose(matrix["gap"], [5e3, 19e3, 3e3, 30e3, 45e3, 20e3])


def test_potential_matrix_summary_by_hand(potentials):
    summary = potential_matrix_summary(potential_matrix(potentials))
    assert summary.index.tolist() == ["low", "medium", "high"]
    counts = summary["customers"]
    assert counts.columns.tolist() == ["low", "medium", "high"]
    # Rows = potential class, columns = penetration class.
    assert counts.to_numpy().tolist() == [[1, 1, 0], [0, 1, 1], [1, 0, 1]]
    assert summary.loc["high", ("gap", "low")] == 45e3  # the vivier
    assert summary.loc["medium", ("revenue", "high")] == 27e3
    assert summary["potential"].to_numpy().sum() == 210e3


def test_potential_matrix_prospect_and_missing_column():
    prospects = pd.DataFrame(
        {"customer_id": ["p1", "p2", "p3"], "revenue": [0.0] * 3, "potential": [1e3, 2e3, 9e4]}
    )
    matrix = potential_matrix(prospects)
    assert matrix["penetration"].tolist() == [0.0, 0.0, 0.0]
    # Potentials 1k, 2k, 90k: low, medium, high; all at 0 % penetration -> p2 and p3.
    assert matrix["vivier"].tolist() == [False, True, True]
    with pytest.raises(PortfolioDataError) as error:
        potential_matrix(prospects.drop(columns="potential"))
    assert error.value.code == "missing_attribute"
    assert error.value.details["column"] == "potential"
    assert "customer_id, revenue" in error.value.details["found"]
    assert "potential matrix needs the column 'potential'" in str(error.value)
    assert "« potential »" in error.value.text("fr")


def test_missing_value_column_is_a_clear_error(four):
    with pytest.raises(PortfolioDataError, match="'margin'"):
        pareto_table(four, value="margin")
    with pytest.raises(ValueError, match="must hold numbers"):
        abc_classes(four.assign(revenue="x"))


# --------------------------------------------------------------------------------------------
# Properties

_revenues = st.lists(
    st.integers(min_value=-50_000, max_value=10**9).map(lambda cents: cents / 100),
    min_size=1,
    max_size=40,
)


def _frame(values: list[float], data: st.DataObject) -> pd.DataFrame:
    ids = [f"C{i:03d}" for i in data.draw(st.permutations(range(len(values))))]
    return pd.DataFrame({"customer_id": ids, "revenue": values})


@seed(20240601)
@settings(max_examples=40, deadline=None)
@given(values=_revenues, data=st.data())
def test_abc_and_pmg_partition_every_customer(values, data):
    frame = _frame(values, data)
    total = frame["revenue"].sum()
    for classes, by in ((abc_classes(frame), "abc"), (pmg_classes(frame), "pmg")):
        assert sorted(classes["customer_id"]) == sorted(frame["customer_id"])
        assert classes[by].notna().all()
        summary = class_summary(classes, by=by)
        assert summary["customers"].sum() == len(frame)
        assert summary["revenue"].sum() == pytest.approx(total, abs=1e-6)
    abc = abc_classes(frame)["abc"].cat.codes.to_numpy()
    assert np.all(np.diff(abc) >= 0)  # A then B then C down the ranking
    if (frame["revenue"] > 0).any():
        assert abc[0] == 0  # the largest customer is A


@seed(20240602)
@settings(max_examples=40, deadline=None)
@given(values=_revenues, data=st.data())
def test_lorenz_pareto_and_concentration_bounds(values, data):
    frame = _frame(values, data)
    curve = lorenz_curve(frame)
    x, y = curve["customer_share"].to_numpy(), curve["revenue_share"].to_numpy()
    assert (x[0], y[0], x[-1], y[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(x) > 0) and np.all(np.diff(y) >= -1e-12)
    assert np.all(y <= x + 1e-12)  # below the diagonal
    figures = concentration(frame)
    n = int(figures["n_customers"])
    assert n == (frame["revenue"] > 0).sum()
    if n:
        assert 10_000 / n - 1e-6 <= figures["hhi"] <= 10_000 + 1e-6
        assert 0.0 <= figures["gini"] <= 1.0
        share = pareto_share(frame)
        table = pareto_table(frame)
        k = round(share * len(frame))
        assert table["cumulative_share"].iloc[k - 1] >= 0.8 - 1e-9
        if k > 1:
            assert table["cumulative_share"].iloc[k - 2] < 0.8
    else:
        assert math.isnan(figures["hhi"]) and math.isnan(figures["gini"])


@seed(20240603)
@settings(max_examples=40, deadline=None)
@given(
    potentials=st.lists(
        st.one_of(st.none(), st.integers(min_value=0, max_value=10**7)), min_size=1, max_size=40
    ),
    data=st.data(),
)
def test_potential_classes_cover_every_customer_with_potential(potentials, data):
    values = [np.nan if p is None else float(p) for p in potentials]
    frame = _frame([0.0] * len(values), data).assign(
        potential=values,
        revenue=data.draw(st.lists(st.integers(0, 10**6), min_size=len(values), max_size=len(values))),
    )  # fmt: skip
    matrix = potential_matrix(frame)
    with_potential = frame.loc[frame["potential"] > 0, "customer_id"]
    assert sorted(matrix["customer_id"]) == sorted(with_potential)
    assert matrix["potential_class"].notna().all() and matrix["penetration_class"].notna().all()
    assert (matrix["gap"] >= 0).all()
    summary = potential_matrix_summary(matrix)
    assert summary["customers"].to_numpy().sum() == len(matrix)


# --------------------------------------------------------------------------------------------
# The committed sample


@pytest.fixture(scope="module")
def sample():
    portfolio = load_portfolio(SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"])
    agg = aggregate(portfolio.transactions, portfolio.customers)
    last_year = window_totals(agg.monthly, agg.months).join(
        agg.customers.set_index("customer_id")[["name", "sales_rep", "potential"]]
    )
    return agg, last_year


def test_sample_key_account_concentration(sample):
    _, last_year = sample
    figures = concentration(last_year)
    # The generator gives C00005 18 % of the last 12 months' revenue.
    assert figures["top_1_share"] == pytest.approx(0.18, abs=0.005)
    assert figures["dependent_customers"] == 1
    assert 0.5 < figures["gini"] < 1.0
    alerts = dependence_alerts(last_year)
    assert alerts["customer_id"].tolist() == ["C00005"]
    assert alerts["share"].iloc[0] == pytest.approx(0.18, abs=0.005)
    assert pareto_table(last_year)["customer_id"].iloc[0] == "C00005"
    classes = abc_classes(last_year).set_index("customer_id")
    assert classes.loc["C00005", "abc"] == "A"
    summary = class_summary(classes)
    assert summary["revenue_share"]["A"] == pytest.approx(0.80, abs=0.01)
    assert summary["customers"].sum() == len(last_year)
    assert pmg_classes(last_year).set_index("customer_id").loc["C00005", "pmg"] == "large"


def test_sample_windows_match_window_totals(sample):
    agg, last_year = sample
    windows = window_revenue(agg.monthly, agg.months, window=12)
    before = window_totals(agg.monthly, agg.months, end=agg.months[-13])
    np.testing.assert_allclose(windows["revenue_recent"], last_year["revenue"], atol=1e-6)
    np.testing.assert_allclose(windows["revenue_previous"], before["revenue"], atol=1e-6)


@pytest.mark.parametrize("growth, childhood", [(0.10, 12), (0.0, 24), (0.5, 1)])
def test_lifecycle_phases_are_the_conditions_in_precedence_order(sample, growth, childhood):
    """The phases written over one another give np.select of the documented conditions in
    their order of precedence (lost, childhood, back after a gap, old age on revenue or margin,
    adolescence on revenue and margin, else adulthood)."""
    agg, _ = sample
    phases = lifecycle_phases(
        agg.monthly, agg.customers, months=agg.months, growth=growth, childhood_months=childhood
    )
    tenure, trend = phases["tenure_months"].to_numpy(), phases["trend"].to_numpy()
    previous = phases["revenue_previous"].to_numpy()
    recent = phases["revenue_recent"].to_numpy()
    margin = (
        phases["margin_recent"] / phases["margin_previous"].where(phases["margin_previous"] > 0) - 1
    )
    margin = margin.to_numpy()
    expected = np.select(
        [
            recent <= 0,
            tenure < childhood,
            previous <= 0,
            (trend < -growth) | (margin < -growth),
            (trend > growth) & ((margin > growth) | np.isnan(margin)),
        ],
        [4, 0, 1, 3, 1],
        default=2,
    )
    np.testing.assert_array_equal(phases["phase"].cat.codes.to_numpy(), expected)
    assert len(np.unique(expected)) >= 3  # the sample meets most phases


def test_sample_lifecycle_and_potential(sample):
    agg, last_year = sample
    phases = lifecycle_phases(agg.monthly, agg.customers, months=agg.months)
    assert set(phases["phase"]) == {"childhood", "adolescence", "adulthood", "old_age", "lost"}
    # The figure: 362 customers with revenue the year before and none in the last
    # 12 months are lost, not old.
    assert (phases["phase"] == "lost").sum() == 362
    has_revenue = window_revenue(agg.monthly, agg.months).gt(0).any(axis=1)
    assert len(phases) == has_revenue.sum()
    assert lifecycle_summary(phases)["customers"].sum() == len(phases)
    matrix = potential_matrix(last_year).set_index("customer_id")
    # The generator sets the key account's potential at its revenue / 0.7 (rounded to 1,000 €).
    assert matrix.loc["C00005", "penetration"] == pytest.approx(0.70, abs=0.01)
    assert matrix.loc["C00005", "potential_class"] == "high"
    assert matrix["vivier"].any()


def test_numbers_never_write_into_the_table():
    """The float copy of a column is the caller's own: changing it leaves the table alone."""
    from portfolio_lib.metrics.common import numbers as _numbers

    frame = pd.DataFrame({"customer_id": ["a", "b", "c"], "revenue": [5.0, -0.0, 2.5]})
    out = _numbers(frame, "revenue", "test")
    assert out.tolist() == [5.0, 0.0, 2.5] and np.signbit(out).sum() == 0
    out[:] = 99.0
    assert frame["revenue"].tolist() == [5.0, -0.0, 2.5]
    assert np.signbit(frame["revenue"].to_numpy()).tolist() == [False, True, False]


def test_numbers_are_pandas_conversion_with_missing_as_zero():
    """The numpy path gives pandas' ``to_numpy(dtype=float, na_value=0.0) + 0.0`` on every
    numeric dtype (NaN, -0.0, infinities, integers, booleans, nullable and float32 columns)."""
    from portfolio_lib.metrics.common import numbers as _numbers

    columns = {
        "floats": [1.5, np.nan, -0.0, np.inf, -np.inf, -2.25],
        "float32": np.array([1.5, np.nan, -0.0, 3.0, 7.1, -1.0], dtype=np.float32),
        "ints": np.array([3, -4, 0, 2**40, 7, -1], dtype=np.int64),
        "uint8": np.array([0, 255, 3, 4, 5, 6], dtype=np.uint8),
        "bools": [True, False, True, True, False, False],
        "nullable": pd.array([1, None, 3, -2, 0, 5], dtype="Int64"),
    }
    frame = pd.DataFrame({"customer_id": list("abcdef"), **columns})
    for column in columns:
        got = _numbers(frame, column, "test")
        expected = frame[column].to_numpy(dtype=float, na_value=0.0) + 0.0
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, expected)
        assert not np.signbit(got[got == 0]).any()  # zeros are one value
        got[:] = 9.0  # the caller's own array: the table is untouched
        np.testing.assert_array_equal(_numbers(frame, column, "test"), expected)
    # hand values: NaN -> 0, -0.0 -> 0.0
    assert _numbers(frame, "floats", "test").tolist()[:3] == [1.5, 0.0, 0.0]


def test_window_revenue_sums_the_rows_of_each_window_as_the_row_gather(sample):
    """Each window's sums are bit for bit the bincount of the gathered window rows."""
    from portfolio_lib.engine.tables import clear_cache
    from portfolio_lib.engine.tables import views as _views

    agg, _ = sample
    clear_cache()
    assert _views(agg.monthly).sorted_cells()
    windows = window_revenue(agg.monthly, agg.months, window=6)
    views = _views(agg.monthly)
    codes, index = views.customers()
    position = views.positions(pd.DatetimeIndex(agg.months).as_unit("ns"))
    last = len(agg.months) - 1
    rows = np.flatnonzero((position >= last - 11) & (codes >= 0))
    slots = 2 * codes[rows].astype(np.int64) + (position[rows] > last - 6)
    weights = agg.monthly["revenue"].to_numpy()[rows]
    totals = np.round(np.bincount(slots, weights=weights, minlength=2 * len(index)), 9)
    np.testing.assert_array_equal(windows["revenue_recent"].to_numpy(), totals[1::2])
    np.testing.assert_array_equal(windows["revenue_previous"].to_numpy(), totals[0::2])
    assert (windows["revenue_previous"] > 0).any() and (windows["revenue_recent"] > 0).any()
    # The recent window is window_totals' own (read from it), bit for bit.
    recent = window_totals(agg.monthly, agg.months, window=6)["revenue"]
    np.testing.assert_array_equal(windows["revenue_recent"].to_numpy(), recent.to_numpy())


def test_window_revenue_leaves_rows_without_a_customer_out(sample):
    """A row whose customer is missing (code -1) adds to no one, in either window."""
    agg, _ = sample
    monthly = agg.monthly.copy()
    monthly.loc[monthly.index[-50:], "customer_id"] = None  # the last rows: recent months
    windows = window_revenue(monthly, agg.months, window=6)
    kept = agg.monthly.iloc[:-50]
    last = pd.DatetimeIndex(agg.months)[-1]
    for column, start, end in (
        ("revenue_recent", last - pd.DateOffset(months=5), last),
        ("revenue_previous", last - pd.DateOffset(months=11), last - pd.DateOffset(months=6)),
    ):
        inside = kept[(kept["month"] >= start) & (kept["month"] <= end)]
        expected = inside.groupby("customer_id", observed=False)["revenue"].sum()
        np.testing.assert_allclose(windows[column], expected.reindex(windows.index), atol=1e-6)


def test_pmg_quantiles_are_numpys_one_by_one():
    """One np.quantile call for both thresholds gives each quantile as its own call (ties)."""
    rng = np.random.default_rng(3)
    values = np.round(rng.lognormal(6, 1.5, 20_001), 0)  # many tied amounts
    values[::7] = 0.0
    frame = pd.DataFrame({"customer_id": np.arange(values.size), "revenue": values})
    positive = values[values > 0]
    for quantiles in ((0.5, 0.8), (0.0, 1.0), (1 / 3, 1 / 3)):
        got = pmg_classes(frame, quantiles=quantiles).attrs["thresholds"]
        assert got == tuple(float(np.quantile(positive, q)) for q in quantiles)
    one = pmg_classes(frame.head(1).assign(revenue=[42.0]))
    assert one.attrs["thresholds"] == (42.0, 42.0) and one["pmg"].tolist() == ["large"]
    assert pmg_classes(frame.head(0)).attrs["thresholds"] == (np.inf, np.inf)


def test_abc_reads_the_pareto_table():
    """abc_classes' ranking and cumulative shares are pareto_table's (ties, credit, zeros)."""
    frame = pd.DataFrame(
        {"customer_id": list("fedcbag"), "revenue": [10.0, 30.0, 10.0, -5.0, 0.0, 50.0, 10.0]}
    )
    table = pareto_table(frame)
    classes = abc_classes(frame)
    assert classes["customer_id"].tolist() == ["a", "e", "d", "f", "g", "b", "c"]
    pd.testing.assert_frame_equal(
        classes[["customer_id", "revenue", "cumulative_share"]],
        table[["customer_id", "revenue", "cumulative_share"]],
        check_exact=True,
    )
    # Positive total 110: cumulative before each = 0, 50/110, 80/110 = 0.727 (A), 90/110 =
    # 0.818 (B), 100/110 = 0.909 (B); zero and credit are C.
    assert classes["abc"].tolist() == ["A", "A", "A", "B", "B", "C", "C"]
    none = abc_classes(frame.assign(revenue=0.0))
    assert none["cumulative_share"].isna().all() and set(none["abc"]) == {"C"}


@pytest.mark.parametrize(
    "revenue",
    [
        [10.0, 30.0, 10.0, -5.0, 0.0, 50.0, 10.0],
        [80.0, 15.0, 5.0],  # cumulative shares on the cuts exactly (0.80, 0.95)
        [np.inf, 5.0, 1.0],  # an infinite total: NaN shares, C as in the nested comparisons
        [np.nan, -1.0, 0.0],
    ],
)
@pytest.mark.parametrize("cuts", [(0.80, 0.95), (0.5, 0.5), (0.0, 1.0)])
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf / inf
def test_abc_codes_are_the_nested_comparisons(revenue, cuts):
    """The int8 class codes (the cuts reached) are the documented nested comparisons of the
    cumulative share before each customer."""
    a_cut, b_cut = cuts
    frame = pd.DataFrame(
        {"customer_id": [f"c{i}" for i in range(len(revenue))], "revenue": revenue}
    )
    table = pareto_table(frame)
    before = (table["cumulative_share"] - table["share"].clip(lower=0)).to_numpy()
    expected = np.where(before < a_cut - 1e-9, 0, np.where(before < b_cut - 1e-9, 1, 2))
    expected[~(table["revenue"].to_numpy() > 0)] = 2
    got = abc_classes(frame, a_cut=a_cut, b_cut=b_cut)["abc"]
    np.testing.assert_array_equal(got.cat.codes.to_numpy(), expected)
    assert got.cat.codes.dtype == np.int8


def _two_key_summary(matrix):
    """potential_matrix_summary the straightforward way: pandas grouping by both classes."""
    grouped = matrix.groupby(["potential_class", "penetration_class"], observed=False)
    cells = pd.DataFrame(
        {
            "customers": grouped.size(),
            "revenue": grouped["revenue"].sum(),
            "potential": grouped["potential"].sum(),
            "gap": grouped["gap"].sum(),
        }
    )
    full = pd.MultiIndex.from_product(
        [pd.CategoricalIndex(LEVELS, categories=LEVELS, ordered=True)] * 2,
        names=["potential_class", "penetration_class"],
    )
    cells = cells.reindex(full, fill_value=0)
    cells["customers"] = cells["customers"].astype(np.int64)
    out = cells.unstack("penetration_class")
    out.columns.names = [None, "penetration_class"]
    return out


def test_matrix_summary_on_one_key_is_the_two_key_groupby(sample):
    _, last_year = sample
    rng = np.random.default_rng(5)
    noisy = last_year.assign(revenue=last_year["revenue"] + rng.normal(0, 1e-3, len(last_year)))
    for customers in (last_year, noisy, last_year.head(1), last_year.head(0)):
        matrix = potential_matrix(customers)
        pd.testing.assert_frame_equal(
            potential_matrix_summary(matrix), _two_key_summary(matrix), check_exact=True
        )
    # Three customers by hand: potentials 10, 20, 90 -> classes low, medium, high (q1 = 16.7,
    # q2 = 43.3); penetrations 0.9 high, 0.05 low, 0 low.
    frame = pd.DataFrame(
        {"customer_id": list("abc"), "revenue": [9.0, 1.0, 0.0], "potential": [10.0, 20.0, 90.0]}
    )
    summary = potential_matrix_summary(potential_matrix(frame))
    assert summary["customers"].to_numpy().tolist() == [[0, 0, 1], [1, 0, 0], [1, 0, 0]]
    assert summary[("gap", "low")].tolist() == [0.0, 19.0, 90.0]
    # A class left unset (NaN) goes through pandas' own two-key grouping.
    matrix = potential_matrix(frame)
    matrix.loc[0, "penetration_class"] = np.nan
    pd.testing.assert_frame_equal(
        potential_matrix_summary(matrix), _two_key_summary(matrix), check_exact=True
    )
    assert potential_matrix_summary(matrix)["customers"].to_numpy().sum() == 2


def test_abc_and_hit_parade_share_one_ranking():
    from portfolio_lib.metrics.hitparade import hit_parade

    # Ties (b, d) are broken by customer id; e sells nothing (last, C, last tier).
    frame = pd.DataFrame({"customer_id": list("edcba"), "revenue": [0.0, 30.0, 10.0, 30.0, 50.0]})
    ranked = pareto_table(frame)
    assert ranked["customer_id"].tolist() == ["a", "b", "d", "c", "e"]
    abc = abc_classes(frame, a_cut=0.6, b_cut=0.9, ranked=ranked)
    pd.testing.assert_frame_equal(abc, abc_classes(frame, a_cut=0.6, b_cut=0.9))
    # Shares before each customer: 0, 50/120, 80/120, 110/120, 1 -> A A B C C.
    assert abc["abc"].tolist() == ["A", "A", "B", "C", "C"]
    hit = hit_parade(frame, tiers=3, resources=90.0, ranked=ranked)
    pd.testing.assert_frame_equal(hit, hit_parade(frame, tiers=3, resources=90.0))
    assert hit["tier"].tolist() == [1, 2, 3, 3, 3]
    figures = concentration(frame, top_n=(1, 2), ranked=ranked)
    pd.testing.assert_series_equal(figures, concentration(frame, top_n=(1, 2)))
    # HHI of shares 50/120, 30/120, 30/120, 10/120 (in %); top 2 = 80/120.
    assert figures["hhi"] == pytest.approx((50**2 + 2 * 30**2 + 10**2) / 120**2 * 10_000)
    assert figures["top_2_share"] == pytest.approx(80 / 120)
    with pytest.raises(ValueError, match="same 5 customers"):
        abc_classes(frame, ranked=ranked.iloc[:3])
