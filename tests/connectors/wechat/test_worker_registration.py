"""A worker built before any WeChat message arrives still sends WeChat notices through WeChat."""

from __future__ import annotations

import pytest

from bot.config import get_settings
from connectors.runtime import Runtime


def test_worker_registers_the_wechat_notifier_when_an_account_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = Runtime()
    _ = plain.worker
    assert "wechat" not in plain.notifier.channels()
    monkeypatch.setenv("HOTLINE_WECHAT_TOKEN", "token")
    monkeypatch.setenv("HOTLINE_WECHAT_APPID", "wx0123456789abcdef")
    monkeypatch.setenv("HOTLINE_WECHAT_SECRET", "secret-value")
    get_settings.cache_clear()
    runtime = Runtime()
    _ = runtime.worker
    assert "wechat" in runtime.notifier.channels()
