"""The report's front page: an executive summary, in the report's language.

:func:`summary_facts` gathers, from the executed notebooks' recorded figures, what the
summary shows: the overview's headline tiles and the most important findings of every
analysis (records ``findings``: ``{"study", "key", "text", "importance", "figures"}``, the
text already in the report's language). :func:`write_index` writes ``index.html`` from the
run metadata (``run.json``): title and analysis date, tiles, findings (each linking to its
page), the analyses with their Excel hand-outs, the PDF and the slides, then a small appendix
(data files by name, analysis date, parameters by their meaning, not their code name).
Durations and technical details stay in ``run.json``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.sources import is_table_source, parse_source
from portfolio_lib.report.pages import parameter_text
from portfolio_lib.report.params import DATA_PARAMETERS

__all__ = [
    "MAX_FINDINGS",
    "SUMMARY_STYLE",
    "index_body",
    "summary_facts",
    "top_findings",
    "write_index",
]

MAX_FINDINGS = 8  # the executive summary's findings, most important first
# Parameters the report decides (or that are shown elsewhere): not in the appendix.
_NOT_IN_APPENDIX = {*DATA_PARAMETERS, "AS_OF", "LANG", "INTERACTIVE", "EXCEL_OUTPUT"}
_FILTERS = ("SALES_REP", "SEGMENT", "REGION")
# The thresholds the findings and guides speak of: always in the appendix (others when given).
_KEY_PARAMETERS = (
    "ACTIVITY_WINDOW",
    "DEPENDENCE_ALERT",
    "A_CUT",
    "B_CUT",
    "DROP_ALERT",
    "GAP_ALERT",
    "TOP_AT_RISK",
    "RFM_BINS",
    "DISCOUNT_RATE",
    "CLV_HORIZON_MONTHS",
)
_CHOICES = ("PERIOD", "BRIDGE_PERIOD", "COHORT_PERIOD", "CLV_BY")  # words, translated

i18n.register(
    {
        "report_title": {
            "fr": "Analyse du portefeuille client",
            "en": "Customer portfolio analysis",
        },
        "report_run_date": {"fr": "Date du rapport", "en": "Report date"},
        "report_as_of": {"fr": "Date d'analyse", "en": "Analysis date"},
        "report_as_of_default": {
            "fr": "date de la dernière transaction",
            "en": "date of the last transaction",
        },
        "report_language": {"fr": "Langue", "en": "Language"},
        "report_data": {"fr": "Données", "en": "Data"},
        "report_transactions": {"fr": "Transactions", "en": "Transactions"},
        "report_customers": {"fr": "Fichier clients", "en": "Customer file"},
        "report_costs": {"fr": "Coûts", "en": "Costs"},
        "report_none": {"fr": "aucun", "en": "none"},
        "report_default": {"fr": "valeurs par défaut", "en": "defaults"},
        "report_other_parameters": {"fr": "Autres paramètres", "en": "Other parameters"},
        "report_sample": {"fr": "données d'exemple", "en": "sample data"},
        "report_parameters": {"fr": "Paramètres", "en": "Parameters"},
        "report_analyses": {"fr": "Analyses détaillées", "en": "Detailed analyses"},
        "report_findings": {"fr": "À retenir", "en": "Key findings"},
        "report_key_figures": {"fr": "Chiffres clés", "en": "Key figures"},
        "report_appendix": {
            "fr": "Annexe : données et paramètres",
            "en": "Appendix: data and parameters",
        },
        "report_downloads": {"fr": "À télécharger", "en": "Downloads"},
        "report_pdf": {"fr": "Rapport complet (PDF)", "en": "Full report (PDF)"},
        "report_slides": {"fr": "Présentation (PowerPoint)", "en": "Slides (PowerPoint)"},
        "report_excel": {"fr": "Excel", "en": "Excel"},
        "report_all_customers": {"fr": "tous", "en": "all"},
        "report_generated": {
            "fr": "Produit par portfolio-report {version} le {when}.",
            "en": "Made by portfolio-report {version} on {when}.",
        },
        # The parameters by what they mean (the appendix never shows a code name).
        "param_SALES_REP": {"fr": "Commercial", "en": "Sales rep"},
        "param_SEGMENT": {"fr": "Segment", "en": "Segment"},
        "param_REGION": {"fr": "Région", "en": "Region"},
        "param_ACTIVITY_WINDOW": {
            "fr": "Fenêtre d'activité (mois)",
            "en": "Activity window (months)",
        },
        "param_DEPENDENCE_ALERT": {"fr": "Seuil de dépendance", "en": "Dependence threshold"},
        "param_PERIOD": {"fr": "Période des graphiques", "en": "Period of the charts"},
        "param_BRIDGE_PERIOD": {
            "fr": "Période du pont du CA",
            "en": "Period of the revenue bridge",
        },
        "param_COHORT_PERIOD": {"fr": "Période des cohortes", "en": "Period of the cohorts"},
        "param_ACQUISITION_BUDGET": {
            "fr": "Budget d'acquisition mensuel (sans fichier de coûts)",
            "en": "Monthly acquisition budget (without cost file)",
        },
        "param_RETENTION_BUDGET": {
            "fr": "Budget de fidélisation mensuel (sans fichier de coûts)",
            "en": "Monthly retention budget (without cost file)",
        },
        "param_PAYBACK_HORIZON_MONTHS": {
            "fr": "Horizon du retour sur CAC (mois)",
            "en": "CAC payback horizon (months)",
        },
        "param_A_CUT": {"fr": "Limite de la classe A", "en": "Class A cut"},
        "param_B_CUT": {"fr": "Limite de la classe B", "en": "Class B cut"},
        "param_PMG_THRESHOLDS": {"fr": "Seuils PMG (€)", "en": "PMG thresholds (€)"},
        "param_PMG_QUANTILES": {"fr": "Quantiles PMG", "en": "PMG quantiles"},
        "param_TOP_N": {"fr": "Plus gros clients comptés", "en": "Largest customers counted"},
        "param_LIFECYCLE_GROWTH": {
            "fr": "Croissance du cycle de vie",
            "en": "Lifecycle growth",
        },
        "param_LIFECYCLE_CHILDHOOD_MONTHS": {
            "fr": "Durée de l'enfance (mois)",
            "en": "Childhood length (months)",
        },
        "param_LIFECYCLE_WINDOW_MONTHS": {
            "fr": "Fenêtre de tendance (mois)",
            "en": "Trend window (months)",
        },
        "param_POTENTIAL_QUANTILES": {"fr": "Quantiles du potentiel", "en": "Potential quantiles"},
        "param_PENETRATION_CUTS": {"fr": "Seuils de pénétration", "en": "Penetration cuts"},
        "param_RFM_BINS": {"fr": "Scores RFM", "en": "RFM scores"},
        "param_CLV_BY": {"fr": "Groupes de la CLV", "en": "CLV groups"},
        "param_DISCOUNT_RATE": {"fr": "Taux d'actualisation", "en": "Discount rate"},
        "param_CLV_HORIZON_MONTHS": {
            "fr": "Horizon de la CLV prédictive (mois)",
            "en": "Predictive CLV horizon (months)",
        },
        "param_CLV_MAX_LIFETIME_YEARS": {
            "fr": "Durée de vie maximale (ans)",
            "en": "Longest lifetime (years)",
        },
        "param_MIN_REPEAT_CUSTOMERS": {
            "fr": "Clients répétés minimum pour le modèle",
            "en": "Fewest repeat customers for the model",
        },
        "param_HOLDOUT_MONTHS": {"fr": "Mois de contrôle", "en": "Holdout months"},
        "param_PURCHASE_MODEL": {"fr": "Modèle d'achats", "en": "Purchase model"},
        "param_CLV_INTERVAL_DRAWS": {
            "fr": "Tirages des intervalles de la CLV",
            "en": "Draws of the CLV intervals",
        },
        "param_DROP_ALERT": {"fr": "Seuil de baisse du CA", "en": "Revenue drop threshold"},
        "param_GAP_ALERT": {
            "fr": "Retard de commande (intervalles habituels)",
            "en": "Overdue order (usual gaps)",
        },
        "param_TOP_AT_RISK": {"fr": "Grands comptes suivis", "en": "Key accounts watched"},
        "param_SHOW_TOP": {"fr": "Comptes listés", "en": "Accounts listed"},
    }
)
_LANGUAGE_NAMES = {
    "fr": {"fr": "français", "en": "French"},
    "en": {"fr": "anglais", "en": "English"},
}


def top_findings(
    notebooks: Sequence[Mapping[str, Any]], limit: int = MAX_FINDINGS
) -> list[dict[str, Any]]:
    """The ``limit`` most important findings of every page, each with its page's ``html``.

    Ties keep the pages' order (overview first), then each page's own order. A fact two
    pages state (the same ``key``, e.g. the dependence on one customer in the overview and
    the balance) is said once, where it is most important.
    """
    found = [
        {**finding, "html": item["html"], "page": item["title"]}
        for item in notebooks
        for finding in item.get("findings") or []
        if finding.get("text")
    ]
    found.sort(key=lambda finding: -float(finding.get("importance") or 0.0))
    said: set[object] = set()
    distinct = []
    for finding in found:
        key = finding.get("key")
        if key is None or key not in said:
            distinct.append(finding)
            said.add(key)
    return distinct[:limit]


def summary_facts(records: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The headline tiles from the overview's recorded figures (``{notebook stem: records}``).

    Returns ``{"tiles": [{"key", "value", "kind", "change", "higher_is_better"}...],
    "as_of": "YYYY-MM-DD" or ""}``; no tiles when no notebook recorded ``kpis``.
    """
    import pandas as pd  # here: the report's workers import this module and need neither

    from portfolio_lib.plots.overview import headline_tiles

    overview = next((r for r in records.values() if r.get("kpis")), None)
    if overview is None:
        return {"tiles": [], "as_of": ""}
    shares = overview.get("shares")
    tiles = headline_tiles(
        pd.Series(overview["kpis"], dtype=object), pd.Series(shares) if shares else None
    )
    return {
        "tiles": [
            {
                "key": key,
                "value": None if pd.isna(kpi.value) else float(kpi.value),
                "kind": kpi.kind,
                "change": None if kpi.change is None or pd.isna(kpi.change) else kpi.change,
                "higher_is_better": kpi.higher_is_better,
            }
            for key, kpi in tiles.items()
        ],
        "as_of": str(overview.get("as_of") or "")[:10],
    }


def _tile_value(tile: Mapping[str, Any], lang: str) -> str:
    value, kind = tile.get("value"), tile.get("kind")
    if value is None:
        return "–"
    if kind == "currency":
        return i18n.format_currency(value, lang, compact=True)
    if kind == "percent":
        return i18n.format_percent(value, lang)
    return i18n.format_number(value, lang)


def _format_day(day: str, lang: str) -> str:
    try:
        parsed = dt.date.fromisoformat(day[:10])
    except ValueError:
        return day
    return parsed.strftime("%d/%m/%Y") if lang == "fr" else parsed.strftime("%d %B %Y")


def _appendix_rows(run: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    def t(key: str) -> str:
        return i18n.label(key, lang)

    rows = []
    for name, info in run.get("data", {}).items():
        # The file's name only: the page goes to the client, the full path is in run.json.
        value = info.get("path") or ""
        # A database source shows its table (or 'SQL query'): no host, user or password.
        shown = parse_source(value).name if is_table_source(value) else Path(value).name
        text = shown if value else t("report_none")
        if info.get("default") and value:  # no data given: the notebooks' own, the sample
            text += f" ({t('report_sample')})"
        rows.append((t("report_" + name.lower()), text))
    as_of = run.get("summary", {}).get("as_of") or run.get("as_of") or ""
    rows.append(
        (t("report_as_of"), _format_day(as_of, lang) if as_of else t("report_as_of_default"))
    )
    given = run.get("parameters", {})
    omitted = False
    for name, value in run.get("effective_parameters", {}).items():
        if name in _NOT_IN_APPENDIX:
            continue
        if name not in given and (name in _FILTERS or name not in _KEY_PARAMETERS):
            omitted = True  # a default the findings do not speak of: one line says so
            continue
        if name in _CHOICES and isinstance(value, str) and value:
            text = i18n.label(value, lang)
        else:
            text = parameter_text(name, value, lang) or t("report_all_customers")
        rows.append((i18n.label(f"param_{name}", lang), text))
    if omitted:
        rows.append((t("report_other_parameters"), t("report_default")))
    language = _LANGUAGE_NAMES.get(lang, {}).get(lang, lang)
    rows.append((t("report_language"), language))
    rows.append((t("report_run_date"), _format_day(run.get("date", ""), lang)))
    return rows


_PAGE_STYLE = """
body { max-width: 62rem; margin: 2rem auto; padding: 0 1rem; }
@page { size: A4; margin: 14mm 12mm; }
@media print { body { margin: 0; max-width: none; } }
"""
# Scoped to the summary: the PDF puts it in one document with the pages' own style.
SUMMARY_STYLE = """
.summary { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
           color: #1f2933; line-height: 1.45; }
.summary h1 { color: #1f4e79; margin-bottom: .2rem; }
.summary h2 { color: #1f4e79; margin-top: 2rem; border-bottom: 1px solid #d9e2ec; }
.summary .subtitle { color: #52606d; margin-top: 0; }
.summary .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr));
                  gap: .6rem; }
.summary .tile { background: #f5f7fa; border: 1px solid #d9e2ec; border-radius: .5rem;
                 padding: .6rem .8rem; break-inside: avoid; }
.summary .tile .label { color: #52606d; font-size: .85rem; }
.summary .tile .value { font-size: 1.45rem; font-weight: 700; }
.summary .good { color: #2f7d32; } .summary .bad { color: #c0392b; }
.summary ol.findings li { margin: .45rem 0; }
.summary ol.findings a, .summary .muted { color: #7b8794; font-size: .9em; }
.summary dl.appendix { display: grid; grid-template-columns: max-content auto max-content auto;
                      gap: .15rem 1rem; font-size: .85rem; color: #52606d; }
.summary dl.appendix dt { font-weight: 600; } .summary dl.appendix dd { margin: 0; }
.summary a { color: #1f4e79; }
.summary .tile { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@media print { .summary { font-size: 10.5pt; } .summary h2 { margin-top: 1.1rem; }
  .summary .tile .value { font-size: 1.2rem; } .summary ol.findings li { margin: .25rem 0; }
  .summary .tiles { grid-template-columns: repeat(5, 1fr); } }
"""


def index_body(run: Mapping[str, Any], *, link_prefix: str = "") -> str:
    """The summary's HTML (inside ``<main class="summary">``), every text escaped."""
    lang = run.get("lang", DEFAULTS["lang"])
    if lang not in i18n.LANGS:
        lang = DEFAULTS["lang"]
    esc = html.escape

    def t(key: str) -> str:
        return esc(i18n.label(key, lang))

    def href(name: str) -> str:
        return esc(link_prefix + name, quote=True)

    summary = run.get("summary", {})
    as_of = summary.get("as_of") or run.get("as_of") or ""
    parts = [f"<h1>{t('report_title')}</h1>"]
    if as_of:
        colon = "\u00a0:" if lang == "fr" else ":"  # French puts a space before the colon
        day = esc(_format_day(as_of, lang))
        parts.append(f"<p class=subtitle>{t('report_as_of')}{colon} {day}</p>")
    tiles = summary.get("tiles") or []
    if tiles:
        cells = []
        for tile in tiles:
            change = tile.get("change")
            trend = ""
            if change is not None:
                good = (change >= 0) == bool(tile.get("higher_is_better", True))
                arrow = "▲" if change >= 0 else "▼"
                trend = (
                    f'<div class="{"good" if good else "bad"}">{arrow} '
                    f"{esc(i18n.format_percent(abs(change), lang))}</div>"
                )
            cells.append(
                f"<div class=tile><div class=label>{esc(i18n.label(tile['key'], lang))}</div>"
                f"<div class=value>{esc(_tile_value(tile, lang))}</div>{trend}</div>"
            )
        parts.append(f"<h2>{t('report_key_figures')}</h2><div class=tiles>{''.join(cells)}</div>")
    findings = top_findings(run.get("notebooks", []))
    if findings:
        items = "".join(
            f"<li>{esc(finding['text'])} "
            f'<a href="{href(finding["html"])}">→&nbsp;{esc(finding["page"])}</a></li>'
            for finding in findings
        )
        parts.append(f"<h2>{t('report_findings')}</h2><ol class=findings>{items}</ol>")
    pages = []
    for item in run.get("notebooks", []):
        excel = (
            f' · <a href="{href(item["excel"])}">{t("report_excel")} ({esc(item["excel"])})</a>'
            if item.get("excel")
            else ""
        )
        pages.append(f'<li><a href="{href(item["html"])}">{esc(item["title"])}</a>{excel}</li>')
    parts.append(f"<h2>{t('report_analyses')}</h2><ul class=pages>{''.join(pages)}</ul>")
    downloads = [
        f'<li><a href="{href(run[kind])}">{t("report_" + kind)}</a></li>'
        for kind in ("pdf", "slides")
        if run.get(kind)
    ]
    if downloads:
        parts.append(f"<h2>{t('report_downloads')}</h2><ul>{''.join(downloads)}</ul>")
    rows = "".join(
        f"<dt>{esc(name)}</dt><dd>{esc(value)}</dd>" for name, value in _appendix_rows(run, lang)
    )
    parts.append(f"<h2>{t('report_appendix')}</h2><dl class=appendix>{rows}</dl>")
    footer = i18n.label("report_generated", lang).format(
        version=run.get("version", ""), when=run.get("finished", "").replace("T", " ")
    )
    parts.append(f"<p class=muted>{esc(footer)}</p>")
    return '<main class="summary">\n' + "\n".join(parts) + "\n</main>"


def write_index(run: Mapping[str, Any], path: Path, *, link_prefix: str = "") -> Path:
    """Write the report's ``index.html`` (the executive summary) from its run metadata.

    ``link_prefix`` is put before every link (``"../2025-06-02/"`` for a copy elsewhere).
    """
    lang = run.get("lang", DEFAULTS["lang"])
    title = f"{i18n.label('report_title', lang)} – {_format_day(run.get('date', ''), lang)}"
    page = f"""<!DOCTYPE html>
<html lang="{html.escape(lang, quote=True)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_PAGE_STYLE}{SUMMARY_STYLE}</style>
</head>
<body>
{index_body(run, link_prefix=link_prefix)}
</body>
</html>
"""
    path.write_text(page, encoding="utf-8")
    return path
