"""Load transactions, customers and costs: map the columns, parse and check the cells.

A source (CSV, Excel, Parquet or a DataFrame) is read by :mod:`portfolio_lib.data.read`, its
columns are mapped onto the canonical names of :mod:`portfolio_lib.data.schema` by an explicit
``mapping`` or by recognised French and English names, and its cells are parsed by
:mod:`portfolio_lib.data.parse`. Every problem raises
:class:`~portfolio_lib.data.errors.PortfolioDataError` naming the file, the column, the
spreadsheet row numbers and the fix; doubtful but usable input (duplicate rows, unknown cost
channels) gives a :class:`~portfolio_lib.data.errors.DataQualityWarning`.

Transaction files (CSV, Parquet) take a tuned path first: Arrow reads the file
(:func:`~portfolio_lib.data.read.read_arrow`) and each distinct value of a column is parsed
once (:func:`~portfolio_lib.data.parse.parse_distinct`), by the same parsers. Whenever that
path is in doubt (a cell that does not parse, an odd layout, Excel, a DataFrame) the plain
pandas path runs and decides: same frames, same errors, same warnings; ``fast=False`` runs
only the plain path, the reference tests compare the tuned one with.

The raw input is never modified: loaders return new frames with canonical columns only.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError
from portfolio_lib.data.parse import (
    MAX_AMOUNT,
    ambiguous_day_month,
    ambiguous_thousands,
    cell_error,
    is_blank,
    parse_amounts,
    parse_cost_kinds,
    parse_dates,
    parse_distinct,
    parse_ids,
    parse_months,
    parse_shares,
)
from portfolio_lib.data.read import ArrowTable, RawTable, Source, read_arrow, read_raw, read_table
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
# Loaders


def _canonical_frame(
    raw: RawTable,
    table: str,
    mapping: Mapping[str, str | None] | None,
    *,
    date_format: str | None,
    dayfirst: bool | None,
) -> pd.DataFrame:
    try:
        return _parsed_frame(raw, table, mapping, date_format=date_format, dayfirst=dayfirst)
    except PortfolioDataError as error:
        cells = raw.cells(error.column or "", error.rows)
        if not cells or "cells" in error.details:
            raise
        # A bad value in a workbook: its cells named the Excel way too (Feuil1!C17).
        raise PortfolioDataError(
            error.code, file=error.file, **error.details, cells=cells
        ) from error


def _parsed_frame(
    raw: RawTable,
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
        blank = is_blank(values)
        if field.required and blank.any():
            raise cell_error(raw.name, column, blank, values.astype(str), "missing_values")
        if field.kind == "id":
            parsed = parse_ids(values)
        elif field.kind == "amount":
            parsed = parse_amounts(values, decimal_hint)
            huge = parsed.notna() & ~(parsed.abs() < MAX_AMOUNT)
            if huge.any():
                raise cell_error(raw.name, column, huge, values, "huge_amounts")
            _warn_doubtful(
                "ambiguous_thousands",
                raw.name,
                column,
                values,
                ambiguous_thousands(values),
                parsed,
                "{:g}".format,
                mark=decimal_hint,
            )
        elif field.kind == "share":
            parsed = parse_shares(values, decimal_hint)
            outside = parsed.notna() & ((parsed < 0) | (parsed > 1))
            if outside.any():
                raise cell_error(
                    raw.name,
                    column,
                    outside,
                    values,
                    "out_of_range",
                    allowed="0 to 1 (or a percentage such as 80 %)",
                    allowed_fr="entre 0 et 1 (ou un pourcentage comme 80 %)",
                )
        elif field.kind == "date":
            parsed = parse_dates(
                values, date_format=date_format, dayfirst=dayfirst, file=raw.name, column=column
            )
            if date_format is None and dayfirst is None:
                _warn_doubtful(
                    "ambiguous_day_month",
                    raw.name,
                    column,
                    values,
                    ambiguous_day_month(values),
                    parsed,
                    lambda day: f"{day:%d %b %Y}",
                )
        elif field.kind == "month":
            parsed = parse_months(
                values, date_format=date_format, dayfirst=dayfirst, file=raw.name, column=column
            )
        elif field.kind == "cost_kind":
            parsed = parse_cost_kinds(values)
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
            raise cell_error(raw.name, column, failed, values, code)
        out[canonical] = parsed
    result = pd.DataFrame(out, index=frame.index)
    result.attrs["source"] = raw.name
    result.attrs["mapping"] = resolved
    result.attrs["columns"] = [str(c) for c in frame.columns]
    return result


def _columnar_frame(
    arrow: ArrowTable | None,
    table: str,
    mapping: Mapping[str, str | None] | None,
    *,
    date_format: str | None,
    dayfirst: bool | None,
) -> tuple[pd.DataFrame, pd.Series] | None:
    """:func:`_canonical_frame` on an Arrow table, with its duplicated rows; None when
    the plain path must decide (it then raises the error, or reads what Arrow could not).
    Each Arrow column is released once parsed: pass the table, keep no reference to it."""
    if arrow is None:
        return None
    cells, name, sep, first_row = arrow.table, arrow.name, arrow.sep, arrow.first_row
    del arrow
    try:
        resolved = _resolve_mapping([str(c) for c in cells.column_names], table, mapping, name)
    except PortfolioDataError:
        return None
    fields: dict[str, Field] = {f.name: f for f in fields_of(table)}
    all_columns = [str(c) for c in cells.column_names]
    uses = Counter(resolved.values())  # one column may hold two fields (then one fails)
    cells = cells.select(list(uses))
    index = pd.RangeIndex(first_row, first_row + cells.num_rows)
    values: dict[str, np.ndarray] = {}
    # The hash of each row's keys, folded in column by column (no key array kept).
    mixed = np.zeros(cells.num_rows, np.uint64)
    # Text columns last: their Python strings are made once most Arrow columns are freed.
    for canonical, column in sorted(resolved.items(), key=lambda i: fields[i[0]].kind == "text"):
        field = fields[canonical]
        cells_of = cells.column(column)
        if field.kind == "amount":
            if _is_plain_text(cells_of):
                # Encoded once: the checks below and the parser read the distinct values.
                cells_of = pa.chunked_array([pc.dictionary_encode(cells_of).combine_chunks()])
            if _maybe_thousands(cells_of):
                return None  # 1.234 or 25,000: the plain path warns when the column is ambiguous
        parsed = parse_distinct(
            cells_of,
            field.kind,
            required=field.required,
            decimal_hint="," if sep == ";" else ".",
            date_format=date_format,
            dayfirst=dayfirst,
            file=name,
            name=column,
        )
        if parsed is None:
            return None
        if (
            field.kind == "date"
            and date_format is None
            and dayfirst is None
            and len(parsed.values)
            and pd.DatetimeIndex(parsed.values).day.max() <= 12
        ):
            return None  # perhaps 01/05/2024 day or month first: the plain path warns
        if field.kind == "amount" and (np.abs(parsed.values) >= MAX_AMOUNT).any():
            return None  # infinite or huge: the plain path refuses them with their rows
        del cells_of
        uses[column] -= 1
        if not uses[column]:
            cells = cells.drop_columns([column])
        values[canonical] = parsed.values
        if parsed.keys is not None:
            _mix(mixed, parsed.keys)
    frame = pd.DataFrame(index=index)
    for canonical in resolved:
        # Column by column, dtype given: no copy into blocks, no string dtype inferred.
        column_values = values.pop(canonical)
        frame[canonical] = pd.Series(column_values, index=index, dtype=column_values.dtype)
    frame.attrs["source"] = name
    frame.attrs["mapping"] = resolved
    frame.attrs["columns"] = all_columns
    return frame, _duplicated(frame, mixed)


# One mark followed by exactly three digits, as a whole number: 1.234, -25,000 EUR, (1.234).
_THOUSANDS_LIKE = r"(^|[^0-9.,])[0-9]{1,3}[.,][0-9]{3}($|[^0-9.,])"


def _is_plain_text(column: pa.ChunkedArray) -> bool:
    return pa.types.is_string(column.type) or pa.types.is_large_string(column.type)


def _maybe_thousands(column: pa.ChunkedArray) -> bool:
    if pa.types.is_dictionary(column.type):
        if column.num_chunks > 1:
            column = column.unify_dictionaries()
        column = column.combine_chunks().dictionary  # the distinct values
    if not _is_plain_text(column):
        return False
    return bool(pc.any(pc.match_substring_regex(column, _THOUSANDS_LIKE)).as_py())


def _warn_doubtful(
    code: str,
    file: str,
    column: str,
    values: pd.Series,
    doubtful: pd.Series,
    parsed: pd.Series,
    show: Callable[[object], str],
    **extra: object,
) -> None:
    """Warn ``code`` for the cells of ``column`` read by a guess: their rows and readings
    (``show`` writes a parsed value; only the doubtful cells are written: a whole column's
    strftime costs seconds on a large workbook). Cells not read at all are left to the
    error about them."""
    doubtful = doubtful & parsed.notna()
    if not doubtful.any():
        return
    pairs = values[doubtful].astype(str).str.strip() + " = " + parsed[doubtful].map(show)
    warnings.warn(
        DataQualityWarning(
            code,
            file=file,
            column=column,
            rows=values.index[doubtful.to_numpy()].tolist(),
            count=int(doubtful.sum()),
            examples=pairs.unique()[:3].tolist(),
            **extra,
        ),
        stacklevel=4,
    )


def _warn_other_candidates(
    frame: pd.DataFrame, table: str, mapping: Mapping[str, str | None] | None
) -> None:
    """Warn when a field guessed from the names had another column just as plausible."""
    explicit = set(mapping or {}) | {v for v in (mapping or {}).values() if v}
    resolved = frame.attrs.get("mapping", {})
    used = set(resolved.values())
    for field in fields_of(table):
        if field.name not in resolved or field.name in explicit:
            continue
        names = {normalise_header(s) for s in (field.name, *field.synonyms)}
        others = [
            c
            for c in frame.attrs.get("columns", [])
            if c not in used and c not in explicit and normalise_header(c) in names
        ]
        if others:
            warnings.warn(
                DataQualityWarning(
                    "other_candidate_columns",
                    file=frame.attrs.get("source"),
                    field=field.name,
                    column=resolved[field.name],
                    others=", ".join(f"'{c}'" for c in others),
                    other=others[0],
                ),
                stacklevel=3,
            )


def _mix(mixed: np.ndarray, key: np.ndarray) -> None:
    """Fold one column's keys into the rows' hashes, in place."""
    np.multiply(mixed, np.uint64(0x9E3779B97F4A7C15), out=mixed)
    np.add(mixed, key, out=mixed, casting="unsafe")
    np.bitwise_xor(mixed, mixed >> np.uint64(29), out=mixed)


def _duplicated(frame: pd.DataFrame, mixed: np.ndarray) -> pd.Series:
    """``frame.duplicated()``, fast: only rows whose keys' hash (``mixed``, from
    :func:`_mix`) repeats can be copies."""
    candidates = pd.Series(mixed).duplicated(keep=False).to_numpy()
    del mixed
    duplicated = np.zeros(len(frame), bool)
    duplicated[candidates] = frame[candidates].duplicated().to_numpy()
    return pd.Series(duplicated, index=frame.index)


def _check_future(frame: pd.DataFrame, column: str, file: str, today: pd.Timestamp) -> None:
    future = frame[column] > today
    if future.any():
        raise cell_error(
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
    fast: bool = True,
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
    fast : bool, default True
        Read CSV and Parquet files with Arrow (columnar, multi-threaded) and parse each
        distinct value once: same frame, checks and messages, about 5 times faster on large
        files. Whenever in doubt (bad cells, odd layouts, Excel, DataFrames) the plain pandas
        path runs; ``fast=False`` runs only that path, the reference the fast one is tested
        against.

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
    reference = pd.Timestamp(today or pd.Timestamp.today()).normalize()
    columnar = None
    if fast:
        if not isinstance(source, (str, os.PathLike, pd.DataFrame, bytes, bytearray, memoryview)):
            # An upload stream is read once: keep its bytes for the plain path.
            name = name or getattr(source, "name", None) or "upload"
            source = source.read()
        columnar = _columnar_frame(
            read_arrow(source, table="transactions", name=name, encoding=encoding, sep=sep),
            "transactions",
            mapping,
            date_format=date_format,
            dayfirst=dayfirst,
        )
        future = not allow_future_dates and columnar is not None
        if future and columnar[0]["date"].max() > reference:
            columnar = None  # the plain path names the rows
    if columnar is not None:
        frame, duplicated = columnar
        file = frame.attrs["source"]
    else:
        raw = read_raw(
            source, table="transactions", name=name, sheet=sheet, encoding=encoding, sep=sep
        )
        frame = _canonical_frame(
            raw, "transactions", mapping, date_format=date_format, dayfirst=dayfirst
        )
        if not allow_future_dates:
            _check_future(frame, "date", raw.name, reference)
        duplicated = frame.duplicated()
        file = raw.name
    _warn_other_candidates(frame, "transactions", mapping)
    if duplicated.any():
        warnings.warn(
            DataQualityWarning(
                "duplicate_rows",
                file=file,
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
    raw = read_raw(source, table="customers", name=name, sheet=sheet, encoding=encoding, sep=sep)
    frame = _canonical_frame(raw, "customers", mapping, date_format=date_format, dayfirst=dayfirst)
    _warn_other_candidates(frame, "customers", mapping)
    repeated = frame["customer_id"].duplicated(keep=False)
    if repeated.any():
        column = frame.attrs["mapping"]["customer_id"]
        raise cell_error(raw.name, column, repeated, frame["customer_id"], "duplicate_ids")
    if "potential" in frame:
        negative = frame["potential"] < 0
        if negative.any():
            raise cell_error(
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
    raw = read_raw(source, table="costs", name=name, sheet=sheet, encoding=encoding, sep=sep)
    frame = _canonical_frame(raw, "costs", mapping, date_format=date_format, dayfirst=dayfirst)
    _warn_other_candidates(frame, "costs", mapping)
    negative = frame["amount"] < 0
    if negative.any():
        column = frame.attrs["mapping"]["amount"]
        raise cell_error(raw.name, column, negative, raw.frame[column], "negative_costs")
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
