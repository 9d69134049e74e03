"""Paths and documented defaults, in one place.

Every function's threshold default and every notebook's ``parameters`` cell takes its value
from here (the notebooks repeat them as literals, checked by the tests).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DATA_DIR",
    "DEFAULTS",
    "NOTEBOOKS_DIR",
    "PROJECT_ROOT",
    "REPORTS_DIR",
    "SAMPLE_DIR",
    "SAMPLE_FILES",
    "data_path",
]

PROJECT_ROOT = Path(os.environ.get("PORTFOLIO_ROOT", Path(__file__).resolve().parent.parent))
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"

SAMPLE_FILES = {
    "transactions": SAMPLE_DIR / "transactions.csv",
    "customers": SAMPLE_DIR / "customers.csv",
    "costs": SAMPLE_DIR / "costs.csv",
    "transactions_fr": SAMPLE_DIR / "transactions_fr.csv",
}

# The contract of ../shared/DESIGN.md, "Definitions".
DEFAULTS = {
    "period": "month",  # month, quarter or year
    "activity_window": 12,  # months of trailing revenue that make a customer active
    "a_cut": 0.80,  # ABC: A up to 80 % of cumulative revenue
    "b_cut": 0.95,  # B up to 95 %, C the rest
    "dependence_alert": 0.15,  # one customer above 15 % of revenue
    "top_n": (1, 5, 10),
    "lifecycle_growth": 0.10,  # g: yearly revenue trend above +g = adolescence, below -g = old age
    "lifecycle_childhood_months": 12,
    "rfm_bins": 5,
    "discount_rate": 0.10,  # yearly, for CLV
    "clv_horizon_months": 36,
    "drop_alert": 0.30,  # alert when trailing revenue dropped more than 30 %
    "gap_alert": 2.0,  # alert when the gap since last purchase exceeds 2x the usual gap
    "top_at_risk": 20,
    "lang": "fr",
}


def data_path(path: str | os.PathLike | None) -> Path | None:
    """Resolve a data path given in a notebook's parameters.

    Absolute paths and paths that exist from the current folder are kept; other relative
    paths are taken from the project root, so ``"data/sample/transactions.csv"`` works from
    JupyterLab, Voilà (which run in ``notebooks/``) and papermill alike. Empty means none.
    """
    if path is None or str(path).strip() == "":
        return None
    candidate = Path(path).expanduser()
    if candidate.is_absolute() or candidate.exists():
        return candidate
    return PROJECT_ROOT / candidate
