"""Standard five-field cron expressions, checked without running them.

``minute hour day-of-month month day-of-week``, each field a comma-separated list of ``*``,
``N``, ``A-B``, each optionally followed by ``/STEP``; months and weekdays may be named
(``jan``-``dec``, ``sun``-``sat``, any case); ``?`` alone stands for ``*`` in the day fields.
Extensions (seconds or year fields, ``@daily``, ``L``, ``W``, ``#``) are refused with a message
saying so, and so is ``?`` inside a list (``?,1``), which no cron library reads.

Sunday is ``0`` and also ``7``, and ``sun`` at the end of a range is ``7``, so ``sat-sun``,
``fri-sun`` and ``mon-sun`` are the weekends and the whole week they look like, and ``7-7`` and
``7/1`` are Sunday only (``sun-sun`` too). ``N/STEP`` runs from ``N`` to the field's last value
(``sat`` for the weekdays, so ``6/1`` is Saturday). A range never wraps around: ``5-1`` is
refused.

When both day fields are restricted, a day matching either runs (``0 4 1 * mon`` is the first of
the month and every Monday); a day field that starts with ``*`` or is ``?`` does not restrict,
so ``0 4 1 * */2`` is the first of the month when it falls on an even weekday. This is the rule
of Vixie cron and cronie.

:func:`check_cron` validates; :func:`cron_rule` turns a valid expression into the form the
scheduler computes with (croniter) and describes with (cron-descriptor): items of one value
(``5-5``) and weekday items that involve ``7`` spelled out as plain numbers (croniter reads
``5-5`` and ``7/1`` as ``*``), and whether the day fields combine with "or". A property test
checks that every expression :func:`check_cron` accepts is computed by the scheduler, and
computed to the dates these rules give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from colibri.domain.invalid import Invalid

__all__ = ["CronRule", "check_cron", "cron_rule", "field_values"]


class _Field(NamedTuple):
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names for low, low+1, ...


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day-of-week", 0, 7, _WEEKDAYS),
)
_DAY_OF_MONTH, _DAY_OF_WEEK = 2, 4
_LAST_WEEKDAY = 6  # where ``N/STEP`` stops in the day-of-week field
_ITEM = re.compile(r"(?P<range>\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>[0-9]+))?")


class _Item(NamedTuple):
    """One list item read: ``start``-``end`` every ``step``; ``star`` for ``*``/``?``."""

    start: int
    end: int
    step: int
    star: bool


@dataclass(frozen=True, slots=True)
class CronRule:
    """What the scheduler computes with: ``expression`` for croniter and cron-descriptor,
    ``day_or`` whether a day matching either day field runs (croniter's ``day_or``)."""

    expression: str
    day_or: bool


def check_cron(expression: str, *, field: str = "cron") -> str:
    """``expression`` with its fields separated by single spaces, or ``Invalid`` naming the
    cron field that is wrong and why (``field`` is the name the caller knows it by)."""
    _read(expression, field)
    return " ".join(expression.split())


def cron_rule(expression: str) -> CronRule:
    """The scheduler's form of a valid ``expression`` (``Invalid`` when it is not)."""
    fields = _read(expression, "cron")
    parts = [
        _for_scheduler(text, items, spec)
        for text, items, spec in zip(expression.split(), fields, _FIELDS, strict=True)
    ]
    restricted = [not _unrestricted(parts[i]) for i in (_DAY_OF_MONTH, _DAY_OF_WEEK)]
    return CronRule(" ".join(parts), day_or=all(restricted))


def field_values(expression: str) -> tuple[frozenset[int], ...]:
    """The values each field of a valid ``expression`` matches (weekdays 0-6, Sunday 0)."""
    fields = _read(expression, "cron")
    values = []
    for items, spec in zip(fields, _FIELDS, strict=True):
        found = {value for item in items for value in _expand(item)}
        if spec.name == "day-of-week":
            found = {value % 7 for value in found}
        values.append(frozenset(found))
    return tuple(values)


def _read(expression: str, field: str) -> list[list[_Item]]:
    parts = expression.split()
    if len(parts) != len(_FIELDS):
        raise Invalid(
            field,
            f"{expression!r} has {len(parts)} field(s); expected 5: "
            "minute hour day-of-month month day-of-week (as in '0 4 * * *')",
        )
    fields: list[list[_Item]] = []
    for text, spec in zip(parts, _FIELDS, strict=True):
        items: list[_Item] = []
        for item in text.split(","):
            read = _item(item, spec, alone=text == item)
            if isinstance(read, str):
                raise Invalid(field, f"{spec.name} field {text!r}: {read}")
            items.append(read)
        fields.append(items)
    return fields


def _item(item: str, spec: _Field, *, alone: bool) -> _Item | str:
    """One list item of a field read, or why it is wrong."""
    day_field = spec.name.startswith("day-of")
    if item == "?" and day_field:
        if not alone:
            return "'?' stands for the whole field and cannot be part of a list"
        return _Item(spec.low, _last(spec), 1, star=True)
    match = _ITEM.fullmatch(item)
    if match is None:
        return f"{item!r} is not *, N, A-B or one of those followed by /STEP"
    step_text = match["step"]
    step = 1 if step_text is None else int(step_text)
    if not 1 <= step <= spec.high:
        return f"step {step_text} is out of range 1-{spec.high}"
    if match["range"] == "*":
        return _Item(spec.low, _last(spec), step, star=True)
    ends = match["range"].split("-")
    values: list[int] = []
    for position, text in enumerate(ends):
        value = _value(text, spec, range_end=position == 1)
        if value is None:
            return f"{text!r} is not a number{_named(spec)} in {spec.low}-{spec.high}"
        values.append(value)
    if len(values) == 2:
        if values == [0, 7] and not ends[1].isdigit():
            values = [0, 0]  # sun-sun is Sunday
        if values[0] > values[1]:
            return f"range {match['range']} goes backwards"
        return _Item(values[0], values[1], step, star=False)
    start = values[0]
    end = start if step_text is None else max(start, _last(spec))
    return _Item(start, end, step, star=False)


def _last(spec: _Field) -> int:
    """Where ``*`` and ``N/STEP`` end: the last value (Saturday for the weekdays)."""
    return _LAST_WEEKDAY if spec.name == "day-of-week" else spec.high


def _value(text: str, spec: _Field, *, range_end: bool) -> int | None:
    """The number a field value stands for, or ``None`` when it is not in the field's range.
    ``sun`` ending a range is 7, so that ``sat-sun`` goes forwards."""
    if text.isdigit():
        number = int(text)
        return number if spec.low <= number <= spec.high else None
    lowered = text.lower()
    if lowered not in spec.names:
        return None
    value = spec.low + spec.names.index(lowered)
    return 7 if range_end and spec.name == "day-of-week" and value == 0 else value


def _expand(item: _Item) -> range:
    return range(item.start, item.end + 1, item.step)


def _for_scheduler(text: str, items: list[_Item], spec: _Field) -> str:
    """A field as croniter reads it right: an item of one value as that number (croniter
    reads ``5-5`` as ``*``), a weekday item that reaches 7 spelled out as 0-6 numbers (it
    reads ``7-7`` and ``7/1`` as every day), a ``*`` inside a restricting day field as the
    range it stands for (croniter would take the whole field for ``*``); others as written."""
    weekdays = spec.name == "day-of-week"
    restricting_day = spec.name.startswith("day-of") and not _unrestricted(text)
    kept: list[str] = []
    spelled: set[int] = set()
    for written, item in zip(text.split(","), items, strict=True):
        values = _expand(item)
        if item.star and restricting_day:
            kept.append(f"{item.start}-{item.end}" + written.removeprefix("*"))
        elif item.star:
            kept.append(written)
        elif len(values) == 1 or (weekdays and item.end >= 7):
            spelled.update(value % 7 if weekdays else value for value in values)
        else:
            kept.append(written)
    return ",".join([*kept, *(str(value) for value in sorted(spelled))])


def _unrestricted(text: str) -> bool:
    """A day field that starts with ``*`` or is ``?`` restricts nothing (Vixie cron)."""
    return text.startswith("*") or text == "?"


def _named(spec: _Field) -> str:
    return " or name" if spec.names else ""
