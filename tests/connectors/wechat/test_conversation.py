"""The citizen's conversation over WeChat's protocol, against the local WeChat stand-in and the real product:
a policy answer, a correction of one field, a status question mid-draft, an earlier matter's progress asked
for mid-draft and then a cancel that drops the draft, handoff with agent messages pushed as customer-service
messages, and a resolved ticket announced by push and rated in chat."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot import auth
from bot.config import Settings
from bot.dialog.state import SessionState
from bot.dialog.tracking import session_tickets
from bot.models import Turn
from bot.store.db import session_scope
from bot.store.tables import ChatSession
from bot.tickets.lifecycle import add_note, transition
from bot.tickets.models import TicketStatus
from bot.tickets.service import find_ticket
from connectors.app import create_app
from connectors.runtime import Runtime
from tests.connectors.wechat.sim import WeChatSim
from tests.connectors.wechat.test_end_to_end import _awaiting, _ticket_no
from tests.fakes.wechat_api import APPID, FakeWeChatApi

OPENID = "oCitizen_conversation_00000001"
SESSION = f"wechat:{OPENID}"


@pytest.fixture
def product(wechat_env: Settings, runtime: Runtime) -> Iterator[tuple[TestClient, WeChatSim, Runtime]]:
    """The product on the sample knowledge base, behind the WeChat route in safe mode."""
    # Load the offline engine's models first: a cold start is slower than WeChat's five seconds.
    runtime.dialog.handle(Turn(session_id="warm-up", text="供暖期是什么时候？我要投诉楼下烧烤店太吵", channel="web"))
    with TestClient(create_app(runtime)) as client:
        yield client, WeChatSim(client, appid=APPID, mode="safe"), runtime
    runtime.wechat.close()


def _say(sim: WeChatSim, text: str) -> str:
    delivery = sim.send(sim.text(OPENID, text))
    assert delivery.status == 200, delivery.body
    assert delivery.reply is not None, "expected a passive reply within the budget"
    return delivery.reply


def _pump_until(runtime: Runtime, api: FakeWeChatApi, pattern: str, *, timeout: float = 20) -> str:
    """Run the delivery worker until a pushed text to the citizen matches `pattern`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for text in api.texts(OPENID):
            if re.search(pattern, text):
                return text
        runtime.worker.run_once()
        time.sleep(0.1)
    raise AssertionError(f"no push matching {pattern!r}; sent: {api.texts(OPENID)}")


def test_a_policy_question_is_answered_with_its_source(product) -> None:
    _client, sim, _runtime = product
    reply = _say(sim, "供暖期是什么时候？")
    assert "11月15日" in reply


def test_correction_and_status_question_mid_draft_keep_the_draft(product) -> None:
    _client, sim, runtime = product
    asked = _say(sim, "路灯坏了一个多月了，晚上走路很不安全")
    assert _awaiting(runtime, SESSION) == "location", asked
    status = _say(sim, "我之前反映的事情现在办到哪了？")
    assert "工单" in status and "手机号码" not in status
    assert _awaiting(runtime, SESSION) == "location"

    _say(sim, "朝阳区望京街道花家地西里3号楼门口")
    if _awaiting(runtime, SESSION) == "contact_phone":
        _say(sim, "13812345678")
    assert _awaiting(runtime, SESSION) == "confirmation"
    readback = _say(sim, "门牌号是5号楼")
    assert "花家地西里5号楼" in readback and "望京" in readback and "路灯" in readback
    confirmed = _say(sim, "确认")
    ticket_no = _ticket_no(confirmed)
    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, ticket_no)
        assert row is not None and row.channel == "wechat"
        assert row.payload["location"]["district"] == "朝阳区"
        assert "花家地西里5号楼" in row.payload["location"]["raw"]


def test_mid_draft_an_earlier_matter_s_progress_is_answered_then_a_cancel_drops_the_draft(product) -> None:
    _client, sim, runtime = product
    _say(sim, "朝阳区望京街道花家地西里3号楼楼下的烧烤店每天凌晨还在营业，油烟太大，电话13812345678")
    if _awaiting(runtime, SESSION) == "contact_phone":
        _say(sim, "13812345678")
    assert _awaiting(runtime, SESSION) == "confirmation"
    earlier = _ticket_no(_say(sim, "确认"))
    # A note from the unit, not a status change: the delivery worker may be dispatching the ticket meanwhile.
    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, earlier)
        assert row is not None
        add_note(db, row, "望京街道已安排人员夜间核查油烟", actor="unit")

    _say(sim, "路灯坏了一个多月了，晚上走路很不安全")
    assert _awaiting(runtime, SESSION) == "location"
    progress = _say(sim, "我上次反映的事现在怎么样了")
    # The earlier ticket's own timeline, then the draft's pending question again.
    assert f"工单 {earlier} 的办理进度" in progress, progress
    assert "望京街道已安排人员夜间核查油烟" in progress
    assert "请问问题发生在哪里" in progress and "已取消" not in progress
    assert _awaiting(runtime, SESSION) == "location"
    _say(sim, "海淀区学院路街道学院路20号院东门")
    assert _awaiting(runtime, SESSION) in ("contact_phone", "confirmation")

    cancelled = _say(sim, "算了，不要了")
    assert "已取消本次登记，没有提交工单" in cancelled
    assert _awaiting(runtime, SESSION) is None
    with session_scope(runtime.db_url) as db:
        assert [r.ticket_no for r in session_tickets(db, SESSION)] == [earlier]
        chat = db.get(ChatSession, SESSION)
        assert chat is not None and SessionState.load(chat.state).draft is None
    # Nothing is left to confirm: a later "确认" files nothing.
    _say(sim, "确认")
    with session_scope(runtime.db_url) as db:
        assert [r.ticket_no for r in session_tickets(db, SESSION)] == [earlier]


def test_handoff_pushes_the_agents_messages_and_the_hand_back(product, wechat_api: FakeWeChatApi) -> None:
    client, sim, runtime = product
    queued = _say(sim, "你们这个机器人听不懂，我要找人工")
    assert "第 1 位" in queued
    with session_scope(runtime.db_url) as db:
        staff = {"Authorization": f"Bearer {auth.create_token(db, role='agent', name='坐席小张')}"}
    assert client.post(f"/api/agent/sessions/{SESSION}/take", headers=staff).status_code == 200
    _pump_until(runtime, wechat_api, "人工客服.*已接入")

    # While the agent holds the session the bot says nothing: WeChat gets the empty "success".
    held = sim.send(sim.text(OPENID, "我家楼下的垃圾站太臭了"))
    assert held.status == 200 and held.reply is None and held.body == "success"
    res = client.post(f"/api/agent/sessions/{SESSION}/messages", json={"text": "请问垃圾站在哪个小区？"}, headers=staff)
    assert res.status_code == 200
    _pump_until(runtime, wechat_api, "请问垃圾站在哪个小区")

    assert client.post(f"/api/agent/sessions/{SESSION}/release", headers=staff).status_code == 200
    _pump_until(runtime, wechat_api, "智能助手继续为您服务")
    assert _say(sim, "供暖期是什么时候？")


def test_a_resolved_ticket_is_announced_and_rated_in_chat(product, wechat_api: FakeWeChatApi) -> None:
    _client, sim, runtime = product
    _say(sim, "海淀区中关村街道中关村南大街5号院门口的井盖丢了，电话13900001111")
    if _awaiting(runtime, SESSION) != "confirmation":
        _say(sim, "13900001111")
    confirmed = _say(sim, "确认")
    ticket_no = _ticket_no(confirmed)
    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, ticket_no)
        assert row is not None
        for status in (TicketStatus.DISPATCHED, TicketStatus.RESOLVED):
            transition(db, row, status, actor="test", note="已补装井盖")
    notice = _pump_until(runtime, wechat_api, f"{ticket_no}.*办结")
    assert "评价" in notice

    rated = _say(sim, "不太满意，井盖是装了但是不平，车过去咣咣响")
    assert ticket_no in rated and "不满意" in rated
    # The delivery worker may already have sent the reopened ticket back to its unit (status "dispatched"),
    # so the citizen's reopening is asserted in the history, not as the current status.
    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, ticket_no)
        assert row is not None
        reopenings = [e for e in row.events if e.status == TicketStatus.REOPENED]
        assert [(e.actor, "不满意" in (e.note or "")) for e in reopenings] == [("citizen", True)]
        assert row.status in (TicketStatus.REOPENED, TicketStatus.DISPATCHED)
