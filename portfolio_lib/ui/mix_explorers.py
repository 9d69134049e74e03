"""Explorers of the migrations between two dates and of the product mix: the app's
"Migrations" and "Products" tabs and the notebooks' Explore sections.

Each study is computed once when its explorer is built (the migrations classify every
customer at two dates; the product mix reads the log's lines through the engine); a control
change only picks a table and redraws, well under the widget target.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as w
import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.engine.aggregate import Aggregates, product_totals
from portfolio_lib.metrics.migration import class_name, migration_matrix
from portfolio_lib.plots.migration import plot_migration
from portfolio_lib.plots.products import plot_product_mix
from portfolio_lib.studies.base import Note
from portfolio_lib.studies.migration import MIGRATION_KINDS, migration_study
from portfolio_lib.studies.products import product_study
from portfolio_lib.ui.controls import STYLE
from portfolio_lib.ui.explorer import Chart, Explorer, View, explorer, study_view

__all__ = ["MIGRATION_VALUES", "migration_explorer", "product_explorer"]

#: What a migration matrix can show, in the order the value control offers it.
MIGRATION_VALUES = ("customers", "revenue_change", "revenue_before", "revenue_after")

# The dropdown says which ranking a tier belongs to.
_KIND_LABELS = {"tier": "hit_parade"}

i18n.register(
    {
        "control_migration_kind": {"fr": "Classement", "en": "Classification"},
        "control_migration_value": {"fr": "Valeur", "en": "Value"},
        "view_migration": {"fr": "Migrations", "en": "Migrations"},
        "control_product_by": {"fr": "Mix par", "en": "Mix by"},
        "view_product_mix": {"fr": "Mix produits", "en": "Product mix"},
        "view_cross_sell": {"fr": "Ventes croisées", "en": "Cross-selling"},
        "view_wallet": {
            "fr": "Part de chaque famille par client",
            "en": "Family shares per customer",
        },
        "note_products_need_log": {
            "fr": "Le mix produits lit les lignes des transactions : chargez le fichier (avec "
            "le moteur par défaut) pour le voir.",
            "en": "The product mix reads the transaction lines: load the file (with the "
            "default engine) to see it.",
        },
    }
)


def migration_explorer(
    agg: Aggregates,
    *,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
    name: str | None = None,
    subtitle: str = "",
) -> Explorer:
    """Migration matrix between the classes of 12 months ago and now.

    Controls: the classification (ABC, PMG, RFM class, lifecycle phase, hit-parade tier) and
    what the cells hold (customers, revenue change, revenue before, revenue now).
    """
    study = migration_study(agg)  # kept between changes: the controls only pick a table

    def render(kind: str, value: str) -> View:
        if kind not in study.tables:  # a history too short: the study's note says why
            return study_view(study, lang, {}, {})
        matrix = migration_matrix(study.tables[kind], value=value)
        options = {"value": value, "kind": kind, "dates": (study.as_of_before, study.as_of)}
        shown = matrix.rename(
            index=lambda c: class_name(c, lang), columns=lambda c: class_name(c, lang)
        )
        shown.index.name = i18n.label("class_before", lang)
        shown.columns.name = i18n.label("class_after", lang)
        kind_of = "integer" if value == "customers" else "money"
        return study_view(
            study,
            lang,
            {"view_migration": Chart(plot_migration, matrix, options)},
            {"view_migration": shown},
            formats={"view_migration": dict.fromkeys(shown.columns, kind_of)},
        )

    controls = {
        "kind": w.Dropdown(
            options=[(i18n.label(_KIND_LABELS.get(k, k), lang), k) for k in MIGRATION_KINDS],
            value="abc",
            description=i18n.label("control_migration_kind", lang),
            style=STYLE,
        ),
        "value": w.Dropdown(
            options=[(i18n.label(v, lang), v) for v in MIGRATION_VALUES],
            value="customers",
            description=i18n.label("control_migration_value", lang),
            style=STYLE,
        ),
    }
    return explorer(
        controls, render, name=name or "migrations", lang=lang, start=start, subtitle=subtitle
    )


def product_explorer(
    agg: Aggregates,
    transactions: pd.DataFrame | None,
    *,
    lang: str = DEFAULTS["lang"],
    start: Mapping[str, Any] | None = None,
    name: str | None = None,
    subtitle: str = "",
) -> Explorer:
    """Product mix by segment or hit-parade tier, wallet shares and cross-selling.

    ``transactions``: the loaded log (``Prepared.transactions``); None (another engine
    aggregated it) shows a note. Control: the groups of the mix (segment or tier).
    """
    study = None
    if transactions is not None:
        try:
            study = product_study(agg, product_totals(transactions, as_of=agg.as_of))
        except PortfolioDataError as error:  # no product column: said in the view
            failure: object = error
    else:
        failure = Note("note_products_need_log")

    def render(by: str) -> View:
        if study is None:
            return View(notes=[failure])
        mix = (
            study.by_segment if by == "segment" and study.by_segment is not None else study.by_tier
        )
        shown = "segment" if mix is study.by_segment else "tier"
        return study_view(
            study,
            lang,
            {"view_product_mix": Chart(plot_product_mix, mix, {"by": shown})},
            {"view_product_mix": mix, "view_cross_sell": study.cross_sell,
             "view_wallet": study.wallet.reset_index()},
            formats={"view_product_mix": {"penetration_rate": "percent"},
                     "view_wallet": {"families": "integer"}},
        )  # fmt: skip

    controls = {
        "by": w.Dropdown(
            options=[(i18n.label(k, lang), k) for k in ("segment", "tier")],
            value="segment",
            description=i18n.label("control_product_by", lang),
            style=STYLE,
        )
    }
    return explorer(
        controls, render, name=name or "products", lang=lang, start=start, subtitle=subtitle
    )
