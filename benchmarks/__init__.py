"""Benchmarks of the portfolio workbook: run ``make bench`` (see README.md here)."""
