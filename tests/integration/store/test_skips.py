"""The skips and seen-images repositories on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from colibri.domain.image_age import SeenImage
from colibri.domain.settings import AutoUpdateConfig, NewAutoUpdate
from colibri.domain.skips import NewSkip, SkipKind
from colibri.store import Store

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
DIGEST = "sha256:" + "c" * 64


def test_skips_are_added_listed_cleared(clocked_store: Store) -> None:
    store = clocked_store
    until = NOW + timedelta(days=7)
    first = store.skips.add(NewSkip("local", "web", "1.28.0", None, "breaks login"))
    second = store.skips.add(NewSkip("local", "web", None, until))
    store.skips.add(NewSkip("other", "web", DIGEST))
    listed = store.skips.list_skips("local", "web")
    assert [skip.id for skip in listed] == [first.id, second.id]
    assert listed[0].kind is SkipKind.VERSION and listed[0].reason == "breaks login"
    assert listed[1].kind is SkipKind.SNOOZE and listed[1].until == until
    assert len(store.skips.list_skips()) == 3
    assert store.skips.clear("local", "web") == 2
    assert store.skips.list_skips("local") == []
    remaining = store.skips.list_skips("other")[0]
    assert store.skips.delete(remaining.id)
    assert not store.skips.delete(remaining.id)


def test_the_first_sighting_of_a_digest_is_kept(clocked_store: Store) -> None:
    store = clocked_store
    created = datetime(2026, 11, 30, tzinfo=UTC)
    labels = {"org.opencontainers.image.version": "1.2.3"}
    first = store.seen_images.remember(SeenImage(DIGEST, NOW, created, labels))
    later = store.seen_images.remember(SeenImage(DIGEST, NOW + timedelta(days=1)))
    assert first == later
    assert later.first_seen_at == NOW
    assert later.created == created
    assert later.labels == labels
    assert store.seen_images.get(DIGEST) == first
    assert store.seen_images.get("sha256:" + "d" * 64) is None


def test_a_settings_window_and_min_age_are_stored(clocked_store: Store) -> None:
    local = clocked_store.environments.find("local")
    assert local is not None
    config = AutoUpdateConfig(window="Sat,Sun 02:00-05:00 Europe/Paris", min_age="3d")
    created = clocked_store.auto_updates.create(NewAutoUpdate(local.id, "web", config))
    stored = clocked_store.auto_updates.get(created.id)
    assert stored is not None
    assert (stored.config.window, stored.config.min_age) == (config.window, "3d")
