"""``/api/session``: the web UI signs in with an API token and gets a session cookie.

``POST`` takes the token once and answers with a cookie holding a fresh session secret
(``HttpOnly``, so no script can read it; ``SameSite=Strict``, so no other site's page makes
the browser send it; ``Secure`` when the request came over HTTPS; ``Max-Age`` its lifetime).
``GET`` says who is signed in and what they may do (a bearer token works too, so a client
can ask what its token may do). ``DELETE`` signs out: the session is deleted on the server
and the cookie cleared.

Signing in and out are refused from another site's page (``Origin`` is checked as for every
cookie-borne change), so no page can sign a visitor in as someone else.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials

from colibri.api.deps import ServicesDep, bearer, unauthorized
from colibri.api.responses import INVALID, UNAVAILABLE, UNREADABLE, answers
from colibri.api.schemas.common import Message
from colibri.api.schemas.tokens import SessionCreate, SessionPublic
from colibri.domain.sessions import COOKIE_NAME, CSRF_HEADER, IssuedSession, csrf_refusal

__all__ = ["router"]

router = APIRouter(prefix="/api/session", tags=["session"])

_REFUSED: dict[int | str, dict[str, Any]] = {
    401: {"model": Message, "description": "The token is unknown, revoked or expired."},
    403: {"model": Message, "description": "The request came from another site."},
}


def _check_origin(request: Request) -> None:
    refused = csrf_refusal(
        request.method,
        request.headers.get("host"),
        request.headers.get("origin"),
        request.headers.get(CSRF_HEADER),
    )
    if refused is not None:
        raise HTTPException(403, detail=refused)


@router.post("", responses={**_REFUSED, **INVALID, **UNAVAILABLE, **UNREADABLE})
def sign_in(
    services: ServicesDep, body: SessionCreate, request: Request, response: Response
) -> SessionPublic:
    """Exchange an API token for a session cookie acting with its permissions."""
    _check_origin(request)
    made = services.sessions.sign_in(body.token)
    if made is None:
        raise HTTPException(401, detail="this API token is unknown, revoked or expired")
    issued, token = made
    _set_cookie(response, request, issued)
    response.headers["Cache-Control"] = "no-store"
    return SessionPublic.of(token, "session", issued.session.expires_at)


@router.get(
    "",
    response_model=SessionPublic,
    responses={
        204: {"description": "Nobody is signed in (no session cookie, or an ended one)."},
        **answers(),
    },
)
def whoami(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> SessionPublic | Response:
    """Who the request acts for, what it may do, and until when; 204 when nobody is signed
    in, so the web UI can ask before signing in. A bearer token is checked as everywhere."""
    if credentials is not None:
        token = services.tokens.authenticate(credentials.credentials)
        if token is None:
            raise unauthorized("this API token is unknown, revoked or expired")
        return SessionPublic.of(token, "token", token.expires_at)
    found = services.sessions.authenticate(request.cookies.get(COOKIE_NAME, ""))
    if found is None:
        return Response(status_code=204)
    issued, token = found
    return SessionPublic.of(token, "session", issued.session.expires_at)


@router.delete(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={403: _REFUSED[403], **UNAVAILABLE},
)
def sign_out(services: ServicesDep, request: Request, response: Response) -> None:
    """End this browser's session (nothing to end is no error) and clear its cookie."""
    presented = request.cookies.get(COOKIE_NAME)
    if presented:
        _check_origin(request)
        services.sessions.sign_out(presented)
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=_secure(request)
    )


def _set_cookie(response: Response, request: Request, session: IssuedSession) -> None:
    lifetime = session.session.expires_at - session.session.created_at
    response.set_cookie(
        COOKIE_NAME,
        session.secret,
        max_age=max(int(lifetime.total_seconds()), 0),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"
