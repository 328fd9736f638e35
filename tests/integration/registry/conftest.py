"""Helpers for the registry integration tests: clients that are closed afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from colibri.domain.refs import ImageRef, parse_reference
from colibri.registry import RegistryClient, RetryPolicy

ClientFactory = Callable[..., RegistryClient]

#: Short timeouts and no sleeping through backoffs unless a test asks for it.
FAST_RETRY = RetryPolicy(transient_attempts=2, transient_delay=0.05)


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    clients: list[RegistryClient] = []

    def make(**kwargs: Any) -> RegistryClient:
        kwargs.setdefault("timeout", 5.0)
        kwargs.setdefault("connect_timeout", 2.0)
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("trust_env", False)
        client = RegistryClient(**kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def ref(host: str, repository: str, tag: str = "latest") -> ImageRef:
    return parse_reference(f"{host}/{repository}:{tag}")
