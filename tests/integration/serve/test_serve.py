"""``colibri serve`` and ``colibri token`` as processes: the URL and the admin token printed
once, tokens made on the command line accepted by the API, SIGTERM ending it cleanly."""

from __future__ import annotations

import json
import socket

import pytest

from tests.integration.serve.conftest import Server
from tests.support.scenario import ColibriCli

pytestmark = pytest.mark.docker

PRESET = "preset-admin-token-" + "x" * 24


def test_it_prints_the_url_and_the_admin_token_once_and_stops_on_sigterm(
    server: Server, colibri: ColibriCli
) -> None:
    first = server.start()
    token = first.token
    assert token is not None and first.url.startswith("http://127.0.0.1:")
    assert first.get("/healthz").status_code == 200
    assert first.get("/api/containers").status_code == 401
    assert first.get("/api/containers", token).status_code == 200
    assert first.terminate() == 0, first.output()
    assert "Colibri stopped." in "".join(first.lines)

    second = server.start()
    assert second.token is None
    assert any("not shown again" in line for line in second.lines), second.output()
    assert second.get("/api/environments", token).status_code == 200  # still valid
    assert second.terminate() == 0, second.output()


def test_the_admin_token_can_be_given_and_is_never_printed(server: Server) -> None:
    serving = server.start(COLIBRI_ADMIN_TOKEN=PRESET)
    assert PRESET[:8] not in serving.output()  # not even the start of it
    assert serving.get("/api/environments", PRESET).status_code == 200
    assert serving.terminate() == 0


def test_a_bad_setting_is_refused_at_start_naming_the_variable(colibri: ColibriCli) -> None:
    result = colibri.run("serve", COLIBRI_API_PORT="99999", timeout=60)
    assert result.returncode == 1
    assert "COLIBRI_API_PORT" in result.stderr


def test_an_address_in_use_stops_it_before_any_token_is_made(
    server: Server, colibri: ColibriCli
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = colibri.run("serve", COLIBRI_API_PORT=port, COLIBRI_CHECK_INTERVAL="off")
    assert result.returncode == 1 and "cannot listen" in result.stderr
    assert server.start().token is not None  # the first token is still to be shown


def test_tokens_made_on_the_command_line_work_until_revoked(
    server: Server, colibri: ColibriCli
) -> None:
    made = colibri.run(
        "token",
        "create",
        "--name",
        "reader",
        "--permission",
        "containers:read",
        "--expires-in",
        "30d",
        "--format",
        "json",
    )
    assert made.returncode == 0, made.stderr
    reader = json.loads(made.stdout)
    assert reader["permissions"] == ["containers:read"] and reader["expires_at"]
    plain = colibri.run("token", "create", "--name", "ops", "-p", "admin")
    assert plain.returncode == 0 and plain.stdout.startswith("colibri_")
    assert "shown only once" in plain.stderr

    serving = server.start()
    assert serving.token is None  # tokens existed: no admin token made
    assert serving.get("/api/containers", reader["token"]).status_code == 200
    assert serving.get("/api/environments", reader["token"]).status_code == 403
    revoked = colibri.run("token", "revoke", str(reader["id"]))
    assert revoked.returncode == 0 and "reader" in revoked.stdout
    assert serving.get("/api/containers", reader["token"]).status_code == 401
    assert serving.terminate() == 0

    listed = colibri.json("token", "list")
    assert [t["name"] for t in listed] == ["reader", "ops"]
    assert listed[0]["revoked_at"] and not listed[1]["revoked_at"]
    assert all("token" not in t for t in listed)


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["create", "--name", "x", "-p", "root"], 2, "--permission"),
        (["create", "--name", "x", "-p", "admin", "--expires-in", "soon"], 2, "--expires-in"),
        (["revoke", "41"], 1, "no token 41"),
    ],
)
def test_token_mistakes_are_told_plainly(
    colibri: ColibriCli, args: list[str], code: int, said: str
) -> None:
    result = colibri.run("token", *args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert said in result.stderr


def test_a_token_name_is_unique(colibri: ColibriCli) -> None:
    assert colibri.run("token", "create", "--name", "ci", "-p", "admin").returncode == 0
    again = colibri.run("token", "create", "--name", "ci", "-p", "admin")
    assert again.returncode == 1 and "already exists" in again.stderr
