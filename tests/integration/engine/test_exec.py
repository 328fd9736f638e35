"""The engine's exec (lifecycle hooks) on the real daemon: exit codes, both output streams,
the timeout."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from colibri.engine import DockerEngine, connect
from colibri.engine.exec import demultiplex
from colibri.errors import EngineError
from tests.support.docker_env import DockerTracker
from tests.support.images import ImageFactory

pytestmark = pytest.mark.docker


@pytest.fixture
def engine() -> Iterator[DockerEngine]:
    opened = connect()
    yield opened
    opened.close()


def test_exit_codes_output_and_timeout(
    image_factory: ImageFactory, docker_tracker: DockerTracker, engine: DockerEngine
) -> None:
    image = image_factory.build()
    container = docker_tracker.run(image.ref, "hooks")
    done = engine.exec_in(container.id, ["sh", "-c", "echo out; echo err >&2; exit 3"], 10)
    assert done.exit_code == 3 and not done.timed_out
    assert "out\n" in done.output and "err\n" in done.output
    assert engine.exec_in(container.id, ["sh", "-c", "exit 75"], 10).exit_code == 75
    started = time.monotonic()
    slow = engine.exec_in(container.id, ["sh", "-c", "echo begun; sleep 30"], 1.5)
    assert slow.timed_out and slow.exit_code is None
    assert time.monotonic() - started < 10
    assert "begun" in slow.output


def test_exec_in_a_stopped_container_is_an_engine_error(
    image_factory: ImageFactory, docker_tracker: DockerTracker, engine: DockerEngine
) -> None:
    container = docker_tracker.create(image_factory.build().ref, "stopped")
    with pytest.raises(EngineError, match="is not running"):
        engine.exec_in(container.id, ["true"], 5)


def test_demultiplex_joins_frames_and_keeps_raw_streams() -> None:
    frames = b"\x01\0\0\0\0\0\0\x03out" + b"\x02\0\0\0\0\0\0\x04err\n"
    assert demultiplex(frames) == b"outerr\n"
    assert demultiplex(b"plain text") == b"plain text"
