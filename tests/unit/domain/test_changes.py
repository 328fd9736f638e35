"""What changed: versions, age, forge links from OCI labels, and the update kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from colibri.domain.changes import (
    CREATED_LABEL,
    REVISION_LABEL,
    SOURCE_LABEL,
    URL_LABEL,
    VERSION_LABEL,
    UpdateKind,
    describe_changes,
    forge_of,
    update_kind,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
OLD = "1111111aaaaaaa"
NEW = "2222222bbbbbbb"


def labels(
    version: str, revision: str, source: str = "https://github.com/acme/web"
) -> dict[str, str]:
    return {VERSION_LABEL: version, REVISION_LABEL: revision, SOURCE_LABEL: source}


def test_github_source_gives_compare_and_release_links() -> None:
    changes = describe_changes(
        labels("1.27.0", OLD),
        {**labels("1.28.0", NEW), CREATED_LABEL: "2026-12-01T12:00:00Z"},
        now=NOW,
        current_tag="1.27.0",
        target_tag="1.28.0",
    )
    assert changes.old_version == "1.27.0"
    assert changes.new_version == "1.28.0"
    assert changes.compare_url == f"https://github.com/acme/web/compare/{OLD}...{NEW}"
    assert changes.release_url == "https://github.com/acme/web/releases/tag/1.28.0"
    assert changes.link == changes.compare_url
    assert changes.age == timedelta(days=3)
    assert changes.kind is UpdateKind.MINOR
    assert changes.summary() == f"1.27.0 -> 1.28.0 (minor, built 3d ago) {changes.compare_url}"


def test_same_revision_gives_only_the_release_link() -> None:
    changes = describe_changes(labels("1", OLD), labels("2", OLD), now=NOW)
    assert changes.compare_url is None
    assert changes.link == "https://github.com/acme/web/releases/tag/2"
    assert changes.kind is UpdateKind.DIGEST


@pytest.mark.parametrize(
    ("source", "base"),
    [
        ("https://github.com/acme/web", "https://github.com/acme/web"),
        ("https://github.com/acme/web.git", "https://github.com/acme/web"),
        ("https://github.com/acme/web/tree/main/docker", "https://github.com/acme/web"),
        ("git+https://github.com/acme/web.git", "https://github.com/acme/web"),
        ("git@github.com:acme/web.git", "https://github.com/acme/web"),
        ("https://gitlab.com/group/sub/proj", "https://gitlab.com/group/sub/proj"),
        ("https://gitlab.com/group/proj/-/tree/main", "https://gitlab.com/group/proj"),
        ("https://gitlab.example.org/ops/app", "https://gitlab.example.org/ops/app"),
        ("https://codeberg.org/forgejo/forgejo", "https://codeberg.org/forgejo/forgejo"),
        ("https://gitea.example.com:3000/me/app", "https://gitea.example.com:3000/me/app"),
    ],
)
def test_forges_are_recognised_from_the_source_label(source: str, base: str) -> None:
    forge = forge_of(source)
    assert forge is not None
    assert forge.base == base


@pytest.mark.parametrize(
    "source",
    ["https://example.com/acme/web", "https://github.com/acme", "ftp://github.com/a/b", "", None],
)
def test_unknown_or_incomplete_sources_give_no_forge(source: str | None) -> None:
    assert forge_of(source) is None


def test_gitlab_and_gitea_link_forms() -> None:
    gitlab = describe_changes(
        labels("1.0", OLD, "https://gitlab.com/g/p"),
        labels("1.1", NEW, "https://gitlab.com/g/p"),
        now=NOW,
    )
    assert gitlab.compare_url == f"https://gitlab.com/g/p/-/compare/{OLD}...{NEW}"
    assert gitlab.release_url == "https://gitlab.com/g/p/-/releases/1.1"
    gitea = describe_changes({}, labels("v2", NEW, "https://codeberg.org/o/r"), now=NOW)
    assert gitea.compare_url is None  # no old revision
    assert gitea.release_url == "https://codeberg.org/o/r/releases/tag/v2"


def test_url_label_is_used_when_source_is_missing() -> None:
    changes = describe_changes(
        {}, {URL_LABEL: "https://github.com/a/b", VERSION_LABEL: "3"}, now=NOW
    )
    assert changes.release_url == "https://github.com/a/b/releases/tag/3"


def test_hostile_label_values_are_not_put_into_links() -> None:
    changes = describe_changes(labels("1", "abc"), labels("1.0/../../x?y", "<script>"), now=NOW)
    assert changes.compare_url is None  # the new revision is not a revision
    assert changes.release_url == "https://github.com/acme/web/releases/tag/1.0%2F..%2F..%2Fx%3Fy"


def test_no_labels_give_an_empty_description_with_the_target_tag() -> None:
    changes = describe_changes({}, {}, now=NOW, current_tag="1.2", target_tag="2.0")
    assert changes.old_version == "1.2"
    assert changes.new_version == "2.0"
    assert changes.link is None
    assert changes.age is None
    assert changes.kind is UpdateKind.MAJOR


@pytest.mark.parametrize(
    ("current", "target", "kind"),
    [
        ("latest", None, UpdateKind.DIGEST),
        ("1.2.3", "1.2.3", UpdateKind.DIGEST),
        ("1.2.3", "1.2.4", UpdateKind.PATCH),
        ("1.2.3", "1.3.0", UpdateKind.MINOR),
        ("1.2.3", "2.0.0", UpdateKind.MAJOR),
        ("v1.2", "v1.2.1", UpdateKind.PATCH),
        ("17-alpine", "18-alpine", UpdateKind.MAJOR),
        ("1.2.3-ls10", "1.2.3-ls11", UpdateKind.PATCH),
        ("stable", "1.0.0", None),
    ],
)
def test_update_kind(current: str, target: str | None, kind: UpdateKind | None) -> None:
    assert update_kind(current, target) is kind
