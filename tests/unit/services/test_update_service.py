"""The update use case over fakes: what a name that is not there means."""

from __future__ import annotations

from dataclasses import replace

from colibri.domain.journal import LockOwner, RunStatus
from colibri.domain.model import (
    DOCKER_MANIFEST,
    CheckResult,
    CheckStatus,
    Container,
    LocalImage,
    RemoteManifest,
)
from colibri.domain.refs import parse_reference
from colibri.errors import EngineError
from colibri.services.check import CheckRequest, CheckService
from colibri.services.update import UpdateService
from colibri.update.model import UpdateOptions
from colibri.update.pipeline import UpdatePipeline
from colibri.update.recovery import Recoverer
from colibri.update.verify import Verifier
from tests.fakes import FakeClock, FakeEngine, FakeRegistry, digest_of, local_image
from tests.unit.services.serve_fakes import T0, FakeJournal

REG = "reg.example:5000"


def service(engine: FakeEngine, journal: FakeJournal) -> UpdateService:
    clock = FakeClock(T0)
    registry = FakeRegistry()
    registry.set_tag(f"{REG}/db:1", RemoteManifest(digest_of("old"), DOCKER_MANIFEST))
    recoverer = Recoverer(engine, journal, Verifier(engine, clock), environment="local")
    return UpdateService(
        CheckService(engine, registry), UpdatePipeline(engine, journal, clock), recoverer
    )


def test_a_name_absent_while_another_update_swaps_it_is_skipped_not_missing() -> None:
    engine, journal = FakeEngine(), FakeJournal(FakeClock(T0))
    engine.add("db", f"{REG}/db:1", local_image("db", f"{REG}/db@{digest_of('old')}"))
    journal.locks["local/web"] = LockOwner("run-elsewhere", "host-a", 4242)
    report = service(engine, journal).update(
        CheckRequest(names=("web", "gone", "db")), UpdateOptions()
    )
    by_name = {outcome.container: outcome for outcome in report.outcomes}
    assert by_name["web"].status is RunStatus.SKIPPED
    assert by_name["web"].reason == "being updated by run run-elsewhere (host-a, pid 4242)"
    assert by_name["db"].status is RunStatus.UP_TO_DATE
    assert report.missing == ("gone",) and "gone" not in by_name


class LosesTheDaemon(FakeEngine):
    """The daemon answers the check, then goes away before the update looks again."""

    def get_container(self, name_or_id: str) -> Container:
        raise EngineError(f"inspect {name_or_id}: daemon not reachable")


def test_a_daemon_gone_before_the_second_look_fails_the_container_and_frees_its_lock() -> None:
    engine, journal = LosesTheDaemon(), FakeJournal(FakeClock(T0))
    engine.add("db", f"{REG}/db:1", local_image("db", f"{REG}/db@{digest_of('older')}"))
    report = service(engine, journal).update(CheckRequest(names=("db",)), UpdateOptions())
    [outcome] = report.outcomes
    assert outcome.status is RunStatus.FAILED
    assert outcome.reason == (
        "cannot inspect db again before updating it: inspect db: daemon not reachable"
    )
    assert journal.locks == {} and journal.runs == {}  # nothing was started


class SwappedAfterListing(FakeEngine):
    """Another update renames ``db`` aside and puts its new copy in place right after this
    process listed the containers for its check (so the check saw the old ``db``)."""

    def __init__(self, new_image: LocalImage) -> None:
        super().__init__()
        self.new_image = new_image

    def list_containers(self, *, include_stopped: bool = False) -> list[Container]:
        listed = super().list_containers(include_stopped=include_stopped)
        if self.calls["list"] == 1:
            [old] = self.containers
            aside = replace(old, name="db-colibri-old-aaaaaaaa", state="exited")
            self.containers = [aside]
            self.add("db", old.config_image, self.new_image)
            self.containers[-1] = replace(self.containers[-1], id="f" * 64)
        return listed


def swapped_engine() -> SwappedAfterListing:
    engine = SwappedAfterListing(local_image("db-new", f"{REG}/db@{digest_of('new')}"))
    engine.add("db", f"{REG}/db:1", local_image("db", f"{REG}/db@{digest_of('older')}"))
    return engine


def test_a_container_swapped_after_the_check_is_not_updated_under_its_aside_name() -> None:
    engine, journal = swapped_engine(), FakeJournal(FakeClock(T0))
    journal.foreign_locks.add("local/db")  # the other update still holds db's lock
    report = service(engine, journal).update(CheckRequest(names=("db",)), UpdateOptions())
    [outcome] = report.outcomes
    assert (outcome.container, outcome.status) == ("db", RunStatus.SKIPPED)
    assert "local/db" in outcome.reason
    assert journal.runs == {} and journal.locks == {}


def test_a_container_swapped_and_released_after_the_check_is_skipped_as_changed() -> None:
    engine, journal = swapped_engine(), FakeJournal(FakeClock(T0))
    report = service(engine, journal).update(CheckRequest(names=("db",)), UpdateOptions())
    [outcome] = report.outcomes
    assert (outcome.container, outcome.status) == ("db", RunStatus.SKIPPED)
    assert outcome.reason == "db changed since it was checked (updated meanwhile?)"
    assert journal.runs == {} and journal.locks == {}


def test_the_pipeline_refuses_a_set_aside_copy_even_when_asked_for_it_directly() -> None:
    engine, journal = FakeEngine(), FakeJournal(FakeClock(T0))
    image = local_image("db", f"{REG}/db@{digest_of('older')}")
    aside = engine.add("db-colibri-old-aaaaaaaa", f"{REG}/db:1", image)
    result = CheckResult(
        aside.name,
        aside.config_image,
        CheckStatus.UPDATE_AVAILABLE,
        remote_digest=digest_of("old"),
        container_id=aside.id,
        checked=aside,
        ref=parse_reference(f"{REG}/db:1"),
    )
    [outcome] = service(engine, journal).pipeline.update([result], UpdateOptions())
    assert outcome.status is RunStatus.SKIPPED
    assert outcome.reason == ("db-colibri-old-aaaaaaaa is a temporary copy made while updating db")
    assert journal.runs == {} and journal.locks == {}
