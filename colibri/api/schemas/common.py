"""Building blocks shared by the request and response schemas: bounded text, ids, errors.

Every string a request may carry is bounded and free of control characters, so nothing a
client sends can reach the database as a value it refuses (PostgreSQL rejects NUL, its
``varchar(n)`` columns refuse longer text, its ``integer`` columns larger numbers): such input
is a 422 naming the field, never a 500.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "MAX_ID",
    "ContainerName",
    "EnvironmentName",
    "ErrorItem",
    "FieldErrors",
    "Id",
    "Message",
    "Path",
    "RequestModel",
    "ResponseModel",
    "RunId",
    "Text",
]

#: The largest id the store's ``integer`` columns hold (PostgreSQL's int4).
MAX_ID = 2**31 - 1

_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

#: A database id.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
#: A one-line name or label for people: 1-255 characters, no control characters.
Text = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=_PRINTABLE)]
#: A longer one-line value (a URL, a file path): up to 4096 characters.
Path = Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=_PRINTABLE)]
#: A container name as Docker accepts it (without the leading ``/``).
ContainerName = Annotated[str, StringConstraints(pattern=r"^/?[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")]
#: An environment name.
EnvironmentName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
#: A run id as the journal makes them (32 hex digits; callers may choose others).
RunId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class RequestModel(BaseModel):
    """A request body: unknown fields are refused (a typo is a 422, not silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    """A response body."""


class ErrorItem(BaseModel):
    """One problem with a request: where (``["body", "cron"]``), what, and its kind."""

    loc: list[str | int] = Field(description="Where: the request part, then the field path.")
    msg: str = Field(description="What is wrong, in plain words.")
    type: str = Field(description="A machine-readable kind (`value_error`, `conflict`...).")
    ctx: dict[str, Any] | None = Field(
        None,
        description="What to do instead, when known: for a cron expression written for "
        "another cron, `suggestion` (a valid equivalent) and its `next_runs`.",
    )


class FieldErrors(BaseModel):
    """A 422 or 409 body: each problem names its field, as FastAPI's validation errors do."""

    detail: list[ErrorItem]


class Message(BaseModel):
    """Any other error body (401, 403, 404...): one sentence."""

    detail: str
