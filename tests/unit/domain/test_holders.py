"""Whether a lock holder still runs: by process instance, not host name and PID."""

from __future__ import annotations

from colibri.domain.holders import ProcessIdentity, holder_alive
from colibri.domain.journal import LockOwner

ME = ProcessIdentity("m" * 32, "boot1/pid:[4026531836]", "web", 1)


def test_this_instance_holds_it_from_another_thread() -> None:
    assert holder_alive(ME.owner("r1"), ME, lambda pid: False)


def test_another_instance_on_this_machine_lives_while_its_pid_runs() -> None:
    other = LockOwner("r1", "web", 42, "o" * 32, ME.machine)
    assert holder_alive(other, ME, lambda pid: pid == 42)
    assert not holder_alive(other, ME, lambda pid: False)


def test_a_dead_instance_whose_pid_is_now_ours_is_dead() -> None:
    # Colibri in a container restarts as PID 1 again: the old holder's PID is reused
    before_restart = LockOwner("r1", "web", 1, "o" * 32, ME.machine)
    assert not holder_alive(before_restart, ME, lambda pid: True)


def test_an_instance_elsewhere_with_the_same_host_name_and_pid_is_alive() -> None:
    # another container on the host network, or another machine named "web": its PID means
    # nothing here, only its lease says when it is gone
    elsewhere = LockOwner("r1", "web", 77, "o" * 32, "boot2/pid:[4026532000]")
    assert holder_alive(elsewhere, ME, lambda pid: False)
    unknown_machine = LockOwner("r1", "web", 77, "o" * 32, "")
    assert holder_alive(unknown_machine, ME, lambda pid: False)


def test_a_lock_written_before_instances_is_read_by_host_and_pid() -> None:
    assert holder_alive(LockOwner("r1", "elsewhere", 5), ME, lambda pid: False)
    assert holder_alive(LockOwner("r1", "web", 1), ME, lambda pid: False)
    assert not holder_alive(LockOwner("r1", "web", 5), ME, lambda pid: False)
    assert holder_alive(LockOwner("r1", "web", 5), ME, lambda pid: pid == 5)
