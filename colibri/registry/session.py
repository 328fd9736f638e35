"""Authorised requests with manual redirects (docs/registry.md H5, H7, A8).

Each hop is authorised for its own host: the registry's host up front (learning its challenge
with one ``GET /v2/`` per client), any other host only when it answers 401. ``Authorization`` is
never forwarded to another host (lscr.io redirects manifests to ghcr.io, blob downloads go to
object storage). An unauthorised answer is retried once with a better authorization.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from colibri.errors import RegistryAuthError, RegistryProtocolError
from colibri.registry.auth import Authenticator, Authorization, needs_reauthorisation
from colibri.registry.challenges import parse_challenges, scope_for_path
from colibri.registry.exchange import (
    MAX_REDIRECTS,
    Exchange,
    Outgoing,
    Reply,
    redirect_target,
    without_authorization,
)
from colibri.registry.state import RegistryState

__all__ = ["Session"]


class Session:
    """Sends a registry API request: authorisation, one re-authorisation, redirects."""

    def __init__(self, exchange: Exchange, authenticator: Authenticator) -> None:
        self.exchange = exchange
        self.auth = authenticator

    def request(self, out: Outgoing, registry: RegistryState) -> Reply:
        """The final answer to ``out`` after redirects; 401 raises ``RegistryAuthError``."""
        origin = urlsplit(out.url).netloc.lower()
        current = out
        for _ in range(MAX_REDIRECTS + 1):
            on_origin = urlsplit(current.url).netloc.lower() == origin
            reply = self._authorised(current, registry, ping=on_origin)
            target = redirect_target(reply)
            if target is None:
                return reply
            current = current.to(target, without_authorization(out.headers))
        raise RegistryProtocolError(f"{out.url}: more than {MAX_REDIRECTS} redirects")

    def _authorised(self, out: Outgoing, registry: RegistryState, *, ping: bool) -> Reply:
        parts = urlsplit(out.url)
        scope = scope_for_path(parts.path)
        scopes = (scope,) if scope else ()
        authorization = self.auth.authorization(parts.netloc, scopes, registry, ping=ping)
        reply = self.exchange.send(_with(out, authorization), registry)
        if needs_reauthorisation(reply):
            better = self.auth.reauthorise(reply, scopes, registry, authorization)
            if better is not None:
                reply = self.exchange.send(_with(out, better), registry)
        if reply.status == 401 or needs_reauthorisation(reply):
            raise self._refused(reply, registry)
        return reply

    def _refused(self, reply: Reply, registry: RegistryState) -> RegistryAuthError:
        credential = self.auth.credential(reply.netloc)
        errors = [c.error for c in parse_challenges(reply.header_list("www-authenticate"))]
        detail = next((error for error in errors if error), "") or reply.describe()
        if credential is None:
            return RegistryAuthError(
                f"{registry.key} requires credentials for {urlsplit(reply.url).path} ({detail})",
                registry=registry.key,
                required=True,
            )
        who = credential.username or "the identity token"
        return RegistryAuthError(
            f"{registry.key} refused {who} for {urlsplit(reply.url).path} ({detail})",
            registry=registry.key,
        )


def _with(out: Outgoing, authorization: Authorization | None) -> Outgoing:
    headers = without_authorization(out.headers)
    if authorization is not None:
        headers["Authorization"] = authorization.header
    return out.with_headers(headers)
