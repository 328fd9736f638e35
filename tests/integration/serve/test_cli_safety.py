"""The CLI as a careless user meets it: a private data directory and database, a warning when
they are not, names that cannot drive the terminal, and a clear error for an absurd id."""

from __future__ import annotations

import stat

import pytest

from tests.support.scenario import ColibriCli

pytestmark = pytest.mark.docker


def test_data_at_rest_is_private_and_a_loose_directory_is_warned_about(
    colibri: ColibriCli,
) -> None:
    made = colibri.run("token", "create", "--name", "ci", "--permission", "runs:read")
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(colibri.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((colibri.data_dir / "colibri.db").stat().st_mode) == 0o600
    assert "readable by others" not in made.stderr
    colibri.data_dir.chmod(0o755)
    listed = colibri.run("token", "list")
    assert listed.returncode == 0
    assert "the data directory" in listed.stderr and "readable by others" in listed.stderr


def test_names_are_shown_without_their_control_characters(colibri: ColibriCli) -> None:
    evil = "evil\x1b]0;pwned\x07\x1b[2J"
    made = colibri.run("token", "create", "--name", evil, "--permission", "runs:read")
    assert made.returncode == 0, made.stderr
    listed = colibri.run("token", "list", COLUMNS="400")
    assert "\x1b" not in listed.stdout and "\x07" not in listed.stdout
    assert "evil\\x1b]0;pwned\\x07" in listed.stdout


def test_an_id_too_large_for_any_token_is_a_clear_error(colibri: ColibriCli) -> None:
    result = colibri.run("token", "revoke", "9" * 30)
    assert result.returncode == 2
    assert "Invalid value" in result.stderr and "Traceback" not in result.stderr
