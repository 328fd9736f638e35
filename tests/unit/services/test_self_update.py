"""The hand-off of Colibri's own update: only with the label, never in a dry run, the helper
from exactly the checked digest; everything else is not its business."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from colibri.domain.journal import RunStatus
from colibri.domain.model import CheckResult, CheckStatus, Container
from colibri.domain.refs import parse_reference
from colibri.errors import PullFailed
from colibri.services.self_update import SelfUpdater, own_container_id
from colibri.update.model import UpdateOptions
from tests.fakes import FakeEngine, local_image

NEW = "sha256:" + "b" * 64


@dataclass
class HelperEngine(FakeEngine):
    """The fake engine, recording the pulls and the helpers it is asked to create and start."""

    pulled: list[tuple[str, str]] = field(default_factory=list)
    created: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    pull_error: str = ""

    def pull(
        self,
        repository: str,
        digest: str,
        *,
        platform: str | None = None,
        auth: Mapping[str, str] | None = None,
    ) -> None:
        if self.pull_error:
            raise PullFailed(self.pull_error)
        self.pulled.append((repository, digest))

    def create_container(self, body: Mapping[str, Any], name: str) -> str:
        self.created.append((name, body))
        return "helper-id"

    def start_container(self, container_id: str) -> None:
        self.started.append(container_id)


def colibri(
    engine: HelperEngine, labels: Mapping[str, str] | None = None
) -> tuple[SelfUpdater, Container, CheckResult]:
    added = engine.add("colibri", "reg.example/colibri:1", local_image("v1"))
    own = replace(added, labels=dict(labels or {}))
    engine.containers[-1] = own
    result = CheckResult(
        container="colibri",
        image="reg.example/colibri:1",
        status=CheckStatus.UPDATE_AVAILABLE,
        remote_digest=NEW,
        container_id=own.id,
    )
    return SelfUpdater(own.id), own, result


def hand_off(engine: HelperEngine, label: str | None, *, dry_run: bool = False) -> Any:
    labels = {"colibri.enable": "true"}
    if label is not None:
        labels["colibri.self-update"] = label
    updater, own, result = colibri(engine, labels)
    ref = parse_reference(result.image)
    return updater.hand_off(engine, result, own, ref, UpdateOptions(dry_run=dry_run))


def test_only_its_own_container_is_its_business() -> None:
    engine = HelperEngine()
    updater, own, _ = colibri(engine)
    other = engine.add("web", "nginx:1", local_image("web"))
    assert updater.is_own(own) and not updater.is_own(other)


def test_without_the_label_its_own_container_is_skipped_saying_how() -> None:
    engine = HelperEngine()
    outcome = hand_off(engine, None)
    assert outcome.status is RunStatus.SKIPPED
    assert "colibri.self-update=true" in outcome.reason
    assert not engine.pulled and not engine.created


def test_an_unreadable_label_is_an_error_that_names_it() -> None:
    engine = HelperEngine()
    outcome = hand_off(engine, "maybe")
    assert outcome.status is RunStatus.FAILED and "colibri.self-update" in outcome.reason
    assert not engine.created


def test_a_dry_run_starts_nothing() -> None:
    engine = HelperEngine()
    outcome = hand_off(engine, "true", dry_run=True)
    assert outcome.status is RunStatus.WOULD_UPDATE
    assert not engine.pulled and not engine.created


def test_the_helper_runs_the_checked_digest_and_updates_the_container_by_name() -> None:
    engine = HelperEngine()
    outcome = hand_off(engine, "true")
    assert engine.pulled == [("reg.example/colibri", NEW)]
    [(name, body)] = engine.created
    assert name.startswith("colibri-selfupdate-")
    assert body["Image"] == f"reg.example/colibri@{NEW}"
    assert body["Cmd"] == ["update", "colibri", "--format", "json"]
    assert engine.started == ["helper-id"]
    assert outcome.status is RunStatus.SKIPPED and name in outcome.reason
    assert outcome.new_digest == NEW


def test_a_failed_pull_starts_no_helper_and_says_why() -> None:
    engine = HelperEngine(pull_error="manifest unknown")
    outcome = hand_off(engine, "true")
    assert outcome.status is RunStatus.FAILED
    assert "manifest unknown" in outcome.reason
    assert not engine.created


def test_outside_a_container_there_is_no_own_container(tmp_path: Any) -> None:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text("25 1 254:0 / / rw - ext4 /dev/vda rw\n")
    assert own_container_id(mountinfo) is None
    assert own_container_id(tmp_path / "missing") is None
