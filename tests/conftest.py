"""Shared fixtures: every test's state under tmp_path, and no real outside host reachable."""

from __future__ import annotations

import ipaddress
import shutil
import socket
from pathlib import Path

import pytest

from bot.config import get_settings

pytest_plugins = ["tests.fakes.openai_server", "tests.fakes.postgres"]

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


SAMPLES = Path(__file__).resolve().parent.parent / "knowledge_base" / "samples"


@pytest.fixture(scope="session")
def sample_kb_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the sample knowledge base ingested, built once per test session (embedding is slow)."""
    data_dir = tmp_path_factory.mktemp("sample_kb") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOTLINE_DATA_DIR", str(data_dir))
        mp.setenv("ANONYMIZED_TELEMETRY", "False")
        get_settings.cache_clear()
        from connectors.runtime import Runtime

        runtime = Runtime()
        report = runtime.knowledge_base.ingest_paths([SAMPLES])
        assert report.count("error") == 0
        runtime.knowledge_base.vectors.close()
    get_settings.cache_clear()
    return data_dir


@pytest.fixture
def runtime(sample_kb_data: Path, tmp_path: Path):
    """A fresh runtime on a private copy of the sample knowledge base, offline engine."""
    data_dir = tmp_path / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    shutil.copytree(sample_kb_data, data_dir)
    get_settings.cache_clear()
    from connectors.runtime import Runtime

    return Runtime()
