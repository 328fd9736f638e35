"""``python -m bench [NAME...]``: run the benchmarks (all by default) and print the figures."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import api_bench, check_bench, scheduler_bench, ui_bench, update_bench

BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {
    "check": check_bench.run,
    "update": update_bench.run,
    "scheduler": scheduler_bench.run,
    "api": api_bench.run,
    "ui": ui_bench.run,
}
RESULTS = Path(".bench/results.json")


def main(argv: list[str]) -> int:
    unknown = [name for name in argv if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    missed = []
    for name in argv or list(BENCHMARKS):
        figures = BENCHMARKS[name]()
        results[name] = figures
        if not figures.get("target_met", True):
            missed.append(name)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nfigures written to {RESULTS}")
    if missed:
        print(f"targets missed: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
