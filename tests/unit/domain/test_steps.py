"""Typed step payloads: they round-trip, and they read the rows earlier versions wrote."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from colibri.domain.journal import RunRecord, RunStatus, Step, StepRecord
from colibri.domain.recovery import (
    Observed,
    RecoveryAction,
    Seen,
    journaled_new_id,
    plan_recovery,
    swap_records,
    temp_name,
    was_running,
)
from colibri.domain.steps import (
    CommitStep,
    CreateStep,
    DependentsStep,
    DoneStep,
    GateStep,
    PullStep,
    RecoverStep,
    RenameNewStep,
    RenameOldStep,
    ResolveStep,
    RollbackStep,
    SnapshotStep,
    StartStep,
    StepPayload,
    StopStep,
    SwapRecord,
    VerifyStep,
)

T = datetime(2026, 1, 1, tzinfo=UTC)
OLD, NEW, SIDE = "o" * 64, "n" * 64, "s" * 64
SWAP = SwapRecord(SIDE, "side", "side-colibri-new-r1", "side-colibri-old-r1", True)

#: The rows of an interrupted run exactly as the executor before typed payloads wrote them
#: (the keys and value shapes found in users' databases), up to the start of the new one.
LEGACY_ROWS: list[tuple[Step, dict[str, Any]]] = [
    (Step.RESOLVE, {"ref": "app:1", "digest": "sha256:n", "old_id": OLD, "old_image_id": "i1"}),
    (
        Step.PULL,
        {
            "repository": "docker.io/library/app",
            "digest": "sha256:n",
            "platform": "linux/amd64",
            "tag_ref": "app:1",
            "previous_tag_image": "sha256:i1",
        },
    ),
    (
        Step.GATE,
        {
            "digest": "sha256:n",
            "image_id": "sha256:i2",
            "allowed": True,
            "reason": "no gate configured",
            "warnings": [],
            "details": {},
        },
    ),
    (
        Step.SNAPSHOT,
        {
            "inspect": {"Id": OLD, "Name": "/web"},
            "was_running": True,
            "old_image_config": {"Env": ["A=1"]},
            "new_image_config": {},
        },
    ),
    (
        Step.CREATE,
        {
            "temp_name": "web-colibri-new-r1",
            "aside_name": "web-colibri-old-r1",
            "body": {"Image": "app:1@sha256:n"},
            "networks": {},
        },
    ),
    (Step.RENAME_OLD, {"old_id": OLD, "new_id": NEW, "name": "web-colibri-old-r1"}),
    (Step.RENAME_NEW, {"old_id": OLD, "new_id": NEW, "name": "web"}),
    (
        Step.STOP,
        {
            "old_id": OLD,
            "new_id": NEW,
            "temp_name": "web-colibri-new-r1",
            "aside_name": "web-colibri-old-r1",
            "was_running": True,
            "dependents": [SWAP.as_dict()],
        },
    ),
    (Step.START, {"new_id": NEW}),
]


def legacy_run(rows: list[tuple[Step, dict[str, Any]]]) -> RunRecord:
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
        steps=tuple(StepRecord("r1", i, step, T, data) for i, (step, data) in enumerate(rows)),
    )


def test_legacy_rows_read_as_typed_payloads() -> None:
    run = legacy_run(LEGACY_ROWS)
    assert run.payload(PullStep) == PullStep(
        "docker.io/library/app", "sha256:n", "app:1", "linux/amd64", "sha256:i1"
    )
    snapshot = run.payload(SnapshotStep)
    assert snapshot is not None and snapshot.inspect == {"Id": OLD, "Name": "/web"}
    assert snapshot.old_image_config == {"Env": ["A=1"]}
    stop = run.payload(StopStep)
    assert stop is not None and stop.dependents == (SWAP,)
    assert (swap_records(run), was_running(run), temp_name(run)) == (
        [SWAP],
        True,
        "web-colibri-new-r1",
    )
    assert journaled_new_id(run) == NEW
    assert run.payload(CommitStep) is None


def test_a_legacy_run_interrupted_after_start_is_undone_as_before() -> None:
    run = legacy_run(LEGACY_ROWS)
    observed = Observed(
        Seen(OLD, "web-colibri-old-r1", False),
        Seen(NEW, "web", True),
        [(SWAP, Seen(SIDE, "side", False), None)],
    )
    plan = plan_recovery(run, observed)
    assert plan.status is RunStatus.ROLLED_BACK
    assert plan.actions == (
        RecoveryAction("remove", NEW),
        RecoveryAction("rename", OLD, "web"),
        RecoveryAction("start", OLD),
        RecoveryAction("start", SIDE),
        RecoveryAction("retag", "sha256:i1", "app:1"),
    )


def test_a_legacy_committed_run_is_finished() -> None:
    run = legacy_run([*LEGACY_ROWS, (Step.COMMIT, {"old_id": OLD, "new_id": NEW})])
    plan = plan_recovery(
        run, Observed(Seen(OLD, "web-colibri-old-r1", False), Seen(NEW, "web", True))
    )
    assert plan.status is RunStatus.UPDATED
    assert plan.actions == (RecoveryAction("remove", OLD),)


def test_rows_missing_keys_read_with_safe_defaults() -> None:
    run = legacy_run([(Step.PULL, {"digest": "sha256:n"}), (Step.SNAPSHOT, {})])
    pull = run.payload(PullStep)
    assert pull is not None and (pull.tag_ref, pull.previous_tag_image) == ("", None)
    assert was_running(run) is True  # when unknown, the container is restarted, never left off
    assert swap_records(run) == [] and journaled_new_id(run) == ""


PAYLOADS: list[StepPayload] = [
    ResolveStep("app:1", "sha256:n", OLD, "i1"),
    PullStep("r", "sha256:n", "app:1", None, None),
    GateStep("sha256:n", "i2", False, "blocked", ("w",), {"k": 1}),
    SnapshotStep({"Id": OLD}, False, {"Cmd": ["a"]}, {}),
    CreateStep("t", "a", {"Image": "x"}, {"net": {}}),
    RenameOldStep(OLD, NEW, "a"),
    RenameNewStep(OLD, NEW, "web"),
    StopStep(OLD, NEW, "t", "a", True, (SWAP,)),
    StartStep(NEW),
    VerifyStep(NEW),
    DependentsStep(NEW, (SWAP,), (SIDE,)),
    CommitStep(OLD, NEW),
    RollbackStep("boom", OLD, NEW, True),
    RecoverStep(("remove", "rename")),
    DoneStep("updated"),
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: p.STEP.value)
def test_every_payload_round_trips_through_its_row(payload: StepPayload) -> None:
    run = legacy_run([(payload.STEP, payload.as_dict())])
    assert run.payload(type(payload)) == payload
