"""Names from outside are shown on a terminal without their control characters."""

from __future__ import annotations

from colibri.domain.printable import printable


def test_control_and_bidirectional_characters_are_escaped_the_rest_kept() -> None:
    assert printable("web-1") == "web-1"
    assert printable("café ünïcode 名前") == "café ünïcode 名前"
    assert printable("evil\x1b[31mred\x07") == "evil\\x1b[31mred\\x07"
    assert printable("a\nb\rc\x9bd") == "a\\x0ab\\x0dc\\x9bd"
    assert printable("txt\u202egnp.exe") == "txt\\u202egnp.exe"
