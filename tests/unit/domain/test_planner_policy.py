"""Update order, dependents, and which containers are selected."""

from __future__ import annotations

import pytest

from colibri.domain.model import Container
from colibri.domain.orchestrated import orchestrated_by
from colibri.domain.planner import Dependents, dependents_of, update_order
from colibri.domain.policy import OptIn, opt_in, select_containers


def container(name: str, *, mode: str = "", state: str = "running", **labels: str) -> Container:
    return Container(
        id=name * 8,
        name=name,
        config_image="app:1",
        image_id="sha256:x",
        labels={
            k.replace("_", ".").replace("depends.on", "depends-on"): v for k, v in labels.items()
        },
        state=state,
        network_mode=mode,
    )


def test_dependencies_come_first_and_cycles_do_not_hang() -> None:
    db = container("db")
    web = container("web", colibri_depends_on="db")
    side = container("side", mode=f"container:{web.id}")
    assert [c.name for c in update_order([side, web, db])] == ["db", "web", "side"]
    a, b = container("a", colibri_depends_on="b"), container("b", colibri_depends_on="a")
    assert {c.name for c in update_order([a, b])} == {"a", "b"}


def test_dependents_are_split_into_recreate_and_restart() -> None:
    web = container("web")
    found = dependents_of(
        web,
        [
            web,
            container("side", mode=f"container:{web.id}"),
            container("api", colibri_depends_on="db, web"),
            container("x"),
        ],
    )
    assert [c.name for c in found.recreate] == ["side"]
    assert [c.name for c in found.restart] == ["api"]


def test_another_updates_temporary_copies_are_not_dependents() -> None:
    web = container("web")
    copies = [
        container("side-colibri-old-0123abcd", mode=f"container:{web.id}", state="exited"),
        container("side-colibri-new-0123abcd", mode=f"container:{web.id}", state="created"),
        container("api-colibri-new-89abcdef", colibri_depends_on="web"),
    ]
    assert dependents_of(web, [web, *copies]) == Dependents()


def test_opt_in_labels_and_their_precedence() -> None:
    assert opt_in({"colibri.enable": "true"}).state is OptIn.ENABLED
    assert opt_in({"io.containers.autoupdate": "registry"}).state is OptIn.ENABLED
    assert opt_in({"io.containers.autoupdate": "image"}).state is OptIn.ENABLED
    assert opt_in({"io.containers.autoupdate": ""}).state is OptIn.UNSET  # podman's default
    assert opt_in({"com.centurylinklabs.watchtower.enable": "false"}).state is OptIn.DISABLED
    both = {"colibri.enable": "true", "com.centurylinklabs.watchtower.enable": "false"}
    assert opt_in(both).state is OptIn.ENABLED
    unreadable = opt_in({"colibri.enable": "yes please"})
    assert unreadable.state is OptIn.INVALID and "colibri.enable" in unreadable.reason


PODMAN_WORDS = (
    'label io.containers.autoupdate: invalid auto-update policy "{}": '
    'valid policies are ["disabled" "image" "local" "registry"]'
)


@pytest.mark.parametrize("value", ["registy", "Registry", "REGISTRY", " registry", "true"])
def test_a_podman_policy_podman_refuses_is_an_error_in_podmans_words(value: str) -> None:
    verdict = opt_in({"io.containers.autoupdate": value})
    assert verdict.state is OptIn.INVALID
    assert verdict.reason == PODMAN_WORDS.format(value)


@pytest.mark.parametrize("value", ["disabled", "local"])
def test_podman_disabled_and_local_opt_out(value: str) -> None:
    verdict = opt_in({"io.containers.autoupdate": value})
    assert verdict.state is OptIn.DISABLED
    assert f"io.containers.autoupdate={value}" in verdict.reason


def test_an_opt_out_wins_over_an_unreadable_label_and_own_label_decides() -> None:
    labels = {"io.containers.autoupdate": "disabled", "com.centurylinklabs.watchtower.enable": "?"}
    assert opt_in(labels).state is OptIn.DISABLED
    own = opt_in({"colibri.enable": "true", "io.containers.autoupdate": "regsitry"})
    assert own.state is OptIn.ENABLED and "invalid auto-update policy" in own.warnings[0]


def test_unreadable_labels_are_errors_in_every_selection_mode() -> None:
    typo = container("typo", io_containers_autoupdate="Registry")
    wrong = container("wrong", com_centurylinklabs_watchtower_enable="sure")
    for selection in (
        select_containers([typo, wrong]),
        select_containers([typo, wrong], all_running=True),
        select_containers([typo, wrong], names=["typo", "wrong"]),
    ):
        assert selection.containers == ()
        assert [
            (c.name, "is not true or false" in why or "Registry" in why)
            for c, why in selection.invalid
        ] == [
            ("typo", True),
            ("wrong", True),
        ]


def test_podman_disabled_is_an_opt_out_under_all_and_by_name() -> None:
    off = container("off", io_containers_autoupdate="disabled")
    for selection in (
        select_containers([off], all_running=True),
        select_containers([off], names=["off"]),
    ):
        assert selection.containers == ()
        assert "io.containers.autoupdate=disabled" in selection.excluded["off"]


@pytest.mark.parametrize(
    ("labels", "words"),
    [
        (
            {"com.docker.swarm.task.id": "t1", "com.docker.swarm.service.name": "web"},
            "Swarm task of web",
        ),
        ({"PODMAN_SYSTEMD_UNIT": "container-web.service"}, "systemd unit container-web.service"),
        (
            {"io.kubernetes.pod.uid": "u1", "io.kubernetes.pod.name": "web-0"},
            "Kubernetes pod web-0",
        ),
    ],
)
def test_orchestrated_containers_are_skipped_with_the_reason_even_under_all(
    labels: dict[str, str], words: str
) -> None:
    task = Container(
        "c" * 64, "task", "app:1", "sha256:" + "a" * 64, {"colibri.enable": "true", **labels}
    )
    for selection in (
        select_containers([task]),
        select_containers([task], all_running=True),
        select_containers([task], names=["task"]),
    ):
        assert selection.containers == ()
        assert words in selection.excluded["task"]
    assert orchestrated_by(labels) == select_containers([task]).excluded["task"]


def test_an_opt_out_is_reported_as_the_opt_out() -> None:
    task = container("t", colibri_enable="false")
    assert (
        select_containers([task], all_running=True).excluded["t"]
        == "excluded by label (colibri.enable=false)"
    )
    assert orchestrated_by({}) is None


def test_selection_rules() -> None:
    pool = [
        container("on", colibri_enable="true"),
        container("off", colibri_enable="false"),
        container("plain"),
        container("sleeping", state="exited", colibri_enable="true"),
    ]
    assert [c.name for c in select_containers(pool).containers] == ["on"]
    assert [c.name for c in select_containers(pool, include_stopped=True).containers] == [
        "on",
        "sleeping",
    ]
    every = select_containers(pool, all_running=True)
    assert [c.name for c in every.containers] == ["on", "plain"] and "off" in every.excluded
    named = select_containers(pool, names=["sleeping", "nope", "off"])
    assert [c.name for c in named.containers] == ["sleeping"]
    assert named.missing == ("nope",) and "off" in named.excluded


def test_a_probe_that_cannot_work_is_an_error_at_check_time() -> None:
    isolated = container("iso", mode="none", colibri_enable="true", colibri_probe="tcp://:80")
    selection = select_containers([isolated])
    assert selection.containers == ()
    assert [(c.name, "network_mode none" in why) for c, why in selection.invalid] == [("iso", True)]


def test_a_container_in_a_podman_pod_is_skipped_naming_the_pod() -> None:
    member = Container("p1", "member", "app:1", "sha256:a", {"colibri.enable": "true"}, pod="web")
    solo = Container("s1", "solo", "app:1", "sha256:a", {"colibri.enable": "true"})
    selection = select_containers([member, solo])
    assert [c.name for c in selection.containers] == ["solo"]
    assert selection.excluded["member"] == (
        "in the podman pod web: it shares the pod's namespaces (update the pod)"
    )
