"""Findings of the revenue retention (NRR, GRR), the migration matrices and the product mix,
with their sentences in French and English (the pattern of :mod:`findings_texts`)."""

from __future__ import annotations

import numpy as np

from portfolio_lib import i18n
from portfolio_lib.metrics.migration import LOST, NEW, class_name
from portfolio_lib.studies.findings_base import (
    Finding,
    integer,
    money,
    percent,
    period_label,
    ranked,
    say,
)
from portfolio_lib.studies.migration import MigrationStudy
from portfolio_lib.studies.movements import MovementsStudy
from portfolio_lib.studies.products import ProductStudy

__all__ = ["migration_findings", "product_findings", "retention_findings"]

i18n.register(
    {
        "finding_movements_nrr": {
            "fr": "{when}, les clients de la période précédente ont acheté {nrr} de leur CA "
            "d'avant (rétention nette du CA, NRR) ; sans leurs hausses, {grr} (rétention "
            "brute, GRR).",
            "en": "{when}, the previous period's customers bought {nrr} of their earlier "
            "revenue (net revenue retention, NRR); without their expansion, {grr} (gross "
            "revenue retention, GRR).",
        },
        "finding_products_cross_sell": {
            "fr": "{customers} clients actifs n'achètent qu'une partie des {families} familles "
            "que leurs pairs du même segment achètent le plus : potentiel de ventes croisées "
            "{potential} (achat médian des pairs), dont {top_customers} en {top_group}.",
            "en": "{customers} active customers buy only some of the {families} families their "
            "peers of the same segment buy most: a cross-selling potential of {potential} (the "
            "peers' median purchase), {top_customers} of them in {top_group}.",
        },
        "finding_migration_moved": {
            "fr": "{customers} clients « {before} » il y a {months} mois sont « {after} » "
            "aujourd'hui ({kind}) : {change} de chiffre d'affaires.",
            "en": '{customers} customers in "{before}" {months} months ago are "{after}" now '
            "({kind}): {change} of revenue.",
        },
        "finding_migration_lost": {
            "fr": "{customers} clients « {before} » il y a {months} mois n'ont plus de CA "
            "aujourd'hui ({kind}) : {change} de chiffre d'affaires.",
            "en": '{customers} customers in "{before}" {months} months ago have no revenue '
            "now ({kind}): {change} of revenue.",
        },
    }
)


def retention_findings(study: MovementsStudy, *, lang: str = "fr") -> list[Finding]:
    """NRR and GRR of the last period with a complete history (else the last one)."""
    table = study.retention
    if table is None:
        return []
    table = table[np.isfinite(table["nrr"].to_numpy(dtype=float))]
    complete = table[table["complete_history"].to_numpy(dtype=bool)]
    table = complete if len(complete) else table
    if not len(table):
        return []
    last = table.iloc[-1]
    when = period_label(last["period_start"], last["period_end"], lang)
    prefix = {"fr": "Au " if when.startswith(("T", "Q")) else "En ", "en": "In "}[lang]
    return [
        say(
            "movements", "nrr", 0.75 if last["nrr"] < 1 else 0.5, lang,
            {"period": last["period"], "nrr": last["nrr"], "grr": last["grr"],
             "revenue_start": last["revenue_start"]},
            when=prefix + when, nrr=percent(last["nrr"], lang, 0), grr=percent(last["grr"], lang, 0),
        )
    ]  # fmt: skip


def migration_findings(
    study: MigrationStudy, *, lang: str = "fr", kinds: tuple[str, ...] = ("abc", "rfm_class")
) -> list[Finding]:
    """For each of ``kinds``, the move that cost the most revenue: customers leaving a class
    (for another, or with no revenue now), as "42 A customers of last year are B now,
    -3.1 MEUR"."""
    found = []
    months = (study.as_of.year - study.as_of_before.year) * 12 if study.as_of_before else 0
    months += (study.as_of.month - study.as_of_before.month) if study.as_of_before else 0
    for kind in kinds:
        table = study.tables.get(kind)
        if table is None or not len(table):
            continue
        moved = table[
            (table["class_before"] != NEW) & (table["class_before"] != table["class_after"])
        ]
        moved = moved[moved["revenue_change"] < 0]
        if not len(moved):
            continue
        worst = moved.loc[moved["revenue_change"].idxmin()]
        total = table["revenue_before"].sum()
        weight = -worst["revenue_change"] / total if total > 0 else 0.0
        found.append(
            say(
                "migration", f"migration_{kind}", 0.45 + min(weight, 0.3), lang,
                {"kind": kind, "class_before": str(worst["class_before"]),
                 "class_after": str(worst["class_after"]), "customers": int(worst["customers"]),
                 "revenue_change": float(worst["revenue_change"])},
                variant="lost" if worst["class_after"] == LOST else "moved",
                customers=integer(worst["customers"], lang),
                before=class_name(_plain(worst["class_before"]), lang),
                after=class_name(_plain(worst["class_after"]), lang),
                months=integer(months, lang), kind=i18n.label(kind, lang),
                change=money(worst["revenue_change"], lang),
            )
        )  # fmt: skip
    return ranked(found)


def _plain(value: object) -> object:
    """A tier back to an int (the long table holds objects), other classes unchanged."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    return value


def product_findings(study: ProductStudy, *, lang: str = "fr") -> list[Finding]:
    """The cross-selling opportunities: how many, their potential, the group with the most."""
    table = study.cross_sell
    if not len(table):
        return []
    potential = float(table["potential"].sum())
    per_group = table.groupby("group", sort=True)["potential"].agg(["size", "sum"])
    top = per_group["sum"].idxmax()
    return [
        say(
            "products", "cross_sell", 0.6, lang,
            {"customers": len(table), "potential": potential, "top_group": str(top),
             "top_customers": int(per_group.loc[top, "size"])},
            customers=integer(len(table), lang), families=integer(study.top_families, lang),
            potential=money(potential, lang), top_group=str(top),
            top_customers=integer(per_group.loc[top, "size"], lang),
        )
    ]  # fmt: skip
