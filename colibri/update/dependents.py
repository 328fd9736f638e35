"""Containers that follow the updated one (docs/architecture.md, "One update, step by step").

Containers sharing the old container's network namespace (``network_mode: container:<id>``)
lose it with the old container: they are stopped with it and recreated, with the same
configuration, in the new container's namespace. Containers that declare
``colibri.depends-on=<name>`` are restarted once the new container is verified. The swaps are
journaled (:class:`colibri.domain.recovery.SwapRecord`) so rollback and recovery can undo them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from colibri.domain.clone import clone_config
from colibri.domain.model import Container
from colibri.domain.planner import dependents_of
from colibri.domain.ports import Engine
from colibri.domain.recovery import SwapRecord
from colibri.domain.transient import aside_name, new_name
from colibri.errors import ColibriError
from colibri.update.verify import Verifier

__all__ = ["SharerSwaps", "declared_dependents", "namespace_sharers", "restart_all"]


def namespace_sharers(
    engine: Engine, container: Container, old_id: str, run_id: str
) -> list[SwapRecord]:
    """The containers in ``old_id``'s network namespace, with the names their swap will use."""
    target = replace(container, id=old_id)
    found = dependents_of(target, engine.list_containers(include_stopped=True))
    return [
        SwapRecord(c.id, c.name, new_name(c.name, run_id), aside_name(c.name, run_id), c.running)
        for c in found.recreate
    ]


def declared_dependents(engine: Engine, container: Container, old_id: str) -> list[Container]:
    """Running containers that name ``container`` in ``colibri.depends-on``."""
    return list(dependents_of(replace(container, id=old_id), engine.list_containers()).restart)


@dataclass
class SharerSwaps:
    """The swaps of one update's namespace sharers: what was done, so it can be undone."""

    engine: Engine
    verifier: Verifier
    records: list[SwapRecord] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)
    renamed: set[str] = field(default_factory=set)

    def stop_all(self) -> None:
        """Before the old container stops: its sharers go first."""
        for record in self.records:
            if record.was_running:
                self.engine.stop_container(record.old_id)

    def recreate_all(self, new_owner_id: str) -> None:
        for record in self.records:
            self._recreate(record, new_owner_id)

    def _recreate(self, record: SwapRecord, new_owner_id: str) -> None:
        inspect = self.engine.inspect_container(record.old_id)
        image = self.engine.inspect_image_raw(str(inspect.get("Image") or "")) or {}
        config = image.get("Config") or {}
        current = str((inspect.get("Config") or {}).get("Image") or "")
        plan = clone_config(inspect, config, config, image=current)
        plan.body["HostConfig"]["NetworkMode"] = f"container:{new_owner_id}"
        self.created[record.name] = self.engine.create_container(plan.body, record.temp_name)
        self.engine.rename_container(record.old_id, record.aside_name)
        self.renamed.add(record.name)
        self.engine.rename_container(self.created[record.name], record.name)
        if record.was_running:
            self.engine.start_container(self.created[record.name])
            self.verifier.verify_running(self.created[record.name])

    def undo_names(self) -> None:
        """Remove the new copies and give the old ones their names back (before the owner's
        own undo)."""
        for record in self.records:
            if record.name in self.created:
                self.engine.remove_container(self.created[record.name], force=True)
            if record.name in self.renamed:
                self.engine.rename_container(record.old_id, record.name)

    def old_ids(self) -> list[str]:
        return [record.old_id for record in self.records]


def restart_all(engine: Engine, containers: list[Container]) -> list[str]:
    """Restart each; the problems, as text (a dependent that will not restart does not undo the
    update)."""
    problems = []
    for container in containers:
        try:
            engine.restart_container(container.id)
        except ColibriError as exc:
            problems.append(f"could not restart {container.name}: {exc}")
    return problems
