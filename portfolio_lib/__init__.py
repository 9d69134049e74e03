"""portfolio_lib: customer portfolio analysis (analyse du portefeuille client) for Jupyter.

Load the data with :mod:`portfolio_lib.io`, aggregate it once with
:mod:`portfolio_lib.aggregate`, then every analysis module works on the aggregated tables.
"""

from .errors import DataQualityWarning, PortfolioDataError
from .io import (
    Portfolio,
    guess_mapping,
    load_costs,
    load_customers,
    load_portfolio,
    load_transactions,
    read_table,
)

__version__ = "0.1.0"

__all__ = [
    "DataQualityWarning",
    "Portfolio",
    "PortfolioDataError",
    "guess_mapping",
    "load_costs",
    "load_customers",
    "load_portfolio",
    "load_transactions",
    "read_table",
]
