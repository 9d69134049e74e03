"""Predictive models of customer value: BG/NBD purchases, Gamma-Gamma spend, predictive CLV.

One model per module, fitted here by maximum likelihood with numpy/scipy only (lifetimes is
unmaintained, pymc-marketing pulls in PyMC):

- :mod:`~portfolio_lib.models.bgnbd`: BG/NBD (Fader, Hardie & Lee 2005), purchases and
  P(alive);
- :mod:`~portfolio_lib.models.pareto_nbd`: Pareto/NBD (Schmittlein, Morrison & Colombo 1987);
- :mod:`~portfolio_lib.models.mbgnbd`: MBG/NBD (Batislam, Denizel & Filiztekin 2007);
- :mod:`~portfolio_lib.models.comparison`: the three purchase models on one calibration /
  holdout split, the one that forecast the holdout best chosen;
- :mod:`~portfolio_lib.models.uncertainty`: intervals of P(alive), purchases and CLV
  (parametric bootstrap from the parameters' asymptotic normal);
- :mod:`~portfolio_lib.models.gamma_gamma`: Gamma-Gamma (Fader & Hardie 2013), spend per
  purchase;
- :mod:`~portfolio_lib.models.clv`: the discounted predictive CLV, totals by group, LTV / CAC;
- :mod:`~portfolio_lib.models.chebyshev`: the CLV's monthly purchases of many customers by
  interpolation (its fast path);
- :mod:`~portfolio_lib.models.diagnostics`: calibration / holdout, period transactions, grids;
- :mod:`~portfolio_lib.models.simulate`: histories drawn from the models;
- :mod:`~portfolio_lib.models.common`: input checks and the optimiser the models share.

Every time is in days; CLV horizons are whole months of ``365.25 / 12`` days.

The purchase-model fits (:class:`BGNBDFit`, :class:`ParetoNBDFit`, :class:`MBGNBDFit`) share
one interface: ``fit.p_alive(frequency, recency, T)``, ``fit.expected_purchases(t, frequency,
recency, T)``, ``fit.expected_purchases_if_alive(t, frequency, T)``,
``fit.expected_new_customer_purchases(t)``, ``fit.params``, ``fit.log_likelihood``,
``fit.log_covariance`` and ``fit.model`` (its name).
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
from portfolio_lib.models.comparison import (
    PURCHASE_MODELS,
    ModelComparison,
    choose_model,
    compare_purchase_models,
    fit_purchase_model,
    holdout_error,
    weekly_tracking,
)
from portfolio_lib.models.diagnostics import (
    PurchaseFit,
    calibration_and_holdout,
    calibration_vs_holdout,
    frequency_recency_matrix,
    p_alive_matrix,
    period_transactions,
)
from portfolio_lib.models.gamma_gamma import GammaGammaFit, expected_spend, fit_gamma_gamma
from portfolio_lib.models.mbgnbd import MBGNBDFit, fit_mbgnbd
from portfolio_lib.models.pareto_nbd import ParetoNBDFit, fit_pareto_nbd
from portfolio_lib.models.simulate import simulate_summary
from portfolio_lib.models.uncertainty import (
    ClvIntervals,
    clv_intervals,
    draw_fits,
    parameter_table,
    purchase_intervals,
)

__all__ = [
    "DAYS_PER_MONTH",
    "PURCHASE_MODELS",
    "BGNBDFit",
    "ClvIntervals",
    "GammaGammaFit",
    "MBGNBDFit",
    "ModelComparison",
    "ParetoNBDFit",
    "PurchaseFit",
    "choose_model",
    "clv_intervals",
    "compare_purchase_models",
    "draw_fits",
    "fit_mbgnbd",
    "fit_pareto_nbd",
    "fit_purchase_model",
    "holdout_error",
    "parameter_table",
    "purchase_intervals",
    "weekly_tracking",
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
