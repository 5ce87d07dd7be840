"""Any OpenAI-compatible chat endpoint (OpenAI, DeepSeek, Qwen, a local vLLM): the only LangChain import."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TypeVar

import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_openai import ChatOpenAI
from pydantic import SecretStr, ValidationError

from bot.errors import LLMUnavailable
from bot.llm.base import LanguageModel, Message, T

R = TypeVar("R")

# Local servers (vLLM, Ollama) ignore the key, but the client refuses to start without one.
_UNUSED_KEY = "not-needed"


class OpenAICompatibleModel(LanguageModel):
    """A chat model behind the OpenAI chat-completions protocol; every failure becomes LLMUnavailable."""

    can_generate = True
    can_stream = True
    supports_tools = True

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None = None,
        model: str,
        timeout_s: float,
        max_retries: int = 1,
    ) -> None:
        self.name = model
        self._chat = ChatOpenAI(
            model=model,
            base_url=base_url,
            api_key=SecretStr(api_key or _UNUSED_KEY),
            timeout=timeout_s,
            # The SDK retries 5xx, timeouts and refused connections itself, with backoff.
            max_retries=max_retries,
            # Compatible vendors speak chat completions; the Responses API is OpenAI's alone.
            use_responses_api=False,
        )

    def complete(self, messages: list[Message]) -> str:
        """The model's answer as text."""
        reply = _call(lambda: self._chat.invoke(_to_langchain(messages)))
        text = _text(reply).strip()
        if not text:
            raise LLMUnavailable("empty answer")
        return text

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """The answer in pieces as the endpoint sends them (server-sent events)."""
        produced = False
        try:
            for chunk in self._chat.stream(_to_langchain(messages)):
                piece = _text(chunk)
                if piece:
                    produced = True
                    yield piece
        except Exception as exc:  # the SDK and LangChain raise many types; all mean the same here
            raise LLMUnavailable(_reason(exc)) from exc
        if not produced:
            raise LLMUnavailable("empty answer")

    def extract(self, messages: list[Message], schema: type[T]) -> T:
        """Fill `schema` by forcing a call of it as a tool; one repair round on invalid arguments."""
        tool_name = convert_to_openai_tool(schema)["function"]["name"]
        bound = self._chat.bind_tools([schema], tool_choice=tool_name)
        conversation = _to_langchain(messages)
        reply = _call(lambda: bound.invoke(conversation))
        result, problem, call_id = _read_tool_call(reply, schema, tool_name)
        if result is not None:
            return result
        if call_id is None:
            raise LLMUnavailable(problem)
        # Show the model its own call and what was wrong with it, the way tool results are
        # returned, so it corrects the arguments rather than starting over.
        conversation += [reply, ToolMessage(content=_repair_request(tool_name, problem), tool_call_id=call_id)]
        reply = _call(lambda: bound.invoke(conversation))
        result, problem, _ = _read_tool_call(reply, schema, tool_name)
        if result is None:
            raise LLMUnavailable(f"invalid tool call after one repair: {problem}")
        return result


def _to_langchain(messages: list[Message]) -> list[BaseMessage]:
    kinds: dict[str, Callable[[str], BaseMessage]] = {
        "system": lambda c: SystemMessage(content=c),
        "user": lambda c: HumanMessage(content=c),
        "assistant": lambda c: AIMessage(content=c),
    }
    return [kinds[m.role](m.content) for m in messages]


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return str(message.text)


def _call(fn: Callable[[], R]) -> R:
    try:
        return fn()
    except Exception as exc:  # mapped to our one error, with the cause chained
        raise LLMUnavailable(_reason(exc)) from exc


def _reason(exc: Exception) -> str:
    """A short, data-free reason for a failed call."""
    # Timeout is a subclass of connection error, so it is tested first.
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection failed"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, json.JSONDecodeError | openai.APIResponseValidationError):
        return "malformed response body"
    return f"unexpected failure ({type(exc).__name__})"


def _read_tool_call(
    reply: BaseMessage, schema: type[T], tool_name: str
) -> tuple[T | None, str, str | None]:
    """(result, problem, id of the call to repair); the id is None when there is nothing to repair."""
    if not isinstance(reply, AIMessage):
        return None, "no tool call", None
    for call in reply.tool_calls:
        if call["name"] != tool_name:
            return None, f"called unknown tool {call['name']!r}", call["id"]
        try:
            return schema.model_validate(call["args"]), "", call["id"]
        except ValidationError as exc:
            return None, _describe(exc), call["id"]
    for bad in reply.invalid_tool_calls:
        return None, f"arguments are not valid JSON ({_json_error(bad.get('args'))})", bad["id"]
    return None, "no tool call", None


def _json_error(arguments: str | None) -> str:
    # LangChain's own message quotes the arguments; the decoder's names only the position.
    try:
        json.loads(arguments or "")
    except ValueError as exc:
        return str(exc)
    return "not an object"


def _describe(exc: ValidationError) -> str:
    # Without the offending input values: they may hold personal data and end up in logs.
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in errors)


def _repair_request(tool_name: str, problem: str) -> str:
    return (
        f"The arguments of {tool_name} were invalid: {problem}. "
        f"Call {tool_name} again with corrected arguments that match its schema. "
        "Use null for anything the message does not state; do not invent values."
    )

