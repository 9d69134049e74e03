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
    "RECORD_MIME",
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

# Mimetype of a notebook's key figures (ui.present.record writes them, the report leaves
# them out of the HTML pages).
RECORD_MIME = "application/vnd.portfolio-workbook.record+json"

# The documented defaults (docs/definitions.md). Functions take them as keyword defaults.
DEFAULTS = {
    "period": "month",  # month, quarter or year
    "activity_window": 12,  # months of trailing revenue that make a customer active
    "bridge_period": "year",  # periods the revenue bridge compares
    "cohort_period": "quarter",  # cohorts of first purchase
    # Balance
    "a_cut": 0.80,  # ABC: A up to 80 % of cumulative revenue
    "b_cut": 0.95,  # B up to 95 %, C the rest
    "pmg_quantiles": (
        0.50,
        0.80,
    ),  # PMG when no € thresholds are given: small < q50 <= medium < q80 <= large
    "dependence_alert": 0.15,  # one customer above 15 % of revenue
    "top_n": (1, 5, 10),
    "lifecycle_growth": 0.10,  # g: revenue trend above +g = adolescence, below -g = old age
    "lifecycle_childhood_months": 12,  # tenure below this = childhood
    "lifecycle_window_months": 12,  # trend = last window vs the window before
    "potential_quantiles": (1 / 3, 2 / 3),  # low / medium / high potential classes
    "penetration_cuts": (0.25, 0.60),  # low / medium / high penetration (revenue / potential)
    # RFM
    "rfm_bins": 5,
    # CLV
    "discount_rate": 0.10,  # yearly
    "clv_horizon_months": 36,
    "payback_horizon_months": 12,  # CAC payback: months of margin after the first purchase
    "default_margin_rate": 0.30,  # used only when the log has no margin column
    "clv_by": "segment",  # customer attribute the CLV compares groups by
    "holdout_months": 6,  # last months kept aside to check the purchase model
    "clv_max_lifetime_years": 10,  # simple CLV: lifetime when annual churn is 0 (1 / churn capped)
    "min_repeat_customers": 30,  # fewest repeat customers for the BG/NBD and Gamma-Gamma fits
    # purchase model of the predictive CLV: "auto" (smallest holdout error of BG/NBD,
    # Pareto/NBD, MBG/NBD), or one of "bgnbd", "pareto_nbd", "mbgnbd"
    "purchase_model": "auto",
    "clv_interval_draws": 100,  # parametric-bootstrap draws of the CLV intervals
    "clv_interval_level": 0.90,  # level of the CLV intervals
    # Alerts
    "drop_alert": 0.30,  # trailing revenue down more than 30 % on the window before
    "gap_alert": 2.0,  # days since last purchase above 2x the customer's usual gap
    "top_at_risk": 20,  # how many of the largest customers to watch
    "lang": "fr",
    # Findings (studies.findings): what is worth saying
    "change_alert": 0.10,  # a year-on-year change larger than 10 % (either way)
    "ltv_cac_min": 3.0,  # LTV / CAC below 3: acquisition does not pay enough
    "payback_alert_months": 12,  # CAC paid back in more than 12 months of margin
    "rep_alert_ratio": 1.25,  # a rep with 1.25x the average number of customers alerted
    "p_alive_alert": 0.5,  # customers less likely than this to still be active
    # Issue 14, value: weighted RFM classes, break-even, equity, clientele price, profile
    "rfm_weights": (1.0, 1.0, 1.0),  # w_R, w_F, w_M of the weighted RFM score (text 000)
    "fixed_charges": 0.0,  # yearly fixed charges the top customers must cover (break-even)
    "small_customers_share": 0.80,  # the "80 % of customers" of texts 001/003 (the small ones)
    "clientele_price_range": (0.015, 0.025),  # text 000's rule of thumb: 1.5 % to 2.5 %
    "profile_top": "abc",  # most valuable customers: ABC class A ("abc") or top CLV quintile
    # Balance, course texts (issue 14: lifecycle, hit-parade, vivier, relationship quality)
    "lifecycle_use_margin": True,  # text 001: phases follow the contribution to margin and revenue
    "relationship_alert": 0.5,  # relationship quality below this is weak (0-1)
    "hitparade_tiers": 4,  # text 003: homogeneous revenue tiers, equal revenue per tier
    "hitparade_resources": 1000.0,  # resources per year shared by the tiers (visits, hours, €)
    "hitparade_unit": "visits",  # visits, hours or budget
    "hitparade_allocation": "tier",  # tier: equal per tier (text 003); customer: equal per head
    "spend_per_employee": 0.0,  # text 002: potential = spend per employee x headcount (0: off)
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
