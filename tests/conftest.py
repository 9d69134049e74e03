"""Shared fixtures: the committed sample data and small seeded portfolios."""

from __future__ import annotations

import os

import pytest

# Charts render off-screen in tests, whatever the machine has.
os.environ.setdefault("MPLBACKEND", "Agg")

from portfolio_lib.config import SAMPLE_DIR


@pytest.fixture(scope="session")
def sample_dir():
    return SAMPLE_DIR
