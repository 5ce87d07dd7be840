"""The admin console in a real browser: the routing table and the taxonomy viewed and edited on /admin, a refused
edit shown with its Chinese reason, the routing test box, a returned ticket re-routed to a unit that then sees
it, a dead letter retried, and each of these in the audit log with before and after."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.dispatch import outbox
from bot.store.db import session_scope
from bot.tickets.lifecycle import assignment_of
from bot.tickets.service import find_ticket, submit_ticket, unit_action
from connectors.runtime import Runtime
from tests.bot.dispatch.factories import make_ticket, open_session
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


def _drain(runtime: Runtime) -> None:
    while runtime.worker.run_once():
        pass


def _admin(page, runtime: Runtime) -> None:  # noqa: ANN001
    _add_user(runtime, "配置管理员", "admin", "admin-pass-1")
    _sign_in(page, "配置管理员", "admin-pass-1")
    page.wait_for_url("**/admin")


def test_admin_edits_a_routing_rule_tests_it_and_finds_it_in_the_audit_log(page, runtime: Runtime) -> None:  # noqa: ANN001, F811
    _admin(page, runtime)
    expect(page.locator("#rules-body tr[data-rule-id='gas-category']")).to_contain_text("北京市燃气集团有限责任公司")
    flash = page.locator("#routing-flash")

    page.fill("#rule-id", "wangjing-garbage")
    page.fill("#rule-description", "望京垃圾问题由朝阳区城管委督办")
    page.fill("#rule-position", "1")
    page.fill("#rule-streets", "望京街道")
    page.fill("#rule-keywords", "垃圾、清运")
    page.fill("#rule-unit", "chaoyang.nobody")
    page.click("#rule-form button[type=submit]")
    expect(flash).to_contain_text("指向不存在的单位 chaoyang.nobody")
    expect(page.locator("#rules-body tr[data-rule-id='wangjing-garbage']")).to_have_count(0)

    page.fill("#rule-unit", "district:cgw")
    page.fill("#rule-l1", "城乡建设")
    page.fill("#rule-l2", "噪声扰民")
    page.click("#rule-form button[type=submit]")
    expect(flash).to_contain_text("“噪声扰民”不属于一级分类“城乡建设”")

    page.fill("#rule-l2", "环境卫生")
    page.click("#rule-form button[type=submit]")
    expect(flash).to_contain_text("已保存规则 wangjing-garbage")
    first = page.locator("#rules-body tr").first
    expect(first).to_have_attribute("data-rule-id", "wangjing-garbage")
    expect(first).to_contain_text("城市管理委员会")

    page.select_option("#test-l1", "城乡建设")
    page.select_option("#test-l2", "环境卫生")
    page.select_option("#test-district", "朝阳区")
    page.fill("#test-street", "望京街道")
    page.fill("#test-text", "小区垃圾好几天没人清运")
    page.click("#route-test-form button[type=submit]")
    result = page.locator("#route-test-result")
    expect(result.locator(".route-unit")).to_have_text("朝阳区城市管理委员会")
    expect(result).to_contain_text("规则 wangjing-garbage")

    # Edit it from its row: the form is filled in; the new unit is saved and logged as before/after.
    first.locator("button:text-is('编辑')").click()
    expect(page.locator("#rule-keywords")).to_have_value("垃圾、清运")
    page.fill("#rule-unit", "district:cgzf")
    page.click("#rule-form button[type=submit]")
    expect(first).to_contain_text("城市管理综合行政执法局")

    row = page.locator("#audit tr[data-action='routing.rule.update']").first
    expect(row).to_contain_text("配置管理员")
    expect(row.locator(".audit-before")).to_contain_text("district:cgw")
    expect(row.locator(".audit-after")).to_contain_text("district:cgzf")
    page.select_option("#audit-action", "taxonomy.")
    expect(page.locator("#audit")).to_contain_text("没有符合条件的记录")

    page.once("dialog", lambda dialog: dialog.accept())
    first.locator("button:text-is('删除')").click()
    expect(flash).to_contain_text("已删除规则 wangjing-garbage")
    expect(page.locator("#rules-body tr[data-rule-id='wangjing-garbage']")).to_have_count(0)


def test_admin_adds_a_second_level_category_and_a_refused_rename_says_why(page, runtime: Runtime) -> None:  # noqa: ANN001, F811
    _admin(page, runtime)
    page.select_option("#tax-l1", "城乡建设")
    expect(page.locator("#tax-body tr[data-name='冬季采暖']")).to_be_visible()
    flash = page.locator("#tax-flash")

    page.fill("#sub-name", "电梯安全")
    page.fill("#sub-description", "电梯故障、困人、年检")
    page.fill("#sub-keywords", "电梯，困人")
    page.click("#sub-form button[type=submit]")
    # The save answers at once; triage's classifier is refitted in the background (bot/triage/refit.py).
    expect(flash).to_contain_text("已保存二级分类“城乡建设/电梯安全”")
    expect(page.locator("#tax-body tr[data-name='电梯安全']")).to_contain_text("电梯、困人")

    # 冬季采暖 is named by the routing table's heat rule: renaming it is refused with the reason.
    page.locator("#tax-body tr[data-name='冬季采暖'] button:text-is('编辑')").click()
    expect(page.locator("#sub-name")).to_have_value("冬季采暖")
    page.fill("#sub-name", "集中供热")
    page.click("#sub-form button[type=submit]")
    expect(flash).to_contain_text("请先修改路由表")
    expect(flash).to_contain_text("heat-category")
    expect(page.locator("#tax-body tr[data-name='冬季采暖']")).to_be_visible()

    # The new category can be chosen in the routing test box at once.
    page.select_option("#test-l1", "城乡建设")
    page.select_option("#test-l2", "电梯安全")
    page.select_option("#audit-action", "taxonomy.")
    created = page.locator("#audit tr[data-action='taxonomy.create']")
    expect(created).to_contain_text("城乡建设/电梯安全")
    expect(created.locator(".audit-after")).to_contain_text("困人")


def test_admin_reroutes_a_returned_ticket_and_the_new_unit_sees_it(page, browser, server: str,  # noqa: ANN001, F811
                                                                    runtime: Runtime) -> None:
    open_session(runtime.db_url, "s-return")
    with session_scope(runtime.db_url) as db:
        ticket_no = submit_ticket(db, make_ticket(summary="楼下烧烤店凌晨还在营业，油烟噪音扰民", district="海淀区",
                                                  street="学院路街道", raw="学院路20号院"), session_id="s-return").ticket_no
        first_unit = assignment_of(db, find_ticket(db, ticket_no)).unit_id
    _drain(runtime)
    with session_scope(runtime.db_url) as db:
        unit_action(db, ticket_no, unit_id=first_unit, action="return", note="油烟属于生态环境部门职责",
                    actor=f"unit:{first_unit}")

    _admin(page, runtime)
    card = page.locator(f"#attention .ticket[data-ticket-no='{ticket_no}']")
    expect(card.locator(".return-reason")).to_have_text("退回原因：油烟属于生态环境部门职责")
    expect(card).to_contain_text("已退回")
    flash = page.locator("#attention-flash")
    unit_box = card.locator("input[list=all-units]")
    unit_box.fill("haidian.nobody")
    card.locator("input[placeholder=改派原因]").fill("油烟扰民由区生态环境局办理")
    card.locator("button[data-action=reroute]").click()
    expect(flash).to_contain_text("未知单位：haidian.nobody")
    unit_box.fill("haidian.sthjj")
    card.locator("button[data-action=reroute]").click()
    expect(flash).to_contain_text("已改派至北京市海淀区生态环境局")
    expect(card).to_contain_text("等待送达")
    expect(page.locator("#audit tr[data-action='ticket.route']").first.locator(".audit-before")).to_contain_text(first_unit)

    _drain(runtime)
    page.click("#attention-refresh")
    expect(card).to_have_count(0)
    _add_user(runtime, "haidian.sthjj", "unit", "unit-pass-1")
    unit_context = browser.new_context(base_url=server, locale="zh-CN")
    try:
        unit_page = unit_context.new_page()
        _sign_in(unit_page, "haidian.sthjj", "unit-pass-1")
        expect(unit_page).to_have_url(re.compile(r"/unit$"), timeout=SLOW_MS)
        expect(unit_page.locator(f"#queue .ticket[data-ticket-no='{ticket_no}']")).to_contain_text("烧烤")
    finally:
        unit_context.close()


def test_admin_retries_a_dead_letter_from_the_page(page, runtime: Runtime) -> None:  # noqa: ANN001, F811
    with session_scope(runtime.db_url) as db:
        outbox.enqueue(db, topic="notify", kind="citizen.notice", ticket_no="20260101000009",
                       payload={"text": "您的工单已受理"}, idempotency_key="notice-dead-1")
    with session_scope(runtime.db_url) as db:
        claimed = outbox.claim_due(db, worker_id="test", limit=1, lease_s=30)[0]
        outbox.fail(db, claimed, error="微信接口返回 45015：回复时间超过限制", permanent=True, max_attempts=5,
                    base_s=1, max_s=1)
    _admin(page, runtime)
    row = page.locator(f"#dead tr[data-id='{claimed.id}']")
    expect(row).to_contain_text("通知 · 市民通知")
    expect(row).to_contain_text("45015")
    row.locator("button:text-is('重新投递')").click()
    expect(page.locator("#dead-flash")).to_contain_text(f"投递记录 {claimed.id} 已重新排队")
    expect(row).to_have_count(0)
    expect(page.locator("#dead-count")).to_have_text("0 条")
    retried = page.locator("#audit tr[data-action='outbox.retry']").first
    expect(retried.locator(".audit-before")).to_contain_text("dead")
    expect(retried.locator(".audit-after")).to_contain_text("pending")


def test_admin_creates_a_unit_account_picked_from_the_routing_table(page, browser, server: str,  # noqa: ANN001, F811
                                                                     runtime: Runtime) -> None:
    _admin(page, runtime)
    flash = page.locator("#accounts-flash")
    expect(page.locator("#account-unit-field")).to_be_hidden()
    page.select_option("#account-role", "unit")
    expect(page.locator("#account-name-field")).to_be_hidden()
    page.fill("#account-password", "unit-pass-1")
    page.click("#account-form button[type=submit]")
    expect(flash).to_contain_text("请从路由表中选择承办单位")
    expect(page.locator("#account-unit optgroup[label='海淀区'] option[value='haidian.cgzf']")).to_have_count(1)
    page.select_option("#account-unit", "haidian.cgzf")
    page.click("#account-form button[type=submit]")
    expect(flash).to_contain_text("已创建承办单位账号 haidian.cgzf（海淀区城市管理综合行政执法局）")
    expect(page.locator("#accounts tr[data-name='haidian.cgzf']")).to_contain_text("承办单位")

    page.select_option("#account-role", "agent")
    page.fill("#account-name", "坐席小李")
    page.fill("#account-password", "short")
    page.evaluate("document.getElementById('account-password').removeAttribute('minlength')")
    page.click("#account-form button[type=submit]")
    expect(flash).to_contain_text("密码至少需要 8 个字符")
    expect(page.locator("#audit tr[data-action='account.create']")).to_contain_text("haidian.cgzf")

    unit_context = browser.new_context(base_url=server, locale="zh-CN")
    try:
        unit_page = unit_context.new_page()
        _sign_in(unit_page, "haidian.cgzf", "unit-pass-1")
        expect(unit_page).to_have_url(re.compile(r"/unit$"), timeout=SLOW_MS)
    finally:
        unit_context.close()


def test_admin_edits_the_whole_routing_table_as_json(page, runtime: Runtime) -> None:  # noqa: ANN001, F811
    _admin(page, runtime)
    expect(page.locator("#rules-body tr[data-rule-id='gas-category']")).to_be_visible()
    page.click("#routing-raw summary")
    editor = page.locator("#routing-editor")
    expect(editor).to_have_value(re.compile("gas-category"))
    flash = page.locator("#routing-flash")

    editor.fill("{ not json")
    page.click("#routing-save")
    expect(flash).to_contain_text("路由表不是有效的 JSON")

    page.click("#routing-reload")
    expect(editor).to_have_value(re.compile(r'^\{\s*"version"'))
    table = json.loads(editor.input_value())
    table["units"].append({"id": "city.metro", "name": "北京市地铁运营有限公司", "kind": "utility"})
    table["rules"].insert(0, {"id": "metro", "description": "地铁问题由地铁公司办理",
                              "match": {"keywords": ["地铁"]}, "unit": "city.subway"})
    editor.fill(json.dumps(table, ensure_ascii=False))
    page.click("#routing-save")
    expect(flash).to_contain_text("规则 metro 指向不存在的单位 city.subway")

    table["rules"][0]["unit"] = "city.metro"
    editor.fill(json.dumps(table, ensure_ascii=False))
    page.click("#routing-save")
    expect(flash).to_contain_text("已保存整张路由表")
    expect(page.locator("#rules-body tr[data-rule-id='metro']")).to_contain_text("北京市地铁运营有限公司")
    expect(page.locator("#unit-refs option[value='city.metro']")).to_have_count(1)
    entry = page.locator("#audit tr[data-action='routing.update']").first
    expect(entry.locator(".audit-after")).to_contain_text("city.metro")
