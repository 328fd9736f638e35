"""The names a container carries for a moment while Colibri replaces it.

The new copy is created as ``<name>-colibri-new-<run>`` and the old one is renamed aside to
``<name>-colibri-old-<run>`` (``<run>``: the first eight characters of the run id) until the
swap commits or is undone. Neither is a container of its own: selection leaves them out, so a
second ``colibri`` looking at the daemon mid-swap never tries to update a set-aside copy, and
recovery finds them again by these names.
"""

from __future__ import annotations

import re

__all__ = ["aside_name", "new_name", "replaced_by"]

_SUFFIX = 8
_TRANSIENT = re.compile(r"^(?P<name>.+)-colibri-(?:new|old)-[0-9a-f]{8}$")


def new_name(name: str, run_id: str) -> str:
    """Where run ``run_id`` creates the replacement of ``name``."""
    return f"{name}-colibri-new-{run_id[:_SUFFIX]}"


def aside_name(name: str, run_id: str) -> str:
    """Where run ``run_id`` keeps the old ``name`` until it commits or undoes the swap."""
    return f"{name}-colibri-old-{run_id[:_SUFFIX]}"


def replaced_by(name: str) -> str | None:
    """The container ``name`` is a temporary copy of, or ``None`` for an ordinary name."""
    match = _TRANSIENT.match(name.lstrip("/"))
    return match.group("name") if match else None
