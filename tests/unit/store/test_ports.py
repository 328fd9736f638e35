"""The store's repositories are what ``colibri.domain.ports`` says the service needs.

The assignments are checked by mypy (``mypy --strict tests/unit/store/test_ports.py``); the
test checks that every protocol method exists with the same parameters at run time.
"""

from __future__ import annotations

import inspect

import pytest

from colibri.domain import ports
from colibri.store import (
    SqlApiTokens,
    SqlAutoUpdates,
    SqlContainerStatuses,
    SqlEnvironments,
    SqlNotificationLog,
    SqlNotificationTargets,
    Store,
    make_store,
)

PAIRS: list[tuple[type, type]] = [
    (ports.Environments, SqlEnvironments),
    (ports.AutoUpdates, SqlAutoUpdates),
    (ports.ApiTokens, SqlApiTokens),
    (ports.NotificationTargetStore, SqlNotificationTargets),
    (ports.NotificationTargets, SqlNotificationTargets),
    (ports.NotificationLog, SqlNotificationLog),
    (ports.ContainerStatuses, SqlContainerStatuses),
]


def typed(store: Store) -> None:
    """Never run: mypy checks that each repository implements its protocol."""
    environments: ports.Environments = store.environments
    auto_updates: ports.AutoUpdates = store.auto_updates
    tokens: ports.ApiTokens = store.tokens
    targets: ports.NotificationTargetStore = store.notification_targets
    log: ports.NotificationLog = store.notification_log
    statuses: ports.ContainerStatuses = store.container_statuses
    del environments, auto_updates, tokens, targets, log, statuses


@pytest.mark.parametrize(("protocol", "repository"), PAIRS, ids=lambda p: p.__name__)
def test_every_protocol_method_exists_with_its_parameters(protocol: type, repository: type) -> None:
    methods = [
        name
        for name, value in vars(protocol).items()
        if inspect.isfunction(value) and not name.startswith("_")
    ]
    assert methods
    for name in methods:
        wanted = list(inspect.signature(getattr(protocol, name)).parameters)
        assert list(inspect.signature(getattr(repository, name)).parameters) == wanted, name


def test_the_store_offers_every_repository() -> None:
    with make_store("sqlite://") as store:
        assert isinstance(store.environments, SqlEnvironments)
        assert isinstance(store.auto_updates, SqlAutoUpdates)
        assert isinstance(store.tokens, SqlApiTokens)
        assert isinstance(store.notification_targets, SqlNotificationTargets)
        assert isinstance(store.notification_log, SqlNotificationLog)
        assert isinstance(store.container_statuses, SqlContainerStatuses)
