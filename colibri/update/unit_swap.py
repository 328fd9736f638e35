"""The unit transaction: a container its systemd unit runs, updated as podman auto-update does.

After the shared first steps (resolve, pull by digest and point the tag at it, gate), a unit's
container is not recreated by Colibri: its unit does that at every start (``podman run
--replace`` from the tag). So the switch is one step, journaled before its effect:

- ``restart``: ``RestartUnit(unit, "replace")`` and wait for the job (``JobRemoved``); then the
  container under the name must run the pulled image;
- ``verify``: the same checks as any update (health when the image has a check, else the
  stability window, and the optional probe);
- ``commit``, or on any failure ``rollback``: point the tag back at the previous image and
  restart the unit again, which brings the previous container back; then verify it runs.

Recovery (:func:`recover_unit_run`) finishes an interrupted one from its journal: a run
that reached ``commit`` is updated; one that moved the tag and did not commit is rolled back
the same way (tag back, restart).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from colibri.domain.health import VerifyPolicy
from colibri.domain.journal import RunRecord, RunStatus, Step
from colibri.domain.ports import Engine, Journal, Units
from colibri.domain.steps import (
    DoneStep,
    PullStep,
    RecoverStep,
    RestartStep,
    StepPayload,
    VerifyStep,
)
from colibri.errors import ColibriError, UpdateError
from colibri.update.verify import Verifier

__all__ = ["UnitSwap", "UnitUndo", "recover_unit_run"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnitUndo:
    """What the rollback needs: the tag moved and the image it named before."""

    tag_ref: str
    previous_image: str | None


class UnitSwap:
    """Restart, verify, roll back: the unit kind of the update transaction."""

    def __init__(
        self, engine: Engine, journal: Journal, units: Units | None, verifier: Verifier
    ) -> None:
        self.engine = engine
        self.journal = journal
        self.units = units
        self.verifier = verifier

    def switch(
        self,
        run_id: str,
        name: str,
        unit: str,
        new_image_id: str,
        policy: VerifyPolicy | None,
        keepalive: Callable[[], None],
        failpoint: Callable[[Step], None],
    ) -> str:
        """Restart ``unit`` and verify ``name`` runs ``new_image_id``; return its new ID.
        Raises ``UpdateError`` (the caller rolls back)."""
        units = self._units(unit)
        _record(self.journal, run_id, RestartStep(unit, name))
        result = units.restart(unit)
        if result != "done":
            raise UpdateError(f"systemd's job restarting {unit} ended: {result}", step="restart")
        failpoint(Step.RESTART)
        container = self.engine.get_container(name)
        if container.image_id != new_image_id:
            raise UpdateError(
                f"{unit} started {name} on {container.image_id[:19]}, not the pulled "
                f"{new_image_id[:19]} (does its unit run the tag?)",
                step="restart",
            )
        _record(self.journal, run_id, VerifyStep(container.id))
        self.verifier.verify(container.id, policy, keepalive)
        failpoint(Step.VERIFY)
        return container.id

    def undo(self, run_id: str, name: str, unit: str, undo: UnitUndo) -> None:
        """Point the tag back and restart the unit; the previous image must run again."""
        if undo.previous_image and undo.tag_ref:
            repository, _, tag = undo.tag_ref.rpartition(":")
            self.engine.tag_image(undo.previous_image, repository, tag)
        result = self._units(unit).restart(unit)
        if result != "done":
            raise UpdateError(f"restarting {unit} on the previous image ended: {result}")
        container = self.engine.get_container(name)
        if undo.previous_image and container.image_id != undo.previous_image:
            raise UpdateError(f"{unit} did not start {name} on the previous image again")
        self.verifier.verify_running(container.id)
        self.journal.log(run_id, "INFO", f"{unit} restarted on the previous image")

    def _units(self, unit: str) -> Units:
        if self.units is None:
            raise UpdateError(f"{unit}: no systemd bus is configured (COLIBRI_SYSTEMD_BUS)")
        return self.units


def recover_unit_run(swap: UnitSwap, journal: Journal, run: RunRecord) -> RunStatus:
    """Finish an interrupted unit run from its journal; return its outcome."""
    restart = run.payload(RestartStep)
    unit = restart.unit if restart else ""
    pull = run.payload(PullStep)
    _record(journal, run.id, RecoverStep(unit=unit))
    if run.reached(Step.COMMIT):
        status, reason = RunStatus.UPDATED, "recovered: the unit had been restarted and verified"
    else:
        undo = UnitUndo(pull.tag_ref if pull else "", pull.previous_tag_image if pull else None)
        try:
            swap.undo(run.id, run.container_name, unit, undo)
            status, reason = RunStatus.ROLLED_BACK, "recovered: the previous image runs again"
        except ColibriError as exc:
            status, reason = RunStatus.FAILED, f"recovery could not roll back: {exc}"
    _record(journal, run.id, DoneStep(status.value))
    journal.finish_run(run.id, status, reason=reason)
    return status


def _record(journal: Journal, run_id: str, payload: StepPayload) -> None:
    journal.record_step(run_id, payload.STEP, payload.as_dict())
