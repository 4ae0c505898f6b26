"""Benchmarks, run as ``python -m benchmarks <problem> ...`` (kept out of the test suite)."""
