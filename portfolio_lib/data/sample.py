"""Deterministic sample data: a French B2B distributor of building supplies.

Purchases follow the BG/NBD story (Poisson purchasing while alive, dropout after each repeat
purchase with a customer-specific probability) and spend per order the Gamma-Gamma story, with
a slow per-customer spend trend so lifecycle phases show. Customers have segments, regions,
sales reps, acquisition channels, a yearly potential and a relationship quality; some orders are
followed by credit notes; monthly acquisition and retention spend is generated to match.

The simulation is vectorised, so the benchmarks use it for logs of millions of rows too.

Run ``portfolio-sample`` (or ``python -m portfolio_lib.data.sample``) to rewrite ``data/sample``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from portfolio_lib.config import SAMPLE_DIR

__all__ = ["SampleData", "generate_sample", "main", "to_french_csv", "write_sample"]

SEED = 20230101

_SEGMENTS = {
    # share of customers, median yearly potential €, purchases/year, margin rate, dropout p
    "Artisan": (0.46, 15_000, 9.0, 0.33, 0.060),
    "PME": (0.30, 60_000, 13.0, 0.28, 0.045),
    "ETI": (0.10, 250_000, 20.0, 0.23, 0.030),
    "Grand compte": (0.04, 900_000, 30.0, 0.18, 0.020),
    "Collectivité": (0.10, 120_000, 6.0, 0.25, 0.040),
}
_REGIONS = {
    "Île-de-France": ("Sophie Martin", "Thomas Bernard"),
    "Auvergne-Rhône-Alpes": ("Julie Petit", "Nicolas Durand"),
    "Nouvelle-Aquitaine": ("Camille Leroy", "Antoine Moreau"),
    "Hauts-de-France": ("Claire Fournier", "Julien Girard"),
}
_REGION_WEIGHTS = (0.34, 0.27, 0.21, 0.18)
# channel: (share of new customers, acquisition cost per customer won €)
_CHANNELS = {
    "Prospection terrain": (0.34, 950.0),
    "Recommandation": (0.22, 250.0),
    "Salon professionnel": (0.16, 1_600.0),
    "Site web": (0.20, 420.0),
    "Appel d'offres": (0.08, 2_800.0),
}
_PRODUCTS = ("Plomberie", "Électricité", "Chauffage", "Sanitaire", "Outillage", "Quincaillerie")
_PRODUCT_WEIGHTS = (0.24, 0.22, 0.16, 0.14, 0.13, 0.11)
_SALES_CHANNELS = ("Comptoir", "Commercial", "Web")
_SALES_CHANNEL_WEIGHTS = (0.45, 0.35, 0.20)
_SURNAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
    "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin",
    "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier",
    "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
)  # fmt: skip
_TRADES = (
    "Plomberie", "Électricité", "Chauffage", "Bâtiment", "Rénovation", "Sanitaire",
    "Maintenance", "Énergies", "Travaux", "Climatisation",
)  # fmt: skip
_FORMS = ("SARL", "SAS", "EURL", "SA", "Ets", "Entreprise")
_TOWNS = (
    "Villeneuve", "Saint-Denis", "Montreuil", "Villeurbanne", "Mérignac", "Pessac", "Roubaix",
    "Tourcoing", "Vénissieux", "Créteil", "Argenteuil", "Bron", "Talence", "Lens", "Arras",
)  # fmt: skip
_BIG_ACCOUNT_SHARE = 0.18  # one key account's share of last year's revenue: trips the 15 % alert


@dataclass(frozen=True)
class SampleData:
    """The three tables of the sample, in canonical columns."""

    transactions: pd.DataFrame
    customers: pd.DataFrame
    costs: pd.DataFrame


def _names(rng: np.random.Generator, segments: np.ndarray) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for i, segment in enumerate(segments):
        surname = _SURNAMES[rng.integers(len(_SURNAMES))]
        if segment == "Collectivité":
            kind = ("Mairie de", "Communauté de communes de", "Office HLM de", "Lycée de")
            names.append(f"{kind[rng.integers(len(kind))]} {_TOWNS[rng.integers(len(_TOWNS))]}")
        elif segment == "Artisan":
            names.append(f"{surname} {_TRADES[rng.integers(len(_TRADES))]}")
        else:
            form = _FORMS[rng.integers(len(_FORMS))]
            names.append(f"{form} {surname} {_TRADES[rng.integers(len(_TRADES))]}")
        if names[-1] in seen:
            names[-1] = f"{names[-1]} ({i + 1})"
        else:
            seen.add(names[-1])
    return names


def _customers(
    rng: np.random.Generator, n: int, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    segment_names = np.array(list(_SEGMENTS))
    table = np.array(list(_SEGMENTS.values()))
    segment_idx = rng.choice(len(segment_names), size=n, p=table[:, 0])
    region_names = np.array(list(_REGIONS))
    region_idx = rng.choice(len(region_names), size=n, p=_REGION_WEIGHTS)
    reps = np.array(
        [
            _REGIONS[r][k]
            for r, k in zip(region_names[region_idx], rng.integers(0, 2, n), strict=True)
        ]
    )
    channels = np.array(list(_CHANNELS))
    channel_p = np.array([v[0] for v in _CHANNELS.values()])
    channel_idx = rng.choice(len(channels), size=n, p=channel_p)
    public = segment_names[segment_idx] == "Collectivité"
    channel_idx[public] = list(_CHANNELS).index("Appel d'offres")
    # Acquisitions spread over the period, fewer in August and December.
    days = (end - start).days - 30
    offsets = np.sort(rng.integers(0, days, n))
    first = start + pd.to_timedelta(offsets, unit="D")
    quiet = first.month.isin([8, 12]) & (rng.random(n) < 0.4)
    first = first.where(~quiet, first + pd.Timedelta(days=20))
    potential = table[segment_idx, 1] * rng.lognormal(0.0, 0.6, n)
    quality = np.clip(rng.beta(5, 2, n), 0.05, 1.0)
    big = int(np.argmax(np.where(segment_names[segment_idx] == "Grand compte", 1, 0)))
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i + 1:05d}" for i in range(n)],
            "name": _names(rng, segment_names[segment_idx]),
            "sales_rep": reps,
            "segment": segment_names[segment_idx],
            "region": region_names[region_idx],
            "acquisition_date": first.normalize(),
            "acquisition_channel": channels[channel_idx],
            "potential": np.round(potential, -2),
            "relationship_quality": np.round(quality, 2),
        }
    )
    frame.attrs["big_account"] = big
    return frame


def _next_working_day(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Saturdays and Sundays moved to the Monday: B2B invoices carry working days."""
    day = dates.day_of_week.to_numpy()
    return dates + pd.to_timedelta(np.where(day >= 5, 7 - day, 0), unit="D")


def _purchases(
    rng: np.random.Generator, customers: pd.DataFrame, end: pd.Timestamp
) -> pd.DataFrame:
    """Vectorised BG/NBD simulation: repeat purchase times for every customer."""
    n = len(customers)
    table = pd.DataFrame(list(_SEGMENTS.values()), index=list(_SEGMENTS))
    seg = customers["segment"]
    rate = table.loc[seg, 2].to_numpy() * rng.gamma(2.0, 0.5, n)  # purchases per year
    base_p = table.loc[seg, 4].to_numpy()
    quality = customers["relationship_quality"].to_numpy()
    p = np.clip(rng.beta(2.0, 2.0 / base_p, n) * (1.6 - quality), 0.002, 0.9)
    penetration = rng.beta(2.0, 3.0, n)
    trend = rng.normal(0.0, 0.18, n)  # yearly log-growth of spend per order
    big = customers.attrs["big_account"]
    penetration[big], rate[big], p[big], trend[big] = 0.7, 60.0, 1e-4, 0.05
    mean_order = customers["potential"].to_numpy() * penetration / rate
    horizon = (end - customers["acquisition_date"]).dt.days.to_numpy() / 365.25
    # Repeat purchases before dropout: geometric; capped where time runs out anyway.
    alive_for = rng.geometric(p)
    cap = np.ceil(rate * horizon * 2 + 10).astype(np.int64)
    draws = np.minimum(alive_for, cap)
    # Trial accounts that never come back, more often where the relationship is poor.
    one_off = rng.random(n) < 0.12 * (1.5 - quality)
    one_off[big] = False
    draws[one_off] = 0
    owner = np.repeat(np.arange(n), draws)
    gaps = rng.exponential(1.0, owner.size) / rate[owner]
    starts = np.concatenate([[0], np.cumsum(draws)[:-1]])
    cum = np.cumsum(gaps)
    times = cum - np.repeat(np.concatenate([[0.0], cum])[starts], draws)
    keep = times <= horizon[owner]
    owner, times = owner[keep], times[keep]
    # Every customer's first purchase at acquisition, then the repeats.
    owner = np.concatenate([np.arange(n), owner])
    times = np.concatenate([np.zeros(n), times])
    shape = 4.0
    amount = (
        mean_order[owner] * rng.gamma(shape, 1.0 / shape, owner.size) * np.exp(trend[owner] * times)
    )
    dates = (
        customers["acquisition_date"].to_numpy()[owner]
        + pd.to_timedelta(np.floor(times * 365.25), unit="D").to_numpy()
    )
    dates = _next_working_day(pd.DatetimeIndex(dates))
    margin_rate = table.loc[seg, 3].to_numpy()[owner] + rng.normal(0.0, 0.03, owner.size)
    out = pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy()[owner],
            "date": dates,
            "amount": np.round(np.maximum(amount, 15.0), 2),
            "margin_rate": margin_rate,
        }
    )
    return out[out["date"] <= end]


def _scale_big_account(orders: pd.DataFrame, customers: pd.DataFrame, end: pd.Timestamp) -> None:
    """Give the key account its share of the last 12 months, and a potential to match."""
    big = customers.attrs["big_account"]
    is_big = orders["customer_id"].eq(customers["customer_id"].iat[big]).to_numpy()
    last_year = (orders["date"] > end - pd.DateOffset(years=1)).to_numpy()
    big_revenue = orders.loc[is_big & last_year, "amount"].sum()
    rest = orders.loc[~is_big & last_year, "amount"].sum()
    factor = _BIG_ACCOUNT_SHARE / (1 - _BIG_ACCOUNT_SHARE) * rest / big_revenue
    orders.loc[is_big, "amount"] = np.round(orders.loc[is_big, "amount"] * factor, 2)
    customers.loc[big, "potential"] = np.round(big_revenue * factor / 0.7, -3)


def _transactions(
    rng: np.random.Generator, customers: pd.DataFrame, end: pd.Timestamp
) -> pd.DataFrame:
    orders = _purchases(rng, customers, end)
    if len(customers) > 1:
        _scale_big_account(orders, customers, end)
    n = len(orders)
    orders["product"] = rng.choice(_PRODUCTS, size=n, p=_PRODUCT_WEIGHTS)
    orders["channel"] = rng.choice(_SALES_CHANNELS, size=n, p=_SALES_CHANNEL_WEIGHTS)
    # About 3 % of invoices get a credit note (return, price dispute) 3 to 30 days later.
    credited = orders[rng.random(n) < 0.03].copy()
    credited["date"] = _next_working_day(
        pd.DatetimeIndex(credited["date"])
        + pd.to_timedelta(rng.integers(3, 31, len(credited)), unit="D")
    )
    credited["amount"] = -np.round(credited["amount"] * rng.uniform(0.1, 1.0, len(credited)), 2)
    credited = credited[credited["date"] <= end]
    credited["kind"] = "AV"
    orders["kind"] = "F"
    tx = pd.concat([orders, credited], ignore_index=True)
    tx = tx.sort_values(["date", "kind", "customer_id", "amount"], kind="stable").reset_index(
        drop=True
    )
    tx["margin"] = np.round(tx["amount"] * tx["margin_rate"], 2)
    year = tx["date"].dt.year.astype(str).str.slice(2)
    number = tx.groupby([tx["kind"], year]).cumcount() + 1
    tx["order_id"] = tx["kind"] + year + number.map("{:06d}".format)
    return tx[["order_id", "customer_id", "date", "amount", "margin", "product", "channel"]]


def _costs(
    rng: np.random.Generator,
    customers: pd.DataFrame,
    transactions: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    months = pd.date_range(start, end, freq="MS")
    won = (
        customers.assign(period=customers["acquisition_date"].dt.to_period("M").dt.to_timestamp())
        .groupby(["period", "acquisition_channel"])
        .size()
    )
    rows = []
    for month in months:
        for channel, (_, cac) in _CHANNELS.items():
            new = won.get((month, channel), 0)
            fixed = cac * 2.0  # spend that wins nobody this month still costs
            amount = (new * cac + fixed) * rng.uniform(0.8, 1.2)
            rows.append((month, "acquisition", channel, round(amount, 2)))
    # Retention: account management and loyalty programme, about 30 € per active customer.
    buyers = transactions.assign(period=transactions["date"].dt.to_period("M").dt.to_timestamp())
    monthly_buyers = buyers.groupby("period")["customer_id"].nunique()
    for month in months:
        active = monthly_buyers.loc[month - pd.DateOffset(months=11) : month].sum() / 3
        amount = (8_000 + 30.0 * active) * rng.uniform(0.85, 1.15)
        rows.append((month, "retention", "", round(amount, 2)))
    costs = pd.DataFrame(rows, columns=["period", "kind", "channel", "amount"])
    costs["channel"] = costs["channel"].replace("", np.nan)
    return costs


def generate_sample(
    *,
    n_customers: int = 2_000,
    start: str = "2023-01-01",
    end: str = "2025-12-31",
    seed: int = SEED,
) -> SampleData:
    """Generate the sample portfolio.

    Parameters
    ----------
    n_customers : int, default 2000
        Customers acquired over the period.
    start, end : str
        First and last day of the transaction log.
    seed : int
        Seed of the random generator; same arguments, same data.

    Returns
    -------
    SampleData
        ``transactions`` (order_id, customer_id, date, amount, margin, product, channel),
        ``customers`` (customer_id, name, sales_rep, segment, region, acquisition_date,
        acquisition_channel, potential, relationship_quality) and ``costs`` (period, kind,
        channel, amount).
    """
    rng = np.random.default_rng(seed)
    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    customers = _customers(rng, n_customers, start_ts, end_ts)
    transactions = _transactions(rng, customers, end_ts)
    costs = _costs(rng, customers, transactions, start_ts, end_ts)
    # The account was opened a few days before the first invoice.
    opened = customers["acquisition_date"] - pd.to_timedelta(
        rng.integers(0, 15, len(customers)), unit="D"
    )
    customers = customers.assign(acquisition_date=opened.clip(lower=start_ts))
    customers.attrs = {}
    return SampleData(transactions, customers, costs)


def to_french_csv(transactions: pd.DataFrame) -> bytes:
    """The transactions as a French ERP would export them, to show column mapping.

    A title line, ``;`` separator, French headers, decimal comma with non-breaking-space
    thousands, dd/mm/yyyy dates, Windows line ends, cp1252 encoding.
    """

    def money(values: pd.Series) -> pd.Series:
        return values.map(lambda v: f"{v:,.2f}".replace(",", "\u00a0").replace(".", ","))

    export = pd.DataFrame(
        {
            "N° facture": transactions["order_id"],
            "N° client": transactions["customer_id"],
            "Date facture": transactions["date"].dt.strftime("%d/%m/%Y"),
            "Montant HT": money(transactions["amount"]),
            "Marge brute": money(transactions["margin"]),
            "Famille": transactions["product"],
            "Canal": transactions["channel"],
        }
    )
    first, last = transactions["date"].min(), transactions["date"].max()
    title = f"Extraction des ventes du {first:%d/%m/%Y} au {last:%d/%m/%Y}\r\n"
    body = export.to_csv(sep=";", index=False, lineterminator="\r\n")
    return (title + body).encode("cp1252")


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d").encode("utf-8")


def sample_files(data: SampleData) -> dict[str, bytes]:
    """File name -> content of the files written to ``data/sample``."""
    return {
        "transactions.csv": _csv(data.transactions),
        "customers.csv": _csv(data.customers),
        "costs.csv": _csv(data.costs),
        "transactions_fr.csv": to_french_csv(data.transactions),
    }


def write_sample(directory: str | Path = SAMPLE_DIR, **options: object) -> dict[str, Path]:
    """Generate the sample and write its files into ``directory``, each atomically.

    Parameters
    ----------
    directory : path
        Target folder, created if needed.
    **options
        Passed to :func:`generate_sample`.

    Returns
    -------
    dict
        File name -> path written.
    """
    directory = Path(directory)
    written = {}
    for name, content in sample_files(generate_sample(**options)).items():  # type: ignore[arg-type]
        _write_atomic(directory / name, content)
        written[name] = directory / name
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``portfolio-sample [--out DIR] [--customers N] [--seed S]``."""
    parser = argparse.ArgumentParser(description="Write the deterministic sample data set.")
    parser.add_argument(
        "--out", default=str(SAMPLE_DIR), help="folder to write (default: %(default)s)"
    )
    parser.add_argument("--customers", type=int, default=2_000, help="number of customers")
    parser.add_argument("--start", default="2023-01-01")
    parser.add_argument("--end", default="2025-12-31")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    written = write_sample(
        args.out, n_customers=args.customers, start=args.start, end=args.end, seed=args.seed
    )
    for path in written.values():
        print(f"{path}  ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
