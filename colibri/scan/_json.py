"""Strict, path-naming readers for the scanners' JSON output.

Scanner output is untrusted input that decides whether an image runs, so the parsers built on
these readers are strict about types (a string where an array belongs is a ``ScanError`` that
names the field, e.g. ``trivy report: Results[0].Vulnerabilities[2].Severity must be a string,
got number``) and tolerant of absence: Go's ``omitempty`` drops empty fields, so a missing key or
a ``null`` means "none".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from colibri.errors import ScanError

__all__ = ["Reader", "load_document"]

_JSON_TYPES = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def load_document(data: bytes | str, *, source: str) -> Any:
    """Parse the first JSON value of a scanner's stdout.

    Leading whitespace is skipped and text *after* a complete value (an update banner) is
    tolerated; anything else (empty output, a panic trace, a truncated document) is a
    ``ScanError`` that quotes the start of what was printed.
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    stripped = text.lstrip()
    if not stripped:
        raise ScanError(f"{source}: no output on stdout")
    try:
        value, _end = json.JSONDecoder().raw_decode(stripped)
    except json.JSONDecodeError as exc:
        excerpt = stripped[:120].replace("\n", "\\n")
        raise ScanError(
            f"{source}: output is not JSON ({exc.msg} at {exc.pos}): {excerpt}"
        ) from None
    return value


class Reader:
    """Typed access to one parsed document; every error names ``source`` and the field path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> ScanError:
        """The error for a field that is wrong."""
        return ScanError(f"{self.source}: {path} {problem}")

    def _wrong(self, path: str, expected: str, value: object) -> ScanError:
        return self.fail(path, f"must be {expected}, got {_json_type(value)}")

    def object(self, value: object, path: str) -> Mapping[str, Any]:
        """``value`` itself, which must be an object."""
        if not isinstance(value, dict):
            raise self._wrong(path or "the document", "an object", value)
        return value

    def optional_object(self, parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        """``parent[key]`` as an object; ``{}`` when absent or null."""
        value = parent.get(key)
        return {} if value is None else self.object(value, _join(path, key))

    def array(self, parent: Mapping[str, Any], key: str, path: str) -> list[Any]:
        """``parent[key]`` as an array; ``[]`` when absent or null."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(_join(path, key), "an array", value)
        return value

    def objects(self, parent: Mapping[str, Any], key: str, path: str) -> list[Mapping[str, Any]]:
        """``parent[key]`` as an array of objects, each checked."""
        items = self.array(parent, key, path)
        return [
            self.object(item, f"{_join(path, key)}[{index}]") for index, item in enumerate(items)
        ]

    def string(
        self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> str:
        """``parent[key]`` as a string; ``""`` when absent or null unless ``required``."""
        value = parent.get(key)
        if value is None:
            if required:
                raise self.fail(_join(path, key), "is missing")
            return ""
        if not isinstance(value, str):
            raise self._wrong(_join(path, key), "a string", value)
        if required and not value:
            raise self.fail(_join(path, key), "is empty")
        return value

    def strings(self, parent: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        """``parent[key]`` as an array of strings; ``()`` when absent or null."""
        items = self.array(parent, key, path)
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise self._wrong(f"{_join(path, key)}[{index}]", "a string", item)
        return tuple(items)

    def integer(self, parent: Mapping[str, Any], key: str, path: str) -> int | None:
        """``parent[key]`` as an integer; ``None`` when absent or null."""
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(_join(path, key), "an integer", value)
        return value

    def version_text(self, parent: Mapping[str, Any], key: str, path: str) -> str:
        """A schema version that is a number in some releases and a string in others."""
        value = parent.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self._wrong(_join(path, key), "a number or a string", value)
        return str(value)

    def timestamp(self, parent: Mapping[str, Any], key: str, path: str) -> datetime | None:
        """An RFC 3339 time (nanoseconds allowed) as an aware datetime; ``None`` when absent,
        null, empty or Go's zero time (``0001-01-01T00:00:00Z``)."""
        text = self.string(parent, key, path)
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise self.fail(_join(path, key), f"is not an RFC 3339 time: {text!r}") from None
        if moment.tzinfo is None:
            raise self.fail(_join(path, key), f"has no timezone: {text!r}")
        return None if moment.year <= 1 else moment


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)
