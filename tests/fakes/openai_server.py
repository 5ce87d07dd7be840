"""A real OpenAI-compatible chat-completions server on 127.0.0.1, scripted step by step, for tests."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class Text:
    """Answer with this text (streamed as one piece if the client asked to stream)."""

    content: str


@dataclass(frozen=True)
class Stream:
    """Answer with these pieces: SSE chunks when streaming, else their concatenation."""

    pieces: tuple[str, ...]

    def __init__(self, *pieces: str) -> None:
        object.__setattr__(self, "pieces", pieces)


@dataclass(frozen=True)
class ToolCall:
    """Answer with one call of tool `name`; `arguments` is sent verbatim, so it may be invalid JSON."""

    name: str
    arguments: str


@dataclass(frozen=True)
class HTTPError:
    """Answer with this status and an OpenAI-style error body."""

    status: int = 500
    message: str = "internal server error"


@dataclass(frozen=True)
class Delay:
    """Wait `seconds` (cut short at shutdown), then play `then` (the default answer if None)."""

    seconds: float
    then: Step | None = None


@dataclass(frozen=True)
class Malformed:
    """Answer with a body that is not JSON, under a JSON content type."""

    body: str = "<html>502 bad gateway, but with status 200</html>"
    status: int = 200


Step = Text | Stream | ToolCall | HTTPError | Delay | Malformed


@dataclass
class FakeOpenAIServer:
    """Serves `/v1/chat/completions` and `/v1/models`; plays queued steps, then `default_text`."""

    default_text: str = "这是测试服务器的默认回答。"
    model: str = "fake-model"
    requests: list[dict[str, Any]] = field(default_factory=list)
    _steps: deque[Step] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _httpd: _Server | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL of this server, `http://127.0.0.1:PORT/v1`."""
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def request_count(self) -> int:
        """How many chat-completion requests have arrived."""
        with self._lock:
            return len(self.requests)

    def enqueue(self, *steps: Step) -> None:
        """Queue steps; each chat-completion request plays the next one."""
        with self._lock:
            self._steps.extend(steps)

    def start(self) -> FakeOpenAIServer:
        """Bind a free port on 127.0.0.1 and serve from a background thread."""
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        # A short poll interval, because shutdown() waits for the loop's next poll.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake delayed answers, and join every handler thread."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _next_step(self, body: dict[str, Any]) -> Step:
        with self._lock:
            self.requests.append(body)
            return self._steps.popleft() if self._steps else Text(self.default_text)


class _Server(ThreadingHTTPServer):
    # Joined at close, so teardown leaves no thread behind.
    daemon_threads = False
    block_on_close = True
    fake: FakeOpenAIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout) leaves a broken pipe behind; that is expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so no idle keep-alive thread outlives a test.
    protocol_version = "HTTP/1.0"
    timeout = 10
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the base class writes every request to stderr

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            model = {"id": self.server.fake.model, "object": "model", "created": 0, "owned_by": "fake"}
            self._json(200, {"object": "list", "data": [model]})
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._error(404, f"no route {self.path}")
            return
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            self._error(400, "request body is not JSON")
            return
        try:
            self._play(self.server.fake._next_step(body), body)
        except ConnectionError:
            pass  # the client timed out and hung up

    def _play(self, step: Step, body: dict[str, Any]) -> None:
        fake = self.server.fake
        match step:
            case Delay(seconds=seconds, then=then):
                if fake._stopping.wait(seconds):
                    return  # shutting down: drop the connection unanswered
                self._play(then or Text(fake.default_text), body)
            case HTTPError(status=status, message=message):
                self._error(status, message)
            case Malformed(body=text, status=status):
                self._send(status, "application/json", text.encode())
            case Text(content=content):
                self._answer(body, pieces=[content], tool_call=None)
            case Stream(pieces=pieces):
                self._answer(body, pieces=list(pieces), tool_call=None)
            case ToolCall():
                self._answer(body, pieces=[], tool_call=step)

    def _answer(self, body: dict[str, Any], *, pieces: list[str], tool_call: ToolCall | None) -> None:
        fake = self.server.fake
        base = {"id": f"chatcmpl-{len(fake.requests)}", "created": int(time.time()),
                "model": body.get("model", fake.model)}
        call = None
        if tool_call is not None:
            call = {"id": f"call_{len(fake.requests)}", "type": "function",
                    "function": {"name": tool_call.name, "arguments": tool_call.arguments}}
        finish = "tool_calls" if call else "stop"
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": "".join(pieces) if not call else None}
            if call:
                message["tool_calls"] = [call]
            usage = {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
            self._json(200, {**base, "object": "chat.completion", "usage": usage,
                             "choices": [{"index": 0, "message": message, "finish_reason": finish}]})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        deltas += [{"content": piece} for piece in pieces]
        if call:
            deltas.append({"tool_calls": [{"index": 0, **call}]})
        for delta in deltas:
            self._event({**base, "object": "chat.completion.chunk",
                         "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        self._event({**base, "object": "chat.completion.chunk",
                     "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, payload: dict[str, Any]) -> None:
        self.wfile.write(f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode())
        self.wfile.flush()

    def _error(self, status: int, message: str) -> None:
        kind = "server_error" if status >= 500 else "invalid_request_error"
        self._json(status, {"error": {"message": message, "type": kind, "param": None, "code": None}})

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, "application/json", json.dumps(payload, ensure_ascii=False).encode())

    def _send(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    """A started fake OpenAI server; `fake_openai.base_url` is its `/v1` URL."""
    with FakeOpenAIServer() as server:
        yield server
