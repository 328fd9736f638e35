"""Standard five-field cron expressions, checked without running them.

``minute hour day-of-month month day-of-week``, each field a comma-separated list of ``*``,
``N``, ``A-B``, each optionally followed by ``/STEP``; months and weekdays may be named
(``jan``-``dec``, ``sun``-``sat``, any case); weekday ``7`` is Sunday as ``0`` is; ``?`` stands
for ``*`` in the day fields. This is the subset every cron library agrees on (croniter, which
the scheduler uses to compute run times, accepts all of it), so a stored expression never
fails later. Extensions (seconds or year fields, ``@daily``, ``L``, ``W``, ``#``) are refused
with a message saying so.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from colibri.domain.invalid import Invalid

__all__ = ["check_cron"]


class _Field(NamedTuple):
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names for low, low+1, ...


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field(
        "month",
        1,
        12,
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    ),
    _Field("day-of-week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")),
)
_ITEM = re.compile(r"(?P<range>\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>[0-9]+))?")


def check_cron(expression: str, *, field: str = "cron") -> str:
    """``expression`` with its fields separated by single spaces, or ``Invalid`` naming the
    cron field that is wrong and why (``field`` is the name the caller knows it by)."""
    parts = expression.split()
    if len(parts) != len(_FIELDS):
        raise Invalid(
            field,
            f"{expression!r} has {len(parts)} field(s); expected 5: "
            "minute hour day-of-month month day-of-week (as in '0 4 * * *')",
        )
    for text, spec in zip(parts, _FIELDS, strict=True):
        for item in text.split(","):
            problem = _item_problem(item, spec)
            if problem:
                raise Invalid(field, f"{spec.name} field {text!r}: {problem}")
    return " ".join(parts)


def _item_problem(item: str, spec: _Field) -> str | None:
    """Why one list item of a field is wrong, or ``None``."""
    if item == "?" and spec.name.startswith("day-of"):
        return None
    match = _ITEM.fullmatch(item)
    if match is None:
        return f"{item!r} is not *, N, A-B or one of those followed by /STEP"
    step = match["step"]
    if step is not None and not 1 <= int(step) <= spec.high:
        return f"step {step} is out of range 1-{spec.high}"
    if match["range"] == "*":
        return None
    values: list[int] = []
    for text in match["range"].split("-"):
        value = _value(text, spec)
        if value is None:
            return f"{text!r} is not a number{_named(spec)} in {spec.low}-{spec.high}"
        values.append(value)
    if len(values) == 2 and values[0] > values[1]:
        return f"range {match['range']} goes backwards"
    return None


def _value(text: str, spec: _Field) -> int | None:
    """The number a field value stands for, or ``None`` when it is not in the field's range."""
    if text.isdigit():
        number = int(text)
        return number if spec.low <= number <= spec.high else None
    lowered = text.lower()
    return spec.low + spec.names.index(lowered) if lowered in spec.names else None


def _named(spec: _Field) -> str:
    return " or name" if spec.names else ""
