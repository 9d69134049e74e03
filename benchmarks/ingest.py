"""``make bench-ingest``: loading a French ERP CSV export, ours against the bare readers.

For each size (rows; default 1m) the export of :mod:`benchmarks.exports` (cp1252, ``;``,
decimal comma, dd/mm/yyyy, a title line, French headers) is loaded by, each step in a fresh
process (wall time, CPU time, peak resident memory of the process):

- ``arrow``: the engine's bare read, ``pyarrow.csv.read_csv`` with the right options (strings
  typed by Arrow, nothing checked): the floor of any Arrow-based loader;
- ``pandas``: bare ``pandas.read_csv`` with the right options (``sep=';'``, ``decimal=','``,
  cp1252, title skipped; dates left as text, nothing checked);
- ``plain``: ``load_transactions(path, fast=False)``, the loader before issue 17;
- ``fast``: ``load_transactions(path)``, every check of the plain loader (blank cells, amounts,
  dates, future dates, duplicate rows);
- ``fast+summary``: the whole path from the file to a first analysis (``customer_summary``);
- ``lifetimes``: lifetimes' path: ``pandas.read_csv`` with the right options, dates parsed
  (``format='%d/%m/%Y'``), then ``summary_data_from_transaction_data``.

``--baseline DIR`` adds ``fast`` and ``fast+summary`` run with the ``portfolio_lib`` of another
checkout (``git archive <commit> portfolio_lib | tar -x -C /tmp/before``), in the same run: before/after figures
measured under the same machine load.

Targets (issue 17): 1M lines loaded and checked < 1 s; 20M < 15 s with peak memory < 2 GiB;
file -> first analysis within 2x of the engine's bare read. The exit status is 1 when a
measured target fails. Usage: ``python benchmarks/ingest.py [--sizes 1m 20m] [--repeat 3]
[--steps fast plain ...]``; results in ``benchmarks/results/ingest.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if sys.argv[1:2] == ["--worker"] and len(sys.argv) > 5:
    sys.path.insert(0, sys.argv[5])  # a baseline's portfolio_lib, before anything imports ours

from benchmarks.exports import ensure_export  # noqa: E402
from benchmarks.generate import ensure_log, parse_size  # noqa: E402

RESULTS_DIR = ROOT / "benchmarks" / "results"
STEPS = ("arrow", "pandas", "plain", "fast", "fast+summary", "lifetimes")
LOAD_SECONDS = {1_000_000: 1.0, 20_000_000: 15.0}
PEAK_GIB = {20_000_000: 2.0}
FIRST_ANALYSIS_RATIO = 2.0
SLOW_STEPS = {"plain": 5_000_000, "lifetimes": 5_000_000}  # skipped above these sizes


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _run_step(step: str, path: Path, as_of: str) -> object:
    import pandas as pd

    if step == "arrow":
        import pyarrow.csv as pa_csv

        return pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(encoding="cp1252", skip_rows=1),
            parse_options=pa_csv.ParseOptions(delimiter=";"),
        )
    if step in ("pandas", "lifetimes"):
        frame = pd.read_csv(path, sep=";", decimal=",", encoding="cp1252", skiprows=1)
        if step == "pandas":
            return frame
        from lifetimes.utils import summary_data_from_transaction_data

        frame["Date facture"] = pd.to_datetime(frame["Date facture"], format="%d/%m/%Y")
        return summary_data_from_transaction_data(
            frame, "Code client", "Date facture", "Montant HT", observation_period_end=as_of
        )
    from portfolio_lib.data.load import load_transactions

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate invoice lines of the generated log
        frame = load_transactions(path, fast=step != "plain")
    if step == "fast+summary":
        from portfolio_lib.engine.aggregate import customer_summary

        return customer_summary(frame, as_of=as_of)
    return frame


def _worker(step: str, path: Path, as_of: str, code: str | None = None) -> None:
    # Imports before the clock: every step pays its reading and parsing, not Python's imports.
    import pandas  # noqa: F401
    import pyarrow.csv  # noqa: F401

    import portfolio_lib.data.load
    import portfolio_lib.engine.aggregate

    if step == "lifetimes":
        import lifetimes.utils  # noqa: F401
    assert Path(portfolio_lib.data.load.__file__).is_relative_to(code or ROOT)
    wall, cpu = time.perf_counter(), time.process_time()
    result = _run_step(step, path, as_of)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_mib": _peak_mib(), "rows": len(result)}))


def _measure(step: str, path: Path, as_of: str, repeat: int, code: str | None = None) -> dict:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                step,
                str(path),
                as_of,
                *([code] if code else []),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"  {step}: {json.dumps(runs)}", file=sys.stderr, flush=True)
    return {
        "wall": statistics.median(r["wall"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "peak_mib": max(r["peak_mib"] for r in runs),
        "rows": runs[0]["rows"],
        "runs": runs,
    }


def _table(size: str, path: Path, results: dict[str, dict]) -> list[str]:
    floor = results.get("arrow", {}).get("wall")
    lines = [
        f"### {size} lines ({path.stat().st_size / 2**20:.0f} MiB, cp1252, `;`, decimal comma)",
        "",
        "| step | wall (s) | CPU (s) | peak memory (MiB) | x bare Arrow read |",
        "|---|---:|---:|---:|---:|",
    ]
    for step, m in results.items():
        ratio = f"{m['wall'] / floor:.1f}" if floor else ""
        lines.append(
            f"| {step} | {m['wall']:.2f} | {m['cpu']:.2f} | {m['peak_mib']:.0f} | {ratio} |"
        )
    return lines


def _verdicts(rows: int, results: dict[str, dict]) -> list[tuple[str, bool]]:
    verdicts = []
    fast = results.get("fast")
    if fast and rows in LOAD_SECONDS:
        verdicts.append(
            (f"{rows:,} lines loaded and checked < {LOAD_SECONDS[rows]:g} s: {fast['wall']:.2f} s",
             fast["wall"] < LOAD_SECONDS[rows])
        )  # fmt: skip
    if fast and rows in PEAK_GIB:
        peak = fast["peak_mib"] / 1024
        verdicts.append(
            (f"{rows:,} lines peak memory < {PEAK_GIB[rows]:g} GiB: {peak:.2f} GiB",
             peak < PEAK_GIB[rows])
        )  # fmt: skip
    whole, floor = results.get("fast+summary"), results.get("arrow")
    if whole and floor:
        ratio = whole["wall"] / floor["wall"]
        verdicts.append(
            (f"{rows:,} lines file -> first analysis within {FIRST_ANALYSIS_RATIO:g}x of the "
             f"bare Arrow read: {ratio:.1f}x", ratio <= FIRST_ANALYSIS_RATIO)
        )  # fmt: skip
    plain = results.get("plain")
    if fast and plain:
        speedup = plain["wall"] / fast["wall"]
        verdicts.append(
            (f"{rows:,} lines fast path >= 2x the plain one: {speedup:.1f}x", speedup >= 2)
        )
    return verdicts


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1], Path(argv[2]), argv[3], *argv[4:5])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1m"], help="rows: 1m, 20m, 250k ...")
    parser.add_argument("--repeat", type=int, default=3, help="fresh runs per step (median)")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--baseline", help="checkout whose portfolio_lib runs fast (baseline)")
    args = parser.parse_args(argv)
    report, verdicts, everything = [], [], {}
    for size in args.sizes:
        rows = parse_size(size)
        path = ensure_export(size, "fr", verbose=True)
        as_of = ensure_log(size).as_of
        results = {}
        for step in args.steps:
            if rows > SLOW_STEPS.get(step, rows):
                continue
            repeat = 1 if rows > 5_000_000 else args.repeat
            print(f"{size} {step} ...", file=sys.stderr, flush=True)
            results[step] = _measure(step, path, as_of, repeat)
            if args.baseline and step in ("fast", "fast+summary"):
                print(f"{size} {step} (baseline) ...", file=sys.stderr, flush=True)
                code = str(Path(args.baseline).resolve())
                results[f"{step} (baseline)"] = _measure(step, path, as_of, repeat, code)
        everything[size] = results
        report += [*_table(size, path, results), ""]
        verdicts += _verdicts(rows, results)
    report += [f"- {'PASS' if ok else 'FAIL'} {text}" for text, ok in verdicts]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "ingest.json").write_text(json.dumps(everything, indent=2))
    (RESULTS_DIR / "ingest.md").write_text("\n".join(report) + "\n")
    print("\n".join(report))
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
