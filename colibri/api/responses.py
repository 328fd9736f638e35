"""The error answers each route documents in the OpenAPI schema, by what can go wrong."""

from __future__ import annotations

from typing import Any

from colibri.api.schemas.common import FieldErrors, Message

__all__ = [
    "AUTH",
    "CONFLICT",
    "INVALID",
    "NOT_FOUND",
    "TOO_MANY",
    "UNAVAILABLE",
    "UNREADABLE",
    "UPSTREAM",
    "answers",
]

Responses = dict[int | str, dict[str, Any]]

AUTH: Responses = {
    401: {"model": Message, "description": "No token, or one unknown, revoked or expired."},
    403: {"model": Message, "description": "The token lacks the permission the route needs."},
    413: {"model": Message, "description": "The request body is too large."},
    429: {"model": Message, "description": "Too many failed authentications: wait."},
}
TOO_MANY: Responses = {
    429: {"model": Message, "description": "Too many at once, or too many failures: wait."}
}
INVALID: Responses = {
    422: {
        "model": FieldErrors,
        "description": "A field is invalid: `loc` names it, `msg` says why.",
    }
}
UNREADABLE: Responses = {
    400: {"model": Message, "description": "The body could not be read (it is not UTF-8)."}
}
NOT_FOUND: Responses = {404: {"model": Message, "description": "No such id."}}
CONFLICT: Responses = {
    409: {"model": FieldErrors, "description": "It clashes with what is stored (names the field)."}
}
UNAVAILABLE: Responses = {503: {"model": Message, "description": "The database failed."}}
UPSTREAM: Responses = {502: {"model": Message, "description": "A Docker daemon did not answer."}}


def answers(*groups: Responses) -> Responses:
    """The documented answers of a route: authentication, validation and the database, plus
    ``groups``."""
    merged: Responses = {**AUTH, **INVALID, **UNAVAILABLE}
    for group in groups:
        merged.update(group)
    return merged
