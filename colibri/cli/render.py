"""Rich tables for people. JSON output does not come through here.

Container names, images and reasons come from the daemon and registries, so they are always
passed as ``Text`` (never parsed as Rich markup).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from colibri.domain.journal import RunRecord
from colibri.domain.model import CheckResult

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

    from colibri.update.model import UpdateOutcome
    from colibri.update.recovery import RecoveryOutcome

__all__ = [
    "print_check_table",
    "print_history",
    "print_recovery",
    "print_update_table",
    "short_digest",
]

STATUS_STYLE = {
    "up_to_date": "green",
    "updated": "bold green",
    "update_available": "bold yellow",
    "would_update": "yellow",
    "pinned": "cyan",
    "local_only": "cyan",
    "no_reference": "cyan",
    "skipped": "cyan",
    "no_platform": "magenta",
    "deferred": "yellow",
    "blocked": "bold magenta",
    "rolled_back": "bold red",
    "failed": "bold red",
    "error": "bold red",
    "running": "yellow",
}


def short_digest(digest: str | None) -> str:
    """``sha256:0123456789ab`` (12 hex digits), or an empty string."""
    if not digest:
        return ""
    algorithm, _, hexdigits = digest.partition(":")
    return f"{algorithm}:{hexdigits[:12]}"


def _table(*columns: str) -> Table:
    from rich.table import Table

    table = Table()
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _text(value: object, style: str = "") -> Text:
    from rich.text import Text

    return Text(str(value if value is not None else ""), style=style)


def _status(value: str) -> Text:
    return _text(value, STATUS_STYLE.get(value, ""))


def _print(*renderables: object) -> None:
    from rich.console import Console

    console = Console()
    for renderable in renderables:
        console.print(renderable)


def print_check_table(results: Sequence[CheckResult]) -> None:
    table = _table("Container", "Image", "Status", "Running", "Registry", "Changes", "Reason")
    for r in results:
        reason = "; ".join([r.reason, *r.warnings, *_window_note(r)])
        changes = r.notes.changes.summary() if r.notes and r.notes.changes else ""
        table.add_row(
            _text(r.container),
            _text(r.image),
            _status(r.status.value),
            _text(short_digest(r.current_digest)),
            _text(short_digest(r.expected_digest or r.remote_digest)),
            _text(changes),
            _text(reason),
        )
    if not results:
        _print(
            "No containers selected (opt in with the label colibri.enable=true, "
            "or use --all or names)."
        )
    else:
        _print(table)
    _print(_summary([r.status.value for r in results], "checked"))


def _window_note(result: CheckResult) -> list[str]:
    notes = result.notes
    if notes is None or notes.window is None or notes.window_open or not notes.next_opening:
        return []
    return [f"window {notes.window} opens {notes.next_opening:%Y-%m-%d %H:%M} UTC"]


def print_update_table(outcomes: Sequence[UpdateOutcome]) -> None:
    table = _table("Container", "Status", "From", "To", "Downtime", "Reason")
    for o in outcomes:
        downtime = f"{o.downtime_ms} ms" if o.downtime_ms is not None else ""
        table.add_row(
            _text(o.container),
            _status(o.status.value),
            _text(short_digest(o.old_digest)),
            _text(short_digest(o.new_digest)),
            _text(downtime),
            _text(o.reason),
        )
    _print(table if outcomes else "No containers selected.")
    _print(_summary([o.status.value for o in outcomes], "processed"))


def print_recovery(outcomes: Sequence[RecoveryOutcome]) -> None:
    if not outcomes:
        _print("Nothing to recover.")
        return
    table = _table("Run", "Container", "Outcome", "Reason")
    for o in outcomes:
        status = o.status.value if o.status else "unresolved"
        table.add_row(
            _text(o.run_id[:12]),
            _text(o.container),
            _status(status),
            _text(o.reason),
        )
    _print("Interrupted updates recovered:", table)


def print_history(runs: Sequence[RunRecord]) -> None:
    table = _table("Started", "Container", "Status", "Steps", "Downtime", "Reason")
    for run in runs:
        steps = " > ".join(s.step.value for s in run.steps)
        downtime = f"{run.downtime_ms} ms" if run.downtime_ms is not None else ""
        table.add_row(
            _text(run.started_at.strftime("%Y-%m-%d %H:%M:%S")),
            _text(run.container_name),
            _status(run.status.value),
            _text(steps),
            _text(downtime),
            _text(run.reason),
        )
    _print(table if runs else "No runs recorded yet.")


def _summary(statuses: Sequence[str], verb: str) -> str:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    parts = [f"{count} {status}" for status, count in sorted(counts.items())]
    return f"{len(statuses)} {verb}" + (": " + ", ".join(parts) if parts else "")
