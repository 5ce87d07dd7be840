"""The agent desk in a real browser, two people at once: a citizen asks for a person in one browser context,
an agent signed in to /agent in another sees it pushed into the queue, takes it, replies and hands it back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot import auth
from bot.store.db import session_scope
from connectors.runtime import Runtime
from tests.connectors.web.test_conversation_pages import _last_bot, _turn
from tests.connectors.web.test_pages import (  # noqa: F401 - fixtures are used by name
    CHROMIUM,
    SLOW_MS,
    _add_user,
    _sign_in,
    browser,
    page,
    server,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (browsers are never downloaded)"),
]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def agent_page(browser, server: str) -> Iterator:  # noqa: ANN001, F811
    """A second person's browser: its own cookies, and a UTC clock, so Beijing time on the page is not luck."""
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 1000}, locale="zh-CN",
                                  timezone_id="UTC")
    context.set_default_timeout(15_000)
    agent = context.new_page()
    errors: list[str] = []
    agent.on("pageerror", lambda exc: errors.append(str(exc)))
    yield agent
    context.close()
    assert not errors, f"JavaScript errors on the agent page: {errors}"


def test_an_agent_takes_over_a_citizen_replies_and_hands_back(page, agent_page, runtime: Runtime) -> None:  # noqa: ANN001, F811
    _add_user(runtime, "xiaoli", "agent", "agent-pass-1")
    _sign_in(agent_page, "xiaoli", "agent-pass-1")
    agent_page.wait_for_url("**/agent")
    expect(agent_page.locator("#live-status")).to_have_attribute("data-live", "on")
    expect(agent_page.locator("#handoff .empty")).to_be_visible()

    page.goto("/")
    _turn(page, "跟机器说不清楚，帮我找个真人客服吧")
    banner = page.locator("#handoff")
    expect(banner).to_contain_text("第 1 位", timeout=SLOW_MS)

    # Pushed to the desk: no reload, no refresh button.
    item = agent_page.locator("#handoff li[data-status=queued]")
    expect(item).to_have_count(1, timeout=SLOW_MS)
    expect(item.locator(".reason")).to_have_text("市民要求转人工")
    expect(item).to_contain_text("已等待")
    expect(item).to_contain_text("真人客服")
    session_id = item.get_attribute("data-session-id")
    item.locator("button.take").click()

    expect(agent_page.locator("#conv-holder")).to_have_text("由我处理中")
    expect(agent_page.locator("#handoff li[data-status=with_agent] .holder")).to_have_text("由我处理中")
    expect(banner).to_contain_text("人工客服正在为您服务", timeout=SLOW_MS)

    # The bot stays quiet while the agent holds the session; the citizen's words reach the agent.
    page.fill("#chat-input", "我家楼下的路灯坏了好几天了")
    page.press("#chat-input", "Enter")
    expect(agent_page.locator("#conv .msg.user").last).to_contain_text("路灯坏了", timeout=SLOW_MS)

    agent_page.fill("#conv-text", "您好，我是人工客服小李，请告诉我路灯的具体位置。")
    agent_page.click("#conv-form button[type=submit]")
    expect(agent_page.locator("#conv .msg.agent").last).to_contain_text("人工客服小李")
    expect(page.locator(".msg.agent").last).to_contain_text("请告诉我路灯的具体位置", timeout=SLOW_MS)
    assert "路灯" not in (_last_bot(page).inner_text())  # no bot answer to the citizen's line

    # Times on the desk are Beijing time although this browser runs on UTC.
    conv = agent_page.request.get(f"/api/agent/sessions/{session_id}").json()
    first = datetime.fromisoformat(conv["messages"][0]["created_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    expect(agent_page.locator("#conv .msg .sender").first).to_contain_text(first.strftime("%Y-%m-%d %H:%M"))

    agent_page.click("#conv-release")
    expect(agent_page.locator("#conv-flash")).to_contain_text("已交回智能助手")
    expect(page.locator(".msg.bot").last).to_contain_text("智能助手继续为您服务", timeout=SLOW_MS)
    expect(banner).to_be_hidden()
    expect(agent_page.locator("#handoff li[data-status]")).to_have_count(0)
    expect(agent_page.locator("#conv-form")).to_be_hidden()
    expect(agent_page.locator("#conv-holder")).to_have_text(re.compile("智能助手服务中"))


def test_an_emergency_in_another_agents_call_is_pushed_to_the_desk_with_the_call_and_agent(
        agent_page, server: str, runtime: Runtime) -> None:  # noqa: ANN001, F811
    _add_user(runtime, "xiaowang", "agent", "agent-pass-2")
    _sign_in(agent_page, "xiaowang", "agent-pass-2")
    agent_page.wait_for_url("**/agent")
    expect(agent_page.locator("#live-status")).to_have_attribute("data-live", "on")
    expect(agent_page.locator("#alerts .empty")).to_be_visible()

    with session_scope(runtime.db_url) as db:
        li = {"Authorization": f"Bearer {auth.create_token(db, role='agent', name='坐席小李')}"}
    with httpx.Client(base_url=server, headers=li, timeout=120) as other_agent:  # the first turn loads triage
        call_id = other_agent.post("/api/agent/calls").json()["call_id"]
        res = other_agent.post(f"/api/agent/calls/{call_id}/turns", json={"text": "楼道里闻到很浓的煤气味，邻居家好像没人"})
    assert res.status_code == 200 and res.json()["alert"]

    item = agent_page.locator("#alerts li.ticket")
    expect(item).to_have_count(1, timeout=SLOW_MS)
    expect(item.locator(".alert-source")).to_contain_text(f"来电 {call_id}（坐席 坐席小李）")
    expect(item).to_contain_text("煤气")
    expect(item.locator("button")).to_have_count(0)  # a call has no chat transcript to open
