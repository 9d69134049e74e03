"""Parse the cells of a raw table: ids, amounts, shares, dates, months and cost kinds.

Each parser works on the distinct values (few dates, ids repeat) and returns the parsed series,
missing where a cell cannot be read: :func:`portfolio_lib.data.load` turns those into a
:class:`~portfolio_lib.data.errors.PortfolioDataError` with :func:`cell_error`. French input just
works: decimal comma, thousands with spaces, dd/mm/yyyy dates, month names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.data.schema import normalise_header

__all__ = [
    "MAX_AMOUNT",
    "Distinct",
    "ambiguous_day_month",
    "ambiguous_thousands",
    "cell_error",
    "is_blank",
    "parse_amounts",
    "parse_cost_kinds",
    "parse_dates",
    "parse_distinct",
    "parse_ids",
    "parse_months",
    "parse_shares",
]

# No invoice line reaches a thousand trillion: beyond, a value is an export error (1e308, inf)
# that would make every total non-finite.
MAX_AMOUNT = 1e15

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


def is_blank(values: pd.Series) -> pd.Series:
    """True where a cell is missing or only spaces."""
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        return on_distinct(values, lambda u: u.astype(str).str.strip().eq(""), missing=True)
    return values.isna()


def on_distinct(
    values: pd.Series, test: Callable[[pd.Series], pd.Series], *, missing: bool = False
) -> pd.Series:
    """``test`` (True/False per value) run once per distinct value of ``values``; missing
    cells get ``missing``. A large workbook's column of a million cells has a few thousand
    distinct dates or amounts."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    flags = test(pd.Series(uniques, dtype=object)).to_numpy(dtype=bool)
    out = np.full(len(values), missing, dtype=bool)
    present = codes >= 0
    out[present] = flags[codes[present]]
    return pd.Series(out, index=values.index)


def cell_error(
    file: str, column: str, mask: pd.Series, values: pd.Series, code: str, **extra: object
) -> PortfolioDataError:
    """The error ``code`` for the cells of ``column`` where ``mask`` is True: their row numbers,
    their count and up to three distinct examples of ``values``."""
    rows = values.index[mask.to_numpy()].tolist()
    examples = values[mask].astype(str).unique()[:3].tolist()
    return PortfolioDataError(
        code, file=file, column=column, rows=rows, count=int(mask.sum()), examples=examples, **extra
    )


def _by_unique(values: pd.Series, parse) -> pd.Series:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = parse(pd.Series(uniques, dtype=values.dtype if len(uniques) else object))
    if not len(uniques):  # every cell missing (an optional column left empty)
        missing = pd.NaT if parsed.dtype.kind == "M" else np.nan
        return pd.Series(missing, index=values.index, dtype=parsed.dtype)
    out = parsed.to_numpy()[codes]
    result = pd.Series(out, index=values.index)
    if (codes < 0).any():
        result[codes < 0] = pd.NaT if parsed.dtype.kind == "M" else np.nan
    return result


# Characters no one sees in an id: C0 controls and DEL (tab and line breaks kept: strip() takes
# them at the ends), zero-width spaces and joiners, word joiner, byte order mark. Not the C1
# range: a latin-1 file's 0x81 is a byte of the file, kept as read.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff]")


def parse_ids(values: pd.Series) -> pd.Series:
    def parse(u: pd.Series) -> pd.Series:
        if pd.api.types.is_float_dtype(u.dtype) or u.dtype == object:
            # Excel stores codes like 1042 as 1042.0; keep them as the code people type.
            def clean(v: object) -> object:
                if isinstance(v, float) and v.is_integer():
                    return str(int(v))
                return _INVISIBLE.sub("", str(v)).strip()

            return u.map(clean).astype(object)
        # NUL bytes (C string ends from some exports), control characters and zero-width
        # spaces (pasted from the web) would make 'C021\x00' or 'C021\u200b' another customer.
        return u.astype(str).str.replace(_INVISIBLE, "", regex=True).str.strip().astype(object)

    ids = _by_unique(values, parse)
    return ids.where(~is_blank(values)).astype(object)


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


def _number_texts(u: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Texts of amounts without currency, spaces, brackets or trailing minus; and which of
    them are negative by those signs."""
    texts = u.astype(str).str.strip().str.replace(_NUMBER_CLEAN, "", regex=True)
    texts = texts.str.replace(_MINUS_SIGNS, "-", regex=True)
    negative = texts.str.fullmatch(r"\(.*\)") | texts.str.fullmatch(r"[\d.,]+-")
    texts = texts.str.strip("()").str.replace(r"^([\d.,]+)-$", r"\1", regex=True)
    return texts, negative


def ambiguous_thousands(values: pd.Series) -> pd.Series:
    """True for the text amounts whose reading is a guess: ``1.234`` or ``25,000`` (one mark,
    three digits after it) in a column where no value tells the decimal mark (``1.234,56``,
    ``12,5``). :func:`parse_amounts` reads them by the file's separator (``;``: decimal comma,
    so 1234 and 25000; ``,``: decimal point, so 1.234 and 25)."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return pd.Series(False, index=values.index)

    def test(distinct: pd.Series) -> pd.Series:
        texts = _number_texts(distinct.where(~is_blank(distinct), ""))[0]
        doubtful = texts.str.fullmatch(r"-?\d{1,3}[.,]\d{3}").fillna(False).astype(bool)
        if doubtful.any() and _decimal_mark(texts[texts.ne("")], "?") != "?":
            doubtful[:] = False
        return doubtful

    return on_distinct(values, test)


def parse_amounts(values: pd.Series, decimal_hint: str = ".") -> pd.Series:
    if pd.api.types.is_numeric_dtype(values.dtype) and values.dtype != bool:
        return values.astype(float)

    def parse(u: pd.Series) -> pd.Series:
        is_number = u.map(lambda v: isinstance(v, (int, float)))
        numeric = pd.to_numeric(u.where(is_number), "coerce")
        texts, negative = _number_texts(u)
        # Only text cells tell the mark: a number cell's str() always has a '.' (Excel).
        mark = _decimal_mark(texts[~is_number.astype(bool)], decimal_hint)
        thousands = "." if mark == "," else ","
        texts = texts.str.replace(thousands, "", regex=False).str.replace(mark, ".", regex=False)
        parsed = pd.to_numeric(texts, errors="coerce").astype(float)
        parsed = parsed.where(~negative, -parsed)
        return numeric.astype(float).fillna(parsed)

    return _by_unique(values, parse).astype(float)


_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?.*)?")
_ISO = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T].*)?")


def _as_ns(stamps: pd.Series) -> pd.Series:
    """Datetimes in nanoseconds, the unit of the frames; a date nanoseconds cannot hold
    (before 1677 or after 2262, e.g. a typo 2923) becomes NaT: a bad date, reported as such."""
    inside = stamps.isna() | ((stamps >= pd.Timestamp.min) & (stamps <= pd.Timestamp.max))
    return stamps.where(inside).astype("datetime64[ns]")


def parse_dates(
    values: pd.Series,
    *,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    file: str = "",
    column: str = "",
) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = values.dt.tz_localize(None) if values.dt.tz is not None else values
        return _as_ns(out.dt.normalize())

    def parse(u: pd.Series) -> pd.Series:
        result = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
        is_stamp = u.map(
            lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year")
        )
        if is_stamp.any():
            result[is_stamp] = _as_ns(pd.to_datetime(u[is_stamp].astype(object), errors="coerce"))
        texts = u[~is_stamp].astype(str).str.strip()
        if date_format:
            result[~is_stamp] = _as_ns(pd.to_datetime(texts, format=date_format, errors="coerce"))
            return result.dt.normalize()
        iso = texts.str.fullmatch(_ISO.pattern)
        if iso.any():
            result[iso[iso].index] = _as_ns(
                pd.to_datetime(texts[iso].str.slice(0, 10), format="ISO8601", errors="coerce")
            )
        compact = texts.str.fullmatch(r"(19|20)\d{6}")
        if compact.any():
            result[compact[compact].index] = _as_ns(
                pd.to_datetime(texts[compact], format="%Y%m%d", errors="coerce")
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
                # A date with both parts above 12 (45/13/2024) is no evidence: just a bad date.
                day_big, month_big = (first > 12) & (second <= 12), (second > 12) & (first <= 12)
                if day_big.any() and month_big.any():
                    raise _MixedFormats(texts[dmy][day_big].iloc[0], texts[dmy][month_big].iloc[0])
                day_first = not month_big.any()  # French default when nothing tells
            year = parts.loc[dmy, 2].astype(int)
            year = year.where(year >= 100, np.where(year < 70, 2000 + year, 1900 + year))
            result[dmy[dmy].index] = _as_ns(
                pd.to_datetime(
                    pd.DataFrame(
                        {
                            "year": year,
                            "month": second if day_first else first,
                            "day": first if day_first else second,
                        }
                    ),
                    errors="coerce",
                )
            )
        return result.dt.normalize()

    try:
        return _by_unique(values, parse).astype("datetime64[ns]")
    except _MixedFormats as mixed:  # the distinct values tell; the rows are the column's
        raise PortfolioDataError(
            "ambiguous_dates",
            file=file,
            column=column,
            first=mixed.first,
            second=mixed.second,
            rows=_rarer_format_rows(values),
        ) from None


class _MixedFormats(Exception):
    """Day-first (25/01) and month-first (01/25) dates in one column."""

    def __init__(self, first: str, second: str) -> None:
        super().__init__(first, second)
        self.first, self.second = first, second


def _rarer_format_rows(values: pd.Series) -> list[object]:
    """The rows of the rarer of the two formats of a mixed column: the ones to look at."""
    codes, first, second = _day_month_numbers(values)
    day_big, month_big = (first > 12) & (second <= 12), (second > 12) & (first <= 12)
    # Per row (code -1, a missing cell: the appended False).
    day_rows = np.append(day_big.to_numpy(dtype=bool), False)[codes]
    month_rows = np.append(month_big.to_numpy(dtype=bool), False)[codes]
    rarer = month_rows if month_rows.sum() <= day_rows.sum() else day_rows
    return values.index[rarer].tolist()


def _day_month_numbers(values: pd.Series) -> tuple[np.ndarray, pd.Series, pd.Series]:
    """The factorize codes of ``values`` and, per distinct value, the first and second
    numbers of a ``dd/mm/yyyy``-like date (NaN for other texts)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = pd.Series(uniques, dtype=object).astype(str).str.strip()
    parts = texts.str.extract("^" + _DMY.pattern + "$")
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    return codes, first, second


def ambiguous_day_month(values: pd.Series) -> pd.Series:
    """True for the dates such as ``01/05/2024`` that read day first or month first, in a
    column where no date has a day above 12 to tell (:func:`parse_dates` reads them day first,
    the French way); all False when one does."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return pd.Series(False, index=values.index)
    codes, first, second = _day_month_numbers(values)
    if ((first > 12) | (second > 12)).any():
        return pd.Series(False, index=values.index)
    flags = np.append((first.notna() & (first != second)).to_numpy(dtype=bool), False)
    return pd.Series(flags[codes], index=values.index)  # code -1 (missing): the last, False


def parse_months(values: pd.Series, **date_options: object) -> pd.Series:
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
                result[ok] = _as_ns(
                    pd.to_datetime(
                        pd.DataFrame(
                            {"year": year[ok].astype(int), "month": month[ok].astype(int), "day": 1}
                        ),
                        errors="coerce",
                    )
                )
        ok = named[0].notna() & named[0].isin(list(_MONTH_NAMES))
        if ok.any():
            year = named.loc[ok, 1].astype(int)
            year = year.where(year >= 100, 2000 + year)
            month = named.loc[ok, 0].map(_MONTH_NAMES)
            result[ok] = _as_ns(
                pd.to_datetime(
                    pd.DataFrame({"year": year, "month": month, "day": 1}), errors="coerce"
                )
            )
        rest = result.isna()
        if rest.any():
            result[rest] = parse_dates(u[rest], **date_options)
        return result.dt.to_period("M").dt.to_timestamp()

    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _as_ns(values.dt.to_period("M").dt.to_timestamp())
    return _by_unique(values, parse).astype("datetime64[ns]")


def parse_shares(values: pd.Series, decimal_hint: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype(float)
    texts = values.astype(str)
    percent = texts.str.contains("%", regex=False)
    parsed = parse_amounts(texts.str.replace("%", "", regex=False), decimal_hint)
    return parsed.where(~percent, parsed / 100).where(~is_blank(values))


def parse_cost_kinds(values: pd.Series) -> pd.Series:
    norm = values.map(normalise_header, na_action="ignore")
    kinds = pd.Series(np.nan, index=values.index, dtype=object)
    kinds[norm.isin(_ACQUISITION_WORDS)] = "acquisition"
    kinds[norm.isin(_RETENTION_WORDS)] = "retention"
    return kinds


# --------------------------------------------------------------------------------------------
# Columnar parsing: the parsers above, run once per distinct value of an Arrow column

_TEXT = pd.StringDtype(na_value=np.nan)  # what read_csv(dtype=str) gives the parsers
# Amounts Arrow converts itself: digits, one optional decimal mark, spaces as thousands.
_SPACES = "[ \u00a0\u202f]"
_PLAIN_NUMBER = r"^-?[0-9]+([.,][0-9]+)?$"


# The characters str.strip() removes (str.isspace), for Arrow's regular expressions.
_PY_SPACE = "[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_EDGE_SPACE = f"^{_PY_SPACE}|{_PY_SPACE}$"


@dataclass(frozen=True)
class Distinct:
    """A parsed column: ``values`` per row, and ``keys`` (equal where values are equal, -1
    where missing) for the duplicate-row check, or None when too costly to compute (the
    check then compares the values)."""

    values: np.ndarray
    keys: np.ndarray | None


def _arrow_amounts(texts: pa.Array, decimal_hint: str) -> pd.Series | None:
    """:func:`parse_amounts` of plain numbers (``-1234,5``, ``1 234.50``), None for others.

    Same decimal-mark votes as :func:`_decimal_mark`: a value has one mark at most, so only
    1-2 or 4+ decimals vote, and a tie takes the hint.
    """
    if not pc.all(pc.match_substring_regex(texts, _PLAIN_NUMBER)).as_py():
        texts = pc.replace_substring_regex(texts, _SPACES, "")
        if not pc.all(pc.match_substring_regex(texts, _PLAIN_NUMBER)).as_py():
            return None
    # A plain number has at least one decimal after its mark: it votes unless it has three.
    lengths = pc.binary_length(texts).to_numpy()
    votes, found = {}, {}
    for mark in ",.":
        position = pc.find_substring(texts, mark).to_numpy()
        found[mark] = bool((position >= 0).any())
        votes[mark] = int(((position >= 0) & (lengths - position - 1 != 3)).sum())
    mark = decimal_hint
    if votes[","] != votes["."]:
        mark = "," if votes[","] > votes["."] else "."
    thousands = "." if mark == "," else ","
    if found[thousands]:
        texts = pc.replace_substring(texts, thousands, "")
    if mark == "," and found[","]:
        texts = pc.replace_substring(texts, ",", ".")
    return pd.Series(pc.cast(texts, pa.float64()).to_numpy(zero_copy_only=False))


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _is_text(kind.value_type)
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _encoded(column: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """The distinct values of a text column, in order of appearance, and each row's code
    (-1 for a missing cell)."""
    if pa.types.is_dictionary(column.type):
        # Blocks read apart have their own dictionaries: unified into one (a single chunk
        # already has one).
        if column.num_chunks > 1:
            column = column.unify_dictionaries()
        encoded = column.combine_chunks()
    else:
        encoded = pc.dictionary_encode(column).combine_chunks()
    return encoded.dictionary, pc.fill_null(encoded.indices, -1).to_numpy()


def _texts(column: pa.ChunkedArray) -> Distinct:
    """Text cells stripped, blank ones missing (as :mod:`portfolio_lib.data.load` does)."""
    starts = None
    if not pa.types.is_dictionary(column.type) and len(column) > 1:
        changes = pc.not_equal(column[1:], column[:-1]).fill_null(True)
        starts = np.flatnonzero(np.concatenate([[True], changes.to_numpy()]))
    if starts is not None and 4 * len(starts) <= 3 * len(column):
        # Sorted exports (invoice numbers): one Python string per run of equal cells.
        distinct, codes = column.take(pa.array(starts)).combine_chunks(), None
    else:
        distinct, codes = _encoded(column)
    if pc.any(pc.match_substring_regex(distinct, _EDGE_SPACE)).as_py():
        texts = pd.Series(pd.array(distinct, dtype=_TEXT))
        texts = texts.where(~is_blank(texts)).map(lambda v: str(v).strip(), na_action="ignore")
        values = texts.astype(object).to_numpy()
    else:
        values = distinct.to_numpy(zero_copy_only=False)
        if distinct.null_count:
            values[pc.is_null(distinct).to_numpy(zero_copy_only=False)] = np.nan
        empty = pc.equal(distinct, "").fill_null(False)
        if pc.any(empty).as_py():
            values[empty.to_numpy(zero_copy_only=False)] = np.nan
    if codes is None:
        return Distinct(np.repeat(values, np.diff(np.append(starts, len(column)))), None)
    # Keys from the distinct values: equal texts after stripping share one, missing is -1.
    keys = np.append(pd.factorize(values)[0].astype(np.int32), np.int32(-1))
    return Distinct(np.append(values, np.nan)[codes], keys[codes])


def parse_distinct(
    column: pa.ChunkedArray,
    kind: str,
    *,
    required: bool,
    decimal_hint: str = ".",
    date_format: str | None = None,
    dayfirst: bool | None = None,
    file: str = "",
    name: str = "",
) -> Distinct | None:
    """Parse an Arrow column of kind id, amount, date or text, each distinct value once.

    Arrow finds the distinct values (in order of first appearance, as :func:`pandas.factorize`)
    and the plain parsers above read them; plain numbers are converted by Arrow. Returns None
    when the plain path must decide: a blank required cell, a cell that does not parse, an
    ambiguous date column, another kind; :mod:`portfolio_lib.data.load` then runs the plain
    path, which raises the error with its rows.
    """
    if kind not in ("id", "amount", "date", "text"):
        return None
    is_text = _is_text(column.type)
    if kind == "text" and is_text and not required:
        return _texts(column)
    if not is_text:
        # Typed Parquet columns: the plain parsers are vectorised on them.
        uniques = column.to_pandas()
        codes = np.arange(len(uniques))
    else:
        dictionary, codes = _encoded(column)
        uniques = pd.Series(pd.array(dictionary, dtype=_TEXT))
    blank = is_blank(uniques)
    has_null = bool(column.null_count)
    if required and (has_null or blank.any()):
        return None
    try:
        if kind == "id":
            parsed = parse_ids(uniques)
        elif kind == "amount":
            parsed = None
            if is_text and not has_null and not blank.any():
                parsed = _arrow_amounts(dictionary, decimal_hint)
            if parsed is None:
                parsed = parse_amounts(uniques, decimal_hint)
        elif kind == "date":
            parsed = parse_dates(
                uniques, date_format=date_format, dayfirst=dayfirst, file=file, column=name
            )
        else:
            parsed = uniques.where(~blank).map(lambda v: str(v).strip(), na_action="ignore")
            parsed = parsed.astype(object)
    except PortfolioDataError:
        return None
    parsed = parsed.reset_index(drop=True)
    if (parsed.isna() & ~blank.to_numpy()).any():
        return None
    keys = pd.factorize(parsed)[0].astype(np.int32)
    if (codes < 0).any():
        # Code -1 (a null cell) takes the appended missing value.
        missing = pd.Series([pd.NaT if parsed.dtype.kind == "M" else np.nan], dtype=parsed.dtype)
        parsed = pd.concat([parsed, missing], ignore_index=True)
        keys = np.append(keys, np.int32(-1))
    return Distinct(parsed.to_numpy().take(codes), keys.take(codes))
