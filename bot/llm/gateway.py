"""The gateway the rest of the code calls: a prompt name in, text or a typed object out, or None."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from bot import metrics
from bot.config import Settings
from bot.errors import LLMUnavailable
from bot.llm.base import LanguageModel, T
from bot.llm.breaker import CircuitBreaker
from bot.llm.prompts import load_prompt
from bot.pii import mask

logger = logging.getLogger("bot.llm")


class Gateway:
    """Renders prompts, calls the model behind a circuit breaker; None means "use the offline engine"."""

    def __init__(self, model: LanguageModel | None, breaker: CircuitBreaker | None = None) -> None:
        self.model = model
        self.breaker = breaker or CircuitBreaker(failure_threshold=3, cooldown_s=60.0)

    @property
    def available(self) -> bool:
        """True when a generative model is configured and the breaker is not open."""
        return self.model is not None and self.model.can_generate and not self.breaker.is_open

    def complete(self, prompt_name: str, /, **variables: object) -> str | None:
        """The model's answer to the rendered prompt, or None."""
        # Rendering comes first so a wrong variable set fails loudly even in offline mode.
        messages = load_prompt(prompt_name).render(**variables)
        model = self._admit(tools=False)
        if model is None:
            return None
        try:
            text = model.complete(messages)
        except LLMUnavailable as exc:
            self._failed(prompt_name, exc)
            return None
        self.breaker.record_success()
        return text

    def stream(self, prompt_name: str, /, **variables: object) -> Iterator[str] | None:
        """The answer in pieces, or None when nothing came; a failure mid-answer raises LLMUnavailable."""
        messages = load_prompt(prompt_name).render(**variables)
        model = self._admit(tools=False)
        if model is None:
            return None
        pieces = iter(model.stream(messages))
        # Waiting for the first piece means that refused connections, 5xx and timeouts (nearly
        # every failure) still leave the caller free to answer offline instead.
        try:
            first = next(pieces)
        except StopIteration:
            self._failed(prompt_name, LLMUnavailable("empty answer"))
            return None
        except LLMUnavailable as exc:
            self._failed(prompt_name, exc)
            return None
        return self._relay(prompt_name, first, pieces)

    def extract(self, prompt_name: str, schema: type[T], /, **variables: object) -> T | None:
        """The rendered prompt's facts as a validated `schema` instance (tool calling), or None."""
        messages = load_prompt(prompt_name).render(**variables)
        model = self._admit(tools=True)
        if model is None:
            return None
        try:
            result = model.extract(messages, schema)
        except LLMUnavailable as exc:
            self._failed(prompt_name, exc)
            return None
        self.breaker.record_success()
        return result

    def _admit(self, *, tools: bool) -> LanguageModel | None:
        """The model if this call may go ahead; capabilities are checked before the breaker's trial slot."""
        model = self.model
        if model is None or not model.can_generate or (tools and not model.supports_tools):
            return None
        if not self.breaker.allow():
            logger.debug("LLM call skipped: breaker open")
            return None
        return model

    def _relay(self, prompt_name: str, first: str, pieces: Iterator[str]) -> Iterator[str]:
        try:
            yield first
            yield from pieces
        except LLMUnavailable as exc:
            self._failed(prompt_name, exc)
            raise
        except GeneratorExit:
            # A caller that stops reading early still got a working answer.
            self.breaker.record_success()
            raise
        else:
            self.breaker.record_success()

    def _failed(self, prompt_name: str, exc: LLMUnavailable) -> None:
        self.breaker.record_failure()
        metrics.LLM_FALLBACKS.labels(prompt_name).inc()
        logger.warning("LLM call %r failed (%s); using the offline engine", prompt_name, mask(str(exc))[:200])


def build_gateway(settings: Settings) -> Gateway:
    """The gateway for these settings: no model (offline engine) unless an endpoint is configured."""
    breaker = CircuitBreaker(
        failure_threshold=settings.llm_breaker_failures, cooldown_s=settings.llm_breaker_cooldown_s
    )
    if not settings.llm_enabled or settings.openai_base_url is None:
        return Gateway(None, breaker)
    # Imported here so that offline deployments never pay for importing LangChain.
    from bot.llm.openai_compat import OpenAICompatibleModel

    model = OpenAICompatibleModel(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key,
        model=settings.llm_model,
        timeout_s=settings.llm_timeout_s,
    )
    return Gateway(model, breaker)
