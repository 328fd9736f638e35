"""Fake ``trivy`` and ``grype`` executables, a fake Trivy server, and in-process Scanner fakes.

Real scanners cannot download a vulnerability DB here, so the adapters are tested against
executables that behave like them: the ``fake_scanners`` fixture writes two Python scripts,
``trivy`` and ``grype``, into a temporary directory. They read a JSON configuration file the
test edits through :class:`FakeScanners`, append every invocation (argv and ``TRIVY_*`` /
``GRYPE_*`` environment) to a log, and answer like the real programs:

* ``trivy --version --format json`` / ``grype version -o json`` / ``grype db status -o json``:
  version and DB metadata with a configurable DB build time (``db_age``);
* a scan: a schema-correct report (Trivy ``SchemaVersion`` 2 with ``Results``; Grype
  ``matches``/``source``/``descriptor``) built from :class:`~colibri.domain.scanning.Finding`
  values rendered in each scanner's own spelling, chosen per digest;
* modes: ``report`` (default), ``fail`` (error on stderr, exit 1), ``garbage`` (a Go panic on
  stdout), ``truncated`` (half a report), ``banner`` (report + trailing text), ``empty``,
  ``hang`` (sleeps, after starting a grandchild, both PIDs recorded, to prove the group kill).

Usage::

    def test_it(fake_scanners):
        fake_scanners.set_findings("trivy", [finding("CVE-2024-1", "critical")])
        fake_scanners.configure("trivy", db_age=timedelta(days=6))
        scanner = TrivyScanner(fake_scanners.trivy, timeout=10)
        ...
        assert fake_scanners.calls("trivy")[-1].argv[:1] == ["image"]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from colibri.domain.scanning import (
    Finding,
    FixState,
    ScanFailure,
    ScannerInfo,
    ScanReport,
    Severity,
)
from colibri.errors import ScanError

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64
#: A fixed "now" for pure tests; the fake executables use the real clock.
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FRESH_DB = NOW - timedelta(hours=3)


# --- builders for pure tests ----------------------------------------------------------------


def finding(
    vuln_id: str = "CVE-2024-0001",
    severity: Severity | str = Severity.HIGH,
    *,
    package: str = "openssl",
    version: str = "3.0.11-1",
    fix_state: FixState | str = FixState.FIXED,
    fixed_version: str | None = None,
    aliases: Sequence[str] = (),
    package_type: str = "debian",
    target: str = "",
    scanner: str = "trivy",
) -> Finding:
    """A finding with sensible defaults (fixed, in a Debian package)."""
    state = FixState(fix_state)
    if fixed_version is None:
        fixed_version = "3.0.13-1" if state is FixState.FIXED else ""
    return Finding(
        id=vuln_id,
        package=package,
        version=version,
        severity=Severity(severity),
        fix_state=state,
        fixed_version=fixed_version,
        aliases=tuple(aliases),
        package_type=package_type,
        target=target,
        scanner=scanner,
    )


def scanner_info(
    name: str = "trivy", *, version: str = "0.50.1", built: datetime | None = FRESH_DB
) -> ScannerInfo:
    return ScannerInfo(name=name, version=version, db_schema="2", db_built_at=built)


def report(
    *findings: Finding,
    repository: str = "docker.io/library/app",
    digest: str = DIGEST_A,
    scanners: Sequence[ScannerInfo] | None = None,
    built: datetime | None = FRESH_DB,
) -> ScanReport:
    """A report of ``findings`` on ``repository@digest`` by one fresh Trivy."""
    infos = tuple(scanners) if scanners is not None else (scanner_info(built=built),)
    return ScanReport(repository, digest, infos, tuple(findings), scanned_at=NOW)


class InProcessScanner:
    """A typed fake of the ``Scanner`` port: canned findings per digest, or a ScanError."""

    def __init__(
        self,
        name: str,
        findings: Sequence[Finding] = (),
        *,
        by_digest: dict[str, Sequence[Finding]] | None = None,
        built: datetime | None = FRESH_DB,
        error: str | None = None,
    ) -> None:
        self._name = name
        self.findings = tuple(findings)
        self.by_digest = by_digest or {}
        self.info = scanner_info(name, version=f"{name}-1.0", built=built)
        self.error = error
        self.calls: list[tuple[str, str]] = []

    @property
    def name(self) -> str:
        return self._name

    def describe(self) -> tuple[ScannerInfo, ...]:
        return (self.info,)

    def scan(self, image: str, digest: str) -> ScanReport:
        self.calls.append((image, digest))
        if self.error is not None:
            raise ScanError(f"{self._name}: {self.error}")
        found = tuple(self.by_digest.get(digest, self.findings))
        return ScanReport(image, digest, (self.info,), found, scanned_at=NOW)


def scan_or_failure(scanner: InProcessScanner, image: str, digest: str) -> ScanReport | ScanFailure:
    """What the use case will do: a ScanError becomes a ScanFailure for the gate."""
    try:
        return scanner.scan(image, digest)
    except ScanError as exc:
        return ScanFailure(str(exc), scanner=scanner.name, repository=image, digest=digest)


# --- fake executables -----------------------------------------------------------------------

TRIVY_DEFAULTS: dict[str, Any] = {"version": "0.50.1"}
GRYPE_DEFAULTS: dict[str, Any] = {"version": "0.74.0"}
COMMON_DEFAULTS: dict[str, Any] = {
    "mode": "report",
    "exit_code": 0,
    "stderr": "",
    "version_mode": "ok",
    "db_built_at": None,  # filled in from db_age when written
    "findings": {"*": []},
    "report_digests": None,
    "descriptor_db": True,
    "sleep": 0.0,
}


@dataclass(frozen=True)
class Call:
    """One invocation of a fake scanner."""

    tool: str
    argv: list[str]
    env: dict[str, str]


class FakeScanners:
    """The two fake executables and their shared configuration file."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        self.trivy = directory / "trivy"
        self.grype = directory / "grype"
        self.config_path = directory / "config.json"
        self.log_path = directory / "calls.jsonl"
        self.pids_path = directory / "pids"
        self._config: dict[str, Any] = {
            "log": str(self.log_path),
            "pids": str(self.pids_path),
            "trivy": {**COMMON_DEFAULTS, **TRIVY_DEFAULTS},
            "grype": {**COMMON_DEFAULTS, **GRYPE_DEFAULTS},
        }
        self.configure("trivy", db_age=timedelta(hours=2))
        self.configure("grype", db_age=timedelta(hours=2))
        for path in (self.trivy, self.grype):
            path.write_text(_script(path.name, self.config_path))
            path.chmod(0o755)

    def configure(self, tool: str, *, db_age: timedelta | None = None, **settings: Any) -> None:
        """Change how ``tool`` behaves (see the module docstring for the settings)."""
        unknown = set(settings) - set(self._config[tool])
        assert not unknown, f"unknown fake scanner settings: {unknown}"
        self._config[tool].update(settings)
        if db_age is not None:
            built = datetime.now(UTC) - db_age
            self._config[tool]["db_built_at"] = built.isoformat().replace("+00:00", "Z")
        self.config_path.write_text(json.dumps(self._config, indent=2))

    def set_findings(self, tool: str, findings: Sequence[Finding], digest: str = "*") -> None:
        """What ``tool`` reports for ``digest`` (``*``: any digest without its own entry)."""
        table = dict(self._config[tool]["findings"])
        table[digest] = [_spec(item) for item in findings]
        self.configure(tool, findings=table)

    def calls(self, tool: str | None = None) -> list[Call]:
        """Every logged invocation, oldest first, of ``tool`` or of both."""
        if not self.log_path.exists():
            return []
        entries = [json.loads(line) for line in self.log_path.read_text().splitlines()]
        return [
            Call(entry["tool"], entry["argv"], entry["env"])
            for entry in entries
            if tool is None or entry["tool"] == tool
        ]

    def scan_calls(self, tool: str) -> list[Call]:
        """The invocations that were scans (not version or DB queries)."""
        meta = ({"--version"}, {"version"}, {"db"})
        return [c for c in self.calls(tool) if not any(m & set(c.argv[:2]) for m in meta)]

    def spawned_pids(self) -> list[int]:
        """PIDs of hanging fakes and the grandchildren they started."""
        if not self.pids_path.exists():
            return []
        return [int(pid) for pid in self.pids_path.read_text().split()]


def _spec(item: Finding) -> dict[str, Any]:
    """A finding as the fake scripts take it (they render each scanner's own spelling)."""
    return {**item.to_dict(), "package_type": item.package_type or "debian"}


def _script(tool: str, config: Path) -> str:
    """The executable: this module's :func:`fake_main`, run by the tests' own interpreter."""
    root = Path(__file__).resolve().parents[2]
    return (
        f"#!{sys.executable}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        "from tests.support.fake_scanners import fake_main\n"
        f"fake_main({tool!r}, {str(config)!r})\n"
    )


def process_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.fixture
def fake_scanners(tmp_path: Path) -> Iterator[FakeScanners]:
    """Fresh fake ``trivy`` and ``grype`` executables; stray hanging fakes are killed after."""
    fakes = FakeScanners(tmp_path / "fake-scanners")
    yield fakes
    for pid in fakes.spawned_pids():
        if process_alive(pid):
            os.kill(pid, 9)


# --- fake Trivy server (for its /version endpoint) --------------------------------------------


class TrivyServerStub:
    """Answers ``GET /version`` as ``trivy server`` does, and records request headers."""

    def __init__(self) -> None:
        self.db_built_at = datetime.now(UTC) - timedelta(hours=1)
        self.status = 200
        self.requests: list[dict[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def version_document(self) -> dict[str, Any]:
        built = self.db_built_at
        return {
            "Version": "0.50.1",
            "VulnerabilityDB": {
                "Version": 2,
                "NextUpdate": (built + timedelta(hours=6)).isoformat(),
                "UpdatedAt": built.isoformat(),
                "DownloadedAt": (built + timedelta(minutes=20)).isoformat(),
            },
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests.append({"path": self.path, **dict(self.headers.items())})
                status = stub.status if self.path == "/version" else 404
                body = json.dumps(stub.version_document()).encode() if status == 200 else b"no"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def trivy_server() -> Iterator[TrivyServerStub]:
    """A stand-in for ``trivy server`` answering ``/version`` on 127.0.0.1."""
    stub = TrivyServerStub()
    stub.start()
    yield stub
    stub.stop()


# --- what runs inside the fake executables (stdlib only) ------------------------------------

OS_TYPES = frozenset({"debian", "ubuntu", "alpine", "redhat", "rocky", "wolfi"})
TRIVY_STATUS = {"fixed": "fixed", "not_fixed": "affected", "wont_fix": "will_not_fix"}
GRYPE_STATE = {"fixed": "fixed", "not_fixed": "not-fixed", "wont_fix": "wont-fix"}
LAYER = "sha256:" + "1" * 64
IMAGE_ID = "sha256:" + "9" * 64


def fake_main(tool: str, config_path: str) -> None:
    """Entry point of a fake ``trivy`` / ``grype``: log the call, then answer it."""
    config = json.loads(Path(config_path).read_text())
    settings = config[tool]
    args = sys.argv[1:]
    env = {k: v for k, v in os.environ.items() if k.startswith(("TRIVY_", "GRYPE_"))}
    with open(config["log"], "a") as log:
        log.write(json.dumps({"tool": tool, "argv": args, "env": env}) + "\n")
    time.sleep(settings["sleep"])
    command = _command(tool, args)
    if command == "scan":
        _answer_scan(config, tool, settings, args)
    _answer_meta(tool, command, settings)


def _command(tool: str, args: list[str]) -> str:
    if tool == "trivy" and ("--version" in args or args[:1] == ["version"]):
        return "version"
    if tool == "trivy" and args[:1] == ["image"]:
        return "scan"
    if tool == "grype" and args[:1] == ["version"]:
        return "version"
    if tool == "grype" and args[:2] == ["db", "status"]:
        return "db-status"
    if tool == "grype" and args and not args[0].startswith("-"):
        return "scan"
    sys.stderr.write(f"Error: unknown command {args!r}\n")
    sys.exit(1)


def _answer_meta(tool: str, command: str, settings: dict[str, Any]) -> None:
    mode = settings["version_mode"]
    if mode == "fail":
        sys.stderr.write("FATAL\tfailed to read the DB metadata: permission denied\n")
        sys.exit(1)
    if mode == "garbage":
        sys.stdout.write(f"Version: {settings['version']}\n")
        sys.exit(0)
    built = None if mode == "no_db" else settings["db_built_at"]
    if tool == "trivy":
        document = _trivy_version(settings["version"], built)
    elif command == "version":
        document = _grype_version(settings["version"])
    else:
        document = _grype_db_status(built)
    sys.stdout.write(json.dumps(document, indent=1) + "\n")
    sys.exit(0)


def _answer_scan(
    config: dict[str, Any], tool: str, settings: dict[str, Any], args: list[str]
) -> None:
    mode = settings["mode"]
    sys.stderr.write(settings["stderr"])
    if mode == "hang":
        _hang(config["pids"])
    if mode == "fail":
        sys.stderr.write(
            "2026-03-01T12:00:00Z\tFATAL\tFatal error\t"
            "image scan error: unable to find the specified image\n"
        )
        sys.exit(settings["exit_code"] or 1)
    if mode == "garbage":
        sys.stdout.write("panic: runtime error: invalid memory address\ngoroutine 1 [running]:\n")
        sys.exit(settings["exit_code"] or 2)
    if mode == "empty":
        sys.exit(settings["exit_code"])
    ref = _target(tool, args)
    digest = ref.rpartition("@")[2]
    specs = settings["findings"].get(digest, settings["findings"].get("*", []))
    digests = settings["report_digests"] or [digest]
    render = _trivy_report if tool == "trivy" else _grype_report
    text = json.dumps(render(ref, digests, specs, settings), indent=2)
    if mode == "truncated":
        text = text[: len(text) // 2]
    if mode == "banner":
        text += "\n\nA newer version is available: 9.9.9 (run the installer to upgrade)\n"
    sys.stdout.write(text)
    sys.stdout.flush()
    sys.exit(settings["exit_code"])


def _hang(pids_path: str) -> None:
    """Sleep for ever, with a grandchild holding the same stdout: the group kill must get both."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(pids_path, "a") as handle:
        handle.write(f"{os.getpid()} {child.pid}\n")
    time.sleep(600)


def _target(tool: str, args: list[str]) -> str:
    if tool == "trivy":
        return args[-1]
    valued = {"-o", "--output", "--file", "--platform", "--from", "-c", "--config"}
    for previous, arg in zip(["", *args], args, strict=False):
        if not arg.startswith("-") and previous not in valued:
            return arg.split(":", 1)[1] if arg.startswith(("docker:", "registry:")) else arg
    raise SystemExit("no target")


def _trivy_version(version: str, built: str | None) -> dict[str, Any]:
    document: dict[str, Any] = {"Version": version}
    if built:
        moment = datetime.fromisoformat(built)
        document["VulnerabilityDB"] = {
            "Version": 2,
            "NextUpdate": _z(moment + timedelta(hours=6)),
            "UpdatedAt": _z(moment),
            "DownloadedAt": _z(moment + timedelta(minutes=17)),
        }
        document["JavaDB"] = {
            "Version": 1,
            "NextUpdate": _z(moment + timedelta(days=3)),
            "UpdatedAt": _z(moment),
            "DownloadedAt": _z(moment + timedelta(minutes=17)),
        }
    return document


def _grype_version(version: str) -> dict[str, Any]:
    return {
        "application": "grype",
        "version": version,
        "buildDate": "2024-03-12T15:02:11Z",
        "gitCommit": "0123456789abcdef0123456789abcdef01234567",
        "gitDescription": f"v{version}",
        "platform": "linux/amd64",
        "goVersion": "go1.21.8",
        "compiler": "gc",
        "supportedDbSchema": 5,
    }


def _grype_db_status(built: str | None) -> dict[str, Any]:
    status: dict[str, Any] = {
        "schemaVersion": 5,
        "location": "/root/.cache/grype/db/5",
        "checksum": "sha256:" + "c" * 64,
        "error": None,
    }
    if built:
        status["built"] = _z(datetime.fromisoformat(built))
    return status


def _trivy_report(
    ref: str, digests: list[str], specs: list[dict[str, Any]], settings: dict[str, Any]
) -> dict[str, Any]:
    repository = ref.rpartition("@")[0]
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for spec in specs:
        kind = spec["package_type"]
        klass = "os-pkgs" if kind in OS_TYPES else "lang-pkgs"
        target = spec["target"] or (
            f"{ref} (debian 12.5)" if klass == "os-pkgs" else "usr/local/bin/app"
        )
        groups.setdefault((target, klass, kind), []).append(_trivy_vulnerability(spec))
    results: list[dict[str, Any]] = [
        {"Target": target, "Class": klass, "Type": kind, "Vulnerabilities": vulns}
        for (target, klass, kind), vulns in groups.items()
    ] or [{"Target": f"{ref} (debian 12.5)", "Class": "os-pkgs", "Type": "debian"}]
    return {
        "SchemaVersion": 2,
        "CreatedAt": _z(datetime.now(UTC)),
        "ArtifactName": ref,
        "ArtifactType": "container_image",
        "Metadata": {
            "OS": {"Family": "debian", "Name": "12.5"},
            "ImageID": IMAGE_ID,
            "DiffIDs": [LAYER],
            "RepoTags": [],
            "RepoDigests": [f"{repository}@{digest}" for digest in digests],
            "ImageConfig": {
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [LAYER]},
            },
        },
        "Results": results,
        "Trivy": {"Version": settings["version"]},
    }


def _trivy_vulnerability(spec: dict[str, Any]) -> dict[str, Any]:
    vuln: dict[str, Any] = {
        "VulnerabilityID": spec["id"],
        "PkgID": f"{spec['package']}@{spec['version']}",
        "PkgName": spec["package"],
        "PkgIdentifier": {
            "PURL": f"pkg:{spec['package_type']}/{spec['package']}@{spec['version']}",
            "UID": "1a2b3c4d5e6f7a8b",
        },
        "InstalledVersion": spec["version"],
        "Status": TRIVY_STATUS.get(spec["fix_state"], "unknown"),
        "Layer": {"DiffID": LAYER},
        "SeveritySource": "nvd",
        "PrimaryURL": f"https://avd.aquasec.com/nvd/{spec['id'].lower()}",
        "DataSource": {
            "ID": "debian",
            "Name": "Debian Security Tracker",
            "URL": "https://salsa.debian.org/security-tracker-team/security-tracker",
        },
        "Title": spec["title"] or f"{spec['package']}: issue {spec['id']}",
        "Description": "A flaw was found that allows a remote attacker to do something bad.",
        "Severity": spec["severity"].upper(),
        "CweIDs": ["CWE-787"],
        "VendorSeverity": {"debian": 2, "nvd": 3},
        "CVSS": {
            "nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": 9.8}
        },
        "References": [f"https://security-tracker.debian.org/tracker/{spec['id']}"],
        "PublishedDate": "2024-01-09T17:15:12.147Z",
        "LastModifiedDate": "2024-02-01T03:15:09.533Z",
    }
    if spec["aliases"]:
        vuln["VendorIDs"] = spec["aliases"]
    if spec["fixed_version"]:
        vuln["FixedVersion"] = spec["fixed_version"]
    return vuln


def _grype_report(
    ref: str, digests: list[str], specs: list[dict[str, Any]], settings: dict[str, Any]
) -> dict[str, Any]:
    repository = ref.rpartition("@")[0]
    descriptor: dict[str, Any] = {
        "name": "grype",
        "version": settings["version"],
        "configuration": {"output": ["json"], "only-fixed": False, "db": {"auto-update": True}},
        "timestamp": _z(datetime.now(UTC)),
    }
    if settings["descriptor_db"] and settings["db_built_at"]:
        descriptor["db"] = _grype_db_status(settings["db_built_at"])
    return {
        "matches": [_grype_match(spec) for spec in specs],
        "source": {
            "type": "image",
            "target": {
                "userInput": ref,
                "imageID": IMAGE_ID,
                "manifestDigest": digests[0],
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "tags": [],
                "imageSize": 7340032,
                "layers": [
                    {
                        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "digest": LAYER,
                        "size": 7340032,
                    }
                ],
                "manifest": None,
                "config": None,
                "repoDigests": [f"{repository}@{digest}" for digest in digests],
                "architecture": "amd64",
                "os": "linux",
            },
        },
        "distro": {"name": "debian", "version": "12", "idLike": []},
        "descriptor": descriptor,
    }


def _grype_match(spec: dict[str, Any]) -> dict[str, Any]:
    namespace = (
        "debian:distro:debian:12" if spec["package_type"] in OS_TYPES else "github:language:go"
    )
    return {
        "vulnerability": {
            "id": spec["id"],
            "dataSource": f"https://security-tracker.debian.org/tracker/{spec['id']}",
            "namespace": namespace,
            "severity": spec["severity"].title(),
            "urls": [f"https://security-tracker.debian.org/tracker/{spec['id']}"],
            "description": spec["title"] or "A flaw was found.",
            "cvss": [],
            "fix": {
                "versions": [spec["fixed_version"]] if spec["fixed_version"] else [],
                "state": GRYPE_STATE.get(spec["fix_state"], "unknown"),
            },
            "advisories": [],
        },
        "relatedVulnerabilities": [
            {
                "id": alias,
                "dataSource": f"https://nvd.nist.gov/vuln/detail/{alias}",
                "namespace": "nvd:cpe",
                "severity": "High",
                "urls": [],
                "cvss": [],
            }
            for alias in spec["aliases"]
        ],
        "matchDetails": [
            {
                "type": "exact-direct-match",
                "matcher": "dpkg-matcher",
                "searchedBy": {
                    "distro": {"type": "debian", "version": "12"},
                    "package": {"name": spec["package"], "version": spec["version"]},
                },
                "found": {
                    "vulnerabilityID": spec["id"],
                    "versionConstraint": f"< {spec['fixed_version'] or 'none'} (deb)",
                },
            }
        ],
        "artifact": {
            "id": "7b3c1e2f9a8d4c5b",
            "name": spec["package"],
            "version": spec["version"],
            "type": "deb" if spec["package_type"] in OS_TYPES else "go-module",
            "locations": [{"path": spec["target"] or "/var/lib/dpkg/status", "layerID": LAYER}],
            "language": "",
            "licenses": [],
            "cpes": [
                f"cpe:2.3:a:{spec['package']}:{spec['package']}:{spec['version']}:*:*:*:*:*:*:*"
            ],
            "purl": f"pkg:deb/debian/{spec['package']}@{spec['version']}?distro=debian-12",
            "upstreams": [],
        },
    }


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
