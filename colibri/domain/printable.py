"""Text from outside (container, token and environment names, daemon messages) made safe for
a terminal: control characters would otherwise move the cursor, recolour or hide lines, rewrite
the window title, or reverse text (bidirectional overrides).

:func:`printable` writes each such character as a visible escape (``\\x1b``, ``\\u202e``) and
leaves everything else, accents and other scripts included, as it is.
"""

from __future__ import annotations

import unicodedata

__all__ = ["printable"]

_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def printable(text: str) -> str:
    """``text`` with every control or bidirectional-control character escaped."""
    if text.isprintable() and not _BIDI_CONTROLS.intersection(text):
        return text
    return "".join(_shown(character) for character in text)


def _shown(character: str) -> str:
    if character in _BIDI_CONTROLS or unicodedata.category(character) in {"Cc", "Cf", "Zl", "Zp"}:
        code = ord(character)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return character
