"""The one rule every listing of the service applies to ``limit`` and ``offset``."""

from __future__ import annotations

from colibri.domain.invalid import Invalid

__all__ = ["MAX_LIMIT", "check_page"]

MAX_LIMIT = 1000


def check_page(limit: int, offset: int) -> None:
    """``Invalid`` naming ``limit`` unless it is 1-:data:`MAX_LIMIT`, or ``offset`` when it
    is negative."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid("limit", f"must be 1-{MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise Invalid("offset", f"must be 0 or more, got {offset}")
