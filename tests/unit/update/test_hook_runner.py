"""HookRunner: a hook step journaled before the exec, its output in the run's log, and the
decision its exit code makes; on a real (in-memory SQLite) journal and a fake exec."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from colibri.domain.hooks import HookAction, HookPhase, HookResult
from colibri.domain.journal import NewRun, Step
from colibri.errors import EngineError
from colibri.store import Store, make_store
from colibri.update.hooks import HookRunner


class FakeExec:
    def __init__(self, result: HookResult | EngineError) -> None:
        self.result = result
        self.calls: list[tuple[str, tuple[str, ...], float]] = []

    def exec_in(self, container_id: str, argv: Sequence[str], timeout: float) -> HookResult:
        self.calls.append((container_id, tuple(argv), timeout))
        if isinstance(self.result, EngineError):
            raise self.result
        return self.result


@pytest.fixture
def store() -> Iterator[Store]:
    with make_store("sqlite://") as opened:
        yield opened


def run_id(store: Store) -> str:
    return store.journal.start_run(NewRun("local", "web", "c1", "img:1")).id


def test_no_hook_runs_nothing(store: Store) -> None:
    fake = FakeExec(HookResult(0))
    runner = HookRunner(fake, store.journal)
    assert runner.run(run_id(store), HookPhase.PRE_UPDATE, "c1", {}) == (HookAction.CONTINUE, "")
    assert fake.calls == []


def test_a_hook_is_journaled_run_and_logged(store: Store) -> None:
    fake = FakeExec(HookResult(75, "not now: backup running\n"))
    runner = HookRunner(fake, store.journal)
    run = run_id(store)
    labels = {"colibri.hook.pre-update": "/backup.sh", "colibri.hook.pre-update.timeout": "30s"}
    action, reason = runner.run(run, HookPhase.PRE_UPDATE, "c1", labels)
    assert action is HookAction.SKIP
    assert "exited with 75" in reason
    assert fake.calls == [("c1", ("sh", "-c", "/backup.sh"), 30.0)]
    record = store.journal.get_run(run)
    [step] = [s for s in record.steps if s.step is Step.HOOK]
    assert step.data["phase"] == "pre-update"
    assert step.data["label"] == "colibri.hook.pre-update"
    [(_, level, message)] = record.logs
    assert "not now: backup running" in message
    assert level == "WARNING"


def test_a_hook_that_cannot_start_fails(store: Store) -> None:
    runner = HookRunner(FakeExec(EngineError("container is not running")), store.journal)
    labels = {"com.centurylinklabs.watchtower.lifecycle.post-update": "/check.sh"}
    action, reason = runner.run(run_id(store), HookPhase.POST_UPDATE, "c2", labels)
    assert action is HookAction.ROLLBACK
    assert reason == "post-update hook could not be run"


def test_unreadable_hook_labels_stop_before_anything_runs(store: Store) -> None:
    fake = FakeExec(HookResult(0))
    labels = {"colibri.hook.pre-update": " "}
    action, reason = HookRunner(fake, store.journal).run(
        run_id(store), HookPhase.PRE_UPDATE, "c1", labels
    )
    assert action is HookAction.ABORT
    assert "the command is empty" in reason
    assert fake.calls == []
