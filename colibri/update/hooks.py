"""Running a container's lifecycle hooks inside an update (:mod:`colibri.domain.hooks`).

Each hook that a container's labels declare for a phase is journaled as a ``hook`` step
(phase, label, command, the container it runs in) before it runs; its exit code and the end
of its output go to the run's log, and :func:`colibri.domain.hooks.hook_action` decides what
the update does next. A hook that cannot be started (the daemon refuses the exec) counts as a
failing one. Labels Colibri cannot read stop the update before anything happens: the check
already reported them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from colibri.domain.hooks import HookAction, HookPhase, HookResult, hook_action, hooks_of
from colibri.domain.journal import Step
from colibri.domain.ports import ContainerExec, Journal
from colibri.errors import ColibriError, ConfigError

__all__ = ["HookRunner", "hook_runner"]

log = logging.getLogger(__name__)


class HookRunner:
    """Runs one phase's hook of a container and says what it decides."""

    def __init__(self, execer: ContainerExec, journal: Journal) -> None:
        self.execer = execer
        self.journal = journal

    def run(
        self, run_id: str, phase: HookPhase, container_id: str, labels: Mapping[str, str]
    ) -> tuple[HookAction, str]:
        """The action after ``phase``'s hook (``CONTINUE`` with no reason when there is
        none), and the reason to record."""
        try:
            hook = hooks_of(labels).get(phase)
        except ConfigError as exc:
            failing = HookAction.ROLLBACK if phase is HookPhase.POST_UPDATE else HookAction.ABORT
            return (failing if phase is not HookPhase.POST_CHECK else HookAction.CONTINUE), str(exc)
        if hook is None:
            return HookAction.CONTINUE, ""
        timeout = hook.timeout.total_seconds()
        self.journal.record_step(
            run_id,
            Step.HOOK,
            {
                "phase": phase.value,
                "label": hook.label,
                "command": hook.command,
                "container_id": container_id,
                "timeout": timeout,
            },
        )
        try:
            result = self.execer.exec_in(container_id, hook.argv, timeout)
        except ColibriError as exc:
            result = HookResult(None, f"could not run: {exc}")
        action, reason = hook_action(phase, result)
        self._log(run_id, phase, result, reason or f"{phase.value} hook exited with 0")
        return action, reason

    def _log(self, run_id: str, phase: HookPhase, result: HookResult, summary: str) -> None:
        level = "INFO" if result.exit_code == 0 and not result.timed_out else "WARNING"
        output = result.tail().strip()
        message = f"{summary}; output:\n{output}" if output else f"{summary} (no output)"
        log.info("run %s: %s", run_id, summary)
        self.journal.log(run_id, level, message)


def hook_runner(engine: object, journal: Journal) -> HookRunner | None:
    """The hooks' runner on ``engine`` when it can exec (the Docker adapter can; a fake
    engine may not), else ``None``: then no hook runs."""
    return HookRunner(engine, journal) if isinstance(engine, ContainerExec) else None
