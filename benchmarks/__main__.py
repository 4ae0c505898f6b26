"""``python -m benchmarks <problem> ...``: each problem prints one JSON object as its last line."""

from __future__ import annotations

import sys

PROBLEMS = {
    "matrix": ("benchmarks.matrix", "main"),
    "pmedian": ("benchmarks.siting", "main_pmedian"),
    "cpmp": ("benchmarks.siting", "main_cpmp"),
    "cflp": ("benchmarks.siting", "main_cflp"),
    "suite": ("benchmarks.suite", "main"),
    "prefecture": ("benchmarks.prefecture", "main_generate"),
    "siting": ("benchmarks.prefecture", "main_siting"),
    "vrptw": ("benchmarks.routing", "main_vrptw"),
    "cvrp": ("benchmarks.routing", "main_cvrp"),
    "wcvrptw": ("benchmarks.waste", "main_wcvrptw"),
    "pvrpif": ("benchmarks.periodic", "main_pvrpif"),
    "mtvrptw": ("benchmarks.multitrip", "main_mtvrptw"),
    "efforts": ("benchmarks.efforts", "main"),
    "fuzz": ("benchmarks.fuzz", "main"),
    "sidebyside": ("benchmarks.sidebyside", "main"),
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in PROBLEMS:
        print(f"usage: python -m benchmarks {{{','.join(PROBLEMS)}}} ...", file=sys.stderr)
        sys.exit(2)
    import importlib

    module_name, function = PROBLEMS[sys.argv[1]]
    getattr(importlib.import_module(module_name), function)(sys.argv[2:])


if __name__ == "__main__":
    main()
