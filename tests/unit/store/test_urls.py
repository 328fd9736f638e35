"""Which database URLs the store accepts, how it pins their driver, how it shows them."""

from __future__ import annotations

import pytest

from colibri.errors import StoreError
from colibri.store.urls import is_sqlite, normalise_url, redact, sqlite_path


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///colibri.db", "sqlite"),
        ("sqlite+pysqlite:////var/lib/colibri/colibri.db", "sqlite"),
        ("sqlite://", "sqlite"),
        ("postgresql://u:p@db/colibri", "postgresql+psycopg"),
        ("postgres://u:p@db:5433/colibri", "postgresql+psycopg"),
        ("postgresql+psycopg://u:p@db/colibri?sslmode=require", "postgresql+psycopg"),
        ("  POSTGRES://u:p@db/colibri  ", "postgresql+psycopg"),
    ],
)
def test_accepted_urls_get_their_driver_pinned(url: str, driver: str) -> None:
    assert normalise_url(url).drivername == driver


def test_normalising_keeps_everything_but_the_driver() -> None:
    url = normalise_url("postgres://user:pa%40ss@db.example:5433/colibri?sslmode=require")
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "user", "pa@ss", "db.example", 5433, "colibri"
    )  # fmt: skip
    assert url.query == {"sslmode": "require"}


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("mysql://u:secret@db/x", "unsupported database"),
        ("postgresql+psycopg2://u:secret@db/x", "unsupported database"),
        ("oracle://u:secret@db/x", "unsupported database"),
        ("colibri.db", "not a valid database URL"),
        ("postgresql://u:secret@db:port/x", "not a valid database URL"),
    ],
)
def test_other_urls_are_refused_without_their_password(url: str, complaint: str) -> None:
    with pytest.raises(StoreError, match=complaint) as raised:
        normalise_url(url)
    assert "secret" not in str(raised.value)
    assert "sqlite:///" in str(raised.value)  # says what would be accepted


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:secret@db/x", "postgresql://u:***@db/x"),
        ("postgres://u:s3:cr@t@db:5432/x", "postgres://u:***@db:5432/x"),
        ("postgres://u:s3/cr@t@db:5432/x", "postgres://u:***@db:5432/x"),
        ("postgresql://u@db/x", "postgresql://u@db/x"),
        ("sqlite:////var/lib/colibri.db", "sqlite:////var/lib/colibri.db"),
        ("broken://u:secret@:no/port", "broken://u:***@:no/port"),
    ],
)
def test_redact_hides_the_password_of_any_text(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_redact_hides_the_password_of_a_parsed_url() -> None:
    assert redact(normalise_url("postgres://u:secret@db/x")) == "postgresql+psycopg://u:***@db/x"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///relative/colibri.db", "relative/colibri.db"),
        ("sqlite:////abs/colibri.db", "/abs/colibri.db"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
    ],
)
def test_the_file_of_a_sqlite_url(url: str, path: str | None) -> None:
    parsed = normalise_url(url)
    assert is_sqlite(parsed)
    assert sqlite_path(parsed) == path


def test_postgres_is_not_sqlite() -> None:
    assert not is_sqlite(normalise_url("postgresql://db/x"))
