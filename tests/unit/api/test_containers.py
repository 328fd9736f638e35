"""``/api/containers`` and ``/api/check`` over fakes."""

from __future__ import annotations

import pytest

from colibri.domain.container_status import ContainerStatus
from colibri.domain.environments import Endpoint, NewEnvironment
from colibri.domain.model import CheckStatus
from tests.support.api import ApiClient
from tests.unit.api.fakes import NOW, Fakes


@pytest.fixture(autouse=True)
def containers(fakes: Fakes) -> None:
    for name in ("local", "lan"):
        fakes.environments.create(NewEnvironment(name, Endpoint("unix:///run/docker.sock")))
    fakes.containers.statuses = [
        ContainerStatus(
            1,
            "web",
            "c1",
            "nginx:1.27",
            CheckStatus.UPDATE_AVAILABLE,
            NOW,
            "sha256:old",
            "sha256:new",
        ),
        ContainerStatus(2, "db", "c2", "postgres:16", CheckStatus.UP_TO_DATE, NOW),
    ]


def test_every_container_with_its_last_check(client: ApiClient) -> None:
    listed = client.get("/api/containers").json()
    assert [(c["name"], c["status"]) for c in listed] == [
        ("web", "update_available"),
        ("db", "up_to_date"),
    ]
    assert listed[0]["remote_digest"] == "sha256:new"


def test_filtered_by_environment(client: ApiClient) -> None:
    assert [c["name"] for c in client.get("/api/containers?environment_id=2").json()] == ["db"]


def test_an_unknown_environment_is_a_404(client: ApiClient) -> None:
    for method, url in (("GET", "/api/containers"), ("POST", "/api/check")):
        response = client.request(method, url, params={"environment_id": 9})
        assert (response.status_code, response.json()) == (
            404,
            {"detail": "environment 9 not found"},
        )


def test_check_now_answers_with_what_it_did(client: ApiClient, fakes: Fakes) -> None:
    fakes.containers.known = [1, 2]
    response = client.post("/api/check", params={"environment_id": 1})
    assert response.status_code == 200
    assert response.json() == {
        "checked": 2,
        "updates_available": 0,
        "environments": [
            {
                "environment_id": 1,
                "environment": "env1",
                "checked": 2,
                "counts": {"up_to_date": 2},
                "error": None,
            }
        ],
    }
    assert client.post("/api/check").json()["checked"] == 4
    assert fakes.containers.checked == [1, None]


def test_bad_digests_are_listed_and_cleared_with_an_audit_entry(
    client: ApiClient, fakes: Fakes
) -> None:
    from datetime import UTC, datetime

    from colibri.domain.bad_digests import BadDigest
    from colibri.domain.environments import Endpoint, NewEnvironment
    from colibri.domain.journal import RunStatus

    if fakes.environments.find("local") is None:
        fakes.environments.create(NewEnvironment("local", Endpoint("unix:///var/run/docker.sock")))
    digest = "sha256:" + "d" * 64
    at = datetime(2026, 3, 1, tzinfo=UTC)
    fakes.bad_digests.records.append(
        BadDigest(1, "web", digest, RunStatus.ROLLED_BACK, "unhealthy", "r1", at)
    )
    [listed] = client.get("/api/bad-digests").json()
    assert (listed["container_name"], listed["digest"], listed["run_id"]) == ("web", digest, "r1")
    url = "/api/containers/local/web/bad-digests"
    assert client.delete(url, params={"digest": "sha256:" + "e" * 64}).json() == {"cleared": 0}
    assert client.delete(url).json() == {"cleared": 1}
    assert client.get("/api/bad-digests").json() == []
    [entry] = fakes.audit_store.entries
    assert (entry.action, entry.resource, entry.resource_id) == ("clear", "bad_digest", "local/web")
    assert client.delete("/api/containers/nowhere/web/bad-digests").status_code == 404


def test_each_container_shows_its_effective_schedule_and_where_it_comes_from(
    client: ApiClient, fakes: Fakes
) -> None:
    from datetime import UTC, datetime

    from colibri.domain.container_status import ContainerStatus
    from colibri.domain.journal import RunStatus
    from colibri.domain.model import CheckStatus
    from colibri.domain.service_plan import ContainerPlan, LabelSlot, Mode, ScheduleSource

    at = datetime(2026, 3, 1, tzinfo=UTC)
    for name in ("labelled", "plain", "ignored"):
        fakes.containers.statuses.append(
            ContainerStatus(1, name, "c", "app:1", CheckStatus.UPDATE_AVAILABLE, at)
        )
    monitor = ContainerPlan("* * * * *", "UTC", ScheduleSource.LABEL, Mode.NOTIFY)
    fakes.plans.slots += [
        LabelSlot(1, "labelled", monitor, at, at, "r9", RunStatus.SKIPPED),
        LabelSlot(1, "plain", ContainerPlan("0 3 * * *", "Europe/Paris", ScheduleSource.DEFAULT)),
    ]
    shown = {c["name"]: c["schedule"] for c in client.get("/api/containers").json()}
    assert shown["ignored"] is None
    assert (shown["labelled"]["source"], shown["labelled"]["mode"]) == ("label", "notify")
    assert shown["labelled"]["last_status"] == "skipped"
    assert shown["labelled"]["cron_expression"] == "* * * * *"
    assert (shown["plain"]["source"], shown["plain"]["timezone"]) == ("default", "Europe/Paris")


def test_a_container_or_a_selection_is_updated_now_as_one_batch_each(
    client: ApiClient, fakes: Fakes
) -> None:
    from colibri.domain.environments import Endpoint, NewEnvironment
    from colibri.domain.service_plan import ContainerPlan, LabelSlot, Mode, ScheduleSource

    if fakes.environments.find("local") is None:
        fakes.environments.create(NewEnvironment("local", Endpoint("unix:///var/run/docker.sock")))
    one = client.post("/api/containers/local/web/update", json={"dry_run": True})
    assert one.status_code == 202, one.text
    assert list(one.json()["runs"]) == ["local/web"]
    plan = ContainerPlan("0 3 * * *", "UTC", ScheduleSource.DEFAULT)
    fakes.plans.slots += [
        LabelSlot(1, "db", plan),
        LabelSlot(
            1, "watched", ContainerPlan("0 3 * * *", "UTC", ScheduleSource.LABEL, Mode.NOTIFY)
        ),
    ]
    many = client.post("/api/updates", json={"containers": [{"name": "cache"}], "all": True}).json()
    assert sorted(many["runs"]) == ["local/cache", "local/db"]  # the monitor-only one is left out
    assert fakes.runs.batches == [("local", ("web",), True), ("local", ("cache", "db"), False)]
    missing = client.post(
        "/api/updates", json={"containers": [{"environment": "mars", "name": "x"}]}
    )
    assert missing.status_code == 404
