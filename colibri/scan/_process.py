"""Running a scanner program: bounded in time, killed as a whole process group on timeout.

Scanners start helpers of their own (Trivy's plugins, Grype's DB fetcher); killing only the
direct child would leave those running and holding our pipes open. So each program runs in a
new session (its own process group) and a timeout sends SIGKILL to the whole group, then reaps
it. stdin is closed; stdout and stderr are captured apart (stdout is the report, stderr is
noise and, on failure, the explanation).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from colibri.errors import ScanError

__all__ = ["Completed", "run_program"]

logger = logging.getLogger(__name__)

#: How long to wait for the killed group's pipes to close before abandoning them.
REAP_SECONDS = 5.0
STDERR_TAIL = 600


@dataclass(frozen=True, slots=True)
class Completed:
    """A finished program: its exit status and everything it printed."""

    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes

    def stderr_tail(self, limit: int = STDERR_TAIL) -> str:
        """The last ``limit`` characters of stderr, stripped: usually the actual error."""
        text = self.stderr.decode("utf-8", errors="replace").strip()
        return text if len(text) <= limit else "…" + text[-limit:]


def run_program(
    argv: Sequence[str], *, name: str, timeout: float, env: Mapping[str, str] | None = None
) -> Completed:
    """Run ``argv`` to completion within ``timeout`` seconds.

    Raises ``ScanError`` when the program cannot be started (missing, not executable) or does
    not finish in time (after killing its process group). A non-zero exit is *not* an error
    here: callers decide from the output.
    """
    try:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise ScanError(f"{name} not found: {argv[0]} (is it installed?)") from None
    except PermissionError:
        raise ScanError(f"{name} is not executable: {argv[0]}") from None
    except OSError as exc:
        raise ScanError(f"{name} could not be started ({argv[0]}): {exc}") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise ScanError(f"{name} timed out after {timeout:g}s and was killed") from None
    except BaseException:
        _kill_group(process)
        raise
    logger.debug("%s exited %s: %s", name, process.returncode, " ".join(argv))
    return Completed(tuple(argv), process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the program's whole process group, then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        process.communicate(timeout=REAP_SECONDS)
    except subprocess.TimeoutExpired:
        # Something that left the group still holds the pipes; stop reading them.
        process.kill()
        process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
