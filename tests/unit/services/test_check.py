"""The check use case over fake ports: statuses, reasons and what it costs the registry."""

from __future__ import annotations

from colibri.domain.model import DOCKER_MANIFEST, CheckStatus, RemoteManifest
from colibri.errors import RateLimited, RegistryAuthError
from colibri.services.check import CheckRequest, CheckService
from tests.fakes import AMD64, ARM64, FakeEngine, FakeRegistry, digest_of, index_of, local_image

REG = "reg.example:5000"
A, B = digest_of("A"), digest_of("B")


def manifest(digest: str) -> RemoteManifest:
    return RemoteManifest(digest, DOCKER_MANIFEST)


def run(engine: FakeEngine, registry: FakeRegistry, **request: object) -> dict[str, object]:
    service = CheckService(engine, registry, concurrency=4)
    report = service.check(CheckRequest(**request))  # type: ignore[arg-type]
    return {r.container: r for r in report.results}


def test_it_reports_up_to_date_when_the_tag_still_points_at_the_running_digest() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    engine.add("web", f"{REG}/app:1", local_image("a", f"{REG}/app@{A}"), colibri_enable="true")
    registry.set_tag(f"{REG}/app:1", manifest(A))
    result = run(engine, registry)["web"]
    assert result.status is CheckStatus.UP_TO_DATE
    assert result.current_digest == A and result.remote_digest == A
    assert registry.requests["GET"] == 0


def test_it_reports_an_update_when_the_tag_moved() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    engine.add("web", f"{REG}/app:1", local_image("a", f"{REG}/app@{A}"), colibri_enable="true")
    registry.set_tag(f"{REG}/app:1", manifest(B))
    result = run(engine, registry)["web"]
    assert result.status is CheckStatus.UPDATE_AVAILABLE
    assert (result.current_digest, result.remote_digest) == (A, B)


def test_many_containers_on_one_tag_cost_one_head() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    for index in range(20):
        image = local_image(f"a{index % 3}", f"{REG}/app@{A}")
        engine.add(f"c{index}", f"{REG}/app:1", image, colibri_enable="true")
    registry.set_tag(f"{REG}/app:1", manifest(A))
    results = run(engine, registry)
    assert {r.status for r in results.values()} == {CheckStatus.UP_TO_DATE}
    assert registry.requests["HEAD"] == 1
    assert engine.calls["inspect_image"] == 3 + 1  # three distinct images, one tag lookup


def test_pinned_local_and_id_references_cost_no_registry_request() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    engine.add(
        "pinned", f"{REG}/app@{A}", local_image("a", f"{REG}/app@{A}"), colibri_enable="true"
    )
    engine.add("local", "mine/app:dev", local_image("l"), colibri_enable="true")
    image = local_image("i", f"{REG}/app@{A}")
    engine.add("by-id", image.id, image, colibri_enable="true")
    results = run(engine, registry)
    assert results["pinned"].status is CheckStatus.PINNED
    assert results["local"].status is CheckStatus.LOCAL_ONLY
    assert results["by-id"].status is CheckStatus.NO_REFERENCE
    assert sum(registry.requests.values()) == 0


def test_a_tag_and_digest_reference_tracks_the_tag() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    engine.add("web", f"{REG}/app:1@{A}", local_image("a", f"{REG}/app@{A}"), colibri_enable="true")
    registry.set_tag(f"{REG}/app:1", manifest(A))
    assert run(engine, registry)["web"].status is CheckStatus.UP_TO_DATE


def test_any_of_several_repo_digests_matches() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    image = local_image("a", f"{REG}/app@{A}", f"{REG}/app@{B}")
    engine.add("web", f"{REG}/app:1", image, colibri_enable="true")
    registry.set_tag(f"{REG}/app:1", manifest(B))
    assert run(engine, registry)["web"].status is CheckStatus.UP_TO_DATE


def test_a_platform_digest_matches_the_index_child() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    c1, c2 = digest_of("C1"), digest_of("C2")
    engine.add("web", f"{REG}/app:1", local_image("a", f"{REG}/app@{c1}"), colibri_enable="true")
    registry.set_tag(f"{REG}/app:1", index_of({AMD64: c1, ARM64: c2}))
    result = run(engine, registry)["web"]
    assert result.status is CheckStatus.UP_TO_DATE
    assert registry.requests["GET"] == 1


def test_a_republished_index_with_our_platform_unchanged_is_not_an_update() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    c1 = digest_of("C1")
    old = index_of({AMD64: c1, ARM64: digest_of("arm-old")})
    new = index_of({AMD64: c1, ARM64: digest_of("arm-new")})
    registry.by_digest[old.digest] = old
    registry.set_tag(f"{REG}/app:1", new)
    engine.add(
        "web", f"{REG}/app:1", local_image("a", f"{REG}/app@{old.digest}"), colibri_enable="true"
    )
    result = run(engine, registry)["web"]
    assert result.status is CheckStatus.UP_TO_DATE
    assert "platform unchanged" in result.reason


def test_a_republished_index_with_a_new_platform_child_is_an_update() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    old = index_of({AMD64: digest_of("C1"), ARM64: digest_of("arm")})
    new = index_of({AMD64: digest_of("C2"), ARM64: digest_of("arm")})
    registry.by_digest[old.digest] = old
    registry.set_tag(f"{REG}/app:1", new)
    engine.add(
        "web", f"{REG}/app:1", local_image("a", f"{REG}/app@{old.digest}"), colibri_enable="true"
    )
    result = run(engine, registry)["web"]
    assert result.status is CheckStatus.UPDATE_AVAILABLE
    assert result.remote_digest == new.digest
    assert result.expected_digest == digest_of("C2")


def test_an_index_without_our_platform_is_no_platform() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    image = local_image("a", f"{REG}/app@{A}", platform=ARM64)
    engine.add("web", f"{REG}/app:1", image, colibri_enable="true")
    registry.set_tag(f"{REG}/app:1", index_of({AMD64: digest_of("x")}))
    assert run(engine, registry)["web"].status is CheckStatus.NO_PLATFORM


def test_a_broken_registry_only_affects_its_own_containers() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    engine.add("ok", f"{REG}/app:1", local_image("a", f"{REG}/app@{A}"), colibri_enable="true")
    engine.add(
        "limited",
        "other.example/app:1",
        local_image("b", f"other.example/app@{A}"),
        colibri_enable="true",
    )
    engine.add(
        "denied",
        "third.example/app:1",
        local_image("c", f"third.example/app@{A}"),
        colibri_enable="true",
    )
    registry.set_tag(f"{REG}/app:1", manifest(A))
    registry.failures["other.example"] = RateLimited("429 from other.example", retry_after=120)
    registry.failures["third.example"] = RegistryAuthError("denied", required=True)
    results = run(engine, registry)
    assert results["ok"].status is CheckStatus.UP_TO_DATE
    assert results["limited"].status is CheckStatus.DEFERRED
    assert results["limited"].error_kind == "rate_limited"
    assert results["denied"].status is CheckStatus.ERROR
    assert results["denied"].error_kind == "auth_required"


def test_a_locally_retagged_image_gives_a_warning_not_an_update() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    engine.add("web", f"{REG}/app:1", local_image("a", f"{REG}/app@{A}"), colibri_enable="true")
    engine.images["local"] = local_image("built", tags=(f"{REG}/app:1",))
    registry.set_tag(f"{REG}/app:1", manifest(A))
    result = run(engine, registry)["web"]
    assert result.status is CheckStatus.UP_TO_DATE
    assert any("locally built" in warning for warning in result.warnings)


def test_selection_by_label_all_and_names() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    image = local_image("a", f"{REG}/app@{A}")
    registry.set_tag(f"{REG}/app:1", manifest(A))
    engine.add("in", f"{REG}/app:1", image, colibri_enable="true")
    engine.add("plain", f"{REG}/app:1", image)
    engine.add("out", f"{REG}/app:1", image, colibri_enable="false")
    engine.add("podman", f"{REG}/app:1", image, io_containers_autoupdate="registry")
    assert set(run(engine, registry)) == {"in", "podman"}
    assert set(run(engine, registry, all_running=True)) == {"in", "plain", "podman"}
    service = CheckService(engine, registry)
    report = service.check(CheckRequest(names=("plain", "out", "ghost")))
    assert [r.container for r in report.results] == ["plain"]
    assert "out" in report.excluded
    assert report.missing == ("ghost",)


def test_a_tag_policy_moves_to_the_newest_allowed_version_tag() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    engine.add(
        "web",
        f"{REG}/app:1.2.3",
        local_image("a", f"{REG}/app@{A}"),
        colibri_enable="true",
        colibri_policy="minor",
    )
    registry.set_tag(f"{REG}/app:1.2.3", manifest(A))
    for tag in ("1.2.4", "1.3.0", "2.0.0", "1.4.0-rc1", "latest"):
        registry.set_tag(f"{REG}/app:{tag}", manifest(digest_of(tag)))
    result = run(engine, registry)["web"]
    assert result.status is CheckStatus.UPDATE_AVAILABLE
    assert result.target_tag == "1.3.0"
    assert result.remote_digest == digest_of("1.3.0")
    assert result.current_digest == A
    assert registry.requests["TAGS"] == 1


def test_without_a_newer_tag_the_current_tags_digest_decides() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    engine.add(
        "web",
        f"{REG}/app:1.2.3",
        local_image("a", f"{REG}/app@{A}"),
        colibri_enable="true",
        colibri_policy="patch",
    )
    registry.set_tag(f"{REG}/app:1.2.3", manifest(B))
    registry.set_tag(f"{REG}/app:1.3.0", manifest(digest_of("1.3.0")))
    result = run(engine, registry)["web"]
    assert result.status is CheckStatus.UPDATE_AVAILABLE
    assert result.target_tag is None and result.remote_digest == B


def test_an_unreadable_policy_label_is_an_error_naming_it() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    engine.add(
        "web",
        f"{REG}/app:1.2.3",
        local_image("a", f"{REG}/app@{A}"),
        colibri_enable="true",
        colibri_policy="newest",
    )
    result = run(engine, registry)["web"]
    assert result.status is CheckStatus.ERROR
    assert "colibri.policy" in result.reason
    assert sum(registry.requests.values()) == 0


def test_an_unreadable_opt_in_label_is_an_error_result_and_costs_no_request() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    image = local_image("a", f"{REG}/app@{A}")
    engine.add("typo", f"{REG}/app:1", image, io_containers_autoupdate="Registry")
    engine.add("web", f"{REG}/app:1", image, colibri_enable="true")
    registry.set_tag(f"{REG}/app:1", manifest(A))
    results = run(engine, registry)
    assert results["typo"].status is CheckStatus.ERROR  # type: ignore[attr-defined]
    assert 'invalid auto-update policy "Registry"' in results["typo"].reason  # type: ignore[attr-defined]
    assert results["web"].status is CheckStatus.UP_TO_DATE  # type: ignore[attr-defined]
    assert registry.requests["HEAD"] == 1


def test_an_orchestrated_container_is_excluded_with_the_reason_under_all() -> None:
    engine, registry = FakeEngine(), FakeRegistry()
    image = local_image("a", f"{REG}/app@{A}")
    engine.add("task", f"{REG}/app:1", image, com_docker_swarm_task_id="t1")
    report = CheckService(engine, registry).check(CheckRequest(all_running=True))
    assert report.results == ()
    assert "Swarm task" in report.excluded["task"]
