"""``colibri serve`` under attack, as a process on a real socket: security headers on every
answer, bodies refused before they are read, refused tokens throttled per client (proxies'
``X-Forwarded-For`` believed only when configured), 100 open event streams leaving the API
free, HTTPS, and the warning when other machines can reach it."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import secrets
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from colibri.domain.journal import NewRun
from colibri.domain.tokens import NewApiToken, Permission
from tests.integration.serve.conftest import ServeProcess, Server

pytestmark = pytest.mark.docker

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def test_every_answer_carries_the_security_headers(server: Server) -> None:
    serving = server.start()
    token = serving.token
    answers = [
        serving.get("/healthz"),
        serving.get("/api/containers"),  # 401
        serving.get("/api/containers", token),
        serving.get("/api/runs/nope", token),  # 404
        serving.get("/openapi.json"),
        serving.post("/api/notifications", token, content=b"{"),  # 422
    ]
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name) == value, (answer.url, answer.headers)
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-eval" not in policy
    assert [a.status_code for a in answers] == [200, 401, 200, 404, 200, 422]
    docs = serving.get("/docs")
    assert docs.status_code != 401  # open, as the README says: it describes, holds nothing
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]


def test_a_large_body_is_refused_before_it_is_read_or_authenticated(server: Server) -> None:
    serving = server.start()
    before = _rss_kib(serving)
    host, port = serving.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(  # the length says 100 MiB: refused on the headers alone
            b"POST /api/notifications HTTP/1.1\r\nHost: colibri\r\n"
            b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{}"
        )
        answer = ""
        while not answer.endswith("}"):
            received = connection.recv(65536).decode()
            if not received:
                break
            answer += received
    assert answer.startswith("HTTP/1.1 413"), answer
    assert "larger than 262144 bytes" in answer

    def chunks() -> Iterator[bytes]:
        for _ in range(64):  # 64 MiB without a Content-Length, no token at all
            yield b"x" * 2**20

    try:
        streamed = httpx.post(serving.url + "/api/notifications", content=chunks(), timeout=30)
        assert streamed.status_code == 413
    except httpx.TransportError:
        pass  # the server may close the connection while the client is still sending
    assert _rss_kib(serving) - before < 16 * 1024, "the server kept what it should not read"
    assert serving.get("/healthz").status_code == 200


def test_refused_tokens_are_throttled_per_client_and_logged(server: Server) -> None:
    serving = server.start()
    good = serving.token
    guesses = [f"colibri_{secrets.token_urlsafe(32)}" for _ in range(10)]
    for attempt, guess in enumerate(guesses):
        spoofed = {"X-Forwarded-For": f"203.0.113.{attempt}"}  # no proxy is trusted
        answer = httpx.get(
            serving.url + "/api/containers",
            headers={"Authorization": f"Bearer {guess}", **spoofed},
        )
        assert answer.status_code == 401
    throttled = serving.get("/api/containers", good)
    assert throttled.status_code == 429, "a client guessing may not try the next one"
    assert int(throttled.headers["Retry-After"]) >= 1
    assert serving.get("/healthz").status_code == 200  # needs no token, stays open
    assert _said(serving, "authentication refused from 127.0.0.1")
    logged = "".join(serving.stderr)
    assert "203.0.113." not in logged
    assert not any(guess[:16] in logged for guess in guesses)  # never what was presented


def test_forwarded_addresses_are_believed_only_from_configured_proxies(server: Server) -> None:
    serving = server.start(COLIBRI_TRUSTED_PROXIES="127.0.0.1")
    bad = {"Authorization": f"Bearer colibri_{secrets.token_urlsafe(32)}"}
    for _ in range(10):
        answer = httpx.get(
            serving.url + "/api/containers", headers={**bad, "X-Forwarded-For": "198.51.100.7"}
        )
        assert answer.status_code == 401
    again = httpx.get(
        serving.url + "/api/containers", headers={**bad, "X-Forwarded-For": "198.51.100.7"}
    )
    assert again.status_code == 429
    other = httpx.get(
        serving.url + "/api/containers",
        headers={"Authorization": f"Bearer {serving.token}", "X-Forwarded-For": "198.51.100.8"},
    )
    assert other.status_code == 200  # another client behind the same proxy is not punished
    assert _said(serving, "authentication refused from 198.51.100.7")


def test_a_hundred_open_event_streams_leave_the_api_answering(server: Server) -> None:
    serving = server.start(COLIBRI_API_STREAMS_PER_TOKEN="10")
    run_id = secrets.token_hex(16)
    with server.store() as store:
        store.journal.start_run(NewRun("local", "streamed", "", "", trigger="api", run_id=run_id))
        secrets_ = [
            store.tokens.create(
                NewApiToken(f"watcher-{n}", frozenset({Permission.RUNS_READ}))
            ).secret
            for n in range(10)
        ]
    timings = asyncio.run(_streams_open(serving.url, run_id, secrets_))
    assert timings["eleventh"] == 429
    assert timings["healthz"] < 1.0 and timings["runs"] < 1.0, timings


async def _streams_open(url: str, run_id: str, tokens: list[str]) -> dict[str, float]:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            httpx.AsyncClient(base_url=url, limits=limits, timeout=30)
        )
        path = f"/api/runs/{run_id}/events"
        for token in tokens:
            for _ in range(10):
                stream = await stack.enter_async_context(
                    client.stream("GET", path, headers={"Authorization": f"Bearer {token}"})
                )
                assert stream.status_code == 200
        eleventh = await client.get(path, headers={"Authorization": f"Bearer {tokens[0]}"})
        started = time.monotonic()
        health = await client.get("/healthz")
        healthz = time.monotonic() - started
        started = time.monotonic()
        runs = await client.get("/api/runs", headers={"Authorization": f"Bearer {tokens[0]}"})
        listed = time.monotonic() - started
        assert health.status_code == 200 and runs.status_code == 200
        return {"eleventh": eleventh.status_code, "healthz": healthz, "runs": listed}


def test_it_serves_https_and_warns_when_other_machines_can_reach_it(
    server: Server, tmp_path: Path
) -> None:
    cert, key = _self_signed(tmp_path)
    serving = server.start(
        COLIBRI_API_HOST="0.0.0.0",
        COLIBRI_TLS_CERT=str(cert),
        COLIBRI_TLS_KEY=str(key),
    )
    assert serving.url.startswith("https://")
    port = serving.url.rsplit(":", 1)[1]
    trusted = ssl.create_default_context(cafile=str(cert))
    answer = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trusted, timeout=10)
    assert answer.status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).raise_for_status()
    assert _said(serving, "reachable from other machines, over HTTPS")


def test_plain_http_on_every_interface_is_warned_about(server: Server) -> None:
    serving = server.start(COLIBRI_API_HOST="0.0.0.0")
    assert _said(serving, "tokens travel in clear text")
    assert serving.terminate() == 0


def _rss_kib(serving: ServeProcess) -> int:
    status = Path(f"/proc/{serving.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1])


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "colibri.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _said(serving: ServeProcess, text: str, timeout: float = 10) -> bool:
    """Whether ``text`` shows up on its stderr within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in "".join(serving.stderr):
            return True
        time.sleep(0.05)
    return False
