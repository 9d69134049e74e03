"""The portfolio's value (notebook 06, issue 14): break-even, customer equity, the price of the
clientele and the ideal customer profile.

Everything reads the customers' totals over the last 12 months (the active customers, as the
balance and CLV analyses). The customer equity sums each customer's discounted CLV:
predictive when the models fit (pass ``predicted``, e.g. ``clv_study(...).predicted``), else
the simple formula's yearly margin discounted with the survival
(:func:`portfolio_lib.metrics.equity.customer_clv`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.engine.tables import views
from portfolio_lib.metrics.balance import abc_classes
from portfolio_lib.metrics.equity import (
    break_even,
    clientele_price,
    customer_clv,
    customer_equity,
)
from portfolio_lib.metrics.hitparade import hit_parade
from portfolio_lib.metrics.profile import first_year_behaviour, top_flags, trait_frame, trait_lift
from portfolio_lib.studies.base import (
    Note,
    StudyNote,
    StudyResult,
    annual_churn_or_note,
    customer_totals,
)

__all__ = ["EQUITY_GROUPS", "VALUE_FORMATS", "ValueStudy", "profile_traits", "value_study"]

_T = TypeVar("_T")
# Groups the customer equity is given by, when the customer table (or the tiers) has them.
EQUITY_GROUPS = ("sales_rep", "segment", "tier")
_PRICE_BASES = ("revenue", "margin", "equity")
_MONEY = ("value_total", "fixed_charges", "profit", "large_value", "small_value")
_SHARES = ("break_even_customer_share", "small_share_of_value", "small_share_of_profit")
#: Number formats of the value tables (``show_table(..., formats=)``, explorer downloads).
VALUE_FORMATS = {
    "break_even": {**dict.fromkeys(_MONEY, "money"), **dict.fromkeys(_SHARES, "percent")},
    "price": {"value_total": "money", "rate_low": "percent", "rate_high": "percent"},
    "profile": {"lift": "ratio"},
}

i18n.register(
    {
        "note_break_even_on_revenue": {
            "fr": "Le fichier n'a pas de marge : le point mort compte le CA des clients.",
            "en": "The file has no margin: the break-even counts the customers' revenue.",
        },
        "note_no_clv_for_equity": {
            "fr": "Ni modèle prédictif ni taux d'attrition annuel : le capital client n'est pas "
            "calculé.",
            "en": "Neither predictive model nor annual churn: the customer equity is not computed.",
        },
        "profile_top_abc": {"fr": "classe A (ABC)", "en": "ABC class A"},
        "profile_top_clv": {
            "fr": "20 % des clients de plus forte CLV",
            "en": "top 20 % of customers by CLV",
        },
    }
)


@dataclass(frozen=True, eq=False, repr=False)
class ValueStudy(StudyResult):
    """Break-even, customer equity, clientele price and ideal customer profile.

    Attributes
    ----------
    break_even : pandas.Series
        :func:`portfolio_lib.metrics.equity.break_even` on the margin (revenue without one).
    break_even_value : str
        'margin' or 'revenue'.
    ranked : pandas.DataFrame
        The active customers by value descending with the cumulative value (break-even chart).
    values : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.equity.customer_clv` per active customer.
    equity : pandas.DataFrame or None
        :func:`portfolio_lib.metrics.equity.customer_equity` of the whole portfolio.
    equity_by : dict
        Customer equity by sales rep, segment and tier (when present).
    price : pandas.DataFrame
        :func:`portfolio_lib.metrics.equity.clientele_price` on three bases (rows): the
        year's revenue, its margin and the customer equity.
    profile : pandas.DataFrame
        :func:`portfolio_lib.metrics.profile.trait_lift`, sorted by lift.
    profile_top : str
        Label key of who the most valuable customers are.
    notes : tuple
    """

    break_even: pd.Series
    break_even_value: str
    ranked: pd.DataFrame
    values: pd.DataFrame | None
    equity: pd.DataFrame | None
    equity_by: dict[str, pd.DataFrame]
    price: pd.DataFrame
    profile: pd.DataFrame
    profile_top: str
    notes: tuple[StudyNote, ...] = ()

    @property
    def break_even_row(self) -> pd.DataFrame:
        """``break_even`` as a one-row table: counts as whole numbers, the cover as yes/no."""
        row = self.break_even.to_frame().T.reset_index(drop=True)
        counts = ["customers", "break_even_customers", "large_customers", "small_customers"]
        row[counts] = row[counts].astype("Int64")
        row["large_cover_charges"] = row["large_cover_charges"].astype(bool)
        return row


def profile_traits(
    agg: Aggregates, totals: pd.DataFrame, first_year: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The ideal profile's traits of the active customers of ``totals``
    (:func:`portfolio_lib.metrics.profile.trait_frame`, first-year behaviour included): what
    an explorer computes once."""
    if first_year is None:
        first_year = first_year_behaviour(agg.monthly, agg.customers)
    active = totals["revenue"].to_numpy(dtype=float) > 0
    buyers = totals.loc[active].reset_index(drop=True)
    return trait_frame(buyers.join(first_year.loc[active].reset_index(drop=True)))


def value_study(
    agg: Aggregates,
    *,
    predicted: pd.DataFrame | None = None,
    tiers: pd.DataFrame | None = None,
    fixed_charges: float = DEFAULTS["fixed_charges"],
    small_customers_share: float = DEFAULTS["small_customers_share"],
    price_rates: tuple[float, float] = DEFAULTS["clientele_price_range"],
    profile_top: str = DEFAULTS["profile_top"],
    a_cut: float = DEFAULTS["a_cut"],
    discount_rate: float = DEFAULTS["discount_rate"],
    activity_window: int = DEFAULTS["activity_window"],
    totals: pd.DataFrame | None = None,
    first_year: pd.DataFrame | None = None,
    traits: pd.DataFrame | None = None,
    memo: dict[object, object] | None = None,
) -> ValueStudy:
    """The portfolio's value "en capital" and its break-even, and the ideal customer profile.

    Parameters
    ----------
    agg : Aggregates
    predicted : pandas.DataFrame, optional
        :func:`portfolio_lib.models.predictive_clv` of ``agg.customers`` (same rows); without
        it the equity uses the simple formula.
    tiers : pandas.DataFrame, optional
        ``customer_id`` and ``tier`` (the hit-parade tiers): the equity by tier; by default
        :func:`portfolio_lib.metrics.hitparade.hit_parade` of the active customers.
    fixed_charges : float, default 0
        Yearly fixed charges (€) for the break-even.
    small_customers_share : float, default 0.80
    price_rates : (float, float), default (0.015, 0.025)
        The clientele price's percentage range.
    profile_top : {'abc', 'clv'}, default 'abc'
        The most valuable customers: ABC class A, or the 20 % of largest CLV.
    a_cut : float, default 0.80
    discount_rate : float, default 0.10
    activity_window : int, default 12
    totals, first_year : pandas.DataFrame, optional
        ``customer_totals(agg, window=activity_window)`` and
        ``first_year_behaviour(agg.monthly, agg.customers)`` computed beforehand (explorers).
    traits : pandas.DataFrame, optional
        :func:`profile_traits` of the same ``totals`` and ``first_year``, computed beforehand.
    memo : dict, optional
        A dict the caller keeps between calls with the same ``agg``, ``predicted``, ``tiers``
        and ``totals`` (an explorer): the ranking, the CLVs and equity and the profile are kept
        there, so a change of the charges or of the price range only redoes those.

    Returns
    -------
    ValueStudy
    """
    if profile_top not in ("abc", "clv"):
        raise ValueError(f"profile_top must be 'abc' or 'clv', got {profile_top!r}")
    memo = {} if memo is None else memo
    notes: list[StudyNote] = []

    def once(key: object, compute: Callable[[list[StudyNote]], _T]) -> _T:
        """``compute(notes)``, or what it gave the last time (``memo``), with the same notes."""
        if key not in memo:
            found: list[StudyNote] = []
            memo[key] = (compute(found), tuple(found))
        result, found_notes = memo[key]
        notes.extend(found_notes)
        return result

    customers = once(
        "totals",
        lambda _: customer_totals(agg, window=activity_window) if totals is None else totals,
    )
    if tiers is None:  # the hit-parade's tiers of the active customers (text 003)
        tiers = once(
            "tiers",
            lambda _: hit_parade(
                customers.loc[customers["revenue"] > 0, ["customer_id", "revenue"]]
            ),
        )
    value, buyers, ranked = once("ranked", lambda found: _ranked(agg, customers, tiers, found))
    summary = break_even(
        ranked, fixed_charges=fixed_charges, value=value,
        small_customers_share=small_customers_share,
    )  # fmt: skip
    values, equity, equity_by = once(
        ("equity", discount_rate),
        lambda found: _equity(agg, customers, predicted, tiers, discount_rate, activity_window,
                              found),
    )  # fmt: skip
    bases = {
        "revenue": float(buyers["revenue"].sum()),
        "margin": float(buyers["margin"].sum()) if value == "margin" else np.nan,
        "equity": np.nan if equity is None else float(equity["equity"].sum()),
    }
    price = pd.DataFrame(
        [clientele_price(bases[key], rates=price_rates) for key in _PRICE_BASES],
        index=pd.CategoricalIndex(_PRICE_BASES, name="price_base"),
    ).drop(columns="price_base")
    price.insert(0, "value_total", [bases[key] for key in _PRICE_BASES])
    top_key = (
        "profile_top_clv" if profile_top == "clv" and values is not None else "profile_top_abc"
    )
    profile = once(
        ("profile", top_key, a_cut),
        lambda _: trait_lift(
            profile_traits(agg, customers, first_year) if traits is None else traits,
            top_flags(values, "clv") if top_key == "profile_top_clv" else _class_a(buyers, a_cut),
        ),
    )
    return ValueStudy(
        break_even=summary,
        break_even_value=value,
        ranked=ranked,
        values=values,
        equity=equity,
        equity_by=equity_by,
        price=price,
        profile=profile,
        profile_top=top_key,
        notes=tuple(notes),
    )


def _ranked(
    agg: Aggregates, customers: pd.DataFrame, tiers: pd.DataFrame | None, notes: list[StudyNote]
) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """The value counted (margin, else revenue), the active customers (with their tier) and
    them ranked by that value with its cumulative sum (the break-even's curve)."""
    active = customers["revenue"].to_numpy(dtype=float) > 0
    with_margin = views(agg.monthly).has_values("margin") and "margin" in customers.columns
    value = "margin" if with_margin else "revenue"
    if not with_margin:
        notes.append(Note("note_break_even_on_revenue"))
    buyers = customers.loc[active].reset_index(drop=True)
    if tiers is not None:
        buyers = buyers.merge(tiers[["customer_id", "tier"]], on="customer_id", how="left")
    frame = buyers[["customer_id", value]].fillna({value: 0.0})
    ranked = frame.sort_values(value, ascending=False, kind="stable", ignore_index=True)
    ranked["rank"] = np.arange(1, len(ranked) + 1)
    ranked["cumulative"] = ranked[value].cumsum()
    return value, buyers, ranked


def _equity(
    agg: Aggregates,
    customers: pd.DataFrame,
    predicted: pd.DataFrame | None,
    tiers: pd.DataFrame | None,
    discount_rate: float,
    activity_window: int,
    notes: list[StudyNote],
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict[str, pd.DataFrame]]:
    """Each active customer's CLV, the customer equity and the equity by group."""
    churn = None if predicted is not None else annual_churn_or_note(agg, activity_window, notes)
    if predicted is None and churn is None:
        notes.append(Note("note_no_clv_for_equity"))
        return None, None, {}
    source = customers if tiers is None else customers.merge(
        tiers[["customer_id", "tier"]], on="customer_id", how="left"
    )  # fmt: skip
    values = customer_clv(source, predicted=predicted, annual_churn=churn,
                          discount_rate=discount_rate)  # fmt: skip
    equity_by = {by: customer_equity(values, by=by) for by in EQUITY_GROUPS if by in values}
    return values, customer_equity(values), equity_by


def _class_a(buyers: pd.DataFrame, a_cut: float) -> np.ndarray:
    """True for the active customers of ABC class A (their year's revenue)."""
    classes = abc_classes(buyers[["customer_id", "revenue"]], a_cut=a_cut, b_cut=1.0)
    a_ids = classes.loc[classes["abc"] == "A", "customer_id"]
    return buyers["customer_id"].isin(a_ids).to_numpy()
