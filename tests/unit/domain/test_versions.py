"""Newer-version-tag discovery: registry-spec section 8 and test cases 32-34."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from colibri.domain.versions import (
    Prerelease,
    TagRules,
    VersionPolicy,
    VersionTag,
    candidate_tags,
    is_artifact_tag,
    is_moving_tag,
    newest_tag,
    parse_tag,
)
from colibri.errors import ConfigError

HEX64 = "0123456789abcdef" * 4
PATCH = TagRules(VersionPolicy.PATCH)
MINOR = TagRules(VersionPolicy.MINOR)
MAJOR = TagRules(VersionPolicy.MAJOR)
ALL = TagRules(VersionPolicy.ALL)


# --- registry-spec test cases 32-34 ---------------------------------------------------------


def test_case_32_minor_without_prereleases() -> None:
    tags = ["v1.2.9", "v1.2.10", "1.3.0", "v1.10.0-rc1", "v2.0.0", f"sha256-{HEX64}.sig", "latest"]

    assert newest_tag("v1.2.3", tags, MINOR) == "v1.2.10"
    assert candidate_tags("v1.2.3", tags, MINOR) == ["v1.2.10", "v1.2.9"]


def test_case_32_with_prereleases_opted_in() -> None:
    tags = ["v1.2.9", "v1.2.10", "1.3.0", "v1.10.0-rc1", "v2.0.0", f"sha256-{HEX64}.sig", "latest"]
    rules = TagRules(VersionPolicy.MINOR, prereleases=True)

    assert candidate_tags("v1.2.3", tags, rules) == ["v1.10.0-rc1", "v1.2.10", "v1.2.9"]


def test_case_33_same_suffix_template_and_same_major() -> None:
    tags = ["17.9-alpine", "17.12-alpine", "17.12", "18.1-alpine", "17.12-alpine-perl"]

    assert newest_tag("17.11-alpine", tags, MINOR) == "17.12-alpine"
    assert candidate_tags("17.11-alpine", tags, MINOR) == ["17.12-alpine"]
    assert newest_tag("17.11-alpine", tags, MAJOR) == "18.1-alpine"


def test_case_34_embedded_suffix_numbers_compare_as_integers() -> None:
    tags = ["v8.9.0-ls99", "v8.9.0-ls101", "v8.9.0-ls100", "v8.9.0-ls98"]

    assert newest_tag("v8.9.0-ls99", tags, PATCH) == "v8.9.0-ls101"
    assert candidate_tags("v8.9.0-ls99", tags, PATCH) == ["v8.9.0-ls101", "v8.9.0-ls100"]


def test_case_34_calver_with_leading_zeros() -> None:
    assert newest_tag("2023.11.0", ["2025.04.0", "2023.09.1", "2024.1.0"], ALL) == "2025.04.0"


# --- ordering -------------------------------------------------------------------------------


def test_components_compare_as_integers_not_text() -> None:
    assert newest_tag("1.9", ["1.10", "1.8", "1.09"], MINOR) == "1.10"


def test_keel_glob_bug_is_not_copied() -> None:
    assert candidate_tags("1.2", ["1.9", "1.10", "1.11", "1.100"], MINOR) == [
        "1.100",
        "1.11",
        "1.10",
        "1.9",
    ]


def test_server_order_is_not_trusted() -> None:
    tags = ["1.0.3", "1.0.10", "1.0.2", "1.0.9"]

    assert candidate_tags("1.0.1", tags, PATCH) == ["1.0.10", "1.0.9", "1.0.3", "1.0.2"]
    assert candidate_tags("1.0.1", reversed(tags), PATCH) == ["1.0.10", "1.0.9", "1.0.3", "1.0.2"]


def test_duplicates_are_listed_once() -> None:
    assert candidate_tags("1.0.0", ["1.0.1", "1.0.1", "1.0.2"], PATCH) == ["1.0.2", "1.0.1"]


def test_leading_zeros_are_the_same_value_and_not_newer() -> None:
    assert newest_tag("2025.04.0", ["2025.4.0"], ALL) is None
    assert newest_tag("2025.04.0", ["2025.04.1", "2025.4.1"], ALL) == "2025.4.1"
    assert candidate_tags("2025.04.0", ["2025.04.1", "2025.4.1"], ALL) == [
        "2025.4.1",
        "2025.04.1",
    ]


def test_four_components() -> None:
    tags = ["1.2.3.5", "1.2.3.10", "1.2.4.0", "1.2.4", "1.2.3.4.5"]

    assert newest_tag("1.2.3.4", tags, PATCH) == "1.2.4.0"
    assert candidate_tags("1.2.3.4", tags, PATCH) == ["1.2.4.0", "1.2.3.10", "1.2.3.5"]


def test_a_single_major_tag_moves_only_under_major() -> None:
    tags = ["6", "7", "8", "10", "7.1", "8.0.1"]

    assert newest_tag("7", tags, MAJOR) == "10"
    assert newest_tag("7", tags, ALL) == "10"
    assert newest_tag("7", tags, MINOR) is None
    assert newest_tag("7", tags, PATCH) is None


def test_a_single_major_tag_may_grow_components_when_length_is_free() -> None:
    rules = TagRules(VersionPolicy.MINOR, same_length=False)

    assert candidate_tags("7", ["6", "7", "8", "7.1", "7.0.1", "8.0.1"], rules) == ["7.1", "7.0.1"]


def test_a_longer_core_sorts_after_its_prefix() -> None:
    rules = TagRules(VersionPolicy.ALL, same_length=False)

    assert candidate_tags("1.2", ["1.2", "1.2.0", "1.2.1", "1.3"], rules) == [
        "1.3",
        "1.2.1",
        "1.2.0",
    ]


def test_same_number_of_components_by_default() -> None:
    assert candidate_tags("1.2", ["1.3", "1.3.0", "2"], MAJOR) == ["1.3"]


def test_the_prefix_is_kept() -> None:
    tags = ["1.2.4", "v1.2.4", "V1.2.5", "release-1.2.6", "v1.2.3"]

    assert candidate_tags("v1.2.3", tags, PATCH) == ["v1.2.4"]
    assert candidate_tags("release-1.2.3", tags, PATCH) == ["release-1.2.6"]
    assert candidate_tags("1.2.3", tags, PATCH) == ["1.2.4"]


def test_the_suffix_template_is_kept_exactly() -> None:
    tags = ["1.28.0-alpine", "1.28.0-alpine-perl", "1.28.0", "1.28.0-alpine3.20", "1.28.0-bookworm"]

    assert candidate_tags("1.27.3-alpine", tags, MINOR) == ["1.28.0-alpine"]
    assert candidate_tags("1.27.3-alpine3.19", tags, MINOR) == ["1.28.0-alpine3.20"]
    assert candidate_tags("1.27.3", tags, MINOR) == ["1.28.0"]


def test_a_variant_with_numbers_compares_them_after_the_core() -> None:
    tags = ["1.27.3-alpine3.20", "1.27.4-alpine3.18", "1.27.3-alpine3.19"]

    assert candidate_tags("1.27.3-alpine3.18", tags, PATCH) == [
        "1.27.4-alpine3.18",
        "1.27.3-alpine3.20",
        "1.27.3-alpine3.19",
    ]


def test_prefix_that_ends_in_letters_before_the_core() -> None:
    assert newest_tag("alpine3.18", ["alpine3.19", "alpine3.20", "3.21"], MINOR) == "alpine3.20"


# --- policies -------------------------------------------------------------------------------

POLICY_TAGS = ["1.2.4", "1.2.10", "1.3.0", "1.10.1", "2.0.0", "10.0.0", "1.2.2", "0.9.9"]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (PATCH, ["1.2.10", "1.2.4"]),
        (MINOR, ["1.10.1", "1.3.0", "1.2.10", "1.2.4"]),
        (MAJOR, ["10.0.0", "2.0.0", "1.10.1", "1.3.0", "1.2.10", "1.2.4"]),
        (ALL, ["10.0.0", "2.0.0", "1.10.1", "1.3.0", "1.2.10", "1.2.4"]),
    ],
)
def test_policies(rules: TagRules, expected: list[str]) -> None:
    assert candidate_tags("1.2.3", POLICY_TAGS, rules) == expected


@pytest.mark.parametrize("text", ["patch", "MINOR", " major ", "All"])
def test_policy_parse(text: str) -> None:
    assert VersionPolicy.parse(text).value == text.strip().lower()


def test_policy_parse_rejects_unknown_names_and_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"'semver'.*patch, minor, major, all"):
        VersionPolicy.parse("semver")


# --- pre-releases ---------------------------------------------------------------------------


def test_prereleases_are_excluded_by_default() -> None:
    tags = ["1.3.0-rc1", "1.3.0-beta.2", "1.2.4-alpha", "1.2.4", "1.3.0RC2"]

    assert candidate_tags("1.2.3", tags, MINOR) == ["1.2.4"]


def test_prereleases_when_opted_in_order_below_their_release() -> None:
    tags = ["1.3.0-rc.2", "1.3.0-rc1", "1.3.0-beta", "1.3.0-alpha.3", "1.3.0", "1.3.0-dev"]
    rules = TagRules(VersionPolicy.MINOR, prereleases=True)

    assert candidate_tags("1.2.3", tags, rules) == [
        "1.3.0",
        "1.3.0-rc.2",
        "1.3.0-rc1",
        "1.3.0-beta",
        "1.3.0-alpha.3",
        "1.3.0-dev",
    ]


def test_from_a_prerelease_the_release_is_offered_but_not_other_prereleases() -> None:
    tags = ["1.3.0-rc2", "1.3.0", "1.2.9"]

    assert candidate_tags("1.3.0-rc1", tags, PATCH) == ["1.3.0"]


def test_a_prerelease_in_a_variant_tag_keeps_the_variant() -> None:
    tags = ["1.3.0-rc1-alpine", "1.3.0-alpine", "1.3.0-rc1"]
    rules = TagRules(VersionPolicy.MINOR, prereleases=True)

    assert candidate_tags("1.2.0-alpine", tags, rules) == ["1.3.0-alpine", "1.3.0-rc1-alpine"]


@pytest.mark.parametrize(
    ("tag", "prerelease", "template"),
    [
        ("1.0.0-rc1", Prerelease("rc", 1), ""),
        ("1.0.0-rc.1", Prerelease("rc", 1), ""),
        ("1.0.0rc1", Prerelease("rc", 1), ""),
        ("1.0.0-RC1", Prerelease("rc", 1), ""),
        ("1.0.0_rc_2", Prerelease("rc", 2), ""),
        ("1.0.0-rc", Prerelease("rc", None), ""),
        ("1.0.0-beta", Prerelease("beta", None), ""),
        ("1.0.0-Beta.10", Prerelease("beta", 10), ""),
        ("1.0.0-alpha2", Prerelease("alpha", 2), ""),
        ("1.0.0.pre", Prerelease("pre", None), ""),
        ("1.0.0-dev", Prerelease("dev", None), ""),
        ("1.0.0-nightly", Prerelease("nightly", None), ""),
        ("1.0.0-alpine-beta2", Prerelease("beta", 2), "-alpine"),
        ("1.0.0-rc1-alpine3.19", Prerelease("rc", 1), "-alpine#.#"),
        ("1.0.0-alpine", None, "-alpine"),
        ("12.2.0-devel-ubuntu22.04", None, "-devel-ubuntu#.#"),
        ("1.0.0-preview", None, "-preview"),
        ("1.0.0-prerelease", None, "-prerelease"),
        ("1.0.0-r1", None, "-r#"),
        ("1.0.0-alphabet", None, "-alphabet"),
        ("1.0.0-betamax", None, "-betamax"),
        ("1.0.0-xrc1", None, "-xrc#"),
    ],
)
def test_prerelease_markers(tag: str, prerelease: Prerelease | None, template: str) -> None:
    parsed = parse_tag(tag)

    assert parsed is not None
    assert parsed.prerelease == prerelease
    assert parsed.is_prerelease is (prerelease is not None)
    assert parsed.template == template


def test_prerelease_ranks() -> None:
    order = ["1.0-dev", "1.0-nightly", "1.0-alpha", "1.0-alpha1", "1.0-beta", "1.0-pre", "1.0-rc"]
    parsed = [parse_tag(tag) for tag in [*order, "1.0"]]

    keys = [version.key for version in parsed if version is not None]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(order) + 1


# --- parse_tag ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("1", VersionTag("1", "", (1,), "")),
        ("v1.2.3", VersionTag("v1.2.3", "v", (1, 2, 3), "")),
        ("2025.04.0", VersionTag("2025.04.0", "", (2025, 4, 0), "")),
        ("007", VersionTag("007", "", (7,), "")),
        ("1.2.3.4", VersionTag("1.2.3.4", "", (1, 2, 3, 4), "")),
        ("17.11-alpine", VersionTag("17.11-alpine", "", (17, 11), "-alpine")),
        ("v8.9.0-ls101", VersionTag("v8.9.0-ls101", "v", (8, 9, 0), "-ls#", (101,))),
        ("release-1.2", VersionTag("release-1.2", "release-", (1, 2), "")),
        ("1.2.", VersionTag("1.2.", "", (1, 2), ".")),
        ("1.2.x", VersionTag("1.2.x", "", (1, 2), ".x")),
        ("1.2-3", VersionTag("1.2-3", "", (1, 2), "-#", (3,))),
        ("3.18-20240101", VersionTag("3.18-20240101", "", (3, 18), "-#", (20240101,))),
    ],
)
def test_parse_tag(tag: str, expected: VersionTag) -> None:
    assert parse_tag(tag) == expected


@pytest.mark.parametrize("tag", ["", "latest", "alpine", "v", "1.2.3.4.5", "10.0.0.0.1-x", ".-_"])
def test_parse_tag_without_a_numeric_core(tag: str) -> None:
    assert parse_tag(tag) is None


def test_version_tag_line_and_sort_key() -> None:
    parsed = parse_tag("v1.2.3-alpine3.19")

    assert parsed is not None
    assert parsed.line == ("v", "-alpine#.#")
    assert parsed.key == ((1, 2, 3), (1, 0, 0), (3, 19))
    assert parsed.sort_key == (parsed.key, "v1.2.3-alpine3.19")


# --- tags that are never versions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        (f"sha256-{HEX64}", True),
        (f"sha256-{HEX64}.sig", True),
        (f"sha256-{HEX64}.att", True),
        (f"sha256-{HEX64}.sbom", True),
        (f"sha512-{HEX64}{HEX64}", True),
        (f"sha256-{HEX64[:32]}", True),
        (f"sha256-{HEX64}.txt", False),
        (f"sha256-{HEX64[:31]}", False),
        ("sha256-1.2.3", False),
        ("1.2.3", False),
        ("latest", False),
    ],
)
def test_is_artifact_tag(tag: str, expected: bool) -> None:
    assert is_artifact_tag(tag) is expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("latest", True),
        ("Latest", True),
        ("stable", True),
        ("edge", True),
        ("main", True),
        ("master", True),
        ("nightly", True),
        ("1.2.3", False),
        ("latest-alpine", False),
        ("release-1.2", False),
    ],
)
def test_is_moving_tag(tag: str, expected: bool) -> None:
    assert is_moving_tag(tag) is expected


def test_artifact_tags_are_never_candidates_even_on_the_same_line() -> None:
    newer_artifact = "sha512-" + "1" * 64  # reads as "sha" + 512 + "-#": the line of sha256-1

    assert candidate_tags("sha256-1", [newer_artifact, "sha512-2"], ALL) == ["sha512-2"]


@pytest.mark.parametrize("current", ["latest", "stable", "alpine", f"sha256-{HEX64}.sig", ""])
def test_no_discovery_from_moving_artifact_or_unversioned_tags(current: str) -> None:
    tags = ["1.0.0", "2.0.0", "latest", "alpine3.19", f"sha256-{'f' * 64}.sig"]

    assert candidate_tags(current, tags, ALL) == []
    assert newest_tag(current, tags, ALL) is None


def test_no_candidates_is_none() -> None:
    assert newest_tag("1.2.3", [], ALL) is None
    assert newest_tag("1.2.3", ["1.2.3", "1.2.2", "latest"], ALL) is None


# --- include / exclude ----------------------------------------------------------------------


def test_include_is_a_full_match() -> None:
    rules = TagRules(VersionPolicy.ALL, include=r"1\.\d+\.\d+")

    assert candidate_tags("1.0.0", ["1.0.1", "2.0.0", "11.0.0"], rules) == ["1.0.1"]


def test_exclude_is_a_full_match() -> None:
    rules = TagRules(VersionPolicy.ALL, exclude=r"1\.0")

    assert candidate_tags("0.9", ["1.0", "1.01", "2.1.0"], rules) == ["1.01"]


def test_include_then_exclude() -> None:
    rules = TagRules(VersionPolicy.ALL, include=r"1\..*", exclude=r".*\.5")

    assert candidate_tags("1.1", ["1.2", "1.5", "2.2"], rules) == ["1.2"]
    assert rules.admits("1.2")
    assert not rules.admits("1.5")
    assert not rules.admits("2.2")


def test_include_can_select_a_line_but_not_override_the_template() -> None:
    rules = TagRules(VersionPolicy.MINOR, include=r".*-alpine.*")

    assert candidate_tags("1.2-alpine", ["1.3-alpine", "1.3-alpine-perl", "1.3"], rules) == [
        "1.3-alpine"
    ]


def test_include_does_not_readmit_artifact_tags() -> None:
    rules = TagRules(VersionPolicy.ALL, include=r".*")

    assert candidate_tags("sha256-1", ["sha256-" + "1" * 64, "sha256-2"], rules) == ["sha256-2"]


@pytest.mark.parametrize("field", ["include", "exclude"])
def test_an_invalid_regex_is_a_config_error_naming_the_pattern(field: str) -> None:
    with pytest.raises(ConfigError, match=r"'1\.\(\['"):
        TagRules(VersionPolicy.ALL, **{field: "1.(["})  # type: ignore[arg-type]


def test_rules_are_frozen() -> None:
    with pytest.raises(AttributeError):
        ALL.prereleases = True  # type: ignore[misc]


# --- properties -----------------------------------------------------------------------------

_cores = st.lists(st.integers(0, 3000), min_size=1, max_size=4).map(tuple)
_prefixes = st.sampled_from(["", "v", "release-", "r"])
_suffixes = st.sampled_from(["", "-alpine", "-ls{}", "-alpine3.{}", "-{}"])


def _tag(prefix: str, core: tuple[int, ...], suffix: str, number: int) -> str:
    return prefix + ".".join(map(str, core)) + suffix.format(number)


@st.composite
def _lines(draw: st.DrawFn) -> tuple[str, str, int]:
    """A prefix, a suffix pattern and a core length shared by a list of tags."""
    return draw(_prefixes), draw(_suffixes), draw(st.integers(1, 4))


@st.composite
def _tag_lists(draw: st.DrawFn) -> tuple[str, list[tuple[tuple[int, ...], int, str]]]:
    prefix, suffix, length = draw(_lines())
    cores = st.lists(st.integers(0, 3000), min_size=length, max_size=length).map(tuple)
    items = draw(st.lists(st.tuples(cores, st.integers(0, 500)), min_size=1, max_size=12))
    return suffix, [(core, number, _tag(prefix, core, suffix, number)) for core, number in items]


@given(_tag_lists())
def test_order_is_the_integer_tuple_order(
    drawn: tuple[str, list[tuple[tuple[int, ...], int, str]]],
) -> None:
    suffix, items = drawn
    parsed = [parse_tag(tag) for _, _, tag in items]

    assert all(version is not None for version in parsed)
    by_key = sorted(
        zip(parsed, items, strict=True), key=lambda pair: pair[0].sort_key if pair[0] else ()
    )
    uses_number = "{}" in suffix
    expected = sorted(items, key=lambda item: (item[0], item[1] if uses_number else 0, item[2]))
    assert [item for _, item in by_key] == expected


@given(st.lists(st.builds(_tag, _prefixes, _cores, _suffixes, st.integers(0, 500)), max_size=3))
def test_sort_key_is_a_total_order(tags: list[str]) -> None:
    parsed = [version for version in map(parse_tag, tags) if version is not None]

    for a in parsed:
        for b in parsed:
            relations = [a.sort_key < b.sort_key, a.sort_key == b.sort_key, a.sort_key > b.sort_key]
            assert relations.count(True) == 1
            assert (a.sort_key == b.sort_key) is (a.tag == b.tag)


@given(
    current=st.builds(_tag, _prefixes, _cores, _suffixes, st.integers(0, 500)),
    tags=st.lists(st.builds(_tag, _prefixes, _cores, _suffixes, st.integers(0, 500)), max_size=15),
    policy=st.sampled_from(list(VersionPolicy)),
    same_length=st.booleans(),
)
def test_the_chosen_tag_is_never_at_or_below_the_current_one(
    current: str, tags: list[str], policy: VersionPolicy, same_length: bool
) -> None:
    rules = TagRules(policy, same_length=same_length)

    chosen = newest_tag(current, tags, rules)

    base = parse_tag(current)
    assert base is not None
    found = candidate_tags(current, tags, rules)
    assert chosen == (found[0] if found else None)
    for tag in found:
        version = parse_tag(tag)
        assert version is not None
        assert version.line == base.line
        assert version.key > base.key
    assert [parse_tag(tag) for tag in found] == sorted(
        (parse_tag(tag) for tag in found),
        key=lambda version: version.sort_key if version else (),
        reverse=True,
    )


@given(
    current=st.lists(st.integers(0, 30), min_size=3, max_size=3).map(tuple),
    cores=st.lists(st.lists(st.integers(0, 30), min_size=3, max_size=3).map(tuple), max_size=20),
    policy=st.sampled_from(list(VersionPolicy)),
)
def test_newest_tag_matches_a_brute_force_oracle(
    current: tuple[int, ...], cores: list[tuple[int, ...]], policy: VersionPolicy
) -> None:
    kept = {"patch": 2, "minor": 1, "major": 0, "all": 0}[policy.value]
    allowed = [core for core in cores if core[:kept] == current[:kept] and core > current]
    expected = ".".join(map(str, max(allowed))) if allowed else None

    tags = [".".join(map(str, core)) for core in cores]
    assert newest_tag(".".join(map(str, current)), tags, TagRules(policy)) == expected


@pytest.mark.parametrize("policy", [VersionPolicy.MAJOR, VersionPolicy.ALL])
def test_a_calendar_version_is_another_family_not_a_newer_major(policy: VersionPolicy) -> None:
    rules = TagRules(policy)
    assert newest_tag("5.1.4", ["5.1.5", "20.04.1", "2025.01.0", "6.0.0"], rules) == "6.0.0"
    assert newest_tag("5.1.4", ["20.04.1", "2025.1.0"], rules) is None


def test_calendar_versions_move_within_their_family() -> None:
    assert newest_tag("20.04.1", ["22.04.1", "20.04.2"], ALL) == "22.04.1"
    assert newest_tag("24.04", ["24.10", "25.04"], ALL) == "25.04"
    assert newest_tag("2024.10.1", ["2025.1.0", "5.0.0"], ALL) == "2025.1.0"
    assert newest_tag("0.9", ["1.01"], ALL) == "1.01"  # a leading zero alone is not a date


@pytest.mark.parametrize(
    "tag",
    [
        "0a1b2c3",
        "1a2b3c4",
        "3f786850e387550fdab836ed7e6dc881de23001b",
        "01aecc",
        "01aecc#v2.1.0",
        "stable_arm64",
        "linux-amd64",
        "latest-aarch64",
        "v1.2.3 ",
    ],
)
def test_tags_whose_numbers_are_not_a_version(tag: str) -> None:
    assert parse_tag(tag) is None


@pytest.mark.parametrize("tag", ["1.1.1w", "2.0.0b1", "v1.2.3", "1.2.3-arm64", "20240101", "jdk11"])
def test_tags_that_stay_versions(tag: str) -> None:
    assert parse_tag(tag) is not None


def test_a_commit_tag_is_never_moved_to_another_commit() -> None:
    assert newest_tag("1a2b3c4", ["5a6b7c8", "9a0b1c2"], ALL) is None
    assert newest_tag("1.0.0", ["1a2b3c4", "1.0.1", "9f8e7d6c"], ALL) == "1.0.1"


def test_two_and_four_digit_years_are_families_apart() -> None:
    assert newest_tag("20.04", ["2022.04", "22.04"], ALL) == "22.04"
    assert newest_tag("2022.04", ["24.04", "2024.04"], ALL) == "2024.04"
