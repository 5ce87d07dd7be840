"""The agent desk and the analytics dashboard in a real browser against the real app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.store.db import session_scope
from bot.tickets.service import submit_ticket
from connectors.runtime import Runtime
from tests.bot.dispatch.factories import make_ticket
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


def test_agent_uses_call_assist_and_admin_sees_the_dashboard(page, runtime: Runtime) -> None:  # noqa: ANN001, F811
    _add_user(runtime, "坐席小王", "agent", "agent-pass-1")
    _add_user(runtime, "分析员", "admin", "admin-pass-1")
    with session_scope(runtime.db_url) as db:
        submit_ticket(db, make_ticket(), session_id=None)
        submit_ticket(db, make_ticket(l1="环境保护", l2="噪声污染", district="海淀区", street="中关村街道",
                                      raw="中关村大街1号", summary="工地夜间施工噪音扰民"), session_id=None)

    for text in ("你好", "我要转人工，电话13812345678"):
        assert page.request.post("/api/chat", data={"session_id": "web-call-1", "text": text},
                                 timeout=SLOW_MS).ok

    _sign_in(page, "坐席小王", "agent-pass-1")
    page.wait_for_url("**/agent")
    expect(page.locator("#assist-title")).to_have_text("通话辅助")
    waiting = page.locator("#handoff li[data-session-id=web-call-1]")
    expect(waiting).to_contain_text("市民要求转人工", timeout=SLOW_MS)
    expect(waiting).to_contain_text("138****5678")
    expect(page.locator("#sessions li[data-session-id=web-call-1]")).to_be_visible()
    waiting.get_by_role("button", name="查看会话").click()
    expect(page.locator("#conv .msg.user").last).to_contain_text("我要转人工")
    # The agent may not open the dashboard.
    assert page.goto("/dashboard").status == 403
    page.goto("/agent")

    page.fill("#assist-text", "供暖期是什么时候？")
    page.click("#assist-form button[type=submit]")
    expect(page.locator("#assist-reply")).to_contain_text("11月15日", timeout=SLOW_MS)
    expect(page.locator("#assist-grounded")).to_have_text("有据可依")
    expect(page.locator("#assist-citations .citation").first).to_contain_text("winter-heating")

    page.fill("#assist-text", "朝阳区望京街道楼下烧烤店天天半夜扰民，我电话13812345678<b>x</b>")
    page.click("#assist-form button[type=submit]")
    draft = page.locator("#assist-draft")
    expect(draft).to_contain_text("13812345678", timeout=SLOW_MS)
    expect(draft).to_contain_text("朝阳区")
    assert page.locator("#assist-result b").count() == 0

    page.click("form[action='/logout'] button[type=submit]")
    _sign_in(page, "分析员", "admin-pass-1")
    page.wait_for_url("**/admin")
    page.goto("/dashboard")
    expect(page.locator(".tile[data-key=tickets] .tile-value")).to_have_text("2")
    expect(page.locator(".tile[data-key=share]")).to_contain_text("直接答复率")
    expect(page.locator(".tile[data-key=used]")).to_contain_text("原样采用")
    expect(page.locator(".tile[data-key=suggestions] .tile-value")).to_have_text("0")
    expect(page.locator("#trend-chart svg rect")).to_have_count(1)
    expect(page.locator("#hot-table tbody tr")).to_have_count(2)
    expect(page.locator("#hot-table")).to_contain_text("中关村街道")
    # The 四高 section: five lists for the last seven days, and the report download for the same period.
    expect(page.locator("#fourhigh-lists h3")).to_have_count(5, timeout=SLOW_MS)
    expect(page.locator("#report-zip")).to_have_attribute("href", re.compile(r"/api/analytics/report\.zip\?from="))
