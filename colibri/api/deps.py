"""The routes' dependencies, as ``Annotated`` aliases: the services, the settings, the token.

Every operation refuses query parameters it does not take (a 422 naming the parameter), as
bodies refuse unknown fields: a misspelt filter would otherwise be ignored and answer with
everything.

Authentication is a bearer token (``Authorization: Bearer colibri_…``) checked by
``TokenService.authenticate``, or else the web UI's session cookie checked by
``SessionService.authenticate`` (it acts with its token's permissions): without either, or
with one that is unknown, revoked or expired, the answer is 401 with
``WWW-Authenticate: Bearer``, and a refused token or session counts against the client
(:mod:`colibri.api.throttle`: too many in a minute and it gets 429). A request
authenticated by the cookie that may change something (not GET or HEAD) must also pass
``colibri.domain.sessions.csrf_refusal`` (403 otherwise). ``require(permission)`` then
answers 403, naming the permission, when the token lacks it (``admin`` has them all). A
token is never logged, not even in part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from colibri.api.errors import field_error
from colibri.api.ports import (
    AuditApi,
    BadDigestApi,
    ContainerApi,
    EnvironmentApi,
    HealthApi,
    MetricsApi,
    PlanApi,
    RunApi,
    ScheduleApi,
    SessionApi,
    SkipApi,
    TargetApi,
    TokenApi,
)
from colibri.api.throttle import auth_throttle, client_of
from colibri.config import Settings
from colibri.domain.sessions import COOKIE_NAME, CSRF_HEADER, csrf_refusal
from colibri.domain.tokens import ApiToken, Permission

__all__ = [
    "ApiServices",
    "AuthenticatedDep",
    "KnownQuery",
    "ServicesDep",
    "SettingsDep",
    "TokenDep",
    "bearer",
    "require",
    "unauthorized",
]


@dataclass(frozen=True, slots=True)
class ApiServices:
    """The use cases the API calls, one field per resource."""

    environments: EnvironmentApi
    schedules: ScheduleApi
    runs: RunApi
    containers: ContainerApi
    tokens: TokenApi
    targets: TargetApi
    metrics: MetricsApi
    health: HealthApi
    sessions: SessionApi
    skips: SkipApi
    audit: AuditApi
    bad_digests: BadDigestApi
    plans: PlanApi


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="An API token (`colibri token create --permission …`).",
)


def _services(request: Request) -> ApiServices:
    return cast(ApiServices, request.app.state.services)


def _settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


ServicesDep = Annotated[ApiServices, Depends(_services)]
SettingsDep = Annotated[Settings, Depends(_settings)]


def unauthorized(why: str) -> HTTPException:
    """A 401 saying ``why``, with the bearer challenge."""
    return HTTPException(401, detail=why, headers={"WWW-Authenticate": "Bearer"})


def _token(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiToken:
    """The token the request carries, or the one its session cookie acts for; 401 without
    a valid one, 403 for a cookie-borne change that fails the CSRF rules, 429 for a client
    that has failed too often (counted and logged by :mod:`colibri.api.throttle`)."""
    throttle, client = auth_throttle(request), client_of(request)
    throttle.check(client)
    if credentials is not None:
        token = services.tokens.authenticate(credentials.credentials)
        if token is None:
            throttle.failed(client, "unknown, revoked or expired token")
            raise unauthorized("this API token is unknown, revoked or expired")
        return token
    cookie = request.cookies.get(COOKIE_NAME)
    if cookie is None:  # not a guess: nothing to count
        raise unauthorized("an API token is needed: Authorization: Bearer <token>")
    found = services.sessions.authenticate(cookie)
    if found is None:
        throttle.failed(client, "unknown or ended session")
        raise unauthorized("this session has ended: sign in again")
    refused = csrf_refusal(
        request.method,
        request.headers.get("host"),
        request.headers.get("origin"),
        request.headers.get(CSRF_HEADER),
    )
    if refused is not None:
        raise HTTPException(403, detail=refused)
    return found[1]


TokenDep = Annotated[ApiToken, Depends(_token)]


def require(permission: Permission) -> Any:
    """A dependency that passes only a token carrying ``permission`` (else 403)."""

    def permitted(token: TokenDep) -> ApiToken:
        """The request's token, if it carries ``permission``."""
        if not token.allows(permission):
            raise HTTPException(403, detail=f"this API token lacks the permission {permission}")
        return token

    permitted.__name__ = f"require_{permission.value.replace(':', '_')}"
    return Depends(permitted)


#: Any valid token, whatever it may do (for answers that reveal nothing stored).
AuthenticatedDep = TokenDep


def _known_query(request: Request) -> None:
    """422 naming the first query parameter the operation does not document."""
    given = set(request.query_params)
    if not given:
        return
    known = _query_names(request)
    for name in sorted(given - known):
        takes = ", ".join(sorted(known)) or "none"
        raise field_error(
            422,
            ("query", name),
            f"unknown query parameter (this one takes: {takes})",
            "extra_forbidden",
        )


def _query_names(request: Request) -> set[str]:
    """The query parameters the OpenAPI document gives the request's operation."""
    path = getattr(request.scope.get("route"), "path_format", None)
    if path is None:
        return set(request.query_params)
    document: dict[str, Any] = request.app.openapi()
    if path not in document["paths"]:  # the web UI's pages: their query is the UI's own
        return set(request.query_params)
    operation = document["paths"][path].get(request.method.lower(), {})
    return {p["name"] for p in operation.get("parameters", ()) if p.get("in") == "query"}


#: The app-wide dependency refusing undocumented query parameters.
KnownQuery = Depends(_known_query)
