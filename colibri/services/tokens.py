"""API tokens: issue, authenticate, list, revoke, and the first admin token.

Secrets are made and hashed by the domain (``colibri.domain.tokens``) and stored as hashes by
the ``ApiTokens`` port; an ``IssuedToken`` is the only value that ever carries a secret, and
only its creator sees it.

On first start (no token at all, revoked ones included) :meth:`TokenService.ensure_admin`
creates one ``admin`` token, from ``COLIBRI_ADMIN_TOKEN`` when that is set, atomically across
processes starting together. Afterwards ``COLIBRI_ADMIN_TOKEN`` creates nothing: a warning
says so when it is not a valid token, so a changed variable is not silently ignored.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterable
from datetime import datetime

from colibri.domain.invalid import Invalid, check_aware
from colibri.domain.ports import ApiTokens, Clock
from colibri.domain.tokens import (
    ApiToken,
    IssuedToken,
    NewApiToken,
    Permission,
    parse_permissions,
)
from colibri.errors import ColibriError

__all__ = ["ADMIN_TOKEN_NAME", "TokenService"]

log = logging.getLogger(__name__)

ADMIN_TOKEN_NAME = "admin"  # noqa: S105 - the name people see, not a secret
_MAX_PRESENTED = 512  # longer than any secret we issue or accept: not worth hashing


class TokenService:
    """Issues and checks API tokens; unknown ids give ``None``."""

    def __init__(self, api_tokens: ApiTokens, clock: Clock) -> None:
        self.api_tokens = api_tokens
        self.clock = clock

    def create(
        self, name: str, permissions: Iterable[str], expires_at: datetime | None = None
    ) -> IssuedToken:
        """A new token and its secret (shown once). ``Invalid`` names ``name``,
        ``permissions`` or ``expires_at`` (which must be in the future); a taken name is a
        conflict on ``name``."""
        check_aware(expires_at, "expires_at")
        if expires_at is not None and expires_at <= self.clock.now():
            raise Invalid("expires_at", f"{expires_at.isoformat()} is not in the future")
        new = NewApiToken(name, parse_permissions(permissions), expires_at=expires_at)
        issued = self.api_tokens.create(new)
        log.info("API token %s (%s) created", issued.token.name, issued.token.prefix)
        return issued

    def authenticate(self, presented: str) -> ApiToken | None:
        """The active token whose secret is ``presented`` (its use recorded), else ``None``:
        unknown, revoked and expired tokens look the same."""
        if not presented or len(presented) > _MAX_PRESENTED:
            return None
        found = self.api_tokens.find_active(presented)
        if found is None:
            return None
        try:
            self.api_tokens.touch(found.id)
        except ColibriError as exc:  # the request is authentic; only the bookkeeping failed
            log.warning("could not record the use of API token %s: %s", found.id, exc)
        return found

    def ensure_admin(self, preset: str | None) -> IssuedToken | None:
        """The admin token created now because no token existed (its secret is ``preset``
        when given, else fresh), or ``None`` when tokens already exist."""
        new = NewApiToken(ADMIN_TOKEN_NAME, frozenset({Permission.ADMIN}))
        issued = self.api_tokens.create_first(new, secret=preset or None)
        if issued is not None and preset:  # a chosen secret: not even its start is logged
            log.warning("created the first API token %r from the preset secret", new.name)
        elif issued is not None:
            log.warning("created the first API token %r (%s)", new.name, issued.token.prefix)
        elif preset and self.api_tokens.find_active(preset) is None:
            log.warning(
                "COLIBRI_ADMIN_TOKEN is not an active token and was not created: tokens "
                "exist already (use `colibri token create`)"
            )
        return issued

    def get(self, token_id: int) -> ApiToken | None:
        """One token (never its secret), or ``None``."""
        return self.api_tokens.get(token_id)

    def revoke(self, token_id: int) -> ApiToken | None:
        """Revoke a token from now on; ``None`` for an unknown id."""
        revoked = self.api_tokens.revoke(token_id)
        if revoked is not None:
            log.info("API token %s (%s) revoked", revoked.name, revoked.prefix)
        return revoked

    def list(self) -> builtins.list[ApiToken]:
        """Every token, revoked ones included, oldest first."""
        return self.api_tokens.list_tokens()
