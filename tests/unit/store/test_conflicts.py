"""Unique-constraint violations become StoreConflicts naming the field, on both backends."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError

from colibri.errors import StoreError
from colibri.store.conflicts import StoreConflict, unique
from colibri.store.errors import translate
from colibri.store.repository import from_row

CLASHES = {
    ("name",): "an environment named 'prod' already exists",
    ("environment_id", "container_name"): "container 'web' already has a setting",
}


def violation(message: str) -> IntegrityError:
    return IntegrityError("INSERT INTO environments ...", {}, sqlite3.IntegrityError(message))


@pytest.mark.parametrize(
    ("said", "field", "message"),
    [
        ("UNIQUE constraint failed: environments.name", "name", "named 'prod'"),
        (
            'duplicate key value violates unique constraint "uq_environments_name"\n'
            "DETAIL:  Key (name)=(prod) already exists.",
            "name",
            "named 'prod'",
        ),
        (
            "UNIQUE constraint failed: environments.environment_id, environments.container_name",
            "container_name",
            "'web' already has",
        ),
        (
            'duplicate key value violates unique constraint "uq_environments_environment_id_'
            'container_name"',
            "container_name",
            "'web' already has",
        ),
    ],
)
def test_a_duplicate_names_its_field(said: str, field: str, message: str) -> None:
    with (
        pytest.raises(StoreConflict) as raised,
        unique("create environment", "environments", CLASHES),
    ):
        raise violation(said)

    assert raised.value.field == field
    assert raised.value.kind == "conflict"
    assert str(raised.value).startswith("create environment: ")
    assert message in str(raised.value)


def test_other_integrity_errors_become_plain_store_errors() -> None:
    with (
        pytest.raises(StoreError) as raised,
        translate("create environment"),
        unique("create environment", "environments", CLASHES),
    ):
        raise violation("FOREIGN KEY constraint failed")

    assert type(raised.value) is StoreError
    assert str(raised.value) == "create environment: FOREIGN KEY constraint failed"


def test_a_similar_column_of_another_table_is_not_a_match() -> None:
    with pytest.raises(IntegrityError), unique("create", "environments", CLASHES):
        raise violation("UNIQUE constraint failed: api_tokens.name")


def test_an_unreadable_row_is_a_store_error_naming_it() -> None:
    def build() -> int:
        raise ValueError("'x' is not a valid CheckStatus")

    with pytest.raises(StoreError, match="environment 7 in the database is not valid"):
        from_row("environment 7", build)
