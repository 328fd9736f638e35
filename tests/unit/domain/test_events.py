"""Notification events: which check results announce an update, and what is de-duplicated."""

from __future__ import annotations

from colibri.domain.events import (
    ALL_EVENTS,
    Blocked,
    EventKind,
    Failed,
    RolledBack,
    UpdateAvailable,
    Updated,
    update_available_from,
)
from colibri.domain.model import CheckResult, CheckStatus

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64


def result(status: CheckStatus, remote: str | None = B) -> CheckResult:
    return CheckResult("web", "nginx:1.25", status, current_digest=A, remote_digest=remote)


def test_an_update_available_result_becomes_an_event() -> None:
    event = update_available_from(result(CheckStatus.UPDATE_AVAILABLE), "prod")
    assert event == UpdateAvailable(
        environment="prod",
        container="web",
        image="nginx:1.25",
        remote_digest=B,
        current_digest=A,
    )
    assert event.kind is EventKind.UPDATE_AVAILABLE


def test_other_check_results_announce_nothing() -> None:
    for status in CheckStatus:
        if status is not CheckStatus.UPDATE_AVAILABLE:
            assert update_available_from(result(status), "prod") is None


def test_an_update_without_a_remote_digest_announces_nothing() -> None:
    assert update_available_from(result(CheckStatus.UPDATE_AVAILABLE, None), "prod") is None


def test_update_available_is_keyed_by_environment_container_and_remote_digest() -> None:
    event = UpdateAvailable(environment="prod", container="web", image="x", remote_digest=B)
    assert event.dedup_key == f"update_available/prod/web/{B}"
    moved = UpdateAvailable(environment="prod", container="web", image="x", remote_digest=A)
    elsewhere = UpdateAvailable(environment="lab", container="web", image="x", remote_digest=B)
    other = UpdateAvailable(environment="prod", container="db", image="x", remote_digest=B)
    keys = {e.dedup_key for e in (event, moved, elsewhere, other)}
    assert len(keys) == 4


def test_the_running_digest_does_not_change_the_key() -> None:
    first = UpdateAvailable(
        environment="p", container="web", image="x", remote_digest=B, current_digest=A
    )
    unknown = UpdateAvailable(environment="p", container="web", image="x", remote_digest=B)
    assert first.dedup_key == unknown.dedup_key


def test_keys_cannot_collide_through_a_slash_in_the_environment() -> None:
    one = UpdateAvailable(environment="a/b", container="c", image="x", remote_digest=B)
    two = UpdateAvailable(environment="a", container="b", image="x", remote_digest=B)
    assert one.dedup_key != two.dedup_key


def test_blocked_is_keyed_by_candidate_digest_only_when_it_is_known() -> None:
    known = Blocked(environment="p", container="web", image="x", summary="s", digest=B)
    assert known.dedup_key == f"blocked/p/web/{B}"
    assert Blocked(environment="p", container="web", image="x", summary="s").dedup_key is None


def test_changes_and_failures_are_never_de_duplicated() -> None:
    events = (
        Updated(environment="p", container="web", image="x", new_digest=B),
        RolledBack(environment="p", container="web", image="x", reason="r", digest=B),
        Failed(environment="p", container="web", image="x", reason="r", digest=B),
    )
    assert [e.dedup_key for e in events] == [None, None, None]


def test_event_kinds_are_the_names_targets_subscribe_to() -> None:
    assert [kind.value for kind in ALL_EVENTS] == [
        "update_available",
        "updated",
        "blocked",
        "rolled_back",
        "failed",
    ]
    assert Updated.kind == "updated" and RolledBack.kind == "rolled_back"
