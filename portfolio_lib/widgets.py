"""Interactive explorers: ipywidgets controls wired to the library's pure functions.

This module only wires. Each explorer receives the aggregated portfolio (the expensive step,
done once), prepares what does not depend on its controls once, and on every control change
redoes only the cheap step (a threshold, a period, a filter) and redraws its charts and tables.
Sliders update on release (``continuous_update=False``), so a drag costs one redraw.

Every explorer returns a widget showing charts, tables and download links (Excel of the tables,
PNG of each chart); it works the same in JupyterLab and in the Voilà app.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import ipywidgets as w
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from . import i18n
from .aggregate import Aggregates
from .export import figure_png_bytes, workbook_bytes
from .present import show_message, show_table

__all__ = ["View", "download_links", "explorer", "filter_bar"]

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

i18n.register(
    {
        "download": {"fr": "Télécharger", "en": "Download"},
        "tables_excel": {"fr": "Tableaux (Excel)", "en": "Tables (Excel)"},
        "filters": {"fr": "Filtres", "en": "Filters"},
        "all": {"fr": "Tous", "en": "All"},
    }
)


@dataclass
class View:
    """What an explorer shows for one set of control values."""

    charts: dict[str, Figure | Axes] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[object] = field(default_factory=list)  # messages or PortfolioDataError


def _figure(chart: Figure | Axes) -> Figure:
    return chart if isinstance(chart, Figure) else chart.figure


def _data_link(data: bytes, filename: str, mime: str, text: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<a download="{html.escape(filename)}" href="data:{mime};base64,{encoded}" '
        f'class="portfolio-download" style="margin-right:1em">⬇ {html.escape(text)}</a>'
    )


def download_links(view: View, *, name: str, lang: str = "fr") -> str:
    """HTML links that download the view's tables (one Excel file) and charts (PNG files)."""
    links = []
    if view.tables:
        data = workbook_bytes(view.tables, lang=lang)
        links.append(_data_link(data, f"{name}.xlsx", _XLSX, i18n.label("tables_excel", lang)))
    for key, chart in view.charts.items():
        png = figure_png_bytes(_figure(chart))
        links.append(_data_link(png, f"{name}-{key}.png", "image/png", f"{i18n.label(key, lang)} (PNG)"))
    return "".join(links)


def explorer(
    controls: Mapping[str, w.ValueWidget],
    render: Callable[..., View],
    *,
    name: str,
    lang: str = "fr",
) -> w.VBox:
    """Wire ``controls`` to ``render`` and show its charts, tables and download links.

    Parameters
    ----------
    controls : mapping
        ``{keyword: widget}``; ``render`` is called with ``keyword=widget.value``.
    render : callable
        Pure enough to call on every change: cheap computations plus chart functions; returns
        a :class:`View`.
    name : str
        Base of the download file names.
    lang : {'fr', 'en'}

    Returns
    -------
    ipywidgets.VBox
        Controls on top, then the output and the download links. ``.update()`` redraws.
    """
    output = w.Output(layout=w.Layout(min_height="200px"))
    links = w.HTML()

    def update(_change: object = None) -> None:
        values = {key: control.value for key, control in controls.items()}
        with output:
            output.clear_output(wait=True)
            try:
                view = render(**values)
            except Exception as error:  # show the message, keep the app alive
                if callable(getattr(error, "text", None)):
                    show_message(error, lang=lang)
                    links.value = ""
                    return
                raise
            for note in view.notes:
                show_message(note, lang=lang)
            for chart in view.charts.values():
                display(_figure(chart))
            for key, table in view.tables.items():
                display(show_table(table, lang=lang, caption=i18n.label(key, lang)))
            links.value = download_links(view, name=name, lang=lang)
            for chart in view.charts.values():
                plt.close(_figure(chart))

    for control in controls.values():
        control.observe(update, names="value")
    box = w.VBox([w.HBox(list(controls.values()), layout=w.Layout(flex_flow="row wrap")), output, links])
    box.update = update  # type: ignore[attr-defined]
    update()
    return box


def filter_bar(
    agg: Aggregates,
    on_change: Callable[[Aggregates], None],
    *,
    columns: tuple[str, ...] = ("sales_rep", "segment", "region"),
    lang: str = "fr",
) -> w.HBox:
    """Multi-select filters on the customer attributes present; calls ``on_change(subset)``."""
    selects: dict[str, w.SelectMultiple] = {}
    for column in columns:
        if column in agg.customers:
            values = sorted(agg.customers[column].dropna().astype(str).unique())
            selects[column] = w.SelectMultiple(
                options=values,
                description=i18n.label(column, lang),
                rows=min(6, max(2, len(values))),
                style={"description_width": "initial"},
            )

    def changed(_change: object = None) -> None:
        on_change(agg.subset(**{column: list(s.value) for column, s in selects.items()}))

    for select in selects.values():
        select.observe(changed, names="value")
    return w.HBox(list(selects.values()), layout=w.Layout(flex_flow="row wrap"))
