"""The app's upload panel: each file read once, the remedies its messages suggest, progress.

An uploaded file is loaded (read, mapped, parsed, checked) as soon as it arrives, with the
panel's choices: date format, sheet of a workbook, future dates accepted or not, column
mapping. The loaded table is kept and the "Analyser" button reuses it: a file is read once per
upload and set of choices, a second time only when a choice changes (or, to list its columns for
the mapping, when it could not be loaded).

The loaders' messages tell a Python user which argument to pass (``date_format=``, ``sheet=``,
``mapping=``, ``allow_future_dates=``, ``unknown_customers=``); :class:`Worded` says instead
which control of the app to use, in French and English.
"""

from __future__ import annotations

import html
import io
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as w
import pandas as pd

from portfolio_lib import i18n
from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError
from portfolio_lib.data.load import guess_mapping, read_table
from portfolio_lib.data.read import EXCEL_ENGINE
from portfolio_lib.data.schema import fields_of

__all__ = ["DATE_CHOICES", "UploadOptions", "UploadedFile", "Worded", "date_options"]

# The date-format choice -> the loaders' options.
DATE_CHOICES: dict[str, dict[str, object]] = {
    "auto": {},
    "dayfirst": {"dayfirst": True},
    "monthfirst": {"dayfirst": False},
    "iso": {"date_format": "ISO8601"},
}
_EXCEL = {".xlsx", ".xlsm"}

i18n.register(
    {
        "upload_date_format": {"fr": "Format des dates", "en": "Date format"},
        "upload_date_auto": {"fr": "Automatique", "en": "Automatic"},
        "upload_date_dayfirst": {
            "fr": "Jour d'abord (JJ/MM/AAAA)",
            "en": "Day first (DD/MM/YYYY)",
        },
        "upload_date_monthfirst": {
            "fr": "Mois d'abord (MM/JJ/AAAA)",
            "en": "Month first (MM/DD/YYYY)",
        },
        "upload_date_iso": {"fr": "ISO (AAAA-MM-JJ)", "en": "ISO (YYYY-MM-DD)"},
        "upload_future": {
            "fr": "Accepter les dates futures (commandes planifiées)",
            "en": "Accept future dates (planned orders)",
        },
        "upload_sheet": {"fr": "Onglet", "en": "Sheet"},
        "upload_reading": {
            "fr": "Lecture de {name} ({size})… étape {step}/{steps}",
            "en": "Reading {name} ({size})… step {step}/{steps}",
        },
        "upload_aggregating": {
            "fr": "Calcul des tableaux clients… étape {step}/{steps}",
            "en": "Computing the customer tables… step {step}/{steps}",
        },
        "upload_sheet_of": {
            "fr": "{name} (onglet « {sheet} » sur {count} : choisissez l'onglet ci-dessus)",
            "en": "{name} (sheet '{sheet}' of {count}: choose the sheet above)",
        },
        # What to do, said with the app's controls (the catalogue's placeholders).
        "upload_fix_bad_dates": {
            "fr": "Écrivez les dates comme 31/12/2025 ou 2025-12-31, ou choisissez leur format "
            "dans « Format des dates » ci-dessus.",
            "en": "Write dates like 31/12/2025 or 2025-12-31, or choose their format in "
            "'Date format' above.",
        },
        "upload_fix_ambiguous_dates": {
            "fr": "Choisissez le format des dates ci-dessus (« Format des dates » : jour ou mois "
            "d'abord) : les dates écrites autrement seront alors signalées avec leurs lignes.",
            "en": "Choose the date format above ('Date format': day or month first): the "
            "dates written the other way are then listed with their rows.",
        },
        "upload_fix_ambiguous_day_month": {
            "fr": "Si le fichier écrit le mois d'abord (exports américains : 01/05/2024 pour le "
            "5 janvier), choisissez « Mois d'abord (MM/JJ/AAAA) » dans « Format des dates » "
            "ci-dessus.",
            "en": "If the file writes the month first (US exports: 01/05/2024 for 5 January), "
            "choose 'Month first (MM/DD/YYYY)' in 'Date format' above.",
        },
        "upload_fix_future_dates": {
            "fr": "Corrigez ces dates (souvent une faute de frappe sur l'année), ou cochez "
            "« Accepter les dates futures » ci-dessus s'il s'agit de commandes planifiées.",
            "en": "Correct these dates (often a typo in the year), or tick 'Accept future "
            "dates' above if they are planned orders.",
        },
        "upload_fix_missing_columns": {
            "fr": "Choisissez la colonne qui la contient dans « Correspondance des colonnes » "
            "ci-dessus, ou renommez-la dans le fichier. Noms reconnus automatiquement : "
            "{accepted}.",
            "en": "Choose the column that holds it under 'Column mapping' above, or rename it "
            "in the file. Names recognised automatically: {accepted}.",
        },
        "upload_fix_bad_mapping": {
            "fr": "Choisissez dans « Correspondance des colonnes » ci-dessus une colonne "
            "différente pour chaque champ, parmi : {found}.",
            "en": "Under 'Column mapping' above, choose a different column for each field, "
            "among: {found}.",
        },
        "upload_fix_other_candidate_columns": {
            "fr": "Si {field} est dans une autre colonne, choisissez-la dans « Correspondance "
            "des colonnes » ci-dessus.",
            "en": "If the {field} is in another column, choose it under 'Column mapping' above.",
        },
        "upload_fix_unknown_customers": {
            "fr": "Ajoutez-les au fichier clients, vérifiez que les deux fichiers utilisent le "
            "même code client, ou cochez « Garder les clients absents du fichier clients » "
            "ci-dessus pour les analyser sans attributs.",
            "en": "Add them to the customer file, check that both files use the same customer "
            "code, or tick 'Keep customers missing from the customer file' above to analyse "
            "them with the attributes left empty.",
        },
    }
)
_APP_FIXES = {
    "bad_dates",
    "ambiguous_dates",
    "ambiguous_day_month",
    "future_dates",
    "missing_columns",
    "bad_mapping",
    "other_candidate_columns",
    "unknown_customers",
}


def date_options(choice: str) -> dict[str, object]:
    """The loaders' date options for a choice of :data:`DATE_CHOICES` (``"auto"``: none)."""
    return dict(DATE_CHOICES[choice])


def _sheet_names(name: str, content: bytes) -> list[str]:
    if Path(name).suffix.lower() not in _EXCEL:
        return []
    try:
        return [
            str(sheet)
            for sheet in pd.ExcelFile(io.BytesIO(content), engine=EXCEL_ENGINE).sheet_names
        ]
    except Exception:  # not a workbook after all: the loader says so, with the file name
        return []


def _frozen(mapping: Mapping[str, object] | None) -> tuple:
    return tuple(sorted((str(k), repr(v)) for k, v in (mapping or {}).items()))


@dataclass
class UploadedFile:
    """One uploaded file and what its last load gave.

    Attributes
    ----------
    sheets : list of str
        The workbook's sheets (empty for CSV and Parquet).
    sheet : str or None
        The sheet read: the loader's pick until one is chosen.
    table : DataFrame or None
        The loaded table (canonical columns), None when the load failed (``error``).
    notes : list of DataQualityWarning
        The warnings of the load, given again at each analysis.
    mapping : dict
        ``{field: column or None}`` the table was loaded with (the drop-downs' start).
    columns, preview
        The file's column names and its first rows (as read by the loader when it succeeded,
        as in the file otherwise).
    """

    kind: str
    name: str
    content: bytes
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    table: pd.DataFrame | None = None
    notes: list[DataQualityWarning] = field(default_factory=list)
    error: PortfolioDataError | None = None
    mapping: dict[str, str | None] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)
    key: tuple | None = None

    @classmethod
    def open(cls, kind: str, name: str, content: bytes) -> UploadedFile:
        return cls(kind, name, content, sheets=_sheet_names(name, content))

    def load(
        self,
        loader: Callable[..., pd.DataFrame],
        *,
        mapping: Mapping[str, str | None] | None,
        options: Mapping[str, object],
    ) -> bool:
        """Load the file with these choices unless its last load had the same; True when it
        was read. ``mapping=None`` lets the loader recognise the columns.

        Raises
        ------
        PortfolioDataError
            When not even the file's columns can be read (a file to refuse).
        """
        if mapping is not None and self.loaded_with(mapping, options):
            return False
        self.error, self.table, self.notes = None, None, []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataQualityWarning)
            try:
                table = loader(
                    self.content, name=self.name, sheet=self.sheet, mapping=mapping, **options
                )
            except PortfolioDataError as error:
                self.error = error
        self.notes = [
            item.message for item in caught if isinstance(item.message, DataQualityWarning)
        ]
        if self.error is None:
            self.sheet = self.sheet or self._sheet_read(table.attrs.get("source"))
            self.table = table
            self.columns = list(table.attrs.get("columns", []))
            resolved = table.attrs.get("mapping", {})
            self.mapping = {f.name: resolved.get(f.name) for f in fields_of(self.kind)}
            self.preview = self._as_read(table.head(5), resolved)
        else:
            self.sheet = self.sheet or self._sheet_read(self.error.file)
            try:  # the columns, for the mapping drop-downs: a second read, of a failed file only
                raw = read_table(self.content, table=self.kind, name=self.name, sheet=self.sheet)
            except PortfolioDataError:
                if len(self.sheets) < 2:
                    raise self.error from None
                raw = pd.DataFrame()  # an empty sheet: kept, to choose another
            self.columns = [str(c) for c in raw.columns]
            guessed = guess_mapping(self.columns, self.kind)
            explicit = {k: v for k, v in (mapping or {}).items() if v in self.columns}
            self.mapping = {
                f.name: explicit.get(f.name, guessed.get(f.name)) for f in fields_of(self.kind)
            }
            self.preview = raw.head(5)
        self.key = self._key(self.mapping, options)
        return True

    def loaded_with(self, mapping: Mapping[str, str | None], options: Mapping[str, object]) -> bool:
        """True when the last load had this mapping and these options (and the sheet)."""
        return self.key == self._key(mapping, options)

    def _key(self, mapping: Mapping[str, str | None], options: Mapping[str, object]) -> tuple:
        return (_frozen(mapping), _frozen(options), self.sheet)

    def _sheet_read(self, source: str | None) -> str | None:
        """The sheet the loader picked: the first named in the file name of its messages."""
        if len(self.sheets) < 2:
            return None
        found = [(str(source or "").find(repr(s)), s) for s in self.sheets]
        named = sorted((at, s) for at, s in found if at >= 0)
        return named[0][1] if named else self.sheets[0]

    @staticmethod
    def _as_read(head: pd.DataFrame, resolved: Mapping[str, str]) -> pd.DataFrame:
        """The first rows as the analyses see them (dates unambiguous), under the file's names."""
        shown = head.copy()
        for column in shown.columns:
            if pd.api.types.is_datetime64_any_dtype(shown[column]):
                shown[column] = shown[column].dt.strftime("%Y-%m-%d")
        return shown.rename(columns={k: v for k, v in resolved.items() if k in shown})

    def display_name(self, lang: str) -> str:
        """The file name, with the sheet read when the workbook has several."""
        if len(self.sheets) < 2:
            return self.name
        return i18n.label("upload_sheet_of", lang).format(
            name=self.name, sheet=self.sheet, count=len(self.sheets)
        )


@dataclass(frozen=True)
class Worded:
    """A loader's message as the app says it: its controls instead of Python arguments, and
    the uploaded file's name with its sheet."""

    message: PortfolioDataError | DataQualityWarning
    uploads: tuple[UploadedFile, ...] = ()

    def text(self, lang: str) -> str:
        code = self.message.code
        fix = i18n.label(f"upload_fix_{code}", lang) if code in _APP_FIXES else None
        file = self.message.file
        for upload in sorted(self.uploads, key=lambda u: -len(u.name)):
            if file and (file == upload.name or file.startswith(upload.name + " (")):
                file = upload.display_name(lang)
                break
        return self.message.text(lang, file=file, fix=fix)


class UploadOptions:
    """The panel's choices (date format, future dates, one sheet selector per file) and the
    progress shown while files are read and aggregated."""

    def __init__(self, kinds: tuple[str, ...], lang: str) -> None:
        self.date_format = w.Dropdown(
            value="auto",
            options=[(choice, choice) for choice in DATE_CHOICES],
            style={"description_width": "initial"},
            layout=w.Layout(width="auto", margin="0 16px 0 0"),
        )
        self.date_format.add_class("upload-date-format")
        self.future = w.Checkbox(value=False, indent=False, layout=w.Layout(width="auto"))
        self.future.add_class("upload-future")
        self.sheets = {kind: w.Dropdown(layout=w.Layout(width="auto")) for kind in kinds}
        for kind, sheet in self.sheets.items():
            sheet.add_class(f"upload-sheet-{kind}")
            sheet.layout.display = "none"
        self.progress = w.IntProgress(min=0, max=1, value=0, layout=w.Layout(width="240px"))
        self.progress_text = w.HTML()
        self.progress_box = w.HBox(
            [self.progress, self.progress_text], layout=w.Layout(align_items="center")
        )
        self.progress_box.add_class("portfolio-progress")
        self.progress_box.layout.display = "none"
        self.quiet = False  # True while the panel relabels itself: no choice was made
        self.row = w.HBox(
            [self.date_format, self.future],
            layout=w.Layout(align_items="center", flex_flow="row wrap"),
        )
        self.relabel(lang)

    def relabel(self, lang: str) -> None:
        self.lang = lang
        current = self.date_format.value
        self.quiet = True  # new options reset the value for a moment: no file is read again
        try:
            self.date_format.options = [
                (i18n.label(f"upload_date_{choice}", lang), choice) for choice in DATE_CHOICES
            ]
            self.date_format.value = current
        finally:
            self.quiet = False
        self.date_format.description = i18n.label("upload_date_format", lang)
        self.future.description = i18n.label("upload_future", lang)
        for sheet in self.sheets.values():
            sheet.description = i18n.label("upload_sheet", lang)

    def loader_options(self, kind: str) -> dict[str, object]:
        """The loader's options for a file of ``kind`` (the sheet is the file's own)."""
        options = date_options(self.date_format.value)
        if kind == "transactions":
            options["allow_future_dates"] = self.future.value
        return options

    def show_sheets(self, kind: str, upload: UploadedFile | None) -> None:
        """The sheet selector of ``kind``: shown for a workbook of several sheets."""
        sheet = self.sheets[kind]
        several = upload is not None and len(upload.sheets) > 1
        sheet.layout.display = "" if several else "none"
        if several:
            self.quiet = True
            try:
                sheet.options = upload.sheets
                sheet.value = upload.sheet
            finally:
                self.quiet = False

    def step(self, key: str, step: int, steps: int, **values: object) -> None:
        """Show step ``step`` of ``steps`` (sent to the page at once, the kernel busy)."""
        self.progress.max, self.progress.value = steps, step - 1
        text = i18n.label(key, self.lang).format(step=step, steps=steps, **values)
        self.progress_text.value = f"<i>{html.escape(text)}</i>"
        self.progress_box.layout.display = ""

    def done(self) -> None:
        self.progress_box.layout.display = "none"
        self.progress_text.value = ""
