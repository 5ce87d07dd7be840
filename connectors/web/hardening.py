"""Request hygiene before any route runs: a JSON body must be strict JSON that the rest of the stack can
store and echo (finite numbers, integers that fit 64 bits, text without lone surrogates or NUL)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The biggest JSON body any route needs (a routing table); uploads are multipart, not JSON.
MAX_JSON_BYTES = 2 * 1024 * 1024
INT64_MAX = 2**63 - 1
INT64 = {"ge": -INT64_MAX, "le": INT64_MAX}


class BadJson(ValueError):
    """The body is not JSON this service accepts; the message says why, in Chinese."""


def _reject_constant(name: str) -> Any:
    raise BadJson(f"不接受非有限数值 {name}")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise BadJson("数值超出范围")
    return value


def _int64(text: str) -> int:
    if len(text.lstrip("-")) > 19 or abs(value := int(text)) > INT64_MAX:
        raise BadJson("整数超出范围")
    return value


def _check_text(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadJson("文本含有无效字符（孤立的代理项）") from None
    if "\x00" in value:
        raise BadJson("文本含有无效字符（NUL）")


def _walk(value: Any, depth: int = 0) -> None:
    if depth > 64:
        raise BadJson("JSON 嵌套过深")
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _walk(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _walk(item, depth + 1)


def check_json(body: bytes) -> None:
    """Raise BadJson unless `body` is strict JSON without non-finite numbers, huge integers or bad text."""
    try:
        parsed = json.loads(body, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_int64)
    except BadJson:
        raise
    except (ValueError, RecursionError):
        raise BadJson("请求不是有效的 JSON。") from None
    _walk(parsed)


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


async def _send_error(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class StrictJsonMiddleware:
    """Reads a JSON request body once, refuses it with a 4xx when it is not acceptable, else replays it."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_JSON_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH") or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _send_error(send, 413, f"请求内容过大（上限 {self.max_bytes} 字节）")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            try:
                check_json(body)
            except BadJson as exc:
                await _send_error(send, 422, f"请求格式不正确：{exc}")
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def safe_errors(errors: Any) -> list[dict[str, Any]]:
    """Validation errors without the echoed input: type, location and message, all encodable."""
    out = []
    for e in errors:
        loc = [p if isinstance(p, int) else _printable(str(p)) for p in e.get("loc", ())]
        out.append({"type": str(e.get("type", "")), "loc": loc, "msg": _printable(str(e.get("msg", "")))})
    return out


def _printable(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")[:300]


# --- CSRF: a cookie-authenticated write must come from our own pages ---------------------------------

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _origin_of(value: str) -> str | None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


class OriginCheckMiddleware:
    """Refuses (403) an unsafe request that carries the staff cookie, or signs in, unless its Origin (or,
    failing that, Referer) is this server itself or one of `allowed`. Bearer-token calls carry no cookie
    authority and pass; so do cookie-less citizen calls. With SameSite=strict cookies this is the second
    of two locks."""

    def __init__(self, app: ASGIApp, *, cookie_name: str, always: tuple[str, ...] = ("/login", "/logout"),
                 allowed: tuple[str, ...] = ()) -> None:
        self.app = app
        self.cookie = cookie_name.encode() + b"="
        self.always = always
        self.allowed = {a.strip().rstrip("/").lower() for a in allowed if a.strip()}

    def _needs_check(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            return False
        if scope.get("path") in self.always:
            return True
        if headers.get(b"authorization", b"").lower().startswith(b"bearer "):
            return False
        return any(part.strip().startswith(self.cookie) for part in headers.get(b"cookie", b"").split(b";"))

    def _same_origin(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        claimed = headers.get(b"origin") or headers.get(b"referer")
        if not claimed:
            return False
        origin = _origin_of(claimed.decode("latin-1"))
        if origin is None:
            return False
        host = headers.get(b"host", b"").decode("latin-1").lower()
        scheme = scope.get("scheme", "http")
        return origin in self.allowed or origin == f"{scheme}://{host}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers", ()))
            if self._needs_check(scope, headers) and not self._same_origin(scope, headers):
                await _send_error(send, 403, "请求来源未通过校验，请从本站页面重新操作。")
                return
        await self.app(scope, receive, send)
