"""The one interface to language models. Capabilities are class attributes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T", bound=BaseModel)


class Message(BaseModel):
    """One chat message sent to a model."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str


class LanguageModel(ABC):
    """A chat model. Implementations raise `bot.errors.LLMUnavailable` on any failure."""

    name: str = "model"
    can_generate: bool = True
    can_stream: bool = False
    supports_tools: bool = False

    @abstractmethod
    def complete(self, messages: list[Message]) -> str:
        """Return the model's answer to the conversation."""

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """Yield the answer in pieces; the default yields it whole."""
        yield self.complete(messages)

    @abstractmethod
    def extract(self, messages: list[Message], schema: type[T]) -> T:
        """Return the conversation's facts as an instance of `schema` (tool calling)."""
