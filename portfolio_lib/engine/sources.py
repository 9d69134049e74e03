"""Where the transactions come from: a file, a frame, a database table or a SQL query.

Everywhere a path is accepted (``prepare``, ``load_portfolio`` through ``prepare``,
``portfolio-report --transactions``, the notebooks' ``TRANSACTIONS``), a text of the form ::

    postgresql://user@host:5432/ventes_db?table=ventes
    postgresql://user@host/db?table=compta.ventes          (schema.table)
    postgresql://user@host/db?query=SELECT * FROM ventes WHERE annee >= 2023
    postgresql:///db?host=/var/run/postgresql&table=ventes  (unix socket)
    table=ventes                                            (a table of the engine: Spark)

names a table or a query instead of a file. Credentials come from the URL or, better, from the
environment (``PGPASSWORD``, ``~/.pgpass``, ``PGUSER``... as every PostgreSQL client reads
them); they are never written anywhere: :func:`mask` is what reports, logs and messages show
(``postgresql://user:***@host/db?table=ventes``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

import pandas as pd

from portfolio_lib.data.errors import PortfolioDataError

__all__ = [
    "DATABASE_SCHEMES",
    "TableSource",
    "decimals_as_floats",
    "is_table_source",
    "mask",
    "parse_source",
    "without_password",
]

DATABASE_SCHEMES = ("postgresql", "postgres")
_URL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://", flags=re.IGNORECASE)
_PASSWORD = re.compile(r"^([a-z][a-z0-9+.-]*://[^:/@?#]*):[^@/?#]*@", flags=re.IGNORECASE)
_SECRET_PARAMETERS = {"password", "sslpassword", "token"}
_TOKEN = re.compile(r"(;\s*token\s*=)[^;]*", flags=re.IGNORECASE)  # Spark Connect: sc://h/;token=


def mask(text: object) -> str:
    """The source as reports and logs may show it: any password replaced by ``***``.

    Examples
    --------
    >>> mask("postgresql://ana:s3cret@db.example.com/ventes?table=ventes")
    'postgresql://ana:***@db.example.com/ventes?table=ventes'
    >>> mask("data/ventes.csv")
    'data/ventes.csv'
    """
    shown = _TOKEN.sub(r"\1***", _PASSWORD.sub(r"\1:***@", str(text)))
    if "?" in shown:
        base, _, query = shown.partition("?")
        pairs = [
            f"{key}=***" if key.lower() in _SECRET_PARAMETERS else f"{key}={value}"
            for key, value in parse_qsl(query, keep_blank_values=True)
        ]
        shown = base + "?" + "&".join(pairs)
    return shown


def without_password(url: str) -> tuple[str, str | None]:
    """``(url without its password, the password or None)``.

    Examples
    --------
    >>> without_password("postgresql://ana:p%40ss@db/crm?table=ventes")
    ('postgresql://ana@db/crm?table=ventes', 'p@ss')
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url, None
    host = parts.netloc.rpartition("@")[2]
    user = f"{parts.username}@" if parts.username else ""
    return parts._replace(netloc=user + host).geturl(), unquote(parts.password)


@dataclass(frozen=True)
class TableSource:
    """A table or a SQL query of a database (or of the engine's own catalog).

    Attributes
    ----------
    url : str or None
        Connection URL (``postgresql://...``) without the ``table``/``query`` parameters, or
        None for a table of the aggregation engine itself (a Spark catalog table).
    table : str or None
        Table name, ``schema.table`` allowed.
    query : str or None
        A SELECT whose result is the transaction log (exclusive with ``table``).
    options : dict
        Other URL parameters (``host`` for a unix socket, ``sslmode``...), passed to the driver.
    """

    url: str | None
    table: str | None = None
    query: str | None = None
    options: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.display

    def __repr__(self) -> str:
        return f"TableSource({self.display!r})"

    @property
    def display(self) -> str:
        """Masked text for messages and reports (no password)."""
        what = f"table={self.table}" if self.table else f"query={self.query}"
        if self.url is None:
            return what
        extra = "".join(f"&{k}={v}" for k, v in self.options.items())
        return mask(f"{self.url}?{what}{extra}")

    @property
    def name(self) -> str:
        """Short name for error messages: the table, or 'SQL query'."""
        return self.table or "SQL query"

    def connect(self):
        """An Ibis connection to the database of the URL (PostgreSQL)."""
        import ibis

        if self.url is None:
            raise PortfolioDataError("bad_source", file=self.display, reason=_NO_URL)
        parts = urlsplit(self.url)
        kwargs: dict[str, object] = {
            "user": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "host": parts.hostname or self.options.get("host"),
            "database": unquote(parts.path.lstrip("/")) or None,
        }
        if parts.port:
            kwargs["port"] = parts.port
        extra = {k: v for k, v in self.options.items() if k != "host"}
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        try:
            return ibis.postgres.connect(**kwargs, **extra)
        except Exception as error:  # the driver's message may repeat the URL: mask it
            raise PortfolioDataError(
                "source_unreachable", file=self.display, reason=mask(str(error)).strip()
            ) from None

    def expression(self, con):
        """The Ibis table of the source on the connection ``con``."""
        if self.query:
            return con.sql(self.query)
        schema, _, name = (self.table or "").rpartition(".")
        try:
            return con.table(name, database=schema or None)
        except Exception as error:
            raise PortfolioDataError(
                "source_unreachable", file=self.display, reason=mask(str(error)).strip()
            ) from None

    def read(self) -> pd.DataFrame:
        """The whole table as a frame, to load and check like a file (small sources)."""
        con = self.connect()
        try:
            frame = decimals_as_floats(self.expression(con)).to_pandas()
        finally:
            con.disconnect()
        frame.attrs["source"] = self.name
        return frame


def decimals_as_floats(table):
    """``table`` with its DECIMAL/NUMERIC columns as floats (pandas gets numbers, not
    ``Decimal`` objects the loaders would have to parse one by one)."""
    decimal = [name for name, kind in table.schema().items() if kind.is_decimal()]
    if not decimal:
        return table
    return table.mutate(**{name: table[name].cast("float64") for name in decimal})


_NO_URL = "a table without a database URL can only be read by the engine 'spark'"


def is_table_source(value: object) -> bool:
    """Whether ``value`` names a database table/query rather than a file."""
    if isinstance(value, TableSource):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    match = _URL.match(text)
    if match:
        return match.group("scheme").lower() in DATABASE_SCHEMES
    return text.startswith(("table=", "query="))


def parse_source(value: str | TableSource) -> TableSource:
    """A :class:`TableSource` from ``postgresql://...?table=...`` or ``table=...``.

    Examples
    --------
    >>> src = parse_source("postgresql://ana:pw@db:5433/crm?table=ventes&sslmode=require")
    >>> src.table, src.options, src.display
    ('ventes', {'sslmode': 'require'}, 'postgresql://ana:***@db:5433/crm?table=ventes&sslmode=require')
    >>> parse_source("table=ventes").url is None
    True
    """
    if isinstance(value, TableSource):
        return value
    text = value.strip()
    url, _, query_text = text.partition("?") if _URL.match(text) else (None, "", text)
    if url is not None and _URL.match(url).group("scheme").lower() not in DATABASE_SCHEMES:
        raise PortfolioDataError("bad_source", file=mask(text), reason="unknown database type")
    params = dict(parse_qsl(query_text, keep_blank_values=True))
    table = params.pop("table", "").strip() or None
    query = params.pop("query", "").strip() or None
    if (table is None) == (query is None):
        raise PortfolioDataError(
            "bad_source", file=mask(text), reason="give either table=NAME or query=SELECT ..."
        )
    return TableSource(url=url, table=table, query=query, options=params)
