"""``colibri schedule|env|notify|bad-digest`` as a user runs them: subprocesses on a real
SQLite database, every change in the audit trail."""

from __future__ import annotations

from colibri.store import make_store
from tests.support.notify_sink import NotifySink
from tests.support.scenario import ColibriCli


def test_a_schedule_is_set_changed_listed_and_removed(colibri: ColibriCli) -> None:
    made = colibri.run("schedule", "set", "web", "--schedule", "*/5 * * * *", "--criteria", "never")
    assert made.returncode == 0, made.stderr
    assert "local/web: */5 * * * * (UTC), next " in made.stdout
    changed = colibri.run("schedule", "set", "web", "--timezone", "Europe/Paris")
    assert "*/5 * * * * (Europe/Paris)" in changed.stdout
    [listed] = colibri.json("schedule", "list")
    assert (listed["container_name"], listed["vulnerability_criteria"]) == ("web", "never")
    wrong = colibri.run("schedule", "set", "db", "--schedule", "61 * * * *")
    assert wrong.returncode == 2 and "--schedule: minute field '61'" in wrong.stderr
    assert colibri.run("schedule", "rm", "web").returncode == 0
    gone = colibri.run("schedule", "rm", "web")
    assert gone.returncode == 1 and "has no auto-update setting" in gone.stderr
    with make_store(f"sqlite:///{colibri.data_dir / 'colibri.db'}") as store:
        trail = store.audit.list_entries()
    assert [(e.action, e.actor) for e in trail] == [
        ("delete", "cli"),
        ("update", "cli"),
        ("create", "cli"),
    ]


def test_environments_and_targets_from_the_command_line(
    colibri: ColibriCli, notify_sink: NotifySink
) -> None:
    colibri.env["COLIBRI_NOTIFY_ALLOW_PRIVATE"] = "true"  # the sink is on loopback
    assert (
        colibri.run(
            "env", "add", "edge", "tcp://edge.lan:2376", "--insecure", "-l", "site=paris"
        ).returncode
        == 0
    )
    names = [env["name"] for env in colibri.json("env", "list")]
    assert names == ["edge", "local"]
    url = notify_sink.url("/hook", user="ops", password="s3cret")
    added = colibri.run("notify", "add", "ops", url, "--event", "updated")
    assert added.returncode == 0, added.stderr
    assert "s3cret" not in added.stdout
    [target] = colibri.json("notify", "list")
    assert (target["name"], target["events"]) == ("ops", "updated")
    assert "s3cret" not in target["url"]
    tested = colibri.run("notify", "test", "ops")
    assert tested.returncode == 0, tested.stderr
    assert len(notify_sink.delivered) == 1
    assert colibri.run("notify", "rm", "ops").returncode == 0
    assert colibri.json("notify", "list") == []
    assert colibri.run("env", "rm", "edge").returncode == 0
    assert (
        colibri.run("bad-digest", "clear", "web").stdout.strip() == "local/web: 0 record(s) cleared"
    )
