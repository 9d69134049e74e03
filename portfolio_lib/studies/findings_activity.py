"""Findings of notebooks 00 to 03: overview, weight, movements, costs."""

from __future__ import annotations

import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.studies.costs import CostsStudy
from portfolio_lib.studies.findings_base import (
    Finding,
    decimal,
    finite,
    group_name,
    integer,
    money,
    percent,
    period_label,
    ranked,
    say,
    signed,
    threshold_text,
)
from portfolio_lib.studies.findings_moves import retention_findings
from portfolio_lib.studies.findings_texts import BRIDGE_PARTS
from portfolio_lib.studies.movements import MovementsStudy
from portfolio_lib.studies.overview import OverviewStudy
from portfolio_lib.studies.weight import WeightStudy

__all__ = ["costs_findings", "movements_findings", "overview_findings", "weight_findings"]

# --------------------------------------------------------------------------------------------
# 00 overview


def overview_findings(
    study: OverviewStudy,
    *,
    lang: str = "fr",
    activity_window: int = DEFAULTS["activity_window"],
    dependence_alert: float = DEFAULTS["dependence_alert"],
) -> list[Finding]:
    """Revenue and its growth, churn against acquisition, Pareto share, dependence, penetration.

    Parameters
    ----------
    study : OverviewStudy
    lang : {'fr', 'en'}
    activity_window : int, default 12
        The window the study was computed on (quoted in the sentences).
    dependence_alert : float, default 0.15
        The largest customer is a finding above this share of revenue.
    """
    kpis, shares = study.kpis, study.concentration
    window = integer(activity_window, lang)
    found = []
    revenue, previous, growth = kpis["revenue"], kpis["revenue_previous"], kpis["revenue_growth"]
    figures = {"revenue": revenue, "active_customers": kpis["active_customers"]}
    shown = {
        "window": window,
        "revenue": money(revenue, lang),
        "customers": integer(kpis["active_customers"], lang),
    }
    if finite(growth):
        direction = i18n.label("finding_up" if growth >= 0 else "finding_down", lang)
        found.append(
            say(
                "overview", "revenue", 0.9 if growth < -0.05 else 0.6, lang,
                {**figures, "revenue_previous": previous, "revenue_growth": growth},
                variant="revenue_growth", direction=direction, growth=percent(abs(growth), lang),
                previous=money(previous, lang), **shown,
            )
        )  # fmt: skip
    else:
        found.append(say("overview", "revenue", 0.5, lang, figures, **shown))
    lost, new, churn = kpis["lost_customers"], kpis["new_customers"], kpis["churn_rate"]
    if finite(churn):
        found.append(
            say(
                "overview", "churn", 0.85 if lost > new else 0.5, lang,
                {"lost_customers": lost, "new_customers": new, "churn_rate": churn},
                variant="churn_net_loss" if lost > new else "churn", window=window,
                lost=integer(lost, lang), new=integer(new, lang), churn=percent(churn, lang),
            )
        )  # fmt: skip
    n, pareto = shares["n_customers"], shares.get("pareto_80_share")
    if finite(pareto) and n > 0:
        count = round(pareto * n)
        found.append(
            say(
                "overview", "pareto", 0.75 if pareto <= 0.2 else 0.55, lang,
                {"pareto_80_share": pareto, "customers": count, "active_customers": n},
                share=percent(pareto, lang, 0), customers=integer(count, lang), total=integer(n, lang),
            )
        )  # fmt: skip
    top = shares.get("top_1_share")
    if finite(top) and top > dependence_alert:
        found.append(
            say(
                "overview", "dependence", 0.9, lang,
                {"top_1_share": top, "dependence_alert": dependence_alert},
                share=percent(top, lang), threshold=threshold_text(dependence_alert, lang),
            )
        )  # fmt: skip
    penetration = kpis.get("penetration")
    if finite(penetration) and penetration < 0.5:
        found.append(
            say(
                "overview", "penetration", 0.45, lang,
                {"penetration": penetration, "potential": kpis["potential"]},
                penetration=percent(penetration, lang), potential=money(kpis["potential"], lang),
            )
        )  # fmt: skip
    return ranked(found)


# --------------------------------------------------------------------------------------------
# 01 weight


def weight_findings(study: WeightStudy, *, lang: str = "fr") -> list[Finding]:
    """Active customers against a year before, the heaviest group of each attribute, and the
    sales rep with the lowest penetration of their customers' potential.

    Parameters
    ----------
    study : WeightStudy
    lang : {'fr', 'en'}
    """
    found = []
    trend = study.trend
    if len(trend):
        last = trend.iloc[-1]
        earlier = trend[trend["period_end"] == last["period_end"] - pd.DateOffset(years=1)]
        if len(earlier) and earlier["active_customers"].iloc[0] > 0:
            now, before = int(last["active_customers"]), int(earlier["active_customers"].iloc[0])
            change = now / before - 1
            found.append(
                say(
                    "weight", "active_trend", 0.8 if change < -0.05 else 0.5, lang,
                    {"active_customers": now, "active_customers_year_before": before,
                     "change": change, "month": last["period_end"]},
                    customers=integer(now, lang), previous=integer(before, lang),
                    change=signed(change, lang),
                    month=i18n.month_label(pd.Timestamp(last["period_end"]), lang),
                )
            )  # fmt: skip
    for attribute, table in study.by.items():
        if len(table) < 2 or table["revenue"].sum() <= 0:  # one group: nothing to compare
            continue
        top = table.loc[table["revenue_share"].idxmax()]
        lead = top["revenue_share"] - top["customer_share"]
        found.append(
            say(
                "weight", f"top_{attribute}", 0.4 + 0.5 * max(lead, 0.0), lang,
                {"attribute": attribute, "group": str(top[attribute]),
                 "revenue": top["revenue"], "revenue_share": top["revenue_share"],
                 "customers": top["customers"], "customer_share": top["customer_share"]},
                variant="top_rep" if attribute == "sales_rep" else "top_group",
                attribute=i18n.label(attribute, lang),
                group=group_name(top[attribute], lang), revenue=money(top["revenue"], lang),
                revenue_share=percent(top["revenue_share"], lang),
                customer_share=percent(top["customer_share"], lang),
                customers=integer(top["customers"], lang),
            )
        )  # fmt: skip
    reps = study.by.get("sales_rep")
    if reps is not None and "penetration" in reps and reps["penetration"].notna().sum() > 1:
        known = reps[reps["penetration"].notna() & (reps["sales_rep"] != "unknown")]
        if len(known) > 1:
            low = known.loc[known["penetration"].idxmin()]
            high = known.loc[known["penetration"].idxmax()]
            found.append(
                say(
                    "weight", "rep_penetration", 0.6, lang,
                    {"sales_rep": str(low["sales_rep"]), "penetration": low["penetration"],
                     "potential": low["potential"], "best_sales_rep": str(high["sales_rep"]),
                     "best_penetration": high["penetration"]},
                    rep=str(low["sales_rep"]), penetration=percent(low["penetration"], lang),
                    potential=money(low["potential"], lang), best_rep=str(high["sales_rep"]),
                    best_penetration=percent(high["penetration"], lang),
                )
            )  # fmt: skip
    return ranked(found)


# --------------------------------------------------------------------------------------------
# 02 movements


def _periods_per_year(table: pd.DataFrame) -> int:
    """12, 4 or 1: how many rows of a period table make a year."""
    if len(table) < 2:
        return 12
    start, end = pd.Timestamp(table["period_start"].iloc[-1]), table["period_end"].iloc[-1]
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    return max(12 // months, 1)


def movements_findings(
    study: MovementsStudy, *, lang: str = "fr", change_alert: float = DEFAULTS["change_alert"]
) -> list[Finding]:
    """The last revenue bridge (first driver and first brake), churned revenue and churn rate
    against the year before, new customers against the year before.

    Parameters
    ----------
    study : MovementsStudy
    lang : {'fr', 'en'}
    change_alert : float, default 0.10
        A year-on-year change is a finding when larger than this share (either way).
    """
    found = []
    bridge = study.bridge
    if bridge is not None and len(bridge):
        last = bridge.iloc[-1]
        when = period_label(last["period_start"], last["period_end"], lang)
        parts = {
            "new": last["new"], "reactivated": last["reactivated"],
            "expansion": last["expansion"], "contraction": -last["contraction"],
            "churned": -last["churned"],
        }  # fmt: skip
        driver = max(parts, key=parts.get)
        brake = min(parts, key=parts.get)
        start, end = last["revenue_start"], last["revenue_end"]
        if start > 0 and parts[driver] > 0 > parts[brake]:
            change = end / start - 1
            prefix = {"fr": "En " if not when.startswith(("T", "Q")) else "Au ", "en": "In "}
            found.append(
                say(
                    "movements", "bridge", 0.7, lang,
                    {"period": when, "revenue_start": start, "revenue_end": end,
                     "driver": driver, "driver_value": parts[driver],
                     "brake": brake, "brake_value": parts[brake]},
                    when=prefix[lang] + when, start=money(start, lang), end=money(end, lang),
                    change=signed(change, lang), driver=BRIDGE_PARTS[driver][lang],
                    driver_value="+" + money(parts[driver], lang),
                    brake=BRIDGE_PARTS[brake][lang], brake_value=money(parts[brake], lang),
                )
            )  # fmt: skip
        complete = bridge[bridge["complete_history"]]
        if len(complete) >= 2 and complete["churned"].iloc[-2] > 0:
            now, before = complete.iloc[-1], complete.iloc[-2]
            change = now["churned"] / before["churned"] - 1
            if abs(change) > change_alert:
                found.append(
                    say(
                        "movements", "churned_revenue", 0.8 if change > 0 else 0.4, lang,
                        {"churned": now["churned"], "churned_before": before["churned"],
                         "change": change},
                        variant="churned_up" if change > 0 else "churned_down",
                        value=money(now["churned"], lang),
                        previous=money(before["churned"], lang), change=signed(change, lang),
                        period=period_label(now["period_start"], now["period_end"], lang),
                        previous_period=period_label(
                            before["period_start"], before["period_end"], lang
                        ),
                    )
                )  # fmt: skip
    moves = study.movements
    year = _periods_per_year(moves)
    complete = moves[moves["complete_history"]]
    if len(complete) >= 2 * year:
        recent, before = complete.iloc[-year:], complete.iloc[-2 * year : -year]
        churn, churn_before = recent["churn_rate"].mean(), before["churn_rate"].mean()
        unit = {12: "month", 4: "quarter"}.get(year, "year")
        if churn_before > 0 and abs(churn / churn_before - 1) > change_alert:
            rising = churn > churn_before
            found.append(
                say(
                    "movements", "churn_trend", 0.85 if rising else 0.45, lang,
                    {"churn_rate": churn, "churn_rate_before": churn_before, "period": unit},
                    variant="churn_up" if rising else "churn_down",
                    churn=percent(churn, lang), previous=percent(churn_before, lang),
                    unit={"fr": {"month": "mois", "quarter": "trimestre", "year": "année"},
                          "en": {"month": "month", "quarter": "quarter", "year": "year"}}[lang][
                        unit],
                )
            )  # fmt: skip
        new, new_before = int(recent["new"].sum()), int(before["new"].sum())
        if new_before > 0 and abs(new / new_before - 1) > change_alert:
            change = new / new_before - 1
            found.append(
                say(
                    "movements", "new_customers", 0.5 if change > 0 else 0.75, lang,
                    {"new_customers": new, "new_customers_before": new_before, "change": change},
                    variant="new_up" if change > 0 else "new_down", new=integer(new, lang),
                    previous=integer(new_before, lang), change=signed(change, lang),
                )
            )  # fmt: skip
    found.extend(retention_findings(study, lang=lang))
    return ranked(found)


# --------------------------------------------------------------------------------------------
# 03 costs


def costs_findings(
    study: CostsStudy,
    *,
    lang: str = "fr",
    change_alert: float = DEFAULTS["change_alert"],
    ltv_cac_min: float = DEFAULTS["ltv_cac_min"],
    payback_alert_months: float = DEFAULTS["payback_alert_months"],
) -> list[Finding]:
    """CAC of the last year against the year before, CAC payback, LTV/CAC, dearest channel.

    Parameters
    ----------
    study : CostsStudy
    lang : {'fr', 'en'}
    change_alert : float, default 0.10
        A CAC up by more than this share on the year before is more important.
    ltv_cac_min : float, default 3
        LTV/CAC below it is a warning.
    payback_alert_months : float, default 12
        A payback longer than this is a warning.
    """
    found = []
    yearly = study.yearly
    if yearly is not None and len(yearly) and finite(yearly["cac"].iloc[-1]):
        last = yearly.iloc[-1]
        period = period_label(last["period_start"], last["period_end"], lang)
        figures = {"period": period, "cac": last["cac"],
                   "acquisition_spend": last["acquisition_spend"],
                   "new_customers": last["new_customers"]}  # fmt: skip
        shown = {
            "period": period,
            "cac": money(last["cac"], lang),
            "spend": money(last["acquisition_spend"], lang),
            "new": integer(last["new_customers"], lang),
        }
        if len(yearly) >= 2 and finite(yearly["cac"].iloc[-2]) and yearly["cac"].iloc[-2] > 0:
            before = yearly.iloc[-2]
            change = last["cac"] / before["cac"] - 1
            found.append(
                say(
                    "costs", "cac", 0.75 if change > change_alert else 0.5, lang,
                    {**figures, "cac_before": before["cac"], "change": change},
                    previous=money(before["cac"], lang), change=signed(change, lang),
                    previous_period=period_label(before["period_start"], before["period_end"],
                                                lang),
                    **shown,
                )
            )  # fmt: skip
        else:
            found.append(say("costs", "cac", 0.5, lang, figures, variant="cac_single", **shown))
        payback = last["payback_months"]
        if finite(payback):
            slow = payback > payback_alert_months
            found.append(
                say(
                    "costs", "payback", 0.85 if slow else 0.45, lang,
                    {"payback_months": payback, "period": period,
                     "payback_alert_months": payback_alert_months},
                    variant="payback_slow" if slow else "payback", period=period,
                    months=decimal(payback, lang), limit=integer(payback_alert_months, lang),
                )
            )  # fmt: skip
    if finite(study.ltv, study.ltv_to_cac):
        low = study.ltv_to_cac < ltv_cac_min
        found.append(
            say(
                "costs", "ltv_cac", 0.9 if low else 0.65, lang,
                {"ltv": study.ltv, "ltv_to_cac": study.ltv_to_cac, "ltv_cac_min": ltv_cac_min},
                variant="ltv_cac_low" if low else "ltv_cac", ltv=money(study.ltv, lang),
                ratio=decimal(study.ltv_to_cac, lang), limit=decimal(ltv_cac_min, lang, 0),
            )
        )  # fmt: skip
    channels = study.channel_costs
    if channels is not None and len(channels):
        last_year = channels[channels["period_end"] == channels["period_end"].max()]
        last_year = last_year[last_year["cac"].notna() & (last_year["cac"] > 0)]
        if len(last_year) >= 2:
            dear = last_year.loc[last_year["cac"].idxmax()]
            cheap = last_year.loc[last_year["cac"].idxmin()]
            ratio = dear["cac"] / cheap["cac"]
            found.append(
                say(
                    "costs", "channel_cac", 0.55, lang,
                    {"channel": str(dear["channel"]), "cac": dear["cac"],
                     "cheapest_channel": str(cheap["channel"]), "cheapest_cac": cheap["cac"],
                     "ratio": ratio},
                    channel=str(dear["channel"]),
                    period=period_label(dear["period_start"], dear["period_end"], lang),
                    cac=money(dear["cac"], lang), ratio=decimal(ratio, lang),
                    cheapest=str(cheap["channel"]), cheapest_cac=money(cheap["cac"], lang),
                )
            )  # fmt: skip
    return ranked(found)


# --------------------------------------------------------------------------------------------
