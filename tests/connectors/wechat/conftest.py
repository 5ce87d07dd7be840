"""WeChat channel fixtures: the fake WeChat API, settings pointing at it, and apps built on them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from bot.config import Settings, get_settings
from bot.models import Reply, Turn
from connectors.app import create_app
from connectors.runtime import Runtime
from connectors.wechat.service import WeChatChannel, build_api
from tests.connectors.wechat.sim import AES_KEY, TOKEN, WeChatSim
from tests.fakes.wechat_api import APPID, SECRET, FakeWeChatApi, wechat_api  # noqa: F401  (fixture)


class StandInDialog:
    """Records turns and answers "收到：<text>" after an optional delay; for protocol-level tests."""

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self.delay = 0.0
        self.gate: threading.Event | None = None  # when given, each turn waits until the test opens it
        self.answer: Callable[[Turn], str] = lambda turn: f"收到：{turn.text}"
        self._lock = threading.Lock()

    def handle(self, turn: Turn) -> Reply:
        """One turn."""
        with self._lock:
            self.turns.append(turn)
        if self.delay:
            time.sleep(self.delay)
        if self.gate is not None:
            assert self.gate.wait(60), "the test never opened the gate"
        return Reply(reply=self.answer(turn))


@dataclass
class Harness:
    """An app on the WeChat route, the WeChat simulator aimed at it, and the parts tests inspect."""

    client: TestClient
    sim: WeChatSim
    channel: WeChatChannel
    dialog: StandInDialog
    runtime: Runtime
    api: FakeWeChatApi


@pytest.fixture
def wechat_env(monkeypatch: pytest.MonkeyPatch, wechat_api: FakeWeChatApi) -> Settings:  # noqa: F811
    """Settings for an official account in safe mode, with its API at the fake server."""
    monkeypatch.setenv("HOTLINE_WECHAT_TOKEN", TOKEN)
    monkeypatch.setenv("HOTLINE_WECHAT_APPID", APPID)
    monkeypatch.setenv("HOTLINE_WECHAT_SECRET", SECRET)
    monkeypatch.setenv("HOTLINE_WECHAT_AES_KEY", AES_KEY)
    monkeypatch.setenv("HOTLINE_WECHAT_API_BASE", wechat_api.base_url)
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def make_harness(wechat_env: Settings, wechat_api: FakeWeChatApi) -> Iterator[Callable[..., Harness]]:  # noqa: F811
    """Build harnesses (one per call, same database) with a stand-in dialogue; closed after the test."""
    opened: list[tuple[TestClient, WeChatChannel]] = []

    def make(*, budget: float | None = None, mode: str = "safe", dialog: StandInDialog | None = None,
             with_api: bool = True, **overrides: object) -> Harness:
        settings = wechat_env.model_copy(update={"wechat_reply_budget_s": budget or wechat_env.wechat_reply_budget_s,
                                                  **overrides})
        runtime = Runtime(settings)
        dialog = dialog or StandInDialog()
        channel = WeChatChannel(settings=settings, db_url=runtime.db_url, handle_turn=dialog.handle,
                                api=build_api(settings, runtime.db_url) if with_api else None)
        runtime.wechat = channel  # the cached property's seam
        client = TestClient(create_app(runtime))
        client.__enter__()
        opened.append((client, channel))
        sim = WeChatSim(client, appid=settings.wechat_appid or APPID, mode=mode)  # type: ignore[arg-type]
        return Harness(client=client, sim=sim, channel=channel, dialog=dialog, runtime=runtime, api=wechat_api)

    yield make
    for client, channel in opened:
        client.__exit__(None, None, None)
        channel.close()


@pytest.fixture
def harness(make_harness: Callable[..., Harness]) -> Harness:
    """One safe-mode harness with the default budget."""
    return make_harness()
