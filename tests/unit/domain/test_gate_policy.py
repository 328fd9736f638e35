"""Gate settings: label overrides over the global policy, durations, the JSON ignore file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from colibri.domain.criteria import Criteria, IgnoreRule, Level, OnFailure, UnknownAs
from colibri.domain.gate_policy import (
    GateOverrides,
    GatePolicy,
    parse_duration,
    parse_ignore_rules,
)
from colibri.errors import ConfigError

GLOBAL = GatePolicy(
    Criteria(Level.HIGH, ignore=(IgnoreRule("CVE-2020-1", reason="global"),)),
    require_signature=False,
)


def test_no_labels_keep_the_global_policy() -> None:
    assert GLOBAL.with_labels({"colibri.enable": "true", "other": "x"}) == GLOBAL


def test_every_label_overrides_its_setting() -> None:
    policy = GLOBAL.with_labels(
        {
            "colibri.criteria": "CRITICAL",
            "colibri.criteria.only-fixable": "yes",
            "colibri.criteria.not-worse": "true",
            "colibri.criteria.unknown-as": "ignore",
            "colibri.criteria.ignore": "CVE-2024-1, GHSA-aaaa-bbbb-cccc",
            "colibri.scan-failure": "warn",
            "colibri.require-signature": "on",
        }
    )
    criteria = policy.criteria
    assert criteria.level is Level.CRITICAL
    assert criteria.only_fixable and criteria.not_worse_than_running
    assert criteria.unknown_as is UnknownAs.IGNORE
    assert criteria.on_failure is OnFailure.WARN
    assert policy.require_signature
    assert [rule.id for rule in criteria.ignore] == [
        "CVE-2020-1",
        "CVE-2024-1",
        "GHSA-aaaa-bbbb-cccc",
    ]
    assert "colibri.criteria.ignore" in criteria.ignore[1].reason
    assert criteria.max_db_age == GLOBAL.criteria.max_db_age  # not a label: kept


def test_labels_can_also_turn_things_off() -> None:
    strict = GatePolicy(Criteria(Level.LOW, only_fixable=True), require_signature=True)
    relaxed = strict.with_labels(
        {
            "colibri.criteria": "never",
            "colibri.criteria.only-fixable": "false",
            "colibri.require-signature": "0",
        }
    )
    assert relaxed.criteria.level is Level.NEVER and not relaxed.criteria.only_fixable
    assert not relaxed.require_signature and not relaxed.active


@pytest.mark.parametrize(
    ("label", "value", "says"),
    [
        ("colibri.criteria", "hgih", "not one of never, critical, high, medium, low"),
        ("colibri.criteria.only-fixable", "maybe", "expected true or false"),
        ("colibri.criteria.not-worse", "", "expected true or false"),
        ("colibri.criteria.unknown-as", "severe", "not one of critical"),
        ("colibri.criteria.ignore", " , ", "comma-separated vulnerability IDs"),
        ("colibri.scan-failure", "allow", "not one of block, warn"),
        ("colibri.require-signature", "required", "expected true or false"),
    ],
)
def test_an_invalid_label_is_an_error_naming_it(label: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        GLOBAL.with_labels({label: value})
    assert str(caught.value).startswith(f"label {label}={value!r}: ")
    assert says in str(caught.value)


def test_an_unknown_criteria_label_is_a_typo_not_ignored() -> None:
    with pytest.raises(ConfigError, match=r"label colibri\.criteria\.only_fixable: unknown"):
        GLOBAL.with_labels({"colibri.criteria.only_fixable": "true"})


def test_overrides_are_one_frozen_value_an_api_can_build() -> None:
    overrides = GateOverrides(level=Level.MEDIUM, require_signature=True)
    assert overrides == GateOverrides.from_labels(
        {"colibri.criteria": "medium", "colibri.require-signature": "true"}
    )
    applied = overrides.apply(GLOBAL)
    assert applied.criteria.level is Level.MEDIUM and applied.require_signature
    assert applied.to_dict()["criteria"]["level"] == "medium"
    with pytest.raises(AttributeError):
        overrides.level = Level.LOW  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5d", timedelta(days=5)),
        ("120h", timedelta(hours=120)),
        ("30m", timedelta(minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("3600", timedelta(hours=1)),
        ("1.5h", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        ("off", None),
        ("0", None),
        (" None ", None),
    ],
)
def test_durations(text: str, expected: timedelta | None) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["5x", "-1d", "d", "five days"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_the_ignore_file_as_a_list_or_an_object() -> None:
    rules = [
        {"id": "CVE-2024-1", "reason": "not reachable"},
        {
            "id": "CVE-2024-2",
            "package": "openssl",
            "repository": "docker.io/library/*",
            "expires": "2030-01-01T00:00:00+00:00",
        },
    ]
    parsed = parse_ignore_rules(json.dumps(rules), "ignore.json")
    assert parsed == parse_ignore_rules(json.dumps({"ignore": rules}), "ignore.json")
    assert parsed[0] == IgnoreRule("CVE-2024-1", reason="not reachable")
    assert parsed[1].expires == datetime(2030, 1, 1, tzinfo=UTC)
    assert parsed[1].package == "openssl"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "not valid JSON"),
        ('{"rules": []}', "expected a list of rules"),
        ('["CVE-1"]', "rule 1: expected an object"),
        ('[{"id": "CVE-1", "expiry": "2030-01-01"}]', "rule 1: unknown key(s) expiry"),
        ('[{"id": "CVE-1"}, {"id": ""}]', "rule 2: ignore rule: id must not be empty"),
        ('[{"id": "CVE-1", "expires": "2030-01-01"}]', "must carry a timezone"),
        ('[{"id": "CVE-1", "expires": "soon"}]', "not an ISO 8601 time"),
    ],
)
def test_a_bad_ignore_file_names_the_file_and_rule(text: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_ignore_rules(text, "COLIBRI_IGNORE_FILE=/etc/ignore.json")
    assert str(caught.value).startswith("COLIBRI_IGNORE_FILE=/etc/ignore.json: ")
    assert says in str(caught.value)
