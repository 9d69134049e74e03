"""The filter bar of the app and of the notebooks' explorers: one drop-down per customer
attribute ("Tous" / "All" first) and a reset button; the active filters as a line of text
(banner, chart subtitles, download names).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ipywidgets as w

from portfolio_lib import i18n
from portfolio_lib.engine.aggregate import Aggregates

__all__ = ["FilterBar", "filter_bar", "filters_text"]

i18n.register(
    {
        "all": {"fr": "Tous", "en": "All"},
        "reset_filters": {"fr": "Réinitialiser", "en": "Reset"},
    }
)


class FilterBar(w.HBox):
    """One drop-down per customer attribute ("Tous" / "All" first) and a reset button.

    Attributes
    ----------
    selects : dict
        ``{column: Dropdown}``; the value ``""`` means every customer.
    """

    def __init__(
        self,
        agg: Aggregates,
        on_change: Callable[[Aggregates], None],
        *,
        columns: tuple[str, ...],
        lang: str,
        values: Mapping[str, str] | None = None,
    ) -> None:
        self.agg = agg
        self.on_change = on_change
        self.selects: dict[str, w.Dropdown] = {}
        everyone = i18n.label("all", lang)
        for column in columns:
            if column in agg.customers:
                options = sorted(agg.customers[column].dropna().astype(str).unique())
                start = (values or {}).get(column, "")
                self.selects[column] = w.Dropdown(
                    options=[(everyone, ""), *[(value, value) for value in options]],
                    value=start if start in options else "",
                    description=i18n.label(column, lang),
                    style={"description_width": "initial"},
                    layout=w.Layout(width="auto", margin="0 12px 0 0"),
                )
        self.reset = w.Button(
            description=i18n.label("reset_filters", lang), icon="undo",
            layout=w.Layout(width="auto"),
        )  # fmt: skip
        self.reset.on_click(lambda _button: self.clear())
        self._quiet = False
        for select in self.selects.values():
            select.observe(self._changed, names="value")
        super().__init__(
            [*self.selects.values(), self.reset],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        self.add_class("portfolio-filters")

    def values(self) -> dict[str, str]:
        """The chosen value per column ("" for everyone)."""
        return {column: select.value for column, select in self.selects.items()}

    def active(self) -> dict[str, str]:
        """The filters in use, ``{column: value}``."""
        return {column: value for column, value in self.values().items() if value}

    def subset(self) -> Aggregates:
        """The portfolio restricted to the chosen values."""
        return self.agg.subset(**{column: value or None for column, value in self.values().items()})

    def clear(self) -> None:
        """Every filter back to "Tous" (one change)."""
        self._quiet = True
        try:
            for select in self.selects.values():
                select.value = ""
        finally:
            self._quiet = False
        self._changed()

    def _changed(self, _change: object = None) -> None:
        if not self._quiet:
            self.on_change(self.subset())


def filter_bar(
    agg: Aggregates,
    on_change: Callable[[Aggregates], None],
    *,
    columns: tuple[str, ...] = ("sales_rep", "segment", "region"),
    lang: str = "fr",
    values: Mapping[str, str] | None = None,
) -> FilterBar:
    """Drop-down filters ("Tous" first) on the customer attributes present, and a reset;
    calls ``on_change(subset)``. ``values`` are the choices to start from (``{column: value}``,
    ignored when the data no longer has them).
    """
    return FilterBar(agg, on_change, columns=columns, lang=lang, values=values)


def filters_text(active: Mapping[str, str], lang: str) -> str:
    """The active filters as one line: "Commercial : Julie Petit · Segment : PME" (fr)."""
    colon = "\u00a0: " if lang == "fr" else ": "
    return " · ".join(
        f"{i18n.label(column, lang)}{colon}{value}" for column, value in active.items()
    )
