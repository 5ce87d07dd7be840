"""The one door to language models: prompts in, text or typed objects out, or None for the offline engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.llm.base import LanguageModel, Message
from bot.llm.breaker import BreakerState, CircuitBreaker
from bot.llm.gateway import Gateway, build_gateway
from bot.llm.offline import OfflineModel
from bot.llm.prompts import Prompt, fence, list_prompts, load_prompt

if TYPE_CHECKING:
    from bot.llm.openai_compat import OpenAICompatibleModel

__all__ = [
    "BreakerState",
    "CircuitBreaker",
    "Gateway",
    "LanguageModel",
    "Message",
    "OfflineModel",
    "OpenAICompatibleModel",
    "Prompt",
    "build_gateway",
    "fence",
    "list_prompts",
    "load_prompt",
]


def __getattr__(name: str) -> Any:
    # Lazy, so `import bot.llm` does not import LangChain in offline deployments.
    if name == "OpenAICompatibleModel":
        from bot.llm.openai_compat import OpenAICompatibleModel

        return OpenAICompatibleModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
