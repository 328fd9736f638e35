"""Which failed updates mark their image as bad, and what a later run says of it."""

from __future__ import annotations

from datetime import UTC, datetime

from colibri.domain.bad_digests import BadDigest, is_bad_attempt, skip_reason
from colibri.domain.journal import RunStatus, Step

DIGEST = "sha256:" + "c" * 64


def test_a_rollback_always_marks_its_candidate() -> None:
    assert is_bad_attempt(RunStatus.ROLLED_BACK, [], DIGEST)
    assert not is_bad_attempt(RunStatus.ROLLED_BACK, [], None)


def test_a_failure_marks_it_only_once_the_new_container_started() -> None:
    assert not is_bad_attempt(RunStatus.FAILED, [Step.RESOLVE, Step.PULL, Step.CREATE], DIGEST)
    assert is_bad_attempt(RunStatus.FAILED, [Step.CREATE, Step.START], DIGEST)


def test_other_outcomes_mark_nothing() -> None:
    for status in (RunStatus.BLOCKED, RunStatus.SKIPPED, RunStatus.UPDATED):
        assert not is_bad_attempt(status, [Step.START, Step.VERIFY], DIGEST)


def test_the_skip_says_which_run_failed_and_how_to_try_again() -> None:
    bad = BadDigest(1, "web", DIGEST, RunStatus.ROLLED_BACK, "unhealthy", "r1", datetime.now(UTC))
    reason = skip_reason(bad)
    assert DIGEST in reason and "rolled back in run r1 (unhealthy)" in reason
    assert "newer image" in reason and "cleared" in reason
