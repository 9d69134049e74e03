"""Key findings in words: the sentences on the sample, their numbers, thresholds and escaping.

The figures the sentences quote are recomputed here with plain pandas from the sample's CSV
files (calendar years: the sample ends on 30/12/2025, so the 12-month window is 2025), so the
tests check values and not only strings; the sentences themselves are checked verbatim, in
French and in English, for the main findings of every study.
"""

from __future__ import annotations

import dataclasses
import json
import re

import nbformat
import numpy as np
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from portfolio_lib import studies
from portfolio_lib.config import SAMPLE_FILES
from portfolio_lib.engine.prepare import prepare
from portfolio_lib.studies.findings import (
    THRESHOLDS,
    Finding,
    balance_findings,
    findings,
    overview_findings,
)
from portfolio_lib.ui.present import (
    findings_html,
    findings_placeholder,
    read_records,
    show_findings,
)

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def prepared():
    return prepare(SAMPLE_FILES["transactions"], SAMPLE_FILES["customers"], SAMPLE_FILES["costs"])


@pytest.fixture(scope="module")
def sample_studies(prepared):
    agg = prepared.agg
    return {
        "overview": studies.overview_study(agg),
        "weight": studies.weight_study(agg),
        "movements": studies.movements_study(agg),
        "costs": studies.costs_study(prepared.full, prepared.costs),
        "balance": studies.balance_study(agg),
        "rfm": studies.rfm_study(agg),
        "clv": studies.clv_study(agg, prepared.costs, transactions=prepared.data.transactions),
        "alerts": studies.alerts_study(agg),
    }


@pytest.fixture(scope="module")
def raw():
    """The sample read with pandas only: revenue per customer and calendar year, first year."""
    tx = pd.read_csv(SAMPLE_FILES["transactions"], parse_dates=["date"])
    customers = pd.read_csv(SAMPLE_FILES["customers"]).set_index("customer_id")
    costs = pd.read_csv(SAMPLE_FILES["costs"], parse_dates=["period"])
    revenue = tx.pivot_table(
        index="customer_id", columns=tx["date"].dt.year, values="amount", aggfunc="sum"
    ).fillna(0.0)
    first_year = tx.groupby("customer_id")["date"].min().dt.year
    return {"tx": tx, "customers": customers, "costs": costs, "revenue": revenue,
            "first_year": first_year}  # fmt: skip


def text(items: list[Finding], key: str) -> str:
    (found,) = [f.text for f in items if f.key == key]
    return found


def keys(items: list[Finding]) -> list[str]:
    return [f.key for f in items]


# --------------------------------------------------------------------------------------------
# The contract


def test_every_study_has_findings_sorted_by_importance(sample_studies):
    for name, study in sample_studies.items():
        for lang in ("fr", "en"):
            items = findings(study, lang=lang)
            assert 3 <= len(items) <= 6, (name, lang, keys(items))
            assert all(f.study == name for f in items)
            importances = [f.importance for f in items]
            assert importances == sorted(importances, reverse=True)
            assert all(0 <= i <= 1 for i in importances)
            for f in items:  # JSON-able as recorded for the report's summary
                record = f.as_record()
                assert set(record) == {"study", "key", "text", "importance", "figures"}
                assert json.loads(json.dumps(record)) == record
        # the same facts in both languages
        assert keys(findings(study, lang="fr")) == keys(findings(study, lang="en"))


def test_dispatch_rejects_unknown_thresholds_and_objects(sample_studies):
    with pytest.raises(TypeError, match="unknown finding thresholds"):
        findings(sample_studies["balance"], dependance_alert=0.2)
    with pytest.raises(TypeError, match="no findings"):
        findings(pd.DataFrame())
    with pytest.raises(ValueError, match="lang"):
        findings(sample_studies["balance"], lang="de")
    # a threshold of another study is ignored: one set of parameters serves every study
    assert findings(sample_studies["rfm"], top_at_risk=5) == findings(sample_studies["rfm"])
    assert {"dependence_alert", "change_alert", "ltv_cac_min", "rep_alert_ratio"} <= THRESHOLDS


# --------------------------------------------------------------------------------------------
# Every sentence on the sample, most important first (French no-break spaces written as spaces)

EXPECTED = {
    "overview": [
        (
            "dependence",
            "Votre premier client pèse à lui seul 18,2 % du chiffre d'affaires : au-delà du seuil de dépendance de 15 %.",
            "Your largest customer alone weighs 18.2% of revenue: above the 15% dependence threshold.",
        ),
        (
            "pareto",
            "15 % de vos clients actifs (218 sur 1 480) font 80 % du chiffre d'affaires.",
            "15% of your active customers (218 of 1,480) make 80% of revenue.",
        ),
        (
            "revenue",
            "Sur les 12 derniers mois, le chiffre d'affaires atteint 70,7 M€ avec 1 480 clients actifs, en hausse de 32,4 % par rapport aux 12 mois précédents (53,4 M€).",
            "Over the last 12 months, revenue reached €70.7M with 1,480 active customers, up 32.4% on the previous 12 months (€53.4M).",
        ),
        (
            "churn",
            "362 clients actifs il y a 12 mois sont partis (attrition de 29,6 %) ; 603 nouveaux clients sont arrivés.",
            "362 customers active 12 months ago have left (churn of 29.6%); 603 new customers arrived.",
        ),
        (
            "penetration",
            "Le chiffre d'affaires ne couvre que 27,2 % du potentiel annuel estimé de vos clients (260 M€).",
            "Revenue covers only 27.2% of your customers' estimated yearly potential (€260M).",
        ),
    ],
    "weight": [
        (
            "top_segment",
            "Segment « Grand compte » : 46,4 % du chiffre d'affaires (32,8 M€) avec 3,9 % des clients actifs (58).",
            "Segment “Grand compte”: 46.4% of revenue (€32.8M) with 3.9% of the active customers (58).",
        ),
        (
            "rep_penetration",
            "Claire Fournier a la pénétration la plus faible : 17,0 % du potentiel de ses clients (21,5 M€), contre 48,0 % pour Antoine Moreau.",
            "Claire Fournier has the lowest penetration: 17.0% of their customers' potential (€21.5M), against 48.0% for Antoine Moreau.",
        ),
        (
            "active_trend",
            "1 480 clients actifs fin déc. 2025, contre 1 222 un an plus tôt (+21,1 %).",
            "1,480 active customers at the end of Dec 2025, against 1,222 a year earlier (+21.1%).",
        ),
        (
            "top_sales_rep",
            "Antoine Moreau porte 27,2 % du chiffre d'affaires (19,2 M€) avec 10,7 % des clients actifs (158) : le portefeuille le plus lourd.",
            "Antoine Moreau carries 27.2% of revenue (€19.2M) with 10.7% of the active customers (158): the heaviest book.",
        ),
        (
            "top_region",
            "Région « Nouvelle-Aquitaine » : 37,3 % du chiffre d'affaires (26,4 M€) avec 22,3 % des clients actifs (330).",
            "Region “Nouvelle-Aquitaine”: 37.3% of revenue (€26.4M) with 22.3% of the active customers (330).",
        ),
    ],
    "movements": [
        (
            "churn_trend",
            "L'attrition s'accélère : 2,4 % des clients actifs partent en moyenne chaque mois sur les 12 derniers mois, contre 1,5 % les 12 mois précédents.",
            "Churn is rising: on average 2.4% of active customers left each month over the last 12 months, against 1.5% the 12 months before.",
        ),
        (
            "churned_revenue",
            "Le chiffre d'affaires perdu avec les clients partis augmente : 7,5 M€ en 2025, contre 2,9 M€ en 2024 (+160,1 %).",
            "Revenue lost with departed customers is rising: €7.5M in 2025, against €2.9M in 2024 (+160.1%).",
        ),
        (
            "new_customers",
            "Le recrutement ralentit : 603 nouveaux clients sur les 12 derniers mois, contre 701 les 12 mois précédents (-14,0 %).",
            "Acquisition is slowing: 603 new customers over the last 12 months, against 701 the 12 months before (-14.0%).",
        ),
        (
            "bridge",
            "En 2025, le chiffre d'affaires passe de 53,4 M€ à 70,7 M€ (+32,4 %) : premier moteur, les nouveaux clients (+16,2 M€) ; premier frein, la baisse des achats des clients conservés (-7,8 M€).",
            "In 2025, revenue went from €53.4M to €70.7M (+32.4%): first driver, new customers (+€16.2M); first brake, retained customers buying less (-€7.8M).",
        ),
        (
            "nrr",
            "En 2025, les clients de la période précédente ont acheté 101 % de leur CA d'avant (rétention nette du CA, NRR) ; sans leurs hausses, 71 % (rétention brute, GRR).",
            "In 2025, the previous period's customers bought 101% of their earlier revenue (net revenue retention, NRR); without their expansion, 71% (gross revenue retention, GRR).",
        ),
    ],
    "costs": [
        (
            "ltv_cac",
            "Un client rapporte 35,9 k€ de marge brute sur sa durée de vie (LTV), 25,3 fois son coût d'acquisition : au-dessus du ratio de 3 généralement visé.",
            "A customer brings €35.9k of gross margin over their lifetime (LTV), 25.3 times their acquisition cost: above the usual target ratio of 3.",
        ),
        (
            "channel_cac",
            "Appel d'offres est le canal d'acquisition le plus cher en 2025 : 3 528 € par nouveau client, 11,5 fois plus que Recommandation (307 €).",
            "Appel d'offres is the most expensive acquisition channel in 2025: €3,528 per new customer, 11.5 times Recommandation (€307).",
        ),
        (
            "cac",
            "En 2025, un nouveau client a coûté 1 420 € (857 k€ pour 603 nouveaux clients), contre 1 388 € en 2024 (+2,3 %).",
            "In 2025, a new customer cost €1,420 (€857k for 603 new customers), against €1,388 in 2024 (+2.3%).",
        ),
        (
            "payback",
            "Le coût d'acquisition est remboursé en 1,6 mois de marge brute d'un nouveau client (2025).",
            "The acquisition cost is paid back in 1.6 months of a new customer's gross margin (2025).",
        ),
    ],
    "balance": [
        (
            "dependence",
            "Un client, SARL Masson Bâtiment, pèse 18,2 % du chiffre d'affaires : au-delà du seuil de dépendance de 15 %.",
            "One customer, SARL Masson Bâtiment, weighs 18.2% of revenue: above the 15% dependence threshold.",
        ),
        (
            "vivier",
            "Vivier : 1 184 comptes à potentiel élevé et pénétration faible ou nulle, zone de fragilité à faire monter dans la matrice ; 175 M€ à conquérir ; 212 sont suivis par Sophie Martin.",
            "Vivier: 1,184 accounts with high potential and little or no penetration, a zone of fragility to move up the matrix; €175M to win; 212 of them are Sophie Martin's.",
        ),
        (
            "old_age",
            "344 clients sont en vieillesse (18,7 %) : leur chiffre d'affaires est passé de 18,1 M€ à 10,4 M€ sur 12 mois (-42,8 %) ; à diagnostiquer et reconquérir, ou à servir à moindre coût.",
            "344 customers are in old age (18.7%): their revenue went from €18.1M to €10.4M over 12 months (-42.8%); diagnose and win back, or cut the cost to serve.",
        ),
        (
            "pareto",
            "218 clients (14,7 % des clients actifs) font 80,0 % du chiffre d'affaires (classe A) ; les 853 clients de la classe C (57,6 %) n'en font que 5,0 % : à servir à moindre coût.",
            "218 customers (14.7% of the active customers) make 80.0% of revenue (class A); the 853 class C customers (57.6%) make only 5.0%: serve them at a lower cost.",
        ),
        (
            "adolescence",
            "433 clients en adolescence font 55,7 % du chiffre d'affaires, en hausse de 69,4 % : à développer (gamme achetée, part de portefeuille).",
            "433 customers in adolescence make 55.7% of revenue, up 69.4%: develop them (range bought, share of wallet).",
        ),
    ],
    "rfm": [
        (
            "at_risk",
            "367 clients autrefois réguliers n'achètent plus (« À risque » et « À ne pas perdre ») : ils ont fait 15,9 M€ de chiffre d'affaires (10,6 %) ; à recontacter en priorité.",
            "367 once-regular customers have stopped buying (“At risk” and “Can't lose them”): they made €15.9M of revenue (10.6%); contact them first.",
        ),
        (
            "largest_at_risk",
            "Le plus gros d'entre eux, Ets Blanc Climatisation (Nicolas Durand), n'a rien commandé depuis 250 jours après 1,3 M€ d'achats.",
            "The largest of them, Ets Blanc Climatisation (Nicolas Durand), has not ordered for 250 days after €1.3M of purchases.",
        ),
        (
            "sleeping",
            "269 clients s'endorment (« À surveiller » et « Bientôt endormis ») : 10,3 M€ de chiffre d'affaires cumulé, à relancer avant qu'ils ne basculent.",
            "269 customers are dozing off (“Need attention” and “About to sleep”): €10.3M of cumulative revenue, to follow up before they slip away.",
        ),
        (
            "champions",
            "245 clients « Champions » (12,2 % des clients) font 43,7 % du chiffre d'affaires cumulé : à récompenser et à associer aux nouveautés.",
            "245 “Champions” (12.2% of customers) make 43.7% of cumulative revenue: reward them and involve them in new offers.",
        ),
    ],
    "clv": [
        (
            "predictive",
            # The MBG/NBD forecast the 6 months kept aside best (issue 18): it drives the CLV.
            "Le modèle prédictif (MBG/NBD, le plus juste des trois sur les 6 derniers mois mis de côté) estime à 28,7 M€ la marge actualisée des 36 prochains mois ; SARL Masson Bâtiment en porte à lui seul 14,7 %.",
            "The predictive model (MBG/NBD, the most accurate of three on the last 6 months kept aside) puts the discounted margin of the next 36 months at €28.7M; SARL Masson Bâtiment alone carries 14.7% of it.",
        ),
        (
            "simple",
            "Un client vaut en moyenne 35,9 k€ de marge brute sur sa durée de vie (CLV simple : panier moyen 6 449 € × 7,4 achats par an × 22,3 % de marge × 3,4 ans).",
            "A customer is worth on average €35.9k of gross margin over their lifetime (simple CLV: average order €6,449 × 7.4 purchases a year × 22.3% margin × 3.4 years).",
        ),
        (
            "group_churn",
            "« ETI » a l'attrition annuelle la plus forte : 35,5 %, contre 29,6 % pour l'ensemble du portefeuille.",
            "“ETI” has the highest annual churn: 35.5%, against 29.6% for the whole portfolio.",
        ),
        (
            "groups",
            "Par segment, un client « Grand compte » vaut 419 k€, 67 fois un client « Artisan » (6 277 €).",
            "By segment, a customer of “Grand compte” is worth €419k, 67 times one of “Artisan” (€6,277).",
        ),
        (
            "ltv_cac_channels",
            "Par canal d'acquisition, « Recommandation » est le plus rentable (LTV/CAC de 110,8) et « Salon professionnel » le moins (15,8).",
            "By acquisition channel, “Recommandation” pays best (LTV/CAC of 110.8) and “Salon professionnel” least (15.8).",
        ),
        (
            "p_alive",
            # 744, not 577 with the BG/NBD: in the MBG/NBD a customer without repeat purchase
            # may be gone too.
            "744 clients sur 2 000 ont moins de 50 % de chances d'être encore actifs selon le modèle prédictif.",
            "744 of 2,000 customers have less than a 50% chance of still being active according to the predictive model.",
        ),
    ],
    "alerts": [
        (
            "key_accounts",
            "6 des 20 plus gros clients sont en alerte, pour 6,7 M€ de chiffre d'affaires à risque.",
            "6 of the 20 largest customers are alerted, with €6.7M of revenue at risk.",
        ),
        (
            "total",
            "864 clients sont en alerte, pour 29,2 M€ de chiffre d'affaires à risque.",
            "864 customers are alerted, with €29.2M of revenue at risk.",
        ),
        (
            "priority",
            "Priorité n° 1 : EURL Leroy Énergies (Antoine Moreau), grand compte, chiffre d'affaires en baisse de 64,7 % et sans commande depuis 81 jours (2,4 fois son intervalle habituel) ; 2,6 M€ à risque.",
            "Priority 1: EURL Leroy Énergies (Antoine Moreau), key account, revenue down 64.7% and no order for 81 days (2.4 times their usual gap); €2.6M at risk.",
        ),
        (
            "rep",
            "Sophie Martin a le plus de clients en alerte : 162 (19 % des alertes), pour 6,2 M€ de chiffre d'affaires à risque.",
            "Sophie Martin has the most customers alerted: 162 (19% of the alerts), with €6.2M of revenue at risk.",
        ),
    ],
}


def test_french_numbers_keep_their_no_break_spaces(sample_studies):
    (pareto,) = [f for f in findings(sample_studies["overview"]) if f.key == "pareto"]
    assert pareto.text == (
        "15\u00a0% de vos clients actifs (218 sur 1\u00a0480) font 80\u00a0% du chiffre d'affaires."
    )


@pytest.mark.parametrize("name", list(EXPECTED))
def test_sentences_on_the_sample(sample_studies, name):
    french = findings(sample_studies[name], lang="fr")
    english = findings(sample_studies[name], lang="en")
    assert [(f.key, f.text.replace(NBSP, " ")) for f in french] == [
        (key, sentence) for key, sentence, _ in EXPECTED[name]
    ]
    assert [(f.key, f.text) for f in english] == [(key, text) for key, _, text in EXPECTED[name]]
    for f in french:  # thousands, % and € never apart from their number at a line break
        assert not re.search(r"\d \d{3}(?!\d)|\d [%€]|\d [kM]€", f.text), f.text


# --------------------------------------------------------------------------------------------
# The numbers the sentences quote, recomputed with pandas


def test_overview(sample_studies, raw):
    items = findings(sample_studies["overview"], lang="fr")
    r25, r24 = raw["revenue"][2025], raw["revenue"][2024]
    buyers = r25[r25 > 0].sort_values(ascending=False)
    shares = buyers / buyers.sum()
    figures = {f.key: f.figures for f in items}
    assert figures["dependence"]["top_1_share"] == pytest.approx(shares.iloc[0])
    assert figures["pareto"]["customers"] == (shares.cumsum() < 0.8).sum() + 1 == 218
    assert figures["revenue"]["revenue_growth"] == pytest.approx(
        buyers.sum() / r24[r24 > 0].sum() - 1
    )
    lost = int(((r24 > 0) & (r25 <= 0)).sum())
    assert figures["churn"]["lost_customers"] == lost == 362
    assert figures["churn"]["new_customers"] == (raw["first_year"] == 2025).sum() == 603


def test_weight(sample_studies, raw):
    r25 = raw["revenue"][2025]
    buyers = r25[r25 > 0]
    segment = raw["customers"].loc[buyers.index, "segment"]
    by_segment = buyers.groupby(segment).sum() / buyers.sum()
    items = findings(sample_studies["weight"], lang="fr")
    assert {f.key: f for f in items}["top_segment"].figures["revenue_share"] == pytest.approx(
        by_segment.max()
    )


def test_movements(sample_studies, raw):
    r25, r24, r23 = (raw["revenue"][year] for year in (2025, 2024, 2023))
    both = (r24 > 0) & (r25 > 0)
    items = findings(sample_studies["movements"], lang="fr")
    figures = {f.key: f.figures for f in items}
    assert figures["bridge"]["driver"] == "new"
    assert figures["bridge"]["driver_value"] == pytest.approx(r25[raw["first_year"] == 2025].sum())
    assert figures["bridge"]["brake"] == "contraction"
    assert figures["bridge"]["brake_value"] == pytest.approx(-(r24 - r25)[both & (r25 < r24)].sum())
    # NRR: 2025 revenue of all but the new and reactivated customers, over 2024's revenue.
    came = (r25 > 0) & ((raw["first_year"] == 2025) | (r24 <= 0))
    assert figures["nrr"]["nrr"] == pytest.approx(r25[~came].sum() / r24.sum())
    assert figures["nrr"]["grr"] == pytest.approx(np.minimum(r25, r24)[~came].sum() / r24.sum())
    assert figures["churned_revenue"]["churned"] == pytest.approx(r24[(r24 > 0) & (r25 <= 0)].sum())
    assert figures["churned_revenue"]["churned_before"] == pytest.approx(
        r23[(r23 > 0) & (r24 <= 0)].sum()
    )
    assert figures["new_customers"]["new_customers_before"] == (raw["first_year"] == 2024).sum()


def test_costs(sample_studies, raw):
    costs, first_year = raw["costs"], raw["first_year"]
    spend = costs[costs["kind"] == "acquisition"].groupby(costs["period"].dt.year)["amount"].sum()
    items = findings(sample_studies["costs"], lang="fr")
    figures = {f.key: f.figures for f in items}
    assert figures["cac"]["cac"] == pytest.approx(spend[2025] / (first_year == 2025).sum())
    assert figures["cac"]["cac_before"] == pytest.approx(spend[2024] / (first_year == 2024).sum())


def test_balance(sample_studies, raw):
    customers, r25 = raw["customers"], raw["revenue"][2025]
    revenue = r25.reindex(customers.index, fill_value=0.0)
    # The vivier of text 002: the block of the two last potential rows (medium and high
    # terciles) and the two last penetration columns (below 60 %).
    upper = customers["potential"] >= customers["potential"].quantile(1 / 3)
    vivier = upper & (revenue / customers["potential"] < 0.60)
    items = findings(sample_studies["balance"], lang="fr")
    figures = {f.key: f.figures for f in items}
    assert figures["vivier"]["customers"] == vivier.sum() == 1184
    assert figures["vivier"]["gap"] == pytest.approx(
        (customers["potential"] - revenue)[vivier].sum()
    )
    assert figures["vivier"]["sales_rep_customers"] == (
        customers.loc[vivier, "sales_rep"].value_counts().max()
    )


def test_rfm(sample_studies):
    study = sample_studies["rfm"]
    risky = study.customer_segments[
        study.customer_segments["rfm_segment"].isin(["at_risk", "cant_lose_them"])
    ]
    items = findings(study, lang="fr")
    figures = {f.key: f.figures for f in items}
    assert figures["at_risk"]["customers"] == len(risky) == 367
    assert figures["at_risk"]["revenue"] == pytest.approx(risky["monetary"].sum())
    assert (
        figures["largest_at_risk"]["customer_id"]
        == risky.loc[risky["monetary"].idxmax(), "customer_id"]
    )


def test_clv(sample_studies, raw):
    r25, r24 = raw["revenue"][2025], raw["revenue"][2024]
    tx = raw["tx"][raw["tx"]["date"].dt.year == 2025]
    churn = ((r24 > 0) & (r25 <= 0)).sum() / (r24 > 0).sum()
    # simple CLV = basket x purchases a year x margin rate x 1 / churn = margin per customer / churn
    clv = tx["margin"].sum() / (r25 > 0).sum() / churn
    items = findings(sample_studies["clv"], lang="fr")
    assert {f.key: f for f in items}["simple"].figures["clv"] == pytest.approx(clv)


def test_alerts(sample_studies):
    alerts = sample_studies["alerts"].alerts
    counts = alerts["sales_rep"].astype(str).value_counts()
    items = findings(sample_studies["alerts"], lang="fr")
    figures = {f.key: f.figures for f in items}
    assert figures["rep"]["sales_rep"] == counts.index[0] == "Sophie Martin"
    assert figures["rep"]["customers_alerted"] == counts.iloc[0] == 162
    assert figures["total"]["revenue_at_risk"] == pytest.approx(alerts["revenue_at_risk"].sum())


# --------------------------------------------------------------------------------------------
# Thresholds decide what is worth saying


def test_thresholds_switch_findings_on_and_off(sample_studies, raw):
    overview, balance = sample_studies["overview"], sample_studies["balance"]
    assert "dependence" in keys(overview_findings(overview, dependence_alert=0.15))
    assert "dependence" not in keys(overview_findings(overview, dependence_alert=0.20))
    assert "dependence" not in keys(balance_findings(balance, dependence_alert=0.20))
    # a lower threshold names every customer above it: 3 above 1.5 % of revenue
    r25 = raw["revenue"][2025]
    shares = r25[r25 > 0] / r25[r25 > 0].sum()
    assert (shares > 0.015).sum() == 3
    lower = text(findings(balance, lang="en", dependence_alert=0.015), "dependence")
    assert lower == (
        "3 customers each exceed the 1.5% dependence threshold of revenue: SARL Masson Bâtiment "
        "(18.2%), SARL Henry Électricité (2.0%) and Ets Dumont Électricité (1.9%)."
    )
    # year-on-year changes: +160 % churned revenue, +61 % churn, -14 % new customers
    moves = sample_studies["movements"]
    assert {"churned_revenue", "churn_trend", "new_customers"} <= set(keys(findings(moves)))
    assert keys(findings(moves, change_alert=0.15)) == [
        "churn_trend",
        "churned_revenue",
        "bridge",
        "nrr",
    ]
    assert keys(findings(moves, change_alert=2.0)) == ["bridge", "nrr"]
    # LTV/CAC of 25.3: a warning only when the target is above it
    costs = sample_studies["costs"]
    low = {f.key: f for f in findings(costs, lang="en", ltv_cac_min=30)}["ltv_cac"]
    assert low.text.startswith("A customer brings only €35.9k of gross margin")
    assert "below the usual target ratio of 30" in low.text and low.importance == 0.9
    # LTV/CAC per channel (Salon professionnel 15.8, Appel d'offres 22.8, Prospection 26.6)
    clv = sample_studies["clv"]
    ratios = clv.ltv_cac["ltv_to_cac"]
    assert text(findings(clv, lang="en", ltv_cac_min=20), "ltv_cac_channels") == (
        "One acquisition channel is below the LTV/CAC ratio of 20: “Salon professionnel” "
        f"({ratios['Salon professionnel']:.1f}); “Recommandation” pays best (110.8)."
    )
    assert text(findings(clv, lang="fr", ltv_cac_min=30), "ltv_cac_channels").startswith(
        "3 canaux d'acquisition sont sous le ratio LTV/CAC de 30 : « Appel d'offres » (22,8), "
    )
    # Sophie Martin has 162 alerts, 1.5 times the average of 108 per rep
    alerts = sample_studies["alerts"]
    assert "rep" in keys(findings(alerts, rep_alert_ratio=1.25))
    assert "rep" not in keys(findings(alerts, rep_alert_ratio=1.6))


# --------------------------------------------------------------------------------------------
# Shown as text, never markup


def test_hostile_names_are_escaped(sample_studies, monkeypatch):
    balance = sample_studies["balance"]
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    buyers = balance.buyers.assign(
        name=balance.buyers["name"]
        .astype(object)
        .where(balance.buyers["customer_id"] != "C00005", hostile)
    )
    items = findings(dataclasses.replace(balance, buyers=buyers), lang="fr")
    assert hostile in text(items, "dependence")  # the text is plain
    page = findings_html(items, lang="fr")
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in page
    assert page.startswith('<div class="portfolio-findings"><h2>Constats clés</h2><ul><li>')

    shell = InteractiveShell.instance()
    published = []
    monkeypatch.setattr(
        shell.display_pub,
        "publish",
        lambda data, metadata=None, *, transient=None, update=False, **kw: published.append(
            (data, transient, update)
        ),
    )
    box = findings_placeholder()
    show_findings(box, items, lang="en")
    (first, first_transient, first_update), (data, transient, update) = published
    assert first["text/html"] == "" and not first_update
    assert update and transient["display_id"] == first_transient["display_id"]
    assert "<script>" not in data["text/html"] and "<h2>Key findings</h2>" in data["text/html"]
    assert data["text/plain"].splitlines()[1] == f"- {items[0].text}"
    show_findings(None, [], lang="fr")
    assert "Aucun constat marquant avec ces seuils." in published[-1][0]["text/html"]


# --------------------------------------------------------------------------------------------
# At the top of the executed notebook and of its HTML page


@pytest.mark.notebooks
def test_notebook_shows_its_findings_at_the_top(
    executed_notebook, sample_studies, sample_aggregates, tmp_path
):
    from portfolio_lib.report.publish import export_html
    from portfolio_lib.studies.migration import migration_study

    nb = executed_notebook("04_balance", "sample")
    # The balance's findings, then the migrations' (issue 18).
    expected = findings(sample_studies["balance"], lang="fr")
    expected += findings(migration_study(sample_aggregates), lang="fr")
    assert read_records(nb)["findings"] == [f.as_record() for f in expected]
    # the first output of the notebook, under the title, is the findings box, filled
    first = next(c for c in nb.cells if c.get("outputs"))
    assert first is next(c for c in nb.cells if c.cell_type == "code")
    shown = first.outputs[0]["data"]["text/html"]
    assert shown == findings_html(expected, lang="fr")
    executed = tmp_path / "04_balance.ipynb"
    nbformat.write(nb, str(executed))
    page = tmp_path / "04_balance.html"
    export_html(executed, page)
    body = page.read_text(encoding="utf-8")
    box = body.index('<div class="portfolio-findings"><h2>Constats clés</h2>')
    assert body.index("Un client, SARL Masson Bâtiment, pèse 18,2") > box
    # before every section and chart of the page
    assert box < body.index("<img") and box < body.index("Courbe de Pareto")
    assert "Chargement" not in body  # the load section is the notebook's, not the page's
