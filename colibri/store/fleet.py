"""``SqlLastOutcomes``: the outcome of the newest finished run of every container, in one
query (for the fleet's gauges)."""

from __future__ import annotations

from sqlalchemy import false, func, select

from colibri.domain.journal import RunStatus
from colibri.store.db import reading
from colibri.store.errors import translate
from colibri.store.repository import Repository
from colibri.store.tables import RunRow

__all__ = ["SqlLastOutcomes"]


class SqlLastOutcomes(Repository):
    """Reads the journal's runs table."""

    def last_outcomes(self) -> dict[tuple[str, str], RunStatus]:
        """(environment, container) → the status of its newest finished, real (not dry) run."""
        ranked = (
            select(
                RunRow.environment,
                RunRow.container_name,
                RunRow.status,
                func.row_number()
                .over(
                    partition_by=(RunRow.environment, RunRow.container_name),
                    order_by=(RunRow.started_at.desc(), RunRow.id.desc()),
                )
                .label("rank"),
            )
            .where(RunRow.status != RunStatus.RUNNING.value, RunRow.dry_run == false())
            .subquery()
        )
        query = select(ranked.c.environment, ranked.c.container_name, ranked.c.status).where(
            ranked.c.rank == 1
        )
        with translate("read the last run of each container"), reading(self._sessions) as s:
            return {
                (environment, container): RunStatus(status)
                for environment, container, status in s.execute(query)
            }
