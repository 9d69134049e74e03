"""Shared fixtures: the committed sample data and small seeded portfolios."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

# Charts render off-screen in this process. Not through MPLBACKEND: kernels started by the
# notebook tests would inherit it and lose their inline charts.
matplotlib.use("Agg")

from portfolio_lib.config import NOTEBOOKS_DIR, SAMPLE_DIR


@pytest.fixture(scope="session")
def sample_dir():
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def sample_portfolio():
    """The committed sample, loaded once for the whole test session (read-only)."""
    from portfolio_lib import load_portfolio

    return load_portfolio(
        SAMPLE_DIR / "transactions.csv", SAMPLE_DIR / "customers.csv", SAMPLE_DIR / "costs.csv"
    )


@pytest.fixture(scope="session")
def sample_aggregates(sample_portfolio):
    """The sample aggregated once (read-only: tests must not modify it)."""
    from portfolio_lib.engine.aggregate import aggregate

    return aggregate(sample_portfolio.transactions, sample_portfolio.customers)


# ------------------------------------------------------------------ notebooks

EDGE_DIR = Path(__file__).parent / "data" / "edge"

# Parameters for each data set a notebook must run on; paths are absolute for papermill.
DATASETS = {
    "sample": {},  # the notebooks' own defaults: the committed sample
    "edge": {
        "TRANSACTIONS": str(EDGE_DIR / "transactions_fr.csv"),
        "CUSTOMERS": str(EDGE_DIR / "customers.csv"),
        "COSTS": "",
        "LANG": "en",
    },
}


# Explorer cells build ipywidgets. Under nbclient their comm traffic now and then leaves an
# execute reply unread until the cell's timeout (jupyter/nbclient#312: about one run in ten
# here, forever without a timeout). Runs are therefore headless like the report's
# (INTERACTIVE False) unless a test asks for the explorer, and then with a cell timeout that
# turns the lost wake-up into a delay: the reply is read when the timeout fires.
EXPLORER_CELL_TIMEOUT = 30  # seconds; the slowest cell on the sample (the CLV fit) takes about 3


@pytest.fixture(scope="session")
def executed_notebook(tmp_path_factory):
    """Run a notebook with papermill once per (notebook, data set) and return the result.

    ``executed_notebook("01_weight", "sample")`` -> the executed nbformat node. Runs happen on
    the first request and are shared by every test of the session. The explorer is left out
    (``INTERACTIVE=False``, as in the report) unless asked for with ``INTERACTIVE=True``.
    """
    import nbformat
    import papermill

    cache: dict[tuple[str, str, str], object] = {}
    out_dir = tmp_path_factory.mktemp("executed")

    def run(name: str, dataset: str = "sample", **parameters: object):
        parameters = {"INTERACTIVE": False, **parameters}
        # repr: parameters may be lists (PMG_THRESHOLDS, TOP_N), which cannot be hashed.
        key = (name, dataset, repr(sorted(parameters.items())))
        if key not in cache:
            source = NOTEBOOKS_DIR / f"{name}.ipynb"
            target = out_dir / f"{name}-{dataset}-{len(cache)}.ipynb"
            papermill.execute_notebook(
                str(source),
                str(target),
                parameters={**DATASETS[dataset], **parameters},
                kernel_name="python3",
                cwd=str(NOTEBOOKS_DIR),
                progress_bar=False,
                request_save_on_cell_execute=False,
                execution_timeout=EXPLORER_CELL_TIMEOUT if parameters["INTERACTIVE"] else None,
            )
            cache[key] = nbformat.read(target, as_version=4)
        return cache[key]

    return run


# ------------------------------------------------------------------ engines
# One PostgreSQL server and one Spark session for the whole run (tests/engine_servers.py).


@pytest.fixture(scope="session")
def postgres_server():
    from engine_servers import start_postgres

    yield from start_postgres()


@pytest.fixture(scope="session")
def spark():
    from engine_servers import start_spark

    session = start_spark()
    yield session
    session.stop()
