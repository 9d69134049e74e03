"""Shared fixtures: the committed sample data and small seeded portfolios."""

from __future__ import annotations

import matplotlib
import pytest

# Charts render off-screen in this process. Not through MPLBACKEND: kernels started by the
# notebook tests would inherit it and lose their inline charts.
matplotlib.use("Agg")

from portfolio_lib.config import SAMPLE_DIR


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
    from portfolio_lib.aggregate import aggregate

    return aggregate(sample_portfolio.transactions, sample_portfolio.customers)
