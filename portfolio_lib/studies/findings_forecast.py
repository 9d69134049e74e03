"""Key findings of the forecast (notebook 06's forecast section): next year's revenue with its
interval and active customers, the largest sales rep's share, and the check on the holdout."""

from __future__ import annotations

from portfolio_lib import i18n
from portfolio_lib.studies.findings_base import (
    Finding,
    finite,
    group_name,
    integer,
    money,
    percent,
    say,
    signed,
)
from portfolio_lib.studies.forecast import ForecastStudy

__all__ = ["forecast_findings"]

i18n.register(
    {
        "finding_clv_forecast": {
            "fr": "Les clients actuels devraient acheter pour {revenue} dans les {months} "
            "prochains mois (intervalle à {level} : {low} à {high}) ; {active} d'entre eux "
            "achèteraient au moins une fois.",
            "en": "The current customers should buy {revenue} in the next {months} months "
            "({level} interval: {low} to {high}); {active} of them would buy at least once.",
        },
        "finding_clv_forecast_rep": {
            "fr": "{rep} porte {share} du CA prévu ({revenue}).",
            "en": "{rep} carries {share} of the forecast revenue ({revenue}).",
        },
        "finding_clv_forecast_check": {
            "fr": "Contrôle : ajusté sans les {months} derniers mois, le modèle y prévoyait "
            "{forecast} de CA ; le réalisé est {actual} (écart {error}).",
            "en": "Check: fitted without the last {months} months, the model forecast {forecast} "
            "of revenue for them; the actual was {actual} (gap {error}).",
        },
    }
)


def forecast_findings(study: ForecastStudy, *, lang: str = "fr") -> list[Finding]:
    """Next year's revenue and active customers, the sales rep carrying most of it, the check
    of the same forecast on the last months.

    Parameters
    ----------
    study : ForecastStudy
    lang : {'fr', 'en'}
    """
    found: list[Finding] = []
    if study.portfolio is None:
        return found
    total = study.portfolio.iloc[0]
    months = study.horizon_months
    found.append(
        say(
            "clv", "forecast", 0.7, lang,
            {"revenue": total["forecast_revenue"], "low": total["forecast_revenue_low"],
             "high": total["forecast_revenue_high"], "active": total["forecast_active"],
             "months": months},
            revenue=money(total["forecast_revenue"], lang), months=integer(months, lang),
            low=money(total["forecast_revenue_low"], lang),
            high=money(total["forecast_revenue_high"], lang),
            active=integer(total["forecast_active"], lang),
            level=percent(study.level, lang, decimals=0),
        )
    )  # fmt: skip
    reps = study.by_group.get("sales_rep")
    if reps is not None and len(reps) >= 2 and total["forecast_revenue"] > 0:
        rep = reps.index[0]
        share = reps["forecast_revenue"].iloc[0] / total["forecast_revenue"]
        found.append(
            say(
                "clv", "forecast_rep", 0.3 + 0.4 * share, lang,
                {"sales_rep": str(rep), "share": share,
                 "revenue": reps["forecast_revenue"].iloc[0]},
                rep=group_name(rep, lang), share=percent(share, lang),
                revenue=money(reps["forecast_revenue"].iloc[0], lang),
            )
        )  # fmt: skip
    holdout = study.holdout
    if holdout is not None and finite(holdout.loc["forecast_revenue", "forecast_error"]):
        row = holdout.loc["forecast_revenue"]
        found.append(
            say(
                "clv", "forecast_check", 0.4 + min(abs(row["forecast_error"]), 0.5), lang,
                {"forecast": row["forecast"], "actual": row["forecast_actual"],
                 "error": row["forecast_error"], "months": months},
                months=integer(months, lang), forecast=money(row["forecast"], lang),
                actual=money(row["forecast_actual"], lang),
                error=signed(row["forecast_error"], lang),
            )
        )  # fmt: skip
    return found
