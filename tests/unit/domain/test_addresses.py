"""Which addresses a notification may go to."""

from __future__ import annotations

import ipaddress

import pytest

from colibri.domain.addresses import refusal


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "169.254.1.1",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
    ],
)
def test_link_local_metadata_and_non_destinations_are_refused_always(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_private=True) is not None


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "fd12::1", "100.64.0.1"],
)
def test_loopback_and_private_addresses_need_the_operator_s_consent(address: str) -> None:
    assert "COLIBRI_NOTIFY_ALLOW_PRIVATE" in str(
        refusal(ipaddress.ip_address(address), allow_private=False)
    )
    assert refusal(ipaddress.ip_address(address), allow_private=True) is None


def test_public_addresses_are_allowed() -> None:
    for address in ("93.184.216.34", "2606:4700::1111"):
        assert refusal(ipaddress.ip_address(address), allow_private=False) is None
