"""One router per resource; :func:`include_routers` mounts them all."""

from __future__ import annotations

from fastapi import FastAPI

from colibri.api.routes import (
    auto_updates,
    containers,
    cron,
    environments,
    notifications,
    runs,
    session,
    system,
    tokens,
)

__all__ = ["include_routers"]


def include_routers(app: FastAPI) -> None:
    """Mount every router on ``app``."""
    for module in (
        auto_updates,
        runs,
        containers,
        environments,
        notifications,
        cron,
        session,
        tokens,
        system,
    ):
        app.include_router(module.router)
    app.include_router(runs.events_router)
