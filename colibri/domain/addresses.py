"""Where notifications may be sent: which network addresses a target may resolve to.

A notification target is a URL someone typed; Colibri then connects to it from inside the
network it runs in. Without a rule, a target can reach what only that network should reach:
a cloud's metadata service (instance credentials), the router, the host's own services. So:

* link-local and metadata addresses are refused always: 169.254.0.0/16 (the AWS, GCP and
  Azure metadata address 169.254.169.254 among them), fe80::/10, fd00:ec2::254 (AWS over
  IPv6), and addresses that are no destination at all (unspecified, multicast, reserved);
* loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), shared (100.64/10) addresses
  only when the operator allows private targets (``COLIBRI_NOTIFY_ALLOW_PRIVATE``);
* everything else (public addresses) is allowed.

An IPv4 address written in IPv6 (``::ffff:169.254.169.254``) is judged as the IPv4 one.
"""

from __future__ import annotations

import ipaddress

__all__ = ["METADATA", "refusal"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud metadata services outside the link-local ranges.
METADATA = frozenset({ipaddress.ip_address("fd00:ec2::254")})
_SHARED = ipaddress.ip_network("100.64.0.0/10")


def refusal(address: Address, *, allow_private: bool) -> str | None:
    """Why a notification may not go to ``address`` (``None``: it may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_link_local:
        return "a link-local address (cloud metadata services live there)"
    if address.is_unspecified or address.is_multicast:
        return "not an address one sends to"
    if address.is_loopback or address.is_private or address in _SHARED:
        if allow_private:
            return None
        return "a loopback or private address (allowed with COLIBRI_NOTIFY_ALLOW_PRIVATE)"
    if address.is_reserved:
        return "not an address one sends to"
    return None
