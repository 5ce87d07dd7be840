"""A local stand-in for WeChat's API (token, customer-service and template messages), over real HTTP.

It speaks the real wire format: `GET {base}token?grant_type=client_credential&appid=&secret=`,
`POST {base}message/custom/send?access_token=` and `POST {base}message/template/send?access_token=`,
answering `{"errcode": ..., "errmsg": ...}`. Tests script failures: expired or revoked tokens
(42001/40001), rate limits (45009), a closed 48-hour window (45015), and HTTP 5xx.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

APPID = "wx1234567890abcdef"
SECRET = "fake-app-secret-0123456789abcdef"


@dataclass
class Fault:
    """One scripted failure: a WeChat errcode in a 200 answer, or a bare HTTP status."""

    errcode: int | None = None
    status: int = 200


@dataclass
class Sent:
    """A message the fake accepted."""

    endpoint: str
    payload: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def touser(self) -> str:
        """Recipient openid."""
        return self.payload.get("touser", "")

    @property
    def content(self) -> str:
        """The text of a customer-service text message ('' otherwise)."""
        return (self.payload.get("text") or {}).get("content", "")


class FakeWeChatApi:
    """The server's state; tests read `sent` and `token_requests`, and script faults."""

    def __init__(self, *, appid: str = APPID, secret: str = SECRET) -> None:
        self.appid, self.secret = appid, secret
        self.base_url = ""
        self.sent: list[Sent] = []
        self.rejected: list[tuple[str, int | None, int]] = []
        self.token_requests = 0
        self.expires_in = 7200
        self._tokens: dict[str, int] = {}  # token -> 0 valid, else the errcode it now draws
        self._serial = itertools.count(1)
        self._faults: dict[str, deque[Fault]] = {}
        self._closed_windows: set[str] = set()
        self._cond = threading.Condition()

    # -- scripting ---------------------------------------------------------------------------

    def fail_next(self, endpoint: str, *, errcode: int | None = None, status: int = 200, times: int = 1) -> None:
        """The next `times` calls to `endpoint` ('token', 'custom', 'template') fail this way."""
        with self._cond:
            self._faults.setdefault(endpoint, deque()).extend(Fault(errcode, status) for _ in range(times))

    def expire_tokens(self, errcode: int = 42001) -> None:
        """Every token issued so far now draws `errcode` (42001 expired, 40001 invalid)."""
        with self._cond:
            for token in self._tokens:
                self._tokens[token] = errcode

    def close_window(self, openid: str) -> None:
        """Customer-service messages to `openid` now draw 45015 (outside the 48-hour window)."""
        with self._cond:
            self._closed_windows.add(openid)

    def wait_for(self, count: int, *, timeout: float = 10.0, endpoint: str | None = None) -> list[Sent]:
        """Block until at least `count` messages (to `endpoint`, if given) were accepted; return them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matching = [s for s in self.sent if endpoint is None or s.endpoint == endpoint]
                if len(matching) >= count or time.monotonic() >= deadline:
                    return matching
                self._cond.wait(timeout=max(0.0, deadline - time.monotonic()))

    def wait_for_texts(self, openid: str, count: int, *, timeout: float = 10.0) -> list[str]:
        """Block until `openid` got at least `count` customer-service texts; return them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                texts = [s.content for s in self.sent if s.endpoint == "custom" and s.touser == openid]
                if len(texts) >= count or time.monotonic() >= deadline:
                    return texts
                self._cond.wait(timeout=max(0.0, deadline - time.monotonic()))

    def texts(self, openid: str | None = None) -> list[str]:
        """Contents of accepted customer-service texts, optionally to one openid."""
        with self._cond:
            return [s.content for s in self.sent if s.endpoint == "custom" and (openid is None or s.touser == openid)]

    # -- the protocol ------------------------------------------------------------------------

    def _fault(self, endpoint: str) -> Fault | None:
        queue = self._faults.get(endpoint)
        return queue.popleft() if queue else None

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        """One request -> (HTTP status, JSON answer)."""
        route = path.rstrip("/").rsplit("/cgi-bin/", 1)[-1]
        endpoint = {"token": "token", "message/custom/send": "custom", "message/template/send": "template"}.get(route)
        if endpoint is None:
            return 404, {"errcode": 404, "errmsg": "not found"}
        with self._cond:
            fault = self._fault(endpoint)
            if fault is not None:
                self.rejected.append((endpoint, fault.errcode, fault.status))
                if fault.status != 200:
                    return fault.status, {"errcode": -1, "errmsg": "system error"}
                return 200, {"errcode": fault.errcode, "errmsg": f"scripted {fault.errcode}"}
            if endpoint == "token":
                return self._token(method, query)
            if method != "POST":
                return 405, {"errcode": 43002, "errmsg": "require POST method"}
            state = self._tokens.get(query.get("access_token", ""))
            if state is None:
                return 200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
            if state:
                return 200, {"errcode": state, "errmsg": "access_token expired" if state == 42001 else "invalid"}
            try:
                payload = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return 200, {"errcode": 47001, "errmsg": "data format error"}
            if not isinstance(payload, dict) or not payload.get("touser"):
                return 200, {"errcode": 40003, "errmsg": "invalid openid"}
            if endpoint == "custom":
                if payload["touser"] in self._closed_windows:
                    return 200, {"errcode": 45015, "errmsg": "response out of time limit"}
                if payload.get("msgtype") == "text" and len(payload["text"]["content"].encode()) > 2048:
                    return 200, {"errcode": 45002, "errmsg": "content size out of limit"}
            elif not payload.get("template_id"):
                return 200, {"errcode": 40037, "errmsg": "invalid template_id"}
            self.sent.append(Sent(endpoint, payload))
            self._cond.notify_all()
            answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
            if endpoint == "template":
                answer["msgid"] = next(self._serial)
            return 200, answer

    def _token(self, method: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests += 1
        if method != "GET" or query.get("grant_type") != "client_credential":
            return 200, {"errcode": 40002, "errmsg": "invalid grant_type"}
        if query.get("appid") != self.appid:
            return 200, {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.secret:
            return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
        token = f"ACCESS_TOKEN_{next(self._serial)}"
        self._tokens[token] = 0
        return 200, {"access_token": token, "expires_in": self.expires_in}


def _handler_for(api: FakeWeChatApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, answer = api.handle(method, parts.path, query, body)
            data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


class running:  # noqa: N801 - reads as a context manager: `with running(api):`
    """Serve `api` on 127.0.0.1 on a free port for the duration of the block."""

    def __init__(self, api: FakeWeChatApi) -> None:
        self.api = api
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(api))
        self.server.daemon_threads = True
        api.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/"
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-wechat-api", daemon=True)

    def __enter__(self) -> FakeWeChatApi:
        self.thread.start()
        return self.api

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def wechat_api() -> Iterator[FakeWeChatApi]:
    """A fake WeChat API server; point HOTLINE_WECHAT_API_BASE at `wechat_api.base_url`."""
    with running(FakeWeChatApi()) as api:
        yield api
