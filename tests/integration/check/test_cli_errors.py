"""Bad input and missing daemons give one clear line and a documented exit code, never a
traceback."""

from __future__ import annotations

import pytest

from tests.support.scenario import ColibriCli


def test_an_unreachable_daemon_is_exit_1_with_a_clear_message(colibri: ColibriCli) -> None:
    result = colibri.run("check", "--host", "unix:///nonexistent/docker.sock")
    assert result.returncode == 1
    assert "cannot reach the Docker daemon" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_host_scheme_is_named(colibri: ColibriCli) -> None:
    result = colibri.run("check", "--host", "http2://nowhere")
    assert result.returncode == 1
    assert "http2://nowhere" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("COLIBRI_REGISTRY_CONCURRENCY", "many"),
        ("COLIBRI_LOG_LEVEL", "LOUD"),
        ("COLIBRI_STABILITY_WINDOW", "-3"),
        ("COLIBRI_FAILPOINT", "nowhere"),
    ],
)
def test_an_invalid_setting_names_the_variable(
    colibri: ColibriCli, variable: str, value: str
) -> None:
    command = ("update", "--dry-run") if variable == "COLIBRI_FAILPOINT" else ("check",)
    result = colibri.run(*command, **{variable: value})
    assert result.returncode == 1, result.stderr
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_are_exit_2(colibri: ColibriCli) -> None:
    assert colibri.run("check", "--format", "yaml").returncode == 2
    assert colibri.run("frobnicate").returncode == 2


def test_help_lists_exit_codes_and_failpoints(colibri: ColibriCli) -> None:
    assert "Exit codes" in colibri.run("--help").stdout
    update_help = colibri.run("update", "--help").stdout
    assert "COLIBRI_FAILPOINT" in update_help and "rename_old" in update_help
