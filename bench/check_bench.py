"""``colibri check`` on N containers over K images, half of them changed upstream.

Figures per size: the wall time of ``colibri check --format json`` (median of several runs), the
floor (``bench/floor_check.py``: the same Docker reads and HEADs, direct, same concurrency), and
a sequential ``skopeo inspect`` per image (the usual scripted approach). Target: colibri within
1.5x of the floor, and correct on every container. Also the fixed cost under both: starting
Python with each side's imports.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    LABEL,
    bench_world,
    colibri_env,
    median_of,
    parallel,
    python,
    timed_command,
)

SIZES = [
    tuple(int(n) for n in size.split("x"))
    for size in os.environ.get("BENCH_CHECK_SIZES", "200x50,1000x250").split(",")
]
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SETTLE_SECONDS = float(os.environ.get("BENCH_SETTLE", "15"))
TARGET_RATIO = 1.5
STARTUP_COLIBRI = (  # what ``colibri check`` imports before it does anything
    "import colibri.cli as cli; cli._skip_httpx_cli(); "
    "import colibri.bootstrap.cli, colibri.engine, colibri.registry.client"
)


def run() -> dict[str, Any]:
    """Every configured size, plus what starting Python with each side's imports costs."""
    figures: dict[str, Any] = {"startup": _startup()}
    for containers, images in SIZES:
        figures[f"{containers}x{images}"] = run_size(containers, images)
    sizes = [value for key, value in figures.items() if key != "startup"]
    figures["target_met"] = all(size["target_met"] for size in sizes)
    return figures


def _startup() -> dict[str, float]:
    """Interpreter start plus imports, no work: the fixed cost under each figure (after one
    warm-up run; ``make bench`` byte-compiles the package first, as installing it does)."""
    timed_command([python(), "-c", STARTUP_COLIBRI])
    colibri, _ = median_of(RUNS, lambda: timed_command([python(), "-c", STARTUP_COLIBRI])[0])
    floor, _ = median_of(RUNS, lambda: timed_command([python(), "-c", "import httpx"])[0])
    print(f"startup (python + imports): colibri {colibri:.3f} s, floor script {floor:.3f} s")
    costs = _import_costs()
    print("largest imports of `colibri check` (python -X importtime, cumulative):")
    for name, seconds in costs:
        print(f"  {seconds * 1000:7.1f} ms  {name}")
    return {
        "colibri_s": round(colibri, 3),
        "floor_s": round(floor, 3),
        "import_costs_ms": {name: round(seconds * 1000, 1) for name, seconds in costs},
    }


def _import_costs(top: int = 12) -> list[tuple[str, float]]:
    """The costliest top-level imports of ``colibri check``'s start, by cumulative time (the
    median of three ``-X importtime`` runs)."""
    runs: list[dict[str, float]] = []
    for _ in range(3):
        done = subprocess.run(
            [python(), "-X", "importtime", "-c", STARTUP_COLIBRI],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(_top_level_costs(done.stderr))
    names = set().union(*runs)
    medians = {name: statistics.median(run.get(name, 0.0) for run in runs) for name in names}
    return sorted(medians.items(), key=lambda item: -item[1])[:top]


def _top_level_costs(report: str) -> dict[str, float]:
    """``import time: self | cumulative | name`` lines of imports made directly by the
    command (two spaces of nesting at most), cumulative seconds by name."""
    costs: dict[str, float] = {}
    for line in report.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|", 2)
        if not cumulative.strip().isdigit() or len(name) - len(name.lstrip()) > 3:
            continue
        costs[name.strip()] = int(cumulative) / 1e6
    return costs


def run_size(containers: int, images: int) -> dict[str, Any]:
    print(f"== check: {containers} containers over {images} images, half changed upstream")
    with bench_world() as (api, registry, factory, prefix), tempfile.TemporaryDirectory() as tmp:
        refs = _publish(api, registry, factory, prefix, images)
        _start_containers(api, refs, prefix, containers)
        time.sleep(SETTLE_SECONDS)  # let the daemon finish starting them before timing
        stale = sum(1 for i in range(containers) if (i % images) % 2 == 0)
        env = colibri_env(Path(tmp))
        outputs: list[str] = []

        def measure_colibri() -> float:
            elapsed, out = timed_command(
                [python(), "-m", "colibri", "check", "--format", "json"], env
            )
            outputs.append(out)
            return elapsed

        colibri_s, colibri_all = median_of(RUNS, measure_colibri)
        floor_s, floor_all = median_of(
            RUNS, lambda: timed_command([python(), "bench/floor_check.py"])[0]
        )
        skopeo_s = _skopeo(refs)
    ours = [r for r in json.loads(outputs[-1]) if str(r["container"]).startswith(prefix)]
    statuses = [r["status"] for r in ours]
    if statuses.count("update_available") != stale:
        print(
            "statuses:",
            {status: statuses.count(status) for status in set(statuses)},
            f"expected {stale} update_available",
        )
    correct = (
        statuses.count("update_available") == stale
        and statuses.count("up_to_date") == containers - stale
    )
    ratio = colibri_s / floor_s
    figures = {
        "containers": containers,
        "images": images,
        "colibri_check_s": round(colibri_s, 3),
        "colibri_samples_s": [round(s, 3) for s in colibri_all],
        "floor_s": round(floor_s, 3),
        "floor_samples_s": [round(s, 3) for s in floor_all],
        "skopeo_sequential_s": round(skopeo_s, 3) if skopeo_s else None,
        "ratio_to_floor": round(ratio, 2),
        "correct": correct,
        "target_met": correct and ratio <= TARGET_RATIO,
    }
    _print(figures)
    return figures


def _publish(api: Any, registry: Any, factory: Any, prefix: str, images: int) -> list[str]:
    """K images pushed (so the daemon has them with their registry digest); then every other
    one re-published upstream while the daemon keeps the old one under the tag."""

    def publish(index: int) -> str:
        built = factory.build(f"{prefix}-src/app{index}:v1")
        registry.push(api, built.id, f"{prefix}/app{index}", "1")
        return f"{registry.host}/{prefix}/app{index}:1"

    refs = parallel([lambda i=i: publish(i) for i in range(images)], workers=4)

    def republish(index: int) -> None:
        newer = factory.build(f"{prefix}-src/app{index}:v2")
        registry.push(api, newer.id, f"{prefix}/app{index}", "1")
        api.tag(f"{prefix}-src/app{index}:v1", f"{registry.host}/{prefix}/app{index}", "1")

    parallel([lambda i=i: republish(i) for i in range(0, images, 2)], workers=4)
    return refs


def _start_containers(api: Any, refs: list[str], prefix: str, containers: int) -> None:
    def start(index: int) -> None:
        container = api.create_container(
            refs[index % len(refs)],
            labels={"colibri.enable": "true", LABEL: prefix},
            name=f"{prefix}-c{index}",
        )
        api.start(container["Id"])

    parallel([lambda i=i: start(i) for i in range(containers)], workers=8)


def _skopeo(refs: list[str]) -> float | None:
    if not shutil.which("skopeo"):
        print("skopeo not installed: that comparison is left out")
        return None
    total = 0.0
    for ref in refs:
        elapsed, _ = timed_command(["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"])
        total += elapsed
    return total


def _print(figures: dict[str, Any]) -> None:
    print(f"colibri check --format json : {figures['colibri_check_s']:.3f} s (median of {RUNS})")
    print(f"floor (same reads, direct)  : {figures['floor_s']:.3f} s")
    if figures["skopeo_sequential_s"] is not None:
        print(f"skopeo inspect, sequential  : {figures['skopeo_sequential_s']:.3f} s")
    verdict = "met" if figures["target_met"] else "MISSED"
    print(
        f"ratio to floor: {figures['ratio_to_floor']}x (target <= {TARGET_RATIO}x): {verdict}; "
        f"correct on every container: {figures['correct']}"
    )
