"""The whole loop on the built-in backend over HTTP: queue, unit moves, citizen lookup, info, rating."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.auth import create_token
from bot.dispatch.worker import flag_overdue
from bot.errors import BadInput
from bot.store.db import session_scope, utcnow
from bot.store.tables import ChatMessage
from bot.tickets.lifecycle import transition
from bot.tickets.service import find_ticket, submit_ticket
from bot.tickets.tracking import describe_all, describe_progress, progress_for_session
from connectors.app import create_app
from connectors.runtime import Runtime
from tests.bot.dispatch.factories import make_ticket, open_session

UNIT = "haidian.cgzf"


@pytest.fixture
def env():  # noqa: ANN201
    """A runtime on the builtin backend, an app client, a unit token and an admin token."""
    runtime = Runtime()
    with session_scope(runtime.db_url) as db:
        unit = create_token(db, role="unit", name=UNIT)
        other = create_token(db, role="unit", name="chaoyang.cgzf")
        admin = create_token(db, role="admin", name="ops")
    open_session(runtime.db_url, "s1")
    return runtime, TestClient(create_app(runtime)), {"Authorization": f"Bearer {unit}"}, \
        {"Authorization": f"Bearer {other}"}, {"Authorization": f"Bearer {admin}"}


def submit(runtime: Runtime) -> str:
    """A confirmed chat ticket about cooking fumes in Haidian."""
    with session_scope(runtime.db_url) as db:
        return submit_ticket(db, make_ticket(summary="楼下烧烤店凌晨还在营业，油烟噪音扰民", district="海淀区",
                                             street="学院路街道", raw="学院路20号院"), session_id="s1").ticket_no


def pump(runtime: Runtime) -> None:
    """Deliver everything due."""
    while runtime.worker.run_once():
        pass


def bot_messages(runtime: Runtime) -> list[str]:
    """What the citizen's web session has been told."""
    with session_scope(runtime.db_url) as db:
        return [m.text for m in db.scalars(select(ChatMessage).where(ChatMessage.session_id == "s1")
                                           .order_by(ChatMessage.id))]


def test_confirmed_ticket_to_unit_queue_to_citizen_to_rating(env) -> None:  # noqa: ANN001
    """The done-when loop: queue → accept → resolve → the citizen sees it → 满意 closes it."""
    runtime, client, unit, other, _admin = env
    no = submit(runtime)
    assert client.get("/api/unit/tickets", headers=unit).json()["count"] == 0  # not delivered yet
    pump(runtime)
    queue = client.get("/api/unit/tickets", headers=unit).json()
    assert [t["ticket_no"] for t in queue["tickets"]] == [no]
    assert queue["tickets"][0]["deadline"]
    assert client.get("/api/unit/tickets", headers=other).json()["count"] == 0
    assert client.get("/api/unit/tickets").status_code == 401
    assert client.get(f"/api/unit/tickets/{no}", headers=other).status_code == 404
    detail = client.get(f"/api/unit/tickets/{no}", headers=unit).json()
    assert detail["routing"][0]["rule_id"] == "enforcement-keywords" and detail["ticket"]["contact"]["phone"]

    act = lambda action, note=None: client.post(f"/api/unit/tickets/{no}/actions", headers=unit,  # noqa: E731
                                                json={"action": action, "note": note})
    assert act("accept").status_code == 200
    assert act("resolve").status_code == 400  # a result is required
    assert act("start", "已联系商户").json()["status"] == "in_progress"
    assert act("resolve", "已责令商户安装油烟净化设备并停止夜间经营").json()["status"] == "resolved"
    pump(runtime)

    view = client.get(f"/api/tickets/{no}", params={"phone_last4": "5678"}).json()
    assert view["status"] == "resolved" and view["unit"]["name"] == "海淀区城市管理综合行政执法局"
    assert [e["status"] for e in view["timeline"]] == ["submitted", "dispatched", "accepted", "in_progress",
                                                      "resolved"]
    assert view["can_rate"] and view["deadline_text"]
    assert client.get(f"/api/tickets/{no}", params={"phone_last4": "0000"}).status_code == 404
    told = bot_messages(runtime)
    assert len(told) == 4 and "已派发至海淀区城市管理综合行政执法局" in told[0] and "请您对办理结果进行评价" in told[-1]

    with session_scope(runtime.db_url) as db:
        text = describe_all(progress_for_session(db, "s1"))
    assert no in text and "已办结" in text and "评价" in text

    rated = client.post(f"/api/tickets/{no}/rating", params={"phone_last4": "5678"},
                        json={"rating": "满意", "comment": "处理及时"})
    assert rated.status_code == 200 and rated.json()["status"] == "closed"
    assert rated.json()["rating"] == {"rating": "满意", "comment": "处理及时"}
    again = client.post(f"/api/tickets/{no}/rating", params={"phone_last4": "5678"}, json={"rating": "满意"})
    assert again.status_code == 400
    pump(runtime)
    assert "已关闭" in bot_messages(runtime)[-1]


def test_unsatisfied_reopens_and_goes_back_to_the_unit(env) -> None:  # noqa: ANN001
    """不满意 reopens the ticket, re-dispatches it to the same unit with a new deadline."""
    runtime, client, unit, _other, _admin = env
    no = submit(runtime)
    pump(runtime)
    client.post(f"/api/unit/tickets/{no}/actions", headers=unit, json={"action": "resolve", "note": "已处理"})
    r = client.post(f"/api/tickets/{no}/rating", params={"phone_last4": "5678"},
                    json={"rating": "不满意", "comment": "晚上还在烧烤"})
    assert r.json()["status"] == "reopened"
    pump(runtime)
    view = client.get(f"/api/tickets/{no}", params={"phone_last4": "5678"}).json()
    assert view["status"] == "dispatched" and view["timeline"][-2]["note"] == "市民评价：不满意（晚上还在烧烤）"
    assert [t["ticket_no"] for t in client.get("/api/unit/tickets", headers=unit).json()["tickets"]] == [no]


def test_add_information_and_return_with_reason(env) -> None:  # noqa: ANN001
    """The citizen adds facts; the unit returns the ticket with a reason; the desk re-routes it."""
    runtime, client, unit, other, admin = env
    no = submit(runtime)
    pump(runtime)
    add = client.post(f"/api/tickets/{no}/information", params={"phone_last4": "5678"},
                      json={"text": "店名是老王烧烤，营业到凌晨三点"})
    assert add.status_code == 200 and "老王烧烤" in add.json()["timeline"][-1]["note"]
    assert client.post(f"/api/tickets/{no}/information", params={"phone_last4": "1234"},
                       json={"text": "x"}).status_code == 404
    assert client.post(f"/api/unit/tickets/{no}/actions", headers=unit, json={"action": "return"}).status_code == 400
    ret = client.post(f"/api/unit/tickets/{no}/actions", headers=unit,
                      json={"action": "return", "note": "该商户位于朝阳区，不属本区管辖"})
    assert ret.json()["status"] == "returned"
    bad = client.post(f"/api/admin/tickets/{no}/route", headers=admin, json={"unit_id": "mars.x", "reason": "x"})
    assert bad.status_code == 400
    moved = client.post(f"/api/admin/tickets/{no}/route", headers=admin,
                        json={"unit_id": "chaoyang.cgzf", "reason": "核实地址在朝阳区"})
    assert moved.status_code == 200
    pump(runtime)
    assert [t["ticket_no"] for t in client.get("/api/unit/tickets", headers=other).json()["tickets"]] == [no]
    detail = client.get(f"/api/unit/tickets/{no}", headers=other).json()
    assert [d["rule_id"] for d in detail["routing"]] == ["enforcement-keywords", "manual"]
    assert "退回" in bot_messages(runtime)[-2] and "朝阳区城市管理综合行政执法局" in bot_messages(runtime)[-1]


def test_transitions_are_validated(env) -> None:  # noqa: ANN001
    """The lifecycle refuses skips such as submitted → resolved or closed → anything."""
    runtime, *_ = env
    no = submit(runtime)
    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, no)
        with pytest.raises(BadInput, match="不能变为"):
            transition(db, row, "resolved", actor="t")


def test_overdue_tickets_are_flagged_once(env) -> None:  # noqa: ANN001
    """Past the deadline: one history entry, an overdue flag in the citizen's and admin's views."""
    runtime, client, _unit, _other, admin = env
    submit(runtime)
    pump(runtime)
    later = utcnow() + timedelta(days=30)
    with session_scope(runtime.db_url) as db:
        assert flag_overdue(db, now=later) == 1
        assert flag_overdue(db, now=later) == 0
        view = progress_for_session(db, "s1")[0]
    assert "超期" in view["timeline"][-1]["note"]
    assert "办理时限" in describe_progress(view)
    assert client.get("/api/admin/overdue", headers=admin).json()["count"] == 0  # real clock: not yet overdue


def test_routing_admin_api(env) -> None:  # noqa: ANN001
    """Admins read, probe and edit the table; a bad edit answers 400 with the reason."""
    _runtime, client, unit, _other, admin = env
    assert client.get("/api/admin/routing", headers=unit).status_code == 403
    table = client.get("/api/admin/routing", headers=admin).json()["table"]
    probe = client.post("/api/admin/routing/test", headers=admin,
                        json={"category_l1": "城乡建设", "district": "海淀区", "text": "暖气不热"}).json()
    assert probe["unit_id"] == "city.heat" and "heat-keywords" in probe["reason"]
    table["rules"][0]["unit"] = "city.mars"
    bad = client.put("/api/admin/routing", headers=admin, json=table)
    assert bad.status_code == 400 and "city.mars" in bad.json()["detail"]
    table["rules"][0]["unit"] = "city.gas"
    assert client.put("/api/admin/routing", headers=admin, json=table).status_code == 200
