"""Read transactions, customers and costs from CSV, Excel, Parquet or a DataFrame.

French exports just work: ``;`` separator, decimal comma, thousands with spaces, cp1252 or
UTF-8 with BOM, dd/mm/yyyy dates, a title line above the header. Columns are mapped onto the
canonical names of :mod:`portfolio_lib.data.schema` by an explicit ``mapping`` or by recognised
French and English names. Every problem raises :class:`~portfolio_lib.data.errors.PortfolioDataError`
naming the file, the column, the spreadsheet row numbers and the fix; doubtful but usable input
(duplicate rows, unknown cost channels) gives a :class:`~portfolio_lib.data.errors.DataQualityWarning`.

The raw input is never modified: loaders return new frames with canonical columns only.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import numpy as np
import pandas as pd

from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError
from portfolio_lib.data.schema import Field, fields_of, normalise_header

__all__ = [
    "Portfolio",
    "Source",
    "check_cost_channels",
    "check_customer_ids",
    "check_size",
    "guess_mapping",
    "load_costs",
    "load_customers",
    "load_portfolio",
    "load_transactions",
    "read_table",
]

Source = str | os.PathLike | pd.DataFrame | bytes | memoryview | IO[bytes]

_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_SEPARATORS = (";", ",", "\t", "|")
_HEADER_SCAN_ROWS = 30
_CHUNK = 1 << 20

_ACQUISITION_WORDS = {"acquisition", "acquisitions", "conquete", "recrutement", "prospection"}
_RETENTION_WORDS = {"retention", "fidelisation", "fidelite", "retentionclient", "loyalty"}
_MONTH_NAMES = {
    "jan": 1, "janv": 1, "janvier": 1, "january": 1,
    "feb": 2, "fev": 2, "fevr": 2, "fevrier": 2, "february": 2,
    "mar": 3, "mars": 3, "march": 3,
    "apr": 4, "avr": 4, "avril": 4, "april": 4,
    "may": 5, "mai": 5,
    "jun": 6, "juin": 6, "june": 6,
    "jul": 7, "juil": 7, "juillet": 7, "july": 7,
    "aug": 8, "aou": 8, "aout": 8, "august": 8,
    "sep": 9, "sept": 9, "septembre": 9, "september": 9,
    "oct": 10, "octobre": 10, "october": 10,
    "nov": 11, "novembre": 11, "november": 11,
    "dec": 12, "decembre": 12, "december": 12,
}  # fmt: skip


# --------------------------------------------------------------------------------------------
# Reading files


@dataclass(frozen=True)
class _Raw:
    """A table as read, all cells untouched, indexed by the row numbers a person sees."""

    frame: pd.DataFrame
    name: str
    sep: str | None = None


def _source_name(source: Source, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    if isinstance(source, pd.DataFrame):
        return "DataFrame"
    return getattr(source, "name", None) or "upload"


def _read_bytes(source: Source, name: str) -> bytes:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise PortfolioDataError("file_not_found", file=name, path=str(path))
        return path.read_bytes()
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    return source.read()


def _detect_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(data[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        # French Windows exports; cp1252 leaves five bytes undefined, latin-1 none.
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return "latin-1"
        return "cp1252"
    return "utf-8"


def _sniff_separator(lines: list[str]) -> str:
    """The separator giving the same number (>1) of fields on the most lines."""
    best, best_score = ",", (0, 0)
    for sep in _SEPARATORS:
        counts = [len(row) for row in csv.reader(lines, delimiter=sep) if row]
        if not counts:
            continue
        widest = max(counts)
        consistent = sum(1 for c in counts if c == widest)
        score = (consistent if widest > 1 else 0, widest)
        if score > best_score:
            best, best_score = sep, score
    return best


def _header_row(rows: list[list[object]], table: str | None) -> int:
    """Index of the header line: the first that names a required field, else the first."""
    if table is None:
        return 0
    wanted = {
        normalise_header(s) for f in fields_of(table) if f.required for s in (f.name, *f.synonyms)
    }
    for i, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        if any(normalise_header(c) in wanted for c in row if isinstance(c, str)):
            return i
    return 0


def _read_csv(
    data: bytes, name: str, table: str | None, encoding: str | None, sep: str | None
) -> _Raw:
    encoding = encoding or _detect_encoding(data)
    head = data[: 64 * 1024].decode(encoding, errors="replace").splitlines()
    if len(data) > 64 * 1024:
        head = head[:-1]  # the last line may be cut in the middle
    lines = head[:_HEADER_SCAN_ROWS]
    if not any(line.strip() for line in lines):
        raise PortfolioDataError("empty_file", file=name)
    skip = 0
    if table is not None:
        probe_sep = sep or _sniff_separator(lines)
        skip = _header_row(list(csv.reader(lines, delimiter=probe_sep)), table)
    sep = sep or _sniff_separator(lines[skip:])
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=sep,
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skiprows=skip,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise PortfolioDataError("unreadable_file", file=name, reason=str(exc).strip()) from exc
    except pd.errors.EmptyDataError as exc:
        raise PortfolioDataError("empty_file", file=name) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    # Row numbers as a text editor or Excel shows them: header on line skip + 1.
    frame.index = pd.RangeIndex(skip + 2, skip + 2 + len(frame))
    return _Raw(frame, name, sep)


def _read_excel(data: bytes, name: str, table: str | None, sheet: str | int | None) -> _Raw:
    try:
        top = pd.read_excel(
            io.BytesIO(data), sheet_name=sheet or 0, header=None, nrows=_HEADER_SCAN_ROWS
        )
        skip = _header_row(top.values.tolist(), table)
        frame = pd.read_excel(io.BytesIO(data), sheet_name=sheet or 0, header=skip, dtype=object)
    except Exception as exc:  # openpyxl raises zip, XML, key and value errors on bad files
        raise PortfolioDataError("unreadable_file", file=name, reason=str(exc).strip()) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(skip + 2, skip + 2 + len(frame))
    return _Raw(frame, name)


def read_table(
    source: Source,
    *,
    table: str | None = None,
    name: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    sep: str | None = None,
) -> pd.DataFrame:
    """Read a CSV, Excel or Parquet file (or take a DataFrame) without interpreting cells.

    Parameters
    ----------
    source : path, DataFrame, bytes or binary file
        What to read. Bytes and file objects (uploads) need ``name`` for their type.
    table : {'transactions', 'customers', 'costs'}, optional
        When given, title lines above the header are skipped: the header is the first line
        naming a required column of that table.
    name : str, optional
        File name used in messages and to tell the format of bytes.
    sheet : str or int, optional
        Excel sheet (default: the first).
    encoding, sep : str, optional
        Forced CSV encoding and separator; detected when omitted.

    Returns
    -------
    pandas.DataFrame
        CSV cells as strings (empty cells missing), Excel and Parquet cells as stored. The index
        holds the row numbers a person sees in the file (header on row 1), used in messages.
    """
    return _read_raw(source, table=table, name=name, sheet=sheet, encoding=encoding, sep=sep).frame


def _read_raw(
    source: Source,
    *,
    table: str | None,
    name: str | None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    sep: str | None = None,
) -> _Raw:
    name = _source_name(source, name)
    if isinstance(source, pd.DataFrame):
        raw = _Raw(source, name)
    else:
        suffix = Path(name).suffix.lower()
        if suffix not in _CSV_SUFFIXES | _EXCEL_SUFFIXES | _PARQUET_SUFFIXES:
            raise PortfolioDataError("unsupported_format", file=name, suffix=suffix or name)
        data = _read_bytes(source, name)
        if not data.strip():
            raise PortfolioDataError("empty_file", file=name)
        if suffix in _CSV_SUFFIXES:
            raw = _read_csv(data, name, table, encoding, sep)
        elif suffix in _EXCEL_SUFFIXES:
            raw = _read_excel(data, name, table, sheet)
        else:
            try:
                frame = pd.read_parquet(io.BytesIO(data))
            except Exception as exc:  # pyarrow raises many types for corrupt files
                raise PortfolioDataError(
                    "unreadable_file", file=name, reason=str(exc).strip()
                ) from exc
            frame.index = pd.RangeIndex(1, len(frame) + 1)
            raw = _Raw(frame, name)
    frame = raw.frame
    frame = frame.loc[
        :, [not str(c).startswith("Unnamed:") or frame[c].notna().any() for c in frame]
    ]
    frame = frame.dropna(how="all")
    if frame.empty:
        raise PortfolioDataError("empty_file", file=name)
    return _Raw(frame, raw.name, raw.sep)


# --------------------------------------------------------------------------------------------
# Column mapping


def guess_mapping(columns: list[str] | pd.Index, table: str) -> dict[str, str]:
    """Guess which column holds each canonical field, from French and English names.

    Parameters
    ----------
    columns : list of str
        Column names of the file.
    table : {'transactions', 'customers', 'costs'}

    Returns
    -------
    dict
        ``{canonical name: column}`` for every field recognised; each column used once, a
        field taking the column that matches its best-ranked synonym.

    Examples
    --------
    >>> guess_mapping(["N° client", "Date facture", "Montant HT", "Nom"], "transactions")
    {'customer_id': 'N° client', 'date': 'Date facture', 'amount': 'Montant HT'}
    """
    by_norm: dict[str, str] = {}
    for column in columns:
        by_norm.setdefault(normalise_header(column), str(column))
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field in fields_of(table):
        for synonym in (field.name, *field.synonyms):
            column = by_norm.get(normalise_header(synonym))
            if column is not None and column not in used:
                mapping[field.name] = column
                used.add(column)
                break
    return mapping


def _resolve_mapping(
    columns: list[str], table: str, mapping: Mapping[str, str | None] | None, file: str
) -> dict[str, str]:
    fields = {f.name: f for f in fields_of(table)}
    explicit: dict[str, str | None] = {}
    for key, value in (mapping or {}).items():
        # Accept {canonical: column} and, unambiguously, {column: canonical} like DataFrame.rename.
        if key in fields:
            canonical, column = key, value
        elif value in fields:
            canonical, column = value, key
        else:
            raise PortfolioDataError(
                "bad_mapping",
                file=file,
                pair=f"{key!r}: {value!r}",
                reason=f"neither {key!r} nor {value!r} is an expected name",
                reason_fr=f"ni {key!r} ni {value!r} n'est un nom attendu",
                expected=", ".join(fields),
                found=", ".join(columns),
            )
        if column is not None and column not in columns:
            raise PortfolioDataError(
                "bad_mapping",
                file=file,
                pair=f"{key!r}: {value!r}",
                reason=f"the file has no column {column!r}",
                reason_fr=f"le fichier n'a pas de colonne {column!r}",
                expected=", ".join(fields),
                found=", ".join(columns),
            )
        explicit[canonical] = column
    taken = {c for c in explicit.values() if c is not None}
    guessed = guess_mapping([c for c in columns if c not in taken], table)
    resolved = {k: v for k, v in guessed.items() if k not in explicit}
    resolved.update({k: v for k, v in explicit.items() if v is not None})
    missing = [f for f in fields.values() if f.required and f.name not in resolved]
    if missing:
        example = ", ".join(f"'{f.name}': '...'" for f in missing)
        accepted = "; ".join(f"{f.name}: " + ", ".join(f.synonyms[:8]) for f in missing)
        raise PortfolioDataError(
            "missing_columns",
            file=file,
            missing=", ".join(f"'{f.name}'" for f in missing),
            found=", ".join(f"'{c}'" for c in columns) or "none",
            example=example,
            accepted=accepted,
            fields=[f.name for f in missing],
        )
    return {f: resolved[f] for f in fields if f in resolved}


# --------------------------------------------------------------------------------------------
# Cell parsers: work on the distinct values (few dates, ids repeat), return the parsed series.


def _blank(values: pd.Series) -> pd.Series:
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        return values.isna() | values.astype(str).str.strip().eq("")
    return values.isna()


def _bad(
    file: str, column: str, mask: pd.Series, values: pd.Series, code: str, **extra: object
) -> PortfolioDataError:
    rows = values.index[mask.to_numpy()].tolist()
    examples = values[mask].astype(str).unique()[:3].tolist()
    return PortfolioDataError(
        code, file=file, column=column, rows=rows, count=int(mask.sum()), examples=examples, **extra
    )


def _by_unique(values: pd.Series, parse) -> pd.Series:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = parse(pd.Series(uniques, dtype=values.dtype if len(uniques) else object))
    out = parsed.to_numpy()[codes] if len(uniques) else np.array([], dtype=parsed.dtype)
    result = pd.Series(out, index=values.index)
    if (codes < 0).any():
        result[codes < 0] = pd.NaT if parsed.dtype.kind == "M" else np.nan
    return result


def _parse_ids(values: pd.Series) -> pd.Series:
    def parse(u: pd.Series) -> pd.Series:
        if pd.api.types.is_float_dtype(u.dtype) or u.dtype == object:
            # Excel stores codes like 1042 as 1042.0; keep them as the code people type.
            def clean(v: object) -> object:
                if isinstance(v, float) and v.is_integer():
                    return str(int(v))
                return str(v).strip()

            return u.map(clean).astype(object)
        return u.astype(str).str.strip().astype(object)

    ids = _by_unique(values, parse)
    return ids.where(~_blank(values)).astype(object)


_NUMBER_CLEAN = re.compile(r"[\s\u00a0\u202f'’]|eur|€|\$|£", re.IGNORECASE)
_MINUS_SIGNS = re.compile("[\u2212\u2013]")  # Unicode minus and en dash from spreadsheets


def _decimal_mark(texts: pd.Series, hint: str) -> str:
    """',' or '.', from values where only one reading makes sense; ``hint`` if none does."""
    comma_decimal = texts.str.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d*|-?\d*,(\d{1,2}|\d{4,})")
    dot_decimal = texts.str.fullmatch(r"-?\d{1,3}(,\d{3})+\.\d*|-?\d*\.(\d{1,2}|\d{4,})")
    comma_votes, dot_votes = int(comma_decimal.sum()), int(dot_decimal.sum())
    if comma_votes != dot_votes:
        return "," if comma_votes > dot_votes else "."
    if texts.str.fullmatch(r"-?\d{1,3}(\.\d{3}){2,}").any():
        return ","
    if texts.str.fullmatch(r"-?\d{1,3}(,\d{3}){2,}").any():
        return "."
    return hint


def _parse_amounts(values: pd.Series, decimal_hint: str = ".") -> pd.Series:
    if pd.api.types.is_numeric_dtype(values.dtype) and values.dtype != bool:
        return values.astype(float)

    def parse(u: pd.Series) -> pd.Series:
        numeric = pd.to_numeric(u.where(u.map(lambda v: isinstance(v, (int, float)))), "coerce")
        texts = u.astype(str).str.strip().str.replace(_NUMBER_CLEAN, "", regex=True)
        texts = texts.str.replace(_MINUS_SIGNS, "-", regex=True)
        negative = texts.str.fullmatch(r"\(.*\)") | texts.str.fullmatch(r"[\d.,]+-")
        texts = texts.str.strip("()").str.replace(r"^([\d.,]+)-$", r"\1", regex=True)
        mark = _decimal_mark(texts, decimal_hint)
        thousands = "." if mark == "," else ","
        texts = texts.str.replace(thousands, "", regex=False).str.replace(mark, ".", regex=False)
        parsed = pd.to_numeric(texts, errors="coerce").astype(float)
        parsed = parsed.where(~negative, -parsed)
        return numeric.astype(float).fillna(parsed)

    return _by_unique(values, parse).astype(float)


_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?.*)?")
_ISO = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T].*)?")


def _parse_dates(
    values: pd.Series,
    *,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    file: str = "",
    column: str = "",
) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = values.dt.tz_localize(None) if values.dt.tz is not None else values
        return out.dt.normalize().astype("datetime64[ns]")

    def parse(u: pd.Series) -> pd.Series:
        result = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
        is_stamp = u.map(
            lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year")
        )
        if is_stamp.any():
            result[is_stamp] = pd.to_datetime(u[is_stamp].astype(object), errors="coerce")
        texts = u[~is_stamp].astype(str).str.strip()
        if date_format:
            result[~is_stamp] = pd.to_datetime(texts, format=date_format, errors="coerce")
            return result.dt.normalize()
        iso = texts.str.fullmatch(_ISO.pattern)
        if iso.any():
            result[iso[iso].index] = pd.to_datetime(
                texts[iso].str.slice(0, 10), format="ISO8601", errors="coerce"
            )
        compact = texts.str.fullmatch(r"(19|20)\d{6}")
        if compact.any():
            result[compact[compact].index] = pd.to_datetime(
                texts[compact], format="%Y%m%d", errors="coerce"
            )
        serial = texts.str.fullmatch(r"\d{5}(\.\d+)?")
        if serial.any():  # Excel day numbers that lost their date format
            days = pd.to_numeric(texts[serial]).astype(float)
            result[serial[serial].index] = pd.Timestamp("1899-12-30") + pd.to_timedelta(
                np.floor(days), unit="D"
            )
        parts = texts.str.extract("^" + _DMY.pattern + "$")
        dmy = parts[0].notna()
        if dmy.any():
            first = parts.loc[dmy, 0].astype(int)
            second = parts.loc[dmy, 1].astype(int)
            day_first = dayfirst
            if day_first is None:
                if (first > 12).any() and (second > 12).any():
                    raise PortfolioDataError(
                        "ambiguous_dates",
                        file=file,
                        column=column,
                        first=texts[dmy][first > 12].iloc[0],
                        second=texts[dmy][second > 12].iloc[0],
                    )
                day_first = not (second > 12).any()  # French default when nothing tells
            year = parts.loc[dmy, 2].astype(int)
            year = year.where(year >= 100, np.where(year < 70, 2000 + year, 1900 + year))
            result[dmy[dmy].index] = pd.to_datetime(
                pd.DataFrame(
                    {
                        "year": year,
                        "month": second if day_first else first,
                        "day": first if day_first else second,
                    }
                ),
                errors="coerce",
            )
        return result.dt.normalize()

    return _by_unique(values, parse).astype("datetime64[ns]")


def _parse_months(values: pd.Series, **date_options: object) -> pd.Series:
    def parse(u: pd.Series) -> pd.Series:
        texts = u.astype(str).str.strip().str.lower()
        result = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
        ym = texts.str.extract(r"^(\d{4})[-/.](\d{1,2})$")
        my = texts.str.extract(r"^(\d{1,2})[-/.](\d{4})$")
        named = texts.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
        named = named.str.extract(r"^([a-z]+)\.?[\s\-/]*(\d{4}|\d{2})$")
        for year, month in ((ym[0], ym[1]), (my[1], my[0])):
            ok = year.notna()
            if ok.any():
                result[ok] = pd.to_datetime(
                    pd.DataFrame(
                        {"year": year[ok].astype(int), "month": month[ok].astype(int), "day": 1}
                    ),
                    errors="coerce",
                )
        ok = named[0].notna() & named[0].isin(list(_MONTH_NAMES))
        if ok.any():
            year = named.loc[ok, 1].astype(int)
            year = year.where(year >= 100, 2000 + year)
            month = named.loc[ok, 0].map(_MONTH_NAMES)
            result[ok] = pd.to_datetime(
                pd.DataFrame({"year": year, "month": month, "day": 1}), errors="coerce"
            )
        rest = result.isna()
        if rest.any():
            result[rest] = _parse_dates(u[rest], **date_options)
        return result.dt.to_period("M").dt.to_timestamp()

    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")
    return _by_unique(values, parse).astype("datetime64[ns]")


def _parse_shares(values: pd.Series, decimal_hint: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype(float)
    texts = values.astype(str)
    percent = texts.str.contains("%", regex=False)
    parsed = _parse_amounts(texts.str.replace("%", "", regex=False), decimal_hint)
    return parsed.where(~percent, parsed / 100).where(~_blank(values))


def _parse_cost_kinds(values: pd.Series) -> pd.Series:
    norm = values.map(normalise_header, na_action="ignore")
    kinds = pd.Series(np.nan, index=values.index, dtype=object)
    kinds[norm.isin(_ACQUISITION_WORDS)] = "acquisition"
    kinds[norm.isin(_RETENTION_WORDS)] = "retention"
    return kinds


# --------------------------------------------------------------------------------------------
# Loaders


def _canonical_frame(
    raw: _Raw,
    table: str,
    mapping: Mapping[str, str | None] | None,
    *,
    date_format: str | None,
    dayfirst: bool | None,
) -> pd.DataFrame:
    frame = raw.frame
    resolved = _resolve_mapping([str(c) for c in frame.columns], table, mapping, raw.name)
    fields: dict[str, Field] = {f.name: f for f in fields_of(table)}
    decimal_hint = "," if raw.sep == ";" else "."
    out: dict[str, pd.Series] = {}
    for canonical, column in resolved.items():
        field = fields[canonical]
        values = frame[column]
        blank = _blank(values)
        if field.required and blank.any():
            raise _bad(raw.name, column, blank, values.astype(str), "missing_values")
        if field.kind == "id":
            parsed = _parse_ids(values)
        elif field.kind == "amount":
            parsed = _parse_amounts(values, decimal_hint)
        elif field.kind == "share":
            parsed = _parse_shares(values, decimal_hint)
            outside = parsed.notna() & ((parsed < 0) | (parsed > 1))
            if outside.any():
                raise _bad(
                    raw.name,
                    column,
                    outside,
                    values,
                    "out_of_range",
                    allowed="0 to 1 (or a percentage such as 80 %)",
                    allowed_fr="entre 0 et 1 (ou un pourcentage comme 80 %)",
                )
        elif field.kind == "date":
            parsed = _parse_dates(
                values, date_format=date_format, dayfirst=dayfirst, file=raw.name, column=column
            )
        elif field.kind == "month":
            parsed = _parse_months(
                values, date_format=date_format, dayfirst=dayfirst, file=raw.name, column=column
            )
        elif field.kind == "cost_kind":
            parsed = _parse_cost_kinds(values)
        else:
            parsed = values.where(~blank).map(lambda v: str(v).strip(), na_action="ignore")
            parsed = parsed.astype(object)
        failed = parsed.isna() & ~blank
        if failed.any():
            code = {
                "date": "bad_dates",
                "month": "bad_periods",
                "cost_kind": "bad_cost_kind",
            }.get(field.kind, "bad_numbers")
            raise _bad(raw.name, column, failed, values, code)
        out[canonical] = parsed
    result = pd.DataFrame(out, index=frame.index)
    result.attrs["source"] = raw.name
    result.attrs["mapping"] = resolved
    return result


def _check_future(frame: pd.DataFrame, column: str, file: str, today: pd.Timestamp) -> None:
    future = frame[column] > today
    if future.any():
        raise _bad(
            file,
            column,
            future,
            frame[column].dt.strftime("%d/%m/%Y"),
            "future_dates",
            today=today.strftime("%d/%m/%Y"),
        )


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    attrs = dict(frame.attrs)
    frame = frame.reset_index(drop=True)
    frame.attrs.update(attrs)
    return frame


def load_transactions(
    source: Source,
    *,
    mapping: Mapping[str, str | None] | None = None,
    name: str | None = None,
    sheet: str | int | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    encoding: str | None = None,
    sep: str | None = None,
    allow_future_dates: bool = False,
    today: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Load the transaction log: one row per invoice (or invoice line).

    Parameters
    ----------
    source : path, DataFrame, bytes or binary file
        CSV, Excel (.xlsx) or Parquet file, or a DataFrame.
    mapping : dict, optional
        ``{canonical name: column}`` (``{column: canonical}`` is accepted too); a value of
        ``None`` ignores a field. Unmapped fields are recognised from French and English names
        ("Code client", "N° client", "Date facture", "Montant HT", "CA", ...).
    name : str, optional
        File name for messages, and to tell the format of bytes (uploads).
    sheet : str or int, optional
        Excel sheet, default the first.
    date_format : str, optional
        strftime format of the dates, e.g. ``'%d/%m/%Y'``; detected when omitted (day first
        unless the data shows otherwise).
    dayfirst : bool, optional
        Force day-first (True) or month-first (False) for dates like 03/04/2025.
    encoding, sep : str, optional
        Forced CSV encoding and separator; detected when omitted.
    allow_future_dates : bool, default False
        Accept transactions dated after ``today`` (planned orders).
    today : date-like, optional
        Reference date for the future-date check, default today.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id`` (str), ``date`` (datetime64, day), ``amount`` (float, negative
        for returns), then whichever of ``order_id``, ``margin``, ``product``, ``channel`` the
        file has; one row per input row, in input order.

    Raises
    ------
    PortfolioDataError
        Empty file, missing required column, blank ids/dates/amounts, unparseable dates or
        amounts, dates in the future.

    Warns
    -----
    DataQualityWarning
        Rows that are exact copies of an earlier row (kept).
    """
    raw = _read_raw(
        source, table="transactions", name=name, sheet=sheet, encoding=encoding, sep=sep
    )
    frame = _canonical_frame(
        raw, "transactions", mapping, date_format=date_format, dayfirst=dayfirst
    )
    if not allow_future_dates:
        reference = pd.Timestamp(today or pd.Timestamp.today()).normalize()
        _check_future(frame, "date", raw.name, reference)
    duplicated = frame.duplicated()
    if duplicated.any():
        warnings.warn(
            DataQualityWarning(
                "duplicate_rows",
                file=raw.name,
                count=int(duplicated.sum()),
                rows=frame.index[duplicated.to_numpy()].tolist(),
            ),
            stacklevel=2,
        )
    return _finish(frame)


def load_customers(
    source: Source,
    *,
    mapping: Mapping[str, str | None] | None = None,
    name: str | None = None,
    sheet: str | int | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    encoding: str | None = None,
    sep: str | None = None,
) -> pd.DataFrame:
    """Load the customer table: one row per customer, attributes used to slice analyses.

    Parameters
    ----------
    source, mapping, name, sheet, date_format, dayfirst, encoding, sep
        As in :func:`load_transactions`.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` then whichever of ``name``, ``sales_rep``, ``segment``, ``region``,
        ``acquisition_date``, ``acquisition_channel``, ``potential`` (float, yearly €) and
        ``relationship_quality`` (0-1) the file has. Customers without transactions are kept
        (prospects count in the potential matrix).

    Raises
    ------
    PortfolioDataError
        As for transactions, plus the same customer id on several rows, negative potential,
        relationship quality outside 0-1.
    """
    raw = _read_raw(source, table="customers", name=name, sheet=sheet, encoding=encoding, sep=sep)
    frame = _canonical_frame(raw, "customers", mapping, date_format=date_format, dayfirst=dayfirst)
    repeated = frame["customer_id"].duplicated(keep=False)
    if repeated.any():
        column = frame.attrs["mapping"]["customer_id"]
        raise _bad(raw.name, column, repeated, frame["customer_id"], "duplicate_ids")
    if "potential" in frame:
        negative = frame["potential"] < 0
        if negative.any():
            raise _bad(
                raw.name,
                frame.attrs["mapping"]["potential"],
                negative,
                frame["potential"],
                "out_of_range",
                allowed="zero or positive",
                allowed_fr="positif ou nul",
            )
    return _finish(frame)


def load_costs(
    source: Source,
    *,
    mapping: Mapping[str, str | None] | None = None,
    name: str | None = None,
    sheet: str | int | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    encoding: str | None = None,
    sep: str | None = None,
) -> pd.DataFrame:
    """Load monthly commercial spend: acquisition (winning customers) and retention.

    Parameters
    ----------
    source, mapping, name, sheet, date_format, dayfirst, encoding, sep
        As in :func:`load_transactions`.

    Returns
    -------
    pandas.DataFrame
        ``period`` (first day of the month), ``kind`` ('acquisition' or 'retention', from
        French or English words such as conquête, fidélisation), ``amount`` and, when present,
        ``channel``.
    """
    raw = _read_raw(source, table="costs", name=name, sheet=sheet, encoding=encoding, sep=sep)
    frame = _canonical_frame(raw, "costs", mapping, date_format=date_format, dayfirst=dayfirst)
    return _finish(frame)


# --------------------------------------------------------------------------------------------
# Cross-table checks


def check_customer_ids(
    transactions: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    unknown_customers: Literal["error", "keep"] = "error",
) -> pd.DataFrame:
    """Check that every customer of the transactions is in the customer table.

    Parameters
    ----------
    transactions, customers : pandas.DataFrame
        Canonical tables from the loaders.
    unknown_customers : {'error', 'keep'}, default 'error'
        ``'keep'`` adds the unknown customers to the table with empty attributes instead of
        raising.

    Returns
    -------
    pandas.DataFrame
        The customer table, extended with the unknown ids when ``'keep'``.
    """
    unknown = pd.Index(transactions["customer_id"].unique()).difference(customers["customer_id"])
    if len(unknown) == 0:
        return customers
    if unknown_customers == "keep":
        extra = pd.DataFrame({"customer_id": unknown.astype(object)})
        merged = pd.concat([customers, extra], ignore_index=True)
        merged.attrs.update(customers.attrs)
        return merged
    raise PortfolioDataError(
        "unknown_customers",
        file=customers.attrs.get("source", "customers"),
        count=len(unknown),
        examples=sorted(unknown)[:3],
    )


def check_cost_channels(costs: pd.DataFrame, customers: pd.DataFrame | None) -> None:
    """Warn when cost channels match no customer's acquisition channel (CAC would be empty)."""
    if customers is None or "channel" not in costs or "acquisition_channel" not in customers:
        return
    spent = set(costs.loc[costs["kind"].eq("acquisition"), "channel"].dropna())
    unused = sorted(spent - set(customers["acquisition_channel"].dropna()))
    if unused:
        warnings.warn(
            DataQualityWarning(
                "unused_cost_channels",
                file=costs.attrs.get("source", "costs"),
                examples=unused,
            ),
            stacklevel=2,
        )


def check_size(nbytes: int, *, limit_mb: float, name: str) -> None:
    """Raise a clear error when an upload is larger than ``limit_mb`` megabytes."""
    if nbytes > limit_mb * 1e6:
        raise PortfolioDataError(
            "file_too_large", file=name, size_mb=nbytes / 1e6, limit_mb=limit_mb
        )


@dataclass(frozen=True)
class Portfolio:
    """The three input tables, loaded and checked against each other."""

    transactions: pd.DataFrame
    customers: pd.DataFrame | None = None
    costs: pd.DataFrame | None = None


def load_portfolio(
    transactions: Source,
    customers: Source | None = None,
    costs: Source | None = None,
    *,
    unknown_customers: Literal["error", "keep"] = "error",
    **options: object,
) -> Portfolio:
    """Load transactions with the optional customer and cost tables, and cross-check them.

    Parameters
    ----------
    transactions, customers, costs : path, DataFrame, bytes or binary file
        The three sources; only transactions are required.
    unknown_customers : {'error', 'keep'}, default 'error'
        What to do with transaction customers missing from the customer table.
    **options
        Passed to :func:`load_transactions` (``date_format``, ``allow_future_dates``, ...).

    Returns
    -------
    Portfolio
    """
    tx = load_transactions(transactions, **options)  # type: ignore[arg-type]
    cust = load_customers(customers) if customers is not None else None
    cost = load_costs(costs) if costs is not None else None
    if cust is not None:
        cust = check_customer_ids(tx, cust, unknown_customers=unknown_customers)
    if cost is not None:
        check_cost_channels(cost, cust)
    return Portfolio(tx, cust, cost)
