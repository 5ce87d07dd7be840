"""The real product through WeChat's protocol, in safe mode: a complaint from the first message to a
confirmed ticket and a pushed status update; and a slow LLM answered by push."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.config import Settings, get_settings
from bot.store.db import session_scope
from bot.tickets.lifecycle import transition
from bot.tickets.models import TicketStatus
from bot.tickets.service import find_ticket
from connectors.app import create_app
from connectors.runtime import Runtime
from connectors.wechat.handler import PROGRESS_QUERY_TEXT
from tests.connectors.wechat.sim import Delivery, WeChatSim
from tests.fakes.openai_server import Delay, FakeOpenAIServer, Text, fake_openai  # noqa: F401  (fixture)
from tests.fakes.wechat_api import APPID, FakeWeChatApi

OPENID = "oCitizen_e2e_000000000000001"
# Answers for whatever slot the dialogue asks for next.
SLOT_ANSWERS = {
    "description": "烧烤店油烟很大，每天凌晨两点还很吵",
    "occurred_at": "每天晚上十点到凌晨两点",
    "contact_phone": "我的电话是13812345678",
    "contact_name": "我姓王",
}


@pytest.fixture
def product(wechat_env: Settings) -> Iterator[tuple[TestClient, WeChatSim, Runtime]]:
    """The whole product (real dialogue, offline engine) behind the WeChat route."""
    runtime = Runtime(get_settings())
    _warm(runtime)
    with TestClient(create_app(runtime)) as client:
        yield client, WeChatSim(client, appid=APPID, mode="safe"), runtime
    runtime.wechat.close()


def _say(sim: WeChatSim, fields: dict) -> Delivery:
    delivery = sim.send(fields)
    assert delivery.status == 200, delivery.body
    assert delivery.reply, "expected a passive reply within the budget"
    return delivery


def test_full_complaint_then_status_push(product, wechat_api: FakeWeChatApi) -> None:
    client, sim, runtime = product
    welcome = _say(sim, sim.event(OPENID, "subscribe"))
    assert "欢迎关注" in (welcome.reply or "")

    _say(sim, sim.text(OPENID, "我要投诉，楼下烧烤店每天凌晨两点还在营业，油烟和噪音太扰民了"))
    located = _say(sim, sim.fields(OPENID, "location", Location_X="39.9219", Location_Y="116.4436", Scale="16",
                                   Label="北京市朝阳区三里屯路19号"))
    assert "位置" in (located.reply or "")
    pictured = _say(sim, sim.fields(OPENID, "image", PicUrl="http://mmbiz.qpic.cn/e2e/1", MediaId="media-e2e"))
    assert "附件" in (pictured.reply or "")

    # Answer whatever is still missing until the read-back, then confirm.
    session_id = f"wechat:{OPENID}"
    for _ in range(6):
        awaiting = _awaiting(runtime, session_id)
        if awaiting in (None, "confirmation"):
            break
        _say(sim, sim.text(OPENID, SLOT_ANSWERS.get(awaiting, "好的")))
    assert _awaiting(runtime, session_id) == "confirmation"
    confirmed = _say(sim, sim.text(OPENID, "确认提交"))
    assert "工单号" in (confirmed.reply or "")
    ticket_no = _ticket_no(confirmed.reply or "")

    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, ticket_no)
        assert row is not None and row.channel == "wechat" and row.session_id == session_id
        payload = row.payload
        assert payload["location"]["latitude"] == pytest.approx(39.9219)
        assert payload["location"]["longitude"] == pytest.approx(116.4436)
        assert any(a["media_id"] == "media-e2e" for a in payload["attachments"])

    # A photo sent after submitting goes onto the open ticket.
    later = _say(sim, sim.fields(OPENID, "image", PicUrl="http://mmbiz.qpic.cn/e2e/2", MediaId="media-later"))
    assert ticket_no in (later.reply or "")
    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, ticket_no)
        assert row is not None
        assert [a["media_id"] for a in row.payload["attachments"]] == ["media-e2e", "media-later"]

    # A unit accepts the ticket; the delivery worker tells the citizen through WeChat.
    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, ticket_no)
        assert row is not None
        if row.status == TicketStatus.SUBMITTED:
            transition(db, row, TicketStatus.DISPATCHED, actor="test")
        transition(db, row, TicketStatus.ACCEPTED, actor="unit", note="已安排执法队员核查")
    before = len(wechat_api.sent)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any("已受理" in t for t in wechat_api.texts(OPENID)):
        runtime.worker.run_once()
        time.sleep(0.1)
    notices = [t for t in wechat_api.texts(OPENID) if ticket_no in t]
    assert any("已受理" in t for t in notices), wechat_api.sent[before:]

    progress = _say(sim, sim.event(OPENID, "CLICK", "MENU_PROGRESS"))
    assert ticket_no in (progress.reply or "")


def test_slow_llm_answers_success_then_pushes_once(wechat_env: Settings, fake_openai: FakeOpenAIServer,  # noqa: F811
                                                   wechat_api: FakeWeChatApi, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("HOTLINE_WECHAT_REPLY_BUDGET", "1.0")
    get_settings.cache_clear()
    runtime = Runtime(get_settings())
    _warm(runtime)
    warm_calls = fake_openai.request_count
    # From now on every model call is slow, whatever the dialogue asks of it.
    fake_openai.enqueue(*[Delay(3.0) for _ in range(20)])
    with TestClient(create_app(runtime)) as client:
        sim = WeChatSim(client, appid=APPID, mode="safe")
        fields = sim.text(OPENID, "我要投诉，海淀区中关村街道科学院南路的路灯坏了一个多月了")
        first = sim.send(fields)
        # The passive reply came back within the 1 s budget while the model was still thinking (3 s a call):
        # nothing had been pushed yet.
        assert (first.status, first.body) == (200, "success")
        assert wechat_api.sent == []
        retry = sim.send(fields)  # even if WeChat delivers it again, nothing runs twice
        assert retry.body == "success"
        [pushed] = wechat_api.wait_for(1, timeout=60)
        assert pushed.touser == OPENID
        assert pushed.content and "系统暂时繁忙" not in pushed.content
        time.sleep(0.5)
        assert len(wechat_api.sent) == 1
        assert fake_openai.request_count > warm_calls
        # The next message, with the model answering at once again, is a passive reply.
        fake_openai._steps.clear()
        follow = sim.send(sim.text(OPENID, "我的电话是13812345678"))
        assert follow.reply
    runtime.wechat.close()


def _warm(runtime: Runtime) -> None:
    """Load the offline engine's models first: a cold start is slower than WeChat's five seconds."""
    from bot.models import Turn

    runtime.dialog.handle(Turn(session_id="warm-up", text="我要投诉，朝阳区望京街道楼下烧烤店太吵", channel="web"))


def _awaiting(runtime: Runtime, session_id: str) -> str | None:
    from bot.store.tables import ChatSession

    with session_scope(runtime.db_url) as db:
        chat = db.get(ChatSession, session_id)
        return (chat.state or {}).get("awaiting") if chat else None


def _ticket_no(text: str) -> str:
    import re

    found = re.search(r"(?<!\d)\d{14}(?!\d)", text)
    assert found, text
    return found.group(0)


def test_progress_query_text_is_understood_as_a_status_query(product) -> None:
    client, sim, runtime = product
    reply = _say(sim, sim.text(OPENID, PROGRESS_QUERY_TEXT)).reply or ""
    assert "工单" in reply
