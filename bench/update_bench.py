"""Downtime of ``colibri update`` for 10 containers updated one after another, measured from
outside by polling the daemon, next to the floor measured in the same run: ``docker restart``
of the same containers (stop + start, nothing else). Target: median downtime within 1.5x of the
floor plus 50 ms. Also the wall time of the whole batch (the stability window is set to 2 s;
the default is 10 s)."""

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

CONTAINERS = int(os.environ.get("BENCH_UPDATE_CONTAINERS", "10"))
WINDOW = "2"


def run() -> dict[str, Any]:
    print(f"== update: {CONTAINERS} containers, one after another")
    with bench_world() as (api, registry, factory, prefix), tempfile.TemporaryDirectory() as tmp:
        repo = f"{prefix}/svc"
        v1 = factory.build(f"{prefix}-src/svc:v1")
        registry.push(api, v1.id, repo, "1")
        ref = f"{registry.host}/{repo}:1"
        names = [f"{prefix}-svc{i}" for i in range(CONTAINERS)]
        parallel([lambda n=n: _start(api, ref, n, prefix) for n in names])
        floor = _restart_floor(api, names)
        v2 = factory.build(f"{prefix}-src/svc:v2")
        registry.push(api, v2.id, repo, "1")
        api.tag(v1.id, f"{registry.host}/{repo}", "1")
        env = {**colibri_env(Path(tmp)), "COLIBRI_STABILITY_WINDOW": WINDOW}
        with DowntimePoller(names) as poller:
            started = time.perf_counter()
            _, out = timed_command(
                [python(), "-m", "colibri", "update", *names, "--format", "json"], env
            )
            batch = time.perf_counter() - started
        outcomes = json.loads(out)
        colibri = [poller.longest_gap_ms(name) for name in names]
        reported = [o["downtime_ms"] for o in outcomes]
    return _figures(floor, colibri, reported, batch, outcomes, poller.polls)


def _start(api: Any, ref: str, name: str, prefix: str) -> None:
    container = api.create_container(ref, name=name, labels={LABEL: prefix})
    api.start(container["Id"])


def _restart_floor(api: Any, names: list[str]) -> list[float]:
    with DowntimePoller(names) as poller:
        for name in names:
            api.restart(name, timeout=10)
            time.sleep(0.3)
    return [poller.longest_gap_ms(name) for name in names]


def _figures(
    floor: list[float],
    colibri: list[float],
    reported: list[Any],
    batch: float,
    outcomes: list[dict[str, Any]],
    polls: int,
) -> dict[str, Any]:
    floor_median = statistics.median(floor)
    median = statistics.median(colibri)
    limit = 1.5 * floor_median + 50
    updated = sum(1 for o in outcomes if o["status"] == "updated")
    figures = {
        "containers": CONTAINERS,
        "updated": updated,
        "downtime_median_ms": round(median, 1),
        "downtime_ms": [round(x, 1) for x in colibri],
        "downtime_reported_ms": reported,
        "restart_floor_median_ms": round(floor_median, 1),
        "restart_floor_ms": [round(x, 1) for x in floor],
        "target_ms": round(limit, 1),
        "batch_s": round(batch, 2),
        "stability_window_s": float(WINDOW),
        "polls": polls,
        "target_met": updated == CONTAINERS and median <= limit,
    }
    print(f"downtime per container, median : {median:.1f} ms (polled from outside)")
    print(f"floor: docker restart, median  : {floor_median:.1f} ms")
    print(
        f"target (1.5 x floor + 50 ms)   : {limit:.1f} ms: "
        f"{'met' if figures['target_met'] else 'MISSED'}"
    )
    print(
        f"whole batch of {CONTAINERS}            : {batch:.2f} s "
        f"(stability window {WINDOW} s each); updated {updated}/{CONTAINERS}"
    )
    return figures
