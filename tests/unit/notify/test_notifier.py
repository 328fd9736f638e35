"""The Apprise notifier's surface: it honours the Notifier port and refuses bad input early."""

from __future__ import annotations

import inspect

import pytest

import colibri.notify
from colibri.domain.messages import Message
from colibri.domain.ports import Notifier
from colibri.errors import NotifyError
from colibri.notify import AppriseNotifier


def test_all_is_complete() -> None:
    exported = colibri.notify.__all__
    assert len(exported) == len(set(exported))
    public = {
        name
        for name, value in vars(colibri.notify).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public == set(exported)


def test_send_matches_the_notifier_port() -> None:
    notifier: Notifier = AppriseNotifier()
    port = inspect.signature(Notifier.send)
    ours = inspect.signature(type(notifier).send)
    assert list(ours.parameters) == list(port.parameters)
    assert ours.return_annotation == port.return_annotation


def test_an_invalid_url_fails_permanently_without_sending() -> None:
    with pytest.raises(NotifyError) as caught:
        AppriseNotifier().send("nosuchservice://token@host", Message("t", "b"))
    assert caught.value.permanent
    assert "token" not in str(caught.value)


@pytest.mark.parametrize("timeout", [0.0, -1.0])
def test_the_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout must be positive"):
        AppriseNotifier(timeout=timeout)
