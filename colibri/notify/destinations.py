"""Where a target's URL would send a notification, checked against the address rules.

The host a target names (its URL's host, or an e-mail plugin's SMTP server) is resolved, and
every address it resolves to is judged by :func:`colibri.domain.addresses.refusal`: one bad
address refuses the target, since the connection may use any of them. This is done when a
target is saved and again before each delivery (a name may be re-pointed in between).

A plugin whose URL names no host of its own (``ntfy://topic``, ``tgram://token/chat``: the
service's fixed public endpoint) has nothing to check. A name that does not resolve is let
through when a target is saved (DNS may be down) and refused when sending. A refusal says
which rule, never what the URL or the target answered.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from colibri.domain.addresses import refusal
from colibri.errors import NotifyError

__all__ = ["DestinationRules", "hosts_of"]

_HOST_ATTRIBUTES = ("host", "smtp_host")


class DestinationRules:
    """The address rules for one configuration (``allow_private``: loopback and private
    addresses allowed)."""

    def __init__(self, *, allow_private: bool = False) -> None:
        self.allow_private = allow_private

    def check(self, plugin: Any, shown: str, *, sending: bool) -> None:
        """``NotifyError(permanent=True)`` when ``plugin`` would connect where it may not;
        ``shown`` is the target's redacted form."""
        for host in hosts_of(plugin):
            for address in _resolve(host, shown, sending=sending):
                why = refusal(address, allow_private=self.allow_private)
                if why is not None:
                    raise NotifyError(
                        f"notification target {shown}: {host} is {why}", permanent=True
                    )


def hosts_of(plugin: Any) -> list[str]:
    """The hosts ``plugin`` connects to that its URL chose: an address, ``localhost``, or a
    name with a dot (a bare word is a topic or token of a fixed service, not a host)."""
    found: list[str] = []
    for attribute in _HOST_ATTRIBUTES:
        value = getattr(plugin, attribute, None)
        if not isinstance(value, str) or not value.strip():
            continue
        host = value.strip().strip("[]").rstrip(".").lower()
        if _is_address(host) or host == "localhost" or "." in host:
            found.append(host)
    return found


def _resolve(
    host: str, shown: str, *, sending: bool
) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    if _is_address(host):
        return [ipaddress.ip_address(host)]
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        if sending:
            raise NotifyError(f"notification target {shown}: {host} does not resolve") from None
        return []
    return [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos]


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
