"""``ssh://`` Docker hosts go through the real OpenSSH client; a host that cannot be reached is
one clear error, and the forwarding leaves nothing behind."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

import pytest

from colibri.engine.api import open_api
from colibri.errors import EngineUnavailable


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _forward_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("colibri-ssh-*"))


def test_an_ssh_host_nobody_answers_is_one_error_naming_it_and_leaves_nothing() -> None:
    before = _forward_dirs()
    target = f"ssh://nobody@127.0.0.1:{_closed_port()}"
    with pytest.raises(EngineUnavailable, match=r"ssh to 127\.0\.0\.1 failed: .*refused"):
        open_api(target, timeout=20, pool_size=1)
    assert _forward_dirs() == before
