"""``/api/tokens``: API tokens, made (the secret answered once), listed and revoked.

Every route needs ``admin``: a token that may make tokens may give itself any permission.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from colibri.api.deps import ServicesDep, require
from colibri.api.errors import not_found
from colibri.api.responses import CONFLICT, NOT_FOUND, UNREADABLE, answers
from colibri.api.schemas.common import MAX_ID
from colibri.api.schemas.tokens import TokenCreate, TokenIssued, TokenPublic
from colibri.domain.tokens import Permission

__all__ = ["router"]

router = APIRouter(prefix="/api/tokens", tags=["tokens"], dependencies=[require(Permission.ADMIN)])

TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="The token's id.")]


@router.get("", responses=answers())
def list_tokens(services: ServicesDep) -> list[TokenPublic]:
    """Every token, revoked ones included, oldest first (never a secret)."""
    return [TokenPublic.from_domain(token) for token in services.tokens.list()]


@router.post("", status_code=status.HTTP_201_CREATED, responses=answers(CONFLICT, UNREADABLE))
def create_token(services: ServicesDep, body: TokenCreate, response: Response) -> TokenIssued:
    """Make a token; its ``secret`` is in this answer and nowhere else, ever."""
    issued = services.tokens.create(
        body.name, [p.value for p in body.permissions], expires_at=body.expires_at
    )
    response.headers["Location"] = f"{router.prefix}/{issued.token.id}"
    response.headers["Cache-Control"] = "no-store"
    return TokenIssued.from_issued(issued)


@router.delete("/{token_id}", responses=answers(NOT_FOUND))
def revoke_token(services: ServicesDep, token_id: TokenId) -> TokenPublic:
    """Revoke a token from now on (its sessions end with it); it stays listed."""
    revoked = services.tokens.revoke(token_id)
    if revoked is None:
        not_found(f"token {token_id}")
    return TokenPublic.from_domain(revoked)
