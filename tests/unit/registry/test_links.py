"""Link header parsing (registry-spec T1, §11 case 31)."""

from __future__ import annotations

import pytest

from colibri.registry.links import next_link, split_links

BASE = "https://r.example/v2/app/tags/list?n=2"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            '</v2/app/tags/list?last=b&n=2>; rel="next"',
            "https://r.example/v2/app/tags/list?last=b&n=2",
        ),
        (
            "https://q.io/v2/app/tags/list?next_page=XYZ; rel=next",
            "https://q.io/v2/app/tags/list?next_page=XYZ",
        ),
        ("<tags/list?last=c>; rel=next", "https://r.example/v2/app/tags/tags/list?last=c"),
        (
            '<https://o.example/p?a=1,2>; rel="prev", </n?x=1>; rel="next"',
            "https://r.example/n?x=1",
        ),
        ('</n>; REL="Next"', "https://r.example/n"),
        ('</n>; rel="prev next"', "https://r.example/n"),
        ('</n>; title="a;b,c"; rel="next"', "https://r.example/n"),
    ],
)
def test_next_link(header: str, expected: str) -> None:
    assert next_link([header], BASE) == expected


@pytest.mark.parametrize("header", ['</p>; rel="prev"', "", "<>; rel=next", "garbage"])
def test_no_next_link(header: str) -> None:
    assert next_link([header], BASE) is None


def test_next_link_from_a_second_header() -> None:
    assert next_link(['</p>; rel="prev"', "</n>; rel=next"], BASE) == "https://r.example/n"


def test_opaque_token_is_kept_verbatim() -> None:
    url = "https://q.io/v2/app/tags/list?next_page=gAAAAABk%3D%3D&n=50"
    assert next_link([f"<{url}>; rel=next"], BASE) == url


def test_split_links_parameters() -> None:
    assert split_links('<a>; rel="next"; type=x') == [("a", {"rel": "next", "type": "x"})]
