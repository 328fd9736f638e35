"""Failed authentication, limited per client address and logged.

Every request whose credentials are refused counts against its client (the peer address, or
the address a trusted proxy forwarded: see ``COLIBRI_TRUSTED_PROXIES``); a client with too
many failures in a minute gets 429 with ``Retry-After`` before its credentials are even
looked at, and each refusal is logged at WARNING with the client's address (never the
credentials). The counting is :class:`colibri.domain.throttle.FailureWindow`; this module
adds the lock, the clock and the answers. Any sign-in route uses the same instance
(``app.state.auth_throttle``), so a guesser cannot switch doors.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import cast

from fastapi import HTTPException, Request

from colibri.domain.throttle import FailureWindow

__all__ = ["AuthThrottle", "auth_throttle", "client_of"]

log = logging.getLogger(__name__)


class AuthThrottle:
    """Counts failed authentication per client; refuses a client over the limit."""

    def __init__(self, limit: int = 10, window: float = 60.0) -> None:
        self._window = FailureWindow(limit=limit, window=window)
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """429 when ``client`` has failed too often lately."""
        with self._lock:
            wait = self._window.retry_after(client, time.monotonic())
        if wait > 0:
            raise HTTPException(
                429,
                detail="too many failed authentications from this address; try again later",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )

    def failed(self, client: str, why: str) -> None:
        """Count and log one refused authentication of ``client``."""
        with self._lock:
            count = self._window.failed(client, time.monotonic())
        log.warning(
            "authentication refused from %s: %s (%d in the last %.0f s)",
            client,
            why,
            count,
            self._window.window,
        )


def auth_throttle(request: Request) -> AuthThrottle:
    """The app's throttle (made by ``create_app``)."""
    return cast(AuthThrottle, request.app.state.auth_throttle)


def client_of(request: Request) -> str:
    """The client's address as the server sees it (after trusted proxies)."""
    return request.client.host if request.client else "unknown"
