"""A valid equivalent of a cron expression written for another cron, for the 422 that refuses
it: ``@daily`` is ``0 0 * * *``, and a six-field expression whose first field is seconds (as
Quartz and Spring write them) is the other five at second 0.

The refusal then carries, besides which field is wrong and why, the expression to use instead
and when it would run (``ctx.suggestion`` and ``ctx.next_runs``), so a settings form can offer
it. Only expressions whose meaning is certain are translated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from colibri.api.errors import field_error
from colibri.api.ports import ScheduleApi
from colibri.domain.invalid import Invalid

__all__ = ["MACROS", "cron_refusals", "equivalent", "suggestion"]

#: The ``@`` shorthands of Vixie cron, as five fields.
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_SECONDS_FIELDS = 6


def equivalent(expression: str) -> str | None:
    """The five-field expression ``expression`` means in another cron, or ``None``."""
    text = expression.strip().lower()
    if text in MACROS:
        return MACROS[text]
    fields = expression.split()
    if len(fields) == _SECONDS_FIELDS and fields[0] in ("0", "00"):
        return " ".join(fields[1:])
    return None


def suggestion(
    schedules: ScheduleApi, expression: str | None, timezone: str = "UTC"
) -> dict[str, Any] | None:
    """``{"suggestion": …, "next_runs": […]}`` for an expression that has a valid
    equivalent, else ``None``."""
    if expression is None:
        return None
    candidate = equivalent(expression)
    if candidate is None:
        return None
    try:
        _, runs = schedules.describe_cron(candidate, timezone)
    except Invalid:
        return None
    return {"suggestion": candidate, "next_runs": [moment.isoformat() for moment in runs]}


@contextmanager
def cron_refusals(
    schedules: ScheduleApi,
    loc: Sequence[str],
    expression: str | None,
    timezone: str = "UTC",
) -> Iterator[None]:
    """Turn an ``Invalid`` on ``cron`` into a 422 at ``loc`` with the valid equivalent, when
    there is one; other refusals pass through."""
    try:
        yield
    except Invalid as exc:
        if exc.field != "cron":
            raise
        hint = suggestion(schedules, expression, timezone)
        reason = (
            exc.reason if hint is None else f"{exc.reason}; did you mean {hint['suggestion']!r}?"
        )
        raise field_error(422, loc, reason, "value_error", ctx=hint) from None
