"""The failed-authentication window: a client over the limit waits until its oldest failure
leaves the window; clients are counted apart; memory stays bounded."""

from __future__ import annotations

from colibri.domain.throttle import FailureWindow


def test_a_client_over_the_limit_waits_for_its_oldest_failure_to_age() -> None:
    window = FailureWindow(limit=3, window=60.0)
    for second in (0.0, 10.0, 20.0):
        assert window.retry_after("a", second) == 0.0
        window.failed("a", second)
    assert window.retry_after("a", 30.0) == 30.0
    assert window.retry_after("b", 30.0) == 0.0
    assert window.retry_after("a", 60.5) == 0.0  # the first failure has left the window


def test_only_the_most_recent_clients_are_remembered() -> None:
    window = FailureWindow(limit=1, window=60.0, max_clients=2)
    for client in ("a", "b", "c"):
        window.failed(client, 1.0)
    assert window.retry_after("a", 2.0) == 0.0  # forgotten first
    assert window.retry_after("c", 2.0) == 59.0
