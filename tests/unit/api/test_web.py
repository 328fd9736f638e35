"""The built web UI at /, with a history fallback that never answers the API's paths, and
/docs from local files only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from colibri.api import create_app
from colibri.config import Settings
from tests.support.api import ApiClient
from tests.unit.api.conftest import ADMIN
from tests.unit.api.fakes import Fakes

INDEX = '<!doctype html><script type="module" src="/assets/index-1.js"></script>'


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    built = tmp_path / "web_dist"
    (built / "assets").mkdir(parents=True)
    (built / "docs").mkdir()
    (built / "index.html").write_text(INDEX)
    (built / "favicon.svg").write_text("<svg/>")
    (built / "assets" / "index-1.js").write_text("console.log(1)")
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-init.js"):
        (built / "docs" / name).write_text("/* swagger */")
    return built


@pytest.fixture
def web(
    fakes: Fakes, api_settings: Settings, dist: Path, make_api_client: Callable[..., ApiClient]
) -> ApiClient:
    app: FastAPI = create_app(fakes.services(), api_settings, web_dist=dist)
    return make_api_client(app, ADMIN)


@pytest.mark.parametrize("path", ["/", "/containers", "/containers/1/web?updates=1", "/runs/abc"])
def test_the_ui_answers_its_pages_with_index_html(web: ApiClient, path: str) -> None:
    answer = web.get(path, headers={"Authorization": ""})
    assert answer.status_code == 200
    assert answer.text == INDEX
    assert answer.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    ["/api/nothing", "/api", "/metrics/x", "/healthz/x", "/docs/nothing.js", "/openapi.json/x"],
)
def test_reserved_paths_never_get_the_page(web: ApiClient, path: str) -> None:
    answer = web.get(path)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not Found"}


def test_the_api_and_metrics_keep_their_answers(web: ApiClient) -> None:
    assert web.get("/api/containers").headers["content-type"] == "application/json"
    assert web.get("/metrics").headers["content-type"].startswith("text/plain")
    assert web.get("/healthz").json()["status"] == "ok"


def test_assets_are_cached_for_good_and_paths_stay_inside(web: ApiClient) -> None:
    asset = web.get("/assets/index-1.js")
    assert asset.status_code == 200 and asset.text == "console.log(1)"
    assert "immutable" in asset.headers["cache-control"]
    assert web.get("/assets/missing.js").status_code == 404
    for escape in ("/assets/..%2f..%2fconftest.py", "/..%2f..%2fetc%2fpasswd", "/%2e%2e/x"):
        assert web.get(escape).text in (INDEX, '{"detail":"Not Found"}')
    assert web.get("/favicon.svg").text == "<svg/>"


def test_docs_load_nothing_from_elsewhere_and_no_inline_script(web: ApiClient) -> None:
    page = web.get("/docs", headers={"Authorization": ""})
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text
    assert '<script src="/docs/swagger-ui-bundle.js"></script>' in page.text
    assert "<script>" not in page.text
    assert web.get("/docs/swagger-ui.css").status_code == 200
    assert web.get("/openapi.json").json()["info"]["title"] == "Colibri"


def test_without_a_build_the_ui_says_how_to_build_it(
    fakes: Fakes, api_settings: Settings, tmp_path: Path, make_api_client: Callable[..., ApiClient]
) -> None:
    app = create_app(fakes.services(), api_settings, web_dist=tmp_path / "none")
    client = make_api_client(app, ADMIN)
    for path in ("/", "/docs"):
        answer = client.get(path)
        assert answer.status_code == 503
        assert "make web" in answer.text
    assert client.get("/api/containers").status_code == 200
