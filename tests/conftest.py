"""Shared fixtures: the committed sample data and small seeded portfolios."""

from __future__ import annotations

import pytest

from portfolio_lib.config import SAMPLE_DIR


@pytest.fixture(scope="session")
def sample_dir():
    return SAMPLE_DIR
