"""Read CSV, Excel and Parquet files (or take a DataFrame) into raw tables, cells untouched.

French exports just work: ``;`` separator, cp1252 or UTF-8 with BOM, a title line above the
header. The encoding and the separator are detected unless given; the header is the first line
naming a required column of the table. Rows keep the numbers a person sees in the file, for the
messages of :mod:`portfolio_lib.data.load`. Unreadable, empty or unsupported files raise
:class:`~portfolio_lib.data.errors.PortfolioDataError`.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.data.schema import fields_of, normalise_header

__all__ = ["RawTable", "Source", "read_raw", "read_table"]

Source = str | os.PathLike | pd.DataFrame | bytes | memoryview | IO[bytes]

_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_SEPARATORS = (";", ",", "\t", "|")
_HEADER_SCAN_ROWS = 30
_CHUNK = 1 << 20  # UTF-8 is checked by chunks: a whole large file decoded would be a copy


@dataclass(frozen=True)
class RawTable:
    """A table as read, all cells untouched, indexed by the row numbers a person sees.

    ``sep`` is the CSV separator (None for other formats): a ``;`` file writes decimal commas.
    """

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
) -> RawTable:
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
    return RawTable(frame, name, sep)


def _read_excel(data: bytes, name: str, table: str | None, sheet: str | int | None) -> RawTable:
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
    return RawTable(frame, name)


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
    return read_raw(source, table=table, name=name, sheet=sheet, encoding=encoding, sep=sep).frame


def read_raw(
    source: Source,
    *,
    table: str | None,
    name: str | None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    sep: str | None = None,
) -> RawTable:
    """:func:`read_table`'s table with its file name and CSV separator; blank rows and unnamed
    empty columns dropped."""
    name = _source_name(source, name)
    if isinstance(source, pd.DataFrame):
        raw = RawTable(source, name)
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
            raw = RawTable(frame, name)
    frame = raw.frame
    frame = frame.loc[
        :, [not str(c).startswith("Unnamed:") or frame[c].notna().any() for c in frame]
    ]
    frame = frame.dropna(how="all")
    if frame.empty:
        raise PortfolioDataError("empty_file", file=name)
    return RawTable(frame, raw.name, raw.sep)
