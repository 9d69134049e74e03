"""RFM: table, quantile scores with ties, the segment grid and its override, the summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from portfolio_lib import i18n
from portfolio_lib.config import SAMPLE_FILES
from portfolio_lib.data.load import load_portfolio
from portfolio_lib.engine.aggregate import aggregate
from portfolio_lib.metrics.common import descending_ranking
from portfolio_lib.metrics.rfm import (
    RFM_ACTIONS,
    RFM_GRID,
    RFM_SEGMENTS,
    rfm_scores,
    rfm_segments,
    rfm_summary,
    rfm_table,
)

# The grid of the documentation, typed again (rows R = 5 down to 1, columns F = 1 to 5).
GRID_TEXT = """
5 new            potential_loyalist potential_loyalist champions champions
4 promising      potential_loyalist potential_loyalist loyal     loyal
3 about_to_sleep about_to_sleep     need_attention     loyal     loyal
2 hibernating    hibernating        at_risk            at_risk   cant_lose_them
1 lost           lost               at_risk            at_risk   cant_lose_them
"""


def _scores_frame(r, f, m=None, monetary=None):
    n = len(r)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "days_since_last": np.arange(n),
            "orders": np.ones(n, dtype=int),
            "monetary": np.ones(n) if monetary is None else monetary,
            "r_score": r,
            "f_score": f,
            "m_score": np.ones(n, dtype=int) if m is None else m,
        }
    )


def test_rfm_table_by_hand():
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "last_purchase": pd.to_datetime(["2025-12-01", "2025-06-30", None, "2025-12-31"]),
            "orders": [4, 1, 0, 2],
            "revenue": [900.0, 120.0, 0.0, 80.0],
        }
    )
    rfm = rfm_table(customers, as_of="2025-12-31")
    # c never bought (prospect, left out). Recency: 1 Dec -> 31 Dec = 30 days;
    # 30 Jun -> 31 Dec = Jul 31 + Aug 31 + Sep 30 + Oct 31 + Nov 30 + Dec 31 = 184; same day 0.
    assert rfm["customer_id"].tolist() == ["a", "b", "d"]
    assert rfm["days_since_last"].tolist() == [30, 184, 0]
    assert rfm["orders"].tolist() == [4, 1, 2]
    assert rfm["monetary"].tolist() == [900.0, 120.0, 80.0]
    with pytest.raises(ValueError, match="after as_of"):
        rfm_table(customers, as_of="2025-12-15")
    with pytest.raises(ValueError, match="must hold dates"):
        rfm_table(customers.assign(last_purchase="2025-01-01"), as_of="2025-12-31")
    # int64 counts are read as they are, whole floats and nullable integers converted: one table.
    for orders in ([4.0, 1.0, 0.0, 2.0], pd.array([4, 1, None, 2], dtype="Int64")):
        pd.testing.assert_frame_equal(
            rfm_table(customers.assign(orders=orders), as_of="2025-12-31"), rfm, check_exact=True
        )
    halves = rfm_table(customers.assign(orders=[4.5, 1.0, 0.0, 2.0]), as_of="2025-12-31")
    assert halves["orders"].tolist() == [4.5, 1.0, 2.0]  # not whole: floats kept


def test_scores_by_hand_distinct_values():
    rfm = pd.DataFrame(
        {
            "customer_id": list("abcdefghij"),
            "days_since_last": [0, 10, 20, 30, 40, 50, 60, 70, 80, 90],
            "orders": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            "monetary": [50.0, 40, 30, 20, 10, 100, 90, 80, 70, 60],
        }
    )
    scores = rfm_scores(rfm)
    # n = 10: score = ceil(5 x rank / 10) = ceil(rank / 2): ranks 1..10 -> 1,1,2,2,3,3,4,4,5,5.
    assert scores["f_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # Recency reversed: 0 days is the best (rank 10).
    assert scores["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    # Monetary ranks: 50 -> 5th, 40 -> 4th, ... 10 -> 1st, 100 -> 10th, 60 -> 6th.
    assert scores["m_score"].tolist() == [3, 2, 2, 1, 1, 5, 5, 4, 4, 3]
    assert scores["rfm_code"].tolist()[:2] == ["513", "512"]
    assert rfm.columns.tolist() == ["customer_id", "days_since_last", "orders", "monetary"]  # copy


def test_scores_with_ties_by_hand():
    rfm = pd.DataFrame(
        {
            "customer_id": list("abcdefghij"),
            "days_since_last": [5, 5, 5, 30, 30, 60, 60, 60, 90, 200],
            "orders": [1, 1, 1, 1, 1, 1, 2, 2, 3, 10],
            "monetary": [7.0] * 10,
        }
    )
    scores = rfm_scores(rfm)
    # Frequency: six 1s share the lowest rank 1 -> ceil(0.5) = 1; the 2s rank 7 -> ceil(3.5) = 4;
    # 3 ranks 9 -> ceil(4.5) = 5; 10 ranks 10 -> 5.
    assert scores["f_score"].tolist() == [1] * 6 + [4, 4, 5, 5]
    # -recency ascending: -200 (1), -90 (2), -60 x3 (3), -30 x2 (6), -5 x3 (8):
    # ceil(5 x 8 / 10) = 4, ceil(3) = 3, ceil(1.5) = 2, ceil(1) = 1, ceil(0.5) = 1.
    assert scores["r_score"].tolist() == [4, 4, 4, 3, 3, 2, 2, 2, 1, 1]
    # Every monetary value equal: one score for all, inside 1..5.
    assert set(scores["m_score"]) == {1}
    three = rfm_scores(rfm, bins=3)
    # ceil(3 x rank / 10): 1 -> 1, 7 -> ceil(2.1) = 3, 9 -> 3, 10 -> 3.
    assert three["f_score"].tolist() == [1] * 6 + [3, 3, 3, 3]
    with pytest.raises(ValueError, match="bins"):
        rfm_scores(rfm, bins=12)
    assert scores.attrs["bins"] == 5 and three.attrs["bins"] == 3


def test_segments_refuse_scores_made_with_other_bins():
    rfm = pd.DataFrame(
        {
            "customer_id": list("abcd"),
            "days_since_last": [5, 30, 60, 200],
            "orders": [9, 4, 2, 1],
            "monetary": [900.0, 400.0, 200.0, 50.0],
        }
    )
    four = rfm_scores(rfm, bins=4)
    # Customer a scores R 4, F 4 of 4: the best, which the 5 x 5 grid would call "loyal"
    # (R 4, F 4), not "champions". Refused rather than mislabelled.
    assert four.loc[0, ["r_score", "f_score"]].tolist() == [4, 4]
    with pytest.raises(ValueError, match=r"1 to 4 \(rfm_scores\(\.\.\., bins=4\)\).*bins=5"):
        rfm_segments(four)
    # With 5 bins, a (rank 4 of 4: ceil(5 x 4 / 4) = 5) is a champion.
    five = rfm_segments(rfm_scores(rfm, bins=5))
    assert five.loc[0, "rfm_segment"] == "champions"
    assert rfm_segments(rfm_scores(rfm.iloc[:0])).empty  # no buyer: no segment, no error


def test_scores_of_a_single_customer_and_of_none():
    one = pd.DataFrame(
        {"customer_id": ["a"], "days_since_last": [3], "orders": [2], "monetary": [9.0]}
    )
    assert rfm_scores(one)["rfm_code"].tolist() == ["555"]  # ceil(5 x 1 / 1) = 5
    none = rfm_scores(one.iloc[:0])
    assert none.empty and "rfm_code" in none.columns


def test_default_grid_is_the_documented_table():
    expected = {}
    for line in GRID_TEXT.strip().splitlines():
        r, *keys = line.split()
        for f, key in enumerate(keys, start=1):
            expected[(int(r), f)] = key
    assert expected == RFM_GRID
    cells = sorted(expected)
    scores = _scores_frame([r for r, _ in cells], [f for _, f in cells])
    segments = rfm_segments(scores)
    assert segments["rfm_segment"].astype(str).tolist() == [expected[c] for c in cells]
    assert list(segments["rfm_segment"].cat.categories) == list(RFM_SEGMENTS)


def test_grid_override_and_validation():
    scores = _scores_frame([5, 5, 1], [5, 1, 1])
    # A key no other test registers (label keys are process-wide).
    vip = {cell: "lost" for cell in RFM_GRID} | {(5, 5): "vip_rfm_test"}
    with pytest.raises(ValueError, match=r"'vip_rfm_test'"):
        rfm_segments(scores, grid=vip)
    labels = {"vip_rfm_test": {"fr": "VIP", "en": "VIP"}}
    labelled = rfm_segments(scores, grid=vip, labels=labels)
    assert labelled["rfm_segment"].tolist() == ["vip_rfm_test", "lost", "lost"]
    assert i18n.label("vip_rfm_test", "fr") == "VIP"
    # Nested lists: first row R = 5, columns F = 1..5.
    rows = [["champions"] * 5, ["loyal"] * 5, ["need_attention"] * 5, ["at_risk"] * 5]
    rows.append(["lost"] * 5)
    by_rows = rfm_segments(scores, grid=rows)
    assert by_rows["rfm_segment"].tolist() == ["champions", "champions", "lost"]
    with pytest.raises(ValueError, match="5 rows"):
        rfm_segments(scores, grid=rows[:4])
    partial = {cell: key for cell, key in RFM_GRID.items() if cell != (3, 3)}
    with pytest.raises(ValueError, match=r"unmapped cells: \[\(3, 3\)\]"):
        rfm_segments(scores, grid=partial)
    with pytest.raises(ValueError, match="unexpected cells"):
        rfm_segments(scores, grid=RFM_GRID | {(6, 1): "lost"})
    with pytest.raises(ValueError, match="outside 1..5"):
        rfm_segments(_scores_frame([7], [1]))
    # The culprits counted: R 0 and F 6 (two rows), the in-range rows not.
    with pytest.raises(ValueError, match="^2 customer"):
        rfm_segments(_scores_frame([5, 0, 3, 2], [1, 4, 6, 5]))


def test_summary_by_hand():
    # Two champions (recency 2 and 4, 10 and 20 orders, 100 and 300 €), one lost, one new.
    scores = _scores_frame([5, 5, 1, 5], [5, 4, 1, 1], monetary=[100.0, 300.0, 50.0, 50.0])
    scores["days_since_last"] = [2, 4, 300, 1]
    scores["orders"] = [10, 20, 1, 1]
    summary = rfm_summary(rfm_segments(scores), lang="en")
    assert summary.index.tolist() == list(RFM_SEGMENTS)  # every segment, empty ones too
    assert summary["customers"].sum() == 4
    champions = summary.loc["champions"]
    # 2 of 4 customers, 400 of 500 €, means (2 + 4) / 2 = 3 days, 15 orders, 200 €.
    assert champions["customers"] == 2 and champions["customer_share"] == 0.5
    assert champions["revenue"] == 400.0 and champions["revenue_share"] == pytest.approx(0.8)
    assert champions[["mean_days_since_last", "mean_orders", "mean_monetary"]].tolist() == [
        3,
        15,
        200,
    ]
    assert summary.loc["lost", "revenue_share"] == pytest.approx(0.1)
    assert summary.loc["loyal", "customers"] == 0
    assert summary.loc["new", "suggested_action"] == RFM_ACTIONS["new"]["en"]
    french = rfm_summary(rfm_segments(scores), lang="fr")
    assert french.loc["champions", "suggested_action"] == RFM_ACTIONS["champions"]["fr"]
    assert i18n.label("cant_lose_them", "fr") == "À ne pas perdre"
    assert i18n.label("rfm_action_lost", "en") == RFM_ACTIONS["lost"]["en"]


@seed(20240611)
@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 30), st.integers(1, 6), st.integers(-5, 50)),
        min_size=1,
        max_size=60,
    ),
    bins=st.integers(2, 9),
)
def test_scores_properties(rows, bins):
    recency, frequency, monetary = (list(column) for column in zip(*rows, strict=True))
    rfm = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(len(rows))],
            "days_since_last": recency,
            "orders": frequency,
            "monetary": np.array(monetary, dtype=float),
        }
    )
    scores = rfm_scores(rfm, bins=bins)
    n = len(rfm)
    for column, score, sign in (
        ("days_since_last", "r_score", -1),
        ("orders", "f_score", 1),
        ("monetary", "m_score", 1),
    ):
        values, got = sign * rfm[column].to_numpy(), scores[score].to_numpy()
        assert got.min() >= 1 and got.max() <= bins
        # Equal values, equal scores; a larger value never scores lower.
        assert (scores.groupby(rfm[column])[score].nunique() == 1).all()
        order = np.argsort(values, kind="stable")
        assert np.all(np.diff(got[order]) >= 0)
        # Independent formula: pandas' min rank.
        rank = pd.Series(values).rank(method="min").to_numpy()
        np.testing.assert_array_equal(got, np.ceil(bins * rank / n - 1e-12).astype(int))
    if bins == 5:
        segments = rfm_segments(scores)
        assert segments["rfm_segment"].notna().all() and len(segments) == n
        summary = rfm_summary(segments)
        assert summary["customers"].sum() == n
        assert summary["revenue"].sum() == pytest.approx(rfm["monetary"].sum())


@pytest.fixture(scope="module")
def sample_customers():
    portfolio = load_portfolio(SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"])
    agg = aggregate(portfolio.transactions, portfolio.customers)
    return agg.customers, agg.as_of


def test_sample_rfm(sample_customers):
    customers, as_of = sample_customers
    rfm = rfm_table(customers, as_of=as_of)
    assert len(rfm) == (customers["orders"] > 0).sum()
    assert (rfm["days_since_last"] >= 0).all()
    segments = rfm_segments(rfm_scores(rfm)).set_index("customer_id")
    # The key account buys every week (60 purchases a year) and big: a champion.
    assert segments.loc["C00005", "rfm_code"] == "555"
    assert segments.loc["C00005", "rfm_segment"] == "champions"
    summary = rfm_summary(segments)
    assert summary["customers"].sum() == len(rfm)
    assert summary["revenue"].sum() == pytest.approx(rfm["monetary"].sum())
    assert (summary["customers"] > 0).all()  # every segment is populated in the sample


# ------------------------------------------------------------------ scores against integer ranks


def _scores(values, bins):
    """The M scores rfm_scores gives customers of these monetary values."""
    n = len(values)
    rfm = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "days_since_last": np.zeros(n, dtype=np.int64),
            "orders": np.ones(n, dtype=np.int64),
            "monetary": values,
        }
    )
    return rfm_scores(rfm, bins=bins)["m_score"].to_numpy()


def _min_rank_scores(values, bins):
    """ceil(bins x rank / n) with pandas' min rank, in integers (no float rounding)."""
    rank = pd.Series(values).rank(method="min").to_numpy().astype(np.int64)
    return -((-bins * rank) // len(values))


@pytest.mark.parametrize(
    "values",
    [
        [7.0],  # one customer: rank 1 of 1, score bins
        [3.0, 3.0, 3.0, 3.0],  # all equal: rank 1, score ceil(bins / 4)
        [0.0, -0.0, 0.0, 5.0, -2.5],  # zeros of both signs are one value
        [1.0, 2.0],  # fewer customers than bins: the thresholds k_s = 0 never count
        [-np.inf, -np.inf, 0.0, np.inf],
    ],
)
@pytest.mark.parametrize("bins", [2, 3, 5, 9])
def test_scores_without_ranking_equal_pandas_min_rank(values, bins):
    values = np.array(values) + 0.0  # as _numbers gives them
    np.testing.assert_array_equal(_scores(values, bins), _min_rank_scores(values, bins))


def test_scores_by_hand_with_a_mass_of_ties():
    # 10 customers, orders [1]*6 + [2, 2, 3, 9]: ones rank 1 -> ceil(5 x 1 / 10) = 1,
    # twos rank 7 -> ceil(3.5) = 4, three rank 9 -> ceil(4.5) = 5, nine rank 10 -> 5.
    orders = np.array([1, 1, 2, 1, 9, 1, 3, 1, 2, 1], dtype=float)
    assert _scores(orders, 5).tolist() == [1, 1, 4, 1, 5, 1, 5, 1, 4, 1]


@seed(20240612)
@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.integers(-3, 3).map(float),  # many ties
            st.floats(-1e6, 1e6, allow_nan=False),
            st.sampled_from([0.1 + 0.2, 0.3, 0.30000000000000004, -0.0, 1e-300, 5e-324]),
        ),
        min_size=1,
        max_size=200,
    ),
    bins=st.integers(2, 9),
)
def test_scores_and_ranking_equal_pandas(values, bins):
    values = np.array(values, dtype=float)
    normalised = values + 0.0
    np.testing.assert_array_equal(_scores(normalised, bins), _min_rank_scores(normalised, bins))
    expected = pd.Series(normalised).sort_values(ascending=False, kind="stable").index.to_numpy()
    ids = pd.Series([f"c{i:04d}" for i in range(values.size)])
    np.testing.assert_array_equal(descending_ranking(ids, normalised), expected)


@pytest.mark.parametrize("unit", ["ns", "us", "s"])
def test_rfm_table_days_equal_pandas_timedelta_days(unit):
    stamps = pd.to_datetime(
        ["2025-12-31 00:00", "2025-12-30 23:59", "2024-02-29 12:00", "2025-01-01 00:00"]
    ).as_unit(unit)
    frame = pd.DataFrame(
        {
            "customer_id": list("abcd"),
            "last_purchase": stamps,
            "orders": [1, 2, 3, 4],
            "revenue": [1.0, 2.0, 3.0, 4.0],
        }
    )
    days = rfm_table(frame, as_of="2025-12-31 18:00")["days_since_last"]
    # 0; 00:01 -> 0; 2024-02-29 -> 2025-12-31 is 366 + 305 = 671 days, from noon 670.5 -> 670;
    # 2025-01-01 -> 364.
    assert days.tolist() == [0, 0, 670, 364]
    end = pd.Timestamp("2025-12-31")
    assert days.tolist() == (end - frame["last_purchase"]).dt.days.tolist()
    aware = frame.assign(last_purchase=frame["last_purchase"].dt.tz_localize("UTC"))
    assert rfm_table(aware, as_of=pd.Timestamp("2025-12-31", tz="UTC"))[
        "days_since_last"
    ].tolist() == [0, 0, 670, 364]


def test_scores_frame_is_the_assigned_copy_and_leaves_the_table_alone():
    """Built from the table's columns and the new arrays: equal to assigning them on a copy."""
    rfm = pd.DataFrame(
        {"customer_id": list("abcde"), "days_since_last": [5, 40, 40, 200, 10],
         "orders": [9, 1, 1, 1, 3], "monetary": [900.0, 50.0, 60.0, 30.0, 400.0]},
        index=[3, 1, 4, 1, 5],
    )  # fmt: skip
    rfm.attrs["source"] = "test"
    scores = rfm_scores(rfm)
    # The docstring's example: R of days [5, 40, 40, 200, 10] reversed ...: codes 555, 212...
    expected = rfm.assign(
        r_score=[5, 2, 2, 1, 4], f_score=[5, 1, 1, 1, 4], m_score=[5, 2, 3, 1, 4]
    ).assign(rfm_code=pd.Series(["555", "212", "213", "111", "444"], dtype="str", index=rfm.index))
    pd.testing.assert_frame_equal(scores, expected, check_exact=True)
    assert scores.attrs == {"source": "test", "bins": 5} and rfm.attrs == {"source": "test"}
    scores.loc[3, "monetary"] = -1.0
    scores.iloc[0, scores.columns.get_loc("r_score")] = 0
    assert rfm["monetary"].tolist() == [900.0, 50.0, 60.0, 30.0, 400.0]
    assert "r_score" not in rfm
    # Scoring the scores again (names already there) replaces them in place, as before.
    again = rfm_scores(expected, bins=2)
    assert again.columns.tolist() == expected.columns.tolist()
    # bins=2: threshold = 2nd smallest (k = 5 // 2 = 2): days -40, orders 1, monetary 50; a value
    # at or below it scores 1: R [2, 1, 1, 1, 2], F [2, 1, 1, 1, 2], M [2, 1, 2, 1, 2].
    assert again["rfm_code"].tolist() == ["222", "111", "112", "111", "222"]


def _pandas_summary_means(segments):
    """The means of rfm_summary as pandas' group kernel computes them."""
    grouped = segments.groupby("rfm_segment", observed=False, sort=True)
    return pd.DataFrame(
        {
            f"mean_{column}": grouped[column].mean()
            for column in ("days_since_last", "orders", "monetary")
        }
    )


@pytest.mark.parametrize("sorted_segments", [False, True])
def test_summary_means_are_pandas_group_means(sorted_segments):
    """Means from the sums and counts (monetary) or one bincount (integers): pandas', to the bit.

    Float noise in the amounts (sums differ in their last bits by the order of addition),
    empty segments, a segment missing (NaN); with the rows sorted by segment pandas adds by
    np.add.reduceat instead of its compensated loop: the same means still.
    """
    rng = np.random.default_rng(17)
    n = 30_000
    rfm = pd.DataFrame(
        {
            "customer_id": [f"C{i:06d}" for i in range(n)],
            "days_since_last": rng.integers(0, 1_200, n),
            "orders": rng.integers(1, 60, n),
            "monetary": np.round(rng.lognormal(6, 2, n), 2) * (1 + rng.normal(0, 1e-15, n)),
        }
    )
    segments = rfm_segments(rfm_scores(rfm))
    segments = segments[segments["rfm_segment"] != "new"].reset_index(drop=True)  # empty
    if sorted_segments:
        segments = segments.sort_values("rfm_segment", kind="stable").reset_index(drop=True)
    summary = rfm_summary(segments)
    means = ["mean_days_since_last", "mean_orders", "mean_monetary"]
    pd.testing.assert_frame_equal(
        summary[means], _pandas_summary_means(segments), check_exact=True, check_names=False
    )
    assert summary.loc["new", "customers"] == 0 and summary.loc["new", means].isna().all()
    # A customer without a segment counts nowhere; a missing amount: pandas' mean (skips it).
    segments.loc[3, "rfm_segment"] = np.nan
    segments.loc[5, "monetary"] = np.nan
    pd.testing.assert_frame_equal(
        rfm_summary(segments)[means],
        _pandas_summary_means(segments),
        check_exact=True,
        check_names=False,
    )
    # By hand: two champions with 10 and 20 days, 4 and 6 orders, 100.5 and 0.25 €.
    two = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "days_since_last": [10, 20],
            "orders": [4, 6],
            "monetary": [100.5, 0.25],
            "r_score": [5, 5],
            "f_score": [5, 5],
        }
    )
    by_hand = rfm_summary(rfm_segments(two.assign(m_score=5))).loc["champions"]
    assert by_hand[means].tolist() == [15.0, 5.0, 50.375]


@settings(max_examples=60, deadline=None)
@seed(20260205)
@given(
    values=st.lists(
        st.one_of(st.integers(-3, 3), st.integers(0, 2_000), st.integers(-(2**40), 2**40)),
        min_size=1,
        max_size=200,
    ),
    bins=st.integers(2, 9),
)
def test_integer_scores_equal_the_float_scores(values, bins):
    """Days and orders (int64) are scored as integers: the scores of their floats, pandas' min
    rank (whole numbers over a short range counted, wide ranges partitioned)."""
    whole = np.array(values, dtype=np.int64)
    expected = _min_rank_scores(whole.astype(float), bins)
    np.testing.assert_array_equal(_scores(whole, bins), expected)
    np.testing.assert_array_equal(_scores(-whole, bins), _scores(-whole.astype(float), bins))
