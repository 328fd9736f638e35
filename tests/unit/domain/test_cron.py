"""Cron expressions: the standard five fields, checked the way croniter will read them."""

from __future__ import annotations

import pytest
from croniter import croniter

from colibri.domain.cron import CronRule, check_cron, cron_rule, field_values
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


@pytest.mark.parametrize("expression", ["* * ?,* * *", "0 4 ?,1 * *", "0 4 * * ?,1", "0 4 * * 1,?"])
def test_a_question_mark_inside_a_list_is_refused(expression: str) -> None:
    with pytest.raises(Invalid, match="cannot be part of a list"):
        check_cron(expression)


SUNDAY, SATURDAY, FRIDAY = 0, 6, 5


@pytest.mark.parametrize(
    ("weekdays", "days"),
    [
        ("sat-sun", {SATURDAY, SUNDAY}),
        ("fri-sun", {FRIDAY, SATURDAY, SUNDAY}),
        ("MON-SUN", set(range(7))),
        ("sun-sat", set(range(7))),
        ("5-7", {FRIDAY, SATURDAY, SUNDAY}),
        ("7-7", {SUNDAY}),
        ("7/1", {SUNDAY}),
        ("7", {SUNDAY}),
        ("6/1", {SATURDAY}),  # N/STEP ends at Saturday, as croniter and cron-descriptor read it
        ("1/2", {1, 3, 5}),
        ("0-7/2", {SUNDAY, 2, 4, SATURDAY}),
        ("*/7", {SUNDAY}),
        ("?", set(range(7))),
    ],
)
def test_weekday_values_with_sunday_as_seven(weekdays: str, days: set[int]) -> None:
    assert check_cron(f"0 4 * * {weekdays}") == f"0 4 * * {weekdays}"
    assert field_values(f"0 4 * * {weekdays}")[4] == days


def test_sunday_ending_a_range_is_seven_only_after_another_day() -> None:
    assert field_values("0 4 * * sun-sun")[4] == {SUNDAY}
    assert field_values("0 4 * * 0-sun")[4] == {SUNDAY}
    assert field_values("0 4 * * 0-7")[4] == set(range(7))
    with pytest.raises(Invalid, match="range sat-fri goes backwards"):
        check_cron("0 4 * * sun-sat,mon-sun,sat-fri")


@pytest.mark.parametrize(
    ("expression", "rule"),
    [
        ("0 4 * * 7-7", CronRule("0 4 * * 0", day_or=False)),
        ("0 4 * * 7/1", CronRule("0 4 * * 0", day_or=False)),
        ("0 4 * * sat-sun", CronRule("0 4 * * 0,6", day_or=False)),
        ("0 4 * * mon-fri", CronRule("0 4 * * mon-fri", day_or=False)),
        ("5-5 3-3/2 * * *", CronRule("5 3 * * *", day_or=False)),
        ("0 4 1 * mon", CronRule("0 4 1 * 1", day_or=True)),
        ("0 4 1 * */2", CronRule("0 4 1 * */2", day_or=False)),
        ("0 4 1,* * 1", CronRule("0 4 1-31,1 * 1", day_or=True)),
        ("0 4 ? * 1", CronRule("0 4 ? * 1", day_or=False)),
    ],
)
def test_the_scheduler_gets_what_croniter_reads_right(expression: str, rule: CronRule) -> None:
    assert cron_rule(expression) == rule
