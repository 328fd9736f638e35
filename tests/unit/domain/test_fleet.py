"""The fleet's figures: containers per status per environment, and the last check's age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from colibri.domain.container_status import ContainerStatus
from colibri.domain.fleet import figures, fleet_status
from colibri.domain.journal import RunStatus
from colibri.domain.model import CheckStatus

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def _status(env: int, name: str, status: CheckStatus, age: int) -> ContainerStatus:
    return ContainerStatus(env, name, "c", "app:1", status, NOW - timedelta(seconds=age))


def test_a_pending_update_counts_under_what_stopped_it() -> None:
    available = CheckStatus.UPDATE_AVAILABLE
    assert fleet_status(available, RunStatus.BLOCKED) == "blocked"
    assert fleet_status(available, RunStatus.ROLLED_BACK) == "rolled_back"
    assert fleet_status(available, RunStatus.UPDATED) == "update_available"  # a newer one
    assert fleet_status(available, None) == "update_available"
    assert fleet_status(CheckStatus.UP_TO_DATE, RunStatus.FAILED) == "up_to_date"


def test_figures_per_environment_with_the_newest_check() -> None:
    statuses = [
        _status(1, "web", CheckStatus.UPDATE_AVAILABLE, 30),
        _status(1, "db", CheckStatus.UPDATE_AVAILABLE, 10),
        _status(1, "cache", CheckStatus.UP_TO_DATE, 20),
        _status(9, "ghost", CheckStatus.ERROR, 5),  # an environment that is gone
    ]
    edge, local = figures({1: "local", 2: "edge"}, statuses, {("local", "db"): RunStatus.FAILED})
    assert (local.environment, dict(local.counts)) == (
        "local",
        {"update_available": 1, "failed": 1, "up_to_date": 1},
    )
    assert local.check_age(NOW) == 10.0
    assert (edge.environment, dict(edge.counts), edge.check_age(NOW)) == ("edge", {}, None)
