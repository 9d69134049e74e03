"""The workshop app served by Voilà: data in, column mapping, then every analysis.

Steps on one page:

1. Data: the sample, or the client's files (transactions required, customers and costs
   optional) uploaded as CSV, Excel or Parquet, within a size limit. Each file is read once,
   when it arrives, with a progress bar, and kept for "Analyser"; the panel offers the
   remedies the messages name: date format, sheet of a workbook, future dates
   (:mod:`portfolio_lib.ui.upload`).
2. Mapping: for each uploaded file, one drop-down per expected column, pre-filled with the
   columns the loader recognised from their French or English names; its first rows as read.
3. Analyses: filters (sales rep, segment, region) and one tab per analysis with its threshold
   controls, charts, tables and download links (Excel, PNG). Tabs are built when first opened.

A French/English switch redraws everything in the other language. Errors in the data show the
bilingual message of :class:`~portfolio_lib.data.errors.PortfolioDataError` (file, column, rows,
what to do) instead of a traceback. Nothing is written to disk: uploads stay in memory.
"""

from __future__ import annotations

import html
import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as w
import pandas as pd
import pyarrow as pa

from portfolio_lib import i18n
from portfolio_lib.config import SAMPLE_FILES
from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError
from portfolio_lib.data.load import (
    check_cost_channels,
    check_customer_ids,
    check_size,
    load_costs,
    load_customers,
    load_transactions,
)
from portfolio_lib.data.schema import fields_of
from portfolio_lib.engine.aggregate import Aggregates, aggregate
from portfolio_lib.ui import mix_explorers, widgets
from portfolio_lib.ui.annex import AppAnnex
from portfolio_lib.ui.forecast_explorer import forecast_explorer
from portfolio_lib.ui.upload import UploadedFile, UploadOptions, Worded

__all__ = ["App", "build_app"]

UPLOAD_LIMIT_MB = 50.0
_ACCEPT = ".csv,.txt,.tsv,.xlsx,.xlsm,.parquet"
_NONE = "—"
_TABLES = ("transactions", "customers", "costs")
_LOADERS = {"transactions": load_transactions, "customers": load_customers, "costs": load_costs}

i18n.register(
    {
        "app_title": {"fr": "Analyse du portefeuille client", "en": "Customer portfolio analysis"},
        "app_data": {"fr": "Données", "en": "Data"},
        "app_mapping": {"fr": "Correspondance des colonnes", "en": "Column mapping"},
        "app_analyses": {"fr": "Analyses", "en": "Analyses"},
        "app_sample": {"fr": "Données d'exemple", "en": "Sample data"},
        "app_my_files": {"fr": "Mes fichiers", "en": "My files"},
        "app_transactions_file": {
            "fr": "Transactions (obligatoire)",
            "en": "Transactions (required)",
        },
        "app_customers_file": {"fr": "Clients (facultatif)", "en": "Customers (optional)"},
        "app_costs_file": {"fr": "Coûts (facultatif)", "en": "Costs (optional)"},
        "app_choose_file": {"fr": "Choisir un fichier", "en": "Choose a file"},
        "app_analyse": {"fr": "Analyser", "en": "Analyse"},
        "app_unknown_keep": {
            "fr": "Garder les clients absents du fichier clients",
            "en": "Keep customers missing from the customer file",
        },
        "app_loaded": {
            "fr": "{transactions} transactions, {customers} clients, du {first} au {last}.",
            "en": "{transactions} transactions, {customers} customers, from {first} to {last}.",
        },
        "app_upload_hint": {
            "fr": "CSV (séparateur ; ou ,), Excel .xlsx ou Parquet, {limit:.0f} Mo au plus.",
            "en": "CSV (; or , separated), Excel .xlsx or Parquet, {limit:.0f} MB at most.",
        },
        "app_need_transactions": {
            "fr": "Chargez d'abord le fichier des transactions.",
            "en": "Upload the transaction file first.",
        },
        "app_preview": {"fr": "Aperçu", "en": "Preview"},
        "app_required": {"fr": "obligatoire", "en": "required"},
        "app_loading": {"fr": "Calcul en cours…", "en": "Computing…"},
        "app_source_files": {"fr": "Vos fichiers ({names})", "en": "Your files ({names})"},
        "app_still_showing": {
            "fr": "Ces fichiers n'ont pas été chargés : les résultats à l'écran restent ceux "
            "de : {source}.",
            "en": "These files were not loaded: the results on screen still show: {source}.",
        },
        "tab_overview": {"fr": "Vue d'ensemble", "en": "Overview"},
        "tab_weight": {"fr": "Poids", "en": "Weight"},
        "tab_movements": {"fr": "Mouvements", "en": "Movements"},
        "tab_costs": {"fr": "CAC / CRC", "en": "CAC / CRC"},
        "tab_balance": {"fr": "Équilibre", "en": "Balance"},
        "tab_rfm": {"fr": "RFM", "en": "RFM"},
        "tab_clv": {"fr": "Valeur client", "en": "Customer value"},
        "tab_alerts": {"fr": "Alertes", "en": "Alerts"},
        "tab_value": {"fr": "Valeur du portefeuille", "en": "Portfolio value"},
        "tab_portfolio": {"fr": "Portefeuilles commerciaux", "en": "Rep portfolios"},
        "tab_migration": {"fr": "Migrations", "en": "Migrations"},
        "tab_products": {"fr": "Produits", "en": "Products"},
    }
)


def _tabs() -> dict[str, Callable[..., w.Widget]]:
    """Tab key -> explorer builder taking the app (its data, filters and language) and the
    explorer's ``start``, ``name`` and ``subtitle``."""
    return {
        "overview": lambda app, **kw: widgets.overview_explorer(app.agg, lang=app.lang, **kw),
        "weight": lambda app, **kw: widgets.weight_explorer(app.agg, lang=app.lang, **kw),
        "movements": lambda app, **kw: widgets.movements_explorer(app.agg, lang=app.lang, **kw),
        # Spend is company-wide: CAC/CRC use the whole portfolio whatever the filters.
        "costs": lambda app, **kw: widgets.costs_explorer(app.full, app.costs, lang=app.lang, **kw),
        "balance": lambda app, **kw: widgets.balance_explorer(app.agg, lang=app.lang, **kw),
        "rfm": lambda app, **kw: widgets.rfm_explorer(app.agg, lang=app.lang, **kw),
        "clv": lambda app, **kw: widgets.clv_explorer(
            app.agg, app.costs, transactions=app.transactions, lang=app.lang, **kw
        ),
        # Key accounts are the whole portfolio's largest: the filter only narrows the list.
        "alerts": lambda app, **kw: widgets.alerts_explorer(
            app.full, lang=app.lang, within=app.agg if app.agg is not app.full else None, **kw
        ),
        # Break-even, customer equity (simple formula), price of the clientele, ideal profile.
        "value": lambda app, **kw: widgets.value_explorer(app.agg, lang=app.lang, **kw),
        # Each rep's active customers classed and ranked: the hand-out of course text 001.
        "portfolio": lambda app, **kw: widgets.rep_portfolio_explorer(
            app.agg, transactions=app.transactions, lang=app.lang, **kw
        ),
        # Issue 18: next year's forecast and the what-if, on the CLV tab's models once fitted.
        "forecast": lambda app, **kw: forecast_explorer(
            app.agg,
            app.costs,
            transactions=app.transactions,
            models=app.clv_models(),
            lang=app.lang,
            **kw,
        ),
        # Issue 18: how customers moved between the classes of a year ago and now.
        "migration": lambda app, **kw: mix_explorers.migration_explorer(
            app.agg, lang=app.lang, **kw
        ),
        # Issue 18: revenue by product family, share of wallet, cross-selling.
        "products": lambda app, **kw: mix_explorers.product_explorer(
            app.agg, app.transactions, lang=app.lang, **kw
        ),
    }


def _slug(text: str) -> str:
    """A file-name part: "Équilibre" -> "equilibre", "Julie Petit" -> "Julie-Petit"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-")


# Larger type for a projector; the tab bar and the controls wrap instead of cutting.
_STYLE = """<style>
.portfolio-app { font-size: 15px; }
.portfolio-app .widget-label, .portfolio-app .widget-html-content { font-size: 15px; }
.portfolio-app .lm-TabBar-tab { font-size: 15px; min-width: 110px; }
.portfolio-app .portfolio-control-label { line-height: 1.25; display: block; }
.portfolio-app table { font-size: 14px; }
.portfolio-app .portfolio-banner { font-size: 15px; }
</style>"""


def _message_html(message: object, lang: str, *, kind: str = "error") -> str:
    text = message.text(lang) if callable(getattr(message, "text", None)) else str(message)
    colour = {"error": "#c0392b", "warning": "#b9770e", "ok": "#2e8b57"}[kind]
    body = "<br>".join(html.escape(line) for line in text.splitlines())
    return (
        f'<div class="portfolio-{kind}" style="border-left:4px solid {colour};'
        f'padding:6px 10px;margin:6px 0;background:#fafafa">{body}</div>'
    )


class App:
    """The app's state and widgets; :func:`build_app` returns its root widget.

    The presenter's choices are state kept across a language switch, a filter change and a
    new upload: the open tab (``tabs.selected_index``), the filters (``filter_values``, kept
    when the new data still has the value) and every control of every tab built so far
    (``control_values``, given back as the explorers' ``start``).

    Parameters
    ----------
    lang : {'fr', 'en'}
    upload_limit_mb : float
        Largest accepted upload, per file.
    start_files : mapping, optional
        ``{"transactions": path, "customers": path, "costs": path}`` (customers and costs
        optional): files on disk the app opens on instead of the sample (standard column
        names, or recognised French/English ones).
    """

    def __init__(
        self,
        *,
        lang: str = "fr",
        upload_limit_mb: float = UPLOAD_LIMIT_MB,
        start_files: Mapping[str, object] | None = None,
    ) -> None:
        self.lang = lang
        self.upload_limit_mb = upload_limit_mb
        self.uploads: dict[str, UploadedFile] = {}
        self.full: Aggregates | None = None
        self.agg: Aggregates | None = None
        self.costs: pd.DataFrame | None = None
        self.transactions: pd.DataFrame | None = None
        self.built: dict[str, w.Widget] = {}
        self.filter_values: dict[str, str] = {}
        self.control_values: dict[str, dict] = {}
        self.filter_bar: widgets.FilterBar | None = None
        self.root = w.VBox(layout=w.Layout(width="100%"))
        self.language = w.ToggleButtons(
            options=[("FR", "fr"), ("EN", "en")],
            value=lang,
            style={"button_width": "48px"},
        )
        self.language.observe(self._on_language, names="value")
        self.source = w.RadioButtons(layout=w.Layout(width="auto"))
        self.source.observe(self._on_source, names="value")
        self.files = {kind: w.FileUpload(accept=_ACCEPT, multiple=False) for kind in _TABLES}
        for kind, upload in self.files.items():
            upload.observe(lambda change, kind=kind: self._on_upload(kind), names="value")
        self.file_status = {kind: w.HTML() for kind in _TABLES}
        # The remedies the loaders' messages name: date format, future dates, sheet.
        self.options = UploadOptions(_TABLES, lang)
        self.options.date_format.observe(lambda _change: self._on_options(_TABLES), names="value")
        self.options.future.observe(
            lambda _change: self._on_options(("transactions",)), names="value"
        )
        for kind, sheet in self.options.sheets.items():
            sheet.observe(lambda change, kind=kind: self._on_sheet(kind, change), names="value")
        self.mappings: dict[str, dict[str, w.Dropdown]] = {}
        self.mapping_box = w.VBox()
        self.upload_box = w.VBox()
        # The data source folds away: on a projector the analyses get the height.
        self.data_panel = w.VBox([self.source, self.upload_box])
        self.data_panel.layout.display = "none"
        self.data_panel.add_class("portfolio-data-panel")
        self.data_toggle = w.ToggleButton(
            value=False, icon="folder-open", layout=w.Layout(width="auto")
        )
        self.data_toggle.add_class("portfolio-data-toggle")
        self.data_toggle.observe(self._on_data_toggle, names="value")
        self.showing = "sample"  # what the analyses show: the sample or the uploads
        self._rendering = False
        self._message: object = None
        self._message_kind = "error"
        self._loaded: dict[str, object] = {}
        self.keep_unknown = w.Checkbox(value=False, indent=False, layout=w.Layout(width="auto"))
        self.analyse = w.Button(button_style="primary", icon="play")
        self.analyse.on_click(lambda _button: self.load_uploads())
        self.messages = w.HTML()
        self.summary = w.HTML()
        self.banner = w.HTML()
        self.filters = w.Box(layout=w.Layout(flex="1 1 auto"))
        self.tabs = w.Tab(children=[w.VBox() for _ in _tabs()])
        self.tabs.observe(self._on_tab, names="selected_index")
        self.annex = AppAnnex(lang, upload_limit_mb=upload_limit_mb)  # serving, memory, limits
        self._render()
        if start_files:
            self.load_files(start_files)
        else:
            self.load_sample()

    # ------------------------------------------------------------------ layout

    def _label(self, key: str) -> str:
        return i18n.label(key, self.lang)

    def clv_models(self) -> object:
        """The predictive models the CLV tab fitted on the data shown, None before it is built
        (the forecast tab then fits its own)."""
        built = self.built.get("clv")
        return built.prepared.get("models") if isinstance(built, widgets.Explorer) else None

    def _size_text(self, size: int) -> str:
        unit = "Mo" if self.lang == "fr" else "MB"
        return f"{i18n.format_number(size / 1e6, self.lang, decimals=1)}\u00a0{unit}"

    def _render(self) -> None:
        """(Re)build every text of the page in the current language."""
        current = self.source.value or "sample"
        self._rendering = True  # relabelling the options must not count as a choice
        self.source.options = [
            (self._label("app_sample"), "sample"),
            (self._label("app_my_files"), "files"),
        ]
        self.source.value = current
        self._rendering = False
        for upload in self.files.values():
            upload.description = self._label("app_choose_file")
            upload.layout = w.Layout(width="auto")
        self.keep_unknown.description = self._label("app_unknown_keep")
        self.options.relabel(self.lang)
        self.analyse.description = self._label("app_analyse")
        for kind, upload in self.uploads.items():
            self.file_status[
                kind
            ].value = f"&nbsp;✔ {html.escape(upload.name)} ({self._size_text(len(upload.content))})"
        upload_rows = [
            w.HBox(
                [
                    # Wide enough for "Transactions (obligatoire)" at 15 px.
                    w.HTML(
                        f"<b>{self._label(f'app_{kind}_file')}</b>",
                        layout=w.Layout(width="260px", min_width="260px"),
                    ),
                    self.files[kind],
                    self.file_status[kind],
                    self.options.sheets[kind],
                ],
                layout=w.Layout(align_items="center"),
            )
            for kind in _TABLES
        ]
        hint = w.HTML(
            f"<small>{html.escape(self._label('app_upload_hint').format(limit=self.upload_limit_mb))}</small>"
        )
        self.upload_box.children = [
            hint,
            *upload_rows,
            self.options.row,
            self.mapping_box,
            self.keep_unknown,
            self.analyse,
        ]
        self.upload_box.layout.display = "" if self.source.value == "files" else "none"
        self._render_mapping()
        self.data_toggle.description = self._label("app_data")
        header = w.HBox(
            [
                w.HTML(
                    f"<h2 style='margin:0 16px 0 0;font-size:1.4em'>{self._label('app_title')}</h2>"
                ),
                self.summary,
                self.language,
            ],
            layout=w.Layout(align_items="center", width="100%"),
        )
        self.summary.layout = w.Layout(flex="1 1 auto")
        controls_row = w.HBox(
            [
                self.data_toggle,
                w.HTML(f"&nbsp;&nbsp;<b>{self._label('filters')}</b>&nbsp;"),
                self.filters,
            ],
            layout=w.Layout(align_items="center", flex_flow="row wrap"),
        )
        self.root.children = [
            w.HTML(_STYLE, layout=w.Layout(height="0px")),
            header,
            controls_row,
            self.data_panel,
            self.options.progress_box,
            self.messages,
            self.banner,
            self.tabs,
            self.annex,
        ]
        self.annex.show(self.lang)
        self.root.add_class("portfolio-app")
        self.tabs.titles = tuple(self._label(f"tab_{key}") for key in _tabs())
        self._show_message(self._message, kind=self._message_kind)
        self._show_summary()

    def _render_mapping(self, *, reset: str | None = None) -> None:
        """The drop-downs and previews; ``reset``: the kind whose drop-downs start again
        from its last load (the others keep the presenter's choices)."""
        blocks: list[w.Widget] = []
        if self.uploads:
            blocks.append(w.HTML(f"<h3>{self._label('app_mapping')}</h3>"))
        for kind, upload in self.uploads.items():
            previous = {} if kind == reset else {
                f: d.value for f, d in self.mappings.get(kind, {}).items()
            }  # fmt: skip
            guessed = {f: c for f, c in upload.mapping.items() if c in upload.columns}
            dropdowns = {}
            rows = []
            for field in fields_of(kind):
                text = field.label_fr if self.lang == "fr" else field.label_en
                if field.required:
                    text += f" ({self._label('app_required')})"
                # A choice is kept while the file has that column (not after a new upload
                # of other columns: an unknown value would make the upload fail).
                kept = previous.get(field.name)
                dropdowns[field.name] = w.Dropdown(
                    options=[_NONE, *upload.columns],
                    value=kept if kept in upload.columns else (guessed.get(field.name) or _NONE),
                    layout=w.Layout(width="260px"),
                )
                dropdowns[field.name].add_class(f"mapping-{kind}-{field.name}")
                # The label in its own wrapping box: "(obligatoire)" is never cut.
                label = w.HTML(html.escape(text), layout=w.Layout(width="320px"))
                label.add_class("portfolio-mapping-label")
                rows.append(
                    w.HBox([label, dropdowns[field.name]], layout=w.Layout(align_items="center"))
                )
            self.mappings[kind] = dropdowns
            preview = w.HTML(
                f"<details><summary>{self._label('app_preview')}: {html.escape(upload.name)}</summary>"
                f"{upload.preview.to_html(index=False, max_rows=5, border=0)}</details>"
            )
            blocks.append(
                w.VBox([w.HTML(f"<b>{self._label(f'app_{kind}_file')}</b>"), *rows, preview])
            )
        self.mapping_box.children = blocks

    # ------------------------------------------------------------------ events

    def _on_language(self, change: dict) -> None:
        self._remember()
        self.lang = change["new"]
        self._render()
        self._show_analyses()

    def _on_data_toggle(self, change: dict) -> None:
        self.data_panel.layout.display = "" if change["new"] else "none"

    def _on_source(self, change: dict) -> None:
        if self._rendering:
            return
        files = change["new"] == "files"
        self.upload_box.layout.display = "" if files else "none"
        if not files and self.showing != "sample":
            self.load_sample()

    def _on_upload(self, kind: str) -> None:
        value = self.files[kind].value
        if not value:
            return
        item = value[0]
        name, content = item["name"], bytes(item["content"])
        self._show_message(None)
        try:
            check_size(len(content), limit_mb=self.upload_limit_mb, name=name)
        except PortfolioDataError as error:
            self._refuse(kind, error)
            return
        self.uploads[kind] = UploadedFile.open(kind, name, content)
        self._read_upload(kind, mapping=None)

    def _refuse(self, kind: str, error: PortfolioDataError) -> None:
        """A file not even its columns can be read from: dropped, with the message."""
        self.uploads.pop(kind, None)
        self.file_status[kind].value = ""
        self.options.show_sheets(kind, None)
        self._show_message([Worded(error), self._still_showing()])
        self._render_mapping()

    def _read_upload(self, kind: str, *, mapping: Mapping[str, str | None] | None) -> None:
        """Load an uploaded file with the panel's choices (at once: its message now, its
        table kept for "Analyser")."""
        upload = self.uploads[kind]
        self._reading(upload, 1, 1)
        try:
            upload.load(_LOADERS[kind], mapping=mapping, options=self.options.loader_options(kind))
        except PortfolioDataError as error:
            self._refuse(kind, error)
            return
        finally:
            self.options.done()
        self.file_status[
            kind
        ].value = f"&nbsp;✔ {html.escape(upload.name)} ({self._size_text(len(upload.content))})"
        self.options.show_sheets(kind, upload)
        self._render_mapping(reset=kind)
        said = [upload.error] if upload.error is not None else upload.notes
        worded = [Worded(message, tuple(self.uploads.values())) for message in said]
        if upload.error is not None:
            self._show_message([*worded, self._still_showing()])
        else:
            self._show_message(worded or None, kind="warning")

    def _reading(self, upload: UploadedFile, step: int, steps: int) -> None:
        name, size = upload.name, self._size_text(len(upload.content))
        self.options.step("upload_reading", step, steps, name=name, size=size)

    def _on_options(self, kinds: tuple[str, ...]) -> None:
        """A new date format or future-date choice: the uploaded files read again with it."""
        if self.options.quiet:
            return
        for kind in kinds:
            if kind in self.uploads:
                self._read_upload(kind, mapping=self._mapping(kind))

    def _on_sheet(self, kind: str, change: dict) -> None:
        upload = self.uploads.get(kind)
        if self.options.quiet or upload is None or change["new"] in (None, upload.sheet):
            return
        upload.sheet = change["new"]
        self._read_upload(kind, mapping=None)  # another sheet, other columns

    def _on_tab(self, change: dict) -> None:
        self._build_tab(change["new"])

    # ------------------------------------------------------------------ data

    def _mapping(self, kind: str) -> dict[str, str | None]:
        return {
            field: (None if dropdown.value == _NONE else dropdown.value)
            for field, dropdown in self.mappings[kind].items()
        }

    def load_sample(self) -> None:
        """Analyse the sample data (the app's starting point)."""
        self._showing_names = {}
        if self._load({kind: SAMPLE_FILES[kind] for kind in _TABLES}, names={}):
            self.showing = "sample"

    def load_files(self, files: Mapping[str, object]) -> None:
        """Analyse files on disk (``{kind: path}``, transactions required)."""
        names = {kind: Path(str(path)).name for kind, path in files.items()}
        if self._load(dict(files), names=names):
            self.showing = "files"
            self._showing_names = names
            self._show_summary()

    def load_uploads(self) -> None:
        """Analyse the uploaded files with the chosen mapping: the tables their upload
        loaded, unless a choice changed since (then they are read again)."""
        if "transactions" not in self.uploads:
            self._show_message(self._label("app_need_transactions"))
            return
        names = {kind: upload.name for kind, upload in self.uploads.items()}
        uploads = tuple(self.uploads.values())

        def read(kind: str, step: int, steps: int) -> pd.DataFrame:
            upload = self.uploads[kind]
            mapping = self._mapping(kind)
            options = self.options.loader_options(kind)
            if not upload.loaded_with(mapping, options):
                self._reading(upload, step, steps)
            upload.load(_LOADERS[kind], mapping=mapping, options=options)
            for note in upload.notes:  # said again with the analysis
                warnings.warn(note, stacklevel=2)
            if upload.error is not None:
                raise upload.error
            return upload.table

        if self._analyse(read, list(self.uploads), uploads=uploads):
            self.showing = "files"
            self._showing_names = names
            self._show_summary()

    def _still_showing(self) -> _Still:
        """The sentence after a failed load: which data the results on screen show."""
        return _Still(self.showing, tuple(getattr(self, "_showing_names", {}).values()))

    def _show_message(self, message: object, *, kind: str = "error") -> None:
        """Show (and remember, to translate it on a language switch) one message or none."""
        self._message = message
        self._message_kind = kind
        if message is None:
            self.messages.value = ""
        elif isinstance(message, list):
            self.messages.value = "".join(_message_html(m, self.lang, kind=kind) for m in message)
        else:
            self.messages.value = _message_html(message, self.lang, kind=kind)

    def _show_summary(self) -> None:
        if not self._loaded:
            self.summary.value = ""
            return
        counts = self._loaded
        text = self._label("app_loaded").format(
            transactions=i18n.format_number(counts["transactions"], self.lang),
            customers=i18n.format_number(counts["customers"], self.lang),
            first=f"{counts['first']:%d/%m/%Y}",
            last=f"{counts['last']:%d/%m/%Y}",
        )
        source = _Still(self.showing, tuple(getattr(self, "_showing_names", {}).values()))
        colon = " : " if self.lang == "fr" else ": "
        self.summary.value = (
            '<span class="portfolio-ok" style="color:#2e6b4a">'
            f"{html.escape(source.source(self.lang) + colon + text)}</span>"
        )

    def _load(self, sources: dict, *, names: dict) -> bool:
        """Analyse files on disk (or the sample), column names recognised."""

        def read(kind: str, step: int, steps: int) -> pd.DataFrame:
            path = Path(str(sources[kind]))
            size = self._size_text(path.stat().st_size) if path.is_file() else "…"
            self.options.step("upload_reading", step, steps, name=path.name, size=size)
            return _LOADERS[kind](sources[kind], name=names.get(kind))

        return self._analyse(read, list(sources))

    def _analyse(
        self,
        read: Callable[[str, int, int], pd.DataFrame],
        kinds: list[str],
        *,
        uploads: tuple[UploadedFile, ...] = (),
    ) -> bool:
        """Read the tables (``read(kind, step, steps)``), check them together, aggregate
        and show the analyses, the progress on screen meanwhile; False on bad data."""
        self._show_message(None)
        steps = len(kinds) + 1
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", DataQualityWarning)
                tables = {kind: read(kind, step, steps) for step, kind in enumerate(kinds, 1)}
                self.options.step("upload_aggregating", steps, steps)
                customers = tables.get("customers")
                if customers is not None:
                    customers = check_customer_ids(
                        tables["transactions"],
                        customers,
                        unknown_customers="keep" if self.keep_unknown.value else "error",
                    )
                if tables.get("costs") is not None:
                    check_cost_channels(tables["costs"], customers)
                full = aggregate(tables["transactions"], customers)
        except PortfolioDataError as error:
            error = Worded(error, uploads)
            self._show_message([error, self._still_showing()] if self.full is not None else error)
            return False
        finally:
            self.options.done()
        self._remember()
        self.full = self.agg = full
        self.costs = tables.get("costs")
        self.transactions = transactions = tables["transactions"]
        self._loaded = {
            "transactions": len(transactions),
            "customers": transactions["customer_id"].nunique(),
            "first": transactions["date"].min(),
            "last": full.as_of,
        }
        self._show_summary()
        notes = [
            Worded(item.message, uploads)
            for item in caught
            if isinstance(item.message, DataQualityWarning)
        ]
        self._show_message(notes or None, kind="warning")
        self._show_analyses()
        return True

    # ------------------------------------------------------------------ analyses

    def _remember(self) -> None:
        """Keep the filters and the controls of every built tab (to start from them again)."""
        if self.filter_bar is not None:
            self.filter_values = self.filter_bar.values()
        for key, built in self.built.items():
            if isinstance(built, widgets.Explorer):
                self.control_values[key] = built.values()

    def _active_filters(self) -> dict[str, str]:
        return self.filter_bar.active() if self.filter_bar is not None else {}

    def _show_banner(self) -> None:
        active = self._active_filters()
        if not active:
            self.banner.value = ""
            return
        text = html.escape(widgets.filters_text(active, self.lang))
        self.banner.value = (
            '<div class="portfolio-banner" style="background:#1f6f8b;color:white;'
            f'padding:4px 10px;margin:2px 0;border-radius:3px">⚑ {text}</div>'
        )

    def _set_filtered(self, subset: Aggregates) -> None:
        self._remember()
        if subset.customers.empty:
            self._show_message(self._label("no_customer_match"), kind="warning")
            return
        self._show_message(None)
        self.agg = subset if self._active_filters() else self.full
        self._show_banner()
        self._reset_tabs()

    def _show_analyses(self) -> None:
        if self.full is None:
            return
        self.filter_bar = widgets.filter_bar(
            self.full, self._set_filtered, lang=self.lang, values=self.filter_values
        )
        self.filters.children = [self.filter_bar]
        subset = self.filter_bar.subset() if self._active_filters() else self.full
        self.agg = subset if not subset.customers.empty else self.full
        self._show_banner()
        self.tabs.titles = tuple(self._label(f"tab_{key}") for key in _tabs())
        self._reset_tabs()

    def _reset_tabs(self) -> None:
        """Drop the built tabs (their holders stay: the open tab stays open) and build the
        open one again."""
        for holder in self.tabs.children:
            holder.children = []
        self.built.clear()
        self._build_tab(self.tabs.selected_index or 0)

    def download_name(self, key: str) -> str:
        """Base of a tab's file names: tab, active filters, data date
        (``equilibre_Julie-Petit_2025-12-30``)."""
        parts = [_slug(self._label(f"tab_{key}")).lower()]
        parts += [_slug(value) for value in self._active_filters().values()]
        if self.full is not None:
            parts.append(f"{pd.Timestamp(self.full.as_of):%Y-%m-%d}")
        return "_".join(part for part in parts if part)

    def _build_tab(self, index: int | None) -> None:
        if index is None or self.agg is None or not self.tabs.children:
            return
        key = list(_tabs())[index]
        if key in self.built:
            return
        holder = self.tabs.children[index]
        holder.children = [w.HTML(f"<i>{self._label('app_loading')}</i>")]
        options = {
            "start": self.control_values.get(key),
            "name": self.download_name(key),
            "subtitle": widgets.filters_text(self._active_filters(), self.lang),
        }
        if key == "costs":  # company-wide spend: the filters do not apply
            options["subtitle"] = ""
        try:
            explorer = _tabs()[key](self, **options)
        except PortfolioDataError as error:
            explorer = w.HTML(_message_html(error, self.lang, kind="warning"))
        explorer.add_class(f"portfolio-tab-{key}")
        holder.children = [explorer]
        self.built[key] = explorer


@dataclass(frozen=True)
class _Still:
    """Which data the analyses on screen show (said after a failed load)."""

    showing: str
    names: tuple[str, ...]

    def source(self, lang: str) -> str:
        if self.showing == "sample":
            return i18n.label("app_sample", lang)
        return i18n.label("app_source_files", lang).format(names=", ".join(self.names))

    def text(self, lang: str) -> str:
        return i18n.label("app_still_showing", lang).format(source=self.source(lang))


def build_app(
    *,
    lang: str = "fr",
    upload_limit_mb: float = UPLOAD_LIMIT_MB,
    start_files: Mapping[str, object] | None = None,
) -> w.VBox:
    """The whole app as one widget (display it, or let Voilà render the notebook).

    ``start_files`` (``{kind: path}``) opens the app on files on disk instead of the sample.
    Arrow allocates through the system allocator from then on: its default one (mimalloc)
    keeps about 50 MB of freed pages after the first load, in every participant's kernel
    (same speed on 1.6m rows; benchmarks/README.md, "Workshop app under load").
    """
    pa.set_memory_pool(pa.system_memory_pool())
    return App(lang=lang, upload_limit_mb=upload_limit_mb, start_files=start_files).root
