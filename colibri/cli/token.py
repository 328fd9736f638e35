"""``colibri token create|list|revoke``: API tokens, from the machine running Colibri.

``create`` prints the new token's secret alone on stdout (``--format json``: with its id,
name, permissions and expiry), the only time it is ever shown; only its hash is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from colibri.bootstrap import cli as bootstrap
from colibri.cli.common import ExitCode, OutputFormat, configure_logging, fail_cleanly
from colibri.cli.options import FormatOpt, LogOpt
from colibri.config import load_settings
from colibri.domain.invalid import Invalid
from colibri.domain.printable import printable
from colibri.domain.tokens import ApiToken, Permission

if TYPE_CHECKING:
    from colibri.services.tokens import TokenService

__all__ = ["app"]

app = typer.Typer(
    help="API tokens: create one (printed once), list them, revoke one.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

_PERMISSIONS = ", ".join(permission.value for permission in Permission)
NameOpt = Annotated[
    str, typer.Option("--name", metavar="NAME", help="A name people recognise (unique).")
]
PermissionOpt = Annotated[
    list[str],
    typer.Option(
        "--permission", "-p", metavar="PERMISSION", help=f"Repeat for each: {_PERMISSIONS}."
    ),
]
ExpiresOpt = Annotated[
    str | None,
    typer.Option(
        "--expires-in",
        metavar="DURATION",
        help="Valid for 90m, 12h, 30d, 2w… (default: no expiry).",
    ),
]
_OPTIONS = {"name": "--name", "permissions": "--permission", "expires_at": "--expires-in"}
IdArg = Annotated[
    int, typer.Argument(help="The token's id (colibri token list).", min=1, max=2**63 - 1)
]


@app.command("create")
def create(
    name: NameOpt,
    permission: PermissionOpt,
    expires_in: ExpiresOpt = None,
    output: FormatOpt = OutputFormat.TABLE,
    log_level: LogOpt = None,
) -> None:
    """Create a token and print its secret, once."""
    expires_at = _expiry(expires_in)
    with fail_cleanly(), _tokens(log_level) as tokens:
        try:
            issued = tokens.create(name, permission, expires_at)
        except Invalid as exc:
            raise typer.BadParameter(exc.reason, param_hint=_OPTIONS.get(exc.field)) from None
    if output is OutputFormat.JSON:
        typer.echo(json.dumps({**_as_dict(issued.token), "token": issued.secret}, indent=2))
        return
    typer.echo(issued.secret)
    typer.echo(
        f"token {issued.token.name!r} (id {issued.token.id}) created; it is shown only once",
        err=True,
    )


@app.command("list")
def list_tokens(output: FormatOpt = OutputFormat.TABLE, log_level: LogOpt = None) -> None:
    """Every token (never a secret), revoked ones included."""
    with fail_cleanly(), _tokens(log_level) as tokens:
        found = tokens.list()
    if output is OutputFormat.JSON:
        typer.echo(json.dumps([_as_dict(token) for token in found], indent=2))
        return
    _print_table(found)


@app.command("revoke")
def revoke(token_id: IdArg, log_level: LogOpt = None) -> None:
    """Revoke a token: it is refused from now on."""
    with fail_cleanly(), _tokens(log_level) as tokens:
        revoked = tokens.revoke(token_id)
    if revoked is None:
        typer.echo(f"colibri: there is no token {token_id}", err=True)
        raise typer.Exit(ExitCode.FAILURE)
    typer.echo(f"revoked token {revoked.id} ({printable(revoked.name)})")


@contextmanager
def _tokens(log_level: str | None) -> Iterator[TokenService]:
    settings = load_settings(log_level=log_level)
    configure_logging(settings.log_level)
    with bootstrap.token_service(settings) as tokens:
        yield tokens


def _expiry(expires_in: str | None) -> datetime | None:
    if expires_in is None:
        return None
    try:
        from colibri.domain.gate_policy import parse_duration

        duration = parse_duration(expires_in)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--expires-in") from None
    return None if duration is None else datetime.now(UTC) + duration


def _as_dict(token: ApiToken) -> dict[str, Any]:
    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "permissions": sorted(permission.value for permission in token.permissions),
        "created_at": when(token.created_at),
        "last_used_at": when(token.last_used_at),
        "expires_at": when(token.expires_at),
        "revoked_at": when(token.revoked_at),
    }


def _print_table(tokens: list[ApiToken]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table()
    for column in ("id", "name", "prefix", "permissions", "last used", "expires", "revoked"):
        table.add_column(column)
    for token in tokens:
        row = _as_dict(token)
        table.add_row(
            str(token.id),
            Text(printable(token.name)),
            Text(printable(token.prefix)),
            Text(", ".join(row["permissions"])),
            row["last_used_at"] or "",
            row["expires_at"] or "",
            row["revoked_at"] or "",
        )
    Console().print(table)
