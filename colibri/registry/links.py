"""``Link`` headers of paginated answers (tags list, referrers; docs/registry.md T1).

Registries disagree on the form: distribution sends ``</v2/app/tags/list?last=b&n=2>; rel="next"``
(a path relative to the request), Quay has sent the URL without angle brackets and with an opaque
``next_page`` token, and ``rel`` may be unquoted or a space-separated list. The URL is used
verbatim (only resolved against the request URL): rebuilding ``last=`` from the tags breaks on
opaque page tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin

__all__ = ["next_link", "split_links"]


def next_link(headers: Iterable[str], base_url: str) -> str | None:
    """The absolute URL of the ``rel="next"`` link, or ``None`` when there is none."""
    for header in headers:
        for target, params in split_links(header):
            rels = params.get("rel", "").lower().split()
            if "next" in rels and target:
                return urljoin(base_url, target)
    return None


def split_links(header: str) -> list[tuple[str, dict[str, str]]]:
    """Each link of one header value as ``(target, {param: value})``; names lowercased."""
    links: list[tuple[str, dict[str, str]]] = []
    for part in _split_outside(header, ","):
        pieces = _split_outside(part, ";")
        if not pieces:
            continue
        target = pieces[0].strip()
        if target.startswith("<") and target.endswith(">"):
            target = target[1:-1].strip()
        params: dict[str, str] = {}
        for piece in pieces[1:]:
            name, _, value = piece.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        links.append((target, params))
    return links


def _split_outside(text: str, separator: str) -> list[str]:
    """Split on ``separator`` except inside ``<...>`` or ``"..."``."""
    parts: list[str] = []
    current: list[str] = []
    in_angle = in_quote = False
    for char in text:
        if char == '"' and not in_angle:
            in_quote = not in_quote
        elif char == "<" and not in_quote:
            in_angle = True
        elif char == ">" and not in_quote:
            in_angle = False
        if char == separator and not in_angle and not in_quote:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]
