"""Which maintenance window and minimum age apply to a container.

Each can be given at four levels; the most specific one that is set wins:

1. the container's label (``colibri.window``, ``colibri.min-age``);
2. its auto-update setting (``window``, ``min_age``);
3. its environment (``window``);
4. the global default (``COLIBRI_WINDOW``, ``COLIBRI_MIN_AGE``).

``off`` at a level means "none" there and stops the lookup (a label ``colibri.window=off``
lets a container update at any time even under a global window).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from colibri.domain.image_age import parse_min_age
from colibri.domain.invalid import Invalid
from colibri.domain.windows import WindowSet, parse_windows
from colibri.errors import ConfigError

__all__ = ["MIN_AGE_LABEL", "WINDOW_LABEL", "Controls", "effective_min_age", "effective_window"]

WINDOW_LABEL = "colibri.window"
MIN_AGE_LABEL = "colibri.min-age"
_OFF = frozenset({"off", "none", "always"})


@dataclass(frozen=True, slots=True)
class Controls:
    """The window and minimum age one container's update is held to."""

    window: WindowSet | None = None
    min_age: timedelta | None = None


def effective_window(
    labels: Mapping[str, str], *levels: tuple[str, str | None]
) -> WindowSet | None:
    """The window from the label, else the first of ``levels`` (``(name, text)`` pairs, most
    specific first) that is set. ``ConfigError`` names the label or level that is unreadable."""
    for name, text in ((f"label {WINDOW_LABEL}", labels.get(WINDOW_LABEL)), *levels):
        if text is None or not text.strip():
            continue
        if text.strip().lower() in _OFF:
            return None
        try:
            return parse_windows(text)
        except Invalid as exc:
            raise ConfigError(f"{name}: {exc.reason}") from None
    return None


def effective_min_age(
    labels: Mapping[str, str], *levels: tuple[str, str | None]
) -> timedelta | None:
    """The minimum age from the label, else from the first of ``levels`` that is set."""
    for name, text in ((f"label {MIN_AGE_LABEL}", labels.get(MIN_AGE_LABEL)), *levels):
        if text is None or not text.strip():
            continue
        try:
            return parse_min_age(text)
        except Invalid as exc:
            raise ConfigError(f"{name}: {exc.reason}") from None
    return None
