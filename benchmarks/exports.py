"""The generated logs written as the CSV files users load: a French ERP export and an English one.

French: cp1252, ``;``, decimal comma, dd/mm/yyyy, a title line above the French header
(``N° facture;Code client;Date facture;Montant HT;Marge brute;Famille``), CRLF line ends, as
a French ERP (Sage, Cegid, EBP) writes its sales journal. English: UTF-8, ``,``, decimal point,
ISO dates, English header. The rows are those of :func:`benchmarks.generate.ensure_log`'s
Parquet log, so the aggregated tables can be compared across formats.

Lines are built by Arrow, slice by slice (no Python string per row): a 20M-line file is
written in about a minute. Files are cached next to the Parquet log (``benchmarks/data``,
git-ignored): ``python benchmarks/exports.py 1m 20m`` fills the cache.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import LogFiles, ensure_log  # noqa: E402

__all__ = ["FORMATS", "ensure_export", "write_export"]

# format: (file name, encoding, separator, decimal mark, date format, header, title line)
FORMATS = {
    "fr": (
        "ventes_fr.csv",
        "cp1252",
        ";",
        ",",
        "%d/%m/%Y",
        ("N° facture", "Code client", "Date facture", "Montant HT", "Marge brute", "Famille"),
        "Extraction des ventes du {first:%d/%m/%Y} au {last:%d/%m/%Y}",
    ),
    "en": (
        "sales_en.csv",
        "utf-8",
        ",",
        ".",
        "%Y-%m-%d",
        ("Invoice number", "Customer", "Invoice date", "Net sales", "Gross margin", "Product"),
        None,
    ),
}
_COLUMNS = ("order_id", "customer_id", "date", "amount", "margin", "product")
_EOL = b"\r\n"


def _money(values: pa.Array, mark: str) -> pa.Array:
    """Amounts with two decimals and ``mark``: -0,50, 1234,56 (no thousands separator)."""
    cents = np.round(values.to_numpy(zero_copy_only=False) * 100).astype(np.int64)
    sign = pa.array(np.where(cents < 0, "-", ""))
    units = pc.cast(pa.array(np.abs(cents) // 100), pa.string())
    decimals = pc.utf8_lpad(pc.cast(pa.array(np.abs(cents) % 100), pa.string()), 2, "0")
    return pc.binary_join_element_wise(sign, units, mark, decimals, "")


def _lines(batch: pa.RecordBatch, encoding: str, sep: str, mark: str, date_format: str):
    cells = {}
    for name in _COLUMNS:
        column = batch.column(name)
        if name in ("amount", "margin"):
            cells[name] = _money(column, mark)
        elif name == "date":
            cells[name] = pc.strftime(column, format=date_format)
        else:
            cells[name] = column
    # Only the product names hold accents: encode their few distinct values, not the rows.
    encoded = pc.dictionary_encode(cells["product"])
    names = [v.encode(encoding) for v in encoded.dictionary.to_pylist()]
    cells["product"] = pa.array(names, pa.binary()).take(encoded.indices)
    parts = [pc.cast(cells[n], pa.binary()) for n in _COLUMNS]
    return pc.binary_join_element_wise(*parts, pa.scalar(b"", pa.binary()), sep.encode())


def write_export(files: LogFiles, path: Path, fmt: str = "fr") -> Path:
    """Write the log of ``files`` as the CSV export ``fmt`` ('fr' or 'en') at ``path``."""
    _, encoding, sep, mark, date_format, header, title = FORMATS[fmt]
    log = pq.ParquetFile(files.transactions)
    dates = pq.read_table(files.transactions, columns=["date"]).column("date")
    first, last = pc.min(dates).as_py(), pc.max(dates).as_py()
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        if title:
            out.write(title.format(first=first, last=last).encode(encoding) + _EOL)
        out.write(sep.join(header).encode(encoding) + _EOL)
        for batch in log.iter_batches(batch_size=1 << 20, columns=list(_COLUMNS)):
            lines = _lines(batch, encoding, sep, mark, date_format)
            # Each line ends with the separator joined to an empty cell: swap it for CRLF.
            text = pc.binary_join_element_wise(
                pc.binary_slice(lines, 0, -1), pa.scalar(b"", pa.binary()), _EOL
            )
            offsets = np.frombuffer(text.buffers()[1], np.int32, len(text) + 1, text.offset * 4)
            data = text.buffers()[2]
            out.write(memoryview(data)[offsets[0] : offsets[-1]])
    partial.replace(path)
    return path


def ensure_export(size: int | str, fmt: str = "fr", *, verbose: bool = False) -> Path:
    """The cached CSV export ``fmt`` of the generated log of ``size`` rows, written if missing."""
    files = ensure_log(size, verbose=verbose)
    path = files.directory / FORMATS[fmt][0]
    if not path.exists():
        if verbose:
            print(f"writing {path} ...", file=sys.stderr, flush=True)
        write_export(files, path, fmt)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python benchmarks/exports.py 1m 20m [--format fr en]``: fill the cache."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", help="row counts: 1m, 20m, 250k, ...")
    parser.add_argument("--format", nargs="+", default=["fr", "en"], choices=sorted(FORMATS))
    args = parser.parse_args(argv)
    for size in args.sizes:
        for fmt in args.format:
            path = ensure_export(size, fmt, verbose=True)
            print(f"{path}  {path.stat().st_size / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
