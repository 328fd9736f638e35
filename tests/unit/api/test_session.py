"""Signing in with a token for an HttpOnly, SameSite=Strict cookie; the cookie acts with the
token's permissions, changes need the CSRF header and this origin; signing out ends it."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from colibri.domain.sessions import COOKIE_NAME, CSRF_HEADER
from colibri.domain.tokens import Permission
from tests.support.api import BASE_URL, ApiClient
from tests.unit.api.fakes import Fakes

READER = "colibri_reader-secret-for-the-unit-tests"
SAME_SITE = {CSRF_HEADER: "1", "Origin": BASE_URL}


def _browser(app: FastAPI, make: Callable[..., ApiClient], secret: str) -> ApiClient:
    """A client without a bearer token, signed in with ``secret`` (cookie kept)."""
    browser = make(app)
    answer = browser.post("/api/session", json={"token": secret}, headers=SAME_SITE)
    assert answer.status_code == 200, answer.text
    return browser


def test_signing_in_sets_a_strict_http_only_cookie_with_a_lifetime(
    app: FastAPI, fakes: Fakes, make_api_client: Callable[..., ApiClient]
) -> None:
    fakes.tokens.add(READER, Permission.CONTAINERS_READ)
    browser = make_api_client(app)
    answer = browser.post("/api/session", json={"token": READER}, headers=SAME_SITE)

    assert answer.status_code == 200
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert READER not in cookie
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/", "Max-Age="):
        assert attribute.lower() in cookie.lower()
    assert answer.json()["permissions"] == ["containers:read"]
    assert answer.json()["via"] == "session"
    assert answer.headers["cache-control"] == "no-store"


def test_a_wrong_token_or_another_site_cannot_sign_in(
    app: FastAPI, make_api_client: Callable[..., ApiClient]
) -> None:
    browser = make_api_client(app)
    wrong = browser.post("/api/session", json={"token": "colibri_nope"}, headers=SAME_SITE)
    assert wrong.status_code == 401
    assert "set-cookie" not in wrong.headers
    foreign = {CSRF_HEADER: "1", "Origin": "https://evil.example"}
    from_elsewhere = browser.post("/api/session", json={"token": READER}, headers=foreign)
    assert from_elsewhere.status_code == 403


def test_the_cookie_reads_with_the_tokens_permissions_only(
    app: FastAPI, fakes: Fakes, make_api_client: Callable[..., ApiClient]
) -> None:
    fakes.tokens.add(READER, Permission.CONTAINERS_READ)
    browser = _browser(app, make_api_client, READER)

    assert browser.get("/api/containers").status_code == 200
    assert browser.get("/api/session").json()["token_name"] == fakes.tokens.tokens[READER].name
    denied = browser.get("/api/runs")
    assert denied.status_code == 403
    assert "runs:read" in denied.json()["detail"]


def test_cookie_changes_need_the_header_and_this_origin(
    app: FastAPI, fakes: Fakes, make_api_client: Callable[..., ApiClient]
) -> None:
    fakes.tokens.add(READER, Permission.UPDATES_RUN)
    browser = _browser(app, make_api_client, READER)

    bare = browser.post("/api/check")
    assert bare.status_code == 403
    assert CSRF_HEADER in bare.json()["detail"]
    foreign = browser.post(
        "/api/check", headers={CSRF_HEADER: "1", "Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403
    assert "another site" in foreign.json()["detail"]
    assert browser.post("/api/check", headers=SAME_SITE).status_code == 200
    assert browser.post("/api/check", headers={CSRF_HEADER: "1"}).status_code == 200


def test_a_bearer_token_needs_no_csrf_header(client: ApiClient) -> None:
    assert client.post("/api/check").status_code == 200
    assert client.get("/api/session").json()["via"] == "token"


def test_asking_who_is_signed_in_before_signing_in_is_no_error(
    app: FastAPI, make_api_client: Callable[..., ApiClient]
) -> None:
    browser = make_api_client(app)
    assert browser.get("/api/session").status_code == 204
    stale = browser.get("/api/session", headers={"Cookie": f"{COOKIE_NAME}=ended"})
    assert stale.status_code == 204
    wrong = browser.get("/api/session", headers={"Authorization": "Bearer colibri_wrong"})
    assert wrong.status_code == 401


def test_signing_out_ends_the_session_and_clears_the_cookie(
    app: FastAPI, fakes: Fakes, make_api_client: Callable[..., ApiClient]
) -> None:
    fakes.tokens.add(READER, Permission.CONTAINERS_READ)
    browser = _browser(app, make_api_client, READER)
    session_cookie = browser.cookie(COOKIE_NAME)

    out = browser.delete("/api/session", headers=SAME_SITE)
    assert out.status_code == 204
    assert (
        f'{COOKIE_NAME}=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    )
    assert browser.get("/api/containers").status_code == 401

    replay = make_api_client(app)
    answer = replay.get("/api/containers", headers={"Cookie": f"{COOKIE_NAME}={session_cookie}"})
    assert answer.status_code == 401
    assert answer.json()["detail"] == "this session has ended: sign in again"


def test_a_revoked_token_ends_its_sessions(
    app: FastAPI, fakes: Fakes, make_api_client: Callable[..., ApiClient]
) -> None:
    token = fakes.tokens.add(READER, Permission.CONTAINERS_READ)
    browser = _browser(app, make_api_client, READER)
    fakes.tokens.revoke(token.id)
    assert browser.get("/api/containers").status_code == 401
