"""Code run in separate OS processes by the store tests, and the harness that runs it.

Processes are started with ``spawn`` (a fresh interpreter, nothing inherited from pytest) and
released together by a barrier, so they really contend for the database. Each reports one
result through a queue; any exception is reported as text instead of being lost.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable
from typing import Any

from colibri.domain.journal import LockOwner, NewRun, RunStatus, Step
from colibri.errors import LockHeld
from colibri.store import make_store, upgrade

TIMEOUT = 60.0


def run_in_processes(target: Callable[..., Any], args: list[tuple[Any, ...]]) -> list[Any]:
    """Run ``target(barrier, *args[i])`` in ``len(args)`` processes; their results, in order.

    A process that raised reports ``("error", traceback)``.
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(args))
    results = context.Queue()
    processes = [
        context.Process(target=_report, args=(results, index, target, barrier, *arguments))
        for index, arguments in enumerate(args)
    ]
    for process in processes:
        process.start()
    try:
        collected = dict(results.get(timeout=TIMEOUT) for _ in processes)
    finally:
        for process in processes:
            process.join(timeout=TIMEOUT)
            if process.is_alive():
                process.kill()
    return [collected[index] for index in range(len(args))]


def _report(results: Any, index: int, target: Callable[..., Any], *args: Any) -> None:
    try:
        results.put((index, target(*args)))
    except BaseException:
        results.put((index, ("error", traceback.format_exc())))


def race_for_locks(barrier: Any, url: str, worker: int, keys: list[str]) -> list[str]:
    """Try to take every key once; the keys this process won."""
    with make_store(url, migrate=False) as store:
        owner = LockOwner(run_id=f"run-{worker}", hostname=f"host-{worker}", pid=os.getpid())
        barrier.wait(TIMEOUT)
        won = []
        for key in keys:
            try:
                store.journal.acquire_lock(key, owner, ttl_seconds=300)
            except LockHeld:
                continue
            won.append(key)
        return won


def write_runs(barrier: Any, url: str, worker: int, runs: int, steps: int) -> list[str]:
    """Write ``runs`` complete runs of ``steps`` steps each, as fast as possible."""
    with make_store(url, migrate=False) as store:
        barrier.wait(TIMEOUT)
        ids = []
        for number in range(runs):
            run = store.journal.start_run(
                NewRun("local", f"w{worker}-{number}", "id", "image:1", trigger="test")
            )
            for seq in range(steps):
                store.journal.record_step(run.id, Step.PULL, {"worker": worker, "seq": seq})
                store.journal.log(run.id, "INFO", f"step {seq}")
            store.journal.finish_run(run.id, RunStatus.UPDATED)
            ids.append(run.id)
        return ids


def migrate(barrier: Any, url: str) -> str:
    """Upgrade the database to head, all processes at once."""
    barrier.wait(TIMEOUT)
    upgrade(url)
    return "ok"
