"""``colibri schedule|env|notify|bad-digest``: what the API manages, from the command line.

These commands work on the database directly (``COLIBRI_DATA_DIR`` / ``COLIBRI_DATABASE_URL``,
as ``colibri serve`` is configured), so they need no running service and no token: whoever
may read that database may change it. A running ``colibri serve`` sees each change at its next
look (a new schedule at its next tick). Every change is written to the audit trail as ``cli``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from colibri.bootstrap import cli as bootstrap
from colibri.cli.common import ExitCode, OutputFormat, configure_logging, fail_cleanly
from colibri.cli.options import FormatOpt, LogOpt
from colibri.config import load_settings
from colibri.domain.audit import AuditAction, AuditResource
from colibri.domain.environments import LOCAL_ENVIRONMENT, Endpoint, Environment, NewEnvironment
from colibri.domain.events import EventKind
from colibri.domain.invalid import Invalid
from colibri.domain.notifications import NewNotificationTarget, NotificationTarget
from colibri.domain.settings import (
    AutoUpdateConfig,
    AutoUpdateSetting,
    NewAutoUpdate,
    Schedule,
    ScheduleType,
    SettingCriteria,
    UpdatePolicy,
)
from colibri.errors import ColibriError

__all__ = ["bad_digest_app", "env_app", "notify_app", "schedule_app"]


def _app(help_text: str) -> typer.Typer:
    return typer.Typer(
        help=help_text, no_args_is_help=True, add_completion=False, rich_markup_mode=None
    )


schedule_app = _app("Auto-update settings: list them, set one for a container, remove one.")
env_app = _app("Environments (Docker hosts): list them, add one, remove one.")
notify_app = _app("Notification targets: list them, add one, send a test, remove one.")
bad_digest_app = _app("Images whose update failed: list them, clear one to try it again.")

ContainerArg = Annotated[str, typer.Argument(help="The container's name.")]
EnvOpt = Annotated[
    str, typer.Option("--environment", "-e", help="The environment's name (default local).")
]
NameArg = Annotated[str, typer.Argument(help="Its name.")]
#: The command-line spelling of the fields the domain names in its refusals.
_OPTIONS = {
    "cron": "--schedule",
    "schedule_type": "--schedule",
    "timezone": "--timezone",
    "vulnerability_criteria": "--criteria",
    "policy": "--policy",
    "container_name": "CONTAINER",
    "name": "NAME",
    "endpoint": "ENDPOINT",
    "labels": "--label",
    "url": "URL",
    "events": "--event",
}


@contextmanager
def _admin(log_level: str | None) -> Iterator[bootstrap.Admin]:
    with fail_cleanly():
        settings = load_settings(log_level=log_level)
        configure_logging(settings.log_level)
        with bootstrap.admin(settings) as admin:
            try:
                yield admin
            except Invalid as exc:
                where = _OPTIONS.get(exc.field.partition(".")[0], exc.field)
                typer.echo(f"colibri: {where}: {exc.reason}", err=True)
                raise typer.Exit(ExitCode.USAGE) from None
            except ColibriError as exc:
                if getattr(exc, "kind", "") != "conflict":
                    raise
                typer.echo(f"colibri: {exc}", err=True)
                raise typer.Exit(ExitCode.FAILURE) from None


def _fail(message: str) -> None:
    typer.echo(f"colibri: {message}", err=True)
    raise typer.Exit(ExitCode.FAILURE)


def _environment(admin: bootstrap.Admin, name: str) -> Environment:
    found = admin.environments.find(name)
    if found is None:
        _fail(f"there is no environment {name!r} (colibri env list)")
    assert found is not None
    return found


def _print(rows: Sequence[dict[str, Any]], output: OutputFormat, columns: Sequence[str]) -> None:
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(list(rows), indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table()
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(Text("" if row[c] is None else str(row[c])) for c in columns))
    Console().print(table)


# -- schedule ----------------------------------------------------------------------------------


def _setting_row(setting: AutoUpdateSetting, environment: str) -> dict[str, Any]:
    config = setting.config
    return {
        "id": setting.id,
        "environment": environment,
        "container_name": setting.container_name,
        "enabled": config.enabled,
        "schedule_type": config.schedule.type.value,
        "cron_expression": config.schedule.cron,
        "timezone": config.schedule.timezone,
        "vulnerability_criteria": config.criteria.value,
        "policy": config.policy.value,
        "notify": config.notify,
        "next_run_at": setting.next_run_at.isoformat() if setting.next_run_at else None,
        "last_status": setting.last_status.value if setting.last_status else None,
    }


_SETTING_COLUMNS = (
    "id",
    "environment",
    "container_name",
    "enabled",
    "cron_expression",
    "timezone",
    "vulnerability_criteria",
    "policy",
    "next_run_at",
    "last_status",
)


@schedule_app.command("list")
def schedule_list(output: FormatOpt = OutputFormat.TABLE, log_level: LogOpt = None) -> None:
    """Every auto-update setting, by environment and container."""
    with _admin(log_level) as admin:
        names = {env.id: env.name for env in admin.environments.list()}
        settings = admin.schedules.list(limit=500)
        rows = [_setting_row(s, names.get(s.environment_id, "?")) for s in settings]
    _print(rows, output, _SETTING_COLUMNS)


@schedule_app.command("set")
def schedule_set(
    container: ContainerArg,
    environment: EnvOpt = LOCAL_ENVIRONMENT,
    schedule: Annotated[
        str | None,
        typer.Option("--schedule", "-s", help="daily, weekly, or a five-field cron."),
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="IANA time zone (default UTC).")
    ] = None,
    criteria: Annotated[
        SettingCriteria | None,
        typer.Option("--criteria", help="inherit (global), never, critical, high, medium, low."),
    ] = None,
    policy: Annotated[
        UpdatePolicy | None, typer.Option("--policy", help="digest, patch, minor, major, all.")
    ] = None,
    enabled: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Run on the schedule or not.")
    ] = None,
    notify: Annotated[
        bool | None, typer.Option("--notify/--no-notify", help="Tell the targets.")
    ] = None,
    log_level: LogOpt = None,
) -> None:
    """Create the container's setting, or change what is named (the rest is kept)."""
    with _admin(log_level) as admin:
        env = _environment(admin, environment)
        current = admin.schedules.find(env.id, container)
        base = current.config if current is not None else AutoUpdateConfig()
        config = AutoUpdateConfig(
            schedule=_schedule(schedule, timezone, base.schedule),
            enabled=base.enabled if enabled is None else enabled,
            criteria=criteria or base.criteria,
            gate=base.gate,
            policy=policy or base.policy,
            notify=base.notify if notify is None else notify,
        )
        if current is None:
            saved = admin.schedules.create(NewAutoUpdate(env.id, container, config))
            action, before = AuditAction.CREATE, None
        else:
            updated = admin.schedules.update(current.id, config)
            assert updated is not None
            saved, action = updated, AuditAction.UPDATE
            before = _setting_row(current, env.name)
        after = _setting_row(saved, env.name)
        admin.audit.record(None, action, AuditResource.AUTO_UPDATE, saved.id, before, after)
    next_run = after["next_run_at"] or "never (disabled)"
    typer.echo(
        f"{env.name}/{container}: {after['cron_expression']} ({after['timezone']}), next {next_run}"
    )


def _schedule(given: str | None, timezone: str | None, current: Schedule) -> Schedule:
    if given is None:
        return Schedule.of(current.type, current.cron, timezone or current.timezone)
    kind = given.strip().lower()
    if kind in (ScheduleType.DAILY, ScheduleType.WEEKLY):
        return Schedule.of(kind, None, timezone or current.timezone)
    return Schedule.of(ScheduleType.CUSTOM, given, timezone or current.timezone)


@schedule_app.command("rm")
def schedule_rm(
    container: ContainerArg, environment: EnvOpt = LOCAL_ENVIRONMENT, log_level: LogOpt = None
) -> None:
    """Remove the container's setting (its runs stay in the history)."""
    with _admin(log_level) as admin:
        env = _environment(admin, environment)
        current = admin.schedules.find(env.id, container)
        if current is None or not admin.schedules.delete(current.id):
            _fail(f"{env.name}/{container} has no auto-update setting")
        assert current is not None
        before = _setting_row(current, env.name)
        admin.audit.record(None, AuditAction.DELETE, AuditResource.AUTO_UPDATE, current.id, before)
    typer.echo(f"removed the setting of {env.name}/{container}")


# -- env -----------------------------------------------------------------------------------------


def _env_row(env: Environment) -> dict[str, Any]:
    return {
        "id": env.id,
        "name": env.name,
        "endpoint": env.endpoint.url,
        "tls": env.endpoint.tls is not None,
        "labels": ",".join(f"{k}={v}" for k, v in sorted(env.labels.items())),
    }


@env_app.command("list")
def env_list(output: FormatOpt = OutputFormat.TABLE, log_level: LogOpt = None) -> None:
    """Every environment, by name."""
    with _admin(log_level) as admin:
        rows = [_env_row(env) for env in admin.environments.list()]
    _print(rows, output, ("id", "name", "endpoint", "tls", "labels"))


@env_app.command("add")
def env_add(
    name: NameArg,
    endpoint: Annotated[
        str, typer.Argument(help="unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host")
    ],
    label: Annotated[
        list[str] | None, typer.Option("--label", "-l", help="key=value; repeat for each.")
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            help="Reach a tcp:// daemon on another machine without TLS (a trusted network "
            "only; such a daemon is never sent registry credentials).",
        ),
    ] = False,
    log_level: LogOpt = None,
) -> None:
    """Add a Docker host (TLS client certificates: through the API)."""
    labels = dict(item.partition("=")[::2] for item in label or ())
    with _admin(log_level) as admin:
        where = Endpoint(endpoint, insecure=insecure)
        created = admin.environments.create(NewEnvironment(name, where, labels))
        after = _env_row(created)
        admin.audit.record(
            None, AuditAction.CREATE, AuditResource.ENVIRONMENT, created.id, None, after
        )
    typer.echo(f"environment {created.name} (id {created.id}) added")


@env_app.command("rm")
def env_rm(name: NameArg, log_level: LogOpt = None) -> None:
    """Remove an environment (refused while settings use it)."""
    with _admin(log_level) as admin:
        env = _environment(admin, name)
        admin.environments.delete(env.id)
        before = _env_row(env)
        admin.audit.record(None, AuditAction.DELETE, AuditResource.ENVIRONMENT, env.id, before)
    typer.echo(f"environment {name} removed")


# -- notify --------------------------------------------------------------------------------------


def _target_row(target: NotificationTarget) -> dict[str, Any]:
    return {
        "id": target.id,
        "name": target.name,
        "url": target.redacted_url,
        "events": ",".join(sorted(event.value for event in target.events)),
        "enabled": target.enabled,
    }


def _target(admin: bootstrap.Admin, name: str) -> NotificationTarget:
    found = next((t for t in admin.targets.list() if t.name == name), None)
    if found is None:
        _fail(f"there is no notification target {name!r} (colibri notify list)")
    assert found is not None
    return found


_EVENTS = ", ".join(kind.value for kind in EventKind)


@notify_app.command("list")
def notify_list(output: FormatOpt = OutputFormat.TABLE, log_level: LogOpt = None) -> None:
    """Every target, its URL redacted."""
    with _admin(log_level) as admin:
        rows = [_target_row(target) for target in admin.targets.list()]
    _print(rows, output, ("id", "name", "url", "events", "enabled"))


@notify_app.command("add")
def notify_add(
    name: NameArg,
    url: Annotated[str, typer.Argument(help="An Apprise URL (ntfy://…, json://…, mailto://…).")],
    event: Annotated[
        list[str] | None, typer.Option("--event", help=f"Repeat for each (default all): {_EVENTS}.")
    ] = None,
    log_level: LogOpt = None,
) -> None:
    """Add a target (the URL is checked first and never shown again unredacted)."""
    with _admin(log_level) as admin:
        events = frozenset(event) if event else frozenset(EventKind)
        created = admin.targets.create(NewNotificationTarget(name, url, events))  # type: ignore[arg-type]
        after = _target_row(created)
        resource = AuditResource.NOTIFICATION_TARGET
        admin.audit.record(None, AuditAction.CREATE, resource, created.id, None, after)
    typer.echo(f"target {created.name} (id {created.id}) added: {created.redacted_url}")


@notify_app.command("test")
def notify_test(name: NameArg, log_level: LogOpt = None) -> None:
    """Send the target a test message now; exit 4 when it was not delivered."""
    with _admin(log_level) as admin:
        report = admin.targets.test_send(_target(admin, name).id)
    assert report is not None
    if not report.delivered:
        typer.echo(f"colibri: not delivered to {name}: {report.error}", err=True)
        raise typer.Exit(ExitCode.INCOMPLETE)
    typer.echo(f"delivered to {name}")


@notify_app.command("rm")
def notify_rm(name: NameArg, log_level: LogOpt = None) -> None:
    """Remove a target."""
    with _admin(log_level) as admin:
        target = _target(admin, name)
        admin.targets.delete(target.id)
        before = _target_row(target)
        resource = AuditResource.NOTIFICATION_TARGET
        admin.audit.record(None, AuditAction.DELETE, resource, target.id, before)
    typer.echo(f"target {name} removed")


# -- bad-digest ----------------------------------------------------------------------------------


@bad_digest_app.command("list")
def bad_digest_list(output: FormatOpt = OutputFormat.TABLE, log_level: LogOpt = None) -> None:
    """The images whose update failed or was rolled back, per container."""
    with _admin(log_level) as admin:
        names = {env.id: env.name for env in admin.environments.list()}
        rows = [
            {
                "environment": names.get(bad.environment_id, "?"),
                "container_name": bad.container_name,
                "digest": bad.digest,
                "status": bad.status.value,
                "reason": bad.reason,
                "run_id": bad.run_id,
                "recorded_at": bad.recorded_at.isoformat(),
            }
            for bad in admin.bad_digests.list()
        ]
    columns = ("environment", "container_name", "digest", "status", "run_id", "reason")
    _print(rows, output, columns)


@bad_digest_app.command("clear")
def bad_digest_clear(
    container: ContainerArg,
    environment: EnvOpt = LOCAL_ENVIRONMENT,
    digest: Annotated[
        str | None, typer.Option("--digest", help="Only this digest (default: all of them).")
    ] = None,
    log_level: LogOpt = None,
) -> None:
    """Forget the container's bad images: its next run tries them again."""
    with _admin(log_level) as admin:
        env = _environment(admin, environment)
        cleared = admin.bad_digests.clear(env.id, container, digest)
        if cleared:
            before = {"cleared": cleared, "digest": digest}
            key = f"{env.name}/{container}"
            admin.audit.record(None, AuditAction.CLEAR, AuditResource.BAD_DIGEST, key, before)
    typer.echo(f"{env.name}/{container}: {cleared} record(s) cleared")
