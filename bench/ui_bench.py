"""The web UI: what the first page weighs (JS + CSS, gzipped) and how long the containers
page takes to be usable with 1,000 containers in headless Chromium.

Weight: the files the browser needs for the sign-in page and for the containers page (the
entry, its static imports, the page's lazy chunk and its imports, their CSS), from Vite's
build manifest, each gzipped (level 9) as a server or proxy would. Target: <= 250 KB.

Time: ``colibri serve`` on a store holding 1,000 container statuses, a browser already
signed in (session cookie); from navigation start until the table shows its rows and the
count "1000 containers" (median of several loads). The floor, measured in the same run and
browser: navigating to a tiny page of the same server (``/healthz``), plus fetching the same
``/api/containers`` and writing 1,000 plain table rows with ``innerHTML``. Target: <= 1 s.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench.api_bench import CONTAINERS, _seed_and_floor, _wait
from tests.support.registry import free_port

DIST = Path(__file__).resolve().parent.parent / "colibri" / "web_dist"
WEIGHT_TARGET_KB = 250.0
USABLE_TARGET_MS = 1000.0
LOADS = int(os.environ.get("BENCH_UI_LOADS", "7"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FLOOR_SCRIPT = """async () => {
  const started = performance.now();
  const rows = await (await fetch('/api/containers')).json();
  const table = document.createElement('table');
  table.innerHTML = rows
    .map(r => `<tr><td>${r.name}</td><td>${r.image}</td><td>${r.status}</td></tr>`)
    .join('');
  document.body.appendChild(table);
  table.getBoundingClientRect();
  return performance.now() - started;
}"""


def run() -> dict[str, Any]:
    print(f"== ui: first-page weight; containers page usable with {CONTAINERS} containers")
    signin_kb, containers_kb = _weights()
    usable, floor = _usable_times()
    figures = {
        "signin_page_gzip_kb": round(signin_kb, 1),
        "containers_page_gzip_kb": round(containers_kb, 1),
        "containers": CONTAINERS,
        "usable_median_ms": round(statistics.median(usable), 0),
        "usable_max_ms": round(max(usable), 0),
        "floor_median_ms": round(statistics.median(floor), 0),
        "target_met": containers_kb <= WEIGHT_TARGET_KB
        and statistics.median(usable) <= USABLE_TARGET_MS,
    }
    print(f"sign-in page, JS + CSS gzipped   : {signin_kb:.1f} KB")
    target = f"(target <= {WEIGHT_TARGET_KB:g})"
    print(f"containers page, JS + CSS gzipped: {containers_kb:.1f} KB {target}")
    print(
        f"containers page usable           : {figures['usable_median_ms']:.0f} ms median, "
        f"{figures['usable_max_ms']:.0f} ms max (target <= {USABLE_TARGET_MS:g})"
    )
    print(f"floor: tiny page + fetch + 1,000 plain rows: {figures['floor_median_ms']:.0f} ms")
    print(f"targets: {'met' if figures['target_met'] else 'MISSED'}")
    return figures


def _weights() -> tuple[float, float]:
    manifest = json.loads((DIST / ".vite" / "manifest.json").read_text())
    entry = next(key for key, chunk in manifest.items() if chunk.get("isEntry"))
    signin = _closure(manifest, [entry, *_lazy(manifest, "src/views/SignInView.vue")])
    containers = _closure(manifest, [entry, *_lazy(manifest, "src/views/ContainersView.vue")])
    return _gzip_kb(signin), _gzip_kb(containers)


def _lazy(manifest: dict[str, Any], view: str) -> list[str]:
    """``view`` when it is a chunk of its own (lazily loaded), else nothing: it is in the entry."""
    return [view] if view in manifest else []


def _closure(manifest: dict[str, Any], roots: list[str]) -> set[str]:
    """The files of ``roots`` and of every chunk they import statically, with their CSS."""
    files: set[str] = set()
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        chunk = manifest[key]
        files.add(chunk["file"])
        files.update(chunk.get("css", ()))
        todo.extend(chunk.get("imports", ()))
    return files


def _gzip_kb(files: set[str]) -> float:
    return sum(len(gzip.compress((DIST / name).read_bytes(), 9)) for name in files) / 1024


def _usable_times() -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="colibri-bench-ui-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'colibri.db'}"
        _seed_and_floor(url)
        token = "colibri_bench_" + secrets.token_urlsafe(32)
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
            cookie = _session_cookie(base, token)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_FLAGS
                )
                context = browser.new_context(viewport={"width": 1366, "height": 860})
                context.add_cookies([{"name": "colibri_session", "value": cookie, "url": base}])
                page = context.new_page()
                usable = [_load_containers(page, base) for _ in range(LOADS + 1)][1:]
                floor = [_floor(page, base) for _ in range(LOADS + 1)][1:]
                browser.close()
        finally:
            serve.terminate()
            serve.wait(timeout=60)
    return usable, floor


def _session_cookie(base: str, token: str) -> str:
    answer = httpx.post(
        f"{base}/api/session",
        json={"token": token},
        headers={"X-Colibri-Request": "1", "Origin": base},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.cookies["colibri_session"]


def _load_containers(page: Any, base: str) -> float:
    page.goto(f"{base}/containers", wait_until="commit")
    page.wait_for_function(
        "(count) => document.querySelector('[data-test=summary]')?.textContent"
        ".startsWith(count + ' ') && document.querySelectorAll("
        "'[data-test=containers-table] tbody tr').length > 1",
        arg=CONTAINERS,
        polling="raf",
        timeout=30_000,
    )
    return float(page.evaluate("performance.now()"))


def _floor(page: Any, base: str) -> float:
    page.goto(f"{base}/healthz", wait_until="load")
    navigation = float(page.evaluate("performance.now()"))
    return navigation + float(page.evaluate(FLOOR_SCRIPT))
