"""The registry's clock is the shared one (:mod:`colibri.clock`)."""

from __future__ import annotations

from colibri.clock import SystemClock

__all__ = ["SystemClock"]
