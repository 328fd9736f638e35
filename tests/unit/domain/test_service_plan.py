"""What the service does with an opted-in container: when, from where, how."""

from __future__ import annotations

import pytest

from colibri.domain.invalid import Invalid
from colibri.domain.service_plan import ContainerPlan, Mode, ScheduleSource, plan_for


def plan(labels: dict[str, str], setting: tuple[str, str] | None = None) -> ContainerPlan:
    return plan_for(labels, setting_cron=setting, default_cron="0 3 * * *", timezone="Europe/Paris")


def test_the_default_schedule_labels_and_settings_in_that_order() -> None:
    assert plan({}) == ContainerPlan("0 3 * * *", "Europe/Paris", ScheduleSource.DEFAULT)
    assert plan({"colibri.schedule": "weekly"}).cron == "0 3 * * 1"
    labelled = plan({"colibri.schedule": "*/5  * * * *"})
    assert (labelled.cron, labelled.source) == ("*/5 * * * *", ScheduleSource.LABEL)
    overridden = plan({"colibri.schedule": "* * * * *"}, ("0 1 * * *", "UTC"))
    assert (overridden.cron, overridden.timezone, overridden.source) == (
        "0 1 * * *",
        "UTC",
        ScheduleSource.SETTING,
    )


def test_monitor_only_from_colibri_or_watchtower_labels() -> None:
    assert plan({"colibri.mode": "notify"}).mode is Mode.NOTIFY
    watchtower = {"com.centurylinklabs.watchtower.monitor-only": "true"}
    assert plan(watchtower).mode is Mode.NOTIFY
    assert plan({**watchtower, "colibri.mode": "update"}).mode is Mode.UPDATE  # ours first
    assert plan({}).mode is Mode.UPDATE


def test_cleanup_is_on_unless_a_label_or_the_service_says_no() -> None:
    assert plan({}).cleanup is True
    assert plan({"colibri.cleanup": "false"}).cleanup is False
    off = plan_for({}, setting_cron=None, default_cron="0 3 * * *", timezone="UTC", cleanup=False)
    assert off.cleanup is False


@pytest.mark.parametrize(
    ("labels", "named"),
    [
        ({"colibri.schedule": "61 * * * *"}, "colibri.schedule"),
        ({"colibri.schedule": "hourly"}, "colibri.schedule"),
        ({"colibri.mode": "watch"}, "colibri.mode"),
        ({"com.centurylinklabs.watchtower.monitor-only": "maybe"}, "watchtower.monitor-only"),
        ({"colibri.cleanup": "sometimes"}, "colibri.cleanup"),
    ],
)
def test_a_label_that_cannot_be_read_is_refused_by_name(labels: dict[str, str], named: str) -> None:
    with pytest.raises(Invalid) as raised:
        plan(labels)
    assert named in raised.value.field


def test_a_scoped_service_plans_only_its_containers() -> None:
    from colibri.domain.service_plan import in_scope

    assert in_scope({}, "") and not in_scope({"colibri.scope": "lab"}, "")
    assert in_scope({"colibri.scope": "lab"}, "lab") and not in_scope({}, "lab")
