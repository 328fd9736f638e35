"""The web UI and the API's documentation pages, served from the built files in the package.

``web/`` builds into ``colibri/web_dist`` (``index.html``, hashed files under ``assets/``,
Swagger UI's files under ``docs/``), which ships inside the wheel: serving needs no Node.

- ``/assets/…`` are the UI's hashed files, cached for a year (their names change with them);
- ``/docs`` is Swagger UI on ``/openapi.json``, from local files only (nothing from the
  internet, no inline script);
- any other ``GET`` of a path outside ``/api``, ``/metrics``, ``/healthz``, ``/docs`` and
  ``/openapi.json`` answers ``index.html`` (the history fallback: the UI's router reads the
  path), never cached so a new version is picked up at once. Those prefixes keep their own
  answers, a 404 included: an API client never gets a page.

Without a build (a source checkout where ``make`` has not run) the UI's paths answer 503
saying how to build it; the API works the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

__all__ = ["RESERVED_PREFIXES", "default_dist", "install_web"]

RESERVED_PREFIXES: Final = ("/api", "/metrics", "/healthz", "/docs", "/openapi.json")
_IMMUTABLE = "public, max-age=31536000, immutable"
_NOT_BUILT = (
    "The web UI is not built in this copy of Colibri: run `make web` (Node 20 or newer), "
    "or install a wheel, which contains it."
)
_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Colibri API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" href="/favicon.svg">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-init.js"></script>
</body>
</html>
"""


def default_dist() -> Path:
    """Where the built UI lives inside the package."""
    return Path(__file__).resolve().parent.parent / "web_dist"


def install_web(app: FastAPI, dist: Path) -> None:
    """Serve the UI built in ``dist`` and ``/docs`` on ``app`` (after the API's routes)."""

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        if not (dist / "docs" / "swagger-ui-bundle.js").is_file():
            return Response(_NOT_BUILT, status_code=503, media_type="text/plain")
        return HTMLResponse(_DOCS_PAGE, headers={"Cache-Control": "no-cache"})

    @app.get("/docs/{name}", include_in_schema=False)
    def docs_file(name: str) -> FileResponse:
        return _file(dist / "docs", name, "no-cache")

    @app.get("/assets/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        return _file(dist / "assets", name, _IMMUTABLE)

    @app.get("/{path:path}", include_in_schema=False)
    def page(path: str, request: Request) -> Response:
        if _reserved(request.url.path):
            raise HTTPException(404, detail="Not Found")
        top = dist / path
        if path and "/" not in path and top.is_file() and top.name != "index.html":
            return FileResponse(top, headers={"Cache-Control": "no-cache"})
        index = dist / "index.html"
        if not index.is_file():
            return Response(_NOT_BUILT, status_code=503, media_type="text/plain")
        return FileResponse(index, headers={"Cache-Control": "no-cache"})


def _reserved(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in RESERVED_PREFIXES)


def _file(folder: Path, name: str, cache: str) -> FileResponse:
    """``folder/name`` when it is a plain file name there (never a path out of it)."""
    if "/" in name or "\\" in name or name.startswith(".") or not (folder / name).is_file():
        raise HTTPException(404, detail="Not Found")
    return FileResponse(folder / name, headers={"Cache-Control": cache})
