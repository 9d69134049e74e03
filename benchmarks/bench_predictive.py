"""Fit time and peak memory of the predictive CLV models for 100k and 1M customers.

Customers are simulated from the BG/NBD and Gamma-Gamma processes themselves
(:func:`portfolio_lib.models.simulate_summary`, vectorised; recency in whole days, ages
spread over three years as a daily transaction log gives them), so the fits have a true optimum
to find. Each size runs in a fresh subprocess: its peak resident memory (VmHWM) is its own.

Run ``python benchmarks/bench_predictive.py [--sizes 100000 1000000] [--lifetimes]``;
``--lifetimes`` also times lifetimes' BetaGeoFitter and GammaGammaFitter on the same customers
(one row per customer, as lifetimes is called), in their own subprocesses.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from collections.abc import Sequence

import numpy as np

TRUE_BGNBD = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}  # weeks
TRUE_GG = {"p": 6.0, "q": 4.0, "v": 15.0}
SEED = 20240611
MAX_AGE_DAYS = 1095  # three years of history


def _peak_rss_mb() -> float:
    """Peak resident set size of this process, from /proc (VmHWM) or getrusage."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 1024**2  # kB on Linux, B on macOS


def _current_rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the next peak is the fit's own."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _customers(n: int):
    from portfolio_lib.models import simulate_summary

    ages = np.random.default_rng(SEED).integers(1, MAX_AGE_DAYS + 1, n).astype(float)
    return simulate_summary(
        n, bgnbd=TRUE_BGNBD, gamma_gamma=TRUE_GG, T=ages, whole_days=True, seed=SEED + 1
    )


def _worker_ours(n: int) -> dict[str, object]:
    from portfolio_lib import models as predictive

    started = time.perf_counter()
    customers = _customers(n)
    simulate_s = time.perf_counter() - started
    baseline = _current_rss_mb()
    peak_before = _peak_rss_mb()
    reset = _reset_peak()
    started = time.perf_counter()
    bgnbd = predictive.fit_bgnbd(customers)
    bgnbd_s = time.perf_counter() - started
    started = time.perf_counter()
    spend = predictive.fit_gamma_gamma(customers)
    gg_s = time.perf_counter() - started
    started = time.perf_counter()
    clv = predictive.predictive_clv(customers, bgnbd, spend, horizon_months=36)
    clv_s = time.perf_counter() - started
    peak = _peak_rss_mb()
    groups = len(customers[["frequency", "recency", "T"]].drop_duplicates())
    return {
        "engine": "portfolio_lib",
        "customers": n,
        "groups": groups,
        "simulate_s": simulate_s,
        "bgnbd_s": bgnbd_s,
        "gamma_gamma_s": gg_s,
        "clv_s": clv_s,
        "baseline_mb": baseline,
        "peak_mb": max(peak, peak_before),
        "fit_peak_above_baseline_mb": peak - baseline if reset else float("nan"),
        "converged": bool(bgnbd.converged and spend.converged),
        "params": {**bgnbd.params, **spend.params},
        "clv_total": float(clv["clv"].sum()),
    }


def _worker_lifetimes(n: int) -> dict[str, object]:
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    customers = _customers(n)
    baseline = _current_rss_mb()
    reset = _reset_peak()
    started = time.perf_counter()
    bgnbd = BetaGeoFitter().fit(
        customers["frequency"], customers["recency"] / 7, customers["T"] / 7
    )
    bgnbd_s = time.perf_counter() - started
    repeat = customers[customers["frequency"] > 0]
    started = time.perf_counter()
    spend = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    gg_s = time.perf_counter() - started
    peak = _peak_rss_mb()
    return {
        "engine": "lifetimes",
        "customers": n,
        "bgnbd_s": bgnbd_s,
        "gamma_gamma_s": gg_s,
        "baseline_mb": baseline,
        "peak_mb": peak,
        "fit_peak_above_baseline_mb": peak - baseline if reset else float("nan"),
        "params": {**bgnbd.params_.to_dict(), **spend.params_.to_dict()},
    }


def _run(engine: str, n: int) -> dict[str, object]:
    """One measurement in a fresh interpreter, so peak memory is not inherited."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", engine, str(n)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{engine} with {n:,} customers failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cell(value: object, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def format_table(results: Sequence[dict[str, object]]) -> str:
    """Markdown table of the measurements."""
    header = (
        "engine",
        "customers",
        "groups",
        "BG/NBD fit s",
        "Gamma-Gamma fit s",
        "CLV 36 m s",
        "peak RSS MB",
        "fit peak above baseline MB",
    )
    keys = (
        "engine",
        "customers",
        "groups",
        "bgnbd_s",
        "gamma_gamma_s",
        "clv_s",
        "peak_mb",
        "fit_peak_above_baseline_mb",
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in results:
        digits = {"peak_mb": 0, "fit_peak_above_baseline_mb": 0}
        cells = [_cell(row.get(k), digits.get(k, 2)) for k in keys]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every size (and lifetimes with ``--lifetimes``) and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--lifetimes", action="store_true", help="also time lifetimes")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        engine, n = args.worker[0], int(args.worker[1])
        worker = {"ours": _worker_ours, "lifetimes": _worker_lifetimes}[engine]
        print(json.dumps(worker(n)))
        return 0
    results = []
    for n in args.sizes:
        results.append(_run("ours", n))
        if args.lifetimes:
            results.append(_run("lifetimes", n))
    print(
        f"Predictive CLV fits on customers simulated from BG/NBD {TRUE_BGNBD} and "
        f"Gamma-Gamma {TRUE_GG}; each row in its own process ({os.cpu_count()} CPUs)."
    )
    print(format_table(results))
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
