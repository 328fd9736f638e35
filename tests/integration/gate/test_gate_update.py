"""``colibri update`` through the gate, end to end: a real container, a new image upstream, the
fake scanner executables and real signatures in the test registry; the CLI as a subprocess.

A blocked update leaves the container exactly as it was (same ID, running, same image), puts
the tag back on the old image and removes the candidate image (scanning.md §7 case 24)."""

from __future__ import annotations

import secrets
from pathlib import Path

import docker
import pytest

from tests.support.cosign import CosignSigner
from tests.support.docker_env import DockerTracker
from tests.support.fake_scanners import FakeScanners, finding
from tests.support.registry import RegistryServer
from tests.support.scenario import ColibriCli, Published, Publisher

pytestmark = pytest.mark.docker

OPT_IN = {"colibri.enable": "true"}
CRITICAL = finding("CVE-2026-0001", "critical", package="busybox", version="1.36.1-1")


@pytest.fixture
def upstream(publisher: Publisher, session_prefix: str):
    """v1 pulled locally, then v2 published under the same tag (and not pulled)."""
    path = f"{session_prefix}/gate-{secrets.token_hex(4)}"

    def make() -> tuple[str, Published, Published]:
        v1, v2 = publisher.upstream_moved(path)
        return path, v1, v2

    return make


@pytest.fixture
def trivy_env(fake_scanners: FakeScanners) -> dict[str, str]:
    return {"COLIBRI_SCANNER": "trivy", "COLIBRI_TRIVY_PATH": str(fake_scanners.trivy)}


def assert_untouched(client: docker.DockerClient, old, v1: Published, v2: Published) -> None:
    """The container, the tag and the daemon's images are as before the update."""
    current = client.containers.get(old.name)
    assert current.id == old.id
    assert current.status == "running"
    assert current.image.id == v1.image_id
    assert client.images.get(v1.ref).id == v1.image_id  # the tag was put back
    with pytest.raises(docker.errors.ImageNotFound):  # the candidate was removed
        client.images.get(f"{v1.repository}@{v2.digest}")
    # summaries only (listing models inspects every container, racing other test sessions)
    leftovers = client.api.containers(all=True, filters={"name": f"{old.name}-colibri"})
    assert leftovers == []


def test_a_critical_finding_blocks_the_update_and_never_lets_it_through(
    upstream,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    docker_client: docker.DockerClient,
    fake_scanners: FakeScanners,
    trivy_env: dict[str, str],
) -> None:
    _, v1, v2 = upstream()
    fake_scanners.set_findings("trivy", [CRITICAL], digest=v2.digest)
    old = docker_tracker.run(v1.ref, "blocked", labels=OPT_IN)

    [outcome] = colibri.json(
        "update", old.name, expect=(4,), COLIBRI_CRITERIA="critical", **trivy_env
    )
    assert outcome["status"] == "blocked", outcome
    assert outcome["reason"] == "blocked: 1 critical (CVE-2026-0001)"
    assert_untouched(docker_client, old, v1, v2)
    scanned = [call.argv[-1] for call in fake_scanners.scan_calls("trivy")]
    assert scanned == [f"{v1.repository}@{v2.digest}"]  # exactly the candidate digest

    [again] = colibri.json(
        "update", old.name, expect=(4,), COLIBRI_CRITERIA="critical", **trivy_env
    )
    assert again["status"] == "blocked"
    assert len(fake_scanners.scan_calls("trivy")) == 1  # the stored report was reused
    [run, _] = colibri.json("history", old.name, "--data")
    assert run["status"] == "blocked" and "CVE-2026-0001" in run["reason"]
    assert [s["step"] for s in run["steps"]] == ["resolve", "pull", "gate", "done"]
    decision = run["steps"][2]["data"]  # the stored decision: reasons, policy, scan records
    assert decision["allowed"] is False and "CVE-2026-0001" in decision["reason"]
    assert decision["details"], decision

    [updated] = colibri.json("update", old.name, COLIBRI_CRITERIA="never", **trivy_env)
    assert updated["status"] == "updated", updated
    assert docker_client.containers.get(old.name).image.id != v1.image_id
    assert len(fake_scanners.scan_calls("trivy")) == 1  # never: nothing scanned


def test_a_label_turns_the_gate_on_and_an_invalid_label_blocks(
    upstream,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    docker_client: docker.DockerClient,
    fake_scanners: FakeScanners,
    trivy_env: dict[str, str],
) -> None:
    _, v1, v2 = upstream()
    fake_scanners.set_findings("trivy", [finding("CVE-2026-0002", "medium")], digest=v2.digest)
    strict = docker_tracker.run(v1.ref, "strict", labels={**OPT_IN, "colibri.criteria": "medium"})
    [outcome] = colibri.json("update", strict.name, expect=(4,), **trivy_env)
    assert outcome["status"] == "blocked" and "CVE-2026-0002" in outcome["reason"]
    assert_untouched(docker_client, strict, v1, v2)

    typo = docker_tracker.run(v1.ref, "typo", labels={**OPT_IN, "colibri.criteria": "hihg"})
    [invalid] = colibri.json("update", typo.name, expect=(4,), **trivy_env)
    assert invalid["status"] == "blocked"
    assert invalid["reason"].startswith("invalid gate settings: label colibri.criteria='hihg'")


def test_only_signed_images_are_updated_to(
    upstream,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    docker_client: docker.DockerClient,
    registry: RegistryServer,
    cosign_signer: CosignSigner,
    tmp_path: Path,
) -> None:
    key = cosign_signer.write_public_key(tmp_path / "cosign.pub")
    signed = {"COLIBRI_REQUIRE_SIGNATURE": "true", "COLIBRI_COSIGN_KEY": str(key)}
    path, v1, v2 = upstream()
    old = docker_tracker.run(v1.ref, "unsigned", labels=OPT_IN)

    [blocked] = colibri.json("update", old.name, expect=(4,), **signed)
    assert blocked["status"] == "blocked", blocked
    assert blocked["reason"].startswith(f"unsigned: {v1.repository}@{v2.digest} has no signature")
    assert_untouched(docker_client, old, v1, v2)

    cosign_signer.push_sig(registry, path, v2.digest)
    [updated] = colibri.json("update", old.name, **signed)
    assert updated["status"] == "updated", updated
    assert updated["new_digest"] == v2.digest


def test_a_signature_by_another_key_is_blocked(
    upstream,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    docker_client: docker.DockerClient,
    registry: RegistryServer,
    cosign_signer: CosignSigner,
    other_signer: CosignSigner,
    tmp_path: Path,
) -> None:
    key = cosign_signer.write_public_key(tmp_path / "cosign.pub")
    path, v1, v2 = upstream()
    other_signer.push_sig(registry, path, v2.digest)
    old = docker_tracker.run(v1.ref, "forged", labels=OPT_IN)
    [blocked] = colibri.json(
        "update",
        old.name,
        expect=(4,),
        COLIBRI_REQUIRE_SIGNATURE="true",
        COLIBRI_COSIGN_KEY=str(key),
    )
    assert blocked["status"] == "blocked"
    assert blocked["reason"].startswith("signature invalid:")
    assert "not signed by a trusted key" in blocked["reason"]
    assert_untouched(docker_client, old, v1, v2)


def test_misconfigured_gates_refuse_to_start(colibri: ColibriCli, tmp_path: Path) -> None:
    no_scanner = colibri.run("update", "--all", COLIBRI_CRITERIA="high")
    assert no_scanner.returncode == 1
    assert "COLIBRI_CRITERIA=high needs COLIBRI_SCANNER" in no_scanner.stderr
    no_key = colibri.run("update", "--all", COLIBRI_REQUIRE_SIGNATURE="true")
    assert no_key.returncode == 1 and "needs COLIBRI_COSIGN_KEY" in no_key.stderr
    bad_key = tmp_path / "bad.pub"
    bad_key.write_text("not a key")
    unreadable = colibri.run(
        "update", "--all", COLIBRI_REQUIRE_SIGNATURE="true", COLIBRI_COSIGN_KEY=str(bad_key)
    )
    assert unreadable.returncode == 1 and f"COLIBRI_COSIGN_KEY={bad_key}" in unreadable.stderr
