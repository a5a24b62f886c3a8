"""Evaluation reports: scoring, bootstrap confidence intervals, tables, plots, comparison."""
