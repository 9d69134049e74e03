"""The measured steps, run one per fresh process by ``run.py --worker``.

Each step has an untimed ``setup`` (imports, inputs loaded) and a timed ``run``. The worker
measures wall and CPU time of ``run`` and the process's peak resident memory (``VmHWM``,
reset to the current size after setup where Linux allows, so the peak is that of the step with
its inputs in memory, not of loading them); the parent process starts a new worker for every
repeat, so no step inherits another's memory or caches.
"""

from __future__ import annotations

import gc
import hashlib
import json
import pickle
import resource
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.generate import LogFiles

__all__ = ["STEPS", "Step", "aggregates_cache", "load_aggregates", "worker"]

SUMMARY_COLUMNS = ["customer_id", "date", "amount"]
AGGREGATE_COLUMNS = ["customer_id", "date", "amount", "margin", "order_id"]


@dataclass(frozen=True)
class Step:
    """A measured step: ``setup(files) -> state`` untimed, then ``run(state)`` timed.

    ``inner`` > 1 runs ``run`` that many times in the process after one warm-up run (for
    steps of milliseconds) and reports the median. ``floor`` names the step giving the
    minimum cost for the same engine, ``lifetimes`` whether the step is compared with
    lifetimes' summary.
    """

    key: str
    label: str
    setup: Callable[[LogFiles], object]
    run: Callable[[object], object]
    what: str
    inner: int = 1
    floor: str | None = None
    lifetimes: bool = False


# --------------------------------------------------------------------------------------------
# Memory and time


def _status(field: str) -> float:
    """A ``/proc/self/status`` field in MiB (NaN where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    if field == "VmHWM":  # macOS and others: ru_maxrss (bytes on macOS, KiB elsewhere)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024
    return float("nan")


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0) so the next peak is the step's own."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------------------------
# Aggregates cache: analyses and widget steps start from the aggregated tables, as a notebook
# does after its first cell; aggregating 20 million lines for each of their processes would
# only slow the run down.


def aggregates_cache(files: LogFiles) -> Path:
    """Pickle of ``aggregate(log, customers)``, keyed by the aggregation code and pandas."""
    import pandas as pd

    import portfolio_lib.engine.aggregate as module

    source = Path(module.__file__).read_bytes()
    key = hashlib.sha1(source + pd.__version__.encode()).hexdigest()[:12]
    return files.directory / f"aggregates_{key}.pkl"


def load_aggregates(files: LogFiles):  # -> Aggregates (imported lazily)
    path = aggregates_cache(files)
    if not path.exists():
        import pandas as pd

        from portfolio_lib.engine.aggregate import aggregate

        agg = aggregate(files.transactions, pd.read_parquet(files.customers))
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            pickle.dump(agg, handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        for stale in files.directory.glob("aggregates_*.pkl"):  # older aggregation code
            if stale != path:
                stale.unlink()
        return agg
    with path.open("rb") as handle:
        return pickle.load(handle)  # our own cache file


# --------------------------------------------------------------------------------------------
# Steps


def _duckdb_scan(columns: list[str]) -> Callable[[LogFiles], object]:
    def setup(files: LogFiles) -> object:
        import duckdb

        from portfolio_lib.engine.aggregate import DUCKDB_SETTINGS

        con = duckdb.connect()
        for name, value in DUCKDB_SETTINGS.items():
            literal = str(value).lower() if isinstance(value, bool) else f"'{value}'"
            con.execute(f"SET {name} = {literal}")
        path = str(files.transactions).replace("'", "''")
        # min/max/sum make DuckDB read and decode every value of every column, no grouping.
        aggregates = ", ".join(
            f"min({c}), max({c})" if c not in ("amount", "margin") else f"sum({c})" for c in columns
        )
        return con, f"SELECT count(*), {aggregates} FROM read_parquet('{path}')"

    return setup


def _run_duckdb_scan(state: object) -> object:
    con, sql = state  # type: ignore[misc]
    return con.execute(sql).fetchall()


def _pandas_setup(files: LogFiles) -> object:
    import pandas  # noqa: F401 - imported before timing

    return files


def _run_pandas_read(files: object) -> object:
    import pandas as pd

    return pd.read_parquet(files.transactions, columns=SUMMARY_COLUMNS)  # type: ignore[attr-defined]


def _ours_setup(files: LogFiles) -> object:
    import portfolio_lib.engine.aggregate  # noqa: F401 - imported before timing

    return files


def _run_summary(files: object) -> object:
    from portfolio_lib.engine.aggregate import customer_summary

    return customer_summary(files.transactions)  # type: ignore[attr-defined]


def _lifetimes_setup(files: LogFiles) -> object:
    import lifetimes.utils  # noqa: F401 - imported before timing
    import pandas  # noqa: F401

    return files


def _run_lifetimes(files: object) -> object:
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    # lifetimes takes a DataFrame: reading the log is part of its cost, as for ours.
    frame = pd.read_parquet(files.transactions, columns=SUMMARY_COLUMNS)  # type: ignore[attr-defined]
    return summary_data_from_transaction_data(
        frame,
        "customer_id",
        "date",
        monetary_value_col="amount",
        observation_period_end=files.as_of,  # type: ignore[attr-defined]
    )


def _aggregate_setup(files: LogFiles) -> object:
    import pandas as pd

    import portfolio_lib.engine.aggregate  # noqa: F401 - imported before timing

    return files, pd.read_parquet(files.customers)


def _run_aggregate(state: object) -> object:
    from portfolio_lib.engine.aggregate import aggregate

    files, customers = state  # type: ignore[misc]
    return aggregate(files.transactions, customers)


def _calls_setup(widgets: bool) -> Callable[[LogFiles], object]:
    def setup(files: LogFiles) -> object:
        import pandas as pd

        from benchmarks.analyses import Context, prepare_widgets

        ctx = Context(load_aggregates(files), pd.read_parquet(files.costs))
        if widgets:
            prepare_widgets(ctx)
        return ctx

    return setup


STEPS: dict[str, Step] = {
    step.key: step
    for step in (
        Step(
            "floor_duckdb",
            "floor: DuckDB scan, 3 columns",
            _duckdb_scan(SUMMARY_COLUMNS),
            _run_duckdb_scan,
            "DuckDB reads and decodes customer_id, date, amount of the Parquet log (count, "
            "min/max, sum; no grouping), with the library's DuckDB settings",
        ),
        Step(
            "floor_duckdb_all",
            "floor: DuckDB scan, 5 columns",
            _duckdb_scan(AGGREGATE_COLUMNS),
            _run_duckdb_scan,
            "the same with margin and order_id, the columns aggregate() reads",
        ),
        Step(
            "floor_pandas",
            "floor: pandas.read_parquet, 3 columns",
            _pandas_setup,
            _run_pandas_read,
            "pandas.read_parquet(log, columns=[customer_id, date, amount]): the DataFrame "
            "lifetimes needs",
        ),
        Step(
            "summary",
            "customer_summary (ours)",
            _ours_setup,
            _run_summary,
            "portfolio_lib.engine.aggregate.customer_summary(log.parquet): DuckDB reads the file",
            floor="floor_duckdb",
            lifetimes=True,
        ),
        Step(
            "lifetimes",
            "lifetimes summary (read + summary)",
            _lifetimes_setup,
            _run_lifetimes,
            "pandas.read_parquet of the 3 columns, then lifetimes.utils."
            "summary_data_from_transaction_data(..., monetary_value_col='amount')",
            floor="floor_pandas",
        ),
        Step(
            "aggregate",
            "aggregate (ours, full)",
            _aggregate_setup,
            _run_aggregate,
            "portfolio_lib.engine.aggregate.aggregate(log.parquet, customers): customer table, "
            "customer x month table, summary; the customer table read untimed",
            floor="floor_duckdb_all",
            lifetimes=True,
        ),
        Step(
            "analyses",
            "analyses (whole set)",
            _calls_setup(widgets=False),
            lambda ctx: None,
            "benchmarks/analyses.py ANALYSES on the cached Aggregates (loaded untimed)",
            inner=3,
        ),
        Step(
            "widget",
            "widget changes",
            _calls_setup(widgets=True),
            lambda ctx: None,
            "benchmarks/analyses.py WIDGET_CHANGES, each alone, on the cached Aggregates",
            inner=7,
        ),
    )
}


def _time_calls(ctx: object, *, widgets: bool, inner: int) -> dict[str, object]:
    """Per-call medians of the analyses (whole set per run) or of the widget changes."""
    from benchmarks.analyses import ANALYSES, ITERATIVE, WIDGET_CHANGES, availability, start_run

    calls = WIDGET_CHANGES if widgets else ANALYSES
    times: dict[str, list[float]] = {}
    missing: dict[str, str] = {}
    failed: dict[str, str] = {}
    runnable = []
    for call in calls:
        why = availability(call)
        if why:
            missing[call.label] = why
        else:
            runnable.append(call)
            times[call.label] = []
    cpu_start = _cpu_seconds()
    for run in range(inner + 1):  # run 0 is the warm-up
        if not widgets:
            start_run(ctx)  # type: ignore[arg-type]  # cold: as right after aggregation
        for call in runnable:
            if call.label in failed:
                continue
            gc.collect()
            started = time.perf_counter()
            try:
                call.run(ctx)  # type: ignore[arg-type]
            except Exception as err:  # reported; the others still run
                failed[call.label] = f"{type(err).__name__}: {err}"[:300]
                continue
            if run:
                times[call.label].append(time.perf_counter() - started)
    medians = {
        label: statistics.median(values)
        for label, values in times.items()
        if values and label not in failed
    }
    return {
        "calls": medians,
        "missing": missing,
        "failed": failed,
        "total": sum(v for k, v in medians.items() if k not in ITERATIVE),
        "iterative": {k: v for k, v in medians.items() if k in ITERATIVE},
        "cpu": (_cpu_seconds() - cpu_start) / (inner + 1),
    }


def worker(step_key: str, files: LogFiles, out: Path, save: Path | None) -> None:
    """Run one step in this (fresh) process and write its measurements to ``out`` (JSON)."""
    warnings.simplefilter("ignore")
    step = STEPS[step_key]
    state = step.setup(files)
    gc.collect()
    base = _status("VmRSS")
    peak_reset = _reset_peak()
    result: dict[str, object] = {"step": step_key, "base_mib": base, "peak_reset": peak_reset}
    if step_key in ("analyses", "widget"):
        timed = _time_calls(state, widgets=step_key == "widget", inner=step.inner)
        result.update(timed)
        result["wall"] = (
            timed["total"]
            if step_key == "analyses"
            else max(
                timed["calls"].values(),
                default=float("nan"),  # type: ignore[union-attr]
            )
        )
        agg = state.agg  # type: ignore[attr-defined]
        result["customers"] = len(agg.customers)
        result["monthly_rows"] = len(agg.monthly)
        output = None
    else:
        walls: list[float] = []
        cpu_start = _cpu_seconds()
        for run in range(step.inner + (1 if step.inner > 1 else 0)):
            gc.collect()
            started = time.perf_counter()
            output = step.run(state)
            if step.inner == 1 or run:
                walls.append(time.perf_counter() - started)
        result["wall"] = statistics.median(walls)
        result["walls"] = walls
        result["cpu"] = (_cpu_seconds() - cpu_start) / max(len(walls), 1)
        if hasattr(output, "__len__"):
            result["output_rows"] = len(output)  # type: ignore[arg-type]
    result["peak_mib"] = _status("VmHWM")
    if save is not None and output is not None:
        output.to_parquet(save)  # type: ignore[union-attr]
    out.write_text(json.dumps(result))


def compare_summaries(ours: Path, theirs: Path) -> dict[str, object]:
    """Our customer summary against lifetimes': ids, exact counts and days, monetary value."""
    import numpy as np
    import pandas as pd

    a = pd.read_parquet(ours)
    b = pd.read_parquet(theirs)
    a.index = a.index.astype(str)
    b.index = b.index.astype(str)
    same_ids = bool(a.index.sort_values().equals(b.index.sort_values()))
    report: dict[str, object] = {"customers": len(a), "lifetimes_customers": len(b)}
    report["same_customers"] = same_ids
    if not same_ids:
        report["ok"] = False
        return report
    b = b.loc[a.index]
    for column in ("frequency", "recency", "T"):
        report[f"{column}_equal"] = bool(np.array_equal(a[column].to_numpy(), b[column].to_numpy()))
    diff = np.abs(a["monetary_value"].to_numpy() - b["monetary_value"].to_numpy())
    report["monetary_max_abs_diff"] = float(diff.max()) if len(diff) else 0.0
    report["monetary_max_value"] = float(np.abs(b["monetary_value"]).max()) if len(b) else 0.0
    report["ok"] = bool(
        all(report[f"{c}_equal"] for c in ("frequency", "recency", "T"))
        and report["monetary_max_abs_diff"] <= 1e-9
    )
    return report
