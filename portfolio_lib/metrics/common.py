"""Helpers shared by the metric modules: the one place a metric reaches for another's tools.

A metric module never imports a sibling's ``_private`` helper; what two of them need lives here,
with a public name and a docstring. Two families:

- columns, numbers and rankings of the customer table (read a column as numbers, the
  customers' ids, descending rankings), used by balance, rfm, clv and alerts;
- the month grid and periods of the monthly table (month positions, periods of months,
  quarters or years, per-group sums), used by movements, weight and costs.
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------------
# Columns, numbers and rankings of the customer table
#
# (balance, rfm, clv, alerts)
#
#
#
#
#
#
#
#
#
#


# --------------------------------------------------------------------------------------------
# Month grid and periods of the monthly table
#
# (movements, weight, costs)
