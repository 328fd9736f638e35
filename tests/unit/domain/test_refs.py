"""Image references: registry-spec section 1 and test cases 1-5, plus the grammar's edges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from colibri.domain.refs import DOCKER_HUB, ImageRef, in_repository, is_image_id, parse_reference
from colibri.errors import BadReference, ColibriError

HEX64 = "0123456789abcdef" * 4
DIGEST = f"sha256:{HEX64}"
OTHER_DIGEST = "sha256:" + "f" * 64


def ref(domain: str, path: str, tag: str | None = None, digest: str | None = None) -> ImageRef:
    return ImageRef(domain=domain, path=path, tag=tag, digest=digest)


# --- registry-spec test cases 1-5 -------------------------------------------------------------


def test_a_short_hub_name_gets_library_and_latest() -> None:
    parsed = parse_reference("nginx")

    assert parsed == ref("docker.io", "library/nginx")
    assert parsed.tracked_tag == "latest"
    assert parsed.registry_host == "registry-1.docker.io"
    assert parsed.registry_key == "docker.io"
    assert parsed.name == "docker.io/library/nginx"
    assert parsed.is_hub
    assert not parsed.pinned
    assert not parsed.hub_alias


def test_a_registry_port_is_not_a_tag() -> None:
    parsed = parse_reference("localhost:5000/app")

    assert parsed == ref("localhost:5000", "app")
    assert parsed.tag is None
    assert parsed.tracked_tag == "latest"
    assert parsed.registry_host == "localhost:5000"
    assert not parsed.is_hub


def test_a_registry_port_and_a_tag_are_both_kept() -> None:
    assert parse_reference("localhost:5000/app:1.2") == ref("localhost:5000", "app", "1.2")


def test_a_first_component_without_dot_or_colon_is_a_hub_namespace() -> None:
    parsed = parse_reference("myhost/app:1")

    assert parsed == ref("docker.io", "myhost/app", "1")
    assert parsed.registry_host == "registry-1.docker.io"


def test_a_first_component_with_a_dot_is_a_registry() -> None:
    parsed = parse_reference("myhost.lan/app:1")

    assert parsed == ref("myhost.lan", "app", "1")
    assert parsed.registry_host == "myhost.lan"


def test_an_ipv6_registry_with_port() -> None:
    parsed = parse_reference("[::1]:5000/app:v1")

    assert parsed == ref("[::1]:5000", "app", "v1")
    assert parsed.registry_host == "[::1]:5000"


def test_index_docker_io_is_canonicalised_to_docker_io_library() -> None:
    parsed = parse_reference("index.docker.io/redis:7")

    assert parsed == ref("docker.io", "library/redis", "7")
    assert str(parsed) == "docker.io/library/redis:7"
    assert not parsed.hub_alias


def test_registry_1_docker_io_keeps_its_path_but_is_hub() -> None:
    parsed = parse_reference("registry-1.docker.io/redis")

    assert parsed == ref("registry-1.docker.io", "redis")
    assert parsed.is_hub
    assert parsed.hub_alias
    assert parsed.registry_host == "registry-1.docker.io"
    assert parsed.registry_key == "docker.io"


def test_an_uppercase_repository_path_is_a_bad_reference() -> None:
    with pytest.raises(BadReference, match="lowercase"):
        parse_reference("docker.io/Library/Nginx")


@pytest.mark.parametrize("text", [f"sha256:{HEX64}", HEX64])
def test_an_image_id_is_not_a_reference(text: str) -> None:
    assert is_image_id(text)
    with pytest.raises(BadReference, match="image ID"):
        parse_reference(text)


def test_a_digest_only_reference_is_pinned() -> None:
    parsed = parse_reference(f"nginx@{DIGEST}")

    assert parsed == ref("docker.io", "library/nginx", None, DIGEST)
    assert parsed.pinned
    assert parsed.tracked_tag is None


def test_name_tag_and_digest_keeps_both() -> None:
    parsed = parse_reference(f"nginx:1.27@{DIGEST}")

    assert parsed == ref("docker.io", "library/nginx", "1.27", DIGEST)
    assert not parsed.pinned
    assert parsed.tracked_tag == "1.27"
    assert str(parsed) == f"docker.io/library/nginx:1.27@{DIGEST}"
    assert parsed.familiar() == f"nginx:1.27@{DIGEST}"


# --- more of section 1 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("foo/bar", ref("docker.io", "foo/bar")),
        ("docker.io/nginx", ref("docker.io", "library/nginx")),
        ("docker.io/library/nginx:1", ref("docker.io", "library/nginx", "1")),
        ("library/nginx", ref("docker.io", "library/nginx")),
        ("localhost/app", ref("localhost", "app")),
        ("localhost", ref("docker.io", "library/localhost")),
        ("localhost:5000", ref("docker.io", "library/localhost", "5000")),
        ("ghcr.io/org/team/app:2", ref("ghcr.io", "org/team/app", "2")),
        ("127.0.0.1:5000/app", ref("127.0.0.1:5000", "app")),
        ("[2001:db8::1]/app", ref("[2001:db8::1]", "app")),
        ("[2001:DB8::1]:443/a/b:c", ref("[2001:DB8::1]:443", "a/b", "c")),
        ("MyHost/app", ref("MyHost", "app")),
        ("Example.COM:5000/app", ref("Example.COM:5000", "app")),
        ("my-host.example.com/app", ref("my-host.example.com", "app")),
        ("host:80/a", ref("host:80", "a")),
        ("quay.io/a__b/c--d/e.f/g_h", ref("quay.io", "a__b/c--d/e.f/g_h")),
        ("a---b", ref("docker.io", "library/a---b")),
        ("x/y:_tag", ref("docker.io", "x/y", "_tag")),
        ("x/y:T.a-G_9", ref("docker.io", "x/y", "T.a-G_9")),
        ("x/y:" + "t" * 128, ref("docker.io", "x/y", "t" * 128)),
    ],
)
def test_parse_reference_normalises(text: str, expected: ImageRef) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " nginx",
        "nginx ",
        "nginx\n",
        "ngi nx",
        "nginx/",
        "/nginx",
        "a//b",
        "localhost:5000/",
        ":5000/app",
        "host:/app",
        "host:port/app",
        "-host.io/app",
        "host-.io/app",
        "::1/app",
        "[::1",
        "[::1]",
        "[]:5000/app",
        "[::g]/app",
        "a.b_c/d",  # a dotted first component is a registry, and "_" is not allowed in hosts
        "[fe80]/app",  # no ":" in the first component: a Hub path, and "[" is not allowed there
        "a___b",
        "a._b",
        "a-_b",
        "_a",
        "a_",
        ".a",
        "a.",
        "-a",
        "a-",
        "nginx:",
        "nginx:.tag",
        "nginx:-tag",
        "nginx:t@g",
        "nginx:" + "t" * 129,
        "nginx:tag:other",
        "nginx@",
        "nginx@sha256",
        "nginx@sha256:" + "a" * 31,
        "nginx@sha256:" + "a" * 32,
        "nginx@sha256:" + "a" * 63,
        "nginx@sha256:" + "a" * 65,
        "nginx@sha256:" + "A" * 64,
        "nginx@sha512:" + "a" * 64,
        "nginx@sha256:" + "g" * 64,
        "nginx@1sha:" + "a" * 32,
        "nginx@sha256:" + "a" * 64 + "@" + DIGEST,
        "nginx@" + HEX64,
        "Nginx",
        "docker.io/Nginx",
        "ghcr.io/Org/app",
        "héllo",
        "nginx:ta\u00e9g",
    ],
)
def test_parse_reference_rejects(text: str) -> None:
    with pytest.raises(BadReference):
        parse_reference(text)


def test_bad_reference_is_a_colibri_error_with_its_kind() -> None:
    with pytest.raises(ColibriError) as caught:
        parse_reference("Nginx")

    assert caught.value.kind == "bad_reference"
    assert "'Nginx'" in str(caught.value)


@pytest.mark.parametrize("digest", ["sha512:" + "a" * 128, "sha384:" + "b" * 96])
def test_registered_digest_algorithms_are_valid(digest: str) -> None:
    assert parse_reference(f"app@{digest}").digest == digest


@pytest.mark.parametrize(
    "digest",
    [
        "foo:" + "a" * 64,
        "multihash+base58:" + "0" * 32,
        "sha256+b64u:" + "A" * 40,
        "x.y_z-w:" + "c" * 32,
        "sha1:" + "d" * 40,
    ],
)
def test_unregistered_digest_algorithms_are_refused(digest: str) -> None:
    with pytest.raises(BadReference, match="malformed digest"):
        parse_reference(f"app@{digest}")


def test_the_path_may_be_255_characters_once_normalised() -> None:
    path = "a" * (255 - len("library/"))

    assert parse_reference(path).path == f"library/{path}"


def test_a_path_longer_than_255_once_normalised_is_rejected() -> None:
    path = "a" * (256 - len("library/"))

    with pytest.raises(BadReference, match="255"):
        parse_reference(path)


def test_the_domain_does_not_count_towards_the_limit() -> None:
    parsed = parse_reference("example.com/" + "a" * 255)
    assert len(parsed.path) == 255 and len(parsed.name) == 255 + len("example.com/")
    with pytest.raises(BadReference, match="255"):
        parse_reference("example.com/" + "a" * 256)


def test_the_path_limit_ignores_tag_and_digest() -> None:
    parsed = parse_reference(f"example.com/{'a' * 255}:{'t' * 128}@{DIGEST}")

    assert len(parsed.path) == 255


@pytest.mark.parametrize("tag", ["", "-x", "a b", "t" * 129, "x@y", "x:y"])
def test_with_tag_refuses_what_is_not_a_tag(tag: str) -> None:
    with pytest.raises(BadReference, match="invalid tag"):
        parse_reference("nginx").with_tag(tag)


@pytest.mark.parametrize("digest", ["", "sha256:abc", "foo:" + "a" * 64, "sha256:" + "A" * 64])
def test_with_digest_and_by_digest_refuse_what_is_not_a_digest(digest: str) -> None:
    ref_ = parse_reference("nginx:1")
    with pytest.raises(BadReference, match="invalid digest"):
        ref_.with_digest(digest)
    with pytest.raises(BadReference, match="invalid digest"):
        ref_.by_digest(digest)


def test_hub_host_names_differ_in_case_are_hub_but_not_canonicalised() -> None:
    parsed = parse_reference("Docker.IO/nginx")

    assert parsed == ref("Docker.IO", "nginx")
    assert parsed.is_hub
    assert parsed.hub_alias
    assert parsed.registry_key == "docker.io"


def test_registry_key_is_case_insensitive_and_keeps_the_port() -> None:
    assert parse_reference("MyHost.LAN/app").registry_key == "myhost.lan"
    assert parse_reference("MyHost.LAN/app").registry_host == "MyHost.LAN"
    assert parse_reference("localhost/app").registry_key == "localhost"
    assert parse_reference("localhost:5000/app").registry_key == "localhost:5000"


# --- ImageRef methods -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "familiar_name"),
    [
        ("nginx", "nginx"),
        ("docker.io/library/nginx", "nginx"),
        ("foo/bar", "foo/bar"),
        ("docker.io/library/a/b", "library/a/b"),
        ("docker.io/my.org/app", "docker.io/my.org/app"),
        ("docker.io/localhost/app", "docker.io/localhost/app"),
        ("localhost:5000/app", "localhost:5000/app"),
        ("registry-1.docker.io/redis", "registry-1.docker.io/redis"),
        ("ghcr.io/library/x", "ghcr.io/library/x"),
    ],
)
def test_familiar_name_drops_only_what_parses_back(text: str, familiar_name: str) -> None:
    parsed = parse_reference(text)

    assert parsed.familiar_name == familiar_name
    assert parse_reference(familiar_name) == parsed


def test_familiar_keeps_tag_and_digest() -> None:
    assert parse_reference("nginx:1.27").familiar() == "nginx:1.27"
    assert parse_reference(f"localhost:5000/app@{DIGEST}").familiar() == (
        f"localhost:5000/app@{DIGEST}"
    )


def test_str_is_the_fully_qualified_form() -> None:
    assert str(parse_reference("nginx")) == "docker.io/library/nginx"
    assert str(parse_reference("localhost:5000/app:1")) == "localhost:5000/app:1"


def test_with_tag_drops_the_digest() -> None:
    parsed = parse_reference(f"nginx:1.27@{DIGEST}")

    assert parsed.with_tag("1.28") == ref("docker.io", "library/nginx", "1.28")


def test_with_digest_keeps_the_tag_and_by_digest_drops_it() -> None:
    parsed = parse_reference("nginx:1.27")

    assert parsed.with_digest(DIGEST) == ref("docker.io", "library/nginx", "1.27", DIGEST)
    assert parsed.by_digest(DIGEST) == ref("docker.io", "library/nginx", None, DIGEST)
    assert parsed.by_digest(DIGEST).pinned
    assert str(parsed.by_digest(DIGEST)) == f"docker.io/library/nginx@{DIGEST}"


def test_image_ref_is_frozen_and_hashable() -> None:
    parsed = parse_reference("nginx")

    assert {parsed, parse_reference("docker.io/library/nginx:latest").with_tag("x")} == {
        parsed,
        ref("docker.io", "library/nginx", "x"),
    }
    with pytest.raises(AttributeError):
        parsed.tag = "x"  # type: ignore[misc]


# --- is_image_id -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "image_id", "expected"),
    [
        (HEX64, "", True),
        (f"sha256:{HEX64}", "", True),
        (HEX64[:12], f"sha256:{HEX64}", True),
        (f"sha256:{HEX64[:12]}", f"sha256:{HEX64}", True),
        (HEX64[:20], HEX64, True),
        (HEX64[:11], f"sha256:{HEX64}", False),
        (HEX64[:12], "", False),
        ("f" * 12, f"sha256:{HEX64}", False),
        (HEX64.upper(), "", False),
        (HEX64[:63], "", False),
        (HEX64 + "0", "", False),
        (f"sha512:{HEX64}", "", False),
        ("nginx", f"sha256:{HEX64}", False),
        ("nginx:latest", "", False),
        ("", f"sha256:{HEX64}", False),
    ],
)
def test_is_image_id(text: str, image_id: str, expected: bool) -> None:
    assert is_image_id(text, image_id) is expected


def test_a_64_hex_name_with_a_tag_is_a_repository() -> None:
    assert parse_reference(f"{HEX64}:1") == ref("docker.io", f"library/{HEX64}", "1")


# --- properties ------------------------------------------------------------------------------

_alnum = st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True)
_separator = st.sampled_from([".", "_", "__", "-", "--", "---"])


@st.composite
def _components(draw: st.DrawFn) -> str:
    parts = draw(st.lists(_alnum, min_size=1, max_size=3))
    text = parts[0]
    for part in parts[1:]:
        text += draw(_separator) + part
    return text


_paths = st.one_of(
    st.lists(_components(), min_size=1, max_size=3).map("/".join),
    st.lists(_components(), min_size=1, max_size=2).map(
        lambda parts: "/".join(["library", *parts])
    ),
)
_hosts = st.one_of(
    st.just("docker.io"),
    st.sampled_from(["localhost", "index.docker.io", "registry-1.docker.io", "Docker.io"]),
    st.from_regex(
        r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?(\.[a-zA-Z0-9]{1,6}){1,2}", fullmatch=True
    ),
    st.from_regex(r"\[[0-9a-f]{0,4}:[0-9a-f:]{1,12}\]", fullmatch=True),
)
_domains = st.tuples(_hosts, st.one_of(st.none(), st.integers(1, 65535))).map(
    lambda pair: pair[0] if pair[1] is None else f"{pair[0]}:{pair[1]}"
)
_tags = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
_digests = st.one_of(
    st.from_regex(r"sha256:[0-9a-f]{64}", fullmatch=True),
    st.from_regex(r"sha512:[0-9a-f]{128}", fullmatch=True),
)


@st.composite
def references(draw: st.DrawFn) -> str:
    """Strings the grammar accepts (short enough to stay under the name limit)."""
    text = draw(_paths)
    domain = draw(st.one_of(st.none(), _domains))
    if domain is None and "." in text.partition("/")[0]:
        domain = draw(_domains)  # a dotted first component would be read as a registry
    if domain is not None:
        text = f"{domain}/{text}"
    tag = draw(st.one_of(st.none(), _tags))
    if tag is not None:
        text += f":{tag}"
    digest = draw(st.one_of(st.none(), _digests))
    if digest is not None:
        text += f"@{digest}"
    return text


@given(references())
def test_every_grammatical_reference_parses_and_str_parses_back(text: str) -> None:
    parsed = parse_reference(text)

    assert parse_reference(str(parsed)) == parsed


@given(references())
def test_familiar_parses_back_to_the_same_reference(text: str) -> None:
    parsed = parse_reference(text)

    assert parse_reference(parsed.familiar()) == parsed


@given(references())
def test_parsing_keeps_tag_and_digest_as_written(text: str) -> None:
    parsed = parse_reference(text)
    without_digest, _, digest = text.partition("@")

    assert parsed.digest == (digest or None)
    if parsed.tag is not None:
        assert without_digest.endswith(f":{parsed.tag}")
    assert parsed.tracked_tag == (parsed.tag or (None if parsed.digest else "latest"))


@given(references())
def test_hub_references_always_have_a_namespace(text: str) -> None:
    parsed = parse_reference(text)

    if parsed.domain == DOCKER_HUB:
        assert "/" in parsed.path
    assert parsed.domain != "index.docker.io"


@given(st.text(max_size=40))
def test_parse_reference_either_parses_or_raises_bad_reference(text: str) -> None:
    try:
        parsed = parse_reference(text)
    except BadReference:
        return
    assert parse_reference(str(parsed)) == parsed


def test_in_repository_keeps_the_references_of_that_repository_only() -> None:
    ref = parse_reference("busybox:1")
    references = [
        "busybox:1",
        "docker.io/library/busybox:latest",  # the same repository, spelled out
        "busybox@sha256:" + "a" * 64,
        "index.docker.io/library/busybox:2",
        "ghcr.io/library/busybox:1",  # another registry
        "library/busybox-extra:1",  # another repository
        "localhost:5000/busybox:1",
        "<none>:<none>",  # what the daemon lists for an untagged image
        "not a reference",
    ]
    assert in_repository(ref, references) == [
        "busybox:1",
        "docker.io/library/busybox:latest",
        "busybox@sha256:" + "a" * 64,
        "index.docker.io/library/busybox:2",
    ]
    assert in_repository(parse_reference("localhost:5000/busybox"), references) == [
        "localhost:5000/busybox:1"
    ]
