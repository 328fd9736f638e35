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
    "SecretFilter",
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
    """One handler on stderr, for every colibri logger; called once per command.

    Secrets stay out at every level: every line goes through :class:`SecretFilter`, and the
    libraries that log whole requests at DEBUG (Apprise: target URLs and payloads; urllib3,
    under Apprise: request lines with query tokens) are never more verbose than INFO."""
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, SecretFilter) for f in handler.filters):
            handler.addFilter(SecretFilter())
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for noisy in ("httpx", "httpcore", "docker", "alembic"):
        logging.getLogger(noisy).setLevel(quiet)
    for leaky in ("apprise", "urllib3", "requests"):
        logging.getLogger(leaky).setLevel(max(logging.INFO, logging.getLevelName(level)))


class SecretFilter(logging.Filter):
    """Rewrites each record's message without the secrets a line may carry
    (:func:`colibri.domain.redaction.redact_text`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from colibri.domain.redaction import redact_text

        message = record.getMessage()
        shown = redact_text(message)
        if shown != message:
            record.msg, record.args = shown, None
        return True


@contextmanager
def fail_cleanly() -> Iterator[None]:
    """Turn an expected error into one line on stderr and exit code 1 (no traceback)."""
    try:
        yield
    except ColibriError as exc:
        typer.echo(f"colibri: {exc}", err=True)
        raise typer.Exit(ExitCode.FAILURE) from exc
