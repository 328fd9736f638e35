"""``colibri serve``: the latency of ``GET /api/containers`` with 1,000 containers, and the
service's resident memory when idle.

Baselines measured in the same run: for latency, the same work done in-process without HTTP
(the store query that serves the route, plus ``json.dumps`` of the answer); for memory, a
minimal FastAPI app under uvicorn doing nothing. Target: median latency within 50 ms of that
floor. Memory has no target (the issue asks for the figure): it is printed next to the minimal
app's so the cost of the rest (SQLAlchemy, the scheduler, Apprise, the scanners' adapters) is
visible.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from colibri.domain.container_status import ContainerStatus
from colibri.domain.environments import LOCAL_ENDPOINT, LOCAL_ENVIRONMENT, Endpoint, NewEnvironment
from colibri.domain.model import CheckStatus
from colibri.store import make_store
from tests.support.registry import free_port

CONTAINERS = int(os.environ.get("BENCH_API_CONTAINERS", "1000"))
REQUESTS = int(os.environ.get("BENCH_API_REQUESTS", "50"))
LATENCY_SLACK_MS = 50.0
MINIMAL_APP = (
    "import uvicorn, fastapi; app = fastapi.FastAPI()\n"
    "@app.get('/healthz')\ndef health(): return {'status': 'ok'}\n"
    "uvicorn.run(app, host='127.0.0.1', port={port}, log_level='warning')"
)


def run() -> dict[str, Any]:
    print(f"== api: GET /api/containers with {CONTAINERS} containers; idle memory")
    with tempfile.TemporaryDirectory(prefix="colibri-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'colibri.db'}"
        floor_ms = _seed_and_floor(url)
        token = "bench-" + secrets.token_urlsafe(32)
        port = free_port()
        env = {
            **os.environ,
            "COLIBRI_DATA_DIR": tmp,
            "COLIBRI_DATABASE_URL": url,
            "COLIBRI_API_PORT": str(port),
            "COLIBRI_ADMIN_TOKEN": token,
            "COLIBRI_CHECK_INTERVAL": "off",
        }
        serve = subprocess.Popen(
            [sys.executable, "-m", "colibri", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base)
            latencies = _latencies(base, token)
            time.sleep(3)
            rss = _rss_mb(serve.pid)
        finally:
            serve.terminate()
            serve.wait(timeout=60)
    minimal_rss = _minimal_app_rss()
    return _figures(latencies, floor_ms, rss, minimal_rss)


def _seed_and_floor(url: str) -> float:
    """Write the statuses, and time the route's work without HTTP (median, ms)."""
    with make_store(url) as store:
        environment = store.environments.ensure(
            NewEnvironment(LOCAL_ENVIRONMENT, Endpoint(LOCAL_ENDPOINT))
        )
        now = datetime.now(UTC)
        store.container_statuses.record(
            ContainerStatus(
                environment.id,
                f"bench-{i}",
                f"{i:064x}",
                f"reg.lan/app{i % 50}:1",
                CheckStatus.UP_TO_DATE,
                now,
                "sha256:" + "a" * 64,
                "sha256:" + "a" * 64,
            )
            for i in range(CONTAINERS)
        )
        samples = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            found = store.container_statuses.list_statuses()
            json.dumps([_plain(status) for status in found])
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _plain(status: ContainerStatus) -> dict[str, Any]:
    return {
        "name": status.container_name,
        "id": status.container_id,
        "image": status.image,
        "status": status.status.value,
        "checked_at": status.checked_at.isoformat(),
        "current": status.current_digest,
        "remote": status.remote_digest,
    }


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("colibri serve did not answer within 60 s")


def _latencies(base: str, token: str) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    samples = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for attempt in range(REQUESTS + 5):
            started = time.perf_counter()
            answer = client.get("/api/containers")
            elapsed = (time.perf_counter() - started) * 1000
            answer.raise_for_status()
            if attempt >= 5:  # warm-up requests are not counted
                samples.append(elapsed)
        assert len(answer.json()) >= CONTAINERS, "the API did not list every container"
    return samples


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmRSS for process {pid}")


def _minimal_app_rss() -> float:
    port = free_port()
    app = subprocess.Popen(
        [sys.executable, "-c", MINIMAL_APP.replace("{port}", str(port))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"http://127.0.0.1:{port}")
        time.sleep(3)
        return _rss_mb(app.pid)
    finally:
        app.terminate()
        app.wait(timeout=30)


def _figures(latencies: list[float], floor_ms: float, rss: float, minimal: float) -> dict[str, Any]:
    median = statistics.median(latencies)
    p95 = sorted(latencies)[int(len(latencies) * 0.95) - 1]
    figures = {
        "containers": CONTAINERS,
        "latency_median_ms": round(median, 1),
        "latency_p95_ms": round(p95, 1),
        "floor_in_process_ms": round(floor_ms, 1),
        "idle_rss_mb": round(rss, 1),
        "minimal_fastapi_rss_mb": round(minimal, 1),
        "target_met": median <= floor_ms + LATENCY_SLACK_MS,
    }
    print(f"GET /api/containers, median   : {median:.1f} ms (p95 {p95:.1f} ms)")
    print(f"floor: same query + json, no HTTP: {floor_ms:.1f} ms")
    print(f"idle resident memory          : {rss:.1f} MB (a minimal FastAPI app: {minimal:.1f} MB)")
    verdict = "met" if figures["target_met"] else "MISSED"
    print(f"target (latency <= floor + {LATENCY_SLACK_MS:g} ms): {verdict}")
    return figures
