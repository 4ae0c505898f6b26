"""``python -m benchmarks <problem> ...``: each problem prints one JSON object as its last line."""

from __future__ import annotations

import sys

PROBLEMS = {
    "matrix": "benchmarks.matrix",
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in PROBLEMS:
        print(f"usage: python -m benchmarks {{{','.join(PROBLEMS)}}} ...", file=sys.stderr)
        sys.exit(2)
    import importlib

    module = importlib.import_module(PROBLEMS[sys.argv[1]])
    module.main(sys.argv[2:])


if __name__ == "__main__":
    main()
