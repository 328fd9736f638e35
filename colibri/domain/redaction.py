"""What run data shows to a reader who may not see secrets.

A run's journal keeps the old container's whole ``docker inspect`` and its images' configs,
for recovery. Those documents carry secrets: environment values (``DB_PASSWORD=…``), labels
and options named like secrets, passwords given on the command line. :func:`redact_document`
returns a copy with every such value replaced by :data:`REDACTED`, keeping the names, so a
reader still sees what was set:

* every ``Env`` list: ``NAME=value`` becomes ``NAME=<redacted>``;
* any mapping entry whose key names a secret (``password``, ``secret``, ``token``, ``key``,
  ``auth``, ``credential``, ``passwd``, ``private``, ``cookie``, ``session``), at any depth,
  labels included;
* in command lines (``Cmd``, ``Entrypoint``, ``Args``): ``--password=value`` keeps its
  option, and the word after ``--password``/``-p``-style options named like secrets is
  redacted.

Everything else is kept as it is. Pure and total: any JSON-like value goes in.

:func:`redact_text` does the same for a line of text (a log message): credentials in URLs
(``scheme://user:password@``), query and form parameters named like secrets
(``?token=…``, ``&apikey=…``), Apprise's header and parameter arguments (``+X-Token=…``,
``-key=…``) and ``Authorization``-style values (``Bearer …``, ``Basic …``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "is_secret_name", "redact_document", "redact_text"]

REDACTED = "<redacted>"
_SECRET = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api[-_.]?key|private[-_.]?key|(^|[-_.])key$|auth"
    r"|credential|cookie|session|dsn|connection[-_.]?string",
    re.IGNORECASE,
)
_COMMANDS = frozenset({"Cmd", "Entrypoint", "Args"})
_USERINFO = re.compile(r"(?P<keep>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):[^/\s@]+@")
_PARAMETER = re.compile(r"(?P<keep>(?:^|[?&;\s+,-])(?P<name>[A-Za-z0-9_.-]+)=)(?P<value>[^&;\s,]+)")
_SCHEME_VALUE = re.compile(r"(?P<keep>\b(?:Bearer|Basic|token)\s+)[A-Za-z0-9._~+/=-]{8,}", re.I)


def is_secret_name(name: str) -> bool:
    """Whether ``name`` (a key, a variable, an option) names a secret."""
    return bool(_SECRET.search(name))


def redact_document(value: Any) -> Any:
    """``value`` with every secret replaced by :data:`REDACTED` (see the module's text)."""
    if isinstance(value, Mapping):
        return {str(key): _entry(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_document(item) for item in value]
    return value


def redact_text(text: str) -> str:
    """``text`` with the secrets a log line may carry replaced by :data:`REDACTED`."""
    shown = _USERINFO.sub(rf"\g<keep>:{REDACTED}@", text)
    shown = _SCHEME_VALUE.sub(rf"\g<keep>{REDACTED}", shown)
    return _PARAMETER.sub(_parameter, shown)


def _parameter(found: re.Match[str]) -> str:
    if is_secret_name(found.group("name")):
        return found.group("keep") + REDACTED
    return found.group(0)


def _entry(key: str, value: Any) -> Any:
    if key == "Env" and isinstance(value, list | tuple):
        return [_variable(item) for item in value]
    if key in _COMMANDS and isinstance(value, list | tuple):
        return _command(value)
    if is_secret_name(key) and isinstance(value, str | int | float) and value != "":
        return REDACTED
    return redact_document(value)


def _variable(item: Any) -> Any:
    if not isinstance(item, str):
        return REDACTED
    name, equals, _ = item.partition("=")
    return f"{name}={REDACTED}" if equals else item


def _command(words: list[Any] | tuple[Any, ...]) -> list[Any]:
    shown: list[Any] = []
    hide_next = False
    for word in words:
        if not isinstance(word, str):
            shown.append(word)
            continue
        if hide_next:
            shown.append(REDACTED)
            hide_next = False
            continue
        option, equals, _ = word.partition("=")
        secret_option = option.startswith("-") and is_secret_name(option)
        if secret_option and equals:
            shown.append(f"{option}={REDACTED}")
        elif secret_option:
            shown.append(word)
            hide_next = True
        elif equals and is_secret_name(option):  # NAME=value given to a shell
            shown.append(f"{option}={REDACTED}")
        else:
            shown.append(word)
    return shown
