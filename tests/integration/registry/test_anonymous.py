"""The client against a real anonymous distribution registry: digests, requests, caching."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from colibri.domain.model import Platform
from colibri.domain.platforms import choose_child
from colibri.errors import ManifestUnknown
from tests.integration.registry.conftest import ClientFactory, ref
from tests.support.registry import DOCKER_MANIFEST, OCI_INDEX, RegistryServer, unique_repository


def test_head_answers_the_pushed_digest_with_one_head_and_no_get(
    registry: RegistryServer, make_client: ClientFactory
) -> None:
    repository = unique_repository()
    pushed = registry.push_image(repository, "1.0", runnable=False)
    client = make_client()
    mark = registry.log_mark()
    with ThreadPoolExecutor(6) as pool:
        answers = list(
            pool.map(lambda _: client.head(ref(registry.host, repository, "1.0")), range(6))
        )
    client.head(ref(registry.host, repository, "1.0"))
    assert {answer.digest for answer in answers} == {pushed.digest}
    assert answers[0].media_type == DOCKER_MANIFEST
    seen = [(r.method, r.kind, r.status) for r in registry.requests(mark)]
    assert seen == [("GET", "ping", 200), ("HEAD", "manifests", 200)]


def test_one_head_per_unique_reference(
    registry: RegistryServer, make_client: ClientFactory
) -> None:
    repository = unique_repository()
    for tag in ("a", "b"):
        registry.push_image(repository, tag, runnable=False)
    client = make_client()
    mark = registry.log_mark()
    for _ in range(3):
        for tag in ("a", "b"):
            client.head(ref(registry.host, repository, tag))
    heads = [r.path for r in registry.requests(mark) if r.method == "HEAD"]
    assert sorted(heads) == [f"/v2/{repository}/manifests/a", f"/v2/{repository}/manifests/b"]
    client.forget_tags()
    client.head(ref(registry.host, repository, "a"))
    assert len([r for r in registry.requests(mark) if r.method == "HEAD"]) == 3


def test_missing_tag_is_confirmed_by_one_get(
    registry: RegistryServer, make_client: ClientFactory
) -> None:
    repository = unique_repository()
    registry.push_image(repository, "present", runnable=False)
    mark = registry.log_mark()
    with pytest.raises(ManifestUnknown, match="MANIFEST_UNKNOWN") as caught:
        make_client().head(ref(registry.host, repository, "absent"))
    assert caught.value.registry == registry.host
    seen = [(r.method, r.status) for r in registry.requests(mark) if r.kind == "manifests"]
    assert seen == [("HEAD", 404), ("GET", 404)]


def test_multi_arch_index_children_and_attestations(
    registry: RegistryServer, make_client: ClientFactory
) -> None:
    repository = unique_repository("multi")
    amd64 = registry.push_image(repository, None, oci=True, runnable=False)
    arm = registry.push_image(
        repository, None, oci=True, architecture="arm", variant="v7", runnable=False
    )
    index = registry.push_index(repository, "1", [amd64, arm], attestations=True)
    client = make_client()
    head = client.head(ref(registry.host, repository, "1"))
    assert (head.digest, head.media_type) == (index.digest, OCI_INDEX)
    fetched = client.fetch(ref(registry.host, repository, "1"))
    assert fetched.body == index.manifest and fetched.digest == index.digest
    platforms = [child.platform for child in fetched.children]
    assert platforms[:2] == [Platform("linux", "amd64"), Platform("linux", "arm", "v7")]
    assert platforms[2:] == [Platform("unknown", "unknown")] * 2
    assert fetched.children[2].annotations["vnd.docker.reference.digest"] == amd64.digest
    chosen = choose_child(fetched.children, Platform("linux", "arm", "v7"))
    assert chosen is not None and chosen.digest == arm.digest
    child = client.fetch(ref(registry.host, repository).by_digest(arm.digest))
    assert child.body == arm.manifest and not child.is_index


def test_docker_manifest_list(registry: RegistryServer, make_client: ClientFactory) -> None:
    repository = unique_repository("list")
    children = [
        registry.push_image(repository, None, architecture=arch, runnable=False)
        for arch in ("amd64", "arm64")
    ]
    pushed = registry.push_index(repository, "1", children, oci=False)
    fetched = make_client().fetch(ref(registry.host, repository, "1"))
    assert fetched.digest == pushed.digest and fetched.is_index
    assert [c.platform.architecture for c in fetched.children if c.platform] == ["amd64", "arm64"]


def test_image_config_blob_with_custom_settings(
    registry: RegistryServer, make_client: ClientFactory
) -> None:
    repository = unique_repository("config")
    settings = {"Cmd": ["sleep", "60"], "StopSignal": "SIGQUIT", "Env": ["A=1"]}
    pushed = registry.push_image(repository, "1", config=settings, oci=True, runnable=False)
    client = make_client()
    mark = registry.log_mark()
    blob = client.get_blob(ref(registry.host, repository, "1"), pushed.config_digest, 1 << 20)
    assert json.loads(blob)["config"] == settings
    blobs = [r for r in registry.requests(mark) if r.kind == "blobs"]
    assert [(r.method, r.status) for r in blobs] == [("GET", 200)]


def test_tags_and_no_referrers_api(registry: RegistryServer, make_client: ClientFactory) -> None:
    repository = unique_repository("tags")
    pushed = [registry.push_image(repository, tag, runnable=False) for tag in ("v1", "v2", "v10")]
    client = make_client()
    assert sorted(client.list_tags(ref(registry.host, repository))) == ["v1", "v10", "v2"]
    assert client.referrers(ref(registry.host, repository), pushed[0].digest) is None
    with pytest.raises(ManifestUnknown):
        client.list_tags(ref(registry.host, unique_repository("nothing")))
