"""Findings of notebooks 04 to 07: balance, RFM, CLV, alerts."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.metrics.balance import dependence_alerts
from portfolio_lib.studies.alerts import AlertsStudy
from portfolio_lib.studies.balance import BalanceStudy
from portfolio_lib.studies.clv import ClvStudy
from portfolio_lib.studies.findings_base import (
    Finding,
    customer_name,
    decimal,
    finite,
    group_name,
    integer,
    listing,
    money,
    percent,
    ranked,
    say,
    signed,
    threshold_text,
)
from portfolio_lib.studies.rfm import RfmStudy

__all__ = ["alerts_findings", "balance_findings", "clv_findings", "rfm_findings"]

# 04 balance


def balance_findings(
    study: BalanceStudy,
    *,
    lang: str = "fr",
    dependence_alert: float = DEFAULTS["dependence_alert"],
    lifecycle_window_months: int = DEFAULTS["lifecycle_window_months"],
) -> list[Finding]:
    """Customers above the dependence threshold by name, class A against class C, customers in
    old age and in adolescence, the pool to develop (vivier) and its first sales rep.

    Parameters
    ----------
    study : BalanceStudy
    lang : {'fr', 'en'}
    dependence_alert : float, default 0.15
        Customers above this share of the buyers' revenue are named.
    lifecycle_window_months : int, default 12
        The window the lifecycle trend compares (quoted).
    """
    found = []
    dependent = dependence_alerts(study.buyers, dependence_alert=dependence_alert)
    if len(dependent):
        names = [customer_name(row) for _, row in dependent.iterrows()]
        figures = {"customers": names, "shares": dependent["share"].tolist(),
                   "dependence_alert": dependence_alert}  # fmt: skip
        threshold = threshold_text(dependence_alert, lang)
        if len(dependent) == 1:
            found.append(
                say("balance", "dependence", 0.95, lang, figures, variant="dependence_one",
                     name=names[0], share=percent(dependent["share"].iloc[0], lang),
                     threshold=threshold)
            )  # fmt: skip
        else:
            listed = [
                f"{n} ({percent(s, lang)})" for n, s in zip(names, dependent["share"], strict=True)
            ]
            found.append(
                say("balance", "dependence", 0.95, lang, figures, variant="dependence_many",
                     count=integer(len(names), lang), names=listing(listed, lang),
                     threshold=threshold)
            )  # fmt: skip
    mix = study.abc_mix
    if {"A", "C"} <= set(mix.index) and mix["customers"].sum() > 0:
        a, c = mix.loc["A"], mix.loc["C"]
        found.append(
            say(
                "balance", "pareto", 0.7, lang,
                {"a_customers": a["customers"], "a_customer_share": a["customer_share"],
                 "a_revenue_share": a["revenue_share"], "c_customers": c["customers"],
                 "c_customer_share": c["customer_share"], "c_revenue_share": c["revenue_share"]},
                variant="abc_one" if a["customers"] == 1 else "abc", a_customers=integer(a["customers"], lang),
                a_share=percent(a["customer_share"], lang), a_revenue=percent(a["revenue_share"], lang),
                c_customers=integer(c["customers"], lang), c_share=percent(c["customer_share"], lang),
                c_revenue=percent(c["revenue_share"], lang),
            )
        )  # fmt: skip
    phases = study.lifecycle
    if "old_age" in phases.index and phases.loc["old_age", "customers"] > 0:
        old = phases.loc["old_age"]
        if old["revenue_previous"] > 0:
            change = old["revenue_recent"] / old["revenue_previous"] - 1
            found.append(
                say(
                    "balance", "old_age", 0.5 + 0.4 * min(old["customer_share"] / 0.3, 1), lang,
                    {"customers": old["customers"], "customer_share": old["customer_share"],
                     "revenue_recent": old["revenue_recent"],
                     "revenue_previous": old["revenue_previous"], "change": change},
                    customers=integer(old["customers"], lang),
                    share=percent(old["customer_share"], lang),
                    previous=money(old["revenue_previous"], lang),
                    recent=money(old["revenue_recent"], lang), change=signed(change, lang),
                    window=integer(lifecycle_window_months, lang),
                )
            )  # fmt: skip
    if "adolescence" in phases.index and phases.loc["adolescence", "customers"] > 0:
        young = phases.loc["adolescence"]
        if finite(young["trend"]):
            found.append(
                say(
                    "balance", "adolescence", 0.45, lang,
                    {"customers": young["customers"], "revenue_share": young["revenue_share"],
                     "trend": young["trend"]},
                    customers=integer(young["customers"], lang),
                    revenue_share=percent(young["revenue_share"], lang),
                    trend=percent(young["trend"], lang),
                )
            )  # fmt: skip
    vivier = study.vivier
    if vivier is not None and len(vivier):
        gap = float(vivier["gap"].sum())
        figures = {"customers": len(vivier), "gap": gap}
        shown = {"customers": integer(len(vivier), lang), "gap": money(gap, lang)}
        reps = vivier["sales_rep"].dropna() if "sales_rep" in vivier else pd.Series(dtype=object)
        if reps.nunique() > 1:  # one rep (a filtered portfolio): saying so adds nothing
            counts = reps.astype(str).value_counts(sort=False)
            rep = counts.index[counts.to_numpy().argmax()]  # first in data order on ties
            found.append(
                say("balance", "vivier", 0.85, lang,
                     {**figures, "sales_rep": rep, "sales_rep_customers": int(counts[rep])},
                     variant="vivier_rep", rep=rep, rep_customers=integer(counts[rep], lang),
                     **shown)
            )  # fmt: skip
        else:
            found.append(say("balance", "vivier", 0.85, lang, figures, **shown))
    return ranked(found)


# --------------------------------------------------------------------------------------------
# 05 RFM


def _segments_total(summary: pd.DataFrame, names: Sequence[str]) -> pd.Series:
    rows = summary.loc[[n for n in names if n in summary.index]]
    return rows[["customers", "customer_share", "revenue", "revenue_share"]].sum()


def rfm_findings(study: RfmStudy, *, lang: str = "fr") -> list[Finding]:
    """Champions' weight, customers at risk (and the largest of them), customers dozing off.

    Parameters
    ----------
    study : RfmStudy
    lang : {'fr', 'en'}
    """
    summary = study.summary
    if summary is None or summary["customers"].sum() == 0:
        return []
    found = []
    champions = _segments_total(summary, ["champions"])
    if champions["customers"] > 0:
        found.append(
            say(
                "rfm", "champions", 0.55, lang,
                {"customers": champions["customers"], "customer_share": champions["customer_share"],
                 "revenue_share": champions["revenue_share"]},
                customers=integer(champions["customers"], lang),
                share=percent(champions["customer_share"], lang),
                revenue_share=percent(champions["revenue_share"], lang),
            )
        )  # fmt: skip
    risky = ["at_risk", "cant_lose_them"]
    at_risk = _segments_total(summary, risky)
    if at_risk["customers"] > 0:
        found.append(
            say(
                "rfm", "at_risk", 0.8, lang,
                {"customers": at_risk["customers"], "revenue": at_risk["revenue"],
                 "revenue_share": at_risk["revenue_share"]},
                customers=integer(at_risk["customers"], lang),
                revenue=money(at_risk["revenue"], lang),
                revenue_share=percent(at_risk["revenue_share"], lang),
            )
        )  # fmt: skip
        rows = study.customer_segments
        rows = rows[rows["rfm_segment"].isin(risky)]  # largest revenue first
        largest = rows.iloc[0]
        rep = largest.get("sales_rep")
        has_rep = rep is not None and not pd.isna(rep)
        found.append(
            say(
                "rfm", "largest_at_risk", 0.75, lang,
                {"customer_id": largest["customer_id"], "name": customer_name(largest),
                 "sales_rep": str(rep) if has_rep else None,
                 "days_since_last": largest["days_since_last"], "monetary": largest["monetary"]},
                variant="largest_at_risk_rep" if has_rep else "largest_at_risk",
                name=customer_name(largest), rep=str(rep), days=integer(largest["days_since_last"],
                                                                         lang),
                revenue=money(largest["monetary"], lang),
            )
        )  # fmt: skip
    sleeping = _segments_total(summary, ["need_attention", "about_to_sleep"])
    if sleeping["customers"] > 0:
        found.append(
            say(
                "rfm", "sleeping", 0.6, lang,
                {"customers": sleeping["customers"], "revenue": sleeping["revenue"]},
                customers=integer(sleeping["customers"], lang),
                revenue=money(sleeping["revenue"], lang),
            )
        )  # fmt: skip
    return ranked(found)


# --------------------------------------------------------------------------------------------
# 06 CLV


def _model_name(study: ClvStudy, lang: str) -> str:
    purchases = study.models.purchases
    return "" if purchases is None else i18n.label(purchases.model, lang)


def _model_figures(study: ClvStudy) -> dict[str, object]:
    """The chosen purchase model, its holdout error and the CLV interval, when known."""
    figures: dict[str, object] = {}
    comparison = study.models.comparison
    if comparison is not None:
        figures["purchase_model"] = comparison.chosen
        figures["holdout_errors"] = {
            str(k): float(v) for k, v in comparison.table["holdout_error"].items()
        }
    if study.intervals is not None:
        low, high = study.intervals.totals.loc["clv_total", ["interval_low", "interval_high"]]
        figures.update(clv_low=float(low), clv_high=float(high), level=study.intervals.level)
    return figures


def _interval_clause(study: ClvStudy, lang: str) -> str:
    """' (between low and high at 90 %, ...)' when the intervals were computed, else ''."""
    if study.intervals is None:
        return ""
    low, high = study.intervals.totals.loc["clv_total", ["interval_low", "interval_high"]]
    return i18n.label("finding_clv_interval_clause", lang).format(
        low=money(low, lang),
        high=money(high, lang),
        level=percent(study.intervals.level, lang, 0),
    )


def clv_findings(
    study: ClvStudy,
    *,
    lang: str = "fr",
    horizon_months: int = DEFAULTS["clv_horizon_months"],
    change_alert: float = DEFAULTS["change_alert"],
    ltv_cac_min: float = DEFAULTS["ltv_cac_min"],
    p_alive_alert: float = DEFAULTS["p_alive_alert"],
    holdout_months: int = DEFAULTS["holdout_months"],
) -> list[Finding]:
    """Simple CLV and its formula, the most and least valuable groups, the group that churns
    most, the predictive CLV (with the purchase model chosen on the holdout and the CLV's
    interval when computed) and its largest customer, customers probably gone, LTV/CAC per
    acquisition channel.

    Parameters
    ----------
    study : ClvStudy
    lang : {'fr', 'en'}
    horizon_months : int, default 36
        Horizon the predictive CLV was computed on (quoted).
    change_alert : float, default 0.10
        A group's churn is a finding when above the portfolio's by more than this share.
    ltv_cac_min : float, default 3
        Channels below this LTV/CAC are named.
    p_alive_alert : float, default 0.5
        Customers whose probability of being alive is below it are counted.
    holdout_months : int, default 6
        Months the purchase models were checked on (quoted).
    """
    found = []
    total = study.simple_total
    if total is not None:
        row = total.loc["total"]
        found.append(
            say(
                "clv", "simple", 0.6, lang,
                {name: row[name] for name in ("clv", "average_basket", "purchases_per_year",
                                             "margin_rate", "expected_lifetime_years")},
                clv=money(row["clv"], lang), basket=money(row["average_basket"], lang),
                purchases=decimal(row["purchases_per_year"], lang),
                margin_rate=percent(row["margin_rate"], lang),
                lifetime=decimal(row["expected_lifetime_years"], lang),
            )
        )  # fmt: skip
    simple = study.simple
    if simple is not None and (simple["clv"] > 0).sum() >= 2:
        valued = simple[simple["clv"] > 0]
        best, worst = valued["clv"].idxmax(), valued["clv"].idxmin()
        ratio = valued.loc[best, "clv"] / valued.loc[worst, "clv"]
        found.append(
            say(
                "clv", "groups", 0.55, lang,
                {"by": simple.index.name, "best": str(best), "best_clv": valued.loc[best, "clv"],
                 "worst": str(worst), "worst_clv": valued.loc[worst, "clv"], "ratio": ratio},
                attribute=i18n.label(simple.index.name, lang).lower(),
                best=group_name(best, lang), worst=group_name(worst, lang),
                best_clv=money(valued.loc[best, "clv"], lang),
                worst_clv=money(valued.loc[worst, "clv"], lang), ratio=decimal(ratio, lang, 0),
            )
        )  # fmt: skip
    churns = study.group_churn
    if churns is not None and len(churns) >= 2 and finite(study.annual_churn):
        group = churns.idxmax()
        if churns[group] > study.annual_churn * (1 + change_alert):
            found.append(
                say(
                    "clv", "group_churn", 0.6, lang,
                    {"group": str(group), "annual_churn": churns[group],
                     "portfolio_churn": study.annual_churn},
                    group=group_name(group, lang), churn=percent(churns[group], lang),
                    overall=percent(study.annual_churn, lang),
                )
            )  # fmt: skip
    predicted, top = study.predicted, study.top_customers
    if predicted is not None and top is not None and len(top) and predicted["clv"].sum() > 0:
        value = float(predicted["clv"].sum())
        first = top.iloc[0]
        share = first["clv"] / value
        figures = {"clv_total": value, "horizon_months": horizon_months,
                   "customer_id": first["customer_id"], "name": customer_name(first),
                   "clv": first["clv"], "share": share}  # fmt: skip
        found.append(
            say(
                "clv", "predictive", 0.5 + 0.4 * min(share / 0.2, 1), lang,
                {**figures, **_model_figures(study)},
                variant="predictive_model" if study.models.comparison is not None else None,
                total=money(value, lang), months=integer(horizon_months, lang),
                name=customer_name(first), share=percent(share, lang),
                interval=_interval_clause(study, lang), holdout=integer(holdout_months, lang),
                model=_model_name(study, lang),
            )
        )  # fmt: skip
        gone = int((predicted["p_alive"] < p_alive_alert).sum())
        if gone:
            found.append(
                say(
                    "clv", "p_alive", 0.3 + 0.4 * gone / len(predicted), lang,
                    {"customers": gone, "total": len(predicted), "p_alive_alert": p_alive_alert},
                    customers=integer(gone, lang), total=integer(len(predicted), lang),
                    threshold=threshold_text(p_alive_alert, lang),
                )
            )  # fmt: skip
    ratios = None if study.ltv_cac is None else study.ltv_cac["ltv_to_cac"].dropna()
    if ratios is not None and len(ratios) >= 2:
        best, worst = ratios.idxmax(), ratios.idxmin()
        low = ratios[ratios < ltv_cac_min]
        figures = {"best": str(best), "best_ratio": ratios[best], "worst": str(worst),
                   "worst_ratio": ratios[worst], "below": [str(c) for c in low.index],
                   "ltv_cac_min": ltv_cac_min}  # fmt: skip
        shown = {"best": str(best), "best_ratio": decimal(ratios[best], lang)}
        if len(low):
            names = [f"« {c} » ({decimal(r, lang)})" if lang == "fr" else f"“{c}” "
                     f"({decimal(r, lang)})" for c, r in low.items()]  # fmt: skip
            found.append(
                say("clv", "ltv_cac_channels", 0.85, lang, figures, variant="channels_low_one" if len(low) == 1 else "channels_low",
                     count=integer(len(low), lang), limit=decimal(ltv_cac_min, lang, 0),
                     names=listing(names, lang), **shown)
            )  # fmt: skip
        else:
            found.append(
                say("clv", "ltv_cac_channels", 0.5, lang, figures, variant="channels",
                     worst=str(worst), worst_ratio=decimal(ratios[worst], lang), **shown)
            )  # fmt: skip
    return ranked(found)


# --------------------------------------------------------------------------------------------
# 07 alerts


def alerts_findings(
    study: AlertsStudy,
    *,
    lang: str = "fr",
    top_at_risk: int = DEFAULTS["top_at_risk"],
    rep_alert_ratio: float = DEFAULTS["rep_alert_ratio"],
) -> list[Finding]:
    """Customers alerted and revenue at risk, the rep with many alerts, the key accounts
    alerted, the first customer to call and why.

    Parameters
    ----------
    study : AlertsStudy
    lang : {'fr', 'en'}
    top_at_risk : int, default 20
        How many of the largest customers the study watched (quoted).
    rep_alert_ratio : float, default 1.25
        A rep is named when they have at least this many times the average number of
        customers alerted per rep.
    """
    alerts = study.alerts
    if not len(alerts):
        return []
    found = []
    at_risk = float(alerts["revenue_at_risk"].sum())
    found.append(
        say(
            "alerts", "total", 0.75, lang, {"customers": len(alerts), "revenue_at_risk": at_risk},
            customers=integer(len(alerts), lang), revenue=money(at_risk, lang),
        )
    )  # fmt: skip
    by_rep = study.by_rep[study.by_rep.index.astype(str) != "unknown"]
    if len(by_rep) >= 2:
        rep = by_rep["customers_alerted"].idxmax()
        count = by_rep.loc[rep, "customers_alerted"]
        average = study.by_rep["customers_alerted"].mean()
        if count >= rep_alert_ratio * average:
            found.append(
                say(
                    "alerts", "rep", 0.5 + 0.2 * min(count / average - 1, 1.5), lang,
                    {"sales_rep": str(rep), "customers_alerted": count,
                     "share": count / len(alerts), "revenue_at_risk": by_rep.loc[rep,
                                                                                  "revenue_at_risk"],
                     "average": average, "rep_alert_ratio": rep_alert_ratio},
                    rep=str(rep), customers=integer(count, lang),
                    share=percent(count / len(alerts), lang, 0),
                    revenue=money(by_rep.loc[rep, "revenue_at_risk"], lang),
                )
            )  # fmt: skip
    keys = alerts[alerts["top_at_risk"]]
    if len(keys):
        found.append(
            say(
                "alerts", "key_accounts", 0.6 + 0.3 * min(len(keys) / max(top_at_risk, 1) / 0.3, 1),
                lang,
                {"customers": len(keys), "top_at_risk": top_at_risk,
                 "revenue_at_risk": keys["revenue_at_risk"].sum()},
                customers=integer(len(keys), lang), top=integer(top_at_risk, lang),
                revenue=money(keys["revenue_at_risk"].sum(), lang),
            )
        )  # fmt: skip
    first = alerts.sort_values("priority").iloc[0]
    reasons = []
    if first["top_at_risk"]:
        reasons.append(i18n.label("finding_alerts_reason_key", lang))
    if first["revenue_drop"] and finite(first["revenue_change"]):
        reasons.append(
            i18n.label("finding_alerts_reason_drop", lang).format(
                drop=percent(-first["revenue_change"], lang)
            )
        )
    if first["overdue"]:
        reasons.append(
            i18n.label("finding_alerts_reason_overdue", lang).format(
                days=integer(first["days_since_last"], lang),
                ratio=decimal(first["gap_ratio"], lang),
            )
        )
    found.append(
        say(
            "alerts", "priority", 0.7, lang,
            {"customer_id": first["customer_id"], "name": customer_name(first),
             "sales_rep": str(first["sales_rep"]), "revenue_at_risk": first["revenue_at_risk"],
             "revenue_change": first["revenue_change"],
             "days_since_last": first["days_since_last"]},
            name=customer_name(first), rep=group_name(first["sales_rep"], lang),
            reasons=listing(reasons, lang), revenue=money(first["revenue_at_risk"], lang),
        )
    )  # fmt: skip
    return ranked(found)
