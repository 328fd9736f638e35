"""This process's identity as a lock holder (:class:`colibri.domain.holders.ProcessIdentity`):
a random instance id drawn on first use, and the machine its PID belongs to.

The machine is the kernel's boot id and the PID namespace of this process
(``/proc/sys/kernel/random/boot_id``, ``/proc/self/ns/pid``): two processes with the same
values can see each other's PIDs. Where these cannot be read (not Linux) the machine is
unknown, and another instance's lock is then only ever given up by its lease.
"""

from __future__ import annotations

import functools
import os
import secrets
import socket
from pathlib import Path

from colibri.domain.holders import ProcessIdentity

__all__ = ["pid_runs", "this_process"]


@functools.cache
def _instance_id(pid: int) -> str:
    """Drawn once per PID, so that a forked child is an instance of its own."""
    _ = pid
    return secrets.token_hex(16)


def this_process() -> ProcessIdentity:
    """This process (the instance id is the same for every call in one process)."""
    pid = os.getpid()
    return ProcessIdentity(_instance_id(pid), _machine(), socket.gethostname(), pid)


def pid_runs(pid: int) -> bool:
    """Whether a process with this PID runs here (one we may not signal counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@functools.cache
def _machine() -> str:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return f"{boot}/{namespace}"[:255]
