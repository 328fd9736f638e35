"""``colibri scan IMAGE`` end to end: the CLI as a subprocess, the fake scanner executables, a
real daemon and registry, and the report stored in the real store."""

from __future__ import annotations

import secrets

import docker
import pytest

from colibri.store import make_store
from tests.support.fake_scanners import FakeScanners, finding
from tests.support.scenario import ColibriCli, Published, Publisher

pytestmark = pytest.mark.docker

HIGH = finding("CVE-2026-0100", "high", package="busybox", version="1.36.1-1")
CRITICAL = finding("CVE-2026-0101", "critical", package="libc", version="2.36-9")


@pytest.fixture
def published(publisher: Publisher, session_prefix: str) -> Published:
    """An image in the registry that the daemon does not have."""
    image = publisher.publish(f"{session_prefix}/scan-{secrets.token_hex(4)}", "1")
    publisher.forget(image)
    return image


@pytest.fixture
def env(fake_scanners: FakeScanners) -> dict[str, str]:
    return {"COLIBRI_SCANNER": "trivy", "COLIBRI_TRIVY_PATH": str(fake_scanners.trivy)}


def test_json_pulls_by_digest_scans_stores_and_judges(
    published: Published,
    colibri: ColibriCli,
    fake_scanners: FakeScanners,
    env: dict[str, str],
    docker_client: docker.DockerClient,
) -> None:
    fake_scanners.set_findings("trivy", [HIGH, CRITICAL], digest=published.digest)
    result = colibri.run(
        "scan", published.ref, "--format", "json", COLIBRI_CRITERIA="critical", **env
    )
    assert result.returncode == 5, result.stderr
    document = result.json()
    assert document["image"] == published.ref
    assert document["repository"] == published.repository
    assert document["digest"] == published.digest
    assert document["pulled"] is True
    assert docker_client.images.get(f"{published.repository}@{published.digest}")
    assert [s["name"] for s in document["scanners"]] == ["trivy"]
    assert document["scanners"][0]["version"] == "0.50.1"
    assert document["counts"] == {
        "critical": 1,
        "high": 1,
        "medium": 0,
        "low": 0,
        "negligible": 0,
        "unknown": 0,
    }
    assert [f["id"] for f in document["findings"]] == ["CVE-2026-0101", "CVE-2026-0100"]
    assert document["decision"]["allowed"] is False
    assert document["decision"]["summary"] == "blocked: 1 critical (CVE-2026-0101)"
    assert [c.argv[-1] for c in fake_scanners.scan_calls("trivy")] == [
        f"{published.repository}@{published.digest}"
    ]
    with make_store(f"sqlite:///{colibri.data_dir / 'colibri.db'}") as store:
        scanners = store.scans.latest(published.digest, "trivy")
        assert scanners is not None and scanners.id == document["record_id"]
        assert scanners.status == "ok"


def test_table_lists_findings_counts_and_the_verdict(
    published: Published, colibri: ColibriCli, fake_scanners: FakeScanners, env: dict[str, str]
) -> None:
    fake_scanners.set_findings("trivy", [HIGH], digest=published.digest)
    result = colibri.run("scan", published.ref, COLIBRI_CRITERIA="high", **env)
    assert result.returncode == 5, result.stderr
    assert "CVE-2026-0100" in result.stdout and "busybox" in result.stdout
    assert "1 finding(s): 0 critical, 1 high, 0 medium" in result.stdout
    assert "criteria high or worse: blocked: 1 high (CVE-2026-0100)" in result.stdout

    allowed = colibri.run("scan", published.ref, **env)
    assert allowed.returncode == 0, allowed.stderr
    assert "criteria never: updates are not gated on vulnerabilities" in allowed.stdout


def test_a_local_image_is_scanned_by_its_repo_digest_without_a_pull(
    published: Published,
    publisher: Publisher,
    colibri: ColibriCli,
    fake_scanners: FakeScanners,
    env: dict[str, str],
) -> None:
    publisher.pull(published)
    document = colibri.json("scan", published.ref, **env)
    assert document["digest"] == published.digest and document["pulled"] is False
    assert document["findings"] == [] and document["decision"]["allowed"] is True


def test_a_failed_scan_exits_4_with_the_error(
    published: Published, colibri: ColibriCli, fake_scanners: FakeScanners, env: dict[str, str]
) -> None:
    fake_scanners.configure("trivy", mode="fail")
    document = colibri.json("scan", published.ref, expect=(4,), COLIBRI_CRITERIA="critical", **env)
    assert "unable to find the specified image" in document["error"]
    assert document["findings"] == [] and document["decision"]["allowed"] is False


def test_without_a_scanner_or_an_image_it_cannot_run(
    colibri: ColibriCli, published: Published, env: dict[str, str]
) -> None:
    no_scanner = colibri.run("scan", published.ref)
    assert no_scanner.returncode == 1
    assert "colibri scan needs a scanner: set COLIBRI_SCANNER" in no_scanner.stderr
    missing = colibri.run("scan", f"{published.repository}:no-such-tag", **env)
    assert missing.returncode == 1
    assert "colibri: " in missing.stderr and "no-such-tag not found" in missing.stderr
    bad = colibri.run("scan", "UPPER/case", **env)
    assert bad.returncode == 1 and "invalid reference" in bad.stderr
