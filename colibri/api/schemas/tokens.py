"""API tokens and browser sessions as the API shows and takes them.

A token's secret appears in exactly one answer, :class:`TokenIssued` (when it is made); every
other answer shows only its non-secret ``prefix``. A session's secret never appears in a
body: it travels in the ``HttpOnly`` cookie alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from colibri.api.schemas.common import RequestModel, ResponseModel, Text
from colibri.domain.tokens import Permission

if TYPE_CHECKING:
    from colibri.domain.tokens import ApiToken, IssuedToken

__all__ = ["SessionCreate", "SessionPublic", "TokenCreate", "TokenIssued", "TokenPublic"]

Secret = Annotated[str, StringConstraints(min_length=1, max_length=512)]


class TokenCreate(RequestModel):
    """A new token: a name for people, what it may do, optionally when it expires."""

    name: Text
    permissions: list[Permission] = Field(min_length=1, max_length=len(Permission))
    expires_at: AwareDatetime | None = None


class TokenPublic(ResponseModel):
    """A stored token, never its secret."""

    id: int
    name: str
    prefix: str
    permissions: list[Permission]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_domain(cls, token: ApiToken) -> TokenPublic:
        """The API's form of the domain's value."""
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            permissions=sorted(token.permissions),
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )


class TokenIssued(TokenPublic):
    """A token just made, with its secret: shown this once, never again."""

    secret: str

    @classmethod
    def from_issued(cls, issued: IssuedToken) -> TokenIssued:
        """The API's form of a new token and its secret."""
        public = TokenPublic.from_domain(issued.token)
        return cls(**public.model_dump(), secret=issued.secret)


class SessionCreate(RequestModel):
    """Sign in: the API token to act as (it is not kept in the browser)."""

    token: Secret


class SessionPublic(ResponseModel):
    """Who is signed in: the token's name and prefix, what it may do, until when."""

    via: Literal["session", "token"] = Field(
        description="`session`: the web UI's cookie; `token`: an Authorization header."
    )
    token_id: int
    token_name: str
    token_prefix: str
    permissions: list[Permission]
    expires_at: datetime | None

    @classmethod
    def of(
        cls, token: ApiToken, via: Literal["session", "token"], expires_at: datetime | None
    ) -> SessionPublic:
        """The answer for ``token``, signed in ``via`` a cookie or a header."""
        return cls(
            via=via,
            token_id=token.id,
            token_name=token.name,
            token_prefix=token.prefix,
            permissions=sorted(token.permissions),
            expires_at=expires_at,
        )
