"""The names of the copies an update makes for a moment, and how selection leaves them out."""

from __future__ import annotations

import pytest

from colibri.domain.model import Container
from colibri.domain.policy import select_containers
from colibri.domain.transient import aside_name, new_name, replaced_by

RUN = "3f9a0c1d" + "e" * 24


def test_both_copies_name_the_container_and_the_run() -> None:
    assert new_name("web", RUN) == "web-colibri-new-3f9a0c1d"
    assert aside_name("web", RUN) == "web-colibri-old-3f9a0c1d"
    assert replaced_by(new_name("web", RUN)) == "web"
    assert replaced_by(aside_name("my-colibri-app", RUN)) == "my-colibri-app"
    assert replaced_by("/" + aside_name("db", RUN)) == "db"  # as the daemon lists names


@pytest.mark.parametrize(
    "name",
    [
        "web",
        "colibri",
        "web-colibri-new",
        "web-colibri-new-3f9a0c1",  # seven characters
        "web-colibri-new-3f9a0c1dd",  # nine
        "web-colibri-new-NOTAHEX1",
        "web-colibri-newer-3f9a0c1d",
        "-colibri-old-3f9a0c1d",  # no container name before it
    ],
)
def test_ordinary_names_are_not_copies(name: str) -> None:
    assert replaced_by(name) is None


def _container(name: str, state: str = "running", **labels: str) -> Container:
    return Container(name + "-id", name, "app:1", "sha256:x", labels, state)


def test_selection_never_picks_a_copy_by_label_flag_or_name() -> None:
    enabled = {"colibri.enable": "true"}
    pool = [
        _container("web", **enabled),
        _container(aside_name("web", RUN), **enabled),  # the old one, set aside and running
        _container(new_name("web", RUN), "created", **enabled),
    ]
    for selection in (
        select_containers(pool),
        select_containers(pool, include_stopped=True),
        select_containers(pool, all_running=True),
        select_containers(pool, names=["web", aside_name("web", RUN), new_name("web", RUN)]),
    ):
        assert [c.name for c in selection.containers] == ["web"]
        reason = selection.excluded[aside_name("web", RUN)]
        assert reason == "a temporary copy made while updating web"
