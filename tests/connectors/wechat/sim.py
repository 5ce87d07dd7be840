"""WeChat's side of the server protocol, for tests: builds, signs and (in safe mode) encrypts messages
with wechatpy's own crypto, posts them, and decrypts and verifies the replies."""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.replies import TextReply, deserialize_reply
from wechatpy.utils import WeChatSigner

TOKEN = "hotline-test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat issues them
ACCOUNT = "gh_0123456789ab"

Mode = Literal["plain", "compatible", "safe"]

_msg_ids = itertools.count(int(time.time()) * 1000)


@dataclass
class Delivery:
    """What our server answered to one POST."""

    status: int
    body: str
    reply: str | None  # the passive text reply's content, verified and decrypted; None for "success"
    elapsed: float


def sign(*parts: str) -> str:
    """WeChat's sha1 signature over the sorted parts, computed by wechatpy (not by the code under test)."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


class WeChatSim:
    """Plays WeChat's servers against our webhook at `path` on `http`."""

    def __init__(self, http: httpx.Client | Any, *, appid: str, mode: Mode = "safe", path: str = "/wechat",
                 token: str = TOKEN, aes_key: str = AES_KEY) -> None:
        self.http, self.appid, self.mode, self.path = http, appid, mode, path
        self.token, self.aes_key = token, aes_key
        self.crypto = WeChatCrypto(token, aes_key, appid)

    # -- message builders --------------------------------------------------------------------

    @staticmethod
    def fields(openid: str, msg_type: str, *, msg_id: int | None = None, create_time: int | None = None,
               **extra: Any) -> dict[str, Any]:
        """An inbound message's fields in WeChat's order; `msg_id=None` picks a fresh one (events get none)."""
        fields: dict[str, Any] = {"ToUserName": ACCOUNT, "FromUserName": openid,
                                  "CreateTime": str(create_time or int(time.time())), "MsgType": msg_type}
        fields.update({k: str(v) for k, v in extra.items()})
        if msg_type != "event":
            fields["MsgId"] = str(msg_id if msg_id is not None else next(_msg_ids))
        return fields

    def text(self, openid: str, content: str, **kw: Any) -> dict[str, Any]:
        """A text message."""
        return self.fields(openid, "text", Content=content, **kw)

    def event(self, openid: str, event: str, key: str | None = None, **kw: Any) -> dict[str, Any]:
        """An event (subscribe, unsubscribe, CLICK with its key, ...)."""
        extra = {"Event": event} | ({"EventKey": key} if key is not None else {})
        return self.fields(openid, "event", **extra, **kw)

    # -- the wire ----------------------------------------------------------------------------

    def signed_query(self, *, encrypt: str | None = None, timestamp: str | None = None) -> dict[str, str]:
        """Query parameters as WeChat sends them; with `encrypt`, the safe-mode msg_signature too."""
        timestamp = timestamp or str(int(time.time()))
        nonce = secrets.token_hex(5)
        query = {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        if encrypt is not None:
            query |= {"encrypt_type": "aes", "msg_signature": sign(self.token, timestamp, nonce, encrypt)}
        return query

    def envelope(self, fields: dict[str, Any], *, mode: Mode | None = None) -> tuple[bytes, dict[str, str]]:
        """The POST body and query for `fields` in `mode`."""
        mode = mode or self.mode
        plain = xmltodict.unparse({"xml": fields}, full_document=False)
        if mode == "plain":
            return plain.encode(), self.signed_query()
        encrypt = PrpCrypto(self.crypto.key).encrypt(plain, self.appid).decode()
        outer = {"ToUserName": fields["ToUserName"], "Encrypt": encrypt}
        if mode == "compatible":
            outer = {**fields, "Encrypt": encrypt}
        return xmltodict.unparse({"xml": outer}, full_document=False).encode(), self.signed_query(encrypt=encrypt)

    def post_raw(self, body: bytes, query: dict[str, str]) -> httpx.Response:
        """POST exactly this body and query."""
        return self.http.post(self.path, params=query, content=body, headers={"Content-Type": "text/xml"})

    def send(self, fields: dict[str, Any], *, mode: Mode | None = None) -> Delivery:
        """Post one message; verify and decode the reply."""
        mode = mode or self.mode
        body, query = self.envelope(fields, mode=mode)
        started = time.monotonic()
        response = self.post_raw(body, query)
        elapsed = time.monotonic() - started
        return Delivery(response.status_code, response.text, self.read_reply(response, fields, mode), elapsed)

    def read_reply(self, response: httpx.Response, fields: dict[str, Any], mode: Mode) -> str | None:
        """The passive reply's text after checking signature, encryption and addressing; None for success."""
        text = response.text
        if response.status_code != 200 or text in ("", "success"):
            return None
        if mode != "plain":
            outer = xmltodict.parse(text)["xml"]
            assert set(outer) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}, outer
            text = self.crypto.decrypt_message(text, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
        reply = deserialize_reply(text)
        assert isinstance(reply, TextReply), text
        assert reply.target == fields["FromUserName"] and reply.source == fields["ToUserName"]
        return reply.content
