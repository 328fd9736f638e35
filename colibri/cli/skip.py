"""``colibri skip``, ``colibri unskip``, ``colibri skips``: say no to an update, for a while
or for good, and take it back.

    colibri skip web                      # skip the update on offer now (checks web first)
    colibri skip web --version 1.28.0     # never offer 1.28.0 (a newer one is offered again)
    colibri skip web --version sha256:…   # never offer that image
    colibri skip web --until 7d           # snooze: no update of web for a week
    colibri unskip web                    # clear all of web's skips and snoozes
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from colibri.bootstrap import cli as bootstrap
from colibri.cli.common import OutputFormat, configure_logging, fail_cleanly
from colibri.cli.options import FormatOpt, LogOpt
from colibri.config import Settings, load_settings
from colibri.domain.invalid import Invalid
from colibri.domain.skips import Skip, skip_reason
from colibri.errors import ConfigError
from colibri.services.check import CheckRequest
from colibri.services.skips import SkipRequest, offered_version

__all__ = ["list_skips", "skip", "unskip"]

NameArg = Annotated[str, typer.Argument(help="The container's name.")]
VersionOpt = Annotated[
    str | None,
    typer.Option("--version", metavar="VERSION", help="A version (1.28.0) or a digest (sha256:…)."),
]
UntilOpt = Annotated[
    str | None,
    typer.Option(
        "--until",
        metavar="WHEN",
        help="Until 7d, 12h, 2w from now, or a date (2026-12-24); without --version: snooze.",
    ),
]
ReasonOpt = Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why, for the record.")]


def skip(
    name: NameArg,
    version: VersionOpt = None,
    until: UntilOpt = None,
    reason: ReasonOpt = "",
    output: FormatOpt = OutputFormat.TABLE,
    log_level: LogOpt = None,
) -> None:
    """Skip a version of a container's image, or snooze its updates until a date.

    Without --version and --until, the update the container is offered now is skipped
    (a check of that container runs first). A skipped version is not offered again; a newer
    one is. Checks show such a container as skipped, with the reason and until when.
    """
    with fail_cleanly():
        settings = load_settings(log_level=log_level)
        configure_logging(settings.log_level)
        offered = None
        if version is None and until is None:
            offered = _offered(settings, name)
        request = SkipRequest(settings.environment, name, version, until, reason)
        with bootstrap.skip_service(settings) as service:
            try:
                recorded = service.skip(request, offered)
            except Invalid as exc:
                raise ConfigError(f"--{exc.field}: {exc.reason}") from None
    _show([recorded], output)


def unskip(name: NameArg, output: FormatOpt = OutputFormat.TABLE, log_level: LogOpt = None) -> None:
    """Clear every skip and snooze of a container: its updates are offered again."""
    with fail_cleanly():
        settings = load_settings(log_level=log_level)
        configure_logging(settings.log_level)
        with bootstrap.skip_service(settings) as service:
            cleared = service.unskip(settings.environment, name)
    if output is OutputFormat.JSON:
        typer.echo(json.dumps({"container": name, "cleared": cleared}))
    else:
        typer.echo(f"{name}: {cleared} skip(s) cleared")


def list_skips(output: FormatOpt = OutputFormat.TABLE, log_level: LogOpt = None) -> None:
    """The skips and snoozes in force, in this environment."""
    with fail_cleanly():
        settings = load_settings(log_level=log_level)
        configure_logging(settings.log_level)
        with bootstrap.skip_service(settings) as service:
            found = service.list_skips(settings.environment)
    _show(found, output)


def _offered(settings: Settings, name: str) -> str:
    with bootstrap.checker(settings) as checker:
        report = checker.check(CheckRequest(names=(name,)))
    if report.missing:
        raise ConfigError(f"no container named {name!r}")
    result = next((r for r in report.results if r.container == name.lstrip("/")), None)
    offered = offered_version(result) if result else None
    if offered is None:
        status = result.status.value if result else "not checked"
        raise ConfigError(
            f"{name} has no update on offer to skip ({status}); give --version or --until"
        )
    return offered


def _show(skips: list[Skip], output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        typer.echo(json.dumps([skip.as_dict() for skip in skips], indent=2))
        return
    if not skips:
        typer.echo("No skips or snoozes in force.")
    for item in skips:
        typer.echo(f"{item.id}  {item.container_name}: {skip_reason(item)}")
