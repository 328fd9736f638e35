"""``colibri update`` of a batch of containers whose tag moved, next to floors measured in the
same run on the same containers.

For each size (10 and 50 containers; ``BENCH_UPDATE_SIZES`` changes it), with a 2 s stability
window and the default ``COLIBRI_UPDATE_CONCURRENCY``:

- **batch**: the wall time of ``colibri update <names> --format json``, every container
  changed upstream;
- **floor**: a plain script doing what an updater without verification does (as ouroboros
  and ``podman auto-update`` do): pull the new digest, then for each container stop, remove,
  create from the new image under the same name, start, one after another. It runs after
  Colibri, so the image is already there and the floor pays no download. Podman's own
  ``auto-update`` needs systemd units, which this machine does not run, so this script stands
  in for it. Target: batch <= floor + one stability window.
- **downtime** per container, polled from outside (no running container with the name):
  Colibri's, the floor script's stop-remove-create-start, and ``docker restart`` of the same
  containers (stop + start, nothing else). Target: Colibri's median no worse than the
  stop-remove-create-start one.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import LABEL, bench_world, colibri_env, parallel, python, timed_command
from bench.downtime import DowntimePoller

SIZES = [int(n) for n in os.environ.get("BENCH_UPDATE_SIZES", "10,50").split(",")]
WINDOW = "2"


def run() -> dict[str, Any]:
    results: dict[str, Any] = {"stability_window_s": float(WINDOW), "sizes": {}}
    for size in SIZES:
        results["sizes"][str(size)] = _one_size(size)
    results["target_met"] = all(r["target_met"] for r in results["sizes"].values())
    return results


def _one_size(size: int) -> dict[str, Any]:
    print(f"== update: a batch of {size} containers, stability window {WINDOW} s")
    with bench_world() as (api, registry, factory, prefix), tempfile.TemporaryDirectory() as tmp:
        repo = f"{prefix}/svc"
        v1 = factory.build(f"{prefix}-src/svc:v1")
        registry.push(api, v1.id, repo, "1")
        ref = f"{registry.host}/{repo}:1"
        names = [f"{prefix}-svc{i}" for i in range(size)]
        parallel([lambda n=n: _start(api, ref, n, prefix) for n in names])
        restart = _restart_floor(api, names[: min(size, 10)])
        v2 = factory.build(f"{prefix}-src/svc:v2")
        digest = registry.push(api, v2.id, repo, "1")
        api.tag(v1.id, f"{registry.host}/{repo}", "1")
        api.remove_image(v2.id, force=True)  # Colibri pulls it, as a fresh host would
        env = {**colibri_env(Path(tmp)), "COLIBRI_STABILITY_WINDOW": WINDOW}
        with DowntimePoller(names) as poller:
            started = time.perf_counter()
            _, out = timed_command(
                [python(), "-m", "colibri", "update", *names, "--format", "json"], env
            )
            batch = time.perf_counter() - started
        outcomes = json.loads(out)
        gaps = [poller.longest_gap_ms(name) for name in names]
        _reset(api, ref, v1.id, f"{registry.host}/{repo}", names, prefix)
        floor, floor_gaps = _recreate_floor(api, registry.host, repo, digest, names, prefix)
    return _figures(size, batch, floor, gaps, floor_gaps, restart, outcomes)


def _start(api: Any, ref: str, name: str, prefix: str) -> None:
    container = api.create_container(ref, name=name, labels={LABEL: prefix})
    api.start(container["Id"])


def _restart_floor(api: Any, names: list[str]) -> list[float]:
    with DowntimePoller(names) as poller:
        for name in names:
            api.restart(name, timeout=10)
            time.sleep(0.3)
    return [poller.longest_gap_ms(name) for name in names]


def _recreate_floor(
    api: Any, host: str, repo: str, digest: str, names: list[str], prefix: str
) -> tuple[float, list[float]]:
    """Pull once, then stop, remove, create, start each container in turn."""
    image = f"{host}/{repo}@{digest}"
    with DowntimePoller(names) as poller:
        started = time.perf_counter()
        api.pull(f"{host}/{repo}", tag=digest)
        for name in names:
            api.stop(name, timeout=10)
            api.remove_container(name)
            _start(api, image, name, prefix)
        elapsed = time.perf_counter() - started
    return elapsed, [poller.longest_gap_ms(name) for name in names]


def _reset(api: Any, ref: str, v1_id: str, repository: str, names: list[str], prefix: str) -> None:
    """Back to v1 everywhere (the tag too), so Colibri finds every container changed."""
    parallel([lambda n=n: api.remove_container(n, force=True) for n in names])
    api.tag(v1_id, repository, "1")
    parallel([lambda n=n: _start(api, ref, n, prefix) for n in names])


def _figures(
    size: int,
    batch: float,
    floor: float,
    gaps: list[float],
    floor_gaps: list[float],
    restart: list[float],
    outcomes: list[dict[str, Any]],
) -> dict[str, Any]:
    updated = sum(1 for o in outcomes if o["status"] == "updated")
    median = statistics.median(gaps)
    recreate = statistics.median(floor_gaps)
    restart_median = statistics.median(restart)
    batch_target = floor + float(WINDOW)
    figures = {
        "containers": size,
        "updated": updated,
        "batch_s": round(batch, 2),
        "floor_recreate_one_by_one_s": round(floor, 2),
        "batch_target_s": round(batch_target, 2),
        "downtime_median_ms": round(median, 1),
        "downtime_ms": [round(x, 1) for x in gaps],
        "floor_recreate_downtime_median_ms": round(recreate, 1),
        "floor_restart_downtime_median_ms": round(restart_median, 1),
        "target_met": updated == size and batch <= batch_target and median <= recreate,
    }
    print(
        f"whole batch of {size:>3}             : {batch:.2f} s; updated {updated}/{size} "
        f"(target <= floor + {WINDOW} s window = {batch_target:.2f} s)"
    )
    print(f"floor: pull, then stop-rm-create-start one by one : {floor:.2f} s")
    print(f"downtime per container, median : {median:.1f} ms (polled from outside)")
    print(f"floor: stop-rm-create-start    : {recreate:.1f} ms")
    print(f"floor: docker restart          : {restart_median:.1f} ms")
    return figures
