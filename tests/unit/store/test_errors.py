"""Driver failures become StoreErrors naming the operation, never the statement or password."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError

from colibri.errors import LockHeld, StoreError
from colibri.store.errors import describe, translate


def driver_error(message: str) -> OperationalError:
    return OperationalError(
        "INSERT INTO run_steps (data) VALUES (?)", ({"inspect": "x" * 10_000},), Exception(message)
    )


def test_a_driver_error_names_the_operation_and_the_cause_only() -> None:
    with pytest.raises(StoreError) as raised, translate("record step pull of run r1"):
        raise driver_error("disk I/O error\nmore detail")

    assert str(raised.value) == "record step pull of run r1: disk I/O error"
    assert raised.value.__cause__ is not None


def test_the_password_is_scrubbed_from_what_the_driver_says() -> None:
    with pytest.raises(StoreError) as raised, translate("connect", secret="hunter2"):
        raise driver_error("auth failed with password hunter2 at postgresql://u:hunter2@db/x")

    assert "hunter2" not in str(raised.value)
    assert "connect: auth failed with password ***" in str(raised.value)


def test_store_errors_pass_through_unchanged() -> None:
    original = LockHeld("lock 'k' is held by run r")
    with pytest.raises(LockHeld) as raised, translate("acquire lock 'k'"):
        raise original
    assert raised.value is original


def test_other_exceptions_are_bugs_and_keep_their_type() -> None:
    with pytest.raises(KeyError), translate("anything"):
        raise KeyError("x")


def test_describe_reads_the_driver_error_inside_sqlalchemys() -> None:
    wrapped = IntegrityError("INSERT ...", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert describe(wrapped) == "UNIQUE constraint failed"


def test_describe_falls_back_to_the_exception_itself() -> None:
    assert describe(ArgumentError("bad argument")) == "bad argument"
    assert describe(OSError()) == "OSError"
