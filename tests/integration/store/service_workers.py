"""Code run in separate OS processes by the service store tests (see ``workers.py``).

Each function is started by ``run_in_processes`` in a fresh interpreter, waits at the barrier
with the others, then races them for the same rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from colibri.domain.tokens import NewApiToken, Permission
from colibri.store import make_store
from tests.integration.store.workers import TIMEOUT


def claim_due_settings(barrier: Any, url: str, now: datetime) -> list[int]:
    """Claim every setting due at ``now``, as a scheduler tick does; the ids this process won."""
    with make_store(url, migrate=False) as store:
        due = store.auto_updates.due(now, 1000)
        barrier.wait(TIMEOUT)
        won = []
        for setting in due:
            assert setting.next_run_at is not None
            if store.auto_updates.claim(setting.id, setting.next_run_at, now + timedelta(days=1)):
                won.append(setting.id)
        return won


def record_notification_keys(barrier: Any, url: str, keys: list[str]) -> list[str]:
    """Record every key; the keys this process was first to record."""
    with make_store(url, migrate=False) as store:
        barrier.wait(TIMEOUT)
        return [key for key in keys if store.notification_log.first_time(key)]


def create_first_token(barrier: Any, url: str, worker: int) -> str | None:
    """Try to create the first admin token; its name if this process created it."""
    with make_store(url, migrate=False) as store:
        barrier.wait(TIMEOUT)
        new = NewApiToken(f"admin-{worker}", frozenset({Permission.ADMIN}))
        issued = store.tokens.create_first(new)
        return None if issued is None else issued.token.name
