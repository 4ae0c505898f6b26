"""Benchmarks, run as ``python -m benchmarks <problem> ...`` (kept out of the test suite)."""

from __future__ import annotations

import argparse
from pathlib import Path


def contract_parser(
    problem: str, default_limit_s: float, *, positional: str = "instance"
) -> argparse.ArgumentParser:
    """The arguments every benchmark takes: ``<file> --time-limit-s S [--seed N]``."""
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks {problem}")
    parser.add_argument(positional, type=Path)
    parser.add_argument("--time-limit-s", type=float, default=default_limit_s)
    parser.add_argument("--seed", type=int, default=0)
    return parser
