"""``SqlWebSessions``: browser sessions, of which only the SHA-256 of the secret is stored.

A presented cookie is found by the hash of what was presented (a unique index) joined with
its token, so one query says whether the session and its token are both still active.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from colibri.domain.sessions import IssuedSession, WebSession, generate_session_secret
from colibri.domain.tokens import ApiToken, hash_secret, secret_matches
from colibri.store.db import reading, rowcount, writing
from colibri.store.errors import translate
from colibri.store.repository import Repository
from colibri.store.tables import ApiTokenRow, WebSessionRow
from colibri.store.tokens import token

__all__ = ["SqlWebSessions"]


class SqlWebSessions(Repository):
    """The browser sessions repository; every method is one committed transaction."""

    def create(self, token_id: int, expires_at: datetime) -> IssuedSession:
        """A new session for ``token_id`` until ``expires_at``, with its secret."""
        secret = generate_session_secret()
        row = WebSessionRow(
            session_hash=hash_secret(secret),
            token_id=token_id,
            created_at=self._now(),
            expires_at=expires_at,
        )
        with translate("create a session"), writing(self._sessions) as s:
            s.add(row)
        return IssuedSession(_session(row), secret)

    def find_active(self, presented: str) -> tuple[IssuedSession, ApiToken] | None:
        """The session whose secret is ``presented`` and its token, while neither has
        expired and the token is not revoked; ``None`` otherwise."""
        query = (
            select(WebSessionRow, ApiTokenRow)
            .join(ApiTokenRow, ApiTokenRow.id == WebSessionRow.token_id)
            .where(WebSessionRow.session_hash == hash_secret(presented))
        )
        now = self._now()
        with translate("authenticate session"), reading(self._sessions) as s:
            found = s.execute(query).first()
            if found is None or not secret_matches(presented, found[0].session_hash):
                return None
            session, owner = _session(found[0]), token(found[1])
        if not (session.is_active(now) and owner.is_active(now)):
            return None
        return IssuedSession(session, presented), owner

    def delete(self, presented: str) -> bool:
        """End the session whose secret is ``presented``; ``False`` if there is none."""
        statement = delete(WebSessionRow).where(
            WebSessionRow.session_hash == hash_secret(presented)
        )
        with translate("end session"), writing(self._sessions) as s:
            return rowcount(s, statement) > 0

    def purge_expired(self) -> int:
        """Delete the sessions past their expiry; how many."""
        statement = delete(WebSessionRow).where(WebSessionRow.expires_at <= self._now())
        with translate("purge expired sessions"), writing(self._sessions) as s:
            return rowcount(s, statement)


def _session(row: WebSessionRow) -> WebSession:
    return WebSession(
        id=row.id, token_id=row.token_id, created_at=row.created_at, expires_at=row.expires_at
    )
