"""``COLIBRI_NOTIFY_URLS`` from the command line: ``colibri check`` tells the URLs of an
update once per container and digest (real dockerd, registry, Apprise to a local sink)."""

from __future__ import annotations

import pytest

from tests.support.docker_env import DockerTracker
from tests.support.notify_sink import NotifySink
from tests.support.scenario import ColibriCli, Publisher

pytestmark = pytest.mark.docker


def test_check_tells_the_configured_urls_of_an_update_once(
    publisher: Publisher,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    notify_sink: NotifySink,
    session_prefix: str,
) -> None:
    repo = f"{session_prefix}/notify-app"
    old = publisher.publish(repo, "1")
    publisher.pull(old)
    container = docker_tracker.run(old.ref, "told", labels={"colibri.enable": "true"})
    new = publisher.publish(repo, "1")
    urls = f"{notify_sink.url('/first')}, {notify_sink.url('/second')}"

    # The sink is on loopback, which notification targets may reach only when allowed.
    env = {"COLIBRI_NOTIFY_URLS": urls, "COLIBRI_NOTIFY_ALLOW_PRIVATE": "true"}
    first = colibri.run("check", container.name, **env)
    again = colibri.run("check", container.name, **env)

    assert (first.returncode, again.returncode) == (3, 3), first.stderr
    paths = sorted(request.path for request in notify_sink.delivered)
    assert paths == ["/first", "/second"], first.stderr  # each URL once, not on the second check
    body = notify_sink.delivered[0].json()
    assert f"Update available: {container.name}" in body["title"]
    assert old.digest[:19] in body["message"] and new.digest[:19] in body["message"]
