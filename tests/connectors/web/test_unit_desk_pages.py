"""The unit desk in a real browser: a progress note without a status change, resolving, and the ticket found
again in the unit's history (it no longer vanishes once resolved)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store.db import session_scope
from bot.tickets.service import find_ticket, submit_ticket
from connectors.runtime import Runtime
from tests.bot.dispatch.factories import make_ticket, open_session
from tests.connectors.web.test_pages import (  # noqa: F401 - fixtures are used by name
    CHROMIUM,
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


def test_a_unit_adds_progress_resolves_and_finds_the_ticket_in_its_history(page, runtime: Runtime) -> None:  # noqa: ANN001, F811
    _add_user(runtime, "haidian.cgzf", "unit", "unit-pass-1")
    open_session(runtime.db_url, "s-unit")
    with session_scope(runtime.db_url) as db:
        ticket_no = submit_ticket(db, make_ticket(summary="楼下烧烤店凌晨还在营业，油烟噪音扰民", district="海淀区",
                                                  street="学院路街道", raw="学院路20号院"), session_id="s-unit").ticket_no
    while runtime.worker.run_once():
        pass

    _sign_in(page, "haidian.cgzf", "unit-pass-1")
    page.wait_for_url("**/unit")
    card = page.locator(f"#queue .ticket[data-ticket-no='{ticket_no}']")
    flash = page.locator("#queue-flash")
    card.locator("button[data-action=accept]").click()
    expect(flash).to_contain_text("已受理")

    card.locator("textarea").fill("已约谈商户，要求当晚停止夜间经营")
    card.locator("button[data-action=progress]").click()
    expect(flash).to_contain_text("已记录办理进展")
    expect(card.locator(".badge").first).to_have_text("已受理")  # the status did not change
    card.locator("button:text-is('详情')").click()
    expect(card.locator(".detail .timeline")).to_contain_text("已约谈商户")

    card.locator("textarea").fill("商户已安装油烟净化设备")
    card.locator("button[data-action=resolve]").click()
    expect(flash).to_contain_text("已办结")
    expect(card).to_have_count(0)

    page.fill("#history-q", "烧烤")
    page.click("#history-form button[type=submit]")
    found = page.locator(f"#history .ticket[data-ticket-no='{ticket_no}']")
    expect(found).to_contain_text("已办结")
    page.select_option("#history-status", "returned")
    expect(found).to_have_count(0)
    page.select_option("#history-status", "resolved")
    expect(found).to_be_visible()
    found.locator("button:text-is('详情')").click()
    expect(found.locator(".detail")).to_contain_text("油烟净化设备")
    with session_scope(runtime.db_url) as db:
        notes = [e.note for e in find_ticket(db, ticket_no).events]
    assert "办理进展：已约谈商户，要求当晚停止夜间经营" in notes
