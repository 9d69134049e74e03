"""Scale evidence: the same aggregation on DuckDB (embedded) and Spark (local mode).

For each generated log (default 20m; ``--sizes 20m 100m``), each engine runs
:func:`portfolio_lib.engine.aggregate.aggregate` on the Parquet log in a fresh process and we
record the aggregation's wall time, the peak resident memory of the *Python* process (VmHWM;
Spark's JVM is a separate process, its heap is capped by ``--spark-memory``), and the rows
brought back to Python (customers + customer x month rows). Spark's session start is timed
apart (it is paid once per report run). Both results are checked equal (same customers,
months, counts; amounts within 1e-6).

Usage: ``python benchmarks/engines.py [--sizes 20m 100m] [--engines duckdb spark]
[--spark-master local[*]] [--spark-memory 6g]``. Logs come from ``benchmarks/generate.py``
(cached in ``benchmarks/data/`` or ``$PORTFOLIO_BENCH_DATA``); results are written to
``benchmarks/results/engines.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import ensure_log, parse_size  # noqa: E402

RESULTS_DIR = ROOT / "benchmarks" / "results"
TIMEOUT = 3600.0


def _peak_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker(engine: str, parquet: str, out: str, master: str, memory: str) -> None:
    """One aggregation in this fresh process; writes timings and a digest of the result."""
    import numpy as np

    from portfolio_lib.engine.aggregate import aggregate

    record: dict[str, object] = {"engine": engine}
    target: object = None
    if engine == "spark":
        started = time.perf_counter()
        from pyspark.sql import SparkSession

        target = (
            SparkSession.builder.master(master)
            .appName("portfolio-bench")
            .config("spark.driver.memory", memory)
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
        target.sparkContext.setLogLevel("ERROR")
        record["session_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    cpu = time.process_time()
    agg = aggregate(Path(parquet), engine=target)
    record["seconds"] = time.perf_counter() - started
    record["python_cpu_seconds"] = time.process_time() - cpu
    record["python_peak_mib"] = _peak_mib()
    record["rows_back"] = len(agg.customers) + len(agg.monthly)
    record["customers"] = len(agg.customers)
    record["monthly_rows"] = len(agg.monthly)
    record["digest"] = {
        "revenue": float(np.round(agg.customers["revenue"].sum(), 2)),
        "orders": int(agg.monthly["orders"].sum()),
        "frequency": float(agg.customers["frequency"].sum()),
        "monetary": float(np.round(agg.customers["monetary_value"].sum(), 4)),
        "first": str(agg.customers["first_purchase"].min()),
    }
    Path(out).with_suffix(".pkl").write_bytes(
        __import__("pickle").dumps((agg.customers, agg.monthly))
    )
    Path(out).write_text(json.dumps(record))
    if engine == "spark":
        target.stop()


def _run(engine: str, parquet: Path, scratch: Path, args) -> dict:
    out = scratch / f"{engine}-{parquet.parent.name}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, str(parquet)]
    command += [str(out), args.spark_master, args.spark_memory]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    if done.returncode != 0:
        return {"engine": engine, "status": "failed", "error": done.stderr[-2000:]}
    record = json.loads(out.read_text())
    record["process_seconds"] = time.perf_counter() - started
    record["status"] = "ok"
    return record


def _same(scratch: Path, label: str) -> bool | None:
    import pickle

    import pandas as pd

    paths = [scratch / f"{engine}-{label}.pkl" for engine in ("duckdb", "spark")]
    if not all(p.exists() for p in paths):
        return None
    (c1, m1), (c2, m2) = (pickle.loads(p.read_bytes()) for p in paths)
    try:
        pd.testing.assert_frame_equal(c1, c2, check_exact=False, rtol=0, atol=1e-6)
        pd.testing.assert_frame_equal(m1, m2, check_exact=False, rtol=0, atol=1e-6)
    except AssertionError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["20m"])
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark"])
    parser.add_argument("--spark-master", default="local[*]")
    parser.add_argument("--spark-memory", default="6g", help="Spark driver heap (local mode)")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    import tempfile

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="portfolio-engines-") as tmp:
        scratch = Path(tmp)
        for size in args.sizes:
            files = ensure_log(parse_size(size), verbose=True)
            label = files.transactions.parent.name
            for engine in args.engines:
                print(f"{size}: {engine} ...", file=sys.stderr, flush=True)
                record = _run(engine, files.transactions, scratch, args)
                record.update(size=size, rows=files.rows)
                print(f"  {json.dumps(record)[:400]}", file=sys.stderr, flush=True)
                results.append(record)
            for record in results:
                if record["size"] == size:
                    record["same_as_other_engine"] = _same(scratch, label)
    meta = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "spark_master": args.spark_master,
        "spark_memory": args.spark_memory,
        "results": results,
    }
    (RESULTS_DIR / "engines.json").write_text(json.dumps(meta, indent=2))
    lines = [
        "| rows | engine | aggregation s | Spark session s | Python peak MiB | rows back | same |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        if r.get("status") != "ok":
            lines.append(f"| {r['size']} | {r['engine']} | failed | | | | |")
            continue
        session = f"{r['session_seconds']:.1f}" if "session_seconds" in r else ""
        lines.append(
            f"| {r['size']} | {r['engine']} | {r['seconds']:.1f} | {session} | "
            f"{r['python_peak_mib']:.0f} | {r['rows_back']:,} | {r['same_as_other_engine']} |"
        )
    (RESULTS_DIR / "engines.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if all(r.get("status") == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
