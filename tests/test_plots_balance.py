"""Balance charts: what is drawn equals the balance tables, labels follow the language."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle

from portfolio_lib.i18n import label
from portfolio_lib.metrics.balance import (
    abc_classes,
    class_summary,
    concentration,
    dependence_alerts,
    lifecycle_summary,
    pmg_classes,
    potential_matrix,
    potential_matrix_summary,
)
from portfolio_lib.plots.balance import (
    plot_class_mix,
    plot_concentration,
    plot_lifecycle,
    plot_pareto_curve,
    plot_potential_matrix,
)
from portfolio_lib.plots.common import COLORS

NB = "\u00a0"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def customers():
    # Total 100: shares 50, 30, 10, 5, 5, 0 %. Cumulative share before each customer:
    # 0, .50, .80, .90, .95, 1 -> A, A, B, B, C, C (f has no revenue: C).
    return pd.DataFrame(
        {
            "customer_id": list("abcdef"),
            "name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"],
            "revenue": [50.0, 30.0, 10.0, 5.0, 5.0, 0.0],
        }
    )


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def _zones(ax):
    return [
        (round(p.get_x(), 9), round(p.get_x() + p.get_width(), 9))
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_width() < 1.0
    ]


# --------------------------------------------------------------------------------- Pareto


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pareto_curve_is_the_cumulative_share_with_abc_zones(customers, lang):
    abc = abc_classes(customers)
    ax = plot_pareto_curve(abc, lang=lang)
    diagonal, curve = ax.lines[0], ax.lines[1]
    assert list(diagonal.get_xdata()) == [0, 1] and list(diagonal.get_ydata()) == [0, 1]
    np.testing.assert_allclose(curve.get_xdata(), np.arange(7) / 6)
    np.testing.assert_allclose(curve.get_ydata(), [0, 0.5, 0.8, 0.9, 0.95, 1.0, 1.0])
    # A = a, b (2 of 6 customers), B = c, d, C = e, f.
    assert _zones(ax) == [(0.0, round(2 / 6, 9)), (round(2 / 6, 9), round(4 / 6, 9)),
                          (round(4 / 6, 9), 1.0)]  # fmt: skip
    assert [t for t in _texts(ax) if len(t) == 1] == ["A", "B", "C"]
    # The end of class A is annotated: 2 customers of 6 make 80 % of revenue.
    (note,) = [a for a in ax.texts if "\n" in a.get_text()]
    expected = (
        f"33,3{NB}% des clients\nfont 80{NB}% du CA"
        if lang == "fr"
        else "33.3% of customers\nmake 80% of revenue"
    )
    assert note.get_text() == expected
    assert note.xy == pytest.approx((2 / 6, 0.8))
    assert ax.get_xlabel() == label("pareto_x", lang)
    assert ax.get_ylabel() == label("cumulative_share", lang)
    assert ax.get_title() == label("pareto_title", lang)


def test_pareto_curve_of_a_large_portfolio_is_thinned_through_the_class_ends():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {"customer_id": [f"c{i:05d}" for i in range(20_000)], "revenue": rng.pareto(1.2, 20_000)}
    )
    abc = abc_classes(frame)
    ax = plot_pareto_curve(abc, lang="en", max_points=500)
    x, y = ax.lines[1].get_xdata(), ax.lines[1].get_ydata()
    assert len(x) <= 503  # (0, 0), 500 spaced points and the two class ends
    assert (x[0], y[0]) == (0.0, 0.0) and x[-1] == 1.0 and y[-1] == pytest.approx(1.0)
    n_a = int((abc["abc"] == "A").sum())
    position = np.flatnonzero(np.isclose(x, n_a / 20_000))
    assert position.size == 1
    assert y[position[0]] == pytest.approx(abc["cumulative_share"].iloc[n_a - 1])
    assert np.all(np.diff(y) >= 0)


def test_pareto_curve_draws_on_the_given_axes_only(customers):
    fig, (left, right) = plt.subplots(1, 2)
    figures = plt.get_fignums()
    assert plot_pareto_curve(abc_classes(customers), ax=right) is right
    assert plt.get_fignums() == figures
    assert len(left.lines) == 0 and len(right.lines) == 3  # diagonal, curve, A-end marker


def test_pareto_curve_without_customers_says_so():
    empty = abc_classes(pd.DataFrame({"customer_id": [], "revenue": []}))
    ax = plot_pareto_curve(empty, lang="en")
    assert len(ax.lines) == 0 and _texts(ax) == ["No data to show"]


# ------------------------------------------------------------------------------ class mix


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_class_mix_bars_are_the_customer_and_revenue_shares(customers, lang):
    mix = class_summary(abc_classes(customers))
    ax = plot_class_mix(mix, lang=lang)
    bars = ax.patches
    assert len(bars) == 6
    customer_bars, revenue_bars = bars[:3], bars[3:]
    np.testing.assert_allclose([b.get_height() for b in customer_bars], [2 / 6] * 3)
    np.testing.assert_allclose([b.get_height() for b in revenue_bars], [0.80, 0.15, 0.05])
    assert all(c.get_x() < r.get_x() for c, r in zip(customer_bars, revenue_bars, strict=True))
    word = "clients" if lang == "fr" else "customers"
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{k}\n2 {word}" for k in "ABC"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [label("customer_share", lang), label("revenue_share", lang)]
    assert ax.get_title() == label("class_mix_title", lang).format(by=label("abc", lang))
    # Direct labels: 80 % on the A revenue bar.
    labels = [t.get_text() for t in ax.texts]
    assert (f"80{NB}%" if lang == "fr" else "80%") in labels


def test_class_mix_writes_the_pmg_thresholds_under_the_classes(customers):
    pmg = pmg_classes(customers, thresholds=(8, 40))
    ax = plot_class_mix(class_summary(pmg, by="pmg"), thresholds=pmg.attrs["thresholds"],
                        lang="en")  # fmt: skip
    # small: d, e, f (5, 5, 0); medium: c (10), b (30); large: a (50).
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "Small customers\n3 customers\n< €8",
        "Medium customers\n2 customers\n€8 to €40",
        "Large customers\n1 customers\n≥ €40",
    ]
    np.testing.assert_allclose([b.get_height() for b in ax.patches[3:]], [0.10, 0.40, 0.50])


# -------------------------------------------------------------------------- concentration


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_concentration_bars_threshold_and_figures(customers, lang):
    figures = concentration(customers, top_n=(1, 2, 5))
    dependent = dependence_alerts(customers, dependence_alert=0.15)
    ax = plot_concentration(figures, dependent=dependent, dependence_alert=0.15, lang=lang)
    bars = ax.patches
    assert [round(b.get_width(), 9) for b in bars] == [0.5, 0.8, 1.0]
    # Top-1 above the threshold: alert colour; the others in the revenue colour.
    assert [b.get_facecolor() for b in bars] == [
        pytest.approx(to_rgba(c)) for c in (COLORS["alert"], COLORS["revenue"], COLORS["revenue"])
    ]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        label(k, lang) for k in ("top_1_share", "top_2_share", "top_5_share")
    ]
    (threshold,) = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert list(threshold.get_xdata()) == [0.15, 0.15]
    text = "\n".join(_texts(ax))
    # HHI = 50² + 30² + 10² + 5² + 5² = 3,550; a (50 %) and b (30 %) are above 15 %.
    assert (f"3{NB}550" if lang == "fr" else "3,550") in text
    assert "Alpha" in text and "Beta" in text and "Gamma" not in text
    assert (f"50,0{NB}%" if lang == "fr" else "50.0%") in text
    assert ax.get_title() == label("concentration_title", lang)


def test_concentration_without_dependence_says_so_in_green():
    frame = pd.DataFrame({"customer_id": list("abcdefghij"), "revenue": [10.0] * 10})
    ax = plot_concentration(concentration(frame), dependent=dependence_alerts(frame), lang="en")
    (note,) = [t for t in ax.texts if t.get_text() == label("no_dependence", "en")]
    assert note.get_color() == COLORS["good"]
    assert ax.patches[0].get_facecolor() == pytest.approx(to_rgba(COLORS["revenue"]))


def test_concentration_draws_on_the_given_axes(customers):
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_concentration(concentration(customers), ax=right) is right
    assert len(left.patches) == 0 and len(right.patches) == 3
    assert len(fig.axes) == 2


# ------------------------------------------------------------------------------ lifecycle


@pytest.fixture
def phases():
    # 4 customers: one in childhood, two adolescents, one in old age.
    return pd.DataFrame(
        {
            "customer_id": list("abcd"),
            "phase": pd.Categorical(
                ["childhood", "adolescence", "adolescence", "old_age"],
                categories=["childhood", "adolescence", "adulthood", "old_age", "lost"],
                ordered=True,
            ),
            "revenue_recent": [100.0, 300.0, 300.0, 300.0],
            "revenue_previous": [0.0, 200.0, 200.0, 600.0],
        }
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_lifecycle_bars_are_the_phase_shares_with_counts_and_trends(phases, lang):
    summary = lifecycle_summary(phases)
    ax = plot_lifecycle(summary, lang=lang)
    heights = [round(b.get_height(), 9) for b in ax.patches]
    # customers 1, 2, 0, 1, 0 of 4; recent revenue 100, 600, 0, 300, 0 of 1,000.
    assert heights == [0.25, 0.5, 0.0, 0.25, 0.0, 0.1, 0.6, 0.0, 0.3, 0.0]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    word = "clients" if lang == "fr" else "customers"
    # adolescence: 600 / 400 - 1 = +50 %; old age: 300 / 600 - 1 = -50 %.
    assert ticks[0] == f"{label('childhood', lang)}\n1 {word}"
    assert ticks[1].endswith(f"+50{NB}%" if lang == "fr" else "+50%")
    assert ticks[3].endswith(f"-50{NB}%" if lang == "fr" else "-50%")
    assert ticks[2] == f"{label('adulthood', lang)}\n0 {word}"
    assert ax.get_xticklabels()[3].get_color() == COLORS["old_age"]
    assert ax.get_title() == label("lifecycle_title", lang)


# ------------------------------------------------------------------------ potential matrix


@pytest.fixture
def matrix_cells():
    # Potentials 1..9 k€: q1 = 3,667 and q2 = 6,333 -> low = 1, 2, 3; medium = 4, 5, 6; high = 7,
    # 8, 9 (k€). Penetration cuts .25 / .60.
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(1, 10)],
            "potential": [1e3 * i for i in range(1, 10)],
            "revenue": [900.0, 100.0, 3000.0, 2000.0, 0.0, 1000.0, 700.0, 800.0, 8100.0],
        }
    )
    return potential_matrix_summary(potential_matrix(frame))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_potential_matrix_is_text_002s_layout_with_the_vivier_block(matrix_cells, lang):
    ax = plot_potential_matrix(matrix_cells, lang=lang)
    (image,) = [i for i in ax.get_images() if isinstance(i, AxesImage)]
    # Text 002's layout: rows low, medium, high potential (the highest last); columns high,
    # medium, low penetration ("peu ou pas implantés" last).
    # low: c1 (90 %, gap 100), c2 (5 %, 1,900), c3 (100 %, 0);
    # medium: c4 (50 %, 2,000), c5 (0 %, 5,000), c6 (16.7 %, 5,000);
    # high: c7 (10 %, 6,300), c8 (10 %, 7,200), c9 (90 %, 900).
    expected = [[100, 0, 1_900], [0, 2_000, 10_000], [900, 0, 13_500]]
    np.testing.assert_allclose(image.get_array(), expected)
    texts = _texts(ax)
    word = "clients" if lang == "fr" else "customers"
    assert f"2 {word}" in texts[0] and f"1 {word}" in texts[2]
    # The vivier: the two last rows x the two last columns, framed, with its count:
    # c4 (medium, medium) + c5, c6 (medium, low) + c7, c8 (high, low) = 5 customers.
    frames = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert len(frames) == 1 and frames[0].get_xy() == pytest.approx((0.52, 0.52))
    assert frames[0].get_width() == pytest.approx(1.96)
    assert texts[-1] == label("vivier_move_up", lang).format(n=5)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        label(k, lang) for k in ("low", "medium", "high")
    ]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        label(k, lang) for k in ("high", "medium", "low")
    ]
    assert ax.get_xlabel() == label("penetration_class", lang)


def test_potential_matrix_draws_on_the_given_axes(matrix_cells):
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_potential_matrix(matrix_cells, ax=right) is right
    assert left.get_images() == [] and len(right.get_images()) == 1
    assert len(fig.axes) == 3  # the two axes and the colour bar of the right one
