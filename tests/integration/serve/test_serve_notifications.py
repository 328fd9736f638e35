"""Notification targets on ``colibri serve``: no target on link-local, metadata or (by default)
private addresses, a test send that says delivered or not and nothing of what the target
answered, and no target secret in the log even at DEBUG."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.serve.conftest import Server
from tests.support.notify_sink import NotifySink

pytestmark = pytest.mark.docker


def _api(url: str, token: str | None) -> httpx.Client:
    assert token is not None
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_targets_cannot_point_inside_the_network(server: Server, notify_sink: NotifySink) -> None:
    serving = server.start(COLIBRI_NOTIFY_ALLOW_PRIVATE="false")
    api = _api(serving.url, serving.token)
    for url, words in (
        ("json://169.254.169.254/latest/meta-data/iam", "link-local"),
        ("json://[fd00:ec2::254]/latest", "metadata"),
        (notify_sink.url("/hook"), "COLIBRI_NOTIFY_ALLOW_PRIVATE"),
        (f"json://localhost:{notify_sink.port}/hook", "loopback"),
    ):
        refused = api.post("/api/notifications", json={"name": "probe", "url": url})
        assert refused.status_code == 422, (url, refused.text)
        [item] = refused.json()["detail"]
        assert item["loc"] == ["body", "url"] and words in item["msg"]
    assert notify_sink.received == []
    assert serving.terminate() == 0


def test_a_test_send_tells_nothing_of_the_answer_and_debug_logs_keep_secrets(
    server: Server, notify_sink: NotifySink
) -> None:
    serving = server.start(COLIBRI_LOG_LEVEL="DEBUG")
    api = _api(serving.url, serving.token)
    url = notify_sink.url(
        "/hook", user="bot", password="pw-s3cret", query="?+X-Api-Key=h3ader-s3cret&-token=q-s3cret"
    )
    target = api.post("/api/notifications", json={"name": "sink", "url": url})
    assert target.status_code == 201, target.text
    target_id = target.json()["id"]
    delivered = api.post(f"/api/notifications/{target_id}/test")
    assert delivered.status_code == 200 and delivered.json()["delivered"] is True
    [received] = notify_sink.delivered
    assert "h3ader-s3cret" in str(received.headers).replace("\n", "")  # the secrets were used...
    notify_sink.fail(10, status=503)
    failed = api.post(f"/api/notifications/{target_id}/test").json()
    assert failed["delivered"] is False
    assert "503" not in str(failed) and "Service Unavailable" not in str(failed)
    assert serving.terminate() == 0
    logged = "".join(serving.stderr)
    assert " DEBUG " in logged  # it did log at DEBUG
    for secret in ("pw-s3cret", "h3ader-s3cret", "q-s3cret"):
        assert secret not in logged, secret  # ...and never written down
