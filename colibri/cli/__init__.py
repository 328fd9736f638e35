"""The ``colibri`` command (Typer + Rich).

Commands live one per module; this module assembles them and owns the exit codes.
"""

from __future__ import annotations

import sys
import types
from typing import Annotated

import typer

from colibri.cli import admin as admin_commands
from colibri.cli import check as check_command
from colibri.cli import history as history_command
from colibri.cli import scan as scan_command
from colibri.cli import serve as serve_command
from colibri.cli import skip as skip_command
from colibri.cli import token as token_command
from colibri.cli import update as update_command
from colibri.cli.common import EXIT_CODES_HELP

__all__ = ["app", "main"]

app = typer.Typer(
    name="colibri",
    help="Keeps running containers on their newest image, and never loses one.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("check", epilog=EXIT_CODES_HELP)(check_command.check)
app.command("update", epilog=f"{EXIT_CODES_HELP} {update_command.FAILPOINTS_HELP}")(
    update_command.update
)
app.command("recover")(history_command.recover)
app.command("history")(history_command.history)
app.command("scan", epilog=scan_command.SCAN_EXIT_CODES_HELP)(scan_command.scan)
app.command("serve")(serve_command.serve)
app.command("skip")(skip_command.skip)
app.command("unskip")(skip_command.unskip)
app.command("skips")(skip_command.list_skips)
app.add_typer(token_command.app, name="token")
app.add_typer(admin_commands.schedule_app, name="schedule")
app.add_typer(admin_commands.env_app, name="env")
app.add_typer(admin_commands.notify_app, name="notify")
app.add_typer(admin_commands.bad_digest_app, name="bad-digest")


def _show_version(value: bool) -> None:
    if value:
        from colibri import __version__

        typer.echo(f"colibri {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Keeps running containers on their newest image, and never loses one."""


def main() -> None:
    """Console-script entry point."""
    _skip_httpx_cli()
    app()


def _skip_httpx_cli() -> None:
    """httpx imports its own command-line client when click, rich and pygments are installed
    (Typer brings them): about 80 ms on every start, for a tool Colibri never runs. Mark it
    absent with an empty module; httpx expects that (``from ._main import main`` then raises
    the ImportError it catches, and it leaves a stub)."""
    sys.modules.setdefault("httpx._main", types.ModuleType("httpx._main"))
