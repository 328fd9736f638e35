"""Lifecycle hooks: labels (own and watchtower's) and what exit codes decide."""

from __future__ import annotations

from datetime import timedelta

import pytest

from colibri.domain.hooks import (
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    HookAction,
    HookPhase,
    HookResult,
    hook_action,
    hooks_of,
)
from colibri.errors import ConfigError

WT = "com.centurylinklabs.watchtower.lifecycle."


def test_own_labels_with_timeouts() -> None:
    hooks = hooks_of(
        {
            "colibri.hook.pre-update": "pg_dump -f /backup/db.sql",
            "colibri.hook.pre-update.timeout": "5m",
            "colibri.hook.post-update": "/check.sh",
        }
    )
    assert set(hooks) == {HookPhase.PRE_UPDATE, HookPhase.POST_UPDATE}
    assert hooks[HookPhase.PRE_UPDATE].timeout == timedelta(minutes=5)
    assert hooks[HookPhase.PRE_UPDATE].argv == ("sh", "-c", "pg_dump -f /backup/db.sql")
    assert hooks[HookPhase.POST_UPDATE].timeout == DEFAULT_TIMEOUT


def test_watchtower_labels_and_minute_timeouts() -> None:
    hooks = hooks_of(
        {
            f"{WT}pre-check": "/pre-check.sh",
            f"{WT}pre-update": "/pre.sh",
            f"{WT}pre-update-timeout": "2",
            f"{WT}post-update": "/post.sh",
            f"{WT}post-update-timeout": "0",
            f"{WT}post-check": "/post-check.sh",
        }
    )
    assert set(hooks) == set(HookPhase)
    assert hooks[HookPhase.PRE_UPDATE].timeout == timedelta(minutes=2)
    assert hooks[HookPhase.POST_UPDATE].timeout == MAX_TIMEOUT  # watchtower's "no limit"
    assert hooks[HookPhase.PRE_CHECK].label == f"{WT}pre-check"


def test_own_label_wins_over_watchtower() -> None:
    hooks = hooks_of({f"{WT}pre-update": "/wt.sh", "colibri.hook.pre-update": "/own.sh"})
    assert hooks[HookPhase.PRE_UPDATE].command == "/own.sh"


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"colibri.hook.pre-update": "  "}, "colibri.hook.pre-update: the command is empty"),
        (
            {"colibri.hook.pre-update": "x", "colibri.hook.pre-update.timeout": "soon"},
            "label colibri.hook.pre-update.timeout: 'soon' is not a duration",
        ),
        ({f"{WT}pre-update": "x", f"{WT}pre-update-timeout": "1.5"}, "expected whole minutes"),
    ],
)
def test_unreadable_hook_labels_are_errors_naming_the_label(
    labels: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        hooks_of(labels)


def test_success_continues_everywhere() -> None:
    for phase in HookPhase:
        assert hook_action(phase, HookResult(0, "ok")) == (HookAction.CONTINUE, "")


@pytest.mark.parametrize("phase", [HookPhase.PRE_CHECK, HookPhase.PRE_UPDATE])
def test_exit_75_before_the_update_skips_it(phase: HookPhase) -> None:
    action, reason = hook_action(phase, HookResult(75))
    assert action is HookAction.SKIP
    assert "exited with 75" in reason


@pytest.mark.parametrize("phase", [HookPhase.PRE_CHECK, HookPhase.PRE_UPDATE])
def test_failure_or_timeout_before_the_update_aborts_it(phase: HookPhase) -> None:
    assert hook_action(phase, HookResult(1))[0] is HookAction.ABORT
    action, reason = hook_action(phase, HookResult(None, timed_out=True))
    assert action is HookAction.ABORT
    assert reason == f"{phase.value} hook did not finish in time"


def test_post_update_failure_including_75_rolls_back() -> None:
    for result in (HookResult(1), HookResult(75), HookResult(None, timed_out=True)):
        assert hook_action(HookPhase.POST_UPDATE, result)[0] is HookAction.ROLLBACK


def test_post_check_failure_is_only_recorded() -> None:
    assert hook_action(HookPhase.POST_CHECK, HookResult(2)) == (
        HookAction.CONTINUE,
        "post-check hook exited with 2",
    )


def test_output_tail_is_bounded() -> None:
    assert len(HookResult(0, "x" * 10_000).tail()) == 4000
