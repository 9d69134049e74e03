"""Realistic transaction logs of any size, generated fast and cached as Parquet.

The story is the one of :mod:`portfolio_lib.data.sample` (a French B2B distributor; purchases follow
BG/NBD: Poisson invoicing while alive, dropout after each repeat invoice), written for tens of
millions of rows: everything is vectorised over customers and rows, strings are only built by
Arrow while the Parquet file is written, slice by slice.

What makes the logs realistic for an aggregation benchmark:

- heterogeneous customers: five segments with their own invoicing rate, dropout probability,
  basket and margin rate, and a Gamma-distributed individual rate on top (a few heavy buyers,
  many occasional ones, 15 % one-off trial accounts);
- churn: each customer stops after a geometric number of repeat invoices;
- invoices with several lines (products), so several rows share a customer and a day, and
  some customers are invoiced twice the same day;
- credit notes (about 3 % of invoices, 3 to 30 days later, negative amounts, their own
  numbers), weekends moved to Mondays;
- string ids (``CL0001234``, invoice numbers ``F25-0001234``), rows in invoice-date order as an
  ERP exports them, a customer table with prospects (no transaction) and a monthly cost table.

``ensure_log(1_000_000)`` returns the cached files for a size and seed, generating them first
when needed; ``python benchmarks/generate.py 1m 5m 20m`` does the same from the shell.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# The sample's regions with their reps, acquisition channels (share, cost) and products: the
# generated logs tell the same story, only bigger (bump GENERATOR_VERSION if these change).
from portfolio_lib.data.sample import (
    _CHANNELS,
    _PRODUCT_WEIGHTS,
    _PRODUCTS,
    _REGION_WEIGHTS,
    _REGIONS,
)

__all__ = [
    "DATA_DIR",
    "GENERATOR_VERSION",
    "LogFiles",
    "ensure_log",
    "parse_size",
    "simulate",
    "size_label",
    "write_log",
]

# Bump when the simulation changes: cached files are keyed by it.
GENERATOR_VERSION = 1
DATA_DIR = Path(os.environ.get("PORTFOLIO_BENCH_DATA", Path(__file__).resolve().parent / "data"))
START = pd.Timestamp("2023-01-01")
END = pd.Timestamp("2025-12-31")
SEED = 20240601

# name: share of customers, invoices/year, dropout p per repeat invoice, mean line €, margin rate
_SEGMENTS = {
    "Artisan": (0.46, 9.0, 0.040, 160.0, 0.33),
    "PME": (0.30, 14.0, 0.030, 380.0, 0.28),
    "ETI": (0.10, 22.0, 0.020, 950.0, 0.23),
    "Grand compte": (0.04, 40.0, 0.015, 2_400.0, 0.18),
    "Collectivité": (0.10, 6.0, 0.030, 700.0, 0.25),
}
_LINES_P = 0.55  # lines per invoice ~ geometric(0.55): mean 1.8, one line for 55 % of invoices
_MAX_LINES = 8
_CREDIT_SHARE = 0.03
_ONE_OFF_SHARE = 0.15
_PROSPECT_SHARE = 0.02  # accounts in the customer table that never bought
_ROWS_PER_CUSTOMER = 18.0  # first guess of the simulation's mean, refined on a pilot run
_WRITE_SLICE = 2_000_000


@dataclass(frozen=True)
class LogFiles:
    """The cached files of one generated log and what they hold."""

    directory: Path
    transactions: Path
    customers: Path
    costs: Path
    rows: int
    n_customers: int
    n_buyers: int
    as_of: str

    @classmethod
    def read(cls, directory: Path) -> LogFiles:
        meta = json.loads((directory / "meta.json").read_text())
        return cls(
            directory=directory,
            transactions=directory / "transactions.parquet",
            customers=directory / "customers.parquet",
            costs=directory / "costs.parquet",
            rows=meta["rows"],
            n_customers=meta["n_customers"],
            n_buyers=meta["n_buyers"],
            as_of=meta["as_of"],
        )


def parse_size(text: str | int) -> int:
    """``"1m"`` -> 1_000_000, ``"250k"`` -> 250_000, ``"1.5m"``, ``"20M"`` or plain integers."""
    if isinstance(text, int):
        return text
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmM]?)\s*", text.replace("_", ""))
    if not match:
        raise ValueError(f"size {text!r} is not understood: write 1m, 5m, 20m, 250k or 100000")
    value = float(match.group(1)) * {"": 1, "k": 1e3, "m": 1e6}[match.group(2).lower()]
    if value < 1:
        raise ValueError(f"size {text!r} must be at least one row")
    return int(round(value))


def size_label(rows: int) -> str:
    """Short label of a row count: 1m, 20m, 250k, 1.5m, 1234."""
    for unit, scale in (("m", 1_000_000), ("k", 1_000)):
        if rows >= scale and rows % (scale // 10) == 0:
            return f"{rows / scale:g}{unit}"
    return str(rows)


# --------------------------------------------------------------------------------------------
# Simulation: integer day numbers and codes only, no strings


@dataclass(frozen=True)
class _Simulated:
    customer: np.ndarray  # int64 code of each row's customer, 0..n-1
    day: np.ndarray  # int32 days since START
    amount: np.ndarray  # float64, rounded to the cent, negative for credit notes
    margin: np.ndarray  # float64, rounded to the cent
    product: np.ndarray  # int8 code into _PRODUCTS
    credit: np.ndarray  # bool: row of a credit note
    invoice: np.ndarray  # int64 key shared by the lines of one invoice
    segment: np.ndarray  # per customer, int8 code into _SEGMENTS
    first_day: np.ndarray  # per customer, int32 acquisition (first invoice) day
    rate: np.ndarray  # per customer, invoices per year
    mean_line: np.ndarray  # per customer, mean line amount €


def _calendar(unit: str) -> np.ndarray:
    """Per day number: the calendar ``year`` (two digits) or ``month`` index since START."""
    days = pd.date_range(START, END + pd.Timedelta(days=40), freq="D")
    if unit == "year":
        return (days.year % 100).to_numpy()
    return ((days.year - START.year) * 12 + days.month - START.month).to_numpy()


def _working_day(day: np.ndarray) -> np.ndarray:
    """Saturdays and Sundays moved to the Monday (B2B invoices carry working days)."""
    weekday = (day + START.day_of_week) % 7
    return day + np.where(weekday >= 5, 7 - weekday, 0)


def _segmented(column: int, segment: np.ndarray) -> np.ndarray:
    return np.array([values[column] for values in _SEGMENTS.values()])[segment]


def simulate(n_customers: int, rng: np.random.Generator) -> _Simulated:
    """Simulate the invoices, lines and credit notes of ``n_customers`` (no strings)."""
    n = n_customers
    n_days = (END - START).days + 1
    shares = np.array([values[0] for values in _SEGMENTS.values()])
    segment = rng.choice(len(shares), size=n, p=shares / shares.sum()).astype(np.int8)
    # Heterogeneous rates: Gamma(0.9) around the segment's rate, so a long tail of heavy buyers.
    rate = _segmented(1, segment) * rng.gamma(0.9, 1 / 0.9, n) + 0.2
    dropout = np.clip(_segmented(2, segment) * rng.gamma(1.5, 1 / 1.5, n), 0.003, 0.9)
    mean_line = _segmented(3, segment) * rng.lognormal(0.0, 0.7, n)
    # Acquisitions spread over the period, a little more in the recent years (growth).
    first_day = (np.sqrt(rng.random(n)) * (n_days - 30)).astype(np.int32)
    first_day = _working_day(first_day).astype(np.int32)
    horizon = (n_days - 1 - first_day) / 365.25

    # Repeat invoices before dropout: geometric count, capped where time runs out anyway.
    draws = np.minimum(rng.geometric(dropout), np.ceil(rate * horizon * 2 + 10).astype(np.int64))
    draws[rng.random(n) < _ONE_OFF_SHARE] = 0
    owner = np.repeat(np.arange(n), draws)
    cumulative = np.cumsum(rng.exponential(1.0, owner.size) / rate[owner])
    starts = np.concatenate([[0], np.cumsum(draws)[:-1]])
    offset = np.repeat(np.concatenate([[0.0], cumulative])[starts], draws)
    years = cumulative - offset
    keep = years <= horizon[owner]
    owner, years = owner[keep], years[keep]
    owner = np.concatenate([np.arange(n), owner])  # the first invoice at acquisition
    inv_day = first_day[owner] + np.floor(np.concatenate([np.zeros(n), years]) * 365.25)
    inv_day = _working_day(inv_day.astype(np.int32))
    keep = inv_day < n_days
    owner, inv_day = owner[keep], inv_day[keep]
    n_invoices = owner.size

    # Lines: one row per product on the invoice.
    lines = np.minimum(rng.geometric(_LINES_P, n_invoices), _MAX_LINES)
    line_invoice = np.repeat(np.arange(n_invoices), lines)
    line_owner = owner[line_invoice]
    amount = np.round(
        np.maximum(mean_line[line_owner] * rng.gamma(2.0, 0.5, line_invoice.size), 5.0), 2
    )
    product = rng.choice(len(_PRODUCTS), size=line_invoice.size, p=_PRODUCT_WEIGHTS).astype(np.int8)

    # Credit notes: part of an invoice's first line returned 3 to 30 days later.
    credited = np.flatnonzero(rng.random(n_invoices) < _CREDIT_SHARE)
    first_line = np.concatenate([[0], np.cumsum(lines)[:-1]])[credited]
    credit_day = _working_day(inv_day[credited] + rng.integers(3, 31, credited.size))
    credit_amount = -np.round(amount[first_line] * rng.uniform(0.1, 1.0, credited.size), 2)
    late = credit_day >= n_days
    credited, first_line = credited[~late], first_line[~late]
    credit_day, credit_amount = credit_day[~late], credit_amount[~late]

    customer = np.concatenate([line_owner, owner[credited]])
    margin_rate = _segmented(4, segment)[customer] + rng.normal(0.0, 0.03, customer.size)
    amounts = np.concatenate([amount, credit_amount])
    return _Simulated(
        customer=customer,
        day=np.concatenate([inv_day[line_invoice], credit_day]).astype(np.int32),
        amount=amounts,
        margin=np.round(amounts * margin_rate, 2),
        product=np.concatenate([product, product[first_line]]),
        credit=np.concatenate([np.zeros(line_invoice.size, bool), np.ones(credited.size, bool)]),
        invoice=np.concatenate([line_invoice, n_invoices + np.arange(credited.size)]),
        segment=segment,
        first_day=first_day,
        rate=rate,
        mean_line=mean_line,
    )


def _exactly(sim: _Simulated, n_rows: int, rng: np.random.Generator) -> tuple[_Simulated, int]:
    """Keep customers in random order until ``n_rows`` rows, the last one partly (its first rows).

    Returns the rows and the number of customers kept; customer codes are renumbered by
    acquisition day so that account numbers grow with time, as in an ERP.
    """
    n = sim.segment.size
    rank = rng.permutation(n)
    order = np.lexsort((sim.invoice, sim.day, rank[sim.customer]))[:n_rows]
    kept = np.zeros(n, bool)
    kept[sim.customer[order]] = True
    old = np.flatnonzero(kept)
    old = old[np.argsort(sim.first_day[old], kind="stable")]
    new_code = np.full(n, -1, np.int64)
    new_code[old] = np.arange(old.size)
    rows = {
        name: getattr(sim, name)[order]
        for name in ("customer", "day", "amount", "margin", "product", "credit", "invoice")
    }
    rows["customer"] = new_code[rows["customer"]]
    per_customer = {
        name: getattr(sim, name)[old] for name in ("segment", "first_day", "rate", "mean_line")
    }
    return _Simulated(**rows, **per_customer), old.size


# --------------------------------------------------------------------------------------------
# Tables and files


def _ids(prefix: str, numbers: pa.Array, width: int) -> pa.Array:
    """``prefix`` + zero-padded numbers, built by Arrow (no Python string per row)."""
    digits = pc.utf8_lpad(pc.cast(numbers, pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _invoice_numbers(day: np.ndarray, credit: np.ndarray, invoice: np.ndarray) -> pa.Array:
    """``F25-0001234`` / ``AV25-0000012``: numbered in date order, per kind and year."""
    new_invoice = np.ones(invoice.size, bool)
    new_invoice[1:] = invoice[1:] != invoice[:-1]
    year = _calendar("year")[day]
    numbers = np.zeros(invoice.size, np.int64)
    for kind in (False, True):
        mask = credit == kind
        counter = np.cumsum(new_invoice & mask)
        for y in np.unique(year[mask]):
            in_year = mask & (year == y)
            before = counter[np.flatnonzero(in_year)[0]] - 1
            numbers[in_year] = counter[in_year] - before
    prefix = np.where(credit, "AV", "F")
    head = pc.binary_join_element_wise(
        pa.array(prefix), pc.utf8_lpad(pc.cast(pa.array(year), pa.string()), 2, "0"), ""
    )
    return pc.binary_join_element_wise(head, _ids("-", pa.array(numbers), 7), "")


def _customer_ids(codes: np.ndarray) -> pa.Array:
    return _ids("CL", pa.array(codes + 1), 7)


def _transactions_schema() -> pa.Schema:
    return pa.schema(
        [
            ("order_id", pa.string()),
            ("customer_id", pa.string()),
            ("date", pa.timestamp("us")),
            ("amount", pa.float64()),
            ("margin", pa.float64()),
            ("product", pa.string()),
        ]
    )


def _write_transactions(sim: _Simulated, path: Path) -> None:
    # ERP export order: invoice date, then invoices before credit notes, then number.
    order = np.lexsort((sim.invoice, sim.customer, sim.credit, sim.day))
    day, credit, invoice = sim.day[order], sim.credit[order], sim.invoice[order]
    order_ids = _invoice_numbers(day, credit, invoice)
    products = pa.array(_PRODUCTS)
    start_us = START.value // 1_000
    schema = _transactions_schema()
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for begin in range(0, order.size, _WRITE_SLICE):
            part = order[begin : begin + _WRITE_SLICE]
            stamps = start_us + sim.day[part].astype(np.int64) * 86_400_000_000
            table = pa.table(
                {
                    "order_id": order_ids.slice(begin, part.size),
                    "customer_id": _customer_ids(sim.customer[part]),
                    "date": pa.array(stamps, pa.timestamp("us")),
                    "amount": sim.amount[part],
                    "margin": sim.margin[part],
                    "product": products.take(pa.array(sim.product[part])),
                },
                schema=schema,
            )
            writer.write_table(table, row_group_size=1 << 20)


def _customers_table(
    sim: _Simulated, n_buyers: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Customer attributes, buyers first then prospects; also each row's acquisition channel."""
    n_prospects = int(round(n_buyers * _PROSPECT_SHARE))
    n = n_buyers + n_prospects
    segment = np.concatenate(
        [sim.segment, rng.choice(sim.segment, n_prospects) if n_buyers else []]
    ).astype(np.int8)
    region = rng.choice(len(_REGIONS), size=n, p=_REGION_WEIGHTS)
    reps = np.array([rep for reps in _REGIONS.values() for rep in reps])
    channel_share = np.array([share for share, _ in _CHANNELS.values()])
    channel = rng.choice(len(_CHANNELS), size=n, p=channel_share)
    channel[segment == list(_SEGMENTS).index("Collectivité")] = list(_CHANNELS).index(
        "Appel d'offres"
    )
    # Yearly potential = yearly spend at full penetration; penetration ~ Beta(2, 3).
    yearly = np.concatenate(
        [
            sim.rate * sim.mean_line * (1 / _LINES_P),
            _segmented(1, segment[n_buyers:]) * _segmented(3, segment[n_buyers:]) * 2,
        ]
    )
    potential = np.round(yearly / rng.beta(2.0, 3.0, n), -2)
    opened = np.concatenate(
        [
            np.maximum(sim.first_day - rng.integers(0, 15, n_buyers), 0),
            rng.integers(0, (END - START).days, n_prospects),
        ]
    )
    customer_id = _customer_ids(np.arange(n)).to_pandas(types_mapper=pd.ArrowDtype).astype("str")
    frame = pd.DataFrame(
        {
            "customer_id": customer_id,
            "sales_rep": reps[region * 2 + rng.integers(0, 2, n)],
            "segment": np.array(list(_SEGMENTS))[segment],
            "region": np.array(list(_REGIONS))[region],
            "acquisition_date": (START + pd.to_timedelta(opened, unit="D")).as_unit("ns"),
            "acquisition_channel": np.array(list(_CHANNELS))[channel],
            "potential": potential,
            "relationship_quality": np.round(np.clip(rng.beta(5, 2, n), 0.05, 1.0), 2),
        }
    )
    return frame, channel


def _costs_table(
    sim: _Simulated, channel: np.ndarray, n_buyers: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Monthly acquisition spend per channel (per customer won + fixed) and retention spend."""
    months = pd.date_range(START, END, freq="MS")
    month_of_day = _calendar("month")
    month_index = month_of_day[sim.first_day]
    won = np.zeros((len(months), len(_CHANNELS)))
    np.add.at(won, (month_index, channel[:n_buyers]), 1)
    cac = np.array([cost for _, cost in _CHANNELS.values()])
    acquisition = (won * cac + 2 * cac) * rng.uniform(0.8, 1.2, won.shape)
    # Buyers per month (a customer once per month), ~25 € of account management each.
    key = np.unique(sim.customer * len(months) + month_of_day[sim.day])
    buyers = np.bincount(key % len(months), minlength=len(months))
    retention = (5_000 + 25.0 * buyers) * rng.uniform(0.85, 1.15, len(months))
    rows = [
        (month, "acquisition", name, round(float(acquisition[m, c]), 2))
        for m, month in enumerate(months)
        for c, name in enumerate(_CHANNELS)
    ] + [
        (month, "retention", None, round(float(retention[m]), 2)) for m, month in enumerate(months)
    ]
    costs = pd.DataFrame(rows, columns=["period", "kind", "channel", "amount"])
    costs["period"] = costs["period"].astype("datetime64[ns]")
    return costs


def write_log(n_rows: int, directory: Path, *, seed: int = SEED) -> LogFiles:
    """Generate a log of exactly ``n_rows`` rows and write its files into ``directory``."""
    if n_rows < 1:
        raise ValueError(f"n_rows must be at least 1, got {n_rows}")
    rng = np.random.default_rng([seed, n_rows])
    # A pilot run measures rows per customer, then one run with 10 % to spare.
    pilot = simulate(20_000, np.random.default_rng([seed, 0]))
    per_customer = pilot.customer.size / 20_000 if pilot.customer.size else _ROWS_PER_CUSTOMER
    n_customers = max(int(math.ceil(n_rows / per_customer * 1.1)), 10)
    sim = simulate(n_customers, rng)
    while sim.customer.size < n_rows:  # unlucky draw: more customers, same seed stream
        n_customers *= 2
        sim = simulate(n_customers, rng)
    sim, n_buyers = _exactly(sim, n_rows, rng)

    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / ".transactions.parquet.tmp"
    _write_transactions(sim, tmp)
    customers, channel = _customers_table(sim, n_buyers, rng)
    costs = _costs_table(sim, channel, n_buyers, rng)
    customers.to_parquet(directory / "customers.parquet", index=False)
    costs.to_parquet(directory / "costs.parquet", index=False)
    os.replace(tmp, directory / "transactions.parquet")
    last_day = START + pd.Timedelta(days=int(sim.day.max()))
    meta = {
        "rows": int(n_rows),
        "n_customers": len(customers),
        "n_buyers": int(n_buyers),
        "as_of": f"{last_day:%Y-%m-%d}",
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
    }
    # meta.json last: its presence marks a complete cache entry.
    (directory / "meta.json").write_text(json.dumps(meta, indent=2))
    return LogFiles.read(directory)


def log_directory(n_rows: int, seed: int = SEED, root: Path | None = None) -> Path:
    """Cache folder of a size and seed (and generator version)."""
    root = DATA_DIR if root is None else root
    return root / f"log_{size_label(n_rows)}_seed{seed}_v{GENERATOR_VERSION}"


def ensure_log(
    n_rows: int | str, *, seed: int = SEED, root: Path | None = None, verbose: bool = False
) -> LogFiles:
    """The cached log of ``n_rows`` rows for ``seed``, generated first when missing."""
    rows = parse_size(n_rows)
    directory = log_directory(rows, seed, root)
    if (directory / "meta.json").exists():
        return LogFiles.read(directory)
    if verbose:
        print(f"generating a {rows:,}-row log into {directory} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    files = write_log(rows, directory, seed=seed)
    if verbose:
        print(
            f"  {files.rows:,} rows, {files.n_customers:,} customers "
            f"({files.n_buyers:,} buyers) in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    return files


def main(argv: list[str] | None = None) -> int:
    """``python benchmarks/generate.py 1m 5m 20m [--seed S]``: fill the cache."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", help="row counts: 1m, 5m, 20m, 250k, ...")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    for size in args.sizes:
        files = ensure_log(size, seed=args.seed, verbose=True)
        print(f"{files.transactions}  {files.transactions.stat().st_size / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
