"""The official account's server URL: GET for URL verification, POST for messages (see docs/wechat.md)."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Annotated

import anyio
from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import PlainTextResponse, Response

from connectors.runtime import Runtime
from connectors.web.deps import RuntimeDep
from connectors.wechat.handler import interpret
from connectors.wechat.protocol import (
    MAX_BODY_BYTES,
    MalformedMessage,
    SignatureMismatch,
    check_url_signature,
    open_envelope,
    text_reply,
)
from connectors.wechat.service import WeChatChannel

log = logging.getLogger(__name__)

router = APIRouter(prefix="/wechat", tags=["wechat"])

QueryParam = Annotated[str | None, Query()]


def _channel(runtime: Runtime) -> WeChatChannel:
    if not runtime.settings.wechat_token:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "未启用微信公众号接入")
    return runtime.wechat


def _plain(text: str, code: int) -> PlainTextResponse:
    return PlainTextResponse(text, status_code=code)


@router.get("", response_class=PlainTextResponse)
def verify_server_url(
    runtime: RuntimeDep, signature: QueryParam = None, timestamp: QueryParam = None,
    nonce: QueryParam = None, echostr: QueryParam = None,
) -> PlainTextResponse:
    """WeChat's server-URL check: echo `echostr` when the signature holds, else 403."""
    token = runtime.settings.wechat_token
    if not token:
        return _plain("未启用微信公众号接入", status.HTTP_404_NOT_FOUND)
    try:
        check_url_signature(token=token, signature=signature, timestamp=timestamp, nonce=nonce)
    except SignatureMismatch:
        return _plain("签名校验失败", status.HTTP_403_FORBIDDEN)
    if echostr is None:
        return _plain("缺少 echostr 参数", status.HTTP_400_BAD_REQUEST)
    return PlainTextResponse(echostr)


@router.post("")
async def receive_message(
    request: Request, runtime: RuntimeDep, signature: QueryParam = None, timestamp: QueryParam = None,
    nonce: QueryParam = None, encrypt_type: QueryParam = None, msg_signature: QueryParam = None,
) -> Response:
    """One message or event: a passive reply (XML, sealed in safe mode) or "success"."""
    started = time.monotonic()
    channel = _channel(runtime)
    body = await _read_body(request)
    if body is None:
        return _plain("消息过大", status.HTTP_400_BAD_REQUEST)
    try:
        envelope = open_envelope(
            body=body, token=runtime.settings.wechat_token or "", crypto=channel.crypto,
            encrypted_only=runtime.settings.wechat_encrypted_only, signature=signature,
            timestamp=timestamp, nonce=nonce, encrypt_type=encrypt_type, msg_signature=msg_signature,
        )
        inbound = interpret(envelope.message, envelope.xml, city=runtime.settings.city,
                            max_chars=runtime.settings.max_message_chars)
    except SignatureMismatch as exc:
        log.warning("wechat post refused: %s", exc)
        return _plain("签名校验失败", status.HTTP_403_FORBIDDEN)
    except MalformedMessage as exc:
        log.warning("wechat post unreadable: %s", exc)
        return _plain(f"消息格式错误：{exc}", status.HTTP_400_BAD_REQUEST)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("wechat post unreadable: %s", type(exc).__name__)
        return _plain("消息格式错误", status.HTTP_400_BAD_REQUEST)
    try:
        answer = await anyio.to_thread.run_sync(partial(channel.respond, inbound, started=started),
                                                limiter=channel.limiter)
    except Exception:
        # A 5xx makes WeChat deliver again, which is right for a failure on our side (e.g. the database).
        log.exception("wechat message %s could not be handled", inbound.dedup_key)
        return _plain("服务暂时不可用", status.HTTP_503_SERVICE_UNAVAILABLE)
    if answer.text is None:
        return PlainTextResponse("success")
    xml = text_reply(envelope=envelope, content=answer.text, crypto=channel.crypto)
    return Response(xml, media_type="application/xml")


async def _read_body(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY_BYTES (read no further than that)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)

