"""Cron expressions: the standard five fields, checked the way croniter will read them."""

from __future__ import annotations

import pytest
from croniter import croniter

from colibri.domain.cron import check_cron
from colibri.domain.invalid import Invalid

VALID = [
    "0 4 * * *",
    "0 4 * * 1",
    "*/15 * * * *",
    "0 0-23/2 * * *",
    "5,35 9-17 * * mon-fri",
    "0 3 1 JAN,jul ?",
    "0 12 ? * 7",
    "59 23 31 12 6",
    "5/10 * * * *",
]


@pytest.mark.parametrize("expression", VALID)
def test_valid_expressions_are_kept_and_croniter_reads_them(expression: str) -> None:
    assert check_cron(expression) == expression
    assert croniter.is_valid(expression)


def test_spacing_is_normalised() -> None:
    assert check_cron("  0   4 *\t* * ") == "0 4 * * *"


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("0 4 * *", "has 4 field"),
        ("0 0 4 * * *", "has 6 field"),
        ("@daily", "has 1 field"),
        ("", "has 0 field"),
        ("60 * * * *", "minute field '60'"),
        ("0 24 * * *", "hour field '24': '24' is not a number in 0-23"),
        ("0 0 0 * *", "day-of-month field '0'"),
        ("0 0 * 13 *", "month field '13': '13' is not a number or name in 1-12"),
        ("0 0 * * 8", "day-of-week field '8'"),
        ("0 0 * * fun", "'fun' is not a number or name"),
        ("*/0 * * * *", "step 0 is out of range"),
        ("0 5-1 * * *", "range 5-1 goes backwards"),
        ("0 0 L * *", "day-of-month field 'L'"),
        ("0 0 * * 5#2", "day-of-week field '5#2'"),
        ("? * * * *", "minute field '?'"),
        ("0 0 1,,2 * *", "'' is not"),
    ],
)
def test_a_wrong_expression_names_the_field_and_why(expression: str, words: str) -> None:
    with pytest.raises(Invalid, match=words.replace("?", r"\?")) as raised:
        check_cron(expression)
    assert raised.value.field == "cron"


def test_the_caller_names_the_field() -> None:
    with pytest.raises(Invalid) as raised:
        check_cron("bad", field="schedule.cron")
    assert raised.value.field == "schedule.cron"
