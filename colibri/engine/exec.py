"""Running a command inside a container with the Engine API's exec, for lifecycle hooks.

``POST /containers/{id}/exec`` creates the exec, ``POST /exec/{id}/start`` runs it attached
and streams its output (stdout and stderr multiplexed in 8-byte-header frames, since no TTY
is asked for), ``GET /exec/{id}/json`` gives its exit code. The wait is bounded by the
hook's timeout: a command still running then is reported as timed out (the daemon offers no
way to stop an exec; it keeps running in the container, whose update then stops as after any
failing hook).
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Sequence

import httpx

from colibri.domain.hooks import HookResult
from colibri.engine.api import EngineAPI, quote_name
from colibri.errors import EngineError, EngineUnavailable

__all__ = ["demultiplex", "run_exec"]

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">BxxxL")
_OUTPUT_LIMIT = 64 * 1024


def run_exec(api: EngineAPI, container_id: str, argv: Sequence[str], timeout: float) -> HookResult:
    """Run ``argv`` in the container, waiting at most ``timeout`` seconds."""
    action = f"exec in {container_id[:12]}"
    created = api.json(
        "POST",
        f"/containers/{quote_name(container_id)}/exec",
        json={"AttachStdout": True, "AttachStderr": True, "Cmd": list(argv)},
        action=action,
    )
    exec_id = str((created or {}).get("Id") or "")
    if not exec_id:
        raise EngineError(f"{action}: the daemon gave no exec id")
    output, finished = _attach(api, exec_id, timeout, action)
    text = demultiplex(output).decode("utf-8", "replace")
    if not finished:
        log.warning("%s: %s did not finish within %.0f s", action, list(argv), timeout)
        return HookResult(None, text, timed_out=True)
    state = api.json("GET", f"/exec/{exec_id}/json", action=action) or {}
    if state.get("Running"):
        return HookResult(None, text, timed_out=True)
    code = state.get("ExitCode")
    return HookResult(code if isinstance(code, int) else None, text)


def _attach(api: EngineAPI, exec_id: str, timeout: float, action: str) -> tuple[bytes, bool]:
    """The exec's raw output, and whether it ended before the deadline."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    limits = httpx.Timeout(timeout, connect=10.0)
    try:
        with api.client.stream(
            "POST",
            api.url(f"/exec/{exec_id}/start"),
            json={"Detach": False, "Tty": False},
            timeout=limits,
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise EngineError(f"{action}: the daemon refused to start it ({response.text})")
            for chunk in response.iter_raw():
                if size < _OUTPUT_LIMIT:
                    chunks.append(chunk)
                    size += len(chunk)
                if time.monotonic() > deadline:
                    return b"".join(chunks), False
    except httpx.ReadTimeout:
        return b"".join(chunks), False
    except httpx.TransportError as exc:
        raise EngineUnavailable(f"{action}: the connection to the daemon broke ({exc})") from exc
    return b"".join(chunks), True


def demultiplex(raw: bytes) -> bytes:
    """stdout and stderr frames in order, headers removed; a stream without frame headers
    (a TTY, or a daemon that does not multiplex) is returned as it is."""
    if len(raw) < _HEADER.size or raw[0] not in (0, 1, 2) or raw[1:4] != b"\0\0\0":
        return raw
    out = bytearray()
    offset = 0
    while offset + _HEADER.size <= len(raw):
        _stream, length = _HEADER.unpack_from(raw, offset)
        offset += _HEADER.size
        out += raw[offset : offset + length]
        offset += length
    return bytes(out)
