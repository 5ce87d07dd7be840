"""Fixtures for the model seam: a real client pointed at the local fake server, and a fake clock."""

from __future__ import annotations

import pytest

from bot.llm.openai_compat import OpenAICompatibleModel
from tests.fakes.openai_server import FakeOpenAIServer

# Short, so timeout tests stay quick; long enough for a loaded CI machine to answer locally.
TIMEOUT_S = 0.5


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    """A clock for breakers under test."""
    return FakeClock()


@pytest.fixture
def model(fake_openai: FakeOpenAIServer) -> OpenAICompatibleModel:
    """The production adapter, speaking real HTTP to the fake server."""
    return OpenAICompatibleModel(base_url=fake_openai.base_url, api_key="test-key", model="fake-model",
                                 timeout_s=TIMEOUT_S)
