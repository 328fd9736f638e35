"""Run data as a reader without ``runs:raw`` sees it: names kept, secret values gone."""

from __future__ import annotations

from colibri.domain.redaction import REDACTED, redact_document


def test_environment_values_labels_and_command_line_secrets_are_redacted() -> None:
    inspect = {
        "Id": "abc",
        "Config": {
            "Env": ["DB_PASSWORD=hunter2", "PATH=/bin", "EMPTY="],
            "Labels": {"traefik.http.middlewares.auth.basicauth.users": "u:$apr1$x", "tier": "web"},
            "Cmd": ["server", "--password=hunter2", "--token", "t0k", "--port", "80"],
        },
        "HostConfig": {"Binds": ["/srv:/srv"]},
    }
    shown = redact_document({"inspect": inspect, "new_image_config": {"Env": ["API_KEY=k"]}})
    config = shown["inspect"]["Config"]
    assert config["Env"] == [f"DB_PASSWORD={REDACTED}", f"PATH={REDACTED}", f"EMPTY={REDACTED}"]
    assert config["Labels"] == {
        "traefik.http.middlewares.auth.basicauth.users": REDACTED,
        "tier": "web",
    }
    assert config["Cmd"] == [
        "server",
        f"--password={REDACTED}",
        "--token",
        REDACTED,
        "--port",
        "80",
    ]
    assert shown["inspect"]["HostConfig"] == {"Binds": ["/srv:/srv"]}
    assert shown["new_image_config"]["Env"] == [f"API_KEY={REDACTED}"]
    assert inspect["Config"]["Env"][0] == "DB_PASSWORD=hunter2"  # the original is untouched
