"""make_scanner, the combined scanner, and the command lines the adapters build (case 17)."""

from __future__ import annotations

import pytest

import colibri.scan
from colibri.domain.scanning import FixState, Severity
from colibri.errors import ConfigError, ScanError
from colibri.scan import (
    CombinedScanner,
    GrypeScanner,
    ImageSource,
    ScanOptions,
    TrivyScanner,
    make_scanner,
)
from colibri.scan._common import scan_target
from tests.support.fake_scanners import DIGEST_A, InProcessScanner, finding

REF = f"docker.io/library/nginx@{DIGEST_A}"


def test_the_public_surface_is_exactly_what_all_lists() -> None:
    public = {name for name in dir(colibri.scan) if not name.startswith("_")}
    modules = {"combined", "cosign", "factory", "grype", "grype_report", "trivy", "trivy_report"}

    assert sorted(colibri.scan.__all__) == colibri.scan.__all__
    assert public - modules - {"annotations"} == set(colibri.scan.__all__)


@pytest.mark.parametrize(("kind", "kind_type"), [("trivy", TrivyScanner), ("GRYPE", GrypeScanner)])
def test_make_scanner_builds_one_adapter(kind: str, kind_type: type) -> None:
    scanner = make_scanner(kind, ScanOptions(trivy_path="/opt/trivy", grype_path="/opt/grype"))

    assert isinstance(scanner, kind_type)
    assert scanner.name == kind.lower()


def test_make_scanner_both_combines_trivy_then_grype_with_the_options() -> None:
    options = ScanOptions(timeout=42, source=ImageSource.REMOTE, offline=True)

    scanner = make_scanner("both", options)

    assert isinstance(scanner, CombinedScanner)
    assert scanner.name == "trivy+grype"
    trivy, grype = scanner.scanners
    assert isinstance(trivy, TrivyScanner) and isinstance(grype, GrypeScanner)
    assert (trivy.timeout, trivy.source, trivy.offline) == (42, ImageSource.REMOTE, True)
    assert (grype.timeout, grype.source, grype.offline) == (42, ImageSource.REMOTE, True)


def test_an_unknown_kind_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="COLIBRI_SCANNER must be one of trivy, grype, both"):
        make_scanner("clair")


def test_a_non_positive_timeout_is_refused() -> None:
    with pytest.raises(ConfigError, match="timeout"):
        make_scanner("trivy", ScanOptions(timeout=0))


def test_a_trivy_server_must_be_an_http_url() -> None:
    with pytest.raises(ConfigError, match="http"):
        TrivyScanner(server="file:///etc/passwd")


# --- argv (case 17) -------------------------------------------------------------------------


def test_trivy_scans_the_digest_with_every_severity_and_vulnerabilities_only() -> None:
    argv = TrivyScanner("/opt/trivy", timeout=90.5).scan_argv(REF)

    assert argv[:2] == ["/opt/trivy", "image"]
    assert argv[-1] == REF
    for flag, value in [
        ("--format", "json"),
        ("--scanners", "vuln"),
        ("--severity", "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"),
        ("--image-src", "docker"),
        ("--timeout", "91s"),
    ]:
        assert argv[argv.index(flag) + 1] == value
    assert "--quiet" in argv
    assert "--list-all-pkgs=false" in argv
    assert "--exit-code" not in argv
    assert "--ignore-unfixed" not in argv
    assert "--server" not in argv


def test_trivy_options_show_up_on_the_command_line() -> None:
    scanner = TrivyScanner(
        source=ImageSource.REMOTE,
        server="http://trivy:4954/",
        cache_dir="/var/cache/trivy",
        token="s3cret",
    )

    argv = scanner.scan_argv(REF)

    assert argv[argv.index("--image-src") + 1] == "remote"
    assert argv[argv.index("--server") + 1] == "http://trivy:4954"
    assert argv[argv.index("--cache-dir") + 1] == "/var/cache/trivy"
    assert "s3cret" not in " ".join(argv)
    assert scanner.version_argv() == [
        "trivy",
        "--version",
        "--format",
        "json",
        "--cache-dir",
        "/var/cache/trivy",
    ]


def test_offline_trivy_never_touches_the_network() -> None:
    argv = TrivyScanner(offline=True).scan_argv(REF)
    server_argv = TrivyScanner(offline=True, server="https://trivy.internal").scan_argv(REF)

    for flag in (
        "--skip-db-update",
        "--skip-java-db-update",
        "--skip-version-check",
        "--disable-telemetry",
    ):
        assert flag in argv
    assert "--skip-db-update" not in server_argv  # the server owns the DB
    assert "--skip-version-check" in server_argv


@pytest.mark.parametrize(
    ("source", "scheme"), [(ImageSource.DOCKER, "docker:"), (ImageSource.REMOTE, "registry:")]
)
def test_grype_scans_the_digest_with_an_explicit_source_scheme(
    source: ImageSource, scheme: str
) -> None:
    argv = GrypeScanner("/opt/grype", source=source).scan_argv(REF)

    assert argv == ["/opt/grype", scheme + REF, "-o", "json", "-q"]


def test_grype_environment_disables_update_checks_and_auto_update_offline() -> None:
    online = GrypeScanner().environment()
    offline = GrypeScanner(offline=True, db_dir="/var/cache/grype").environment()

    assert online == {"GRYPE_CHECK_FOR_APP_UPDATE": "false"}
    assert offline == {
        "GRYPE_CHECK_FOR_APP_UPDATE": "false",
        "GRYPE_DB_AUTO_UPDATE": "false",
        "GRYPE_DB_CACHE_DIR": "/var/cache/grype",
    }


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("nginx", "docker.io/library/nginx"),
        ("nginx:1.25", "docker.io/library/nginx"),
        ("localhost:5000/team/app:v2", "localhost:5000/team/app"),
        (f"ghcr.io/org/app@{DIGEST_A}", "ghcr.io/org/app"),
    ],
)
def test_the_target_is_the_repository_at_the_digest(image: str, repository: str) -> None:
    target = scan_target(image, DIGEST_A)

    assert target.ref == f"{repository}@{DIGEST_A}"


@pytest.mark.parametrize(
    ("image", "digest", "message"),
    [
        ("nginx", "latest", "is not a sha256/sha512 digest"),
        ("nginx", "sha256:abc", "is not a sha256/sha512 digest"),
        ("nginx", DIGEST_A.upper(), "is not a sha256/sha512 digest"),
        ("Not A Reference", DIGEST_A, "refusing to scan"),
        (f"nginx@sha256:{'b' * 64}", DIGEST_A, "it names sha256:bbbb"),
    ],
)
def test_a_bad_target_is_refused_before_anything_runs(
    image: str, digest: str, message: str
) -> None:
    with pytest.raises(ScanError, match=message):
        scan_target(image, digest)


# --- combined scanner -------------------------------------------------------------------------


def test_both_reports_the_union_deduplicated_with_the_highest_severity() -> None:
    trivy = InProcessScanner(
        "trivy",
        [finding("CVE-1", "medium", scanner="trivy"), finding("CVE-2", "low", scanner="trivy")],
    )
    grype = InProcessScanner(
        "grype",
        [
            finding("CVE-1", "high", fix_state="not_fixed", scanner="grype"),
            finding("GHSA-3", "critical", aliases=["CVE-3"], package="x", scanner="grype"),
        ],
    )

    combined = CombinedScanner([trivy, grype]).scan("docker.io/library/app", DIGEST_A)

    assert [(f.id, f.severity, f.scanner) for f in combined.findings] == [
        ("CVE-3", Severity.CRITICAL, "grype"),
        ("CVE-1", Severity.HIGH, "trivy+grype"),
        ("CVE-2", Severity.LOW, "trivy"),
    ]
    assert combined.findings[1].fix_state is FixState.FIXED  # trivy knew of a fix
    assert [info.name for info in combined.scanners] == ["trivy", "grype"]
    assert combined.scanner_name == "trivy+grype"
    assert trivy.calls == grype.calls == [("docker.io/library/app", DIGEST_A)]


@pytest.mark.parametrize("failing", ["trivy", "grype"])
def test_both_fails_when_either_scanner_fails(failing: str) -> None:
    scanners = [
        InProcessScanner(name, error="exited 1" if name == failing else None)
        for name in ("trivy", "grype")
    ]

    with pytest.raises(ScanError, match=f"{failing}: exited 1"):
        CombinedScanner(scanners).scan("app", DIGEST_A)


def test_both_describes_every_scanner() -> None:
    combined = CombinedScanner([InProcessScanner("trivy"), InProcessScanner("grype")])

    assert [info.name for info in combined.describe()] == ["trivy", "grype"]


def test_a_combined_scanner_needs_a_scanner() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CombinedScanner([])
