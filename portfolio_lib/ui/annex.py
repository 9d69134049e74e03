"""The app's technical annex: how it is served, what a participant's page costs, its limits.

A folded "Annexe technique" at the foot of the app, in the page's language, for the consultant
who prepares a workshop (the participants never need to open it). Its figures are measured by
``benchmarks/app_load.py`` (see ``benchmarks/README.md``, "Workshop app under load").
"""

from __future__ import annotations

import html

import ipywidgets as w

from portfolio_lib import i18n

__all__ = ["AppAnnex", "technical_notes"]

i18n.register(
    {
        "annex_app_title": {
            "fr": "Annexe technique : comment l'application tourne",
            "en": "Technical annex: how the app runs",
        },
        "annex_served": {
            "fr": "Service. L'application est un notebook servi par Voilà (make app). Chaque "
            "page ouverte a son propre noyau Python, qui garde les données en mémoire : rien "
            "n'est écrit sur disque et la page n'exécute aucun code, elle n'envoie que les "
            "changements des contrôles.",
            "en": "Serving. The app is a notebook served by Voilà (make app). Each open page "
            "has its own Python kernel, which keeps the data in memory: nothing is written to "
            "disk and the page runs no code, it only sends the controls' changes.",
        },
        "annex_culling": {
            "fr": "Noyaux libérés. Une page fermée ou rechargée libère son noyau 60 s après sa "
            "dernière activité (CULL_IDLE dans le Makefile) : Voilà 0.5 ne peut pas l'arrêter "
            "depuis la page. Une page rechargée repart de zéro (données d'exemple).",
            "en": "Kernels freed. A closed or reloaded page frees its kernel 60 s after its "
            "last activity (CULL_IDLE in the Makefile): Voilà 0.5 cannot stop it from the "
            "page. A reloaded page starts afresh (sample data).",
        },
        "annex_memory": {
            "fr": "Mémoire. Sur les données d'exemple, un noyau occupe environ {sample_rss} Mo "
            "résidents après son premier écran, dont {sample_uss} Mo à lui seul (le reste : "
            "les bibliothèques, partagées entre les noyaux), et {sample_all} Mo à lui seul "
            "une fois tous les onglets ouverts ; sur 100 000 clients, {large_rss} Mo, dont "
            "{large_uss} Mo à lui seul, puis {large_all} Mo. Un portable avec 8 Go libres "
            "tient ainsi environ {sample_pages} participants sur l'exemple, {large_pages} sur "
            "100 000 clients, même s'ils ouvrent tous les onglets.",
            "en": "Memory. On the sample data a kernel holds about {sample_rss} MB resident "
            "after its first screen, {sample_uss} MB of it its own (the rest: the libraries, "
            "shared between kernels), and {sample_all} MB of its own once every tab is open; "
            "on 100,000 customers {large_rss} MB, {large_uss} MB its own, then {large_all} MB. "
            "A laptop with 8 GB free thus holds about {sample_pages} participants on the "
            "sample, {large_pages} on 100,000 customers, even if they open every tab.",
        },
        "annex_limits": {
            "fr": "Limites. Fichiers de {limit} Mo au plus par envoi. Ouvrir une page coûte "
            "environ {open_cpu} s de processeur : des pages ouvertes au même moment "
            "s'attendent, démarrez l'application avant la séance et faites entrer les "
            "participants tour à tour. Sur 100 000 clients, un curseur redessine ses "
            "graphiques en {slider_large} s environ.",
            "en": "Limits. Files of {limit} MB at most per upload. Opening a page costs about "
            "{open_cpu} s of processor: pages opened at the same moment wait for each other, "
            "so start the app before the session and let participants join in turn. On "
            "100,000 customers a slider redraws its charts in about {slider_large} s.",
        },
        "annex_load_test": {
            "fr": "Test de charge. python benchmarks/app_load.py ouvre dix pages à la fois "
            "dans Chromium (exemple et 100 000 clients) et mesure le premier graphique de "
            "chaque page, la mémoire des noyaux et la réponse d'un curseur ; résultats dans "
            "benchmarks/results/app_load.md.",
            "en": "Load test. python benchmarks/app_load.py opens ten pages at once in "
            "Chromium (sample and 100,000 customers) and measures each page's first chart, "
            "the kernels' memory and a slider's response; results in "
            "benchmarks/results/app_load.md.",
        },
    }
)

# Measured by benchmarks/app_load.py (benchmarks/README.md, "Workshop app under load"), MB:
# one kernel after its first chart, resident (rss) and its own (uss: what one more participant
# costs); its own once every tab is open (all); processor seconds of a kernel to its first
# chart on the sample; an Équilibre slider at 100k customers, seconds (processor: 0.71-0.82).
# The 100k figures and "every tab" are measured in one process building the app (a kernel
# adds about 20 MB to it).
MEASURED = {
    "sample_rss": 280,
    "sample_uss": 150,
    "sample_all": 240,
    "large_rss": 600,
    "large_uss": 465,
    "large_all": 610,
    "open_cpu": 2,
    "slider_large": 0.8,
}
_FREE_MB = 8000  # "a laptop with 8 GB free"
_SHARED_MB = 130  # the libraries' pages, counted once whatever the number of kernels


def _participants(unique_mb: float) -> int:
    return int((_FREE_MB - _SHARED_MB) // unique_mb) if unique_mb > 0 else 0


def technical_notes(lang: str = "fr", *, upload_limit_mb: float = 50.0) -> list[str]:
    """The annex's paragraphs (plain text) in ``lang``: serving, kernels freed, memory,
    limits, the load test."""
    figures = dict(MEASURED)
    figures["sample_pages"] = _participants(MEASURED["sample_all"])
    figures["large_pages"] = _participants(MEASURED["large_all"])
    figures = {
        key: i18n.format_number(value, lang, decimals=0 if float(value).is_integer() else 1)
        for key, value in figures.items()
    }
    figures["limit"] = i18n.format_number(upload_limit_mb, lang)
    keys = ("annex_served", "annex_culling", "annex_memory", "annex_limits", "annex_load_test")
    return [i18n.label(key, lang).format(**figures) for key in keys]


class AppAnnex(w.Accordion):
    """The folded annex at the foot of the app; :meth:`show` writes it in a language (its
    folded or open state is kept)."""

    def __init__(self, lang: str = "fr", *, upload_limit_mb: float = 50.0) -> None:
        self.text = w.HTML()
        self.upload_limit_mb = upload_limit_mb
        super().__init__([self.text], layout=w.Layout(width="100%"))
        self.selected_index = None  # folded
        self.add_class("portfolio-app-annex")
        self.show(lang)

    def show(self, lang: str) -> None:
        notes = technical_notes(lang, upload_limit_mb=self.upload_limit_mb)
        self.text.value = "".join(f"<p>{html.escape(note)}</p>" for note in notes)
        self.set_title(0, i18n.label("annex_app_title", lang))
