"""Browser sessions: sign in with an API token, act as it by cookie, sign out.

The token is presented once (``sign_in``); what comes back is a session whose secret goes
into a cookie. Every later request presents that secret (``authenticate``), which is worth
the token's permissions only while the session has not expired and the token is neither
revoked nor expired. Expired rows are deleted as new sessions are made.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from colibri.domain.ports import ApiTokens, Clock, WebSessions
from colibri.domain.sessions import DEFAULT_LIFETIME, IssuedSession
from colibri.domain.tokens import ApiToken
from colibri.errors import ColibriError

__all__ = ["SessionService"]

log = logging.getLogger(__name__)

_MAX_PRESENTED = 512


class SessionService:
    """Makes, checks and ends browser sessions on top of the API tokens."""

    def __init__(
        self,
        sessions: WebSessions,
        api_tokens: ApiTokens,
        clock: Clock,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> None:
        self.sessions = sessions
        self.api_tokens = api_tokens
        self.clock = clock
        self.lifetime = lifetime

    def sign_in(self, presented_token: str) -> tuple[IssuedSession, ApiToken] | None:
        """A new session for the active token ``presented_token`` (it never outlives the
        token), or ``None`` when the token is unknown, revoked or expired."""
        if not presented_token or len(presented_token) > _MAX_PRESENTED:
            return None
        owner = self.api_tokens.find_active(presented_token)
        if owner is None:
            return None
        self._purge()
        expires_at = self.clock.now() + self.lifetime
        if owner.expires_at is not None:
            expires_at = min(expires_at, owner.expires_at)
        issued = self.sessions.create(owner.id, expires_at)
        log.info("session started for API token %s (%s)", owner.name, owner.prefix)
        return issued, owner

    def authenticate(self, presented: str) -> tuple[IssuedSession, ApiToken] | None:
        """The active session whose secret is ``presented`` and the token it acts for."""
        if not presented or len(presented) > _MAX_PRESENTED:
            return None
        return self.sessions.find_active(presented)

    def sign_out(self, presented: str) -> bool:
        """End the session whose secret is ``presented``; ``False`` if there was none."""
        if not presented or len(presented) > _MAX_PRESENTED:
            return False
        return self.sessions.delete(presented)

    def _purge(self) -> None:
        try:
            self.sessions.purge_expired()
        except ColibriError as exc:  # bookkeeping only: signing in still works
            log.warning("could not delete expired sessions: %s", exc)
