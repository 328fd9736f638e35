"""``WWW-Authenticate`` challenges (RFC 7235) and token scopes (docs/registry.md A2, A3).

Parsing is done by hand rather than by splitting on commas: a quoted value may hold commas
(``scope="repository:a/b:pull,push"``), schemes and parameter names are case-insensitive
(Nexus sends ``BASIC``), values keep their case (Artifactory realms have case-sensitive paths),
and one header may carry several challenges.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "Challenge",
    "parse_challenges",
    "pull_scope",
    "scope_for_path",
    "split_scopes",
]

_TCHARS = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_TOKEN_RE = re.compile(_TCHARS)
_TOKEN68_RE = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_SPACE_RE = re.compile(r"[ \t]*")
_REPOSITORY_PATH_RE = re.compile(r"^/v2/(.+?)/(?:manifests|blobs|tags|referrers)/")


@dataclass(frozen=True, slots=True)
class Challenge:
    """One authentication challenge: ``scheme`` lowercased, parameter names lowercased."""

    scheme: str
    params: Mapping[str, str] = field(default_factory=dict)
    token68: str | None = None

    @property
    def realm(self) -> str | None:
        return self.params.get("realm")

    @property
    def service(self) -> str | None:
        return self.params.get("service") or None

    @property
    def scopes(self) -> tuple[str, ...]:
        """The challenge's ``scope`` parameter, split on spaces (one scope may hold commas)."""
        return split_scopes(self.params.get("scope", ""))

    @property
    def error(self) -> str | None:
        return self.params.get("error")


def parse_challenges(headers: Iterable[str]) -> list[Challenge]:
    """Every challenge of every ``WWW-Authenticate`` header value, in order.

    Malformed trailing input is ignored rather than fatal: what parsed cleanly is kept.
    """
    challenges: list[Challenge] = []
    for header in headers:
        challenges.extend(_Parser(header).challenges())
    return challenges


def split_scopes(text: str) -> tuple[str, ...]:
    """Scopes are separated by spaces; commas belong to a scope's action list."""
    return tuple(part for part in text.split(" ") if part)


def pull_scope(path: str) -> str:
    """The scope that lets us read ``path`` (``repository:library/nginx:pull``)."""
    return f"repository:{path}:pull"


def scope_for_path(url_path: str) -> str | None:
    """The pull scope of a ``/v2/<name>/{manifests,blobs,tags,referrers}/...`` URL path."""
    match = _REPOSITORY_PATH_RE.match(url_path)
    return pull_scope(match.group(1)) if match else None


class _Parser:
    """A small cursor-based parser for the RFC 7235 ``challenge`` list grammar."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def challenges(self) -> list[Challenge]:
        found: list[Challenge] = []
        while True:
            self._skip_separators()
            scheme = self._token()
            if scheme is None:
                return found
            found.append(self._challenge_body(scheme.lower()))

    def _challenge_body(self, scheme: str) -> Challenge:
        params: dict[str, str] = {}
        self._skip_spaces()
        token68 = self._token68()
        if token68 is not None:
            return Challenge(scheme, params, token68)
        while True:
            start = self.pos
            self._skip_separators()
            name = self._token()
            self._skip_spaces()
            if name is None or not self._consume("="):
                self.pos = start  # not a parameter: the start of the next challenge
                return Challenge(scheme, params)
            self._skip_spaces()
            value = self._quoted() if self._peek() == '"' else (self._token() or "")
            params.setdefault(name.lower(), value)

    def _token68(self) -> str | None:
        """``Basic dXNlcjpwYXNz``-style: a token68 followed by nothing but the next challenge."""
        match = _TOKEN68_RE.match(self.text, self.pos)
        if not match:
            return None
        rest = self.text[match.end() :].lstrip(" \t")
        if rest and not rest.startswith(","):
            return None  # ``realm=...``: the start of an auth-param list
        self.pos = match.end()
        return match.group(0)

    def _token(self) -> str | None:
        match = _TOKEN_RE.match(self.text, self.pos)
        if not match:
            return None
        self.pos = match.end()
        return match.group(0)

    def _quoted(self) -> str:
        self.pos += 1  # opening quote
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\" and self.pos < len(self.text):
                chars.append(self.text[self.pos])
                self.pos += 1
            elif char == '"':
                break
            else:
                chars.append(char)
        return "".join(chars)

    def _peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def _consume(self, char: str) -> bool:
        if self._peek() == char:
            self.pos += 1
            return True
        return False

    def _skip_spaces(self) -> None:
        match = _SPACE_RE.match(self.text, self.pos)
        if match:
            self.pos = match.end()

    def _skip_separators(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t,":
            self.pos += 1
