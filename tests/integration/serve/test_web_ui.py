"""The web UI in a real browser (Debian's chromium driven by Playwright) against a real
``colibri serve`` on the real daemon and registry: sign in, see a container with an update,
give it a custom cron (its description appears as it is typed), save, update it from the UI
and watch the steps arrive, reload mid-run, sign out; at desktop and phone sizes, in light
and dark, with no console error. Every page is photographed into ``build/screenshots``."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import docker
import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from colibri.domain.sessions import COOKIE_NAME
from tests.integration.serve.conftest import ServeProcess, Server
from tests.support.docker_env import DockerTracker
from tests.support.scenario import Publisher

pytestmark = [pytest.mark.docker, pytest.mark.registry, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
HEADLESS_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"
DESKTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=HEADLESS_FLAGS
        )
        yield launched
        launched.close()


class Watched:
    """A browser context whose console errors and page errors are kept."""

    def __init__(self, browser: Browser, **options: object) -> None:
        self.context: BrowserContext = browser.new_context(**options)  # type: ignore[arg-type]
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location})")

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


def _sign_in(watched: Watched, serving: ServeProcess, token: str, shot: str | None) -> None:
    page = watched.page
    page.goto(serving.url + "/containers")
    expect(page).to_have_url(re.compile(r"/signin\?next="))
    expect(page.get_by_role("heading", name="Sign in to Colibri")).to_be_visible()
    if shot:
        watched.shot(shot)
    page.locator("#token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/containers$"))


def test_sign_in_schedule_update_and_watch_it_in_the_browser(
    server: Server,
    publisher: Publisher,
    session_prefix: str,
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
    browser: Browser,
) -> None:
    v1, v2 = publisher.upstream_moved(f"{session_prefix}/ui-{secrets.token_hex(3)}")
    old = docker_tracker.run(v1.ref, "ui")
    serving = server.start(COLIBRI_STABILITY_WINDOW="4")
    token = serving.token
    assert token is not None
    api = httpx.Client(
        base_url=serving.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    sink = api.post(
        "/api/notifications", json={"name": "team", "url": "json://127.0.0.1:9/hook?token=s3cret"}
    )
    assert sink.status_code == 201, sink.text

    desk = Watched(browser, viewport=DESKTOP, color_scheme="light")
    page = desk.page
    _sign_in(desk, serving, token, "signin")

    # See the container with its update (after "Check now").
    page.get_by_role("button", name="Check now").click()
    expect(page.get_by_text(re.compile(r"Checked \d+ containers"))).to_be_visible(timeout=60_000)
    page.get_by_label("Search name or image").fill(old.name)
    expect(page).to_have_url(re.compile(rf"q={old.name}"))
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=old.name))
    expect(row.get_by_text("update available")).to_be_visible()
    desk.shot("containers")

    # A custom cron, described as it is typed; its next runs; save.
    row.get_by_role("link", name=old.name).click()
    expect(page.get_by_role("heading", name=old.name)).to_be_visible()
    page.locator("#au-schedule").click()
    page.get_by_role("option", name="Custom").click()
    cron = page.get_by_label("Cron Expression")
    cron.fill("30 2 * * 1")
    expect(page.locator("[data-test=cron-description]")).to_have_text("At 02:30, only on Monday")
    cron.fill("30 2 * *")
    expect(page.locator("[data-test=cron-description]")).to_have_text("Invalid cron expression")
    expect(page.get_by_role("button", name="Save")).to_be_disabled()
    cron.fill("30 2 * * 1")
    expect(page.locator("[data-test=next-runs] li")).to_have_count(5)
    page.locator(".p-toast-close-button").first.click()  # the check's toast
    desk.shot("container")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved", exact=True)).to_be_visible()
    [setting] = api.get("/api/auto-updates").json()
    assert (setting["container_name"], setting["cron_expression"]) == (old.name, "30 2 * * 1")

    # Update now: the run page shows its steps as they come, through a reload.
    page.get_by_role("button", name="Update now").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    run_id = page.url.rsplit("/", 1)[1]
    steps = page.locator("[data-test=steps] li")
    expect(steps.first).to_be_visible(timeout=30_000)
    assert api.get(f"/api/runs/{run_id}").json()["status"] == "running", "reload must be mid-run"
    seen_before_reload = steps.count()
    page.reload()
    expect(steps.nth(seen_before_reload - 1)).to_be_visible(timeout=30_000)  # none lost
    expect(page.locator("[data-test=steps] li[data-step=verify]")).to_be_visible(timeout=60_000)
    expect(page.locator("[data-test=run-status]")).to_have_text("updated", timeout=90_000)
    names = page.locator("[data-test=steps] li strong").all_inner_texts()
    assert names[:2] == ["resolve", "pull"] and "start" in names and "commit" in names
    assert len(names) == len(set(names)), f"a step shown twice: {names}"
    expect(page.locator("[data-test=downtime]")).to_have_text(re.compile(r"\d+(\.\d)? (ms|s)"))
    desk.shot("run")
    current = docker_client.containers.get(old.name)
    assert current.exec_run(["cat", "/colibri-marker"]).output.decode().strip() == v2.marker

    # The other pages.
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="History").click()
    expect(page.get_by_role("cell", name=old.name).first).to_be_visible()
    desk.shot("history")
    nav.get_by_role("link", name="Environments").click()
    expect(page.get_by_role("cell", name="local", exact=True)).to_be_visible()
    desk.shot("environments")
    nav.get_by_role("link", name="Notifications").click()
    redacted = page.locator("[data-test=redacted-url]")
    expect(redacted).to_be_visible()
    assert "s3cret" not in redacted.inner_text()
    desk.shot("notifications")
    nav.get_by_role("link", name="Tokens").click()
    page.get_by_role("button", name="Create token").click()
    page.get_by_label("Name").fill("dashboard")
    page.get_by_role("button", name="Create", exact=True).click()
    secret = page.locator("[data-test=token-secret]")
    expect(secret).to_have_text(re.compile(r"^colibri_"))
    expect(page.get_by_role("dialog", name="Create an API token")).to_have_count(0)
    desk.shot("token-created")
    reader = secret.inner_text().strip()
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("cell", name="dashboard", exact=True)).to_be_visible()
    desk.shot("tokens")
    page.goto(serving.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Colibri", timeout=30_000)
    desk.shot("docs")

    # Sign out: the session ends on the server, not only in this browser.
    page.goto(serving.url + "/containers")
    [cookie] = [c for c in desk.context.cookies() if c["name"] == COOKIE_NAME]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin"))
    replay = httpx.get(serving.url + "/api/containers", cookies={COOKIE_NAME: cookie["value"]})
    assert replay.status_code == 401
    assert desk.errors == []
    desk.close()

    # A read-only token sees no button it cannot use; a phone gets cards; dark mode.
    phone = Watched(browser, viewport=PHONE, color_scheme="dark", is_mobile=True, has_touch=True)
    _sign_in(phone, serving, reader, "phone-signin")
    cards = phone.page.locator("[data-test=cards] article")
    expect(cards.first).to_be_visible()
    expect(phone.page.get_by_role("button", name="Check now")).to_have_count(0)
    expect(phone.page.get_by_role("link", name="Tokens")).to_have_count(0)
    phone.page.get_by_label("Search name or image").fill(old.name)
    expect(cards).to_have_count(1)
    phone.shot("phone-containers")
    cards.first.get_by_role("link", name=old.name).click()
    expect(phone.page.get_by_role("button", name="Update now")).to_have_count(0)
    expect(phone.page.locator("[data-test=runs]").get_by_text("updated")).to_be_visible()
    phone.shot("phone-container")
    phone.page.goto(f"{serving.url}/runs/{run_id}")
    expect(phone.page.locator("[data-test=run-status]")).to_have_text("updated")
    phone.shot("phone-run")
    assert phone.errors == []
    phone.close()
    assert serving.terminate() == 0
