"""Benchmarks: `make bench` (or `python -m benchmarks`) prints figures and ratios."""
