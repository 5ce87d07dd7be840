"""Fixtures: fast worker settings, real receivers on 127.0.0.1, and a runtime wired to them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from bot.config import get_settings
from bot.store.db import session_scope
from connectors.runtime import Runtime
from tests.fakes.open311_server import Open311Server
from tests.fakes.webhook_receiver import WebhookReceiver

SECRET = "test-webhook-secret-1234567890"
FAST = {
    "HOTLINE_DISPATCH_BACKOFF_BASE": "0.05",
    "HOTLINE_DISPATCH_BACKOFF_MAX": "0.2",
    "HOTLINE_DISPATCH_TIMEOUT": "0.5",
    "HOTLINE_DISPATCH_LEASE": "3",
    "HOTLINE_WORKER_POLL": "0.05",
    "HOTLINE_DISPATCH_MAX_ATTEMPTS": "40",
    "HOTLINE_WORKER": "off",
}


@pytest.fixture
def fast_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff in tens of milliseconds, so failure scenarios finish in seconds."""
    for key, value in FAST.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


@pytest.fixture
def receiver(fast_env, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:  # noqa: ANN001
    """A signed-webhook receiver, with the product configured to deliver to it."""
    fake = WebhookReceiver(secret=SECRET).start()
    monkeypatch.setenv("HOTLINE_DISPATCH_BACKEND", "webhook")
    monkeypatch.setenv("HOTLINE_WEBHOOK_URL", f"{fake.url}/hook")
    monkeypatch.setenv("HOTLINE_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    yield fake
    fake.stop()


@pytest.fixture
def open311(fast_env, monkeypatch: pytest.MonkeyPatch) -> Iterator[Open311Server]:  # noqa: ANN001
    """An Open311 endpoint, with the product configured to deliver to it."""
    fake = Open311Server(api_key="k-311").start()
    monkeypatch.setenv("HOTLINE_DISPATCH_BACKEND", "open311")
    monkeypatch.setenv("HOTLINE_OPEN311_BASE_URL", f"{fake.url}/open311/v2")
    monkeypatch.setenv("HOTLINE_OPEN311_API_KEY", "k-311")
    monkeypatch.setenv("HOTLINE_OPEN311_JURISDICTION", "beijing.example")
    get_settings.cache_clear()
    yield fake
    fake.stop()


@pytest.fixture
def runtime() -> Runtime:
    """The product on the test's settings (build it after the receiver fixture)."""
    return Runtime()


def drain(runtime: Runtime, done: Callable[[], bool], *, timeout_s: float = 20.0) -> None:
    """Run worker passes until `done()` holds."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("outbox did not drain in time")
        if runtime.worker.run_once() == 0:
            time.sleep(0.02)


def outbox_states(url: str, topic: str = "dispatch") -> dict[str, int]:
    """Counts of outbox rows of a topic by state."""
    from bot.dispatch.outbox import stats

    with session_scope(url) as db:
        return {k.split(".", 1)[1]: v for k, v in stats(db).items() if k.startswith(topic + ".")}
