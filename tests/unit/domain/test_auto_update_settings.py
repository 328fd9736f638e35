"""Auto-update settings: schedules and their defaults, time zones, gate options, policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from colibri.domain.criteria import Criteria, Level, OnFailure, UnknownAs
from colibri.domain.invalid import Invalid
from colibri.domain.journal import RunStatus
from colibri.domain.settings import (
    DEFAULT_CRONS,
    FAILED_STATUSES,
    AutoUpdateConfig,
    AutoUpdateSetting,
    GateOptions,
    NewAutoUpdate,
    Schedule,
    ScheduleType,
    SettingCriteria,
    UpdatePolicy,
    check_timezone,
)
from colibri.domain.versions import VersionPolicy

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


def test_daily_and_weekly_are_visible_crons() -> None:
    assert DEFAULT_CRONS[ScheduleType.DAILY] == "0 3 * * *"
    assert DEFAULT_CRONS[ScheduleType.WEEKLY] == "0 3 * * 1"
    assert Schedule.of("daily").cron == "0 3 * * *"
    assert Schedule.of("Weekly", timezone="Europe/Paris") == Schedule(
        ScheduleType.WEEKLY, "0 3 * * 1", "Europe/Paris"
    )


def test_a_custom_schedule_keeps_its_cron_normalised() -> None:
    schedule = Schedule.of("custom", " 30  2 * * 0 ")
    assert (schedule.type, schedule.cron, schedule.timezone) == (
        ScheduleType.CUSTOM,
        "30 2 * * 0",
        "UTC",
    )


def test_a_custom_schedule_needs_a_cron() -> None:
    with pytest.raises(Invalid, match="needs a cron") as raised:
        Schedule.of("custom")
    assert raised.value.field == "cron"


def test_daily_with_another_cron_points_to_custom() -> None:
    with pytest.raises(Invalid, match="choose schedule_type custom") as raised:
        Schedule.of("daily", "0 5 * * *")
    assert raised.value.field == "cron"


def test_an_unknown_schedule_type_lists_the_known_ones() -> None:
    with pytest.raises(Invalid, match="'hourly' is not one of daily, weekly, custom") as raised:
        Schedule.of("hourly")
    assert raised.value.field == "schedule_type"


def test_a_bad_cron_is_refused_with_its_field() -> None:
    with pytest.raises(Invalid, match="hour field") as raised:
        Schedule.of("custom", "0 25 * * *")
    assert raised.value.field == "cron"


@pytest.mark.parametrize("name", ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires"])
def test_iana_time_zones_are_accepted(name: str) -> None:
    assert check_timezone(name) == name
    assert str(Schedule.of("daily", timezone=name).zone) == name


@pytest.mark.parametrize(
    "name", ["", "utc", "Europe", "Mars/Olympus", "../etc", "/etc/x", "x" * 80]
)
def test_unknown_time_zones_are_refused(name: str) -> None:
    with pytest.raises(Invalid) as raised:
        Schedule.of("daily", timezone=name or "nowhere")
    assert raised.value.field == "timezone"
    with pytest.raises(Invalid):
        check_timezone(name)


def test_policies_map_to_version_policies() -> None:
    assert UpdatePolicy.DIGEST.version_policy is None
    assert UpdatePolicy.MINOR.version_policy is VersionPolicy.MINOR
    assert {p.value for p in UpdatePolicy} == {"digest", "patch", "minor", "major", "all"}


def test_the_config_defaults_and_parses_its_choices() -> None:
    config = AutoUpdateConfig()
    assert config.schedule == Schedule.of("daily")
    assert (config.enabled, config.criteria, config.policy, config.notify) == (
        True,
        SettingCriteria.INHERIT,
        UpdatePolicy.DIGEST,
        True,
    )
    parsed = AutoUpdateConfig(criteria="High", policy="minor")  # type: ignore[arg-type]
    assert (parsed.criteria, parsed.policy) == (SettingCriteria.HIGH, UpdatePolicy.MINOR)
    assert (parsed.criteria.level, SettingCriteria.NEVER.level) == (Level.HIGH, Level.NEVER)
    assert SettingCriteria.INHERIT.level is None
    with pytest.raises(Invalid, match="policy"):
        AutoUpdateConfig(policy="latest")  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="criteria"):
        AutoUpdateConfig(criteria="severe")  # type: ignore[arg-type]


def test_gate_options_round_trip_and_fill_defaults() -> None:
    options = GateOptions(
        only_fixable=True,
        not_worse_than_running=True,
        unknown_as=UnknownAs.HIGH,
        on_failure=OnFailure.WARN,
        require_signature=True,
    )
    assert GateOptions.from_dict(options.to_dict()) == options
    assert GateOptions.from_dict({}) == GateOptions()
    assert set(GateOptions().to_dict()) == {
        "only_fixable",
        "not_worse_than_running",
        "unknown_as",
        "on_failure",
        "require_signature",
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"only_fixable": "yes"}, "gate.only_fixable"),
        ({"require_signature": 1}, "gate.require_signature"),
        ({"unknown_as": "severe"}, "gate.unknown_as"),
        ({"on_failure": "ignore"}, "gate.on_failure"),
        ({"ignore": []}, "gate.ignore"),
    ],
)
def test_wrong_gate_options_name_the_option(data: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as raised:
        GateOptions.from_dict(data)
    assert raised.value.field == field


def test_the_gate_criteria_combine_level_and_options() -> None:
    config = AutoUpdateConfig(
        criteria=Level.HIGH, gate=GateOptions(only_fixable=True, on_failure=OnFailure.WARN)
    )
    assert config.gate_criteria() == Criteria(
        Level.HIGH, only_fixable=True, on_failure=OnFailure.WARN
    )


def test_a_new_setting_checks_its_container_name_and_time() -> None:
    assert NewAutoUpdate(1, "/web").container_name == "web"
    with pytest.raises(Invalid) as raised:
        NewAutoUpdate(1, "bad name")
    assert raised.value.field == "container_name"
    with pytest.raises(Invalid) as raised:
        NewAutoUpdate(1, "web", next_run_at=datetime(2030, 1, 1))
    assert raised.value.field == "next_run_at"


def test_a_setting_is_due_when_enabled_and_its_time_has_come() -> None:
    def setting(next_run_at: datetime | None, enabled: bool = True) -> AutoUpdateSetting:
        return AutoUpdateSetting(
            1, 1, "web", AutoUpdateConfig(enabled=enabled), NOW, NOW, next_run_at=next_run_at
        )

    assert setting(NOW).is_due(NOW)
    assert not setting(NOW + timedelta(seconds=1)).is_due(NOW)
    assert not setting(None).is_due(NOW)
    assert not setting(NOW, enabled=False).is_due(NOW)


def test_failures_are_failed_and_rolled_back_runs_only() -> None:
    assert {RunStatus.FAILED, RunStatus.ROLLED_BACK} == FAILED_STATUSES
