"""The analytics API: counts, direct-reply share, trends and hotspots over tickets we create."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot import auth
from bot.dispatch.tables import TicketAssignment
from bot.store.db import session_scope, utcnow
from bot.store.tables import TicketRow
from bot.tickets.service import submit_ticket
from connectors.app import create_app
from connectors.runtime import Runtime
from tests.bot.dispatch.factories import make_ticket


def _token(runtime: Runtime, role: str, name: str) -> dict[str, str]:
    with session_scope(runtime.db_url) as db:
        return {"Authorization": f"Bearer {auth.create_token(db, role=role, name=name)}"}


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime, run_worker=False))


@pytest.fixture
def tickets(runtime: Runtime) -> dict[str, str]:
    """Four recent tickets (one a repeat of another, one overdue) and one from two months ago."""
    specs = {
        "garbage": make_ticket(),
        "garbage_again": make_ticket(phone="13700001111"),
        "noise": make_ticket(l1="环境保护", l2="噪声污染", district="海淀区", street="中关村街道", raw="中关村大街1号",
                             summary="工地夜间施工噪音扰民", urgency="urgent"),
        "parking": make_ticket(l1="交通运输", l2="交通管理", summary="车辆违停堵塞消防通道", raw="望京西园四区"),
        "old": make_ticket(l1="民政", l2="社会救助", district="西城区", street="金融街街道", raw="金融街",
                           summary="低保申请咨询无人答复"),
    }
    numbers = {}
    with session_scope(runtime.db_url) as db:
        for key, ticket in specs.items():
            numbers[key] = submit_ticket(db, ticket, session_id=None).ticket_no
    with session_scope(runtime.db_url) as db:
        old = db.scalar(select(TicketRow).where(TicketRow.ticket_no == numbers["old"]))
        old.created_at = utcnow() - timedelta(days=60)
        overdue = db.scalar(select(TicketAssignment).where(TicketAssignment.ticket_no == numbers["noise"]))
        overdue.deadline_at = utcnow() - timedelta(hours=1)
    return numbers


def test_analytics_needs_staff(client: TestClient, runtime: Runtime) -> None:
    unit = _token(runtime, "unit", "haidian.cgzf")
    agent = _token(runtime, "agent", "坐席")
    analyst = _token(runtime, "analyst", "分析员")
    for url in ("/api/analytics/summary", "/api/analytics/trends", "/api/analytics/hotspots"):
        assert client.get(url).status_code == 401
        assert client.get(url, headers=unit).status_code == 403
        assert client.get(url, headers=agent).status_code == 403
        assert client.get(url, headers=analyst).status_code == 200
    admin = _token(runtime, "admin", "分析员")
    assert client.get("/api/analytics/summary?days=0", headers=admin).status_code == 422


def test_summary_counts_match_the_tickets(client: TestClient, runtime: Runtime, tickets: dict[str, str]) -> None:
    admin = _token(runtime, "admin", "分析员")
    with session_scope(runtime.db_url) as db:
        statuses = Counter(db.scalars(select(TicketRow.status).where(TicketRow.ticket_no != tickets["old"])))
    assert statuses["merged"] == 1  # the second garbage report joined the first

    # One grounded consult answer, one the knowledge base could not support.
    for sid, text in (("c1", "供暖期是什么时候？"), ("c2", "火星移民补贴政策怎么申请？")):
        assert client.post("/api/chat", json={"session_id": sid, "text": text}).status_code == 200

    data = client.get("/api/analytics/summary?days=30", headers=admin).json()
    assert data["tickets_total"] == 4
    assert data["by_status"] == dict(statuses)
    assert data["by_category"] == {"城乡建设": 2, "环境保护": 1, "交通运输": 1}
    assert data["by_district"] == {"朝阳区": 3, "海淀区": 1}
    assert data["by_urgency"] == {"normal": 3, "urgent": 1}
    assert data["consult_answers"] == 2 and data["grounded_answers"] == 1 and data["ungrounded_answers"] == 1
    assert data["direct_reply_share"] == pytest.approx(1 / 5)
    assert data["overdue"] == 1

    wider = client.get("/api/analytics/summary?days=90", headers=admin).json()
    assert wider["tickets_total"] == 5 and wider["by_category"]["民政"] == 1


def test_trends_and_hotspots(client: TestClient, runtime: Runtime, tickets: dict[str, str]) -> None:
    admin = _token(runtime, "admin", "分析员")
    trends = client.get("/api/analytics/trends?days=30", headers=admin).json()
    assert sum(day["total"] for day in trends["series"]) == 4
    assert set(trends["categories"]) == {"城乡建设", "环境保护", "交通运输"}
    assert trends["categories"][0] == "城乡建设"
    per_category = Counter()
    for day in trends["series"]:
        per_category.update(day["by_category"])
    assert per_category == Counter({"城乡建设": 2, "环境保护": 1, "交通运输": 1})
    assert len(client.get("/api/analytics/trends?days=90", headers=admin).json()["series"]) == 2

    hot = client.get("/api/analytics/hotspots?days=30", headers=admin).json()
    assert hot["hotspots"][0] == {"district": "朝阳区", "street": "望京街道", "category_l1": "城乡建设", "count": 2}
    assert {(h["district"], h["category_l1"], h["count"]) for h in hot["hotspots"][1:]} == {
        ("海淀区", "环境保护", 1), ("朝阳区", "交通运输", 1)}
    assert hot["merged_count"] == 1
    assert hot["repeats"] == [{"ticket_no": tickets["garbage"], "district": "朝阳区", "street": "望京街道",
                               "category_l1": "城乡建设", "summary": "小区垃圾无人清运",
                               "status": hot["repeats"][0]["status"], "repeat_count": 1}]
    assert len(client.get("/api/analytics/hotspots?days=30&limit=1", headers=admin).json()["hotspots"]) == 1


def test_summary_reports_how_call_assist_suggestions_were_used(client: TestClient, runtime: Runtime) -> None:
    agent, analyst = _token(runtime, "agent", "坐席一号"), _token(runtime, "admin", "分析员")
    empty = client.get("/api/analytics/summary", headers=analyst).json()["suggestions"]
    assert empty["decided"] == 0 and empty["rates"] == {"used": None, "edited": None, "discarded": None}

    def suggest(call_id: str, question: str) -> dict:
        res = client.post(f"/api/agent/calls/{call_id}/turns", headers=agent, json={"text": question})
        assert res.status_code == 200, res.text
        [suggestion] = res.json()["suggestions"]
        return suggestion

    first = client.post("/api/agent/calls", headers=agent).json()["call_id"]
    used = suggest(first, "供暖期是什么时候？")
    client.post(f"/api/agent/calls/{first}/replies", headers=agent, json={"text": used["text"], "suggestion_id": used["id"]})
    edited = suggest(first, "公积金提取需要哪些材料？")
    client.post(f"/api/agent/calls/{first}/replies", headers=agent,
                json={"text": "您好，" + edited["text"], "suggestion_id": edited["id"]})
    second = client.post("/api/agent/calls", headers=agent).json()["call_id"]
    suggest(second, "供暖期是什么时候？")
    assert client.post(f"/api/agent/calls/{second}/close", headers=agent).status_code == 200  # never used

    data = client.get("/api/analytics/summary", headers=analyst).json()["suggestions"]
    assert (data["used"], data["edited"], data["discarded"], data["pending"]) == (1, 1, 1, 0)
    assert data["rates"] == {o: pytest.approx(1 / 3, abs=1e-4) for o in ("used", "edited", "discarded")}
