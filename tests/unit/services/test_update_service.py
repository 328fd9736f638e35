"""The update use case over fakes: what a name that is not there means."""

from __future__ import annotations

from colibri.domain.journal import LockOwner, RunStatus
from colibri.domain.model import DOCKER_MANIFEST, Container, RemoteManifest
from colibri.errors import EngineError
from colibri.services.check import CheckRequest, CheckService
from colibri.services.update import UpdateService
from colibri.update.executor import Executor, UpdateOptions
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
        CheckService(engine, registry), Executor(engine, journal, clock), recoverer
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
