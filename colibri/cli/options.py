"""Option types shared by several commands."""

from __future__ import annotations

from typing import Annotated

import typer

from colibri.cli.common import OutputFormat

__all__ = ["AllOpt", "FormatOpt", "HostOpt", "LogOpt", "NamesArg", "StoppedOpt"]

NamesArg = Annotated[
    list[str] | None, typer.Argument(help="Containers (names or IDs), in any state.")
]
AllOpt = Annotated[
    bool, typer.Option("--all", "-a", help="Every running container, opted in or not.")
]
StoppedOpt = Annotated[
    bool, typer.Option("--include-stopped", help="Also opted-in containers that are not running.")
]
FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table for people, json for programs.")
]
HostOpt = Annotated[
    str | None,
    typer.Option("--host", "-H", help="Docker daemon (DOCKER_HOST syntax); default local socket."),
]
LogOpt = Annotated[str | None, typer.Option("--log-level", help="DEBUG, INFO, WARNING, ERROR.")]
