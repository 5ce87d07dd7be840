"""A tiny threaded HTTP server that can be scripted to misbehave and taken down and up on the same port."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ScriptedServer:
    """Owns a ThreadingHTTPServer on 127.0.0.1; `script` holds per-request modes, `mode` is the default.

    Modes: "accept"; "fail" (500); "timeout" (process, then answer after `slow_s`, after the client gave up);
    "twice" (process, answer 500 as if the answer was lost, so the client sends again); "slow"
    (answer after `slow_s`, normally).
    """

    def __init__(self, handler_cls: type[BaseHTTPRequestHandler]) -> None:
        self.handler_cls = handler_cls
        self.port = 0
        self.mode = "accept"
        self.script: list[str] = []
        self.slow_s = 1.0
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def next_mode(self) -> str:
        """The mode for the request being handled."""
        with self.lock:
            return self.script.pop(0) if self.script else self.mode

    def start(self) -> ScriptedServer:
        """Listen (on the same port as before, after a `down`)."""
        handler = type("Bound", (self.handler_cls,), {"fake": self})
        for _ in range(50):
            try:
                self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
                break
            except OSError:
                time.sleep(0.1)  # the old socket may linger a moment after a restart
        assert self._server is not None
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until `start` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def down_for(self, seconds: float) -> threading.Thread:
        """Go down now and come back after `seconds` (in the background)."""
        self.stop()

        def later() -> None:
            time.sleep(seconds)
            self.start()

        t = threading.Thread(target=later, daemon=True)
        t.start()
        return t


class QuietHandler(BaseHTTPRequestHandler):
    """No request logging on stderr."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002, ANN002
        """Silence."""

    def send_json(self, code: int, body: bytes) -> None:
        """Answer with JSON."""
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout mode); that is the point
