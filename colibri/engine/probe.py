"""TCP and HTTP probes against a container's address (the ``colibri.probe`` label)."""

from __future__ import annotations

import socket
import time

import httpx

from colibri.domain.health import Probe

__all__ = ["NetworkProber"]

RETRY_SECONDS = 0.25


class NetworkProber:
    """Retries a probe until it answers or ``timeout`` passes; returns the last problem."""

    def probe(self, address: str, probe: Probe, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        problem: str | None = "not tried"
        while time.monotonic() < deadline:
            remaining = max(0.1, min(5.0, deadline - time.monotonic()))
            problem = self._once(address, probe, remaining)
            if problem is None:
                return None
            time.sleep(RETRY_SECONDS)
        return f"{problem} (gave up after {timeout:g}s)"

    def _once(self, address: str, probe: Probe, timeout: float) -> str | None:
        host = f"[{address}]" if ":" in address else address
        if probe.scheme == "tcp":
            try:
                with socket.create_connection((address, probe.port), timeout=timeout):
                    return None
            except OSError as exc:
                return f"tcp connect to {address}:{probe.port}: {exc}"
        url = f"http://{host}:{probe.port}{probe.path}"
        try:
            response = httpx.get(url, timeout=timeout, follow_redirects=False)
        except httpx.HTTPError as exc:
            return f"GET {url}: {exc}"
        if response.status_code >= 400:
            return f"GET {url}: HTTP {response.status_code}"
        return None
