"""Helpers shared by the metric modules: the one place a metric reaches for another's tools.

A metric module never imports a sibling's ``_private`` helper; what two of them need lives here,
with a public name and a docstring. Two families:

- columns, numbers and rankings of the customer table (read a column as numbers, the
  customers' ids, descending rankings), used by balance, rfm, clv and alerts;
- the month grid and periods of the monthly table (month positions, periods of months,
  quarters or years, per-group sums), used by movements, weight and costs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from portfolio_lib.data.errors import PortfolioDataError

# --------------------------------------------------------------------------------------------
# Columns, numbers and rankings of the customer table
#
# (balance, rfm, clv, alerts)


def missing_column(frame: pd.DataFrame, column: str, analysis: str) -> PortfolioDataError:
    """The ``missing_attribute`` error of ``analysis`` for a ``column`` the frame lacks."""
    found = [str(c) for c in frame.columns]
    if frame.index.name:
        found.insert(0, str(frame.index.name))
    return PortfolioDataError(
        "missing_attribute", analysis=analysis, column=column, found=", ".join(found) or "none"
    )


def column_of(frame: pd.DataFrame, column: str, analysis: str) -> pd.Series:
    """A column (or the index of that name) as a Series with a fresh RangeIndex.

    Raises :func:`missing_column`'s error when the frame has neither.
    """
    if column in frame.columns:
        values = frame[column]
    elif frame.index.name == column:
        values = frame.index.to_series()
    else:
        raise missing_column(frame, column, analysis)
    return values.reset_index(drop=True)


def customer_ids(frame: pd.DataFrame, analysis: str) -> pd.Series:
    """The ``customer_id`` column (or index) as a Series with a fresh RangeIndex."""
    return column_of(frame, "customer_id", analysis)


def numbers(frame: pd.DataFrame, column: str, analysis: str) -> np.ndarray:
    """A numeric column as a new float64 array, missing values as 0 and -0.0 as 0.0.

    Raises ``ValueError`` when the column does not hold numbers.
    """
    values = column_of(frame, column, analysis)
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        raise ValueError(
            f"{analysis}: column {column!r} must hold numbers, found values of type "
            f"{values.dtype}; convert it (e.g. with pandas.to_numeric) or pick another column."
        )
    # + 0.0: -0.0 becomes 0.0, so zeros compare and sort as one value.
    return values.to_numpy(dtype=np.float64, na_value=0.0) + 0.0


def descending_ranking(ids: pd.Series, values: np.ndarray) -> np.ndarray:
    """Positions by ``values`` descending, ties by customer id ascending.

    The positions are put in id order first (aggregated tables are in id order already), so
    a stable sort on the values breaks their ties by id.
    """
    if ids.is_monotonic_increasing:
        by_id = np.arange(len(ids))
    else:
        by_id = ids.argsort(kind="stable").to_numpy()
    return by_id[np.argsort(-np.asarray(values)[by_id], kind="stable")]


def change(recent: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """``recent / previous - 1`` where ``previous > 0``, else NaN (revenue trend)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(previous > 0, recent / previous - 1, np.nan)


# --------------------------------------------------------------------------------------------
# Month grid and periods of the monthly table
#
# (movements, weight, costs)
