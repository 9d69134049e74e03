"""Parse the cells of a raw table: ids, amounts, shares, dates, months and cost kinds.

Each parser works on the distinct values (few dates, ids repeat) and returns the parsed series,
missing where a cell cannot be read: :func:`portfolio_lib.data.load` turns those into a
:class:`~portfolio_lib.data.errors.PortfolioDataError` with :func:`cell_error`. French input just
works: decimal comma, thousands with spaces, dd/mm/yyyy dates, month names.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from portfolio_lib.data.errors import PortfolioDataError
from portfolio_lib.data.schema import normalise_header

__all__ = [
    "cell_error",
    "is_blank",
    "parse_amounts",
    "parse_cost_kinds",
    "parse_dates",
    "parse_ids",
    "parse_months",
    "parse_shares",
]

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
        return values.isna() | values.astype(str).str.strip().eq("")
    return values.isna()


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
    out = parsed.to_numpy()[codes] if len(uniques) else np.array([], dtype=parsed.dtype)
    result = pd.Series(out, index=values.index)
    if (codes < 0).any():
        result[codes < 0] = pd.NaT if parsed.dtype.kind == "M" else np.nan
    return result


def parse_ids(values: pd.Series) -> pd.Series:
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


def parse_amounts(values: pd.Series, decimal_hint: str = ".") -> pd.Series:
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
            result[rest] = parse_dates(u[rest], **date_options)
        return result.dt.to_period("M").dt.to_timestamp()

    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")
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
