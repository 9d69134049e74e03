"""portfolio_lib: customer portfolio analysis (analyse du portefeuille client) for Jupyter.

Load the data with :mod:`portfolio_lib.data.load`, aggregate it once with
:mod:`portfolio_lib.engine.aggregate`, then every analysis module works on the aggregated tables.
"""

# The analysis modules register their French/English labels on import: import them all so
# every table and chart translates, whatever a notebook imported itself.
from . import models
from .data.errors import DataQualityWarning, PortfolioDataError
from .data.load import (
    Portfolio,
    guess_mapping,
    load_costs,
    load_customers,
    load_portfolio,
    load_transactions,
    read_table,
)
from .metrics import alerts, balance, clv, costs, movements, rfm, weight

__version__ = "0.1.0"

__all__ = [
    "DataQualityWarning",
    "alerts",
    "balance",
    "clv",
    "costs",
    "movements",
    "models",
    "rfm",
    "weight",
    "Portfolio",
    "PortfolioDataError",
    "guess_mapping",
    "load_costs",
    "load_customers",
    "load_portfolio",
    "load_transactions",
    "read_table",
]
