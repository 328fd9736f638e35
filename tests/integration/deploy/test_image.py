"""Colibri's image as users run it: built by ``make image``'s script on a Debian base made here,
started with the README's ``docker run`` against the test daemon, serving its health check and
API, updating a labelled container, and stopping cleanly within its stop timeout."""

from __future__ import annotations

import time

import docker
import pytest

from tests.support.colibri_image import ROOT, ColibriContainer, run_colibri, socket_group
from tests.support.docker_env import DockerTracker
from tests.support.scenario import Publisher

pytestmark = [pytest.mark.docker, pytest.mark.registry, pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture
def running(
    colibri_image: str,
    colibri_data: str,
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
) -> ColibriContainer:
    colibri = run_colibri(docker_tracker, docker_client, colibri_image, data_volume=colibri_data)
    colibri.wait_healthy()
    return colibri


def test_the_image_is_built_to_run_unprivileged_and_stop_gracefully(
    colibri_image: str, docker_client: docker.DockerClient
) -> None:
    config = docker_client.images.get(colibri_image).attrs["Config"]
    assert config["User"] == "colibri:colibri"
    assert config["StopSignal"] == "SIGTERM"
    assert "/healthz" in " ".join(config["Healthcheck"]["Test"])
    assert "/data" in config["Volumes"]
    assert config["Entrypoint"] == ["colibri"] and config["Cmd"] == ["serve"]
    assert config["Labels"]["colibri.enable"] == "false"
    output = docker_client.containers.run(
        colibri_image, entrypoint=["sh", "-c", "id -u; command -v ssh; colibri --help"], remove=True
    ).decode()
    uid, ssh, *_ = output.splitlines()
    assert uid == "10001"
    assert ssh.endswith("/ssh")
    assert "update" in output


def test_it_serves_health_the_api_and_the_ui_and_updates_a_labelled_container(
    running: ColibriContainer,
    publisher: Publisher,
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
    session_prefix: str,
) -> None:
    assert running.container.attrs["HostConfig"]["GroupAdd"] == [str(socket_group())]
    health = running.get("/healthz")
    assert health.status_code == 200, health.text
    assert health.json()["status"] == "ok"
    token = running.admin_token()
    assert running.get("/api/containers").status_code == 401
    listed = running.get("/api/containers", token)
    assert listed.status_code == 200, listed.text
    assert_web_ui(running)

    v1, v2 = publisher.upstream_moved(f"{session_prefix}/in-image")
    app = docker_tracker.run(v1.ref, "app", labels={"colibri.enable": "true"})
    [outcome] = running.exec_json("update", app.name)
    assert outcome["status"] == "updated", outcome
    assert outcome["new_digest"] == v2.digest
    replaced = docker_client.containers.get(app.name)
    assert replaced.id != app.id and replaced.status == "running"
    # the run is in Colibri's store on the data volume, as the service sees it
    runs = running.get("/api/runs", token)
    assert runs.status_code == 200, runs.text
    assert app.name in runs.text


def assert_web_ui(running: ColibriContainer) -> None:
    """The web UI at ``/`` when this checkout has one (its build is part of the image)."""
    page = running.get("/")
    if not (ROOT / "web" / "package.json").exists():
        assert page.status_code == 404, page.text  # no UI in this checkout, none in the image
        return
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "<div id=" in page.text or "<script" in page.text


def test_docker_stop_lets_it_shut_down_on_its_own(running: ColibriContainer) -> None:
    assert running.container.attrs["Config"]["StopTimeout"] == 60
    started = time.monotonic()
    running.container.stop(timeout=60)
    took = time.monotonic() - started
    running.container.reload()
    assert running.container.attrs["State"]["ExitCode"] == 0, running.logs()
    assert took < 30
    assert "Colibri stopped." in running.logs()
