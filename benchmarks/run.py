"""``make bench``: speed and memory of the workbook against lifetimes, on generated logs.

For each log size (rows; default 1m 5m 20m) it measures, each step in a fresh process:

- the floors: DuckDB scanning the Parquet log (3 and 5 columns), pandas.read_parquet (3);
- ``customer_summary`` (ours) and lifetimes' ``summary_data_from_transaction_data`` (reading
  included for both), and whether they agree (frequency, recency, T exactly, monetary value
  within 1e-9);
- ``aggregate`` (ours, full: customer table, customer x month table, summary);
- the whole set of analyses and single widget changes on the aggregated tables;

then a 100k-customer portfolio for the widget target, the predictive-model benchmark
(``bench_predictive.py``) when present, and the targets with PASS/FAIL.

Usage: ``python benchmarks/run.py [--sizes 1m 5m 20m] [--quick] [--skip-lifetimes]
[--repeat 3] [--no-predictive]``. Logs are generated once and cached in ``benchmarks/data/``;
results go to ``benchmarks/results/`` (JSON and Markdown). The exit status is 1 when a target
fails or a step of ours crashes.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import SEED, LogFiles, log_directory, parse_size  # noqa: E402

RESULTS_DIR = ROOT / "benchmarks" / "results"
SCRIPT = Path(__file__).resolve()

DEFAULT_SIZES = ("1m", "5m", "20m")
QUICK_SIZES = ("100k", "300k")
WIDGET_ROWS = "1.6m"  # ~16 lines per customer: about 100k customers
QUICK_WIDGET_ROWS = "100k"
PREDICTIVE_SIZES = ("100000", "1000000")
QUICK_PREDICTIVE_SIZES = ("20000",)
REPEAT_UNDER_SECONDS = 20.0  # steps slower than this run once (their noise is relatively small)
STEP_TIMEOUT = 900.0
LIFETIMES_TIMEOUT = 1800.0

# Targets of the issue.
SUMMARY_SIZE = 20_000_000
SUMMARY_SPEEDUP = 5.0
SUMMARY_PEAK_MIB = 1.5 * 1024
CHECK_SIZE = 1_000_000
MONETARY_TOLERANCE = 1e-9
ANALYSES_CUSTOMERS = 1_000_000
ANALYSES_SECONDS = 3.0  # simplicity wins over the last second
WIDGET_CUSTOMERS = 100_000
WIDGET_SECONDS = 0.2

SIZE_STEPS = (
    "floor_duckdb",
    "floor_duckdb_all",
    "floor_pandas",
    "summary",
    "lifetimes",
    "aggregate",
    "analyses",
    "widget",
)


@dataclass
class Measure:
    """Every run of one step at one size (median wall and CPU, largest peak)."""

    step: str
    status: str = "ok"  # ok, timeout, failed, skipped
    runs: list[dict] = field(default_factory=list)
    note: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(r["wall"] for r in self.runs) if self.runs else float("nan")

    @property
    def cpu(self) -> float:
        return statistics.median(r["cpu"] for r in self.runs) if self.runs else float("nan")

    @property
    def peak(self) -> float:
        return max(r["peak_mib"] for r in self.runs) if self.runs else float("nan")

    @property
    def base(self) -> float:
        return statistics.median(r["base_mib"] for r in self.runs) if self.runs else float("nan")

    @property
    def detail(self) -> dict:
        return self.runs[0] if self.runs else {}


# --------------------------------------------------------------------------------------------
# Processes


def _run_process(command: list[str], timeout: float, log: Path) -> str:
    """Run ``command`` with its output in ``log``: 'ok', 'failed' or 'timeout'."""
    with log.open("ab") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()  # our own child: it holds no lock anyone waits for
            process.wait()
            return "timeout"
    return "ok" if code == 0 else "failed"


def _tail(log: Path, lines: int = 6) -> str:
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def _ensure_log(size: str, log: Path) -> LogFiles:
    """Generate the log in a child process (its memory is not ours) unless cached."""
    rows = parse_size(size)
    directory = log_directory(rows, SEED)
    if not (directory / "meta.json").exists():
        print(f"  generating the {size} log (once; cached in {directory.parent}) ...", flush=True)
        status = _run_process(
            [sys.executable, str(ROOT / "benchmarks" / "generate.py"), size], 7200, log
        )
        if status != "ok":
            raise SystemExit(f"generating the {size} log failed: {_tail(log)}")
    return LogFiles.read(directory)


def _ensure_aggregates(files: LogFiles, log: Path) -> None:
    status = _run_process(
        [sys.executable, str(SCRIPT), "--worker", "prepare", str(files.directory)], 3600, log
    )
    if status != "ok":
        raise SystemExit(f"aggregating {files.directory.name} failed: {_tail(log)}")


def _measure(
    step: str,
    files: LogFiles,
    *,
    repeats: int,
    timeout: float,
    log: Path,
    save: Path | None = None,
) -> Measure:
    """Run ``step`` in fresh processes: once, then up to ``repeats`` when it is quick."""
    measure = Measure(step)
    runs = 1 if step in ("analyses", "widget") else repeats
    for run in range(runs):
        with tempfile.TemporaryDirectory(prefix="portfolio-bench-") as tmp:
            out = Path(tmp) / "result.json"
            command = [sys.executable, str(SCRIPT), "--worker", step, str(files.directory)]
            command += ["--out", str(out)]
            if save is not None and run == 0:
                command += ["--save", str(save)]
            status = _run_process(command, timeout, log)
            if status != "ok":
                measure.status = status
                measure.note = (
                    f"timed out after {timeout:g} s" if status == "timeout" else _tail(log)
                )
                return measure
            measure.runs.append(json.loads(out.read_text()))
        print(
            f"    {step:17s} run {run + 1}/{runs}: {measure.runs[-1]['wall']:8.3f} s, "
            f"peak {measure.runs[-1]['peak_mib']:7.0f} MiB",
            flush=True,
        )
        if measure.runs[0]["wall"] > REPEAT_UNDER_SECONDS:
            break
    return measure


# --------------------------------------------------------------------------------------------
# Report


def _seconds(value: float) -> str:
    if value != value:  # NaN
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _machine() -> dict[str, object]:
    info: dict[str, object] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line
        )
    except (OSError, StopIteration):
        info["cpu"] = platform.processor() or "unknown"
    try:
        meminfo = Path("/proc/meminfo").read_text().split()
        info["ram_gib"] = round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 2**20, 1)
    except (OSError, ValueError):
        info["ram_gib"] = None
    for package in ("pandas", "numpy", "pyarrow", "duckdb", "lifetimes"):
        try:
            info[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            info[package] = None
    return info


_FIRST_TOUCH = """
import time
import numpy as np
started = time.perf_counter()
block = np.ones(2**25)  # 256 MiB never touched by this process
print((time.perf_counter() - started) * 4)
"""


def _first_touch_seconds_per_gib() -> float:
    """Seconds per GiB to fault in fresh memory, measured in a new process.

    About 0.2 s on a laptop or a server; several seconds on virtual machines that hand freed
    memory back to their host, where every large fresh allocation pays it again: steps that
    allocate much (dense matrices, hash tables) are slowed down accordingly there.
    """
    try:
        done = subprocess.run(
            [sys.executable, "-c", _FIRST_TOUCH], capture_output=True, text=True, timeout=120
        )
        return float(done.stdout.strip())
    except (subprocess.SubprocessError, ValueError):
        return float("nan")


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def _labels() -> dict[str, str]:
    from benchmarks.steps import STEPS

    return {key: step.label for key, step in STEPS.items()}


def _size_table(size: str, files: LogFiles, measures: dict[str, Measure]) -> list[str]:
    """One size: a Markdown table (also readable as plain text)."""
    from benchmarks.steps import STEPS

    labels = _labels()
    lifetimes = measures.get("lifetimes")
    head = (
        f"### {size}: {files.rows:,} rows, {files.n_customers:,} customers "
        f"({files.n_buyers:,} buyers), Parquet {files.transactions.stat().st_size / 2**20:.0f} MiB"
    )
    lines = [
        head,
        "",
        "| step | wall s | cpu s | peak MiB | base MiB | vs lifetimes | vs floor |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key in SIZE_STEPS:
        measure = measures.get(key)
        if measure is None:
            continue
        label = labels[key]
        if measure.status != "ok":
            lines.append(f"| {label} | {measure.status}: {measure.note} | | | | | |")
            continue
        versus = ""
        if STEPS[key].lifetimes and lifetimes is not None:
            if lifetimes.status == "ok":
                versus = f"{lifetimes.wall / measure.wall:.1f}x faster"
                versus += f", {measure.peak / lifetimes.peak:.2f}x memory"
            else:
                versus = f"lifetimes {lifetimes.status}"
        floor = ""
        floor_key = STEPS[key].floor
        if floor_key and measures.get(floor_key) and measures[floor_key].status == "ok":
            floor = f"{measure.wall / measures[floor_key].wall:.1f}x"
        if key == "analyses":
            descriptive = len(measure.detail["calls"]) - len(measure.detail["iterative"])
            label += f" ({descriptive} descriptive calls)"
        if key == "widget":
            label += " (slowest)"
        lines.append(
            f"| {label} | {_seconds(measure.wall)} | {_seconds(measure.cpu)} | "
            f"{measure.peak:.0f} | {measure.base:.0f} | {versus} | {floor} |"
        )
    lines += _calls_lines(measures)
    return lines


def _calls_lines(measures: dict[str, Measure]) -> list[str]:
    lines: list[str] = []
    for key, title in (("analyses", "analyses"), ("widget", "widget changes")):
        measure = measures.get(key)
        if measure is None or measure.status != "ok":
            continue
        detail = measure.detail
        calls = detail.get("calls", {})
        runs = "median of 3 runs of the whole set" if key == "analyses" else "median of 7"
        lines += ["", f"{title} on {detail.get('customers', 0):,} customers ({runs}):", ""]
        lines += [f"    {seconds * 1000:9.1f} ms  {label}" for label, seconds in calls.items()]
        lines += [f"    not available: {label} ({why})" for label, why in detail["missing"].items()]
        lines += [f"    FAILED: {label}: {why}" for label, why in detail["failed"].items()]
        if key == "analyses":
            lines.append(f"    {detail['total'] * 1000:9.1f} ms  total of the descriptive analyses")
    return lines


def _check_lines(size: str, check: dict | None) -> list[str]:
    if check is None:
        return []
    if not check.get("same_customers"):
        return [
            "",
            f"summary check on {size}: FAIL, customers differ ({check['customers']:,} ours, "
            f"{check['lifetimes_customers']:,} lifetimes')",
        ]
    exact = all(check[f"{c}_equal"] for c in ("frequency", "recency", "T"))
    return [
        "",
        f"summary check on {size} ({check['customers']:,} customers): "
        f"{'PASS' if check['ok'] else 'FAIL'}: frequency/recency/T "
        f"{'identical' if exact else 'DIFFER'}, monetary value max |diff| "
        f"{check['monetary_max_abs_diff']:.2e} (values up to {check['monetary_max_value']:,.0f})",
    ]


@dataclass
class Target:
    text: str
    status: str  # PASS, FAIL, n/a
    value: str


def _targets(results: dict[str, dict], widget: dict | None) -> list[Target]:
    targets: list[Target] = []
    at = next((r for r in results.values() if r["rows"] == SUMMARY_SIZE), None)
    text = f"customer summary at 20m rows >= {SUMMARY_SPEEDUP:g}x faster than lifetimes"
    memory = f"customer summary at 20m rows peak < {SUMMARY_PEAK_MIB:.0f} MiB"
    if at is None:
        targets += [Target(text, "n/a", "20m not run"), Target(memory, "n/a", "20m not run")]
    else:
        ours, theirs = at["measures"]["summary"], at["measures"].get("lifetimes")
        if ours.status != "ok":
            targets.append(Target(text, "FAIL", f"ours {ours.status}"))
        elif theirs is None:
            targets.append(Target(text, "n/a", "lifetimes skipped"))
        elif theirs.status == "timeout":
            targets.append(Target(text, "PASS", f"lifetimes {theirs.note}, ours {ours.wall:.1f} s"))
        elif theirs.status != "ok":
            targets.append(Target(text, "n/a", f"lifetimes {theirs.status}"))
        else:
            speedup = theirs.wall / ours.wall
            targets.append(
                Target(
                    text,
                    "PASS" if speedup >= SUMMARY_SPEEDUP else "FAIL",
                    f"{speedup:.1f}x ({ours.wall:.2f} s vs {theirs.wall:.1f} s)",
                )
            )
        if ours.status == "ok":
            targets.append(
                Target(
                    memory,
                    "PASS" if ours.peak < SUMMARY_PEAK_MIB else "FAIL",
                    f"{ours.peak:.0f} MiB",
                )
            )
        else:
            targets.append(Target(memory, "FAIL", f"ours {ours.status}"))

    text = f"summary equals lifetimes' on the 1m log (monetary within {MONETARY_TOLERANCE:g})"
    at = next((r for r in results.values() if r["rows"] == CHECK_SIZE), None)
    if at is None or at.get("check") is None:
        targets.append(Target(text, "n/a", "1m not run with lifetimes"))
    else:
        check = at["check"]
        targets.append(
            Target(
                text,
                "PASS" if check["ok"] else "FAIL",
                f"max |diff| {check.get('monetary_max_abs_diff', float('nan')):.1e}",
            )
        )

    text = f"all analyses after aggregation < {ANALYSES_SECONDS:g} s at >= 1M customers"
    big = [
        r
        for r in results.values()
        if r["customers"] >= ANALYSES_CUSTOMERS and "analyses" in r["measures"]
    ]
    if not big:
        targets.append(Target(text, "n/a", "no size with 1M customers run"))
    else:
        measure = big[0]["measures"]["analyses"]
        if measure.status != "ok" or measure.detail.get("failed"):
            targets.append(Target(text, "FAIL", measure.status + " " + measure.note))
        else:
            total = measure.detail["total"]
            iterative = sum(measure.detail.get("iterative", {}).values())
            missing = len(measure.detail.get("missing", {}))
            value = f"{total:.2f} s on {big[0]['customers']:,} customers"
            value += f" (+ predictive fit {iterative:.1f} s)" if iterative else ""
            value += f"; {missing} not available yet" if missing else ""
            targets.append(Target(text, "PASS" if total < ANALYSES_SECONDS else "FAIL", value))

    text = f"a widget change < {WIDGET_SECONDS * 1000:.0f} ms at 100k customers"
    if widget is None or widget["customers"] < 0.9 * WIDGET_CUSTOMERS:
        targets.append(Target(text, "n/a", "no 100k-customer portfolio run"))
    else:
        measure = widget["measures"]["widget"]
        if measure.status != "ok" or measure.detail.get("failed"):
            targets.append(Target(text, "FAIL", measure.status + " " + measure.note))
        else:
            calls = measure.detail["calls"]
            slowest = max(calls, key=calls.get)
            targets.append(
                Target(
                    text,
                    "PASS" if calls[slowest] < WIDGET_SECONDS else "FAIL",
                    f"slowest {calls[slowest] * 1000:.0f} ms ({slowest}) on "
                    f"{widget['customers']:,} customers",
                )
            )
    return targets


# --------------------------------------------------------------------------------------------
# Main


def _worker_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="run.py --worker")
    parser.add_argument("step")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--save", type=Path)
    args = parser.parse_args(argv)
    files = LogFiles.read(args.directory)
    if args.step == "prepare":
        from benchmarks.steps import load_aggregates

        load_aggregates(files)
        return 0
    from benchmarks.steps import worker

    worker(args.step, files, args.out, args.save)
    return 0


def _run_size(size: str, args: argparse.Namespace, log: Path, steps: tuple[str, ...]) -> dict:
    files = _ensure_log(size, log)
    print(f"  {size}: {files.rows:,} rows, {files.n_customers:,} customers", flush=True)
    if {"analyses", "widget"} & set(steps):
        _ensure_aggregates(files, log)
    out_dir = RESULTS_DIR / "summaries"
    out_dir.mkdir(parents=True, exist_ok=True)
    measures: dict[str, Measure] = {}
    for step in steps:
        if step == "lifetimes" and args.skip_lifetimes:
            continue
        if step == "lifetimes" and importlib.util.find_spec("lifetimes") is None:
            measures[step] = Measure(step, "skipped", note="lifetimes not installed")
            continue
        save = out_dir / f"{step}_{size}.parquet" if step in ("summary", "lifetimes") else None
        timeout = args.lifetimes_timeout if step == "lifetimes" else STEP_TIMEOUT
        measures[step] = _measure(
            step, files, repeats=args.repeat, timeout=timeout, log=log, save=save
        )
    check = None
    if all(k in measures and measures[k].status == "ok" for k in ("summary", "lifetimes")):
        from benchmarks.steps import compare_summaries

        check = compare_summaries(
            out_dir / f"summary_{size}.parquet", out_dir / f"lifetimes_{size}.parquet"
        )
    return {
        "size": size,
        "rows": files.rows,
        "customers": files.n_customers,
        "files": files,
        "measures": measures,
        "check": check,
    }


def _predictive(args: argparse.Namespace, log: Path) -> list[str]:
    script = ROOT / "benchmarks" / "bench_predictive.py"
    if args.no_predictive or not script.exists():
        return []
    sizes = args.predictive_sizes or (QUICK_PREDICTIVE_SIZES if args.quick else PREDICTIVE_SIZES)
    command = [sys.executable, str(script), "--sizes", *sizes]
    if not args.skip_lifetimes and importlib.util.find_spec("lifetimes") is not None:
        command.append("--lifetimes")
    print(f"  predictive models: {' '.join(command[1:])}", flush=True)
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.lifetimes_timeout, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return ["", "## Predictive models (bench_predictive.py)", "", "timed out"]
    text = done.stdout.rstrip()
    if done.returncode:
        text += f"\n(exit status {done.returncode}) " + done.stderr.strip()[-500:]
    with log.open("a") as handle:
        handle.write(done.stderr)
    return ["", "## Predictive models (bench_predictive.py)", "", "```", text, "```"]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return _worker_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", help="log sizes in rows (default 1m 5m 20m)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--skip-lifetimes", action="store_true", help="do not run lifetimes")
    parser.add_argument("--repeat", type=int, default=3, help="fresh runs of quick steps")
    parser.add_argument("--widget-rows", help=f"rows of the widget log (default {WIDGET_ROWS})")
    parser.add_argument("--lifetimes-timeout", type=float, default=LIFETIMES_TIMEOUT)
    parser.add_argument("--no-predictive", action="store_true", help="skip bench_predictive.py")
    parser.add_argument("--predictive-sizes", nargs="+", help="customers for bench_predictive")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat = min(args.repeat, 1)
    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    for size in (*sizes, args.widget_rows or WIDGET_ROWS):
        try:
            parse_size(size)  # fail early on a typo
        except ValueError as err:
            parser.error(str(err))
    widget_rows = args.widget_rows or (QUICK_WIDGET_ROWS if args.quick else WIDGET_ROWS)

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log = RESULTS_DIR / f"run-{stamp}.log"
    machine = _machine()
    machine["first_touch_s_per_gib"] = round(_first_touch_seconds_per_gib(), 2)
    load_start = _load()
    print(
        f"portfolio workbook benchmark: {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['ram_gib']} GiB; load average {load_start}; worker output in {log}",
        flush=True,
    )
    started = time.perf_counter()
    results = {size: _run_size(size, args, log, SIZE_STEPS) for size in sizes}
    print(f"  widget portfolio ({widget_rows} rows):", flush=True)
    widget = _run_size(widget_rows, args, log, ("widget",))
    predictive = _predictive(args, log)
    elapsed = time.perf_counter() - started
    load_end = _load()

    lines = [
        "## Machine",
        "",
        f"{machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM, "
        f"{machine['platform']}; Python {machine['python']}, pandas {machine['pandas']}, "
        f"numpy {machine['numpy']}, pyarrow {machine['pyarrow']}, duckdb {machine['duckdb']}, "
        f"lifetimes {machine['lifetimes']}. Load average (1, 5, 15 min) {load_start} at the "
        f"start, {load_end} at the end; {elapsed / 60:.0f} min in all. First touch of fresh "
        f"memory: {machine['first_touch_s_per_gib']} s/GiB (about 0.2 on an ordinary machine).",
        "",
        f"wall = median over fresh processes (steps under {REPEAT_UNDER_SECONDS:.0f} s run "
        f"{args.repeat} times, analyses and widgets once with repeats inside); cpu = user + system seconds of the step (both cores count: "
        "cpu > wall means parallel work, wall >> cpu / 2 means waiting for a busy CPU); "
        "peak = the step process's largest resident memory (VmHWM, reset after its untimed "
        "setup); base = its resident memory before the step.",
        "",
        "## Results",
    ]
    for size, result in results.items():
        lines += ["", *_size_table(size, result["files"], result["measures"])]
        lines += _check_lines(size, result["check"])
    widget_measure = widget["measures"]["widget"]
    lines += ["", f"### widget portfolio: {widget['customers']:,} customers ({widget_rows} rows)"]
    lines += _calls_lines({"widget": widget_measure})
    lines += predictive
    targets = _targets(results, widget)
    lines += ["", "## Targets", ""]
    lines += [f"- **{t.status}** {t.text}: {t.value}" for t in targets]
    report = "\n".join(lines)
    print("\n" + report, flush=True)

    (RESULTS_DIR / "latest.md").write_text(report + "\n")
    raw = {
        "machine": machine,
        "load": [load_start, load_end],
        "sizes": {
            size: {
                "rows": r["rows"],
                "customers": r["customers"],
                "check": r["check"],
                "measures": {k: m.__dict__ for k, m in r["measures"].items()},
            }
            for size, r in [*results.items(), ("widget", widget)]
        },
        "targets": [t.__dict__ for t in targets],
    }
    (RESULTS_DIR / f"results-{stamp}.json").write_text(json.dumps(raw, indent=1, default=str))
    print(f"\n(written to {RESULTS_DIR / 'latest.md'} and results-{stamp}.json)")
    crashed = [
        f"{size}/{key}"
        for size, r in [*results.items(), ("widget", widget)]
        for key, m in r["measures"].items()
        if m.status == "failed" and key != "lifetimes"
    ]
    if crashed:
        print(f"steps that crashed: {', '.join(crashed)} (see {log})", file=sys.stderr)
    return 1 if crashed or any(t.status == "FAIL" for t in targets) else 0


if __name__ == "__main__":
    raise SystemExit(main())
