"""The citizen's whole conversation on the page, in a real browser against the real app: a streamed answer,
a correction of one part of one field, a status question in the middle of a draft (answered with an earlier
ticket's progress, the draft kept) and a cancel that drops it, handoff to a person and back, and rating a
resolved ticket from its card."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import auth
from bot.dialog.state import SessionState
from bot.dialog.tracking import session_tickets
from bot.models import Turn
from bot.store.db import session_scope
from bot.store.tables import ChatSession
from bot.tickets.lifecycle import transition
from bot.tickets.models import TicketStatus
from bot.tickets.service import find_ticket
from connectors.runtime import Runtime
from tests.connectors.web.test_pages import (  # noqa: F401 - fixtures are used by name
    CHROMIUM,
    SLOW_MS,
    _say,
    browser,
    page,
    server,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (browsers are never downloaded)"),
]

expect = pytest.importorskip("playwright.sync_api").expect


def _turn(page, text: str) -> None:  # noqa: ANN001, F811
    """Send one message and wait until its reply has finished streaming."""
    _say(page, text)
    expect(page.locator("#messages .msg.streaming")).to_have_count(0, timeout=SLOW_MS)


def _last_bot(page):  # noqa: ANN001, ANN202, F811
    return page.locator(".msg.bot").last


def _file_until_confirmation(page, complaint: str, phone: str = "13812345678") -> None:  # noqa: ANN001, F811
    """Tell a complaint that carries its place; give the phone when asked; stop at the read-back."""
    _turn(page, complaint)
    hint = page.locator("#hint")
    expect(hint).to_have_attribute("data-awaiting", re.compile("contact_phone|confirmation"), timeout=SLOW_MS)
    if hint.get_attribute("data-awaiting") == "contact_phone":
        _turn(page, phone)
    expect(hint).to_have_attribute("data-awaiting", "confirmation", timeout=SLOW_MS)


def test_an_answer_streams_in_pieces_and_its_source_opens_in_place(page) -> None:  # noqa: ANN001, F811
    # Record every text the live reply shows while it streams, before the finished message replaces it.
    page.add_init_script("""
      window.__streamed = [];
      new MutationObserver(() => {
        const live = document.querySelector('.msg.streaming .text');
        if (live && live.textContent && live.textContent !== '正在回复…'
            && window.__streamed[window.__streamed.length - 1] !== live.textContent) {
          window.__streamed.push(live.textContent);
        }
      }).observe(document, { subtree: true, childList: true, characterData: true });
    """)
    page.goto("/")
    _turn(page, "供暖期是什么时候？")
    answer = _last_bot(page)
    expect(answer).to_contain_text("11月15日", timeout=SLOW_MS)
    expect(answer).not_to_have_class(re.compile("streaming"))
    streamed = page.evaluate("window.__streamed")
    assert len(streamed) >= 2, streamed  # the reply grew piece by piece
    assert all(later.startswith(earlier) for earlier, later in zip(streamed, streamed[1:], strict=False))
    source = answer.locator(".citation").first
    source.locator("button.cite-open").click()
    expect(source.locator(".passage-text")).to_contain_text("11月15日")


def test_a_correction_changes_one_part_and_keeps_the_rest(page, runtime: Runtime) -> None:  # noqa: ANN001, F811
    page.goto("/")
    _file_until_confirmation(page, "朝阳区望京街道花家地西里3号楼楼下的烧烤店每天凌晨还在营业，油烟太大")
    _turn(page, "门牌号说错了，是5号楼")
    readback = _last_bot(page)
    expect(readback).to_contain_text("花家地西里5号楼", timeout=SLOW_MS)
    expect(readback).to_contain_text("望京")
    expect(readback).to_contain_text("烧烤")
    page.click("#quick button:text-is('确认')")
    ticket_no = page.locator(".ticket-card .ticket-no").last
    expect(ticket_no).to_have_text(re.compile(r"^\d{6,}$"), timeout=SLOW_MS)
    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, ticket_no.inner_text())
        assert row is not None
        location = row.payload["location"]
        assert location["district"] == "朝阳区" and "望京" in (location["street"] or "")
        assert "花家地西里5号楼" in location["raw"]


def test_a_status_question_mid_draft_is_answered_and_the_draft_is_kept(page) -> None:  # noqa: ANN001, F811
    page.goto("/")
    _turn(page, "路灯坏了一个多月了，晚上走路很不安全")
    hint = page.locator("#hint")
    expect(hint).to_have_attribute("data-awaiting", "location", timeout=SLOW_MS)
    _turn(page, "对了，我之前反映的事情现在办到哪了？")
    reply = _last_bot(page)
    expect(reply).to_contain_text("工单", timeout=SLOW_MS)
    expect(reply).not_to_contain_text("手机号码")
    expect(hint).to_have_attribute("data-awaiting", "location")
    _turn(page, "海淀区学院路街道学院路20号院东门")
    expect(hint).to_have_attribute("data-awaiting", re.compile("contact_phone|confirmation"), timeout=SLOW_MS)


def test_mid_draft_an_earlier_matter_s_progress_is_shown_then_a_cancel_drops_the_draft(  # noqa: F811
        page, runtime: Runtime) -> None:  # noqa: ANN001
    # Fit triage and the dialogue acts first: on a busy machine a cold first turn outlasts the page's wait.
    runtime.dialog.handle(Turn(session_id="warm-up", text="我要投诉楼下烧烤店太吵", channel="web"))
    page.goto("/")
    _file_until_confirmation(page, "朝阳区望京街道花家地西里3号楼楼下的烧烤店每天凌晨还在营业，油烟太大")
    page.click("#quick button:text-is('确认')")
    card_no = page.locator(".ticket-card .ticket-no").last
    expect(card_no).to_have_text(re.compile(r"^\d{6,}$"), timeout=SLOW_MS)
    earlier = card_no.inner_text()
    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, earlier)
        assert row is not None
        transition(db, row, TicketStatus.DISPATCHED, actor="test", note="已转望京街道核查油烟")

    hint = page.locator("#hint")
    _turn(page, "路灯坏了一个多月了，晚上走路很不安全")
    expect(hint).to_have_attribute("data-awaiting", "location", timeout=SLOW_MS)
    _turn(page, "我上次反映的事现在怎么样了")
    progress = _last_bot(page)
    # The earlier ticket's own timeline, then the draft's pending question again.
    expect(progress).to_contain_text(f"工单 {earlier} 的办理进度", timeout=SLOW_MS)
    expect(progress).to_contain_text("已转望京街道核查油烟")
    expect(progress).to_contain_text("请问问题发生在哪里")
    expect(progress).not_to_contain_text("已取消")
    expect(hint).to_have_attribute("data-awaiting", "location")
    # The draft was kept: the place given next completes it rather than starting anything new.
    _turn(page, "海淀区学院路街道学院路20号院东门")
    expect(hint).to_have_attribute("data-awaiting", re.compile("contact_phone|confirmation"), timeout=SLOW_MS)

    _turn(page, "算了，不要了")
    expect(_last_bot(page)).to_contain_text("已取消本次登记，没有提交工单", timeout=SLOW_MS)
    expect(hint).to_be_hidden()
    expect(page.locator(".ticket-card")).to_have_count(1)
    session_id = page.evaluate("localStorage.getItem('hotline.session_id')")
    with session_scope(runtime.db_url) as db:
        assert [r.ticket_no for r in session_tickets(db, session_id)] == [earlier]
        chat = db.get(ChatSession, session_id)
        assert chat is not None
        state = SessionState.load(chat.state)
        assert state.draft is None and state.awaiting is None
    # A reload restores the page without a pending draft.
    page.reload()
    expect(_last_bot(page)).to_contain_text("已取消本次登记")
    expect(hint).to_be_hidden()


def test_handoff_shows_the_queue_place_then_the_agent_replies_and_hands_back(page, runtime: Runtime) -> None:  # noqa: ANN001, F811
    with session_scope(runtime.db_url) as db:
        token = auth.create_token(db, role="agent", name="坐席小李")
    staff = {"Authorization": f"Bearer {token}"}
    page.goto("/")
    _turn(page, "跟机器说不清楚，帮我找个真人客服吧")
    banner = page.locator("#handoff")
    expect(banner).to_be_visible(timeout=SLOW_MS)
    expect(banner).to_contain_text("第 1 位")
    expect(_last_bot(page)).to_contain_text("12345")

    queue = page.request.get("/api/agent/handoff", headers=staff).json()["sessions"]
    assert len(queue) == 1
    session_id = queue[0]["session_id"]
    assert page.request.post(f"/api/agent/sessions/{session_id}/take", headers=staff).ok
    expect(banner).to_contain_text("人工客服正在为您服务", timeout=15_000)
    assert page.request.post(f"/api/agent/sessions/{session_id}/messages", headers=staff,
                             data={"text": "您好，我是人工客服小李，请问您遇到了什么问题？"}).ok
    expect(page.locator(".msg.agent").last).to_contain_text("人工客服小李", timeout=15_000)

    assert page.request.post(f"/api/agent/sessions/{session_id}/release", headers=staff).ok
    expect(page.locator(".msg.bot").last).to_contain_text("智能助手继续为您服务", timeout=15_000)
    expect(banner).to_be_hidden()


def test_a_resolved_ticket_is_rated_from_its_card(page, runtime: Runtime) -> None:  # noqa: ANN001, F811
    page.goto("/")
    _file_until_confirmation(page, "海淀区中关村街道中关村南大街5号院门口的井盖丢了，很危险", phone="13900001111")
    page.click("#quick button:text-is('确认')")
    card = page.locator(".ticket-card").last
    ticket_no = card.locator(".ticket-no")
    expect(ticket_no).to_have_text(re.compile(r"^\d{6,}$"), timeout=SLOW_MS)
    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, ticket_no.inner_text())
        assert row is not None
        for status in (TicketStatus.DISPATCHED, TicketStatus.RESOLVED):
            transition(db, row, status, actor="test", note="井盖已补装" if status == TicketStatus.RESOLVED else None)

    card.locator("button.card-refresh").click()
    expect(card.locator(".timeline li").last).to_contain_text("井盖已补装")
    card.locator(".rate-comment").fill("处理得很快")
    card.locator("button.rate:text-is('满意')").click()
    expect(card.locator(".rated")).to_contain_text("满意")
    expect(page.locator(".msg.system").last).to_contain_text("感谢您的评价")
    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, ticket_no.inner_text())
        assert row is not None and row.status == TicketStatus.CLOSED
