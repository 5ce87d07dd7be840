"""The unit desk API: a category correction becomes a labelled example and an audit entry; history keeps
a resolved ticket."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot import auth
from bot.store.db import session_scope
from bot.store.tables import StaffExample
from bot.tickets.service import submit_ticket
from connectors.app import create_app
from connectors.runtime import Runtime
from tests.bot.dispatch.factories import make_ticket


def test_a_category_correction_is_kept_as_a_labelled_example() -> None:
    runtime = Runtime()
    client = TestClient(create_app(runtime, run_worker=False, warm_up=False))
    with session_scope(runtime.db_url) as db:
        unit = {"Authorization": f"Bearer {auth.create_token(db, role='unit', name='haidian.cgzf')}"}
        admin = {"Authorization": f"Bearer {auth.create_token(db, role='admin', name='管理员')}"}
        ticket_no = submit_ticket(db, make_ticket(summary="楼下烧烤店凌晨还在营业，油烟噪音扰民", district="海淀区",
                                                  street="学院路街道", raw="学院路20号院"), session_id=None).ticket_no
    while runtime.worker.run_once():
        pass
    url = f"/api/unit/tickets/{ticket_no}/category"
    assert client.post(url, json={"level1": "环境保护", "level2": "不存在"}, headers=unit).status_code == 400
    fixed = client.post(url, json={"level1": "环境保护", "level2": "噪声扰民", "note": "噪音为主"}, headers=unit)
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["category"] == {"level1": "环境保护", "level2": "噪声扰民"}
    with session_scope(runtime.db_url) as db:
        example = db.scalar(select(StaffExample))
        assert example is not None and example.source == "unit.category" and example.level2 == "噪声扰民"
        assert example.ticket_no == ticket_no and "烧烤" in example.text
    entry = client.get("/api/admin/audit?action=ticket.category", headers=admin).json()["entries"][0]
    assert entry["actor"] == "haidian.cgzf" and entry["after"]["level2"] == "噪声扰民" and entry["before"]["level1"]
    history = client.get("/api/unit/history?q=烧烤", headers=unit).json()
    assert [t["ticket_no"] for t in history["tickets"]] == [ticket_no]
