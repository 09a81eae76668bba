"""Benchmarks of the tallying core (run as scripts; see bench_rules.py)."""
