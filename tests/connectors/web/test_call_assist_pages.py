"""Call assist in a real browser: an agent runs a four-turn call, inserts a suggested reply in one click,
edits the draft and submits it; the unit, signed in in another browser, finds the ticket in its queue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.dispatch.tables import TicketAssignment
from bot.store.db import session_scope
from bot.tickets.service import submit_ticket
from connectors.runtime import Runtime
from tests.bot.dispatch.factories import make_ticket
from tests.connectors.web.test_agent_desk_pages import agent_page  # noqa: F401 - fixtures are used by name
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


def _say(agent, text: str, turns: int) -> None:  # noqa: ANN001
    agent.fill("#assist-text", text)
    agent.click("#assist-form button[type=submit]")
    expect(agent.locator("#call-turns li.caller")).to_have_count(turns, timeout=SLOW_MS)


def test_an_agent_runs_a_four_turn_call_and_the_ticket_reaches_the_unit(page, agent_page, runtime: Runtime) -> None:  # noqa: ANN001, F811
    _add_user(runtime, "xiaowang", "agent", "agent-pass-1")
    with session_scope(runtime.db_url) as db:
        earlier = submit_ticket(db, make_ticket(phone="13812345678", summary="小区路灯不亮"), session_id=None).ticket_no
    agent = agent_page
    _sign_in(agent, "xiaowang", "agent-pass-1")
    agent.wait_for_url("**/agent")

    _say(agent, "你好，我要反映一下，我们楼下新开的烧烤店每天晚上油烟特别大，呛得窗户都不敢开", 1)
    summary = agent.locator("#draft-summary")
    expect(summary).to_have_value(re.compile("烧烤.*油烟"))
    expect(agent.locator("#draft-intent")).to_have_value("complaint")
    level1 = agent.locator("#draft-l1").input_value()
    assert level1
    expect(agent.locator("#call-missing")).to_contain_text("地点")
    expect(agent.locator("#assist-grounded")).to_have_text("无需答复")

    _say(agent, "在朝阳区望京街道花家地西里3号楼", 2)
    expect(agent.locator("#draft-district")).to_have_value("朝阳区")
    expect(agent.locator("#draft-street")).to_have_value("望京街道")
    expect(agent.locator("#draft-place")).to_have_value(re.compile("花家地西里3号楼"))
    expect(agent.locator("#draft-l1")).to_have_value(level1)  # the address turn was not classified alone
    expect(summary).to_have_value(re.compile("烧烤"))

    _say(agent, "我电话是13812345678", 3)
    expect(agent.locator("#draft-phone")).to_have_value("13812345678")
    expect(summary).to_have_value(re.compile("烧烤"))
    expect(agent.locator("#call-missing")).to_be_hidden()
    expect(agent.locator(f"#caller-tickets li[data-ticket-no='{earlier}']")).to_contain_text("小区路灯不亮")

    _say(agent, "对了，顺便问一下供暖期是什么时候？", 4)
    expect(agent.locator("#assist-reply")).to_contain_text("11月15日")
    expect(agent.locator("#assist-grounded")).to_have_text("有据可依")
    source = agent.locator("#assist-citations .citation").first
    expect(source).to_contain_text("winter-heating")
    source.locator("button.cite-open").click()
    expect(source.locator(".passage-text")).not_to_be_empty()
    expect(summary).to_have_value(re.compile("烧烤"))

    # One click puts the suggestion in the reply box; the agent adds a greeting, so it counts as edited.
    agent.click("#suggestion-insert")
    expect(agent.locator("#call-reply")).to_have_value(re.compile("11月15日"))
    reply = agent.locator("#call-reply")
    reply.fill("您好，" + reply.input_value())
    agent.click("#call-reply-form button[type=submit]")
    expect(agent.locator("#assist-grounded")).to_have_text("已修改采用")
    expect(agent.locator("#call-turns li.agent")).to_contain_text("您好，")
    expect(agent.locator("#suggestion-rates")).to_have_attribute("data-edited", "1")

    # The agent corrects the building number in the draft, sees it in the read-back, and submits.
    agent.fill("#draft-place", "朝阳区望京街道花家地西里5号楼")
    expect(agent.locator("#assist-draft")).to_contain_text("花家地西里5号楼")
    agent.click("#call-submit")
    flash = agent.locator("#assist-flash")
    expect(flash).to_contain_text("工单已提交", timeout=SLOW_MS)
    ticket_no = flash.get_attribute("data-ticket-no")
    assert ticket_no and ticket_no != earlier
    expect(agent.locator("#assist-result")).to_be_hidden()

    with session_scope(runtime.db_url) as db:
        unit_id = db.query(TicketAssignment).filter_by(ticket_no=ticket_no).one().unit_id
    assert unit_id
    while runtime.worker.run_once():
        pass
    _add_user(runtime, unit_id, "unit", "unit-pass-1")
    _sign_in(page, unit_id, "unit-pass-1")
    page.wait_for_url("**/unit")
    card = page.locator(f"#queue .ticket[data-ticket-no='{ticket_no}']")
    expect(card).to_contain_text("烧烤")
    expect(card).to_contain_text("花家地西里5号楼")
