"""The store's public surface is what ``colibri.store.__all__`` says."""

from __future__ import annotations

from sqlalchemy import Engine

import colibri.store
import colibri.store.db
import colibri.store.factory


def test_all_is_sorted_and_complete() -> None:
    exported = colibri.store.__all__
    assert exported == sorted(exported)
    public = {name for name in vars(colibri.store) if not name.startswith("_")}
    modules = {"db", "errors", "factory", "journal", "locks", "migrate", "records", "scans"}
    modules |= {"scan_reports", "tables", "types", "urls"}
    modules |= {"auto_updates", "conflicts", "container_statuses", "environments"}
    modules |= {"notifications", "repository", "skips", "tokens"}
    modules |= {"audit", "bad_digests", "events", "fleet", "label_slots", "sessions"}
    assert public - modules == set(exported)


def test_importing_the_store_creates_no_engine() -> None:
    for module in (colibri.store, colibri.store.db, colibri.store.factory):
        assert not any(isinstance(value, Engine) for value in vars(module).values())
