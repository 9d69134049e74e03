"""``portfolio-report`` end to end: wall time, CPU time and memory on the sample and on big
French CSV exports (issue 15: sample < 15 s, 1M lines < 25 s, 5M lines < 60 s, < 2 GiB).

Each case runs the real command (``python -m portfolio_lib.report``: eight notebooks, summary,
PDF and slides) in a subprocess and measures:

- wall time, from start to "Report written";
- CPU time of the whole process tree (the command, its workers, the kernels, Chromium), which
  says what the run costs on an idle machine when this one is shared;
- peak memory: the largest sum of resident memory over the process tree, sampled every
  0.2 s, and the largest single process.

The big logs are the ones of ``generate.py`` (cached Parquet), written once as a French
export: ``;`` separators, decimal commas, dates ``dd/mm/yyyy``, French headers for the
transactions ("N° facture", "Code client", "Date facture", "Montant HT"...), with the customer
and cost files beside them (cached in ``benchmarks/data/<log>/french/``).

Usage::

    .venv/bin/python benchmarks/bench_report.py                 # sample, 1m and 5m
    .venv/bin/python benchmarks/bench_report.py --cases sample 1m
    .venv/bin/python benchmarks/bench_report.py --project /path/to/other/checkout  # compare

The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

TARGETS_S = {"sample": 15.0, "1m": 25.0, "5m": 60.0}
MEMORY_TARGET_GIB = 2.0
_TRANSACTION_HEADERS = {
    "order_id": "N° facture",
    "customer_id": "Code client",
    "date": "Date facture",
    "amount": "Montant HT",
    "margin": "Marge",
    "product": "Produit",
}


def french_export(size: str) -> dict[str, Path]:
    """The generated log of ``size`` lines as French CSV files (written once, then cached)."""
    from generate import ensure_log

    files = ensure_log(size, verbose=True)
    folder = Path(files.transactions).parent / "french"
    paths = {name: folder / f"{name}.csv" for name in ("transactions", "customers", "costs")}
    if all(path.is_file() for path in paths.values()):
        return paths
    import pandas as pd

    folder.mkdir(exist_ok=True)
    options = {"sep": ";", "decimal": ",", "date_format": "%d/%m/%Y", "index": False}
    started = time.perf_counter()
    transactions = pd.read_parquet(files.transactions)
    transactions.rename(columns=_TRANSACTION_HEADERS).to_csv(
        paths["transactions"].with_suffix(".tmp"), encoding="utf-8", **options
    )
    pd.read_parquet(files.customers).to_csv(paths["customers"].with_suffix(".tmp"), **options)
    pd.read_parquet(files.costs).to_csv(paths["costs"].with_suffix(".tmp"), **options)
    for path in paths.values():
        os.replace(path.with_suffix(".tmp"), path)
    print(f"  French CSV written in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return paths


def _kind(process: psutil.Process) -> str:
    """What a process of the tree is, from its command line."""
    command = " ".join(process.cmdline())
    if "ipykernel" in command:
        return "kernels"
    if "chrom" in command:
        return "chromium"
    if "multiprocessing" in command:
        return "workers (papermill, nbconvert)"
    return "command (summary, slides)"


def _tree_memory(process: psutil.Process, cpu: dict[int, tuple[str, float]]) -> tuple[int, int]:
    """(sum, largest) resident memory of ``process`` and its descendants, in bytes; the CPU
    time seen so far of each member goes into ``cpu`` ({pid: (kind, seconds)})."""
    total = largest = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    for member in members:
        try:
            rss = member.memory_info().rss
            times = member.cpu_times()
            cpu[member.pid] = (cpu.get(member.pid, ("",))[0] or _kind(member),
                               times.user + times.system)  # fmt: skip
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += rss
        largest = max(largest, rss)
    return total, largest


def run_case(name: str, data: dict[str, Path] | None, project: Path) -> dict:
    """Run one report; return its measures."""
    output = Path(tempfile.mkdtemp(prefix=f"bench-report-{name}-"))
    command = [sys.executable, "-m", "portfolio_lib.report", "--output", str(output)]
    if data:
        command += [f"--{kind}={path}" for kind, path in data.items()]
    env = {**os.environ, "PYTHONPATH": str(project)}
    before = os.times()
    load = os.getloadavg()[0]
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, text=True)
    watched = psutil.Process(child.pid)
    peak = {"total": 0, "largest": 0}
    cpu_seen: dict[int, tuple[str, float]] = {}

    def sample() -> None:
        while child.poll() is None:
            total, largest = _tree_memory(watched, cpu_seen)
            peak["total"] = max(peak["total"], total)
            peak["largest"] = max(peak["largest"], largest)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = child.communicate()
    wall = time.perf_counter() - started
    sampler.join()
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    ok = child.returncode == 0
    report = next(output.glob("20*"), None)
    run = json.loads((report / "run.json").read_text()) if ok and report else {}
    result = {
        "case": name,
        "ok": ok,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "cpu_over_2_cores_s": round(cpu / 2, 1),
        "peak_tree_gib": round(peak["total"] / 2**30, 2),
        "peak_process_gib": round(peak["largest"] / 2**30, 2),
        "load_average_at_start": round(load, 1),
        "pdf": bool(run.get("pdf")),
        "slides": bool(run.get("slides")),
        # at the last sample before each process ended (a lower bound, within 0.2 s)
        "cpu_by_kind_s": {
            kind: round(sum(seconds for k, seconds in cpu_seen.values() if k == kind), 1)
            for kind in sorted({k for k, _ in cpu_seen.values()})
        },
        "notebooks_s": {n["notebook"]: n["duration_s"] for n in run.get("notebooks", [])},
        "log": out.strip().splitlines()[-12:],
    }
    subprocess.run(["rm", "-rf", str(output)], check=False)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["sample", "1m", "5m"])
    parser.add_argument("--project", default=str(ROOT), help="checkout whose report runs")
    parser.add_argument("--json", metavar="PATH", help="also write the results here")
    args = parser.parse_args(argv)
    project = Path(args.project).resolve()
    results = []
    for case in args.cases:
        data = None if case == "sample" else french_export(case)
        print(f"{case}: running portfolio-report ({project}) ...", file=sys.stderr, flush=True)
        results.append(run_case(case, data, project))
        print(json.dumps(results[-1], indent=2), flush=True)
    missed = []
    print("\n| case | wall (s) | target (s) | CPU (s) | CPU / 2 cores (s) | peak tree (GiB) | "
          "largest process (GiB) | load at start |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for result in results:
        target = TARGETS_S.get(result["case"])
        print(
            f"| {result['case']} | {result['wall_s']} | {target or '–'} | {result['cpu_s']} | "
            f"{result['cpu_over_2_cores_s']} | {result['peak_tree_gib']} | "
            f"{result['peak_process_gib']} | {result['load_average_at_start']} |"
        )
        if not result["ok"]:
            missed.append(f"{result['case']}: the report failed")
        if target and result["wall_s"] > target:
            missed.append(f"{result['case']}: {result['wall_s']} s > {target} s")
        if result["peak_tree_gib"] > MEMORY_TARGET_GIB:
            missed.append(f"{result['case']}: {result['peak_tree_gib']} GiB > 2 GiB")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    for line in missed:
        print(f"MISSED {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
