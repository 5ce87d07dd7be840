"""Message types and events: what reaches the dialogue, and the fixed answers."""

from __future__ import annotations

from connectors.wechat.handler import (
    CONSULT_PROMPT,
    PROGRESS_QUERY_TEXT,
    REPORT_PROMPT,
    UNKNOWN_MENU,
    UNSUPPORTED,
    VOICE_UNRECOGNISED,
)
from tests.connectors.wechat.conftest import Harness

OPENID = "oCitizen_messages_000000001"


def test_voice_uses_wechats_recognition(harness: Harness) -> None:
    fields = harness.sim.fields(OPENID, "voice", MediaId="m1", Format="amr", Recognition="小区门口路灯坏了")
    assert harness.sim.send(fields).reply == "收到：小区门口路灯坏了"
    assert harness.dialog.turns[0].text == "小区门口路灯坏了"


def test_voice_without_recognition_asks_for_text(harness: Harness) -> None:
    fields = harness.sim.fields(OPENID, "voice", MediaId="m1", Format="amr")
    assert harness.sim.send(fields).reply == VOICE_UNRECOGNISED
    assert harness.dialog.turns == []


def test_location_fills_coordinates_and_label(harness: Harness) -> None:
    fields = harness.sim.fields(OPENID, "location", Location_X="39.915119", Location_Y="116.403963",
                                Scale="16", Label="北京市东城区东长安街")
    harness.sim.send(fields)
    turn = harness.dialog.turns[0]
    assert turn.location is not None
    assert (turn.location.latitude, turn.location.longitude) == (39.915119, 116.403963)
    assert turn.location.raw == "北京市东城区东长安街"


def test_location_with_impossible_coordinates_is_answered_not_crashed(harness: Harness) -> None:
    fields = harness.sim.fields(OPENID, "location", Location_X="north", Location_Y="116.4", Label="x")
    delivery = harness.sim.send(fields)
    assert delivery.status == 200 and "位置" in (delivery.reply or "")


def test_image_becomes_an_attachment(harness: Harness) -> None:
    fields = harness.sim.fields(OPENID, "image", PicUrl="http://mmbiz.qpic.cn/abc", MediaId="media-1")
    harness.sim.send(fields)
    [attachment] = harness.dialog.turns[0].attachments
    assert (attachment.kind, attachment.url, attachment.media_id) == ("image", "http://mmbiz.qpic.cn/abc", "media-1")


def test_link_becomes_an_attachment(harness: Harness) -> None:
    fields = harness.sim.fields(OPENID, "link", Title="占道经营的报道", Description="d", Url="https://example.org/a")
    harness.sim.send(fields)
    [attachment] = harness.dialog.turns[0].attachments
    assert (attachment.kind, attachment.title, attachment.url) == ("link", "占道经营的报道", "https://example.org/a")


def test_subscribe_welcomes_with_what_the_bot_does(harness: Harness) -> None:
    reply = harness.sim.send(harness.sim.event(OPENID, "subscribe")).reply or ""
    assert "欢迎关注" in reply and "政策咨询" in reply and "进度查询" in reply
    assert harness.dialog.turns == []


def test_unsubscribe_gets_success(harness: Harness) -> None:
    delivery = harness.sim.send(harness.sim.event(OPENID, "unsubscribe"))
    assert (delivery.status, delivery.body, delivery.reply) == (200, "success", None)


def test_menu_clicks(harness: Harness) -> None:
    sim = harness.sim
    assert sim.send(sim.event(OPENID, "CLICK", "MENU_CONSULT")).reply == CONSULT_PROMPT
    assert sim.send(sim.event(OPENID, "CLICK", "MENU_REPORT", create_time=1700000001)).reply == REPORT_PROMPT
    assert sim.send(sim.event(OPENID, "CLICK", "MENU_PROGRESS", create_time=1700000002)).reply == \
        f"收到：{PROGRESS_QUERY_TEXT}"
    assert sim.send(sim.event(OPENID, "CLICK", "SOMETHING_ELSE", create_time=1700000003)).reply == UNKNOWN_MENU
    assert [t.text for t in harness.dialog.turns] == [PROGRESS_QUERY_TEXT]


def test_unknown_and_unsupported_types_get_a_polite_answer(harness: Harness) -> None:
    sim = harness.sim
    assert sim.send(sim.fields(OPENID, "hologram", Payload="x")).reply == UNSUPPORTED
    assert sim.send(sim.fields(OPENID, "video", MediaId="v", ThumbMediaId="t")).reply == UNSUPPORTED
    assert harness.dialog.turns == []


def test_background_events_are_acknowledged_silently(harness: Harness) -> None:
    sim = harness.sim
    for event in ("VIEW", "LOCATION", "TEMPLATESENDJOBFINISH", "something_new"):
        delivery = sim.send(sim.event(OPENID, event, "x"))
        assert (delivery.status, delivery.body) == (200, "success")


def test_empty_and_oversized_text(harness: Harness) -> None:
    sim = harness.sim
    assert "请输入" in (sim.send(sim.text(OPENID, "   ")).reply or "")
    long = "噪音" * 3000
    assert "消息过长" in (sim.send(sim.text(OPENID, long)).reply or "")
    assert harness.dialog.turns == []
