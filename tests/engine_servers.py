"""One throwaway PostgreSQL server and one local Spark session per test run (session fixtures).

The server is a fresh cluster (``initdb``) in a temporary folder, listening on a unix socket
only (no TCP port to collide with), with a password so the tests see credentials travel and
stay masked. Where PostgreSQL, Java or the Python packages are missing the tests skip with the
reason, except when ``PORTFOLIO_REQUIRE_ENGINES=1`` (set by ``.ci/run``): then they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("PORTFOLIO_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "portfolio"
PG_PASSWORD = "s3cret-pw"  # a throwaway cluster's password; the tests check it never shows
PG_DATABASE = "portfolio"


def unavailable(reason: str) -> None:
    """Skip, or fail in CI where every engine must run."""
    if os.environ.get("PORTFOLIO_REQUIRE_ENGINES") == "1":
        pytest.fail(f"{reason} (PORTFOLIO_REQUIRE_ENGINES=1: engine tests must run)")
    pytest.skip(reason)


@dataclass(frozen=True)
class PostgresServer:
    socket_dir: str
    port: int

    def url(self, *, password: bool = True) -> str:
        """``postgresql://portfolio:PW@/portfolio`` (connection options go in ``?host=``)."""
        secret = f":{PG_PASSWORD}" if password else ""
        return f"postgresql://{PG_USER}{secret}@/{PG_DATABASE}"

    def source(self, table: str, *, password: bool = True) -> str:
        return (
            f"{self.url(password=password)}?table={table}&host={self.socket_dir}&port={self.port}"
        )

    def connect(self, database: str = PG_DATABASE):
        import ibis

        return ibis.postgres.connect(
            host=self.socket_dir,
            port=self.port,
            user=PG_USER,
            password=PG_PASSWORD,
            database=database,
        )


def _as_postgres_user() -> list[str]:
    """initdb refuses root: run the server as the 'postgres' system user when we are root."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        unavailable("running as root without runuser: cannot start a PostgreSQL server")
    return [runuser, "-u", "postgres", "--"]


def start_postgres() -> Iterator[PostgresServer]:
    if not (PG_BIN / "initdb").exists():
        unavailable(f"PostgreSQL server binaries not found in {PG_BIN} (apt install postgresql)")
    try:
        import ibis  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError:
        unavailable('psycopg/ibis not installed: pip install -e ".[postgres]"')
    prefix = _as_postgres_user()
    root = Path(tempfile.mkdtemp(prefix="pgtest-"))
    data, sockets = root / "data", root / "s"
    sockets.mkdir()
    password_file = root / "pw"
    password_file.write_text(PG_PASSWORD + "\n")
    if prefix:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        shutil.chown(password_file, "postgres")
    port = 5432  # the socket lives in our own folder: no other server can hold this name
    subprocess.run(
        [*prefix, str(PG_BIN / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=scram-sha-256"]
        + ["--pwfile", str(password_file), "--encoding=UTF8", "--locale=C.UTF-8"],
        check=True,
        capture_output=True,
    )
    options = f"-k {sockets} -c listen_addresses='' -p {port} -c fsync=off"
    subprocess.run(
        [*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l"]
        + [str(root / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    server = PostgresServer(str(sockets), port)
    try:
        con = server.connect(database="postgres")
        con.raw_sql(f"CREATE DATABASE {PG_DATABASE}")
        con.disconnect()
        yield server
    finally:
        subprocess.run(
            [*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def start_spark():
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        unavailable("Java not found: Spark needs a JDK 17 (apt install openjdk-17-jre-headless)")
    try:
        import ibis  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError:
        unavailable('pyspark/ibis not installed: pip install -e ".[spark]"')
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("portfolio-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session
