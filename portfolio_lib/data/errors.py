"""One error type for bad input, one warning type for doubtful input, both bilingual.

Every message says where (file, column, rows), what is wrong and what to do, in words a
consultant understands. ``str(error)`` is English; ``error.text("fr")`` is French.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["DataQualityWarning", "PortfolioDataError"]

_MAX_LISTED = 5

# code -> language -> (problem, fix). Placeholders are filled from the error's details.
_MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    "unsupported_format": {
        "en": (
            "{where}the file type '{suffix}' is not supported.",
            "Save it as CSV (.csv), Excel (.xlsx) or Parquet (.parquet).",
        ),
        "fr": (
            "{where}le type de fichier « {suffix} » n'est pas pris en charge.",
            "Enregistrez-le en CSV (.csv), Excel (.xlsx) ou Parquet (.parquet).",
        ),
    },
    "file_not_found": {
        "en": ("{where}the file does not exist.", "Check the path: {path}"),
        "fr": ("{where}le fichier n'existe pas.", "Vérifiez le chemin : {path}"),
    },
    "unreadable_file": {
        "en": (
            "{where}the file cannot be read ({reason}).",
            "Open it in Excel and save it again as CSV (separator ';' or ',') or .xlsx.",
        ),
        "fr": (
            "{where}le fichier est illisible ({reason}).",
            "Ouvrez-le dans Excel et enregistrez-le à nouveau en CSV (séparateur « ; » ou « , ») "
            "ou en .xlsx.",
        ),
    },
    "empty_file": {
        "en": (
            "{where}the file has no data rows.",
            "Check that you exported the right file or sheet, with its header line.",
        ),
        "fr": (
            "{where}le fichier ne contient aucune ligne de données.",
            "Vérifiez que vous avez exporté le bon fichier ou le bon onglet, avec sa ligne "
            "d'en-tête.",
        ),
    },
    "missing_columns": {
        "en": (
            "{where}required column(s) {missing} not found. Columns found: {found}.",
            "Rename the column(s) in the file, or map them explicitly, e.g. "
            "mapping={{{example}}}. Names recognised automatically: {accepted}.",
        ),
        "fr": (
            "{where}colonne(s) obligatoire(s) {missing} introuvable(s). Colonnes présentes : "
            "{found}.",
            "Renommez la ou les colonnes dans le fichier, ou indiquez la correspondance, par ex. "
            "mapping={{{example}}}. Noms reconnus automatiquement : {accepted}.",
        ),
    },
    "bad_mapping": {
        "en": (
            "{where}the column mapping {pair} is not usable: {reason}.",
            "Mapping keys are the expected names ({expected}); values are column names of the "
            "file ({found}).",
        ),
        "fr": (
            "{where}la correspondance de colonnes {pair} est inutilisable : {reason_fr}.",
            "Les clés sont les noms attendus ({expected}) ; les valeurs sont les colonnes du "
            "fichier ({found}).",
        ),
    },
    "missing_values": {
        "en": (
            "{where}{count} row(s) have no value in column '{column}': {rows}.",
            "Fill these cells or delete these rows, then load the file again.",
        ),
        "fr": (
            "{where}{count} ligne(s) sans valeur dans la colonne « {column} » : {rows}.",
            "Complétez ces cellules ou supprimez ces lignes, puis rechargez le fichier.",
        ),
    },
    "bad_dates": {
        "en": (
            "{where}{count} value(s) of column '{column}' are not dates: {rows} "
            "(for example {examples}).",
            "Write dates like 31/12/2025 or 2025-12-31, or give the format, e.g. "
            "date_format='%d/%m/%Y'.",
        ),
        "fr": (
            "{where}{count} valeur(s) de la colonne « {column} » ne sont pas des dates : {rows} "
            "(par exemple {examples}).",
            "Écrivez les dates comme 31/12/2025 ou 2025-12-31, ou précisez le format, par ex. "
            "date_format='%d/%m/%Y'.",
        ),
    },
    "ambiguous_dates": {
        "en": (
            "{where}column '{column}' mixes day-first and month-first dates ({first} and "
            "{second}); the rarer format is on {rows}.",
            "Use one date format for the whole column, or give it, e.g. date_format='%d/%m/%Y'.",
        ),
        "fr": (
            "{where}la colonne « {column} » mélange des dates jour/mois et mois/jour ({first} et "
            "{second}) ; le format le plus rare se trouve {rows}.",
            "Utilisez un seul format de date pour toute la colonne, ou précisez-le, par ex. "
            "date_format='%d/%m/%Y'.",
        ),
    },
    "bad_numbers": {
        "en": (
            "{where}{count} value(s) of column '{column}' are not amounts: {rows} "
            "(for example {examples}).",
            "Write amounts as plain numbers such as 1234.56 or 1 234,56 (no text), then load "
            "the file again.",
        ),
        "fr": (
            "{where}{count} valeur(s) de la colonne « {column} » ne sont pas des montants : "
            "{rows} (par exemple {examples}).",
            "Écrivez les montants sous forme de nombres, comme 1 234,56 ou 1234.56 (sans texte), "
            "puis rechargez le fichier.",
        ),
    },
    "out_of_range": {
        "en": (
            "{where}{count} value(s) of column '{column}' are outside {allowed}: {rows} "
            "(for example {examples}).",
            "Correct these cells; {column} must be {allowed}.",
        ),
        "fr": (
            "{where}{count} valeur(s) de la colonne « {column} » sont hors de {allowed_fr} : "
            "{rows} (par exemple {examples}).",
            "Corrigez ces cellules ; « {column} » doit être {allowed_fr}.",
        ),
    },
    "future_dates": {
        "en": (
            "{where}{count} row(s) are dated after today ({today}): {rows} "
            "(for example {examples}).",
            "Correct these dates (often a typo in the year), or pass allow_future_dates=True "
            "if they are planned orders.",
        ),
        "fr": (
            "{where}{count} ligne(s) sont datées après aujourd'hui ({today}) : {rows} "
            "(par exemple {examples}).",
            "Corrigez ces dates (souvent une faute de frappe sur l'année), ou passez "
            "allow_future_dates=True s'il s'agit de commandes planifiées.",
        ),
    },
    "duplicate_ids": {
        "en": (
            "{where}{count} customer id(s) appear on several rows: {rows} (for example "
            "{examples}).",
            "Keep one row per customer in the customer file.",
        ),
        "fr": (
            "{where}{count} identifiant(s) client apparaissent sur plusieurs lignes : {rows} "
            "(par exemple {examples}).",
            "Gardez une seule ligne par client dans le fichier clients.",
        ),
    },
    "unknown_customers": {
        "en": (
            "{where}{count} customer id(s) of the transactions are not in the customer file "
            "(for example {examples}).",
            "Add them to the customer file, check that both files use the same customer code, "
            "or pass unknown_customers='keep' to analyse them with the attributes left empty.",
        ),
        "fr": (
            "{where}{count} identifiant(s) client des transactions sont absents du fichier "
            "clients (par exemple {examples}).",
            "Ajoutez-les au fichier clients, vérifiez que les deux fichiers utilisent le même "
            "code client, ou passez unknown_customers='keep' pour les analyser sans attributs.",
        ),
    },
    "bad_cost_kind": {
        "en": (
            "{where}{count} value(s) of column '{column}' are neither acquisition nor "
            "retention: {rows} (for example {examples}).",
            "Write 'acquisition' (or conquête) and 'retention' (or fidélisation).",
        ),
        "fr": (
            "{where}{count} valeur(s) de la colonne « {column} » ne sont ni acquisition ni "
            "fidélisation : {rows} (par exemple {examples}).",
            "Écrivez « acquisition » (ou conquête) et « fidélisation » (ou rétention).",
        ),
    },
    "bad_periods": {
        "en": (
            "{where}{count} value(s) of column '{column}' are not months: {rows} "
            "(for example {examples}).",
            "Write months like 2025-01, 01/2025 or a date in the month such as 01/01/2025.",
        ),
        "fr": (
            "{where}{count} valeur(s) de la colonne « {column} » ne sont pas des mois : {rows} "
            "(par exemple {examples}).",
            "Écrivez les mois comme 2025-01, 01/2025 ou une date du mois comme 01/01/2025.",
        ),
    },
    "file_too_large": {
        "en": (
            "{where}the file is {size_mb:.1f} MB, over the limit of {limit_mb:g} MB.",
            "Export a shorter period or only the needed columns, or run the report from the "
            "command line, which has no limit.",
        ),
        "fr": (
            "{where}le fichier fait {size_mb:.1f} Mo, au-delà de la limite de {limit_mb:g} Mo.",
            "Exportez une période plus courte ou seulement les colonnes utiles, ou lancez le "
            "rapport en ligne de commande, qui n'a pas de limite.",
        ),
    },
    "no_costs": {
        "en": (
            "{where}no cost table: {analysis} needs acquisition and retention spend.",
            "Load a costs file (period, kind, amount), or give budgets in € per month: in the "
            "costs notebook, the parameters ACQUISITION_BUDGET and RETENTION_BUDGET; in Python, "
            "the arguments acquisition_budget=20000 and retention_budget=8000 of "
            "costs.cost_summary (or costs.costs_from_budgets).",
        ),
        "fr": (
            "{where}pas de table de coûts : {analysis} a besoin des dépenses d'acquisition et de "
            "fidélisation.",
            "Chargez un fichier de coûts (période, type, montant), ou indiquez des budgets en € "
            "par mois : dans le carnet des coûts, les paramètres ACQUISITION_BUDGET et "
            "RETENTION_BUDGET ; en Python, les arguments acquisition_budget=20000 et "
            "retention_budget=8000 de costs.cost_summary (ou costs.costs_from_budgets).",
        ),
    },
    "missing_product": {
        "en": (
            "{where}the product mix needs a 'product' column in the transactions, which this "
            "log does not have (columns: {found}).",
            "Add the product or product family of each line to the transaction file, or map "
            "the column that holds it (e.g. 'Famille', 'Article').",
        ),
        "fr": (
            "{where}le mix produits a besoin d'une colonne « product » dans les transactions, "
            "absente de ce fichier (colonnes : {found}).",
            "Ajoutez le produit ou la famille de produits de chaque ligne au fichier des "
            "transactions, ou indiquez la colonne qui la contient (par ex. « Famille », "
            "« Article »).",
        ),
    },
    "missing_attribute": {
        "en": (
            "{where}{analysis} needs the column '{column}', which the customer table does not "
            "have (columns: {found}).",
            "Add '{column}' to the customer file, or map the column that holds it.",
        ),
        "fr": (
            "{where}{analysis} a besoin de la colonne « {column} », absente de la table clients "
            "(colonnes : {found}).",
            "Ajoutez « {column} » au fichier clients, ou indiquez la colonne qui la contient.",
        ),
    },
    "too_few_repeat_customers": {
        "en": (
            "{where}only {count} customer(s) bought more than once; {model} needs at least "
            "{minimum}.",
            "Use a longer history or a larger portfolio. The simple and retention CLV need no "
            "model fit, but they need an annual churn rate, hence at least 13 months of history.",
        ),
        "fr": (
            "{where}seulement {count} client(s) ont acheté plus d'une fois ; {model} en demande "
            "au moins {minimum}.",
            "Utilisez un historique plus long ou un portefeuille plus large. Les CLV simple et "
            "par rétention ne demandent pas d'ajustement de modèle, mais un taux d'attrition "
            "annuel, donc au moins 13 mois d'historique.",
        ),
    },
    "history_too_short": {
        "en": (
            "{where}{analysis} needs {months_needed} months of history; the data cover "
            "{months_available}.",
            "Export a longer history (at least {months_needed} months up to the analysis "
            "date) and load it again.",
        ),
        "fr": (
            "{where}{analysis} demande {months_needed} mois d'historique ; les données en "
            "couvrent {months_available}.",
            "Exportez un historique plus long (au moins {months_needed} mois jusqu'à la date "
            "d'analyse) et chargez-le à nouveau.",
        ),
    },
    "negative_spend": {
        "en": (
            "{where}{count} repeat customer(s) have an average spend of zero or less (for "
            "example {examples}): the forecast of future spend cannot learn from them.",
            "Check the credit notes of these customers. The analysis leaves them out when it "
            "learns the usual spend and gives them the portfolio's average spend.",
        ),
        "fr": (
            "{where}{count} client(s) réguliers ont une dépense moyenne nulle ou négative (par "
            "exemple {examples}) : la prévision de dépense future ne peut pas s'appuyer sur eux.",
            "Vérifiez les avoirs de ces clients. L'analyse les met de côté pour estimer la "
            "dépense habituelle et leur attribue la dépense moyenne du portefeuille.",
        ),
    },
    "not_converged": {
        "en": (
            "{where}the {model} fit did not converge ({reason}).",
            "Try a longer calibration period, a coarser time unit (weeks instead of days), or "
            "other starting values; check for customers with extreme purchase counts.",
        ),
        "fr": (
            "{where}l'ajustement du modèle {model} n'a pas convergé ({reason}).",
            "Essayez une période de calibration plus longue, une unité de temps plus grossière "
            "(semaines plutôt que jours) ou d'autres valeurs de départ ; vérifiez les clients au "
            "nombre d'achats extrême.",
        ),
    },
    "no_match": {
        "en": (
            "{where}no customer has {column} = {wanted}.",
            "Check the spelling; values in the data: {known}.",
        ),
        "fr": (
            "{where}aucun client n'a {column} = {wanted}.",
            "Vérifiez l'orthographe ; valeurs présentes : {known}.",
        ),
    },
    # Warnings (DataQualityWarning) use the same catalogue.
    "duplicate_rows": {
        "en": (
            "{where}{count} row(s) are exact copies of an earlier row: {rows}.",
            "They are kept (two identical invoice lines can be genuine); remove them from the "
            "file if they are export duplicates.",
        ),
        "fr": (
            "{where}{count} ligne(s) sont des copies exactes d'une ligne précédente : {rows}.",
            "Elles sont conservées (deux lignes de facture identiques peuvent exister) ; "
            "supprimez-les du fichier s'il s'agit de doublons d'export.",
        ),
    },
    "unused_cost_channels": {
        "en": (
            "{where}cost channel(s) {examples} match no customer's acquisition channel.",
            "CAC by channel will show no new customers for them; check the spelling of the "
            "channels in both files.",
        ),
        "fr": (
            "{where}canal/canaux de coûts {examples} sans client acquis par ce canal.",
            "Le CAC par canal n'aura pas de nouveaux clients pour eux ; vérifiez l'orthographe "
            "des canaux dans les deux fichiers.",
        ),
    },
    # ---- database and engine sources (engine/sources.py, engine/backends.py)
    "bad_source": {
        "en": (
            "{where}this data source is not understood: {reason}.",
            "Give a file path, or a database URL with a table or a query, e.g. "
            "postgresql://user@host/db?table=ventes",
        ),
        "fr": (
            "{where}cette source de données n'est pas comprise : {reason}.",
            "Indiquez un chemin de fichier, ou une URL de base de données avec une table ou une "
            "requête, par ex. postgresql://utilisateur@serveur/base?table=ventes",
        ),
    },
    "source_unreachable": {
        "en": (
            "{where}the database cannot be read ({reason}).",
            "Check the server, the database and table names, and the credentials (PGPASSWORD or "
            "~/.pgpass rather than a password in the URL).",
        ),
        "fr": (
            "{where}la base de données est illisible ({reason}).",
            "Vérifiez le serveur, les noms de la base et de la table, et les identifiants "
            "(PGPASSWORD ou ~/.pgpass plutôt qu'un mot de passe dans l'URL).",
        ),
    },
    "engine_missing": {
        "en": (
            "the engine '{engine}' needs the Python package '{package}', which is not installed.",
            'Install the extra: pip install -e ".[{engine}]"',
        ),
        "fr": (
            "le moteur « {engine} » a besoin du paquet Python « {package} », non installé.",
            'Installez l\'extra : pip install -e ".[{engine}]"',
        ),
    },
    "engine_needs_table": {
        "en": (
            "{where}the engine '{engine}' cannot read this source.",
            "postgres aggregates a table or query of its database (postgresql://...?table=...); "
            "spark reads Parquet/CSV files, frames and its own tables (table=NAME).",
        ),
        "fr": (
            "{where}le moteur « {engine} » ne sait pas lire cette source.",
            "postgres agrège une table ou une requête de sa base (postgresql://...?table=...) ; "
            "spark lit des fichiers Parquet/CSV, des DataFrame et ses propres tables "
            "(table=NOM).",
        ),
    },
    "engine_column_type": {
        "en": (
            "{where}column '{column}' is stored as {kind}, which the engine cannot aggregate.",
            "Store dates as DATE/TIMESTAMP and amounts as numbers, or give a query that converts "
            "them (query=SELECT ..., CAST(...)); or read the table with the default engine, "
            "which parses text like a file.",
        ),
        "fr": (
            "{where}la colonne « {column} » est de type {kind}, que le moteur ne peut pas agréger.",
            "Stockez les dates en DATE/TIMESTAMP et les montants en nombres, ou donnez une requête "
            "qui les convertit (query=SELECT ..., CAST(...)) ; ou lisez la table avec le moteur "
            "par défaut, qui analyse le texte comme un fichier.",
        ),
    },
    "engine_missing_values": {
        "en": (
            "{where}{count} line(s) have no value in column '{column}'.",
            "Fill these values or filter these lines out with a query (query=SELECT ... WHERE "
            "{column} IS NOT NULL).",
        ),
        "fr": (
            "{where}{count} ligne(s) sans valeur dans la colonne « {column} ».",
            "Complétez ces valeurs ou écartez ces lignes par une requête (query=SELECT ... WHERE "
            "{column} IS NOT NULL).",
        ),
    },
    "engine_future_dates": {
        "en": (
            "{where}{count} line(s) are dated after today ({today}), for example {examples}.",
            "Correct these dates, or pass allow_future_dates=True if they are planned orders.",
        ),
        "fr": (
            "{where}{count} ligne(s) sont datées après aujourd'hui ({today}), par exemple "
            "{examples}.",
            "Corrigez ces dates, ou passez allow_future_dates=True s'il s'agit de commandes "
            "planifiées.",
        ),
    },
    # issue 19: hostile input
    "huge_amounts": {
        "en": (
            "{where}{count} value(s) of column '{column}' are not finite amounts (infinite, "
            "'nan' or beyond 1e15): {rows} (for example {examples}).",
            "Correct these cells (an export error or a formula result such as #DIV/0!), then "
            "load the file again.",
        ),
        "fr": (
            "{where}{count} valeur(s) de la colonne « {column} » ne sont pas des montants finis "
            "(infini, « nan » ou au-delà de 1e15) : {rows} (par exemple {examples}).",
            "Corrigez ces cellules (erreur d'export ou résultat de formule comme #DIV/0!), puis "
            "rechargez le fichier.",
        ),
    },
    "negative_costs": {
        "en": (
            "{where}{count} spend value(s) of column '{column}' are negative: {rows} (for "
            "example {examples}); a negative spend would give a negative acquisition cost.",
            "Enter spend as positive amounts (refunds from a supplier: subtract them from the "
            "month's spend), then load the file again.",
        ),
        "fr": (
            "{where}{count} dépense(s) de la colonne « {column} » sont négatives : {rows} (par "
            "exemple {examples}) ; une dépense négative donnerait un coût d'acquisition négatif.",
            "Saisissez les dépenses en montants positifs (remboursement d'un fournisseur : "
            "déduisez-le de la dépense du mois), puis rechargez le fichier.",
        ),
    },
    "ambiguous_thousands": {
        "en": (
            "{where}{count} value(s) of column '{column}' can be read two ways, e.g. 1.234 as "
            "1234 or as 1.234, and no other amount of the column tells the decimal mark: {rows} "
            "(read as {examples}, with the decimal mark '{mark}' of this file's separator).",
            "Check these amounts. To remove the doubt, write them with their decimals (1234,00 "
            "or 1234.00) or without a thousands separator, then load the file again.",
        ),
        "fr": (
            "{where}{count} valeur(s) de la colonne « {column} » se lisent de deux façons, par "
            "ex. 1.234 comme 1234 ou comme 1,234, et aucun autre montant de la colonne ne donne "
            "le séparateur décimal : {rows} (lues {examples}, avec le séparateur décimal « {mark} "
            "» du séparateur de ce fichier).",
            "Vérifiez ces montants. Pour lever le doute, écrivez-les avec leurs décimales "
            "(1234,00 ou 1234.00) ou sans séparateur de milliers, puis rechargez le fichier.",
        ),
    },
    "ambiguous_day_month": {
        "en": (
            "{where}no date of column '{column}' has a day above 12, so {count} date(s) can be "
            "read day first or month first: {rows}. They were read day first, the French way "
            "({examples}).",
            "If the file writes the month first (US exports: 01/05/2024 for 5 January), give "
            "the date format, e.g. date_format='%m/%d/%Y', and load the file again.",
        ),
        "fr": (
            "{where}aucune date de la colonne « {column} » n'a un jour supérieur à 12 : {count} "
            "date(s) se lisent jour/mois ou mois/jour : {rows}. Elles ont été lues jour "
            "d'abord, à la française ({examples}).",
            "Si le fichier écrit le mois d'abord (exports américains : 01/05/2024 pour le 5 "
            "janvier), précisez le format des dates, par ex. date_format='%m/%d/%Y', puis "
            "rechargez le fichier.",
        ),
    },
    "other_candidate_columns": {
        "en": (
            "{where}column '{column}' was read as the {field}; column(s) {others} could be it too.",
            "If the {field} is in another column, say so, e.g. mapping={{'{field}': '{other}'}}.",
        ),
        "fr": (
            "{where}la colonne « {column} » a été lue comme {field} ; la ou les colonnes "
            "{others} pourraient l'être aussi.",
            "Si {field} est dans une autre colonne, précisez-le, par ex. mapping={{'{field}': "
            "'{other}'}}.",
        ),
    },
    "extra_fields": {
        "en": (
            "{where}the data rows have more fields than the header line ({rows}): with "
            "'{sep}' as separator, a decimal comma such as 12,5 splits an amount in two, "
            "probably in column '{column}'.",
            "Save the file with ';' as separator, or write the amounts with a decimal point "
            '(12.5) or in quotes ("12,5"), then load it again.',
        ),
        "fr": (
            "{where}les lignes de données ont plus de champs que la ligne d'en-tête ({rows}) : "
            "avec « {sep} » comme séparateur, une virgule décimale comme 12,5 coupe un montant "
            "en deux, sans doute dans la colonne « {column} ».",
            "Enregistrez le fichier avec « ; » comme séparateur, ou écrivez les montants avec "
            'un point décimal (12.5) ou entre guillemets ("12,5"), puis rechargez-le.',
        ),
    },
    "sheet_too_large": {
        "en": (
            "{where}the sheet {sheet} holds cells far beyond any table (column XFD or row "
            "1,000,000 and more): reading its whole range would take all the memory.",
            "Open the file in Excel, delete the rows and columns after your table (select "
            "them, right-click, Delete), save it and load it again.",
        ),
        "fr": (
            "{where}la feuille {sheet} contient des cellules très loin de tout tableau (colonne "
            "XFD ou ligne 1 000 000 et au-delà) : lire toute sa plage prendrait toute la mémoire.",
            "Ouvrez le fichier dans Excel, supprimez les lignes et colonnes après votre tableau "
            "(sélectionnez-les, clic droit, Supprimer), enregistrez-le et rechargez-le.",
        ),
    },
    "formulas_without_values": {
        "en": (
            "{where}{count} cell(s) hold a formula whose value is not stored in the file: {cells}.",
            "Open and save the file in Excel (or LibreOffice) so the values are stored, then "
            "load it again (programs that write workbooks often store formulas only).",
        ),
        "fr": (
            "{where}{count} cellule(s) contiennent une formule dont la valeur n'est pas "
            "enregistrée dans le fichier : {cells}.",
            "Ouvrez et enregistrez le fichier dans Excel (ou LibreOffice) pour que les valeurs "
            "y soient stockées, puis rechargez-le (les programmes qui écrivent des classeurs "
            "n'y mettent souvent que les formules).",
        ),
    },
    "uneven_row": {
        "en": (
            "{where}{rows} has {saw} fields where the header line has {expected} (separator "
            "'{sep}').",
            "Put in quotes a value holding the separator, or delete the cells beyond the last "
            "column, then load the file again (saving it again from Excel does both).",
        ),
        "fr": (
            "{where}la {rows} a {saw} champs alors que la ligne d'en-tête en a {expected} "
            "(séparateur « {sep} »).",
            "Mettez entre guillemets une valeur qui contient le séparateur, ou supprimez les "
            "cellules au-delà de la dernière colonne, puis rechargez le fichier (l'enregistrer "
            "à nouveau depuis Excel fait les deux).",
        ),
    },
    "repeated_columns": {
        "en": (
            "{where}the header line names column '{column}' {count} times: which one to read "
            "cannot be told.",
            "Rename or delete the extra column(s) so that each name appears once, then load "
            "the file again.",
        ),
        "fr": (
            "{where}la ligne d'en-tête nomme {count} fois la colonne « {column} » : impossible "
            "de savoir laquelle lire.",
            "Renommez ou supprimez la ou les colonnes en trop pour que chaque nom n'apparaisse "
            "qu'une fois, puis rechargez le fichier.",
        ),
    },
    "no_transactions_before": {
        "en": (
            "{where}no transaction on or before the analysis date {as_of} (the first is dated "
            "{first}).",
            "Choose an analysis date (as_of, --as-of) on or after {first}, or leave it empty "
            "to use the last transaction date.",
        ),
        "fr": (
            "{where}aucune transaction à la date d'analyse {as_of} ou avant (la première est "
            "datée du {first}).",
            "Choisissez une date d'analyse (as_of, --as-of) à partir du {first}, ou laissez-la "
            "vide pour prendre la date de la dernière transaction.",
        ),
    },
}

_WHAT_TO_DO = {"en": "What to do: ", "fr": "Que faire : "}


def _format_rows(rows: Sequence[int], lang: str) -> str:
    shown = ", ".join(str(r) for r in rows[:_MAX_LISTED])
    word = "ligne" if lang == "fr" else "row"
    prefix = f"{word}s " if len(rows) > 1 else f"{word} "
    more = len(rows) - _MAX_LISTED
    if more > 0:
        tail = f" et {more} autre(s)" if lang == "fr" else f" and {more} more"
        return prefix + shown + tail
    return prefix + shown


def _format_cells(cells: Sequence[str], lang: str) -> str:
    if not cells:
        return ""
    word = "cellule" if lang == "fr" else "cell"
    shown = ", ".join(cells[:_MAX_LISTED])
    more = len(cells) - _MAX_LISTED
    tail = (f" et {more} autre(s)" if lang == "fr" else f" and {more} more") if more > 0 else ""
    return f"{word}{'s' if len(cells) > 1 else ''} {shown}{tail}"


def _format_examples(examples: Sequence[Any]) -> str:
    return ", ".join(repr(str(e)) for e in list(examples)[:3])


class _Bilingual:
    """Shared formatting of the catalogue messages."""

    code: str
    file: str | None
    details: dict[str, Any]

    def _setup(self, code: str, file: str | None, details: dict[str, Any]) -> None:
        if code not in _MESSAGES:
            raise KeyError(f"unknown message code {code!r}")
        self.code = code
        self.file = file
        self.details = details

    def text(self, lang: str = "en", *, file: str | None = None, fix: str | None = None) -> str:
        """The message in ``lang`` ('en' or 'fr'): problem, then what to do.

        ``file`` replaces the file name and ``fix`` the catalogue's "what to do" (same
        placeholders): the app names its own controls instead of Python arguments.
        """
        lang = "fr" if lang == "fr" else "en"
        problem, catalogue_fix = _MESSAGES[self.code][lang]
        fix = catalogue_fix if fix is None else fix
        file = self.file if file is None else file
        values = dict(self.details)
        values["where"] = f"{file}: " if file else ""
        cells = _format_cells(list(values.get("cells") or []), lang)
        if "rows" in values:
            # In a workbook, the cells too, named the Excel way: row 17 (cell Feuil1!C17).
            rows = _format_rows(list(values["rows"]), lang)
            values["rows"] = f"{rows} ({cells})" if cells else rows
        if cells:
            values["cells"] = cells
        if "examples" in values:
            values["examples"] = _format_examples(values["examples"])
        return f"{problem.format(**values)}\n{_WHAT_TO_DO[lang]}{fix.format(**values)}"


class PortfolioDataError(_Bilingual, ValueError):
    """Input data that cannot be analysed, with where it is wrong and how to fix it.

    Parameters
    ----------
    code : str
        Key of the message in the catalogue (e.g. ``"bad_dates"``).
    file : str, optional
        Name of the file (or table) at fault.
    **details
        Values for the message: ``column``, ``rows`` (row numbers as a spreadsheet shows
        them), ``examples``, ``count`` ...

    Examples
    --------
    >>> err = PortfolioDataError("empty_file", file="ventes.csv")
    >>> print(err.text("fr").splitlines()[0])
    ventes.csv: le fichier ne contient aucune ligne de données.
    """

    def __init__(self, code: str, *, file: str | None = None, **details: Any) -> None:
        self._setup(code, file, details)
        super().__init__(self.text("en"))

    @property
    def column(self) -> str | None:
        return self.details.get("column")

    @property
    def rows(self) -> list[int]:
        return list(self.details.get("rows", []))


class DataQualityWarning(_Bilingual, UserWarning):
    """Doubtful but usable input (kept as is); same fields and languages as the error."""

    def __init__(self, code: str, *, file: str | None = None, **details: Any) -> None:
        self._setup(code, file, details)
        super().__init__(self.text("en"))
