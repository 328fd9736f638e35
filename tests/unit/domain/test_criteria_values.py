"""The decision and criteria as values: summaries, parsing, round trips for storage."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from colibri.domain.criteria import (
    Criteria,
    Decision,
    IgnoreRule,
    Level,
    OnFailure,
    UnknownAs,
    evaluate,
)
from tests.support.fake_scanners import NOW, finding, report


def test_the_blocked_summary_lists_counts_worst_first_and_a_few_ids() -> None:
    items = [
        finding("CVE-H1", "high"),
        finding("CVE-C1", "critical"),
        finding("CVE-C2", "critical"),
        finding("CVE-H2", "high", package="zlib"),
    ]

    decision = evaluate(Criteria(Level.HIGH), report(*items), now=NOW)

    assert decision.summary == "blocked: 2 critical, 2 high (CVE-C1, CVE-C2, CVE-H1, +1 more)"


def test_the_passed_summary_names_the_level() -> None:
    assert evaluate(Criteria(Level.CRITICAL), report(), now=NOW).summary == (
        "allowed: no critical findings"
    )
    assert evaluate(Criteria(Level.MEDIUM), report(), now=NOW).summary == (
        "allowed: no medium or worse findings"
    )


def test_the_blocking_reason_names_the_image_and_the_ids() -> None:
    decision = evaluate(Criteria(Level.HIGH), report(finding("CVE-9", "critical")), now=NOW)

    assert decision.reasons == (
        f"1 high or worse finding(s) in docker.io/library/app@{'sha256:' + 'a' * 64}: CVE-9",
    )


@pytest.mark.parametrize(
    ("text", "level"),
    [("never", Level.NEVER), ("Critical", Level.CRITICAL), (" low ", Level.LOW)],
)
def test_levels_parse_from_settings(text: str, level: Level) -> None:
    assert Level.parse(text) is level


def test_an_unknown_level_lists_the_accepted_ones() -> None:
    with pytest.raises(ValueError, match="never, critical, high, medium, low"):
        Level.parse("any")


def test_criteria_round_trip_through_a_dict() -> None:
    criteria = Criteria(
        Level.MEDIUM,
        only_fixable=True,
        ignore=(
            IgnoreRule("CVE-1", reason="r", package="p", repository="nginx", expires=NOW),
            IgnoreRule("GHSA-x"),
        ),
        unknown_as=UnknownAs.HIGH,
        not_worse_than_running=True,
        on_failure=OnFailure.WARN,
        max_db_age=timedelta(hours=36),
    )

    assert Criteria.from_dict(criteria.to_dict()) == criteria
    assert Criteria.from_dict(Criteria(Level.LOW, max_db_age=None).to_dict()).max_db_age is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"level": "extreme"}, "criteria level"),
        ({"level": "high", "only_fixable": "yes"}, "criteria.only_fixable"),
        ({"level": "high", "max_db_age_seconds": "5d"}, "criteria.max_db_age_seconds"),
        ({"level": "high", "unknown_as": "panic"}, "unknown severity handling"),
        ({"level": "high", "ignore": [{"id": "CVE-1", "expires": "soon"}]}, "expires"),
        ({"level": "high", "ignore": [{"id": 7}]}, "ignore rule.id"),
        ({"level": "high", "ignore": "CVE-1"}, "criteria.ignore"),
        ({"level": "high", "ignore": [{"reason": "x"}]}, "id must not be empty"),
    ],
)
def test_bad_criteria_dicts_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=re.escape(field)):
        Criteria.from_dict(data)


def test_a_decision_round_trips_through_a_dict() -> None:
    rule = IgnoreRule("CVE-IGN", reason="accepted")
    criteria = Criteria(Level.HIGH, ignore=(rule,), max_db_age=timedelta(days=1))
    items = [finding("CVE-1", "critical"), finding("CVE-IGN", "high")]

    decision = evaluate(criteria, report(*items, built=NOW - timedelta(days=2)), now=NOW)
    warned = evaluate(
        Criteria(Level.HIGH, on_failure=OnFailure.WARN, ignore=(rule,)), report(*items), now=NOW
    )

    for value in (decision, warned):
        data = value.to_dict()
        assert data["summary"] == value.summary
        assert Decision.from_dict(data) == value
    assert warned.suppressed and warned.counted


def test_a_bad_decision_dict_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"decision\.allowed"):
        Decision.from_dict({"allowed": "yes", "level": "high", "outcome": "passed"})
    with pytest.raises(ValueError, match=r"decision\.outcome"):
        Decision.from_dict({"allowed": True, "level": "high", "outcome": "fine"})
