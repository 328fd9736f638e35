"""Whether the holder of a container's update lock still runs, decided from who it is.

A holder is identified by its process instance (a random id), not by host name and PID: two
processes may share a host name (containers on the host network, two machines named alike)
and a PID means nothing outside its PID namespace. So:

* a lock of this very instance is alive (another thread of this process runs that update);
* a lock of another instance on this same machine (same boot, same PID namespace) is alive
  while its PID runs, and not when the PID is gone or is this process's own (the PID was
  reused after the holder died);
* a lock of an instance elsewhere is alive: only its lease, which the holder refreshes while
  it works (its heartbeat), says when it is gone;
* a lock written before instances existed is read as before: alive unless it names this host
  and a PID of this host that is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from colibri.domain.journal import LOCK_TTL_SECONDS, LockOwner

__all__ = ["HEARTBEAT_SECONDS", "ProcessIdentity", "holder_alive"]

#: How often a live holder extends its lease (a fifth of ``LOCK_TTL_SECONDS``): a lock whose
#: lease ran out belongs to a holder that stopped beating.
HEARTBEAT_SECONDS = LOCK_TTL_SECONDS / 5


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    """This process: its random instance id, its machine, host name and PID."""

    instance: str
    machine: str
    hostname: str
    pid: int

    def owner(self, run_id: str) -> LockOwner:
        """The lock owner for a run of this process."""
        return LockOwner(run_id, self.hostname, self.pid, self.instance, self.machine)


def holder_alive(holder: LockOwner, me: ProcessIdentity, pid_runs: Callable[[int], bool]) -> bool:
    """Whether ``holder`` may still be running its update (``pid_runs`` asks whether a PID of
    this machine runs); see the module docstring."""
    if holder.instance:
        if holder.instance == me.instance:
            return True
        if holder.machine and holder.machine == me.machine:
            return holder.pid != me.pid and pid_runs(holder.pid)
        return True
    if holder.hostname != me.hostname or holder.pid == me.pid:
        return True
    return pid_runs(holder.pid)
