"""The dispatch desk over HTTP: a ticket a unit returned shows up for admins with the unit's reason, is
re-routed through the ticket service to another unit, which then has it in its queue; the move is audited with
the unit before and after. Overdue open tickets are listed beside the returned ones."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from bot import auth
from bot.store.db import session_scope, utcnow
from bot.tickets.lifecycle import assignment_of
from bot.tickets.service import find_ticket, submit_ticket
from connectors.app import create_app
from connectors.runtime import Runtime
from tests.bot.dispatch.factories import make_ticket


def _drain(runtime: Runtime) -> None:
    while runtime.worker.run_once():
        pass


def _bearer(runtime: Runtime, role: str, name: str) -> dict[str, str]:
    with session_scope(runtime.db_url) as db:
        return {"Authorization": f"Bearer {auth.create_token(db, role=role, name=name)}"}


def test_a_returned_ticket_is_rerouted_and_the_new_unit_has_it() -> None:
    runtime = Runtime()
    client = TestClient(create_app(runtime, run_worker=False, warm_up=False))
    admin = _bearer(runtime, "admin", "派单员")
    with session_scope(runtime.db_url) as db:
        ticket_no = submit_ticket(db, make_ticket(summary="楼下烧烤店凌晨还在营业，油烟噪音扰民", district="海淀区",
                                                  street="学院路街道", raw="学院路20号院"), session_id=None).ticket_no
        first_unit = assignment_of(db, find_ticket(db, ticket_no)).unit_id
    _drain(runtime)
    assert first_unit and first_unit != "haidian.sthjj"
    unit = _bearer(runtime, "unit", first_unit)
    assert client.get("/api/admin/tickets/attention", headers=admin).json()["items"] == []

    back = client.post(f"/api/unit/tickets/{ticket_no}/actions", headers=unit,
                       json={"action": "return", "note": "油烟属于生态环境部门职责"})
    assert back.status_code == 200, back.text
    listed = client.get("/api/admin/tickets/attention", headers=admin).json()
    assert (listed["count"], listed["returned"]) == (1, 1)
    item = listed["items"][0]
    assert item["ticket_no"] == ticket_no and item["returned"] and item["unit_id"] == first_unit
    assert item["return_reason"] == "油烟属于生态环境部门职责" and item["rerouted_to"] is None

    unknown = client.post(f"/api/admin/tickets/{ticket_no}/route", headers=admin,
                          json={"unit_id": "haidian.nobody", "reason": "改派"})
    assert unknown.status_code == 400 and "未知单位" in unknown.json()["detail"]
    assert client.post(f"/api/admin/tickets/{ticket_no}/route", headers=admin,
                       json={"unit_id": "haidian.sthjj", "reason": ""}).status_code == 422
    moved = client.post(f"/api/admin/tickets/{ticket_no}/route", headers=admin,
                        json={"unit_id": "haidian.sthjj", "reason": "油烟扰民由区生态环境局办理"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["unit"]["id"] == "haidian.sthjj"
    pending = client.get("/api/admin/tickets/attention", headers=admin).json()["items"]
    assert pending[0]["rerouted_to"]["unit_id"] == "haidian.sthjj"

    _drain(runtime)
    assert client.get("/api/admin/tickets/attention", headers=admin).json()["items"] == []
    new_unit = _bearer(runtime, "unit", "haidian.sthjj")
    queue = client.get("/api/unit/tickets", headers=new_unit).json()["tickets"]
    assert [(t["ticket_no"], t["status"]) for t in queue] == [(ticket_no, "dispatched")]
    assert client.get("/api/unit/tickets", headers=unit).json()["tickets"] == []
    # The first unit still finds it in its history, marked as now with another unit.
    history = client.get("/api/unit/history", headers=unit).json()["tickets"]
    assert history[0]["ticket_no"] == ticket_no and history[0]["with_other_unit"]

    entry = client.get(f"/api/admin/audit?action=ticket.route&target={ticket_no}", headers=admin).json()["entries"][0]
    assert entry["actor"] == "派单员" and entry["detail"]["reason"] == "油烟扰民由区生态环境局办理"
    assert (entry["before"]["unit_id"], entry["before"]["status"]) == (first_unit, "returned")
    assert entry["after"]["unit_id"] == "haidian.sthjj" and entry["after"]["unit_name"]


def test_overdue_open_tickets_are_listed_and_a_resolved_one_is_not() -> None:
    runtime = Runtime()
    client = TestClient(create_app(runtime, run_worker=False, warm_up=False))
    admin = _bearer(runtime, "admin", "派单员")
    with session_scope(runtime.db_url) as db:
        late = submit_ticket(db, make_ticket(summary="路灯不亮已经一个月"), session_id=None).ticket_no
        done = submit_ticket(db, make_ticket(summary="井盖缺失", district="西城区", street="展览路街道",
                                             raw="展览路10号"), session_id=None).ticket_no
        for no in (late, done):
            assignment_of(db, find_ticket(db, no)).deadline_at = utcnow() - timedelta(days=1)
        find_ticket(db, done).status = "resolved"
    _drain(runtime)
    listed = client.get("/api/admin/tickets/attention", headers=admin).json()
    assert [t["ticket_no"] for t in listed["items"]] == [late]
    assert listed["items"][0]["overdue"] and not listed["items"][0]["returned"] and listed["overdue"] == 1
    assert [t["ticket_no"] for t in client.get("/api/admin/overdue", headers=admin).json()["items"]] == [late]
