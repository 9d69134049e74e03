"""Predictive models of customer value: BG/NBD purchases, Gamma-Gamma spend, predictive CLV.

One model per module, fitted here by maximum likelihood with numpy/scipy only (lifetimes is
unmaintained, pymc-marketing pulls in PyMC):

- :mod:`~portfolio_lib.models.bgnbd`: BG/NBD (Fader, Hardie & Lee 2005), purchases and
  P(alive);
- :mod:`~portfolio_lib.models.gamma_gamma`: Gamma-Gamma (Fader & Hardie 2013), spend per
  purchase;
- :mod:`~portfolio_lib.models.clv`: the discounted predictive CLV, totals by group, LTV / CAC;
- :mod:`~portfolio_lib.models.chebyshev`: the CLV's monthly purchases of many customers by
  interpolation (its fast path);
- :mod:`~portfolio_lib.models.diagnostics`: calibration / holdout, period transactions, grids;
- :mod:`~portfolio_lib.models.simulate`: histories drawn from the models;
- :mod:`~portfolio_lib.models.common`: input checks and the optimiser the models share.

Every time is in days; CLV horizons are whole months of ``365.25 / 12`` days.
"""

from portfolio_lib.models.bgnbd import (
    BGNBDFit,
    conditional_expected_purchases,
    expected_purchases,
    expected_purchases_if_alive,
    fit_bgnbd,
    p_alive,
    probability_of_purchases,
)
from portfolio_lib.models.clv import (
    clv_by_segment,
    ltv_to_cac,
    monthly_purchases_if_alive,
    predictive_clv,
)
from portfolio_lib.models.common import DAYS_PER_MONTH
from portfolio_lib.models.diagnostics import (
    calibration_and_holdout,
    calibration_vs_holdout,
    frequency_recency_matrix,
    p_alive_matrix,
    period_transactions,
)
from portfolio_lib.models.gamma_gamma import GammaGammaFit, expected_spend, fit_gamma_gamma
from portfolio_lib.models.simulate import simulate_summary

__all__ = [
    "DAYS_PER_MONTH",
    "BGNBDFit",
    "GammaGammaFit",
    "calibration_and_holdout",
    "calibration_vs_holdout",
    "clv_by_segment",
    "conditional_expected_purchases",
    "expected_purchases",
    "expected_purchases_if_alive",
    "expected_spend",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "frequency_recency_matrix",
    "ltv_to_cac",
    "monthly_purchases_if_alive",
    "p_alive",
    "p_alive_matrix",
    "period_transactions",
    "predictive_clv",
    "probability_of_purchases",
    "simulate_summary",
]
