"""``colibri recover`` and ``colibri history``: the journal, read and repaired."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from colibri.bootstrap import cli as bootstrap
from colibri.cli.common import ExitCode, OutputFormat, configure_logging, fail_cleanly
from colibri.cli.options import FormatOpt, HostOpt, LogOpt
from colibri.cli.render import print_history, print_recovery
from colibri.config import load_settings

__all__ = ["history", "recover"]

NameArg = Annotated[str | None, typer.Argument(help="Only this container's runs.")]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs.")]
DataOpt = Annotated[
    bool,
    typer.Option(
        "--data", help="JSON only: include each step's data (old inspect, gate decision...)."
    ),
]


def recover(
    output: FormatOpt = OutputFormat.TABLE,
    host: HostOpt = None,
    log_level: LogOpt = None,
) -> None:
    """Finish or undo every interrupted update: afterwards exactly one container carries each
    name, it runs if it ran before, and no temporary or set-aside container is left."""
    with fail_cleanly():
        settings = load_settings(docker_host=host, log_level=log_level)
        configure_logging(settings.log_level)
        with bootstrap.updater(settings) as service:
            outcomes = service.recover()
    if output is OutputFormat.JSON:
        typer.echo(json.dumps([outcome.as_dict() for outcome in outcomes], indent=2))
    else:
        print_recovery(outcomes)
    unresolved = any(outcome.status is None for outcome in outcomes)
    raise typer.Exit(ExitCode.INCOMPLETE if unresolved else ExitCode.OK)


def history(
    name: NameArg = None,
    limit: LimitOpt = 20,
    data: DataOpt = False,
    output: FormatOpt = OutputFormat.TABLE,
    log_level: LogOpt = None,
) -> None:
    """List past update runs, newest first, with their steps."""
    with fail_cleanly():
        settings = load_settings(log_level=log_level)
        configure_logging(settings.log_level)
        with bootstrap.journal(settings) as journal:
            runs = [
                journal.get_run(run.id)
                for run in journal.list_runs(container_name=name, limit=limit)
            ]
    if output is OutputFormat.JSON:
        typer.echo(json.dumps([run.as_dict(with_data=data) for run in runs], indent=2))
    else:
        print_history(runs)
