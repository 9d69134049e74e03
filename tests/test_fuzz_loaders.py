"""Fuzzing the loaders (issue 19): random bytes and mutated real files, in every format.

Whatever a user uploads, the loaders answer with the data, a ``PortfolioDataError`` (what is
wrong, where, what to do) or the data with a ``DataQualityWarning``: never another exception,
never another warning. The cases are drawn from a fixed seed (the same cases on every run);
a time budget (``FUZZ_SECONDS``, default 20 s for all the tests of this file) stops a slow
machine early, after a fixed number of cases at least.
"""

from __future__ import annotations

import io
import os
import random
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from portfolio_lib import (
    DataQualityWarning,
    PortfolioDataError,
    load_costs,
    load_customers,
    load_transactions,
)

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
BUDGET = float(os.environ.get("FUZZ_SECONDS", "20"))
SHARE = {"random_bytes": 0.15, "mutated_csv": 0.45, "mutated_xlsx": 0.3, "mutated_parquet": 0.1}
MIN_CASES = 40  # run whatever the budget: a slow machine still fuzzes
LOADERS = {"transactions": load_transactions, "customers": load_customers, "costs": load_costs}
# Bytes that break parsers: separators, quotes, line ends, NUL, BOMs, signs, marks, digits.
NASTY = [b";", b",", b"\t", b"|", b'"', b"'", b"\n", b"\r", b"\r\n", b"\x00", b"\xef\xbb\xbf",
         b"\xff\xfe", b"-", b".", b"e", b"inf", b"nan", b"9" * 20, b"\xe9", b"\x81", b"=",
         b"<script>", b"$", b"%", b"1.234,56", b"31/02/2024", b"2024-13-45", b" ", b"\xa0"]  # fmt: skip


def _head(path: Path, lines: int) -> bytes:
    with path.open("rb") as handle:
        return b"".join(handle.readline() for _ in range(lines))


def _mutate(rng: random.Random, data: bytes, rounds: int) -> bytes:
    """``data`` with a few random edits: bytes flipped, nasty bytes inserted, a slice deleted
    or repeated, the end cut off."""
    out = bytearray(data)
    for _ in range(rounds):
        where = rng.randrange(len(out) + 1)
        edit = rng.randrange(5)
        if edit == 0 and out:
            out[min(where, len(out) - 1)] = rng.randrange(256)
        elif edit == 1:
            out[where:where] = rng.choice(NASTY)
        elif edit == 2:
            del out[where : where + rng.randrange(1, 40)]
        elif edit == 3:
            out[where:where] = out[max(0, where - 60) : where]
        else:
            out = out[: max(1, where)]
    return bytes(out)


def _xlsx(frame: pd.DataFrame) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rezip(rng: random.Random, data: bytes) -> bytes:
    """The workbook with its sheet's XML mutated, zipped again: a valid zip, odd cells."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                content = _mutate(rng, content, rng.randint(1, 4))
            target.writestr(item, content)
    return out.getvalue()


def _cases(seed: int) -> Iterator[tuple[str, str, bytes]]:
    """Endless (table, file name, bytes) cases drawn from ``seed``."""
    rng = random.Random(seed)
    csvs = {
        "transactions": [_head(SAMPLE / "transactions.csv", 40),
                         _head(SAMPLE / "transactions_fr.csv", 40)],
        "customers": [_head(SAMPLE / "customers.csv", 30)],
        "costs": [_head(SAMPLE / "costs.csv", 30)],
    }  # fmt: skip
    frames = {table: pd.read_csv(io.BytesIO(data[0])) for table, data in csvs.items()}
    books = {table: _xlsx(frame.head(15)) for table, frame in frames.items()}
    parquets = {}
    for table, frame in frames.items():
        out = io.BytesIO()
        frame.head(15).to_parquet(out)
        parquets[table] = out.getvalue()
    kinds = list(SHARE)
    while True:
        kind = rng.choices(kinds, weights=[SHARE[k] for k in kinds])[0]
        table = rng.choice(list(LOADERS))
        if kind == "random_bytes":
            suffix = rng.choice([".csv", ".tsv", ".xlsx", ".parquet", ".txt"])
            yield table, f"fuzz{suffix}", rng.randbytes(rng.randrange(0, 600))
        elif kind == "mutated_csv":
            data = rng.choice(csvs[table])
            yield table, "fuzz.csv", _mutate(rng, data, rng.randint(1, 12))
        elif kind == "mutated_xlsx":
            if rng.random() < 0.5:
                yield table, "fuzz.xlsx", _rezip(rng, books[table])
            else:
                yield table, "fuzz.xlsx", _mutate(rng, books[table], rng.randint(1, 3))
        else:
            yield table, "fuzz.parquet", _mutate(rng, parquets[table], rng.randint(1, 6))


def _fuzz(seed: int, budget: float, load: Callable[[str, str, bytes], object]) -> int:
    started, count = time.perf_counter(), 0
    for table, name, data in _cases(seed):
        if count >= MIN_CASES and time.perf_counter() - started > budget:
            return count
        count += 1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                load(table, name, data)
            except PortfolioDataError as error:
                assert error.code and "What to do" in str(error) and "Que faire" in error.text("fr")
            except Exception as error:  # the finding: reproduce with the seed and the case
                raise AssertionError(
                    f"seed {seed}, case {count} ({table}, {name}, {data[:200]!r}...): "
                    f"{type(error).__name__}: {error}"
                ) from error
        others = [w for w in caught if not isinstance(w.message, DataQualityWarning)]
        assert not others, f"seed {seed}, case {count} ({table}, {name}, {data[:200]!r}): " + (
            "; ".join(f"{w.category.__name__}: {w.message}" for w in others)
        )
    return count


@pytest.mark.parametrize("fast", [True, False])
def test_loaders_on_random_and_mutated_files_raise_only_portfolio_errors(fast):
    def load(table: str, name: str, data: bytes) -> object:
        options = {"fast": fast, "today": "2030-01-01"} if table == "transactions" else {}
        return LOADERS[table](data, name=name, **options)

    count = _fuzz(19 + fast, BUDGET * 0.4, load)
    assert count >= MIN_CASES


def test_app_upload_handler_on_mutated_files_shows_a_message():
    from test_app import upload

    from portfolio_lib.ui.app import App

    app = App(lang="fr")

    def load(table: str, name: str, data: bytes) -> None:
        upload(app, table, name, data)
        shown = app.messages.value  # nothing, the project's error, or its warnings
        assert shown == "" or "portfolio-error" in shown or "portfolio-warning" in shown

    assert _fuzz(7, BUDGET * 0.2, load) >= MIN_CASES


def test_an_optional_column_left_empty_reads_as_missing():
    """Found by the fuzz run: an empty optional column failed with pandas' ValueError."""
    frame = load_customers(
        b"customer_id;acquisition_date;potential\nA;;\nB;;\n", name="clients.csv"
    )
    assert frame["customer_id"].tolist() == ["A", "B"]
    assert frame["acquisition_date"].isna().all() and frame["potential"].isna().all()
