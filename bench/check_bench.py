"""``colibri check`` on N containers over K images, half of them changed upstream.

Figures: the wall time of ``colibri check --format json`` (median of several runs), the floor
(``bench/floor_check.py``: the same Docker reads and HEADs, direct, same concurrency), and a
sequential ``skopeo inspect`` per image (the usual scripted approach). Target: colibri within
1.5x of the floor, and correct on every container.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
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

CONTAINERS = int(os.environ.get("BENCH_CHECK_CONTAINERS", "200"))
IMAGES = int(os.environ.get("BENCH_CHECK_IMAGES", "50"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TARGET_RATIO = 1.5


def run() -> dict[str, Any]:
    print(f"== check: {CONTAINERS} containers over {IMAGES} images, half changed upstream")
    with bench_world() as (api, registry, factory, prefix), tempfile.TemporaryDirectory() as tmp:
        refs = _publish(api, registry, factory, prefix)
        _start_containers(api, refs, prefix)
        expected_stale = sum(1 for i in range(CONTAINERS) if (i % IMAGES) % 2 == 0)
        env = colibri_env(Path(tmp))
        colibri_cmd = [python(), "-m", "colibri", "check", "--format", "json"]
        outputs: list[str] = []

        def measure_colibri() -> float:
            elapsed, out = timed_command(colibri_cmd, env)
            outputs.append(out)
            return elapsed

        colibri_s, colibri_all = median_of(RUNS, measure_colibri)
        floor_s, floor_all = median_of(
            RUNS, lambda: timed_command([python(), "bench/floor_check.py"])[0]
        )
        skopeo_s = _skopeo(registry.host, refs)
    statuses = [r["status"] for r in json.loads(outputs[-1])]
    correct = (
        statuses.count("update_available") == expected_stale
        and statuses.count("up_to_date") == CONTAINERS - expected_stale
    )
    ratio = colibri_s / floor_s
    figures = {
        "containers": CONTAINERS,
        "images": IMAGES,
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


def _publish(api: Any, registry: Any, factory: Any, prefix: str) -> list[str]:
    """K images pushed and pulled; then every other one re-published upstream."""

    def publish(index: int) -> str:
        repo = f"{prefix}/app{index}"
        built = factory.build(f"{prefix}-src/app{index}:v1")
        registry.push(api, built.id, repo, "1")
        return f"{registry.host}/{repo}:1"

    refs = parallel([lambda i=i: publish(i) for i in range(IMAGES)], workers=4)

    def republish(index: int) -> None:
        newer = factory.build(f"{prefix}-src/app{index}:v2")
        registry.push(api, newer.id, f"{prefix}/app{index}", "1")
        api.tag(f"{prefix}-src/app{index}:v1", f"{registry.host}/{prefix}/app{index}", "1")

    parallel([lambda i=i: republish(i) for i in range(0, IMAGES, 2)], workers=4)
    return refs


def _start_containers(api: Any, refs: list[str], prefix: str) -> None:
    def start(index: int) -> None:
        container = api.create_container(
            refs[index % IMAGES],
            command=["sleep", "86400"],
            labels={"colibri.enable": "true", LABEL: prefix},
            name=f"{prefix}-c{index}",
            host_config=api.create_host_config(init=False),
        )
        api.start(container["Id"])

    parallel([lambda i=i: start(i) for i in range(CONTAINERS)], workers=8)


def _skopeo(host: str, refs: list[str]) -> float | None:
    if not shutil.which("skopeo"):
        print("skopeo not installed: skipped that comparison")
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
