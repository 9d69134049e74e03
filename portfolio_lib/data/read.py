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
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.data.schema import fields_of, normalise_header

__all__ = [
    "ArrowTable",
    "RawTable",
    "Source",
    "excel_sheet_ref",
    "read_arrow",
    "read_raw",
    "read_table",
]

Source = str | os.PathLike | pd.DataFrame | bytes | memoryview | IO[bytes]

_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_SEPARATORS = (";", ",", "\t", "|")
_HEADER_SCAN_ROWS = 30
_HEAD = 64 * 1024  # bytes read to find the header and the separator
_CHUNK = 1 << 20  # UTF-8 is checked by chunks: a whole large file decoded would be a copy
_BLOCK = 16 << 20  # bytes of CSV Arrow parses at once (a few hundred thousand lines)
_SAMPLE = 1 << 16  # lines whose distinct values decide if a column is dictionary-encoded


@dataclass(frozen=True)
class RawTable:
    """A table as read, all cells untouched, indexed by the row numbers a person sees.

    ``sep`` is the CSV separator (None for other formats): a ``;`` file writes decimal commas.
    For a workbook, ``sheet`` is the sheet read and ``letters`` each column's Excel letter, for
    messages naming cells the Excel way (``Feuil1!C17``).
    """

    frame: pd.DataFrame
    name: str
    sep: str | None = None
    sheet: str | None = None
    letters: Mapping[str, str] | None = None

    def cells(self, column: str, rows: Iterable[int]) -> list[str]:
        """The Excel names of the cells of ``column`` at ``rows`` (empty for other formats)."""
        if self.sheet is None or not self.letters or column not in self.letters:
            return []
        return [f"{excel_sheet_ref(self.sheet)}!{self.letters[column]}{row}" for row in rows]


@dataclass(frozen=True)
class ArrowTable:
    """A table as Arrow read it: CSV cells as strings (empty cells null; columns with few
    distinct values dictionary-encoded, one dictionary per block read), Parquet as stored.

    ``first_row`` is the row number a person sees for the first data row; ``sep`` as in
    :class:`RawTable`.
    """

    table: pa.Table
    name: str
    sep: str | None
    first_row: int


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


def _is_utf8(chunks: Iterable[bytes]) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for piece in chunks:
            decoder.decode(piece)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# The five bytes cp1252 leaves undefined: a file without them decodes as cp1252.
_NOT_CP1252 = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


# French letters in Mac Roman that cp1252 reads as symbols (é -> Ž, è/ê -> undefined, à -> ˆ,
# ç -> undefined, ô -> ™, É -> ƒ, ù -> undefined...); not 0x91-0x94, cp1252's quotes.
_MAC_FRENCH = re.compile(
    rb"(?<=[A-Za-z])[\x82\x83\x88\x89\x8d-\x90\x95\x99\x9d-\x9f]|"
    rb"[\x82\x83\x88\x89\x8d-\x90\x95\x99\x9d-\x9f](?=[A-Za-z])"
)
_LATIN_LETTER = re.compile(rb"(?<=[A-Za-z])[\xc0-\xff]|[\xc0-\xff](?=[A-Za-z])")


def _looks_mac_roman(data: bytes) -> bool:
    """More French letters read as Mac Roman than as cp1252 (``ƒlectricitŽ``: électricité)."""
    mac = len(_MAC_FRENCH.findall(data))
    return mac > 0 and mac > len(_LATIN_LETTER.findall(data))


def _detect_encoding(data: bytes, chunks: Callable[[], Iterable[bytes]] | None = None) -> str:
    """The encoding of a file starting with ``data``; ``chunks()`` gives the whole file by
    pieces (default: ``data`` itself), every piece decoded to check UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4 and head.count(0) * 3 >= len(head):
        # UTF-16 without its byte order mark: a NUL byte beside every ASCII character.
        return "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
    if chunks is None:

        def chunks() -> Iterable[bytes]:
            return (data[start : start + _CHUNK] for start in range(0, len(data), _CHUNK))

    if _is_utf8(chunks()):
        return "utf-8"
    if _looks_mac_roman(data):
        return "mac_roman"
    # French Windows exports; cp1252 leaves five bytes undefined, latin-1 none.
    if any(byte in piece for piece in chunks() for byte in _NOT_CP1252):
        return "latin-1"
    return "cp1252"


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
    """Index of the header line: the first naming the most required fields, else the first.

    Most, not any: a filter criteria block above a table (``client | montant`` over
    ``A* | >100``) names some of the fields too, and the table's header names them all.
    """
    if table is None:
        return 0
    required = [
        {normalise_header(s) for s in (f.name, *f.synonyms)} for f in fields_of(table) if f.required
    ]
    best, best_count = 0, 0
    for i, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        names = {normalise_header(c) for c in row if isinstance(c, str)}
        count = sum(1 for synonyms in required if names & synonyms)
        if count > best_count:
            best, best_count = i, count
            if count == len(required):
                break
    return best


def _layout(
    head: bytes, cut: bool, name: str, table: str | None, encoding: str, sep: str | None
) -> tuple[list[str], int, str]:
    """The first lines of a CSV file, the index of its header line and its separator."""
    lines = head.decode(encoding, errors="replace").splitlines()
    if cut:
        lines = lines[:-1]  # the last line may be cut in the middle
    lines = lines[:_HEADER_SCAN_ROWS]
    if not any(line.strip() for line in lines):
        raise PortfolioDataError("empty_file", file=name)
    skip = 0
    if table is not None:
        probe_sep = sep or _sniff_separator(lines)
        skip = _header_row(list(csv.reader(lines, delimiter=probe_sep)), table)
    return lines, skip, sep or _sniff_separator(lines[skip:])


def _read_csv(
    data: bytes, name: str, table: str | None, encoding: str | None, sep: str | None
) -> RawTable:
    encoding = encoding or _detect_encoding(data)
    _, skip, sep = _layout(data[:_HEAD], len(data) > _HEAD, name, table, encoding, sep)
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
        uneven = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if uneven:
            expected, line, saw = (int(n) for n in uneven.groups())
            raise PortfolioDataError(
                "uneven_row", file=name, rows=[line], expected=expected, saw=saw, sep=sep
            ) from exc
        raise PortfolioDataError("unreadable_file", file=name, reason=str(exc).strip()) from exc
    except pd.errors.EmptyDataError as exc:
        raise PortfolioDataError("empty_file", file=name) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if not isinstance(frame.index, pd.RangeIndex):
        # Every data row has more fields than the header: pandas made the first an index.
        raise PortfolioDataError(
            "extra_fields",
            file=name,
            sep=sep,
            column=_amount_column(list(frame.columns), table),
            rows=list(_line_numbers(data, skip, len(frame), encoding)),
        )
    # Row numbers as a text editor or Excel shows them: header on line skip + 1.
    frame.index = _line_numbers(data, skip, len(frame), encoding)
    return RawTable(frame, name, sep)


def _amount_column(columns: list[str], table: str | None) -> str:
    """The column that looks like the amount, for messages ('?' if none does)."""
    for field in fields_of(table) if table else ():
        if field.name == "amount":
            names = [normalise_header(n) for n in (field.name, *field.synonyms)]
            found = [c for c in columns if normalise_header(c) in names]
            if found:
                return min(found, key=lambda c: names.index(normalise_header(c)))
    return "?"


def _line_numbers(data: bytes, skip: int, n: int, encoding: str) -> pd.Index:
    """The line of each data row: skip + 2 onwards, past the blank lines read_csv skips."""
    plain = pd.RangeIndex(skip + 2, skip + 2 + n)
    if codecs.lookup(encoding).name.startswith("utf-16"):
        return plain
    body = data.split(b"\n", skip + 1)[-1] if skip + 1 <= data.count(b"\n") else b""
    if not re.search(rb"\n[ \t\r]*\n", b"\n" + body.rstrip(b"\r\n \t")):
        return plain
    lines = np.array([bool(line.strip()) for line in body.split(b"\n")])
    numbers = skip + 2 + np.flatnonzero(lines)
    # A quoted cell over several lines: the lines no longer match the rows.
    return pd.Index(numbers[:n]) if len(numbers) == n else plain


# The reader of Excel files: python-calamine (Rust) reads a 1M-row workbook about 6 times
# faster than openpyxl, cells as openpyxl gives them (benchmarks/excel_ingest.py).
EXCEL_ENGINE = "calamine"

# A cell holding a formula without its value (files written by programs such as openpyxl):
# ``<c r="D5"><f>D4*2</f><v></v></c>``. Excel writes ``t="str"`` for a formula giving "".
_NO_VALUE = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]+)"(?![^>]*\bt="str")[^>]*>\s*'
    rb"<f\b[^>]*(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>"
)


def excel_sheet_ref(sheet: str) -> str:
    """A sheet name as Excel writes it in a reference.

    Examples
    --------
    >>> excel_sheet_ref("Données"), excel_sheet_ref("Ventes 2024"), excel_sheet_ref("L'an")
    ('Données', "'Ventes 2024'", "'L''an'")
    """
    if re.fullmatch(r"[^\W\d][\w.]*", sheet):  # letters (accents too), digits, _ and .
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def _letter(index: int) -> str:
    """Excel's letter of the column at 0-based ``index``: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _formulas_without_values(data: bytes, sheet: str) -> list[tuple[str, int]]:
    """The cells (letters, row) of ``sheet`` holding a formula whose value is not stored."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            ids = [
                value
                for node in book.findall(".//{*}sheet")
                if node.get("name") == sheet
                for key, value in node.attrib.items()
                if key.endswith("}id")
            ]
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            target = next(r.get("Target", "") for r in rels if ids and r.get("Id") == ids[0])
            xml = archive.read(target.lstrip("/") if target.startswith("/") else "xl/" + target)
    except (KeyError, StopIteration, zipfile.BadZipFile, ElementTree.ParseError):
        return []  # not an .xlsx zip (.xls), or laid out otherwise: nothing to say
    if b"<f" not in xml:
        return []
    return [(m[1].decode(), int(m[2])) for m in _NO_VALUE.finditer(xml)]


# A cell reference Excel cannot write (a column of 4+ letters, a row of 8+ digits), or one
# far right *and* far down (3 letters, 7 digits): the reader would allocate the whole range.
# The patterns start with the literal r=" (a fast scan of a large sheet); the attribute's
# start, what a leading \b would check, is checked by _has_reference.
_IMPOSSIBLE_CELL = re.compile(rb'r="(?:[A-Z]{4,}[0-9]|[A-Z]{1,3}[0-9]{8,})')
_FAR_RIGHT, _FAR_DOWN = re.compile(rb'r="[A-Z]{3}[0-9]'), re.compile(rb'r="[A-Z]{1,3}[0-9]{7}"')
_WORD = re.compile(rb"\w")


def _has_reference(pattern: re.Pattern[bytes], xml: bytes) -> bool:
    """Whether ``pattern`` matches an ``r`` attribute of ``xml`` (not the end of a longer
    attribute name such as ``spr=``)."""
    return any(
        match.start() == 0 or not _WORD.fullmatch(xml, match.start() - 1, match.start())
        for match in pattern.finditer(xml)
    )


def _check_sheet_extents(data: bytes, name: str) -> None:
    """Refuse a workbook whose sheets reach cells so far away that reading them would take
    all the memory (a damaged file, or stray cells at the far end of a sheet)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
            for member in members:
                xml = archive.read(member)
                huge = _has_reference(_IMPOSSIBLE_CELL, xml) or (
                    _has_reference(_FAR_RIGHT, xml) and _has_reference(_FAR_DOWN, xml)
                )
                if huge:
                    raise PortfolioDataError(
                        "sheet_too_large", file=name, sheet=member.rsplit("/", 1)[-1]
                    )
    except PortfolioDataError:
        raise
    except Exception:  # zipfile raises many types for a damaged zip: the reader says so
        return


def _read_excel(data: bytes, name: str, table: str | None, sheet: str | int | None) -> RawTable:
    _check_sheet_extents(data, name)
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine=EXCEL_ENGINE)
        names = [str(n) for n in book.sheet_names]
        chosen: str | int = sheet if sheet is not None else 0
        # The sheet is read once, header included: calamine reads a whole sheet even for
        # its first rows.
        whole = pd.read_excel(book, chosen, header=None, dtype=object)
        if (
            sheet is None
            and len(names) > 1
            and table is not None
            and not _names_a_field(whole.iloc[:_HEADER_SCAN_ROWS], table)
        ):
            # The first sheet holds no table of ours (notes, a cover page): take the first
            # that does, and say which one in every message.
            for candidate in names[1:]:
                other = pd.read_excel(book, candidate, header=None, dtype=object)
                if _names_a_field(other.iloc[:_HEADER_SCAN_ROWS], table):
                    chosen, whole = candidate, other
                    break
        skip = _header_row(whole.iloc[:_HEADER_SCAN_ROWS].values.tolist(), table)
        frame = _below_header(whole, skip)
    except Exception as exc:  # the readers raise zip, XML, key and value errors on bad files
        raise PortfolioDataError("unreadable_file", file=name, reason=str(exc).strip()) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(skip + 2, skip + 2 + len(frame))
    read = names[chosen] if isinstance(chosen, int) else str(chosen)
    letters = {column: _letter(i) for i, column in enumerate(frame.columns)}
    if len(names) > 1:
        others = ", ".join(repr(n) for n in names if n != read)
        # Messages then say which sheet was read and how to read another.
        name = f"{name} (sheet {read!r} of {len(names)}; others: {others}; choose with sheet=)"
    if frame.isna().to_numpy().any():
        # A formula without its stored value reads as an empty cell: say so, not "blank".
        columns = {letter: column for column, letter in letters.items()}
        cells = [(c, r) for c, r in _formulas_without_values(data, read) if r > skip + 1]
        if cells:
            raise PortfolioDataError(
                "formulas_without_values",
                file=name,
                column=columns.get(cells[0][0], cells[0][0]),
                rows=sorted({r for _, r in cells}),
                count=len(cells),
                cells=[f"{excel_sheet_ref(read)}!{c}{r}" for c, r in cells],
            )
    return RawTable(frame, name, sheet=read, letters=letters)


def _below_header(whole: pd.DataFrame, skip: int) -> pd.DataFrame:
    """The rows below line ``skip`` named by it, as ``read_excel(header=skip)`` names them:
    blank names 'Unnamed: <position>', repeated ones 'montant.1', 'montant.2'..."""
    if whole.empty:
        return whole
    names: list[str] = []
    for position, value in enumerate(whole.iloc[skip].tolist()):
        name = f"Unnamed: {position}" if pd.isna(value) else str(value)
        base, count = name, 0
        while name in names:
            count += 1
            name = f"{base}.{count}"
        names.append(name)
    frame = whole.iloc[skip + 1 :].copy()
    frame.columns = names
    return frame


def _names_a_field(top: pd.DataFrame, table: str) -> bool:
    wanted = {
        normalise_header(s) for f in fields_of(table) if f.required for s in (f.name, *f.synonyms)
    }
    return any(
        normalise_header(c) in wanted
        for row in top.values.tolist()
        for c in row
        if isinstance(c, str)
    )


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
                for column in frame.columns:  # text is checked when read, not when first used
                    if hasattr(frame[column].array, "__arrow_array__"):
                        pa.array(frame[column].array).validate(full=True)
            except Exception as exc:  # pyarrow raises many types for corrupt files
                raise PortfolioDataError(
                    "unreadable_file", file=name, reason=str(exc).strip()
                ) from exc
            frame.index = pd.RangeIndex(1, len(frame) + 1)
            raw = RawTable(frame, name)
    frame = raw.frame
    if table is not None and not isinstance(source, pd.DataFrame):
        _refuse_repeated_columns([str(c) for c in frame.columns], table, raw.name)
    frame = frame.loc[
        :, [not str(c).startswith("Unnamed:") or frame[c].notna().any() for c in frame]
    ]
    frame = frame.dropna(how="all")
    if frame.empty:
        raise PortfolioDataError("empty_file", file=name)
    return RawTable(frame, raw.name, raw.sep, raw.sheet, raw.letters)


def _refuse_repeated_columns(columns: list[str], table: str, name: str) -> None:
    """Refuse a header naming a column of ours twice (``montant;montant``): which one holds
    the amounts cannot be told, and the readers would silently take the first."""
    known = {normalise_header(s) for f in fields_of(table) for s in (f.name, *f.synonyms)}
    present = set(columns)
    for column in columns:
        # pandas reads a repeated name as 'montant.1', 'montant.2'...
        base, dot, number = column.rpartition(".")
        if dot and number.isdigit() and base in present and normalise_header(base) in known:
            count = 1 + sum(1 for c in columns if c.rpartition(".")[0] == base)
            raise PortfolioDataError("repeated_columns", file=name, column=base, count=count)


def _arrow_csv(
    source: str | os.PathLike | bytes, name: str, table: str, encoding: str | None, sep: str | None
) -> ArrowTable | None:
    if isinstance(source, bytes):
        head, size = source[:_HEAD], len(source)
        if encoding is None:
            encoding = _detect_encoding(source)
        data: object = pa.py_buffer(source)
    else:
        path = Path(source)
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(_HEAD)

        def chunks() -> Iterable[bytes]:
            with path.open("rb") as handle:
                yield from iter(lambda: handle.read(_CHUNK), b"")

        encoding = encoding or _detect_encoding(head, chunks)
        data = str(path)
    lines, skip, sep = _layout(head, size > _HEAD, name, table, encoding, sep)
    if skip >= len(lines):
        return None
    header = next(csv.reader([lines[skip]], delimiter=sep), [])
    names = [c.strip() for c in header]
    if not header or "" in names or len(set(names)) < len(names):
        return None  # pandas renames blank and repeated names: read_raw decides
    codec = codecs.lookup(encoding).name
    # cp1252 and latin-1 files are read as bytes, not transcoded: ids, dates and amounts are
    # ASCII, and only the distinct values of other columns are decoded (by _encoded_block).
    single_byte = codec in ("cp1252", "iso8859-1")
    if single_byte and any('"' in line for line in lines[: skip + 1]):
        return None  # a quoted title or header: Arrow could count its lines differently
    kind = pa.binary() if single_byte else pa.string()
    try:
        # Streamed by blocks, each column dictionary-encoded as it comes: the table holds each
        # block's distinct values and one integer per cell, not every cell's text (a 20M-line
        # export then fits in a few hundred MB instead of several GB).
        reader = pa_csv.open_csv(
            pa.BufferReader(data) if isinstance(data, pa.Buffer) else data,
            read_options=pa_csv.ReadOptions(
                encoding="utf8" if codec == "utf-8" or single_byte else encoding,
                skip_rows=skip + 1 if single_byte else skip,
                column_names=header if single_byte else None,
                block_size=_BLOCK,
            ),
            # A blank line inside the data fails here: read_raw numbers the rows after it.
            parse_options=pa_csv.ParseOptions(delimiter=sep, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(header, kind),
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
        if reader.schema.names != header:
            return None
        blocks: list[list[pa.Array]] = [[] for _ in header]
        plain: list[bool] = []
        for batch in reader:
            for i, column in enumerate(batch.columns):
                if len(plain) <= i:
                    # Mostly distinct cells (invoice numbers, amounts) stay plain text: a
                    # dictionary would only add its indices. The first lines decide.
                    sample = pc.unique(column.slice(0, _SAMPLE))
                    plain.append(2 * len(sample) > min(len(column), _SAMPLE))
                if plain[i]:
                    blocks[i].append(_text_block(column, encoding if single_byte else None))
                else:
                    blocks[i].append(_encoded_block(column, encoding if single_byte else None))
    except (pa.ArrowException, UnicodeDecodeError, LookupError):
        return None
    if not blocks[0]:
        return None
    arrow = pa.table([pa.chunked_array(cells) for cells in blocks], names=header)
    if arrow.num_rows == 0:
        return None
    return ArrowTable(arrow.rename_columns(names), name, sep, skip + 2)


def _text_block(column: pa.Array, encoding: str | None) -> pa.Array:
    """A block of cells as strings; ``encoding`` decodes bytes (cp1252...)."""
    if encoding is None:
        return column
    text = column.view(pa.string())  # viewed, not cast: no copy, and ASCII is valid UTF-8
    if pc.all(pc.string_is_ascii(text)).as_py() is not False:
        return text
    encoded = _encoded_block(column, encoding)
    return encoded.dictionary.take(encoded.indices)


def _encoded_block(column: pa.Array, encoding: str | None) -> pa.DictionaryArray:
    """A block of cells as a dictionary of strings; ``encoding`` decodes bytes (cp1252...)."""
    encoded = pc.dictionary_encode(column)
    words = encoded.dictionary
    if encoding is not None:
        text = words.view(pa.string())
        if pc.all(pc.string_is_ascii(text)).as_py() is False:
            # Only this block's distinct values are decoded, one by one.
            text = pa.array([w.decode(encoding) for w in words.to_pylist()], pa.string())
        words = text
    return pa.DictionaryArray.from_arrays(encoded.indices, words)


def read_arrow(
    source: Source,
    *,
    table: str,
    name: str | None = None,
    encoding: str | None = None,
    sep: str | None = None,
) -> ArrowTable | None:
    """Read a CSV or Parquet file with Arrow, columnar and multi-threaded, for large files.

    The tuned reader behind :func:`read_raw`: it returns None whenever its table could differ
    from read_raw's (an Excel file, a DataFrame, repeated or blank column names, rows of
    uneven length, an empty file, a file Arrow cannot read...), and the caller then uses
    :func:`read_raw`, which decides and gives the messages. Paths are read by Arrow without
    loading the file in memory first.
    """
    if isinstance(source, pd.DataFrame):
        return None
    name = _source_name(source, name)
    suffix = Path(name).suffix.lower()
    if isinstance(source, (bytearray, memoryview)):
        source = bytes(source)
    if not isinstance(source, (str, os.PathLike, bytes)) or (
        not isinstance(source, bytes) and not Path(source).is_file()
    ):
        return None
    if suffix in _CSV_SUFFIXES:
        try:
            return _arrow_csv(source, name, table, encoding, sep)
        except PortfolioDataError:
            return None
    if suffix in _PARQUET_SUFFIXES:
        try:
            arrow = pq.read_table(pa.py_buffer(source) if isinstance(source, bytes) else source)
        except Exception:  # pyarrow raises many types for corrupt files: read_raw reports
            return None
        if arrow.num_rows == 0 or any(str(c).startswith("Unnamed:") for c in arrow.column_names):
            return None
        return ArrowTable(arrow, name, None, 1)
    return None
