"""Recovery decisions: finish what reached commit, undo everything else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from colibri.domain.journal import RunRecord, RunStatus, Step, StepRecord
from colibri.domain.recovery import Observed, RecoveryAction, Seen, SwapRecord, plan_recovery

T = datetime(2026, 1, 1, tzinfo=UTC)
OLD, NEW = "o" * 64, "n" * 64


def run(*steps: Step, **data: dict[str, Any]) -> RunRecord:
    return RunRecord(
        id="r1",
        environment="local",
        container_name="web",
        container_id=OLD,
        image="app:1",
        status=RunStatus.RUNNING,
        trigger="cli",
        dry_run=False,
        started_at=T,
        steps=tuple(
            StepRecord("r1", i, step, T, data.get(step.value, {})) for i, step in enumerate(steps)
        ),
    )


UP_TO_START = (
    Step.RESOLVE,
    Step.PULL,
    Step.GATE,
    Step.SNAPSHOT,
    Step.CREATE,
    Step.STOP,
    Step.RENAME_OLD,
    Step.RENAME_NEW,
    Step.START,
)
PULLED = {
    "pull": {"previous_tag_image": "sha256:old", "tag_ref": "app:1"},
    "snapshot": {"was_running": True},
}


def test_before_create_nothing_to_undo_but_the_tag() -> None:
    plan = plan_recovery(
        run(Step.RESOLVE, Step.PULL, **PULLED), Observed(Seen(OLD, "web", True), None)
    )
    assert plan.status is RunStatus.FAILED
    assert plan.actions == (RecoveryAction("retag", "sha256:old", "app:1"),)


def test_after_rename_new_the_new_one_goes_and_the_old_one_comes_back() -> None:
    plan = plan_recovery(
        run(*UP_TO_START[:8], **PULLED),
        Observed(Seen(OLD, "web-colibri-old-x", False), Seen(NEW, "web", False)),
    )
    assert plan.status is RunStatus.ROLLED_BACK
    assert plan.actions == (
        RecoveryAction("remove", NEW),
        RecoveryAction("rename", OLD, "web"),
        RecoveryAction("start", OLD),
        RecoveryAction("retag", "sha256:old", "app:1"),
    )


def test_a_stopped_container_is_not_started() -> None:
    data = {**PULLED, "snapshot": {"was_running": False}}
    plan = plan_recovery(
        run(*UP_TO_START, **data),
        Observed(Seen(OLD, "web-colibri-old-x", False), Seen(NEW, "web", False)),
    )
    assert RecoveryAction("start", OLD) not in plan.actions


def test_after_commit_the_update_is_finished() -> None:
    plan = plan_recovery(
        run(*UP_TO_START, Step.VERIFY, Step.COMMIT, **PULLED),
        Observed(Seen(OLD, "web-colibri-old-x", False), Seen(NEW, "web", True)),
    )
    assert plan.status is RunStatus.UPDATED
    assert plan.actions == (RecoveryAction("remove", OLD),)


def test_if_the_old_container_vanished_the_new_one_is_kept() -> None:
    plan = plan_recovery(run(*UP_TO_START, **PULLED), Observed(None, Seen(NEW, "web-tmp", False)))
    assert plan.status is RunStatus.FAILED
    assert plan.actions == (RecoveryAction("rename", NEW, "web"), RecoveryAction("start", NEW))


def test_dependents_are_swapped_back_after_the_main_container() -> None:
    sharer = SwapRecord("s" * 64, "side", "side-new", "side-old", True)
    plan = plan_recovery(
        run(*UP_TO_START, Step.VERIFY, Step.DEPENDENTS, **PULLED),
        Observed(
            Seen(OLD, "web-colibri-old-x", False),
            Seen(NEW, "web", True),
            dependents=[
                (sharer, Seen(sharer.old_id, "side-old", False), Seen("t" * 64, "side", True))
            ],
        ),
    )
    kinds = [(a.kind, a.target[:1]) for a in plan.actions]
    assert kinds == [
        ("remove", "n"),
        ("rename", "o"),
        ("start", "o"),
        ("remove", "t"),
        ("rename", "s"),
        ("start", "s"),
        ("retag", "s"),
    ]
