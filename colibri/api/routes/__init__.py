"""One router per resource; :func:`include_routers` mounts them all."""

from __future__ import annotations

from fastapi import FastAPI

from colibri.api.routes import (
    audit,
    auto_updates,
    containers,
    cron,
    environments,
    notifications,
    runs,
    session,
    skips,
    system,
    tokens,
)

__all__ = ["include_routers"]


def include_routers(app: FastAPI) -> None:
    """Mount every router on ``app``."""
    routers = (
        auto_updates,
        runs,
        containers,
        skips,
        environments,
        notifications,
        cron,
        session,
        tokens,
        system,
    )
    for module in routers:
        app.include_router(module.router)
    app.include_router(runs.events_router)
    app.include_router(audit.router)
