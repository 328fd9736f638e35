"""How failures become HTTP answers: one shape for every error that names a field.

* a request FastAPI cannot parse, and a value the domain refuses (``Invalid``), are a 422
  ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``; the input is never echoed
  (it may be a secret, or text that cannot even be encoded);
* a write clashing with stored rows (a ``StoreError`` of kind ``conflict``) and another update
  of the same container holding its lock (``LockHeld``) are a 409 of the same shape;
* a database that fails is a 503 and a Docker daemon or registry that cannot be asked a 502,
  each with one sentence: these are the service's neighbours failing, not the request.

Anything else is a bug and keeps its traceback: there is no catch-all handler.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from colibri.domain.invalid import Invalid
from colibri.errors import EngineError, LockHeld, RegistryError, StoreError

__all__ = ["field_error", "install_error_handlers", "not_found", "where"]

log = logging.getLogger(__name__)

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def install_error_handlers(app: FastAPI) -> None:
    """Register the translations above on ``app``."""
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(Invalid, _domain_invalid)
    app.add_exception_handler(LockHeld, _locked)
    app.add_exception_handler(StoreError, _store_failed)
    app.add_exception_handler(EngineError, _upstream_failed)
    app.add_exception_handler(RegistryError, _upstream_failed)


def field_error(
    status: int,
    loc: Sequence[str | int],
    msg: str,
    kind: str,
    *,
    ctx: Mapping[str, Any] | None = None,
) -> HTTPException:
    """An error naming the field at ``loc`` (``("body", "cron")``), with ``ctx`` (what to do
    instead) when given: raise it."""
    item: dict[str, Any] = {"loc": list(loc), "msg": msg, "type": kind}
    if ctx is not None:
        item["ctx"] = dict(ctx)
    return HTTPException(status, detail=[item])


def not_found(what: str) -> NoReturn:
    """Answer 404 saying which ``what`` (``auto-update setting 7``) does not exist."""
    raise HTTPException(404, detail=f"{what} not found")


def where(request: Request, field: str) -> list[str | int]:
    """The ``loc`` of a domain ``field`` (``endpoint.tls.ca``) in ``request``: its body for
    writes, else its query string when it has a parameter of that name, else its path."""
    parts: list[str | int] = list(field.split("."))
    if request.method in _BODY_METHODS:
        return ["body", *parts]
    return ["query" if parts[0] in request.query_params else "path", *parts]


def _errors(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"detail": items}


async def _request_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = [
        {
            "loc": list(error.get("loc", ())),
            "msg": str(error.get("msg", "invalid")).removeprefix("Value error, "),
            "type": str(error.get("type", "value_error")),
        }
        for error in exc.errors()
    ]
    return JSONResponse(_errors(items), status_code=422)


async def _domain_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Invalid)
    item = {"loc": where(request, exc.field), "msg": exc.reason, "type": "value_error"}
    return JSONResponse(_errors([item]), status_code=422)


async def _locked(request: Request, exc: Exception) -> JSONResponse:
    item = {"loc": ["path", *request.path_params], "msg": str(exc), "type": "locked"}
    return JSONResponse(_errors([item]), status_code=409)


async def _store_failed(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StoreError)
    if exc.kind == "conflict":
        field = str(getattr(exc, "field", "") or "id")
        item = {"loc": where(request, field), "msg": str(exc), "type": "conflict"}
        return JSONResponse(_errors([item]), status_code=409)
    log.error("%s %s: the store failed: %s", request.method, request.url.path, exc)
    return JSONResponse({"detail": "the database failed; see the service's log"}, 503)


async def _upstream_failed(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse({"detail": str(exc)}, status_code=502)
