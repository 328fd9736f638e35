"""A small token server for the bearer-token registry variant (distribution's ``auth.token``).

It answers ``GET /token?service=..&scope=..`` (HTTP Basic credentials, or anonymous) and the
OAuth2 ``POST /token`` (``grant_type=refresh_token`` or ``password``) with ES256 JWTs whose
``x5c`` header carries a self-signed certificate; the registry trusts that certificate through
its ``rootcertbundle``. Grants: a known user gets every action it asks for; anonymous callers
get ``pull`` on repositories under the ``anonymous_pull`` prefixes; everyone else gets a token
with no access (the registry then answers 401 ``insufficient_scope``).

Every request is recorded (method, user, scopes, grant type, User-Agent) so tests can assert how
many tokens a client asked for.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

Grant = Callable[[str | None, str, str, list[str]], list[str]]


@dataclass(frozen=True)
class TokenRequest:
    """One request the issuer answered."""

    method: str
    user: str | None
    scopes: tuple[str, ...]
    grant_type: str | None
    user_agent: str
    status: int
    service: str | None = None


@dataclass
class IssuerBehaviour:
    """Switches tests flip at runtime."""

    oauth: bool = True  # False: POST answers 404 (no OAuth2 endpoint)
    fields: tuple[str, ...] = ("token",)  # which of token/access_token the GET answer carries
    expires_in: int | None = 300
    fail_status: int | None = None  # answer every request with this status


@dataclass
class _Signer:
    key: ec.EllipticCurvePrivateKey
    cert_der: bytes
    cert_pem: bytes = field(repr=False)

    @classmethod
    def create(cls) -> _Signer:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "colibri test token issuer")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(
            key,
            cert.public_bytes(serialization.Encoding.DER),
            cert.public_bytes(serialization.Encoding.PEM),
        )

    def jwt(self, claims: Mapping[str, Any]) -> str:
        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(self.cert_der).decode()]}
        signing_input = f"{_b64url(json.dumps(header))}.{_b64url(json.dumps(claims))}"
        der = self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signing_input}.{_b64url(signature)}"


def _b64url(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class TokenIssuer:
    """The token endpoint, on 127.0.0.1 in a thread."""

    def __init__(
        self,
        workdir: Path,
        *,
        users: Mapping[str, str],
        refresh_tokens: Mapping[str, str] | None = None,
        anonymous_pull: Sequence[str] = ("public/",),
        service: str = "colibri-test-registry",
        issuer: str = "colibri-test-issuer",
        grant: Grant | None = None,
    ) -> None:
        self.workdir = workdir
        self.users = dict(users)
        self.refresh_tokens = dict(refresh_tokens or {})
        self.anonymous_pull = tuple(anonymous_pull)
        self.service = service
        self.issuer = issuer
        self.behaviour = IssuerBehaviour()
        self._grant = grant or self._default_grant
        self._signer = _Signer.create()
        self.cert_path = workdir / "token-issuer.pem"
        self.cert_path.write_bytes(self._signer.cert_pem)
        self._requests: list[TokenRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.realm = f"http://127.0.0.1:{self.port}/token"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> TokenIssuer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def registry_auth(self) -> dict[str, Any]:
        """The ``auth`` section of the registry configuration that trusts this issuer."""
        return {
            "token": {
                "realm": self.realm,
                "service": self.service,
                "issuer": self.issuer,
                "rootcertbundle": str(self.cert_path),
            }
        }

    # -- what tests look at ----------------------------------------------------------------

    def requests(self, user_agent: str | None = "colibri/") -> list[TokenRequest]:
        """Recorded requests, only those whose User-Agent starts with ``user_agent``."""
        with self._lock:
            found = list(self._requests)
        if user_agent is None:
            return found
        return [request for request in found if request.user_agent.startswith(user_agent)]

    def count(self, user_agent: str | None = "colibri/") -> int:
        return len(self.requests(user_agent))

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
        self.behaviour = IssuerBehaviour()

    def mint(self, subject: str, scopes: Iterable[str], expires_in: int = 300) -> str:
        """A token granting exactly ``scopes`` (for fixtures that push)."""
        access = []
        for scope in scopes:
            kind, name, actions = _split_scope(scope)
            access.append({"type": kind, "name": name, "actions": actions})
        return self._jwt(subject, access, expires_in)

    # -- the protocol ------------------------------------------------------------------------

    def answer(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, Any] | None]:
        """Handle one request; returns the status and JSON answer."""
        status, document, user, scopes, grant_type, service = self._decide(
            method, path, query, headers, body
        )
        record = TokenRequest(
            method, user, scopes, grant_type, headers.get("user-agent", ""), status, service
        )
        with self._lock:
            self._requests.append(record)
        return status, document

    def _decide(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, Any] | None, str | None, tuple[str, ...], str | None, str | None]:
        params = parse_qs(query)
        if path != "/token":
            return 404, None, None, (), None, None
        if method == "POST":
            params = parse_qs(body.decode())
        scopes = _scopes(params, method)
        service = (params.get("service") or [None])[0]
        grant_type = (params.get("grant_type") or [None])[0]
        if self.behaviour.fail_status:
            return (
                self.behaviour.fail_status,
                {"error": "forced"},
                None,
                scopes,
                grant_type,
                service,
            )
        if method == "POST" and not self.behaviour.oauth:
            return 404, None, None, scopes, grant_type, service
        user, ok = self._authenticate(method, headers, params)
        if not ok:
            return 401, {"error": "invalid credentials"}, user, scopes, grant_type, service
        if service not in (None, self.service) or (method == "POST" and service is None):
            return 400, {"error": "unknown service"}, user, scopes, grant_type, service
        token = self._token_for(user, scopes)
        return 200, self._document(method, token, scopes), user, scopes, grant_type, service

    def _authenticate(
        self, method: str, headers: Mapping[str, str], params: Mapping[str, list[str]]
    ) -> tuple[str | None, bool]:
        if method == "POST":
            grant_type = (params.get("grant_type") or [""])[0]
            if grant_type == "refresh_token":
                user = self.refresh_tokens.get((params.get("refresh_token") or [""])[0])
                return user, user is not None
            if grant_type == "password":
                name = (params.get("username") or [""])[0]
                password = (params.get("password") or [""])[0]
                return name, self.users.get(name) == password and bool(password)
            return None, False
        authorization = headers.get("authorization", "")
        if not authorization:
            return None, True
        scheme, _, encoded = authorization.partition(" ")
        if scheme != "Basic":
            return None, False
        try:
            name, _, password = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None, False
        return name, self.users.get(name) == password

    def _token_for(self, user: str | None, scopes: tuple[str, ...]) -> str:
        access = []
        for scope in scopes:
            kind, name, actions = _split_scope(scope)
            granted = self._grant(user, kind, name, actions)
            access.append({"type": kind, "name": name, "actions": granted})
        return self._jwt(user or "", access, self.behaviour.expires_in or 60)

    def _default_grant(
        self, user: str | None, kind: str, name: str, actions: list[str]
    ) -> list[str]:
        if kind != "repository":
            return []
        if user is not None:
            return actions
        if any(name.startswith(prefix) for prefix in self.anonymous_pull):
            return [action for action in actions if action == "pull"]
        return []

    def _jwt(self, subject: str, access: list[dict[str, Any]], expires_in: int) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        return self._signer.jwt(claims)

    def _document(self, method: str, token: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        document: dict[str, Any] = {}
        if method == "POST":
            document["access_token"] = token
            document["scope"] = " ".join(scopes)
        else:
            for name in self.behaviour.fields:
                document[name] = token
        if self.behaviour.expires_in is not None:
            document["expires_in"] = self.behaviour.expires_in
        document["issued_at"] = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
        return document


def _scopes(params: Mapping[str, list[str]], method: str) -> tuple[str, ...]:
    values = params.get("scope", [])
    if method == "POST":
        return tuple(scope for value in values for scope in value.split(" ") if scope)
    return tuple(values)


def _split_scope(scope: str) -> tuple[str, str, list[str]]:
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    return kind, name, [action for action in actions.split(",") if action]


def _handler_for(issuer: TokenIssuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, document = issuer.answer(method, parts.path, parts.query, headers, body)
            payload = json.dumps(document).encode() if document is not None else b"{}"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
