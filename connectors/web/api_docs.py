"""Swagger UI for /docs from the installed `swagger-ui-py` package's files, so the docs work offline
(FastAPI's default page loads Swagger UI from a CDN, which an intranet install cannot reach).

`swagger-ui-bundle` ships Swagger UI 4, which cannot render OpenAPI 3.1 (what FastAPI writes); the
`swagger-ui-py` wheel carries Swagger UI 5. Its package is located without importing it (its
`__init__` registers web-framework handlers we do not need).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs/assets"


def swagger_static_dir() -> Path:
    """The folder of Swagger UI's built files inside the installed package."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed; `pip install -e .` installs it")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def install(app: FastAPI) -> None:
    """Serve /docs and its assets from this server (create the app with docs_url=None)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_static_dir()), name="swagger-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} · API",
                                   swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png")
