"""The notification renderer: exact text per event, short digests, no secrets."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from colibri.domain.events import Blocked, Event, Failed, RolledBack, UpdateAvailable, Updated
from colibri.domain.messages import REASON_LIMIT, Message, Severity, render, scrub, short_digest

OLD = "sha256:" + "0123456789ab" + "c" * 52
NEW = "sha256:" + "fedcba987654" + "d" * 52
OLD_ID = "sha256:" + "1" * 64
NEW_ID = "sha256:" + "2" * 64
WHERE: dict[str, Any] = {"environment": "prod", "container": "web", "image": "nginx:1.25"}


def test_update_available() -> None:
    event = UpdateAvailable(**WHERE, remote_digest=NEW, current_digest=OLD)
    assert render(event) == Message(
        "Update available: web on prod",
        "A newer image is available for web on prod.\n"
        "Image: nginx:1.25\n"
        "Running: sha256:0123456789ab\n"
        "Available: sha256:fedcba987654",
        Severity.INFO,
    )


def test_update_available_with_an_unknown_running_digest() -> None:
    message = render(UpdateAvailable(**WHERE, remote_digest=NEW))
    assert "Running: unknown" in message.body.splitlines()


def test_updated() -> None:
    event = Updated(
        **WHERE,
        old_digest=OLD,
        new_digest=NEW,
        old_image_id=OLD_ID,
        new_image_id=NEW_ID,
        downtime_ms=1234,
        run_id="run-7",
    )
    assert render(event) == Message(
        "Updated: web on prod",
        "web on prod was updated and verified.\n"
        "Image: nginx:1.25\n"
        "Digest: sha256:0123456789ab -> sha256:fedcba987654\n"
        "Image ID: sha256:111111111111 -> sha256:222222222222\n"
        "Downtime: 1.2 s\n"
        "Run: run-7",
        Severity.SUCCESS,
    )


def test_short_downtimes_are_in_milliseconds_and_missing_ones_are_left_out() -> None:
    fast = render(Updated(**WHERE, downtime_ms=850)).body.splitlines()
    assert "Downtime: 850 ms" in fast
    unknown = render(Updated(**WHERE)).body
    assert "Downtime" not in unknown and "Run:" not in unknown


def test_blocked_shows_the_gate_summary_without_repeating_blocked() -> None:
    event = Blocked(
        **WHERE,
        summary="blocked: 2 critical, 1 high (CVE-2024-1, CVE-2024-2, CVE-2024-3)",
        digest=NEW,
        run_id="run-8",
    )
    assert render(event) == Message(
        "Update blocked: web on prod",
        "The update of web on prod was blocked; the container was not changed.\n"
        "Image: nginx:1.25\n"
        "Candidate: sha256:fedcba987654\n"
        "Reason: 2 critical, 1 high (CVE-2024-1, CVE-2024-2, CVE-2024-3)\n"
        "Run: run-8",
        Severity.WARNING,
    )


def test_rolled_back() -> None:
    event = RolledBack(**WHERE, reason="not healthy after 30 s", digest=NEW, run_id="r")
    assert render(event) == Message(
        "Rolled back: web on prod",
        "The update of web on prod failed and was rolled back; the previous container runs "
        "again.\n"
        "Image: nginx:1.25\n"
        "Candidate: sha256:fedcba987654\n"
        "Reason: not healthy after 30 s\n"
        "Run: r",
        Severity.WARNING,
    )


def test_failed() -> None:
    event = Failed(**WHERE, reason="pull failed:\n  manifest unknown", run_id="r")
    assert render(event) == Message(
        "Update failed: web on prod",
        "The update of web on prod failed.\n"
        "Image: nginx:1.25\n"
        "Reason: pull failed: manifest unknown\n"
        "Run: r",
        Severity.FAILURE,
    )


def test_an_empty_reason_says_so() -> None:
    assert "Reason: not given" in render(Failed(**WHERE, reason=" ")).body.splitlines()


def test_without_an_environment_the_container_stands_alone() -> None:
    event = Failed(environment="", container="web", image="nginx", reason="x")
    message = render(event)
    assert message.title == "Update failed: web"
    assert message.body.startswith("The update of web failed.")


def test_the_same_event_renders_the_same_text() -> None:
    event = Blocked(**WHERE, summary="blocked: 1 critical (CVE-1)", digest=NEW)
    assert render(event) == render(
        Blocked(**WHERE, summary="blocked: 1 critical (CVE-1)", digest=NEW)
    )


def test_short_digest() -> None:
    assert short_digest(OLD) == "sha256:0123456789ab"
    assert short_digest(None) == "unknown"
    assert short_digest("") == "unknown"
    assert short_digest("0123456789abcdef") == "0123456789ab"


def test_scrub_masks_credentials_in_urls_tokens_and_pairs() -> None:
    text = (
        "GET https://bob:hunter2@registry.example/v2/ failed; "
        "Authorization: Bearer eyJhbGciOi.J9x-y_z; password=hunter3 token: abc123def; "
        "api_key=K3Y&x=1 secret=s3"
    )
    cleaned = scrub(text)
    for secret in ("bob", "hunter2", "eyJhbGciOi", "hunter3", "abc123def", "K3Y", "s3"):
        assert secret not in cleaned, secret
    assert "https://***@registry.example/v2/" in cleaned
    assert "password=***" in cleaned and "token: ***" in cleaned and "secret=***" in cleaned


def test_scrub_keeps_ordinary_words_that_look_like_keywords() -> None:
    text = "token request failed with basic auth; the password prompt timed out"
    assert scrub(text) == text


def test_scrub_shortens_digests_in_free_text() -> None:
    assert scrub(f"image {OLD} is gone") == "image sha256:0123456789ab is gone"


def test_scrub_cuts_long_text_and_collapses_whitespace() -> None:
    cleaned = scrub("word\t\n " * 200)
    assert len(cleaned) == REASON_LIMIT
    assert cleaned.endswith("…")
    assert "\n" not in cleaned and "  " not in cleaned


def events(reason: str) -> list[Event]:
    return [
        UpdateAvailable(**WHERE, remote_digest=NEW, current_digest=OLD),
        Updated(**WHERE, old_digest=OLD, new_digest=NEW, old_image_id=OLD_ID, run_id="r"),
        Blocked(**WHERE, summary=reason, digest=NEW),
        RolledBack(**WHERE, reason=reason, digest=NEW),
        Failed(**WHERE, reason=reason),
    ]


@given(
    password=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=6, max_size=20),
    noise=st.text(st.characters(exclude_characters="0123456789abcdefABCDEF"), max_size=400),
)
def test_no_message_carries_a_url_password_a_long_digest_or_two_line_title(
    password: str, noise: str
) -> None:
    reason = f"{noise} https://user:{password}@host/x {noise} sha256:{'e' * 64}"
    for event in events(reason):
        message = render(event)
        assert f":{password}@" not in message.body
        assert not re.search(r"[0-9a-f]{13,}", message.title + message.body)
        assert "\n" not in message.title
        assert all(len(line) <= REASON_LIMIT + 20 for line in message.body.splitlines())


def test_a_newer_version_tag_is_named_with_the_one_it_replaces() -> None:
    event = UpdateAvailable(
        environment="prod",
        container="web",
        image="registry.lan:5000/team/nginx:1.27.3-alpine",
        remote_digest="sha256:" + "f" * 64,
        new_tag="1.28.0-alpine",
    )
    assert "Version: 1.27.3-alpine -> 1.28.0-alpine" in render(event).body.splitlines()


def test_update_available_says_what_changes() -> None:
    link = "https://github.com/acme/web/compare/aaa...bbb"
    changes = f"1.27.0 -> 1.28.0 (minor, built 3d ago) {link}"
    message = render(UpdateAvailable(**WHERE, remote_digest=NEW, changes=changes))
    assert message.body.splitlines()[-1] == f"Changes: {changes}"
