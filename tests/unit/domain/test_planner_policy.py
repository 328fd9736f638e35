"""Update order, dependents, and which containers are selected."""

from __future__ import annotations

from colibri.domain.model import Container
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
    assert opt_in({"colibri.enable": "true"})[0] is OptIn.ENABLED
    assert opt_in({"io.containers.autoupdate": "registry"})[0] is OptIn.ENABLED
    assert opt_in({"io.containers.autoupdate": "local"})[0] is OptIn.UNSET
    assert opt_in({"com.centurylinklabs.watchtower.enable": "false"})[0] is OptIn.DISABLED
    both = {"colibri.enable": "true", "com.centurylinklabs.watchtower.enable": "false"}
    assert opt_in(both)[0] is OptIn.ENABLED
    state, warnings = opt_in({"colibri.enable": "yes please"})
    assert state is OptIn.UNSET and "colibri.enable" in warnings[0]


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
