"""/docs renders the operations in a real browser with every outside host unreachable (Swagger UI comes
from the installed package, not a CDN)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.connectors.web.test_authorization import live  # noqa: F401 - fixture used by name
from tests.connectors.web.test_pages import CHROMIUM, browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (browsers are never downloaded)"),
]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def offline_page(browser, live) -> Iterator:  # noqa: ANN001, F811
    """A page on the live server whose every request to another host is refused and recorded."""
    base = live[0]
    context = browser.new_context(base_url=base)
    outside: list[str] = []

    def only_loopback(route) -> None:  # noqa: ANN001
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not outside, f"/docs reached outside hosts: {outside}"
    assert not errors, errors


def test_docs_render_the_operations_offline(offline_page) -> None:  # noqa: ANN001
    page = offline_page
    response = page.goto("/docs")
    assert response is not None and response.status == 200
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("12345", timeout=30_000)
    expect(page.locator(".opblock-summary-path[data-path='/api/chat']").first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    expect(page.locator(".opblock-summary-path[data-path='/api/admin/unanswered']").first).to_be_attached()
