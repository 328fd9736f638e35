"""``/healthz`` and ``/metrics``.

``/healthz`` needs no token, so that a load balancer or a container runtime can ask it; it
says only whether each part answers (``ok`` or ``unavailable``, the details go to the log),
200 when all do and 503 otherwise.

``/metrics`` needs a token with ``containers:read``, as every other read does: the metrics
name containers and environments, and Prometheus sends a bearer token as easily as none
(``authorization: {credentials: …}`` in the scrape config). A token made for it alone:
``colibri token create --permission containers:read``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from colibri.api.deps import ServicesDep, require
from colibri.api.responses import AUTH, INVALID, UNAVAILABLE
from colibri.api.schemas.system import Answer, Health
from colibri.domain.tokens import Permission

__all__ = ["router"]

router = APIRouter(tags=["system"])

#: The Prometheus text exposition format, as documented (the service says which version).
METRICS_MEDIA_TYPE = "text/plain"
_UNHEALTHY: dict[int | str, dict[str, Any]] = {
    503: {"model": Health, "description": "A part does not answer."},
    **INVALID,
}


@router.get("/healthz", response_model=Health, responses=_UNHEALTHY)
def healthz(services: ServicesDep) -> JSONResponse:
    """Whether the store and the Docker daemon answer."""
    answers = services.health.check()
    checks: dict[str, Answer] = {
        name: "ok" if up else "unavailable" for name, up in answers.items()
    }
    healthy = all(answers.values())
    body = Health(status="ok" if healthy else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if healthy else 503)


@router.get(
    "/metrics",
    dependencies=[require(Permission.CONTAINERS_READ)],
    response_class=Response,
    responses={
        200: {
            "content": {METRICS_MEDIA_TYPE: {"schema": {"type": "string"}}},
            "description": "Prometheus metrics.",
        },
        **AUTH,
        **INVALID,
        **UNAVAILABLE,
    },
)
def metrics(services: ServicesDep) -> Response:
    """Checks, updates by result, rollbacks, blocked candidates, registry requests and 429s,
    run durations, in the Prometheus text format."""
    return Response(services.metrics.render(), media_type=services.metrics.content_type)
