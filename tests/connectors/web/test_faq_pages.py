"""The knowledge loop in a real browser: an admin answers an unanswered group on /admin, and the next
similar question (other words) on the citizen chat is answered citing the new FAQ."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.runtime import Runtime
from tests.connectors.web.test_faq_loop import PASSPORT
from tests.connectors.web.test_pages import (  # noqa: F401 - fixtures are used by name
    CHROMIUM,
    SLOW_MS,
    _add_user,
    _say,
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


def test_admin_answers_a_group_and_the_next_question_is_answered_from_the_faq(page, runtime: Runtime) -> None:  # noqa: ANN001, F811
    for n, text in enumerate(["护照怎么办理？", "护照怎么办理"]):
        reply = page.request.post("/api/chat", data={"session_id": f"web-faq-{n}", "text": text}, timeout=SLOW_MS)
        assert reply.ok and "没有" in reply.json()["reply"]
    _add_user(runtime, "管理员乙", "admin", "admin-pass-1")
    _sign_in(page, "管理员乙", "admin-pass-1")
    page.wait_for_url("**/admin")
    group = page.locator("#unanswered li.group", has_text="护照")
    expect(group).to_contain_text("2 次", timeout=SLOW_MS)
    group.locator("textarea").fill(PASSPORT)
    group.locator("button:text-is('写入知识库')").click()
    expect(page.locator("#unanswered-flash")).to_contain_text("已写入知识库文档", timeout=SLOW_MS)
    expect(page.locator("#unanswered li.group", has_text="护照")).to_have_count(0)
    expect(page.locator("#docs-body tr[data-doc-id^='faq-']")).to_contain_text("护照")

    page.goto("/")
    _say(page, "办护照要交多少钱？")
    answer = page.locator(".msg.bot").last
    expect(answer).to_contain_text("120", timeout=SLOW_MS)
    expect(answer.locator(".citation").first).to_contain_text("护照")
