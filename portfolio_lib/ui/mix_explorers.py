"""Explorers of the migrations between two dates (and of the product mix): the app's
"Migrations" tab and the notebooks' Explore sections.

The study is computed once when the explorer is built (it classifies every customer at two
dates); a control change only pivots and redraws, well under the widget target.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as w

from portfolio_lib import i18n
from portfolio_lib.config import DEFAULTS
from portfolio_lib.engine.aggregate import Aggregates
from portfolio_lib.metrics.migration import class_name, migration_matrix
from portfolio_lib.plots.migration import plot_migration
from portfolio_lib.studies.migration import MIGRATION_KINDS, migration_study
from portfolio_lib.ui.controls import STYLE
from portfolio_lib.ui.explorer import Chart, Explorer, View, explorer, study_view

__all__ = ["MIGRATION_VALUES", "migration_explorer"]

#: What a migration matrix can show, in the order the value control offers it.
MIGRATION_VALUES = ("customers", "revenue_change", "revenue_before", "revenue_after")

# The dropdown says which ranking a tier belongs to.
_KIND_LABELS = {"tier": "hit_parade"}

i18n.register(
    {
        "control_migration_kind": {"fr": "Classement", "en": "Classification"},
        "control_migration_value": {"fr": "Valeur", "en": "Value"},
        "view_migration": {"fr": "Migrations", "en": "Migrations"},
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
