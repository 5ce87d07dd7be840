"""The OpenAI-compatible adapter through the real openai client, over real HTTP, against the fake server."""

from __future__ import annotations

import socket
import time

import pytest
from pydantic import BaseModel

from bot.errors import LLMUnavailable
from bot.llm.base import Message
from bot.llm.openai_compat import OpenAICompatibleModel
from tests.fakes.openai_server import Delay, FakeOpenAIServer, HTTPError, Malformed, Stream, Text, ToolCall

MESSAGES = [Message(role="system", content="你是助手。"), Message(role="user", content="你好")]


class Draft(BaseModel):
    """A ticket draft."""

    summary: str
    phone: str | None = None


def test_scripted_answer(model: OpenAICompatibleModel, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Text("您好，请讲。"))
    assert model.complete(MESSAGES) == "您好，请讲。"
    sent = fake_openai.requests[-1]
    assert sent["model"] == "fake-model"
    assert sent["messages"] == [{"role": "system", "content": "你是助手。"}, {"role": "user", "content": "你好"}]


def test_default_answer_when_nothing_is_queued(model: OpenAICompatibleModel, fake_openai: FakeOpenAIServer) -> None:
    assert model.complete(MESSAGES) == fake_openai.default_text


def test_streaming(model: OpenAICompatibleModel, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Stream("居住证", "可在", "派出所办理。"))
    assert list(model.stream(MESSAGES)) == ["居住证", "可在", "派出所办理。"]
    assert fake_openai.requests[-1]["stream"] is True


def test_one_retry_after_a_server_error(model: OpenAICompatibleModel, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(HTTPError(500), Text("第二次成功"))
    assert model.complete(MESSAGES) == "第二次成功"
    assert fake_openai.request_count == 2


def test_two_server_errors_are_unavailable(model: OpenAICompatibleModel, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(HTTPError(500), HTTPError(503))
    with pytest.raises(LLMUnavailable, match="HTTP 503"):
        model.complete(MESSAGES)
    assert fake_openai.request_count == 2


def test_timeout_is_unavailable_quickly(model: OpenAICompatibleModel, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Delay(5), Delay(5))
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match="timeout"):
        model.complete(MESSAGES)
    assert time.monotonic() - started < 4


def test_malformed_body_is_unavailable(model: OpenAICompatibleModel, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Malformed())
    with pytest.raises(LLMUnavailable, match="malformed"):
        model.complete(MESSAGES)


def test_malformed_stream_is_unavailable(model: OpenAICompatibleModel, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Malformed())
    with pytest.raises(LLMUnavailable):
        list(model.stream(MESSAGES))


def test_empty_answer_is_unavailable(model: OpenAICompatibleModel, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Text("  "))
    with pytest.raises(LLMUnavailable, match="empty"):
        model.complete(MESSAGES)


def test_refused_connection_is_unavailable() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = OpenAICompatibleModel(base_url=f"http://127.0.0.1:{port}/v1", model="m", timeout_s=0.5)
    with pytest.raises(LLMUnavailable, match="connection"):
        model.complete(MESSAGES)


def test_extract_by_tool_call(model: OpenAICompatibleModel, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(ToolCall("Draft", '{"summary": "路灯不亮", "phone": null}'))
    assert model.extract(MESSAGES, Draft) == Draft(summary="路灯不亮", phone=None)
    sent = fake_openai.requests[-1]
    assert sent["tools"][0]["function"]["name"] == "Draft"
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "Draft"}}


@pytest.mark.parametrize("bad_arguments", ['{"phone": 13800000000}', '{"summary": "路灯', '{"summary": null}'])
def test_invalid_tool_call_is_repaired_once(
    model: OpenAICompatibleModel, fake_openai: FakeOpenAIServer, bad_arguments: str
) -> None:
    fake_openai.enqueue(ToolCall("Draft", bad_arguments), ToolCall("Draft", '{"summary": "路灯不亮"}'))
    assert model.extract(MESSAGES, Draft) == Draft(summary="路灯不亮")
    assert fake_openai.request_count == 2
    repair = fake_openai.requests[-1]["messages"]
    assert repair[-2]["role"] == "assistant" and repair[-2]["tool_calls"][0]["function"]["arguments"] == bad_arguments
    assert repair[-1]["role"] == "tool" and "invalid" in repair[-1]["content"]
    assert repair[-1]["tool_call_id"] == repair[-2]["tool_calls"][0]["id"]


def test_invalid_twice_is_unavailable(model: OpenAICompatibleModel, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(ToolCall("Draft", "{}"), ToolCall("Draft", '{"summary": 1}'))
    with pytest.raises(LLMUnavailable, match="after one repair"):
        model.extract(MESSAGES, Draft)
    assert fake_openai.request_count == 2


def test_no_tool_call_is_unavailable(model: OpenAICompatibleModel, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.enqueue(Text("我不想调用工具"))
    with pytest.raises(LLMUnavailable, match="no tool call"):
        model.extract(MESSAGES, Draft)
    assert fake_openai.request_count == 1


def test_models_endpoint(fake_openai: FakeOpenAIServer) -> None:
    import openai

    client = openai.OpenAI(base_url=fake_openai.base_url, api_key="k", max_retries=0)
    assert [m.id for m in client.models.list()] == ["fake-model"]
    client.close()


def test_server_shuts_down_cleanly_with_a_request_in_flight() -> None:
    import threading

    server = FakeOpenAIServer().start()
    server.enqueue(Delay(30))
    model = OpenAICompatibleModel(base_url=server.base_url, model="m", timeout_s=10, max_retries=0)
    caller = threading.Thread(target=lambda: pytest.raises(LLMUnavailable, model.complete, MESSAGES))
    caller.start()
    while server.request_count == 0:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    caller.join(timeout=5)
    assert not caller.is_alive()
    assert not any(t.name == "fake-openai" and t.is_alive() for t in threading.enumerate())
