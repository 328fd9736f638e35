"""This process's identity as a lock holder: one random instance per process."""

from __future__ import annotations

import subprocess
import sys

from colibri.instance import pid_runs, this_process


def test_one_instance_per_process_and_a_machine_on_linux() -> None:
    me = this_process()
    assert me == this_process() and len(me.instance) == 32
    assert me.machine.count("/") >= 1 and "pid:[" in me.machine
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            "from colibri.instance import this_process as t; print(t().instance, t().machine)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert other[0] != me.instance and other[1] == me.machine


def test_pid_runs() -> None:
    assert pid_runs(this_process().pid)
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert not pid_runs(int(done.stdout))
