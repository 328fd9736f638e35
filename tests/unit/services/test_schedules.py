"""ScheduleService over fakes: next run times on create and update, validation, paging."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from colibri.domain.invalid import Invalid
from colibri.domain.settings import AutoUpdateConfig, NewAutoUpdate, Schedule
from colibri.services.schedules import ScheduleService
from tests.fakes import FakeClock
from tests.unit.services.serve_fakes import T0, FakeAutoUpdates, FakeEnvironments


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def service(clock: FakeClock) -> ScheduleService:
    return ScheduleService(FakeAutoUpdates(clock), FakeEnvironments(clock), clock)


def test_create_schedules_the_first_run_from_now(service: ScheduleService) -> None:
    setting = service.create(NewAutoUpdate(1, "web"))  # daily at 03:00 UTC
    assert setting.next_run_at == datetime(2026, 3, 3, 3, 0, tzinfo=UTC)
    paris = AutoUpdateConfig(schedule=Schedule.of("weekly", timezone="Europe/Paris"))
    other = service.create(NewAutoUpdate(1, "db", paris, next_run_at=T0))
    assert other.next_run_at == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # Monday 03:00 CET


def test_a_disabled_setting_has_no_next_run(service: ScheduleService) -> None:
    setting = service.create(NewAutoUpdate(1, "web", AutoUpdateConfig(enabled=False)))
    assert setting.next_run_at is None


def test_an_unknown_environment_is_invalid_naming_it(service: ScheduleService) -> None:
    with pytest.raises(Invalid) as caught:
        service.create(NewAutoUpdate(99, "web"))
    assert caught.value.field == "environment_id"


def test_a_cron_that_never_matches_is_invalid(service: ScheduleService) -> None:
    config = AutoUpdateConfig(schedule=Schedule.of("custom", "0 0 30 2 *"))
    with pytest.raises(Invalid) as caught:
        service.create(NewAutoUpdate(1, "web", config))
    assert caught.value.field == "cron"
    assert "never" in caught.value.reason


def test_update_restarts_the_schedule_from_now(service: ScheduleService, clock: FakeClock) -> None:
    setting = service.create(NewAutoUpdate(1, "web"))
    clock.current = datetime(2026, 3, 5, 5, 0, tzinfo=UTC)
    hourly = AutoUpdateConfig(schedule=Schedule.of("custom", "0 * * * *"))
    changed = service.update(setting.id, hourly)
    assert changed is not None
    assert changed.next_run_at == datetime(2026, 3, 5, 6, 0, tzinfo=UTC)
    disabled = service.update(setting.id, AutoUpdateConfig(enabled=False))
    assert disabled is not None and disabled.next_run_at is None


def test_unknown_ids_give_none_or_false(service: ScheduleService) -> None:
    assert service.get(7) is None
    assert service.update(7, AutoUpdateConfig()) is None
    assert service.delete(7) is False


def test_list_pages_and_refuses_bad_pages(service: ScheduleService) -> None:
    for name in ("c", "a", "b"):
        service.create(NewAutoUpdate(1, name))
    assert [s.container_name for s in service.list(limit=2)] == ["a", "b"]
    assert [s.container_name for s in service.list(1, limit=2, offset=2)] == ["c"]
    with pytest.raises(Invalid, match="limit"):
        service.list(limit=0)
    with pytest.raises(Invalid, match="offset"):
        service.list(offset=-1)


def test_next_runs_default_to_now(service: ScheduleService) -> None:
    runs = service.next_runs(Schedule.of("daily"), 3)
    assert runs == [datetime(2026, 3, d, 3, 0, tzinfo=UTC) for d in (3, 4, 5)]
    with pytest.raises(Invalid, match="count"):
        service.next_runs(Schedule.of("daily"), 0)


def test_describe_cron_uses_the_services_clock(service: ScheduleService) -> None:
    words, runs = service.describe_cron("*/30 * * * *")
    assert words == "Every 30 minutes"
    assert runs[0] == datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
