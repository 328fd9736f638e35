"""Container statuses: the last check of each container, built from a check result."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from colibri.domain.container_status import ContainerStatus
from colibri.domain.invalid import Invalid
from colibri.domain.model import CheckResult, CheckStatus

AT = datetime(2030, 1, 1, tzinfo=UTC)


def test_a_check_result_becomes_a_status() -> None:
    result = CheckResult(
        container="/web",
        image="nginx:1.25",
        status=CheckStatus.UPDATE_AVAILABLE,
        reason="tag moved",
        current_digest="sha256:" + "a" * 64,
        remote_digest="sha256:" + "b" * 64,
        container_id="c0ffee",
    )

    status = ContainerStatus.from_check(result, environment_id=3, checked_at=AT)

    assert status == ContainerStatus(
        environment_id=3,
        container_name="web",
        container_id="c0ffee",
        image="nginx:1.25",
        status=CheckStatus.UPDATE_AVAILABLE,
        checked_at=AT,
        current_digest="sha256:" + "a" * 64,
        remote_digest="sha256:" + "b" * 64,
        reason="tag moved",
    )


def test_statuses_come_from_the_check_vocabulary() -> None:
    status = ContainerStatus(1, "web", "id", "nginx", "deferred", AT)  # type: ignore[arg-type]
    assert status.status is CheckStatus.DEFERRED
    with pytest.raises(Invalid) as raised:
        ContainerStatus(1, "web", "id", "nginx", "broken", AT)  # type: ignore[arg-type]
    assert raised.value.field == "status"


def test_the_check_time_is_aware() -> None:
    with pytest.raises(Invalid) as raised:
        ContainerStatus(1, "web", "id", "nginx", CheckStatus.ERROR, datetime(2030, 1, 1))
    assert raised.value.field == "checked_at"
