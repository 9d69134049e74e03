"""The engines that run the aggregation, and the checked transaction table each one reads.

``engine`` is one of

- ``None`` or ``"duckdb"``: DuckDB embedded in the Python process (the default; files and
  frames, see :mod:`portfolio_lib.engine.aggregate`);
- ``"postgres"``: the PostgreSQL database named by the source URL; the aggregation runs in the
  database and only the aggregated tables come back;
- ``"spark"``: the active Spark session, or a new local one (``local[*]``); a Spark Connect URL
  ``"sc://host:15002"`` or a :class:`pyspark.sql.SparkSession` runs the same code on a cluster;
- ``"duckdb-ibis"``: the engine-neutral expression on DuckDB (tests and benchmarks compare it
  with the default SQL).

The optional engines need the extras: ``pip install -e ".[postgres]"`` / ``".[spark]"``.

Checks on a table aggregated in its engine (too big to load): the column mapping and every
cell check of a file are run on its first lines (the loaders of :mod:`portfolio_lib.data.load`);
on the whole table the engine counts blank ids, dates and amounts and dates after today, and the
column types must be a date/timestamp and numbers. Not checked on the whole table: the text of
individual cells (a typed column has none) and exact duplicate lines (no warning).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from portfolio_lib.data.errors import DataQualityWarning, PortfolioDataError
from portfolio_lib.data.load import load_transactions
from portfolio_lib.engine.sources import (
    decimals_as_floats,
    is_table_source,
    parse_source,
)

__all__ = ["ENGINES", "engine_kind", "engine_label", "open_transactions", "spark_session"]

ENGINES = ("duckdb", "postgres", "spark")
_SAMPLE_LINES = 1000  # first lines checked cell by cell like a file
_CANONICAL = ("customer_id", "date", "amount", "margin", "order_id")


def engine_kind(engine: object) -> str:
    """``'duckdb'``, ``'duckdb-ibis'``, ``'postgres'`` or ``'spark'`` for an engine argument.

    Examples
    --------
    >>> engine_kind(None), engine_kind("PostgreSQL"), engine_kind("sc://spark.example:15002")
    ('duckdb', 'postgres', 'spark')
    """
    if engine is None or engine == "":
        return "duckdb"
    if not isinstance(engine, str):
        if type(engine).__name__ == "SparkSession":
            return "spark"
        raise ValueError(f"engine {engine!r} is not understood: use one of {', '.join(ENGINES)}")
    name = engine.strip().lower()
    if name in {"duckdb", "duckdb-ibis", "spark"}:
        return name
    if name in {"postgres", "postgresql"}:
        return "postgres"
    if name.startswith(("sc://", "spark://", "local[", "yarn")) or name == "local":
        return "spark"
    raise ValueError(
        f"engine {engine!r} is not understood: use one of {', '.join(ENGINES)}, "
        "or a Spark Connect URL sc://host:15002"
    )


def engine_label(engine: object) -> str:
    """What reports may show of the engine (a Spark URL without credentials)."""
    from portfolio_lib.engine.sources import mask

    kind = engine_kind(engine)
    return mask(engine) if isinstance(engine, str) and kind == "spark" else kind


def _require(module: str, extra: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise PortfolioDataError("engine_missing", engine=extra, package=module)


def spark_session(engine: object = "spark"):
    """The Spark session of ``engine``: given, remote (``sc://``), active, or a new local one.

    New sessions compute dates in UTC, so a day stays the same day whatever the machine's zone.
    """
    _require("pyspark", "spark")
    from pyspark.sql import SparkSession

    if isinstance(engine, SparkSession):
        return engine
    builder = SparkSession.builder.appName("portfolio-workbook")
    name = str(engine).strip()
    # A Spark Connect URL with a token is best kept in SPARK_REMOTE (never in a report).
    remote = name if name.startswith("sc://") else os.environ.get("SPARK_REMOTE")
    if remote:
        return builder.remote(remote).getOrCreate()
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = name if name.lower() != "spark" else os.environ.get("SPARK_MASTER", "local[*]")
    return (
        builder.master(master)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def _file_or_frame(source: object, what: str) -> pd.DataFrame | Path:
    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, (str, os.PathLike)):
        return Path(source)
    raise ValueError(f"the engine {what} reads a DataFrame, a file or a table, not {source!r}")


def _arrow_dates(frame: pd.DataFrame):
    """``frame`` as Arrow with ``date`` as calendar days (no time zone can move a day)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if "date" in frame and pd.api.types.is_datetime64_any_dtype(frame["date"]):
        position = table.schema.get_field_index("date")
        table = table.set_column(position, "date", table.column("date").cast(pa.date32()))
    return table


@contextmanager
def _connection(source: object, kind: str, engine: object) -> Iterator[tuple[object, object]]:
    """``(Ibis table as stored, its name for messages)``; the connection closes at the end."""
    import ibis

    if kind == "postgres":
        _require("psycopg", "postgres")
        if not is_table_source(source):
            raise PortfolioDataError("engine_needs_table", engine="postgres", file=str(source))
        table_source = parse_source(source)
        con = table_source.connect()
        try:
            yield table_source.expression(con), table_source.display
        finally:
            con.disconnect()
        return
    if kind == "spark":
        session = spark_session(engine)
        # Results come back through Arrow, not row by row (1.2 M customer rows: seconds
        # instead of many minutes); a runtime SQL setting, harmless on any session.
        session.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
        con = ibis.pyspark.connect(session)
        if is_table_source(source):
            table_source = parse_source(source)
            if table_source.url is not None:
                raise PortfolioDataError("engine_needs_table", engine="spark", file=str(source))
            yield table_source.expression(con), table_source.display
            return
        data = _file_or_frame(source, "spark")
        if isinstance(data, pd.DataFrame):
            view = "portfolio_transactions"
            session.createDataFrame(_arrow_dates(data)).createOrReplaceTempView(view)
            yield con.table(view), "DataFrame"
        elif data.suffix.lower() in {".parquet", ".pq"} or data.is_dir():
            yield con.read_parquet(str(data)), data.name
        else:
            yield con.read_csv(str(data), header=True, inferSchema=True), data.name
        return
    con = ibis.duckdb.connect()
    try:
        data = _file_or_frame(source, "duckdb-ibis")
        if isinstance(data, pd.DataFrame):
            # Registered, not copied: the frame is already in memory.
            con.con.register("portfolio_transactions", _arrow_dates(data))
            yield con.table("portfolio_transactions"), "DataFrame"
        elif data.suffix.lower() in {".parquet", ".pq"}:
            yield con.read_parquet(data), data.name
        else:
            yield con.read_csv(data), data.name
    finally:
        con.disconnect()


@contextmanager
def open_transactions(
    source: object,
    engine: object,
    *,
    mapping: dict[str, str] | None = None,
    today: object = None,
    allow_future_dates: bool = True,
) -> Iterator[object]:
    """The transactions of ``source`` on ``engine`` as an Ibis table with canonical columns.

    Parameters
    ----------
    source : DataFrame, path, TableSource or 'postgresql://...?table=...'
    engine : str or SparkSession
        See :func:`engine_kind`.
    mapping : dict, optional
        ``{canonical name: column}`` as for files; other columns are recognised by name.
    today : date-like, optional
        Reference of the future-date check (default today).
    allow_future_dates : bool, default True
        False refuses lines dated after ``today``, as :func:`load_transactions` does.

    Yields
    ------
    ibis.Table
        ``customer_id``, ``date``, ``amount`` and whichever of ``margin``, ``order_id`` exist.

    Raises
    ------
    PortfolioDataError
        Missing columns, bad cells in the first lines, text-typed date or amount columns,
        blank required values or future dates anywhere in the table.
    """
    kind = engine_kind(engine)
    with _connection(source, kind, engine) as (stored, name):
        yield _checked(stored, name, mapping, today=today, allow_future_dates=allow_future_dates)


def _checked(
    stored, name: str, mapping: dict[str, str] | None, *, today: object, allow_future_dates: bool
):
    first = decimals_as_floats(stored.head(_SAMPLE_LINES)).to_pandas()
    if first.empty:
        raise PortfolioDataError("empty_file", file=name)
    with warnings.catch_warnings():
        # Duplicates among the first lines say nothing about the table.
        warnings.simplefilter("ignore", DataQualityWarning)
        loaded = load_transactions(first, mapping=mapping, name=name, allow_future_dates=True)
    resolved = {k: v for k, v in loaded.attrs["mapping"].items() if k in _CANONICAL}
    table = stored.select(**{canonical: stored[column] for canonical, column in resolved.items()})
    wanted = {"date": "temporal", "amount": "numeric", "margin": "numeric"}
    for canonical, family in wanted.items():
        if canonical not in resolved:
            continue
        kind = table[canonical].type()
        ok = kind.is_temporal() if family == "temporal" else kind.is_numeric()
        if not ok:
            raise PortfolioDataError(
                "engine_column_type", file=name, column=resolved[canonical], kind=str(kind)
            )
    reference = pd.Timestamp(today or pd.Timestamp.today()).date()
    counts = table.aggregate(
        lines=table.count(),
        customer_id=table.customer_id.isnull().sum(),
        date=table.date.isnull().sum(),
        amount=table.amount.isnull().sum(),
        future=(table.date.cast("date") > reference).sum(),
    ).to_pandas()
    totals = {k: int(v or 0) for k, v in counts.iloc[0].items()}
    if not totals["lines"]:
        raise PortfolioDataError("empty_file", file=name)
    for canonical in ("customer_id", "date", "amount"):
        if totals[canonical]:
            raise PortfolioDataError(
                "engine_missing_values",
                file=name,
                column=resolved[canonical],
                count=totals[canonical],
            )
    if totals["future"] and not allow_future_dates:
        later = table.filter(table.date.cast("date") > reference)
        first = later.select(day=later.date.cast("date")).distinct().order_by("day").limit(3)
        examples = [f"{day:%d/%m/%Y}" for day in first.to_pandas()["day"]]
        raise PortfolioDataError(
            "engine_future_dates",
            file=name,
            count=totals["future"],
            today=f"{reference:%d/%m/%Y}",
            examples=examples,
        )
    return table
