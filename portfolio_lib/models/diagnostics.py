"""Checks of the BG/NBD against the data: calibration / holdout, period transactions, grids.

The diagnostics of Fader, Hardie & Lee (2005) and of lifetimes: customers by number of repeat
purchases, observed vs expected (FHL eq. 8, :func:`period_transactions`); a fit on a
calibration period checked against the following holdout period
(:func:`calibration_and_holdout`, :func:`calibration_vs_holdout`, eq. 10); expected purchases
and P(alive) over a grid of frequency and recency (:func:`frequency_recency_matrix`,
:func:`p_alive_matrix`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from portfolio_lib.engine.aggregate import customer_summary
from portfolio_lib.models.bgnbd import BGNBDFit, probability_of_purchases
from portfolio_lib.models.common import DAYS_PER_MONTH, FloatArray, column
from portfolio_lib.models.mbgnbd import MBGNBDFit
from portfolio_lib.models.pareto_nbd import ParetoNBDFit

# Any fitted purchase model: each has p_alive, expected_purchases (t, frequency, recency, T),
# expected_purchases_if_alive and expected_new_customer_purchases, times in days.
PurchaseFit = BGNBDFit | ParetoNBDFit | MBGNBDFit

__all__ = [
    "PurchaseFit",
    "calibration_and_holdout",
    "calibration_vs_holdout",
    "frequency_recency_matrix",
    "p_alive_matrix",
    "period_transactions",
]


def calibration_and_holdout(
    transactions: pd.DataFrame,
    *,
    calibration_end: object,
    observation_end: object = None,
) -> pd.DataFrame:
    """Split the log in a calibration period (to fit) and a holdout period (to check).

    lifetimes' ``calibration_and_holdout_data`` semantics, in days: the calibration summary
    is :func:`portfolio_lib.engine.aggregate.customer_summary` at ``calibration_end`` (customers whose
    first purchase is after it are left out); ``frequency_holdout`` counts the days with a
    transaction in (``calibration_end``, ``observation_end``], ``monetary_value_holdout`` is the
    mean daily amount over those days (0 without any): spend per purchase *day*, the unit the
    calibration's ``monetary_value`` and the Gamma-Gamma use (lifetimes averages the holdout's
    transaction lines instead, which splits a day's order into its lines), ``duration_holdout`` the holdout length.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Canonical transactions (``customer_id``, ``date``, ``amount``).
    calibration_end : date-like
        Last day of the calibration period (included).
    observation_end : date-like, optional
        Last day of the holdout period, default the last transaction date.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``frequency_cal``, ``recency_cal``, ``T_cal``,
        ``monetary_value_cal``, ``frequency_holdout``, ``monetary_value_holdout``,
        ``duration_holdout``.
    """
    dates = pd.to_datetime(transactions["date"]).dt.normalize()
    cal_end = pd.Timestamp(calibration_end).normalize()
    obs_end = dates.max() if observation_end is None else pd.Timestamp(observation_end).normalize()
    if not obs_end > cal_end:
        raise ValueError(
            f"observation_end ({obs_end:%Y-%m-%d}) must be after calibration_end "
            f"({cal_end:%Y-%m-%d}): the holdout period would be empty"
        )
    if not (dates <= cal_end).any():
        raise ValueError(
            f"no transaction on or before calibration_end ({cal_end:%Y-%m-%d}): choose a later "
            "end of the calibration period"
        )
    calibration = customer_summary(transactions[(dates <= cal_end).to_numpy()], as_of=cal_end)
    calibration.columns = [f"{c}_cal" for c in calibration.columns]
    inside = ((dates > cal_end) & (dates <= obs_end)).to_numpy()
    holdout = pd.DataFrame(
        {
            "customer_id": transactions["customer_id"].astype(str).to_numpy()[inside],
            "day": dates.to_numpy()[inside],
            "amount": transactions["amount"].to_numpy(float)[inside],
        }
    )
    daily = holdout.groupby(["customer_id", "day"], sort=False)["amount"].sum()
    per_customer = daily.groupby(level="customer_id").agg(["size", "mean"])
    out = calibration.join(per_customer, how="left")
    out["frequency_holdout"] = out.pop("size").fillna(0).astype(float)
    out["monetary_value_holdout"] = out.pop("mean").fillna(0.0)
    out["duration_holdout"] = float((obs_end - cal_end).days)
    return out


def _cap_label(values: FloatArray, max_frequency: int) -> FloatArray:
    return np.minimum(values, max_frequency)


def period_transactions(
    fit: BGNBDFit,
    summary: pd.DataFrame,
    *,
    max_frequency: int = 7,
    frequency_col: str = "frequency",
    T_col: str = "T",
) -> pd.DataFrame:
    """Customers by number of repeat purchases: observed vs the model's expectation.

    The expected count for ``x`` is ``sum_i P(X(T_i) = x)`` over the customers, each with
    their own age ``T_i`` (:func:`probability_of_purchases`, closed form, no simulation).

    Parameters
    ----------
    fit : BGNBDFit
    summary : pandas.DataFrame
        The summary the model was fitted on.
    max_frequency : int, default 7
        The last row counts ``max_frequency`` *or more* repeat purchases.

    Returns
    -------
    pandas.DataFrame
        Index ``frequency`` 0..max_frequency, columns ``observed`` and ``expected``
        (customers); both sum to the number of customers.
    """
    x = column(summary, frequency_col, analysis="period transactions").to_numpy()
    T = column(summary, T_col, analysis="period transactions").to_numpy()
    keep = ~np.isnan(x)
    x, T = x[keep], T[keep]
    levels = np.arange(max_frequency + 1)
    observed = np.bincount(_cap_label(x, max_frequency).astype(int), minlength=max_frequency + 1)
    ages, counts = np.unique(T, return_counts=True)
    probabilities = probability_of_purchases(fit, ages[:, None], levels[None, :-1])
    expected = counts @ probabilities
    expected = np.append(expected, len(x) - expected.sum())  # the "or more" bin
    return pd.DataFrame(
        {"observed": observed.astype(float), "expected": expected},
        index=pd.Index(levels, name="frequency"),
    )


def calibration_vs_holdout(
    fit: PurchaseFit, cal_hold: pd.DataFrame, *, max_frequency: int = 7
) -> pd.DataFrame:
    """Mean purchases in the holdout period by calibration frequency: observed vs model.

    Parameters
    ----------
    fit : BGNBDFit, ParetoNBDFit or MBGNBDFit
        Fitted on the calibration columns, e.g. ``fit_bgnbd(cal_hold,
        frequency_col="frequency_cal", recency_col="recency_cal", T_col="T_cal")``.
    cal_hold : pandas.DataFrame
        Output of :func:`calibration_and_holdout`.
    max_frequency : int, default 7
        The last row groups ``max_frequency`` or more calibration repeat purchases.

    Returns
    -------
    pandas.DataFrame
        Index ``frequency_cal`` 0..max_frequency (rows without customers dropped), columns
        ``customers``, ``observed`` (mean ``frequency_holdout``) and ``expected`` (mean
        :func:`conditional_expected_purchases` over ``duration_holdout``).
    """
    expected = fit.expected_purchases(
        cal_hold["duration_holdout"].to_numpy(float),
        cal_hold["frequency_cal"].to_numpy(float),
        cal_hold["recency_cal"].to_numpy(float),
        cal_hold["T_cal"].to_numpy(float),
    )
    frame = pd.DataFrame(
        {
            "frequency_cal": _cap_label(
                cal_hold["frequency_cal"].to_numpy(float), max_frequency
            ).astype(int),
            "observed": cal_hold["frequency_holdout"].to_numpy(float),
            "expected": expected,
        }
    )
    out = frame.groupby("frequency_cal").agg(
        customers=("observed", "size"), observed=("observed", "mean"), expected=("expected", "mean")
    )
    return out


def _matrix_grid(
    fit: PurchaseFit,
    max_frequency: int,
    max_recency: float,
    T: float | None,
    recency_step: float | None,
) -> tuple[FloatArray, FloatArray, float]:
    step = fit.time_unit_days if recency_step is None else float(recency_step)
    if step <= 0:
        raise ValueError(f"recency_step must be positive, got {recency_step!r}")
    age = float(max_recency if T is None else T)
    if age < max_recency:
        raise ValueError(f"T ({age:g} days) cannot be below max_recency ({max_recency:g} days)")
    recency = np.arange(0.0, max_recency + step / 2, step)
    frequency = np.arange(max_frequency + 1, dtype=float)
    return frequency, recency, age


def frequency_recency_matrix(
    fit: PurchaseFit,
    *,
    max_frequency: int,
    max_recency: float,
    T: float | None = None,
    t: float = DAYS_PER_MONTH,
    recency_step: float | None = None,
) -> pd.DataFrame:
    """Expected purchases in the next ``t`` days by frequency and recency (customer age ``T``).

    Parameters
    ----------
    fit : BGNBDFit, ParetoNBDFit or MBGNBDFit
    max_frequency : int
        Rows 0..max_frequency repeat purchases.
    max_recency : float
        Largest recency in days (columns from 0 every ``recency_step`` days).
    T : float, optional
        Age of the customers in days, default ``max_recency``.
    t : float, default one month (30.44 days)
        Horizon of the expectation, in days.
    recency_step : float, optional
        Days between columns, default the fit's time unit.

    Returns
    -------
    pandas.DataFrame
        Index ``frequency``, columns ``recency`` (days).
    """
    frequency, recency, age = _matrix_grid(fit, max_frequency, max_recency, T, recency_step)
    values = fit.expected_purchases(t, frequency[:, None], recency[None, :], age)
    return pd.DataFrame(
        values,
        index=pd.Index(frequency.astype(int), name="frequency"),
        columns=pd.Index(recency, name="recency"),
    )


def p_alive_matrix(
    fit: PurchaseFit,
    *,
    max_frequency: int,
    max_recency: float,
    T: float | None = None,
    recency_step: float | None = None,
) -> pd.DataFrame:
    """P(alive) by frequency and recency for customers of age ``T`` days.

    Same grid as :func:`frequency_recency_matrix`; high recency (a recent last purchase) and
    high frequency mean alive, a long silence after frequent purchases means probably gone.

    Returns
    -------
    pandas.DataFrame
        Index ``frequency``, columns ``recency`` (days).
    """
    frequency, recency, age = _matrix_grid(fit, max_frequency, max_recency, T, recency_step)
    values = fit.p_alive(frequency[:, None], recency[None, :], age)
    return pd.DataFrame(
        values,
        index=pd.Index(frequency.astype(int), name="frequency"),
        columns=pd.Index(recency, name="recency"),
    )
