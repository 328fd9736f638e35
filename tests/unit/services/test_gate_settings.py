"""The gate's ``COLIBRI_*`` settings: parsing, errors naming the variable, and the global
``GatePolicy`` the composition root builds from them (ignore file included)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from colibri.bootstrap import gate as bootstrap
from colibri.config import load_settings
from colibri.domain.criteria import DEFAULT_MAX_DB_AGE, Level, OnFailure, UnknownAs
from colibri.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SCANNER", "CRITERIA", "SCAN_FAILURE", "REQUIRE_SIGNATURE", "IGNORE_FILE"):
        monkeypatch.delenv(f"COLIBRI_{name}", raising=False)


def test_the_defaults_gate_nothing() -> None:
    settings = load_settings()
    assert settings.scanner == "none" and settings.scan_source == "docker"
    assert settings.scan_timeout == 600.0
    policy = bootstrap.gate_policy(settings)
    assert policy.criteria.level is Level.NEVER and not policy.require_signature
    assert policy.criteria.unknown_as is UnknownAs.CRITICAL
    assert policy.criteria.on_failure is OnFailure.BLOCK
    assert policy.criteria.max_db_age == DEFAULT_MAX_DB_AGE
    assert not policy.active


def test_every_variable_reaches_the_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.json"
    ignore.write_text(json.dumps([{"id": "CVE-2024-1", "reason": "not reachable"}]))
    for name, value in {
        "SCANNER": "Both",
        "CRITERIA": "HIGH",
        "CRITERIA_ONLY_FIXABLE": "true",
        "CRITERIA_NOT_WORSE": "1",
        "CRITERIA_UNKNOWN_AS": "medium",
        "SCAN_FAILURE": "warn",
        "SCAN_DB_MAX_AGE": "36h",
        "IGNORE_FILE": str(ignore),
        "REQUIRE_SIGNATURE": "yes",
        "SIGNATURE_REPOSITORY": "registry.lan/signatures",
    }.items():
        monkeypatch.setenv(f"COLIBRI_{name}", value)
    settings = load_settings()
    assert settings.scanner == "both"
    assert settings.signature_repository == "registry.lan/signatures"
    policy = bootstrap.gate_policy(settings)
    criteria = policy.criteria
    assert criteria.level is Level.HIGH and criteria.only_fixable
    assert criteria.not_worse_than_running and criteria.unknown_as is UnknownAs.MEDIUM
    assert criteria.on_failure is OnFailure.WARN
    assert criteria.max_db_age == timedelta(hours=36)
    assert [rule.id for rule in criteria.ignore] == ["CVE-2024-1"]
    assert policy.require_signature


def test_db_max_age_off_trusts_any_age(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLIBRI_SCAN_DB_MAX_AGE", "off")
    assert bootstrap.gate_policy(load_settings()).criteria.max_db_age is None


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SCANNER", "clair", "must be one of none, trivy, grype, both"),
        ("CRITERIA", "severe", "is not one of never, critical, high, medium, low"),
        ("CRITERIA_UNKNOWN_AS", "zero", "is not one of critical, high, medium, low, ignore"),
        ("SCAN_FAILURE", "ignore", "is not one of block, warn"),
        ("SCAN_DB_MAX_AGE", "a while", "is not a duration"),
        ("SCAN_TIMEOUT", "0", "greater than 0"),
        ("SCAN_SOURCE", "podman", "must be docker or remote"),
        ("SIGNATURE_REPOSITORY", "registry.lan/sigs:latest", "without tag or digest"),
    ],
)
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(f"COLIBRI_{name}", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert f"COLIBRI_{name}: " in str(caught.value) and says in str(caught.value)


def test_an_unreadable_or_invalid_ignore_file_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.json"
    monkeypatch.setenv("COLIBRI_IGNORE_FILE", str(missing))
    with pytest.raises(
        ConfigError, match=re.escape(f"COLIBRI_IGNORE_FILE={missing}: cannot be read")
    ):
        bootstrap.gate_policy(load_settings())
    missing.write_text('[{"id": "CVE-1", "expires": "tomorrow"}]')
    with pytest.raises(ConfigError, match=r"rule 1: ignore rule\.expires"):
        bootstrap.gate_policy(load_settings())
