"""The server protocol over HTTP: URL verification, the three modes, signatures, and bad input."""

from __future__ import annotations

import secrets
import time

import pytest
import xmltodict
from fastapi.testclient import TestClient
from wechatpy.crypto import PrpCrypto, WeChatCrypto

from bot.config import get_settings
from connectors.app import create_app
from connectors.runtime import Runtime
from tests.connectors.wechat.conftest import Harness
from tests.connectors.wechat.sim import TOKEN, sign


def _url_query(token: str = TOKEN, echostr: str = "echo-8848") -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(4)
    return {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
            "echostr": echostr}


def test_url_verification_echoes_echostr(harness: Harness) -> None:
    response = harness.client.get("/wechat", params=_url_query())
    assert response.status_code == 200
    assert response.text == "echo-8848"


@pytest.mark.parametrize("query", [
    _url_query(token="someone-else"),
    {k: v for k, v in _url_query().items() if k != "signature"},
    {},
])
def test_url_verification_refuses_wrong_signatures(harness: Harness, query: dict[str, str]) -> None:
    assert harness.client.get("/wechat", params=query).status_code == 403


def test_route_is_absent_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_WECHAT_TOKEN", raising=False)
    get_settings.cache_clear()
    with TestClient(create_app(Runtime())) as client:
        assert client.get("/wechat", params=_url_query()).status_code == 404
        assert client.post("/wechat", params=_url_query(), content=b"<xml/>").status_code == 404


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_text_round_trip_in_every_mode(make_harness, mode: str) -> None:
    h: Harness = make_harness(mode=mode)
    delivery = h.sim.send(h.sim.text("o_citizen_plain_0000000001", "你好"))
    assert delivery.status == 200
    assert delivery.reply == "收到：你好"
    if mode == "plain":
        assert "<Encrypt>" not in delivery.body
    else:
        assert "<Encrypt>" in delivery.body and "收到" not in delivery.body
    turn = h.dialog.turns[0]
    assert turn.session_id == "wechat:o_citizen_plain_0000000001" and turn.channel == "wechat"


def test_wrong_signature_is_403(harness: Harness) -> None:
    body, query = harness.sim.envelope(harness.sim.text("o_x", "你好"), mode="plain")
    query["signature"] = "0" * 40
    assert harness.sim.post_raw(body, query).status_code == 403
    assert harness.dialog.turns == []


def test_wrong_msg_signature_is_403_in_safe_mode(harness: Harness) -> None:
    body, query = harness.sim.envelope(harness.sim.text("o_x", "你好"), mode="safe")
    query["msg_signature"] = "f" * 40
    assert harness.sim.post_raw(body, query).status_code == 403
    assert harness.dialog.turns == []


def test_message_sealed_for_another_appid_is_403(harness: Harness) -> None:
    sim = harness.sim
    plain = xmltodict.unparse({"xml": sim.text("o_x", "你好")}, full_document=False)
    encrypt = PrpCrypto(WeChatCrypto(TOKEN, sim.aes_key, "wxsomeoneelse").key).encrypt(plain, "wxsomeoneelse").decode()
    body = xmltodict.unparse({"xml": {"ToUserName": "gh_x", "Encrypt": encrypt}}, full_document=False).encode()
    assert sim.post_raw(body, sim.signed_query(encrypt=encrypt)).status_code == 403


def test_plaintext_is_refused_when_encrypted_only(make_harness) -> None:
    h: Harness = make_harness(mode="plain", wechat_encrypted_only=True)
    assert h.sim.send(h.sim.text("o_x", "你好")).status == 403


@pytest.mark.parametrize("body", [
    b"",
    b"not xml at all",
    b"<xml><ToUserName>gh</ToUserName>",
    b"<notxml><a>1</a></notxml>",
    b"<xml>text only</xml>",
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY boom "boom">]><xml><Content>&boom;</Content></xml>',
    b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime></xml>",
    b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><FromUserName>p</FromUserName>"
    b"<CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
    b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>soon</CreateTime>"
    b"<MsgType>text</MsgType></xml>",
    b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
    b"<MsgType>event</MsgType></xml>",
    "<xml><Content>中文</Content></xml>".encode("gbk"),
    b"<xml>" + b"<a>x</a>" * 20000 + b"</xml>",
    # A right-to-left override or a zero-width space in an id would show one follower as another.
    *(f"<xml><ToUserName>gh</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{int(time.time())}"
      "</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>1</MsgId></xml>".encode()
      for openid in ("o_abc\u202etxt.exe", "o_abc\u200bdef", "o_abc&lt;b&gt;")),
])
def test_malformed_plaintext_is_400(make_harness, body: bytes) -> None:
    h: Harness = make_harness(mode="plain")
    assert h.sim.post_raw(body, h.sim.signed_query()).status_code == 400
    assert h.dialog.turns == []


@pytest.mark.parametrize("encrypt", ["!!!not-base64!!!", "AAAA", "QUJD" * 8])
def test_undecryptable_safe_mode_is_400(harness: Harness, encrypt: str) -> None:
    body = f"<xml><ToUserName>gh</ToUserName><Encrypt>{encrypt}</Encrypt></xml>".encode()
    assert harness.sim.post_raw(body, harness.sim.signed_query(encrypt=encrypt)).status_code == 400


def test_safe_mode_without_encrypt_is_400(harness: Harness) -> None:
    body = b"<xml><ToUserName>gh</ToUserName></xml>"
    assert harness.sim.post_raw(body, harness.sim.signed_query(encrypt="")).status_code == 400


def test_oversized_body_is_400_without_reading_it(harness: Harness) -> None:
    response = harness.client.post("/wechat", params=harness.sim.signed_query(), content=b"x" * (65 * 1024))
    assert response.status_code == 400


def test_process_survives_bad_input_and_keeps_answering(make_harness) -> None:
    h: Harness = make_harness(mode="safe")
    for _ in range(3):
        h.sim.post_raw(b"<xml><oops", h.sim.signed_query(encrypt="x"))
    assert h.sim.send(h.sim.text("o_after", "还在吗")).reply == "收到：还在吗"


@pytest.mark.parametrize("age_s", [10 * 86400, 5 * 365 * 86400, -3600])
def test_a_correctly_signed_post_with_a_stale_timestamp_is_refused(harness: Harness, age_s: int) -> None:
    plain = xmltodict.unparse({"xml": harness.sim.text("o_replay", "你好")}, full_document=False).encode()
    query = harness.sim.signed_query(timestamp=str(int(time.time()) - age_s))
    assert harness.sim.post_raw(plain, query).status_code == 403
    assert harness.dialog.turns == []
