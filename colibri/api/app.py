"""``create_app``: the REST API on the services it is given (nothing is built at import)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from colibri import __version__
from colibri.api.deps import ApiServices, KnownQuery
from colibri.api.errors import install_error_handlers
from colibri.api.middleware import BodyLimit, SecurityHeaders
from colibri.api.routes import include_routers
from colibri.api.sse import StreamSlots
from colibri.api.throttle import AuthThrottle
from colibri.api.web import default_dist, install_web
from colibri.config import Settings

__all__ = ["create_app"]

_DESCRIPTION = """\
Colibri keeps running containers on their newest image, and never loses one.

Every route but `/healthz`, signing in (`/api/session`) and these pages (`/docs` and
`/openapi.json`, which describe the API and hold no data) needs an API token:
`Authorization: Bearer colibri_…` (`colibri token create --permission …`), or the web UI's
session cookie (`POST /api/session` with a token; a change sent with the cookie also needs
the header `X-Colibri-Request: 1`, and an `Origin`, when sent, of this service). Without a
valid one the answer is 401; without the route's permission, 403 naming it. A field that
is wrong is a 422 whose `detail` names it (`loc`) and says why (`msg`); an unknown id is a
404; a clash with what is stored a 409.

`/metrics` (Prometheus) needs a token with `containers:read`, like every other read: give
Prometheus one in its scrape configuration (`authorization: {credentials: colibri_…}`).
`/healthz` needs none. `GET /api/runs/{run_id}/events` streams a run's progress as
server-sent events and closes after its `finished` event; a token may hold a few streams
open at once (429 beyond).

Limits: a body over the configured size is refused with 413 before anything reads it; a
client whose tokens are refused too often gets 429 with `Retry-After`.
"""

_TAGS = [
    {"name": "auto-updates", "description": "Per-container schedules; run one now."},
    {"name": "runs", "description": "The history of updates, and live progress."},
    {"name": "containers", "description": "Containers and their last check."},
    {"name": "environments", "description": "The Docker hosts Colibri manages."},
    {"name": "notifications", "description": "Where notifications go."},
    {"name": "schedules", "description": "Cron expressions explained."},
    {"name": "session", "description": "The web UI's sign-in: a token for a cookie."},
    {"name": "tokens", "description": "API tokens: made, listed, revoked."},
    {"name": "system", "description": "Health and Prometheus metrics."},
    {"name": "audit", "description": "Who changed what through the API, and when."},
]


def create_app(
    services: ApiServices, settings: Settings, *, web_dist: Path | None = None
) -> FastAPI:
    """The API over ``services``; OpenAPI at ``/openapi.json``, its pages at ``/docs``, the
    web UI built in ``web_dist`` (the package's ``web_dist`` by default) at ``/``.

    ``settings`` are kept for the routes (``SettingsDep``); binding the address is the
    caller's business (``colibri serve`` binds 127.0.0.1 by default). Every answer carries
    the security headers; bodies over ``COLIBRI_API_MAX_BODY`` are refused before any route
    runs (see :mod:`colibri.api.middleware`).
    """
    app = FastAPI(
        title="Colibri",
        version=__version__,
        description=_DESCRIPTION,
        openapi_tags=_TAGS,
        dependencies=[KnownQuery],
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    app.state.settings = settings
    app.state.auth_throttle = AuthThrottle(limit=settings.api_auth_failures)
    app.state.stream_slots = StreamSlots(settings.api_streams_per_token)
    install_error_handlers(app)
    include_routers(app)
    install_web(app, web_dist or default_dist())
    app.add_middleware(BodyLimit, limit=settings.api_max_body)
    app.add_middleware(SecurityHeaders)
    return app
