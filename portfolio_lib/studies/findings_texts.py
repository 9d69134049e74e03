"""The sentences of :mod:`portfolio_lib.studies.findings`, in French and English.

One label per sentence, ``finding_<study>_<variant>``, with ``{placeholders}`` filled with
values already formatted for the language (money, shares, counts, names). Kept apart from the
logic so that a consultant can reword a sentence without reading the code.
"""

from __future__ import annotations

from portfolio_lib import i18n

__all__ = ["BRIDGE_PARTS", "TEXTS"]

# How a revenue bridge component reads inside a sentence (not the chart's column headers).
BRIDGE_PARTS = {
    "new": {"fr": "les nouveaux clients", "en": "new customers"},
    "reactivated": {"fr": "les clients réactivés", "en": "reactivated customers"},
    "expansion": {
        "fr": "la hausse des achats des clients conservés",
        "en": "retained customers buying more",
    },
    "contraction": {
        "fr": "la baisse des achats des clients conservés",
        "en": "retained customers buying less",
    },
    "churned": {"fr": "les clients perdus", "en": "lost customers"},
}

TEXTS = {
    # ---------------------------------------------------------------- overview (00)
    "finding_overview_revenue_growth": {
        "fr": "Sur les {window} derniers mois, le chiffre d'affaires atteint {revenue} avec "
        "{customers} clients actifs, {direction} de {growth} par rapport aux {window} mois "
        "précédents ({previous}).",
        "en": "Over the last {window} months, revenue reached {revenue} with {customers} active "
        "customers, {direction} {growth} on the previous {window} months ({previous}).",
    },
    "finding_overview_revenue": {
        "fr": "Sur les {window} derniers mois, le chiffre d'affaires atteint {revenue} avec "
        "{customers} clients actifs.",
        "en": "Over the last {window} months, revenue reached {revenue} with {customers} active "
        "customers.",
    },
    "finding_overview_churn": {
        "fr": "{lost} clients actifs il y a {window} mois sont partis (attrition de {churn}) ; "
        "{new} nouveaux clients sont arrivés.",
        "en": "{lost} customers active {window} months ago have left (churn of {churn}); {new} "
        "new customers arrived.",
    },
    "finding_overview_churn_net_loss": {
        "fr": "Le portefeuille perd plus de clients qu'il n'en gagne : {lost} clients actifs il y a "
        "{window} mois sont partis (attrition de {churn}), pour {new} nouveaux.",
        "en": "The portfolio loses more customers than it wins: {lost} customers active {window} "
        "months ago have left (churn of {churn}), against {new} new ones.",
    },
    "finding_overview_pareto": {
        "fr": "{share} de vos clients actifs ({customers} sur {total}) font 80\u00a0% du chiffre "
        "d'affaires.",
        "en": "{share} of your active customers ({customers} of {total}) make 80% of revenue.",
    },
    "finding_overview_dependence": {
        "fr": "Votre premier client pèse à lui seul {share} du chiffre d'affaires : au-delà du "
        "seuil de dépendance de {threshold}.",
        "en": "Your largest customer alone weighs {share} of revenue: above the {threshold} "
        "dependence threshold.",
    },
    "finding_overview_penetration": {
        "fr": "Le chiffre d'affaires ne couvre que {penetration} du potentiel annuel estimé de "
        "vos clients ({potential}).",
        "en": "Revenue covers only {penetration} of your customers' estimated yearly potential "
        "({potential}).",
    },
    # ---------------------------------------------------------------- weight (01)
    "finding_weight_active_trend": {
        "fr": "{customers} clients actifs fin {month}, contre {previous} un an plus tôt "
        "({change}).",
        "en": "{customers} active customers at the end of {month}, against {previous} a year "
        "earlier ({change}).",
    },
    "finding_weight_top_group": {
        "fr": "{attribute} « {group} » : {revenue_share} du chiffre d'affaires ({revenue}) avec "
        "{customer_share} des clients actifs ({customers}).",
        "en": "{attribute} “{group}”: {revenue_share} of revenue ({revenue}) with "
        "{customer_share} of the active customers ({customers}).",
    },
    "finding_weight_top_rep": {
        "fr": "{group} porte {revenue_share} du chiffre d'affaires ({revenue}) avec "
        "{customer_share} des clients actifs ({customers}) : le portefeuille le plus lourd.",
        "en": "{group} carries {revenue_share} of revenue ({revenue}) with {customer_share} of "
        "the active customers ({customers}): the heaviest book.",
    },
    "finding_weight_rep_penetration": {
        "fr": "{rep} a la pénétration la plus faible : {penetration} du potentiel de ses clients "
        "({potential}), contre {best_penetration} pour {best_rep}.",
        "en": "{rep} has the lowest penetration: {penetration} of their customers' potential "
        "({potential}), against {best_penetration} for {best_rep}.",
    },
    # ---------------------------------------------------------------- movements (02)
    "finding_movements_bridge": {
        "fr": "{when}, le chiffre d'affaires passe de {start} à {end} ({change}) : premier moteur, "
        "{driver} ({driver_value}) ; premier frein, {brake} ({brake_value}).",
        "en": "{when}, revenue went from {start} to {end} ({change}): first driver, {driver} "
        "({driver_value}); first brake, {brake} ({brake_value}).",
    },
    "finding_movements_churned_up": {
        "fr": "Le chiffre d'affaires perdu avec les clients partis augmente : {value} en {period}, "
        "contre {previous} en {previous_period} ({change}).",
        "en": "Revenue lost with departed customers is rising: {value} in {period}, against "
        "{previous} in {previous_period} ({change}).",
    },
    "finding_movements_churned_down": {
        "fr": "Le chiffre d'affaires perdu avec les clients partis recule : {value} en {period}, "
        "contre {previous} en {previous_period} ({change}).",
        "en": "Revenue lost with departed customers is falling: {value} in {period}, against "
        "{previous} in {previous_period} ({change}).",
    },
    "finding_movements_churn_up": {
        "fr": "L'attrition s'accélère : {churn} des clients actifs partent en moyenne chaque "
        "{unit} sur les 12 derniers mois, contre {previous} les 12 mois précédents.",
        "en": "Churn is rising: on average {churn} of active customers left each {unit} over the "
        "last 12 months, against {previous} the 12 months before.",
    },
    "finding_movements_churn_down": {
        "fr": "L'attrition recule : {churn} des clients actifs partent en moyenne chaque {unit} "
        "sur les 12 derniers mois, contre {previous} les 12 mois précédents.",
        "en": "Churn is falling: on average {churn} of active customers left each {unit} over the "
        "last 12 months, against {previous} the 12 months before.",
    },
    "finding_movements_new_up": {
        "fr": "Le recrutement progresse : {new} nouveaux clients sur les 12 derniers mois, contre "
        "{previous} les 12 mois précédents ({change}).",
        "en": "Acquisition is growing: {new} new customers over the last 12 months, against "
        "{previous} the 12 months before ({change}).",
    },
    "finding_movements_new_down": {
        "fr": "Le recrutement ralentit : {new} nouveaux clients sur les 12 derniers mois, contre "
        "{previous} les 12 mois précédents ({change}).",
        "en": "Acquisition is slowing: {new} new customers over the last 12 months, against "
        "{previous} the 12 months before ({change}).",
    },
    # ---------------------------------------------------------------- costs (03)
    "finding_costs_cac": {
        "fr": "En {period}, un nouveau client a coûté {cac} ({spend} pour {new} nouveaux "
        "clients), contre {previous} en {previous_period} ({change}).",
        "en": "In {period}, a new customer cost {cac} ({spend} for {new} new customers), against "
        "{previous} in {previous_period} ({change}).",
    },
    "finding_costs_cac_single": {
        "fr": "En {period}, un nouveau client a coûté {cac} ({spend} pour {new} nouveaux clients).",
        "en": "In {period}, a new customer cost {cac} ({spend} for {new} new customers).",
    },
    "finding_costs_payback": {
        "fr": "Le coût d'acquisition est remboursé en {months} mois de marge brute d'un nouveau "
        "client ({period}).",
        "en": "The acquisition cost is paid back in {months} months of a new customer's gross "
        "margin ({period}).",
    },
    "finding_costs_payback_slow": {
        "fr": "Le coût d'acquisition met {months} mois de marge brute à être remboursé ({period}) "
        ": au-delà de {limit} mois.",
        "en": "The acquisition cost takes {months} months of gross margin to be paid back "
        "({period}): beyond {limit} months.",
    },
    "finding_costs_ltv_cac": {
        "fr": "Un client rapporte {ltv} de marge brute sur sa durée de vie (LTV), {ratio} fois "
        "son coût d'acquisition : au-dessus du ratio de {limit} généralement visé.",
        "en": "A customer brings {ltv} of gross margin over their lifetime (LTV), {ratio} times "
        "their acquisition cost: above the usual target ratio of {limit}.",
    },
    "finding_costs_ltv_cac_low": {
        "fr": "Un client ne rapporte que {ltv} de marge brute sur sa durée de vie (LTV), {ratio} "
        "fois son coût d'acquisition : sous le ratio de {limit} généralement visé.",
        "en": "A customer brings only {ltv} of gross margin over their lifetime (LTV), {ratio} "
        "times their acquisition cost: below the usual target ratio of {limit}.",
    },
    "finding_costs_channel_cac": {
        "fr": "{channel} est le canal d'acquisition le plus cher en {period} : {cac} par nouveau "
        "client, {ratio} fois plus que {cheapest} ({cheapest_cac}).",
        "en": "{channel} is the most expensive acquisition channel in {period}: {cac} per new "
        "customer, {ratio} times {cheapest} ({cheapest_cac}).",
    },
    # ---------------------------------------------------------------- balance (04)
    "finding_balance_dependence_one": {
        "fr": "Un client, {name}, pèse {share} du chiffre d'affaires : au-delà du seuil de "
        "dépendance de {threshold}.",
        "en": "One customer, {name}, weighs {share} of revenue: above the {threshold} dependence "
        "threshold.",
    },
    "finding_balance_dependence_many": {
        "fr": "{count} clients dépassent chacun le seuil de dépendance de {threshold} du chiffre "
        "d'affaires : {names}.",
        "en": "{count} customers each exceed the {threshold} dependence threshold of revenue: "
        "{names}.",
    },
    "finding_balance_abc": {
        "fr": "{a_customers} clients ({a_share} des clients actifs) font {a_revenue} du chiffre "
        "d'affaires (classe A) ; les {c_customers} clients de la classe C ({c_share}) n'en font "
        "que {c_revenue} : à servir à moindre coût.",
        "en": "{a_customers} customers ({a_share} of the active customers) make {a_revenue} of "
        "revenue (class A); the {c_customers} class C customers ({c_share}) make only "
        "{c_revenue}: serve them at a lower cost.",
    },
    "finding_balance_abc_one": {
        "fr": "Un seul client ({a_share} des clients actifs) fait {a_revenue} du chiffre "
        "d'affaires (classe A) ; les {c_customers} clients de la classe C ({c_share}) n'en font "
        "que {c_revenue} : à servir à moindre coût.",
        "en": "A single customer ({a_share} of the active customers) makes {a_revenue} of "
        "revenue (class A); the {c_customers} class C customers ({c_share}) make only "
        "{c_revenue}: serve them at a lower cost.",
    },
    "finding_balance_old_age": {
        "fr": "{customers} clients sont en vieillesse ({share}) : leur chiffre d'affaires est "
        "passé de {previous} à {recent} sur {window} mois ({change}) ; à diagnostiquer et "
        "reconquérir, ou à servir à moindre coût.",
        "en": "{customers} customers are in old age ({share}): their revenue went from "
        "{previous} to {recent} over {window} months ({change}); diagnose and win back, or cut "
        "the cost to serve.",
    },
    "finding_balance_adolescence": {
        "fr": "{customers} clients en adolescence font {revenue_share} du chiffre d'affaires, en "
        "hausse de {trend} : à développer (gamme achetée, part de portefeuille).",
        "en": "{customers} customers in adolescence make {revenue_share} of revenue, up "
        "{trend}: develop them (range bought, share of wallet).",
    },
    "finding_balance_vivier_rep": {
        "fr": "Vivier : {customers} comptes à potentiel élevé et pénétration faible ou nulle, "
        "zone de fragilité à faire monter dans la matrice ; {gap} à conquérir ; "
        "{rep_customers} sont suivis par {rep}.",
        "en": "Vivier: {customers} accounts with high potential and little or no penetration, "
        "a zone of fragility to move up the matrix; {gap} to win; {rep_customers} of them "
        "are {rep}'s.",
    },
    "finding_balance_vivier": {
        "fr": "Vivier : {customers} comptes à potentiel élevé et pénétration faible ou nulle, "
        "zone de fragilité à faire monter dans la matrice ; {gap} à conquérir.",
        "en": "Vivier: {customers} accounts with high potential and little or no penetration, "
        "a zone of fragility to move up the matrix; {gap} to win.",
    },
    # ---------------------------------------------------------------- rfm (05)
    "finding_rfm_champions": {
        "fr": "{customers} clients « Champions » ({share} des clients) font {revenue_share} du "
        "chiffre d'affaires cumulé : à récompenser et à associer aux nouveautés.",
        "en": "{customers} “Champions” ({share} of customers) make {revenue_share} of cumulative "
        "revenue: reward them and involve them in new offers.",
    },
    "finding_rfm_at_risk": {
        "fr": "{customers} clients autrefois réguliers n'achètent plus (« À risque » et « À ne "
        "pas perdre ») : ils ont fait {revenue} de chiffre d'affaires ({revenue_share}) ; à "
        "recontacter en priorité.",
        "en": "{customers} once-regular customers have stopped buying (“At risk” and “Can't lose "
        "them”): they made {revenue} of revenue ({revenue_share}); contact them first.",
    },
    "finding_rfm_largest_at_risk_rep": {
        "fr": "Le plus gros d'entre eux, {name} ({rep}), n'a rien commandé depuis {days} jours "
        "après {revenue} d'achats.",
        "en": "The largest of them, {name} ({rep}), has not ordered for {days} days after "
        "{revenue} of purchases.",
    },
    "finding_rfm_largest_at_risk": {
        "fr": "Le plus gros d'entre eux, {name}, n'a rien commandé depuis {days} jours après "
        "{revenue} d'achats.",
        "en": "The largest of them, {name}, has not ordered for {days} days after {revenue} of "
        "purchases.",
    },
    "finding_rfm_sleeping": {
        "fr": "{customers} clients s'endorment (« À surveiller » et « Bientôt endormis ») : "
        "{revenue} de chiffre d'affaires cumulé, à relancer avant qu'ils ne basculent.",
        "en": "{customers} customers are dozing off (“Need attention” and “About to sleep”): "
        "{revenue} of cumulative revenue, to follow up before they slip away.",
    },
    # ---------------------------------------------------------------- clv (06)
    "finding_clv_simple": {
        "fr": "Un client vaut en moyenne {clv} de marge brute sur sa durée de vie (CLV simple : "
        "panier moyen {basket} × {purchases} achats par an × {margin_rate} de marge × "
        "{lifetime} ans).",
        "en": "A customer is worth on average {clv} of gross margin over their lifetime (simple "
        "CLV: average order {basket} × {purchases} purchases a year × {margin_rate} margin × "
        "{lifetime} years).",
    },
    "finding_clv_groups": {
        "fr": "Par {attribute}, un client « {best} » vaut {best_clv}, {ratio} fois un client "
        "« {worst} » ({worst_clv}).",
        "en": "By {attribute}, a customer of “{best}” is worth {best_clv}, {ratio} times one of "
        "“{worst}” ({worst_clv}).",
    },
    "finding_clv_group_churn": {
        "fr": "« {group} » a l'attrition annuelle la plus forte : {churn}, contre {overall} pour "
        "l'ensemble du portefeuille.",
        "en": "“{group}” has the highest annual churn: {churn}, against {overall} for the whole "
        "portfolio.",
    },
    "finding_clv_predictive": {
        "fr": "Le modèle prédictif estime à {total} la marge actualisée des {months} prochains "
        "mois{interval} ; {name} en porte à lui seul {share}.",
        "en": "The predictive model puts the discounted margin of the next {months} months at "
        "{total}{interval}; {name} alone carries {share} of it.",
    },
    "finding_clv_predictive_model": {
        "fr": "Le modèle prédictif ({model}, le plus juste des trois sur les {holdout} derniers "
        "mois mis de côté) estime à {total} la marge actualisée des {months} prochains mois"
        "{interval} ; {name} en porte à lui seul {share}.",
        "en": "The predictive model ({model}, the most accurate of three on the last {holdout} "
        "months kept aside) puts the discounted margin of the next {months} months at "
        "{total}{interval}; {name} alone carries {share} of it.",
    },
    "finding_clv_interval_clause": {
        "fr": " (entre {low} et {high} à {level}, selon l'incertitude des paramètres)",
        "en": " ({low} to {high} at {level}, from the parameters' uncertainty)",
    },
    "finding_clv_p_alive": {
        "fr": "{customers} clients sur {total} ont moins de {threshold} de chances d'être encore "
        "actifs selon le modèle prédictif.",
        "en": "{customers} of {total} customers have less than a {threshold} chance of still "
        "being active according to the predictive model.",
    },
    "finding_clv_channels": {
        "fr": "Par canal d'acquisition, « {best} » est le plus rentable (LTV/CAC de {best_ratio}) "
        "et « {worst} » le moins ({worst_ratio}).",
        "en": "By acquisition channel, “{best}” pays best (LTV/CAC of {best_ratio}) and "
        "“{worst}” least ({worst_ratio}).",
    },
    "finding_clv_channels_low": {
        "fr": "{count} canaux d'acquisition sont sous le ratio LTV/CAC de {limit} : {names} ; "
        "« {best} » est le plus rentable ({best_ratio}).",
        "en": "{count} acquisition channels are below the LTV/CAC ratio of {limit}: {names}; "
        "“{best}” pays best ({best_ratio}).",
    },
    "finding_clv_channels_low_one": {
        "fr": "Un canal d'acquisition est sous le ratio LTV/CAC de {limit} : {names} ; "
        "« {best} » est le plus rentable ({best_ratio}).",
        "en": "One acquisition channel is below the LTV/CAC ratio of {limit}: {names}; "
        "“{best}” pays best ({best_ratio}).",
    },
    # ---------------------------------------------------------------- alerts (07)
    "finding_alerts_total": {
        "fr": "{customers} clients sont en alerte, pour {revenue} de chiffre d'affaires à risque.",
        "en": "{customers} customers are alerted, with {revenue} of revenue at risk.",
    },
    "finding_alerts_rep": {
        "fr": "{rep} a le plus de clients en alerte : {customers} ({share} des alertes), pour "
        "{revenue} de chiffre d'affaires à risque.",
        "en": "{rep} has the most customers alerted: {customers} ({share} of the alerts), with "
        "{revenue} of revenue at risk.",
    },
    "finding_alerts_key_accounts": {
        "fr": "{customers} des {top} plus gros clients sont en alerte, pour {revenue} de chiffre "
        "d'affaires à risque.",
        "en": "{customers} of the {top} largest customers are alerted, with {revenue} of "
        "revenue at risk.",
    },
    "finding_alerts_priority": {
        "fr": "Priorité n° 1 : {name} ({rep}), {reasons} ; {revenue} à risque.",
        "en": "Priority 1: {name} ({rep}), {reasons}; {revenue} at risk.",
    },
    "finding_alerts_reason_drop": {
        "fr": "chiffre d'affaires en baisse de {drop}",
        "en": "revenue down {drop}",
    },
    "finding_alerts_reason_overdue": {
        "fr": "sans commande depuis {days} jours ({ratio} fois son intervalle habituel)",
        "en": "no order for {days} days ({ratio} times their usual gap)",
    },
    "finding_alerts_reason_key": {"fr": "grand compte", "en": "key account"},
    # ---------------------------------------------------------------- shared words
    "finding_up": {"fr": "en hausse", "en": "up"},
    "finding_down": {"fr": "en baisse", "en": "down"},
    "finding_and": {"fr": "et", "en": "and"},
    "findings_title": {"fr": "Constats clés", "en": "Key findings"},
    "findings_none": {
        "fr": "Aucun constat marquant avec ces seuils.",
        "en": "Nothing stands out with these thresholds.",
    },
}

i18n.register(TEXTS)
