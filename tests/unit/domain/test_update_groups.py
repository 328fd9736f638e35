"""Which containers can be updated at the same time, and what the check alone decides."""

from __future__ import annotations

from datetime import UTC, datetime

from colibri.domain.health import VerifyPolicy
from colibri.domain.journal import RunStatus
from colibri.domain.model import CheckResult, CheckStatus, Container
from colibri.domain.planner import settled_by_check, update_groups
from colibri.domain.refs import parse_reference

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def container(name: str, *, depends_on: str = "", network_mode: str = "") -> Container:
    labels = {"colibri.depends-on": depends_on} if depends_on else {}
    return Container(f"{name:0<64}", name, "app:1", "sha256:i", labels, network_mode=network_mode)


def names(groups: list[list[Container]]) -> list[list[str]]:
    return [[c.name for c in group] for group in groups]


def test_independent_containers_are_each_their_own_group() -> None:
    groups = update_groups([container("a"), container("b"), container("c")])
    assert names(groups) == [["a"], ["b"], ["c"]]


def test_dependencies_share_a_group_in_dependency_order() -> None:
    web = container("web", depends_on="db")
    db = container("db")
    side = container("side", network_mode=f"container:{web.id}")
    other = container("other")
    assert names(update_groups([side, web, other, db])) == [["db", "web", "side"], ["other"]]


def test_a_dependency_outside_the_batch_does_not_join_groups() -> None:
    one = container("one", depends_on="shared")
    two = container("two", depends_on="shared")
    assert names(update_groups([one, two])) == [["one"], ["two"]]


def test_the_check_settles_what_is_not_to_be_updated() -> None:
    subject = container("web")
    ref = parse_reference("app:1")
    up = CheckResult("web", "app:1", CheckStatus.UP_TO_DATE, checked=subject, ref=ref)
    pinned = CheckResult("web", "app@sha256:x", CheckStatus.PINNED, "pinned by digest")
    deferred = CheckResult("web", "app:1", CheckStatus.DEFERRED, "429")
    broken = CheckResult("web", "app:1", CheckStatus.ERROR, "manifest unknown")
    assert settled_by_check(up, NOW, VerifyPolicy()) == (RunStatus.UP_TO_DATE, "up to date")
    assert settled_by_check(pinned, NOW, VerifyPolicy()) == (
        RunStatus.SKIPPED,
        "pinned: pinned by digest",
    )
    assert settled_by_check(deferred, NOW, VerifyPolicy()) == (RunStatus.SKIPPED, "deferred: 429")
    assert settled_by_check(broken, NOW, VerifyPolicy()) == (
        RunStatus.FAILED,
        "check failed: manifest unknown",
    )


def test_an_update_needs_the_container_its_reference_and_a_digest() -> None:
    subject = container("web")
    ref = parse_reference("app:1")
    ready = CheckResult(
        "web",
        "app:1",
        CheckStatus.UPDATE_AVAILABLE,
        remote_digest="sha256:n",
        checked=subject,
        ref=ref,
    )
    assert settled_by_check(ready, NOW, VerifyPolicy()) is None
    unparsed = CheckResult(
        "web",
        "app:1",
        CheckStatus.UPDATE_AVAILABLE,
        "newer",
        remote_digest="sha256:n",
        checked=subject,
    )
    assert settled_by_check(unparsed, NOW, VerifyPolicy()) == (
        RunStatus.FAILED,
        "check failed: newer",
    )
    moved = CheckResult(
        "web", "app:1", CheckStatus.UPDATE_AVAILABLE, target_tag="2", checked=subject, ref=ref
    )
    assert moved.target_ref == parse_reference("app:2")
