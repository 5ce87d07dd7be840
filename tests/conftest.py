"""Shared fixtures: every test's state under tmp_path, and no real outside host reachable."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from bot.config import get_settings

pytest_plugins = ["tests.fakes.openai_server"]

_real_connect = socket.socket.connect


def _loopback_only_connect(self: socket.socket, address):  # noqa: ANN001
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise RuntimeError(f"test tried to reach an outside host: {host}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _guard_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """An accidental call to a real external host fails the test."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only_connect)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """Each test gets its own data dir and no LLM endpoint unless it starts one."""
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "HOTLINE_DATABASE_URL", "HOTLINE_CHROMA_HOST"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
