"""WeChat's server protocol: signatures, safe-mode (AES) envelopes, strict XML parsing, passive replies.

Everything here is pure: bytes and query parameters in, a verified message dict (or an error) out.
"""

from __future__ import annotations

import binascii
import hmac
import struct
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

from bot.errors import BadInput, HotlineError, InvalidConfig
from bot.names import name_problem

# WeChat's own messages are a few hundred bytes; anything near this is not from WeChat.
MAX_BODY_BYTES = 64 * 1024


class SignatureMismatch(HotlineError):
    """The request is not signed with our token (or, in safe mode, not for our AppID): 403."""


class MalformedMessage(BadInput):
    """The body is not a WeChat message we can read: 400."""


@dataclass(frozen=True)
class Envelope:
    """A verified inbound message and how it arrived, so the reply goes back the same way."""

    message: dict[str, Any]
    xml: str
    encrypted: bool
    timestamp: str
    nonce: str


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 over the sorted parts (token, timestamp, nonce[, Encrypt])."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _same(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def check_url_signature(*, token: str, signature: str | None, timestamp: str | None, nonce: str | None) -> None:
    """Verify the `signature` query parameter (sha1 over the sorted token, timestamp, nonce)."""
    if not signature or not timestamp or not nonce:
        raise SignatureMismatch("missing signature parameters")
    if not _same(sign(token, timestamp, nonce), signature):
        raise SignatureMismatch("signature mismatch")


# A signed post older (or newer) than this is a replay, or a clock this far off is not WeChat's.
MAX_SKEW_S = 300


def check_fresh(timestamp: str, *, now: float | None = None) -> None:
    """Refuse a timestamp outside a few minutes of now (replayed or forged posts)."""
    import time

    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureMismatch("bad timestamp")
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_SKEW_S:
        raise SignatureMismatch("timestamp outside the allowed window")


def build_crypto(*, token: str, aes_key: str | None, appid: str | None) -> WeChatCrypto | None:
    """wechatpy's AES codec for safe mode, or None when no EncodingAESKey is configured."""
    if not aes_key:
        return None
    if len(aes_key) != 43 or not appid:
        raise InvalidConfig("HOTLINE_WECHAT_AES_KEY must be the 43-character EncodingAESKey, with HOTLINE_WECHAT_APPID set")
    try:
        return WeChatCrypto(token, aes_key, appid)
    except (binascii.Error, ValueError, AssertionError) as exc:
        raise InvalidConfig("HOTLINE_WECHAT_AES_KEY is not a valid EncodingAESKey") from exc


def parse_xml(raw: bytes | str) -> dict[str, Any]:
    """Parse one `<xml>` document into a flat dict; refuses DTDs, entities, oversize and non-UTF-8 input."""
    if len(raw) > MAX_BODY_BYTES:
        raise MalformedMessage("message too large")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise MalformedMessage("message is not UTF-8") from exc
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise MalformedMessage("DTDs are not accepted")
    try:
        parsed = xmltodict.parse(text, disable_entities=True)
    except (ExpatError, ValueError) as exc:
        raise MalformedMessage("body is not well-formed XML") from exc
    if not isinstance(parsed, dict) or not isinstance(parsed.get("xml"), dict):
        raise MalformedMessage("root element must be <xml> with fields")
    return parsed["xml"]


def _field(message: dict[str, Any], name: str) -> str | None:
    value = message.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedMessage(f"field {name} must appear once, as text")
    return value


def _require_message_fields(message: dict[str, Any]) -> None:
    for name in ("ToUserName", "FromUserName", "MsgType", "CreateTime"):
        if not _field(message, name):
            raise MalformedMessage(f"missing field {name}")
    for name in ("ToUserName", "FromUserName"):
        if name_problem(message[name]) or len(message[name]) > 128:
            raise MalformedMessage(f"field {name} must be a plain id (no control, bidi or markup characters)")
    if not message["CreateTime"].isdigit() or len(message["CreateTime"]) > 11:
        raise MalformedMessage("CreateTime must be a Unix time")
    if message["MsgType"].lower() == "event" and not _field(message, "Event"):
        raise MalformedMessage("event without Event")
    _field(message, "EventKey")
    msg_id = _field(message, "MsgId")
    if msg_id is not None and (not msg_id.isdigit() or len(msg_id) > 30):
        raise MalformedMessage("MsgId must be a number")


def open_envelope(
    *,
    body: bytes,
    token: str,
    crypto: WeChatCrypto | None,
    encrypted_only: bool,
    signature: str | None,
    timestamp: str | None,
    nonce: str | None,
    encrypt_type: str | None,
    msg_signature: str | None,
) -> Envelope:
    """Verify and decode one POSTed message in plaintext, compatible or safe mode."""
    check_url_signature(token=token, signature=signature, timestamp=timestamp, nonce=nonce)
    assert timestamp is not None and nonce is not None  # checked above
    check_fresh(timestamp)
    outer = parse_xml(body)
    wants_aes = (encrypt_type or "raw").lower() == "aes"
    if wants_aes and crypto is not None:
        encrypt = _field(outer, "Encrypt")
        if not encrypt:
            raise MalformedMessage("safe mode message without Encrypt")
        if not msg_signature or not _same(sign(token, timestamp, nonce, encrypt), msg_signature):
            raise SignatureMismatch("msg_signature mismatch")
        try:
            inner_xml = crypto.decrypt_message({"Encrypt": encrypt}, msg_signature, timestamp, nonce)
        except InvalidSignatureException as exc:
            raise SignatureMismatch("msg_signature mismatch") from exc
        except InvalidAppIdException as exc:
            raise SignatureMismatch("message is for another AppID") from exc
        except (binascii.Error, ValueError, struct.error, UnicodeDecodeError, IndexError) as exc:
            raise MalformedMessage("cannot decrypt Encrypt") from exc
        message = parse_xml(inner_xml)
        _require_message_fields(message)
        return Envelope(message=message, xml=inner_xml, encrypted=True, timestamp=timestamp, nonce=nonce)
    if encrypted_only:
        raise SignatureMismatch("plaintext messages are refused: safe mode only")
    if wants_aes and "MsgType" not in outer:
        # Safe mode without a configured key: we cannot read it, and must not pretend to.
        raise MalformedMessage("safe mode message but HOTLINE_WECHAT_AES_KEY is not configured")
    # Plaintext mode, or compatible mode read through its plaintext copy.
    _require_message_fields(outer)
    xml = body.decode("utf-8")
    return Envelope(message=outer, xml=xml, encrypted=False, timestamp=timestamp, nonce=nonce)


def text_reply(*, envelope: Envelope, content: str, crypto: WeChatCrypto | None) -> str:
    """The passive text reply as WeChat expects it, sealed with AES when the message came sealed."""
    message = envelope.message
    xml = TextReply(source=message["ToUserName"], target=message["FromUserName"], content=content).render()
    if envelope.encrypted and crypto is not None:
        return crypto.encrypt_message(xml, envelope.nonce, envelope.timestamp)
    return xml
