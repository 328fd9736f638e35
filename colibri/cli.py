"""Command-line entry point (filled in by the check command)."""

from __future__ import annotations


def main() -> None:
    raise SystemExit("colibri: not implemented yet")
