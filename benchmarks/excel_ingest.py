"""Loading a large Excel workbook (issue 19: a 1M-row .xlsx took ~62 s in the loader).

Writes (and caches in ``benchmarks/data/``) a French sales workbook of N rows (one sheet
``Ventes``, a title line above the header, columns client / date / montant / produit, dates
as Excel dates, amounts as numbers), then times ``load_transactions`` on it in a fresh process
per engine: ``openpyxl`` (pandas' default reader, the loader before the fix) and ``calamine``
(python-calamine, the loader's reader now). Both must give the same frame. CPU time is
printed beside the wall time: on a shared machine it is the steadier figure. Usage:
``python benchmarks/excel_ingest.py [--sizes 200k 1m] [--engines calamine openpyxl]``;
results in ``benchmarks/results/excel_ingest.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import parse_size  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "excel_ingest.md"


def ensure_workbook(rows: int) -> Path:
    """The cached workbook of ``rows`` sales lines (written once, with openpyxl)."""
    import numpy as np
    import openpyxl

    path = DATA / f"ventes_{rows}.xlsx"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(19)
    customers = rng.integers(1, rows // 10 + 2, rows)
    days = rng.integers(0, 3 * 365, rows)
    amounts = np.round(rng.gamma(2.0, 150.0, rows), 2)
    products = rng.integers(1, 400, rows)
    start = dt.datetime(2022, 1, 3)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Ventes")
    sheet.append(["Export des ventes (ERP)"])
    sheet.append(["N° client", "Date facture", "Montant HT", "Produit"])
    columns = (customers.tolist(), days.tolist(), amounts.tolist(), products.tolist())
    for c, d, a, p in zip(*columns, strict=True):
        sheet.append([f"C{c:06d}", start + dt.timedelta(days=d), a, f"P{p:04d}"])
    tmp = path.with_suffix(".tmp.xlsx")
    book.save(tmp)
    tmp.rename(path)
    return path


def _worker(engine: str, path: str) -> None:
    import portfolio_lib.data.read as read
    from portfolio_lib import load_transactions

    read.EXCEL_ENGINE = engine
    started, cpu = time.perf_counter(), time.process_time()
    frame = load_transactions(path, today="2030-01-01")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    digest = hashlib.sha1(frame.to_csv(index=False).encode()).hexdigest()[:12]
    print(f"{seconds:.2f} {cpu:.2f} {len(frame)} {digest}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["200k"])
    parser.add_argument("--engines", nargs="+", default=["calamine", "openpyxl"])
    args = parser.parse_args(argv)
    lines = [
        "| rows | engine | load_transactions wall (s) | CPU (s) | frame digest |",
        "|---|---|---|---|---|",
    ]
    digests = set()
    for size in args.sizes:
        rows = parse_size(size)
        path = ensure_workbook(rows)
        for engine in args.engines:
            out = subprocess.run(
                [sys.executable, __file__, "--worker", engine, str(path)],
                capture_output=True, text=True, check=True, cwd=ROOT,
            ).stdout.split()  # fmt: skip
            seconds, cpu, count, digest = float(out[0]), float(out[1]), int(out[2]), out[3]
            digests.add((rows, digest))
            lines.append(f"| {count:,} | {engine} | {seconds:.1f} | {cpu:.1f} | {digest} |")
            print(lines[-1], flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    same = len(digests) == len(args.sizes)
    print("same frame from every engine" if same else "FRAMES DIFFER between engines")
    return 0 if same else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
