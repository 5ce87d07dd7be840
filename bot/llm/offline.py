"""The offline engine's stand-in at the model seam: it generates nothing, and says so."""

from __future__ import annotations

from collections.abc import Iterator

from bot.errors import LLMUnavailable
from bot.llm.base import LanguageModel, Message, T

REASON = "offline engine: no generative model"


class OfflineModel(LanguageModel):
    """A model that cannot generate; callers seeing it use the retrieval and rule-based engine."""

    name = "offline"
    can_generate = False
    can_stream = False
    supports_tools = False

    def complete(self, messages: list[Message]) -> str:
        """Always refuses: there is no generative model."""
        raise LLMUnavailable(REASON)

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """Always refuses: there is no generative model."""
        raise LLMUnavailable(REASON)

    def extract(self, messages: list[Message], schema: type[T]) -> T:
        """Always refuses: there is no generative model."""
        raise LLMUnavailable(REASON)
