"""Excel and PNG exports of the tables and charts a consultant hands to a client.

:func:`write_workbook` writes one sheet per table with translated headers (bold, frozen, with
an autofilter), column widths that fit the content and number formats chosen by column
meaning: money (``1 234 €``), shares and rates (``12,5 %``), dates (``31/12/2025``), counts
(``1 234``). :func:`workbook_bytes` returns the same file as bytes for a download button, and
:func:`figure_png_bytes` a chart as PNG.

Text is always written as text: a customer name such as ``=HYPERLINK(...)`` or ``+33 6...``
cannot become a formula (CSV/Excel injection, OWASP), in the file or when someone edits it
later, and still shows its original characters.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import math
import numbers
import os
import re
from collections.abc import Mapping
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from portfolio_lib import i18n

__all__ = [
    "FORMATS",
    "figure_png_bytes",
    "infer_format",
    "sheet_names",
    "workbook_bytes",
    "write_workbook",
]

# Excel format codes use "," and "." whatever the locale; Excel displays them with the
# reader's separators (1 234,5 in a French Excel). A literal space before € and % is French
# typography.
FORMATS: dict[str, dict[str, str]] = {
    "money": {"fr": '#,##0 "€"', "en": '"€"#,##0'},
    "money_cents": {"fr": '#,##0.00 "€"', "en": '"€"#,##0.00'},
    "percent": {"fr": "0.0 %", "en": "0.0%"},
    "integer": {"fr": "#,##0", "en": "#,##0"},
    "number": {"fr": "#,##0.00", "en": "#,##0.00"},
    "ratio": {"fr": "0.00", "en": "0.00"},
    "date": {"fr": "dd/mm/yyyy", "en": "dd/mm/yyyy"},
    "month": {"fr": "mm/yyyy", "en": "mm/yyyy"},
    "text": {"fr": "@", "en": "@"},
}

# Column names are split on "_" into words; the first rule whose words appear wins.
# Churn, trends, changes and growth are relative: revenue_change is a percentage, not euros.
_PERCENT_WORDS = frozenset(
    {
        "share", "rate", "pct", "percent", "penetration", "probability", "churn", "trend",
        "change", "growth",
    }
)  # fmt: skip
_RATIO_WORDS = frozenset({"ratio", "multiple", "gini"})
_MONEY_WORDS = frozenset(
    {
        "revenue", "margin", "potential", "cac", "crc", "clv", "ltv", "amount", "spend",
        "spending", "cost", "costs", "monetary", "basket", "price", "sales", "ca", "turnover",
        "expansion", "contraction", "churned", "budget",
    }
)  # fmt: skip
_MONTH_WORDS = frozenset({"month", "period", "cohort"})
# Names whose words would mislead: LTV/CAC is a ratio, HHI an index from 0 to 10,000, the
# gap (potential - revenue) money. The alert names are counts in alerts.alerts_by_rep; in
# alerts.customer_alerts the same names are booleans, which get no number format (dtype first).
_NAMED_FORMATS = {
    "ltv_to_cac": "ratio",
    "ltv_cac": "ratio",
    "clv_cac": "ratio",
    "hhi": "integer",
    "gap": "money",
    "p_alive": "percent",
    "relationship_quality": "percent",
    "revenue_drop": "integer",
    "overdue": "integer",
    "top_at_risk": "integer",
}

# Cells starting with these are read as formulas by Excel, LibreOffice or Google Sheets
# (including full-width and small forms that some of them normalise).
_FORMULA_TRIGGERS = (
    "=", "+", "-", "@", "\t", "\r",
    "\uff1d", "\uff0b", "\uff0d", "\uff20",  # full-width = + - @
    "\ufe66", "\ufe62", "\ufe63", "\ufe6b",  # small = + - @
)  # fmt: skip
_EXCEL_MAX_TEXT = 32_767
_EXCEL_MAX_ROWS = 1_048_576
_EXCEL_MAX_COLUMNS = 16_384
_SHEET_NAME_MAX = 31
_FORBIDDEN_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_WIDTH_SAMPLE_ROWS = 5_000
_MIN_WIDTH, _MAX_WIDTH, _MAX_HEADER_WIDTH = 8, 60, 28


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------
def sheet_names(keys: list[str], *, lang: str = "fr") -> list[str]:
    """Excel-safe, unique sheet names for table keys, translated with :func:`i18n.label`.

    Forbidden characters ``[ ] : * ? / \\`` become ``-``, names are cut to 31 characters,
    cannot start or end with an apostrophe nor be "History", and repeat names (Excel ignores
    case) get a `` (2)`` suffix.

    Examples
    --------
    >>> sheet_names(["revenue", "Revenue", "CA/client [2025]"], lang="en")
    ['Revenue', 'Revenue (2)', 'CA-client -2025-']
    """
    names: list[str] = []
    used: set[str] = set()
    for key in keys:
        name = _FORBIDDEN_SHEET_CHARACTERS.sub("-", i18n.label(str(key), lang)).strip()
        name = name.strip("'").strip() or "Sheet"
        if name.lower() == "history":  # reserved by Excel
            name = f"{name}_"
        name = name[:_SHEET_NAME_MAX].rstrip("'")
        candidate, copy = name, 1
        while candidate.lower() in used:
            copy += 1
            suffix = f" ({copy})"
            candidate = name[: _SHEET_NAME_MAX - len(suffix)].rstrip("'") + suffix
        used.add(candidate.lower())
        names.append(candidate)
    return names


def _header_text(column: Any, lang: str) -> str:
    if isinstance(column, tuple):  # MultiIndex columns
        return " / ".join(_header_text(level, lang) for level in column if str(level) != "")
    if isinstance(column, str):
        return i18n.label(column, lang)
    if isinstance(column, (pd.Timestamp, dt.datetime)):
        stamp = pd.Timestamp(column)
        if stamp.day == 1 and stamp.time() == dt.time(0):
            return i18n.month_label(stamp, lang)
        return stamp.strftime("%d/%m/%Y")
    return str(column)


# --------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------
def _words(name: Any) -> list[str]:
    return [word for word in re.split(r"[^0-9a-z]+", str(name).lower()) if word]


def infer_format(series: pd.Series, name: Any = None) -> str | None:
    """The kind of number format a column needs (a key of :data:`FORMATS`), or None.

    By dtype first (dates, periods; text and booleans get none), then by a few names whose
    words would mislead (``ltv_to_cac``: ratio, ``gap``: money, the alert counts
    ``revenue_drop``/``overdue``/``top_at_risk``: integer), then by the words of the column
    name (``share``, ``rate``, ``churn``, ``trend``, ``change``, ``growth``: percent;
    ``revenue``, ``cac``: money; ``month``: month), then by the values (whole numbers:
    integer, others: number).

    Examples
    --------
    >>> infer_format(pd.Series([1.5]), "churn_rate"), infer_format(pd.Series([3.0]), "cac")
    ('percent', 'money')
    >>> infer_format(pd.Series([3, 4]), "orders"), infer_format(pd.Series([2.5]), "ltv_to_cac")
    ('integer', 'ratio')
    >>> infer_format(pd.Series([-0.4]), "revenue_change"), infer_format(pd.Series([2]), "overdue")
    ('percent', 'integer')
    """
    name = series.name if name is None else name
    dtype = series.dtype
    words = _words(name)
    if isinstance(dtype, pd.PeriodDtype):
        return "month" if dtype.name.startswith("period[M") else "date"  # "period[M]"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "month" if _MONTH_WORDS.intersection(words) else "date"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "number"
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        return None
    named = _NAMED_FORMATS.get("_".join(words))
    if named:
        return named
    if _PERCENT_WORDS.intersection(words):
        return "percent"
    if _RATIO_WORDS.intersection(words):
        return "ratio"
    if _MONEY_WORDS.intersection(words):
        return "money"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    finite = values[np.isfinite(values)]
    if finite.size and np.all(finite == np.round(finite)):
        return "integer"
    return "number"


def _format_code(kind_or_code: str | None, lang: str) -> str | None:
    if kind_or_code is None:
        return None
    if kind_or_code in FORMATS:
        return FORMATS[kind_or_code][lang]
    return kind_or_code  # an Excel format code given by the caller


def _override(formats: Mapping[str, Any] | None, table: str, column: Any) -> str | None:
    """The caller's format for a column: a table-wide entry, then the table's mapping,
    then a column entry valid in every table."""
    if not formats:
        return None
    entry = formats.get(table)
    if isinstance(entry, str):
        return entry
    if isinstance(entry, Mapping) and column in entry:
        return entry[column]
    value = formats.get(column) if isinstance(column, str) else None
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------
def _clean_text(text: str) -> str:
    """Remove the control characters XML cannot hold; cut to Excel's cell limit."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:_EXCEL_MAX_TEXT]


def _column_values(series: pd.Series, lang: str) -> list[Any]:
    """Python values to write: None for missing or infinite, datetimes naive."""
    dtype = series.dtype
    if isinstance(dtype, pd.PeriodDtype):
        series = series.dt.to_timestamp()
        dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)  # Excel has no time zones: keep local time
        dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return [None if pd.isna(v) else v.to_pydatetime() for v in series]
    if pd.api.types.is_timedelta64_dtype(dtype):
        days = series.dt.total_seconds() / 86_400
        return [None if pd.isna(v) else float(v) for v in days]
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        # Plain numbers and flags, a whole column at once (hand-outs of millions of cells):
        # the same Python values as value by value, missing and infinite left empty.
        values = series.to_numpy()
        out = values.tolist()
        if dtype.kind == "f":
            for position in np.flatnonzero(~np.isfinite(values)).tolist():
                out[position] = None
        return out
    if isinstance(dtype, pd.CategoricalDtype):
        registered = i18n.labels(lang)
        return [
            None if _missing(v) else registered.get(v, v) if isinstance(v, str) else _scalar(v)
            for v in series.astype(object)
        ]
    values = [_scalar(v) for v in series.astype(object)]
    registered = i18n.labels(lang)
    texts = [v for v in values if v is not None]
    if texts and all(isinstance(v, str) and v in registered for v in texts):
        # A column of codes (the lifecycle's "action_onboard"...): the client reads the words.
        # Only a column made of label keys alone: a customer's name stays as written.
        return [None if v is None else registered[v] for v in values]
    return values


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays: not a missing marker
        return False


def _scalar(value: Any) -> Any:
    if value is None or _missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        number = float(value)
        return number if math.isfinite(number) else None  # Excel has no infinity
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, (dt.date, dt.time, str)):
        return value
    if isinstance(value, pd.Period):
        return value.to_timestamp().to_pydatetime()
    return str(value)


# --------------------------------------------------------------------------------------------
# Widths
# --------------------------------------------------------------------------------------------
def _value_width(values: list[Any], kind: str | None) -> int:
    sample = [v for v in values[:_WIDTH_SAMPLE_ROWS] if v is not None]
    if not sample:
        return 0
    if kind in ("date", "month"):
        return 10 if kind == "date" else 7
    numbers_ = [v for v in sample if isinstance(v, (int, float)) and not isinstance(v, bool)]
    texts = [v for v in sample if not isinstance(v, (int, float))]
    width = max((len(str(v)) for v in texts), default=0)
    if numbers_:
        largest = max(abs(v) for v in numbers_)
        if kind == "percent":
            digits = len(f"{largest * 100:.1f}") + 2
        elif kind in ("integer", "money"):
            digits = len(f"{largest:,.0f}") + (2 if kind == "money" else 0)
        else:
            digits = len(f"{largest:,.2f}")
        width = max(width, digits + (1 if min(numbers_) < 0 else 0))
    return width


def _column_width(header: str, values: list[Any], kind: str | None) -> float:
    longest_word = max((len(word) for word in header.split()), default=0)
    header_width = min(len(header), max(_MAX_HEADER_WIDTH, longest_word))  # wraps beyond
    return float(min(max(header_width, _value_width(values, kind), _MIN_WIDTH) + 2, _MAX_WIDTH))


# --------------------------------------------------------------------------------------------
# Workbook
# --------------------------------------------------------------------------------------------
def _as_frame(table: Any, key: str) -> pd.DataFrame:
    if isinstance(table, pd.Series):
        table = table.to_frame()
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table {key!r} is a {type(table).__name__}, not a DataFrame")
    index_is_position = isinstance(table.index, pd.RangeIndex) and table.index.name is None
    if not index_is_position:  # customer ids, periods...: keep them as first columns
        table = table.reset_index()
    if len(table) + 1 > _EXCEL_MAX_ROWS or table.shape[1] > _EXCEL_MAX_COLUMNS:
        raise ValueError(
            f"table {key!r} has {len(table):,} rows and {table.shape[1]:,} columns; an Excel "
            f"sheet holds at most {_EXCEL_MAX_ROWS - 1:,} rows and {_EXCEL_MAX_COLUMNS:,} "
            "columns. Filter it first, or save it as CSV or Parquet."
        )
    return table


class _Styles:
    """The workbook's cell formats, one per number format code (xlsxwriter wants each once)."""

    # Excel's own formats for dates and times without a chosen one (openpyxl's defaults).
    _DATE_DEFAULTS = ((dt.datetime, "yyyy-mm-dd h:mm:ss"), (dt.date, "yyyy-mm-dd"),
                      (dt.time, "h:mm:ss"))  # fmt: skip

    def __init__(self, book: Any) -> None:
        self.book = book
        self.codes: dict[str, Any] = {}
        self.quoted = book.add_format({"quote_prefix": True})
        header = {"bold": True, "text_wrap": True, "valign": "top"}
        self.header = book.add_format(header)
        self.header_quoted = book.add_format({**header, "quote_prefix": True})

    def number(self, code: str | None) -> Any:
        if code is None:
            return None
        if code not in self.codes:
            self.codes[code] = self.book.add_format({"num_format": code})
        return self.codes[code]

    def moment(self, value: Any, code: str | None) -> Any:
        if code is None:
            code = next(c for kind, c in self._DATE_DEFAULTS if isinstance(value, kind))
        return self.number(code)


def _write_sheet(
    book: Any,
    styles: _Styles,
    title: str,
    key: str,
    frame: pd.DataFrame,
    *,
    lang: str,
    formats: Mapping[str, Any] | None,
) -> None:
    ws = book.add_worksheet(title)
    columns = list(frame.columns)
    headers = [_clean_text(_header_text(column, lang)) for column in columns]
    values_by_column, cell_formats, codes = [], [], []
    for position, column in enumerate(columns):
        series = frame.iloc[:, position]
        kind = _override(formats, key, column) or infer_format(series, column)
        values = _column_values(series, lang)
        values_by_column.append(values)
        codes.append(_format_code(kind, lang))
        cell_formats.append(styles.number(codes[-1]))
        ws.set_column(position, position, _column_width(headers[position], values, kind))
    ws.freeze_panes(1, 0)
    if columns:
        ws.autofilter(0, 0, len(frame), len(columns) - 1)
    for position, header in enumerate(headers):
        quoted = header.startswith(_FORMULA_TRIGGERS)
        ws.write_string(0, position, header, styles.header_quoted if quoted else styles.header)
    # Rows are written in order and each is flushed to disk once complete (constant memory):
    # a hand-out of a million rows does not hold its cells in memory.
    write_string, write_number, write_boolean = ws.write_string, ws.write_number, ws.write_boolean
    quoted, triggers = styles.quoted, _FORMULA_TRIGGERS
    for row, values in enumerate(zip(*values_by_column, strict=True), 1):
        for position, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, str):
                # Always a string cell, never a formula or an error; the quote prefix keeps
                # it text when someone edits it in Excel.
                text = _clean_text(value)
                write_string(row, position, text, quoted if text.startswith(triggers) else None)
            elif isinstance(value, bool):
                write_boolean(row, position, value)
            elif isinstance(value, (int, float)):
                write_number(row, position, value, cell_formats[position])
            else:  # dates and times
                ws.write_datetime(row, position, value, styles.moment(value, codes[position]))


def _check_tables(tables: Mapping[str, Any], lang: str) -> list[tuple[str, str, pd.DataFrame]]:
    """(key, sheet name, frame) of each table, every table checked before anything is written."""
    if lang not in i18n.LANGS:
        raise ValueError(f"lang must be one of {i18n.LANGS}, got {lang!r}")
    if not tables:
        raise ValueError("no table to export: give at least one {name: DataFrame}")
    keys = [str(key) for key in tables]
    titles = sheet_names(keys, lang=lang)
    return [
        (key, title, _as_frame(table, key))
        for key, title, table in zip(keys, titles, tables.values(), strict=True)
    ]


def write_workbook(
    tables: Mapping[str, pd.DataFrame],
    path_or_buffer: str | os.PathLike | BinaryIO,
    *,
    lang: str = "fr",
    formats: Mapping[str, Any] | None = None,
) -> None:
    """Write tables to an Excel workbook, one formatted sheet per table.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Sheet key -> table, in sheet order. Keys and column names are translated with
        :func:`portfolio_lib.i18n.label`; a named or non-positional index (customer ids,
        periods) is written as the first column(s). Categorical values that are registered
        label keys (e.g. lifecycle phases) are translated too.
    path_or_buffer : path or binary file
        Where to write the ``.xlsx``.
    lang : {"fr", "en"}
        Language of headers, sheet names and currency position.
    formats : mapping, optional
        Number formats chosen by the caller, each a kind of :data:`FORMATS` (``"money"``,
        ``"percent"``, ``"integer"``, ...) or an Excel code (``"0.000"``):
        ``{"column": kind}`` for that column in every table, ``{"table": {"column": kind}}``
        for one table, ``{"table": kind}`` for every column of a table (a cohort matrix).
        Other columns are inferred by :func:`infer_format`.

    Notes
    -----
    Every sheet has its header row bold and frozen, an autofilter and column widths fitted
    to the content. Text stays text: values starting with ``= + - @``, a tab or a carriage
    return (or their full-width forms) are stored as strings with Excel's quote prefix, never
    as formulas. Missing and infinite numbers are left empty; time zones are dropped (local
    time kept); control characters XML cannot store are removed.

    Examples
    --------
    >>> import io, openpyxl
    >>> buffer = io.BytesIO()
    >>> write_workbook({"customers": pd.DataFrame({"name": ["=1+1"], "revenue": [1250.0]})}, buffer)
    >>> sheet = openpyxl.load_workbook(buffer)["Clients"]
    >>> [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]
    [[('Client', 's'), ("Chiffre d'affaires", 's')], [('=1+1', 's'), (1250, 'n')]]
    """
    checked = _check_tables(tables, lang)
    target = path_or_buffer if hasattr(path_or_buffer, "write") else os.fspath(path_or_buffer)
    # xlsxwriter writes the file at close(), streaming each sheet's rows through a temporary
    # file; strings are never turned into formulas or links (every cell is written typed).
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False})  # fmt: skip
    styles = _Styles(book)
    for key, title, frame in checked:
        _write_sheet(book, styles, title, key, frame, lang=lang, formats=formats)
    book.close()


def workbook_bytes(
    tables: Mapping[str, pd.DataFrame],
    *,
    lang: str = "fr",
    formats: Mapping[str, Any] | None = None,
) -> bytes:
    """The ``.xlsx`` file of :func:`write_workbook` as bytes (for a download button)."""
    buffer = io.BytesIO()
    write_workbook(tables, buffer, lang=lang, formats=formats)
    return buffer.getvalue()


def figure_png_bytes(fig: Any, *, dpi: int = 150) -> bytes:
    """A matplotlib figure (or the figure of an Axes) as PNG bytes, cropped to its content."""
    figure = getattr(fig, "figure", None) if not hasattr(fig, "savefig") else fig
    if figure is None or not hasattr(figure, "savefig"):
        raise TypeError(f"expected a matplotlib Figure or Axes, got {type(fig).__name__}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()
