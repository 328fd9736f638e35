"""Platform normalisation and the choice of an index child: registry-spec C7, cases 20-22."""

from __future__ import annotations

import pytest

from colibri.domain.model import OCI_MANIFEST, Descriptor, Platform
from colibri.domain.platforms import choose_child, normalise_platform, parse_platform


def entry(
    name: str,
    os: str = "linux",
    arch: str = "amd64",
    variant: str | None = None,
    os_version: str | None = None,
    annotations: dict[str, str] | None = None,
) -> Descriptor:
    """An index entry whose digest is ``sha256:<name>`` so assertions read well."""
    return Descriptor(
        digest=f"sha256:{name}",
        media_type=OCI_MANIFEST,
        platform=Platform(os, arch, variant, os_version),
        annotations=annotations or {},
    )


def attestation(name: str, of: str) -> Descriptor:
    return entry(
        name,
        os="unknown",
        arch="unknown",
        annotations={
            "vnd.docker.reference.type": "attestation-manifest",
            "vnd.docker.reference.digest": f"sha256:{of}",
        },
    )


# --- normalisation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (Platform("linux", "amd64"), Platform("linux", "amd64")),
        (Platform("linux", "x86_64"), Platform("linux", "amd64")),
        (Platform("linux", "x86-64"), Platform("linux", "amd64")),
        (Platform("linux", "X86_64"), Platform("linux", "amd64")),
        (Platform("linux", "amd64", "v1"), Platform("linux", "amd64")),
        (Platform("linux", "amd64", "v3"), Platform("linux", "amd64", "v3")),
        (Platform("linux", "aarch64"), Platform("linux", "arm64")),
        (Platform("linux", "aarch64", "v8"), Platform("linux", "arm64")),
        (Platform("linux", "arm64", "v8"), Platform("linux", "arm64")),
        (Platform("linux", "arm64", "8"), Platform("linux", "arm64")),
        (Platform("linux", "arm64", "v8.0"), Platform("linux", "arm64")),
        (Platform("linux", "arm64", "9"), Platform("linux", "arm64", "v9")),
        (Platform("linux", "arm64", "v9.0"), Platform("linux", "arm64", "v9")),
        (Platform("linux", "arm64", "v9"), Platform("linux", "arm64", "v9")),
        (Platform("linux", "arm"), Platform("linux", "arm", "v7")),
        (Platform("linux", "arm", ""), Platform("linux", "arm", "v7")),
        (Platform("linux", "arm", "7"), Platform("linux", "arm", "v7")),
        (Platform("linux", "arm", "6"), Platform("linux", "arm", "v6")),
        (Platform("linux", "arm", "5"), Platform("linux", "arm", "v5")),
        (Platform("linux", "arm", "V6"), Platform("linux", "arm", "v6")),
        (Platform("linux", "arm", "v6"), Platform("linux", "arm", "v6")),
        (Platform("linux", "armhf"), Platform("linux", "arm", "v7")),
        (Platform("linux", "armhf", "v6"), Platform("linux", "arm", "v7")),
        (Platform("linux", "armel"), Platform("linux", "arm", "v6")),
        (Platform("linux", "armel", "v7"), Platform("linux", "arm", "v6")),
        (Platform("linux", "i386"), Platform("linux", "386")),
        (Platform("linux", "i386", "v1"), Platform("linux", "386")),
        (Platform("linux", "i686"), Platform("linux", "386")),
        (Platform("linux", "386"), Platform("linux", "386")),
        (Platform("linux", "ppc64le"), Platform("linux", "ppc64le")),
        (Platform("linux", "s390x"), Platform("linux", "s390x")),
        (Platform("linux", "riscv64"), Platform("linux", "riscv64")),
        (Platform("Linux", "AMD64"), Platform("linux", "amd64")),
        (Platform("", "amd64"), Platform("linux", "amd64")),
        (Platform("macos", "arm64"), Platform("darwin", "arm64")),
        (
            Platform("windows", "amd64", None, "10.0.17763.5329"),
            Platform("windows", "amd64", None, "10.0.17763.5329"),
        ),
        (Platform("linux", "amd64", None, ""), Platform("linux", "amd64")),
    ],
)
def test_normalise_platform(given: Platform, expected: Platform) -> None:
    assert normalise_platform(given) == expected


@pytest.mark.parametrize(
    "platform",
    [
        Platform("linux", "x86_64"),
        Platform("linux", "aarch64", "v8"),
        Platform("linux", "armhf"),
        Platform("linux", "arm", "7"),
        Platform("Linux", "i386", "v1"),
        Platform("windows", "amd64", None, "10.0.20348.1"),
    ],
)
def test_normalise_platform_is_idempotent(platform: Platform) -> None:
    once = normalise_platform(platform)

    assert normalise_platform(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux/amd64", Platform("linux", "amd64")),
        ("linux/arm64/v8", Platform("linux", "arm64")),
        ("linux/arm", Platform("linux", "arm", "v7")),
        ("linux/arm/v6", Platform("linux", "arm", "v6")),
        (" linux/x86_64 ", Platform("linux", "amd64")),
    ],
)
def test_parse_platform(text: str, expected: Platform) -> None:
    assert parse_platform(text) == expected


@pytest.mark.parametrize("text", ["", "linux", "linux/", "/amd64", "linux/arm/v7/x", "linux//v7"])
def test_parse_platform_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid platform"):
        parse_platform(text)


def test_platform_str() -> None:
    assert str(parse_platform("linux/arm")) == "linux/arm/v7"
    assert str(parse_platform("linux/aarch64")) == "linux/arm64"


# --- choose_child: registry-spec cases 20-22 ------------------------------------------------

MULTI_ARCH = (
    entry("amd", arch="amd64"),
    entry("arm64", arch="arm64", variant="v8"),
    attestation("att-amd", of="amd"),
    attestation("att-arm64", of="arm64"),
)


def test_case_20_attestations_are_skipped_and_arm64_is_chosen() -> None:
    chosen = choose_child(MULTI_ARCH, Platform("linux", "arm64"))

    assert chosen is not None
    assert chosen.digest == "sha256:arm64"


def test_case_21_an_arm_v7_image_gets_the_arm_v7_child_not_the_hosts() -> None:
    children = (
        entry("arm64", arch="arm64"),
        entry("v6", arch="arm", variant="v6"),
        entry("v7", arch="arm", variant="v7"),
    )

    chosen = choose_child(children, Platform("linux", "arm", "v7"))

    assert chosen is not None
    assert chosen.digest == "sha256:v7"


def test_case_21_aarch64_v8_matches_arm64_without_variant() -> None:
    children = (entry("amd", arch="amd64"), entry("arm64", arch="arm64"))

    chosen = choose_child(children, Platform("linux", "aarch64", "v8"))

    assert chosen is not None
    assert chosen.digest == "sha256:arm64"


def test_case_22_no_entry_for_the_platform() -> None:
    assert choose_child(MULTI_ARCH, Platform("linux", "s390x")) is None


def test_only_attestations_is_no_match() -> None:
    children = (attestation("a", of="x"), attestation("b", of="y"))

    assert choose_child(children, Platform("linux", "amd64")) is None


def test_an_empty_index_is_no_match() -> None:
    assert choose_child((), Platform("linux", "amd64")) is None


def test_an_annotated_attestation_with_a_real_looking_platform_is_skipped() -> None:
    disguised = entry(
        "att", arch="amd64", annotations={"vnd.docker.reference.type": "attestation-manifest"}
    )

    chosen = choose_child((disguised, entry("amd")), Platform("linux", "amd64"))

    assert chosen is not None
    assert chosen.digest == "sha256:amd"


@pytest.mark.parametrize("unknown", [("unknown", "amd64"), ("linux", "unknown"), ("UNKNOWN", "x")])
def test_unknown_os_or_architecture_is_skipped(unknown: tuple[str, str]) -> None:
    os_name, arch = unknown

    assert choose_child((entry("u", os=os_name, arch=arch),), Platform(os_name, arch)) is None


def test_an_entry_without_platform_is_skipped() -> None:
    bare = Descriptor(digest="sha256:bare", media_type=OCI_MANIFEST)

    assert choose_child((bare,), Platform("linux", "amd64")) is None


def test_other_os_is_no_match() -> None:
    children = (entry("win", os="windows", arch="amd64"),)

    assert choose_child(children, Platform("linux", "amd64")) is None


def test_exact_variant_beats_an_earlier_variantless_entry() -> None:
    children = (entry("generic", arch="amd64"), entry("v3", arch="amd64", variant="v3"))

    chosen = choose_child(children, Platform("linux", "amd64", "v3"))

    assert chosen is not None
    assert chosen.digest == "sha256:v3"


def test_without_exact_variant_the_first_compatible_entry_in_order_wins() -> None:
    children = (
        entry("v2", arch="amd64", variant="v2"),
        entry("generic", arch="amd64"),
        entry("v4", arch="amd64", variant="v4"),
    )

    chosen = choose_child(children, Platform("linux", "amd64", "v3"))

    assert chosen is not None
    assert chosen.digest == "sha256:generic"


def test_a_variantless_wanted_platform_takes_the_first_entry_with_a_variant() -> None:
    children = (entry("v3", arch="amd64", variant="v3"), entry("v2", arch="amd64", variant="v2"))

    chosen = choose_child(children, Platform("linux", "amd64"))

    assert chosen is not None
    assert chosen.digest == "sha256:v3"


def test_among_equal_matches_the_first_in_index_order_wins() -> None:
    children = (entry("first", arch="arm64"), entry("second", arch="aarch64", variant="v8"))

    chosen = choose_child(children, Platform("linux", "arm64"))

    assert chosen is not None
    assert chosen.digest == "sha256:first"


def test_a_different_arm_variant_is_not_a_match() -> None:
    children = (entry("v6", arch="arm", variant="v6"), entry("v8", arch="arm", variant="v8"))

    assert choose_child(children, Platform("linux", "arm", "v7")) is None


def test_a_bare_arm_entry_is_arm_v7() -> None:
    children = (entry("v6", arch="arm", variant="v6"), entry("bare", arch="arm"))

    assert choose_child(children, Platform("linux", "arm", "v6")) == children[0]
    assert choose_child(children, Platform("linux", "armhf")) == children[1]


def test_entries_are_normalised_too() -> None:
    children = (entry("x86", arch="x86_64"),)

    assert choose_child(children, Platform("linux", "amd64")) == children[0]


# --- Windows os.version ----------------------------------------------------------------------

WINDOWS = (
    entry("ltsc2019", os="windows", os_version="10.0.17763.6054"),
    entry("ltsc2022", os="windows", os_version="10.0.20348.2582"),
    entry("ltsc2025", os="windows", os_version="10.0.26100.1234"),
)


def test_windows_picks_the_entry_of_the_same_build_after_a_monthly_patch() -> None:
    running = Platform("windows", "amd64", None, "10.0.20348.2113")

    chosen = choose_child(WINDOWS, running)

    assert chosen is not None
    assert chosen.digest == "sha256:ltsc2022"


def test_windows_with_no_entry_of_the_same_build_is_no_match() -> None:
    running = Platform("windows", "amd64", None, "10.0.19041.1415")

    assert choose_child(WINDOWS, running) is None


def test_windows_exact_os_version_beats_an_earlier_same_build_entry() -> None:
    children = (
        entry("older", os="windows", os_version="10.0.17763.5000"),
        entry("exact", os="windows", os_version="10.0.17763.6054"),
    )

    chosen = choose_child(children, Platform("windows", "amd64", None, "10.0.17763.6054"))

    assert chosen is not None
    assert chosen.digest == "sha256:exact"


def test_windows_without_os_version_on_either_side_matches_the_first_entry() -> None:
    assert choose_child(WINDOWS, Platform("windows", "amd64")) == WINDOWS[0]
    unversioned = (entry("any", os="windows"),)
    wanted = Platform("windows", "amd64", None, "10.0.20348.1")
    assert choose_child(unversioned, wanted) == unversioned[0]


def test_linux_entries_ignore_windows_entries_in_a_mixed_index() -> None:
    children = (*WINDOWS, entry("linux", os="linux"))

    assert choose_child(children, Platform("linux", "x86_64")) == children[-1]


@pytest.mark.parametrize(
    "text", ["linux /arm", "linux/&arm", "linux/arm/v 7", "lin.ux/amd64", "linux/amd64/"]
)
def test_parse_platform_refuses_invalid_components(text: str) -> None:
    with pytest.raises(ValueError, match="invalid platform"):
        parse_platform(text)


def test_parse_platform_accepts_the_component_characters_containerd_does() -> None:
    assert parse_platform("linux/x86_64") == Platform("linux", "amd64", None)
    assert parse_platform("Linux/ARM64/v8") == Platform("linux", "arm64", None)
    assert parse_platform("linux/loong-64").architecture == "loong-64"
