"""The package's public surface, and that the client honours the Registry port."""

from __future__ import annotations

import inspect

import colibri.registry
from colibri.domain.ports import Clock, Registry
from colibri.registry import RegistryClient, SystemClock


def test_all_is_sorted_and_complete() -> None:
    exported = colibri.registry.__all__
    assert len(exported) == len(set(exported))
    assert all(hasattr(colibri.registry, name) for name in exported)
    public = {
        name
        for name, value in vars(colibri.registry).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public == set(exported)


def test_client_methods_match_the_registry_port() -> None:
    port_methods = {
        name
        for name, value in vars(Registry).items()
        if callable(value) and not name.startswith("_")
    }
    assert port_methods == {"head", "fetch", "forget_tags", "list_tags", "get_blob", "referrers"}
    for name in port_methods:
        port = inspect.signature(getattr(Registry, name))
        ours = inspect.signature(getattr(RegistryClient, name))
        assert list(ours.parameters) == list(port.parameters), name
        assert ours.return_annotation == port.return_annotation, name


def test_system_clock_is_a_clock() -> None:
    clock: Clock = SystemClock()
    first = clock.monotonic()
    clock.sleep(0)
    assert clock.monotonic() >= first
    assert clock.now().tzinfo is not None
