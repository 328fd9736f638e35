"""What every command shares: exit codes, option types, logging and error handling."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum, StrEnum

import typer

from colibri.errors import ColibriError

__all__ = [
    "EXIT_CODES_HELP",
    "ExitCode",
    "OutputFormat",
    "configure_logging",
    "fail_cleanly",
]


class ExitCode(IntEnum):
    """Process exit codes of ``colibri check`` / ``colibri update``."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    UPDATES_AVAILABLE = 3
    INCOMPLETE = 4


EXIT_CODES_HELP = (
    "Exit codes: 0 done, nothing to update and nothing failed; "
    "1 could not run (daemon unreachable, invalid configuration); "
    "2 invalid command line; "
    "3 check: at least one update is available; "
    "4 at least one container could not be checked or updated (error, deferred, unknown name)."
)


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def configure_logging(level: str) -> None:
    """One handler on stderr, for every colibri logger; called once per command."""
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for noisy in ("httpx", "httpcore", "urllib3", "docker", "alembic"):
        logging.getLogger(noisy).setLevel(quiet)


@contextmanager
def fail_cleanly() -> Iterator[None]:
    """Turn an expected error into one line on stderr and exit code 1 (no traceback)."""
    try:
        yield
    except ColibriError as exc:
        typer.echo(f"colibri: {exc}", err=True)
        raise typer.Exit(ExitCode.FAILURE) from exc
