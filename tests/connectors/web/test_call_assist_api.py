"""Call assist over the whole call: turn by turn the draft is built from every turn so far, suggestions are
grounded, the caller's earlier tickets are found by phone, and the edited draft reaches the unit as a ticket."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot import auth
from bot.store.db import session_scope
from bot.store.tables import UnansweredQuestion
from bot.tickets.service import submit_ticket
from connectors.app import create_app
from connectors.runtime import Runtime
from tests.bot.dispatch.factories import make_ticket

PROBLEM = "你好，我要反映一下，我们楼下新开的烧烤店每天晚上油烟特别大，呛得窗户都不敢开"
PLACE = "在朝阳区望京街道花家地西里3号楼"
PHONE = "我电话是13812345678"
QUESTION = "对了，顺便问一下供暖期是什么时候？"


def _token(runtime: Runtime, role: str, name: str) -> dict[str, str]:
    with session_scope(runtime.db_url) as db:
        return {"Authorization": f"Bearer {auth.create_token(db, role=role, name=name)}"}


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime, run_worker=False, warm_up=False))


@pytest.fixture
def agent(runtime: Runtime) -> dict[str, str]:
    return _token(runtime, "agent", "坐席一号")


def _turn(client: TestClient, agent: dict[str, str], call_id: str, text: str) -> dict:
    res = client.post(f"/api/agent/calls/{call_id}/turns", json={"text": text}, headers=agent)
    assert res.status_code == 200, res.text
    return res.json()


def _unanswered(runtime: Runtime) -> int:
    with session_scope(runtime.db_url) as db:
        return db.scalar(select(func.count(UnansweredQuestion.id))) or 0


def test_a_four_turn_call_builds_one_draft_and_submits_it_to_the_unit(client: TestClient, runtime: Runtime,
                                                                      agent: dict[str, str]) -> None:
    with session_scope(runtime.db_url) as db:
        earlier = submit_ticket(db, make_ticket(phone="13812345678", summary="小区路灯不亮"), session_id=None).ticket_no
        submit_ticket(db, make_ticket(phone="13912345678", summary="别人的工单"), session_id=None)
    call = client.post("/api/agent/calls", headers=agent).json()
    call_id = call["call_id"]
    assert call["status"] == "open" and call["draft"] is None and call["agent"] == "坐席一号"

    first = _turn(client, agent, call_id, PROBLEM)
    assert first["turn"]["kind"] == "problem"
    draft = first["draft"]
    assert draft["intent"] == "complaint" and "烧烤" in draft["summary"] and "油烟" in draft["summary"]
    category = draft["category"]
    assert category["level1"] and draft["missing"] == ["location", "contact_phone"]
    assert first["suggestions"] == [] and first["caller_tickets"] == []

    second = _turn(client, agent, call_id, PLACE)
    assert second["turn"]["kind"] == "fact"
    draft = second["draft"]
    assert draft["location"]["district"] == "朝阳区" and draft["location"]["street"] == "望京街道"
    assert "花家地西里3号楼" in draft["location"]["raw"]
    assert draft["category"] == category  # the address was not classified alone
    assert "烧烤" in draft["summary"] and second["suggestions"] == []

    third = _turn(client, agent, call_id, PHONE)
    assert third["turn"]["kind"] == "fact"
    draft = third["draft"]
    assert draft["contact_phone"] == "13812345678" and "烧烤" in draft["summary"]
    assert "13812345678" not in draft["summary"] and draft["missing"] == []
    assert [t["ticket_no"] for t in third["caller_tickets"]] == [earlier]
    assert third["caller_tickets"][0]["summary"] == "小区路灯不亮"

    fourth = _turn(client, agent, call_id, QUESTION)
    assert fourth["turn"]["kind"] == "question"
    assert fourth["draft"]["summary"] == draft["summary"] and fourth["draft"]["category"] == category
    [suggestion] = fourth["suggestions"]
    assert "11月15日" in suggestion["text"]
    assert suggestion["citations"][0]["doc_id"] == "winter-heating"
    assert [t["kind"] for t in fourth["turns"]] == ["problem", "fact", "fact", "question"]

    # The agent reads the suggestion out as is, corrects the draft's address and submits it.
    said = client.post(f"/api/agent/calls/{call_id}/replies", headers=agent,
                       json={"text": suggestion["text"], "suggestion_id": suggestion["id"]})
    assert said.status_code == 200, said.text
    assert said.json()["suggestions"][0]["outcome"] == "used"
    edited = {**fourth["draft"], "location": {**fourth["draft"]["location"], "raw": "朝阳区望京街道花家地西里5号楼"}}
    res = client.post(f"/api/agent/calls/{call_id}/submit", json={"draft": edited}, headers=agent)
    assert res.status_code == 200, res.text
    ticket_no = res.json()["ticket_no"]
    assert res.json()["unit"]

    while runtime.worker.run_once():
        pass
    admin = _token(runtime, "admin", "管理员")
    queue = client.get("/api/unit/tickets", headers=admin).json()
    mine = [t for t in queue["tickets"] if t["ticket_no"] == ticket_no]
    assert mine and mine[0]["status"] == "dispatched"
    assert "花家地西里5号楼" in mine[0]["location"]["raw"] and "烧烤" in mine[0]["summary"]
    # The ended call takes no more turns.
    assert client.post(f"/api/agent/calls/{call_id}/turns", json={"text": "还有"}, headers=agent).status_code == 409
    assert client.get(f"/api/agent/calls/{call_id}", headers=agent).json()["ticket_no"] == ticket_no


def test_a_complaint_or_an_unanswerable_question_gets_no_refusal_as_a_suggestion(client: TestClient,
                                                                                 runtime: Runtime,
                                                                                 agent: dict[str, str]) -> None:
    before = _unanswered(runtime)
    call_id = client.post("/api/agent/calls", headers=agent).json()["call_id"]
    complaint = _turn(client, agent, call_id, "楼下烧烤店天天半夜油烟噪音扰民，实在受不了")
    assert complaint["suggestions"] == []
    unknown = _turn(client, agent, call_id, "火星移民补贴政策怎么申请？")
    assert unknown["suggestions"] == [] and unknown["note"] and "知识库" in unknown["note"]
    assert "火星" not in (unknown["draft"]["summary"] or "")
    # Pasted caller lines never reach the admins' unanswered list, nor does the single-message assist.
    assert client.post("/api/agent/assist", json={"text": "金星上建房子要审批吗？"}, headers=agent).status_code == 200
    assert _unanswered(runtime) == before


def test_suggestion_outcomes_are_counted_as_used_edited_and_discarded(client: TestClient,
                                                                     agent: dict[str, str]) -> None:
    ids = []
    for _ in range(3):
        call_id = client.post("/api/agent/calls", headers=agent).json()["call_id"]
        [suggestion] = _turn(client, agent, call_id, "供暖期是什么时候？")["suggestions"]
        ids.append((call_id, suggestion))
    (c1, s1), (c2, s2), (c3, s3) = ids
    client.post(f"/api/agent/calls/{c1}/replies", json={"text": s1["text"], "suggestion_id": s1["id"]}, headers=agent)
    client.post(f"/api/agent/calls/{c2}/replies", json={"text": "您好，" + s2["text"], "suggestion_id": s2["id"]},
                headers=agent)
    res = client.post(f"/api/agent/calls/{c3}/suggestions/{s3['id']}/discard", headers=agent)
    assert res.status_code == 200 and res.json()["suggestions"][0]["outcome"] == "discarded"
    # Another call's suggestion cannot be decided through this call.
    assert client.post(f"/api/agent/calls/{c3}/suggestions/{s1['id']}/discard", headers=agent).status_code == 404

    stats = client.get("/api/agent/suggestions/stats", headers=agent).json()
    assert (stats["used"], stats["edited"], stats["discarded"], stats["pending"]) == (1, 1, 1, 0)
    assert stats["rates"] == {"used": 0.3333, "edited": 0.3333, "discarded": 0.3333}

    # A suggestion left undecided when the call ends counts as discarded.
    call_id = client.post("/api/agent/calls", headers=agent).json()["call_id"]
    _turn(client, agent, call_id, "供暖期是什么时候？")
    assert client.get("/api/agent/suggestions/stats", headers=agent).json()["pending"] == 1
    assert client.post(f"/api/agent/calls/{call_id}/close", headers=agent).json()["status"] == "closed"
    assert client.get("/api/agent/suggestions/stats", headers=agent).json()["discarded"] == 2


def test_corrections_and_bad_edits(client: TestClient, agent: dict[str, str]) -> None:
    call_id = client.post("/api/agent/calls", headers=agent).json()["call_id"]
    _turn(client, agent, call_id, "朝阳区望京街道花家地西里3号楼楼下的路灯坏了一个星期了，晚上走路很危险")
    fixed = _turn(client, agent, call_id, "不对，是5号楼")
    assert fixed["turn"]["kind"] == "correction"
    assert "5号楼" in fixed["draft"]["location"]["raw"] and "路灯" in fixed["draft"]["summary"]
    anonymous = _turn(client, agent, call_id, "我不想留电话")
    assert anonymous["draft"]["anonymous"] is True and anonymous["draft"]["missing"] == []

    url = f"/api/agent/calls/{call_id}/submit"
    assert client.post(url, json={"draft": {"category": {"level1": "不存在的分类"}}}, headers=agent).status_code == 400
    assert client.post(url, json={"draft": {"contact_phone": "12"}}, headers=agent).status_code == 400
    assert client.post(url, json={"draft": {"summary": " "}}, headers=agent).status_code == 400
    assert client.post("/api/agent/calls/nope/turns", json={"text": "你好"}, headers=agent).status_code == 404
    assert client.post(f"/api/agent/calls/{call_id}/turns", json={"text": ""}, headers=agent).status_code == 422
    ok = client.post(url, json={"draft": {"contact_phone": "13700001111"}}, headers=agent)
    assert ok.status_code == 200, ok.text
    cats = client.get("/api/agent/categories", headers=agent).json()["categories"]
    assert cats and all(c["level1"] and c["level2"] for c in cats)


def test_call_routes_need_an_agent_or_admin(client: TestClient, runtime: Runtime) -> None:
    unit = _token(runtime, "unit", "haidian.cgzf")
    assert client.post("/api/agent/calls").status_code == 401
    assert client.post("/api/agent/calls", headers=unit).status_code == 403
    assert client.get("/api/agent/suggestions/stats", headers=unit).status_code == 403
    assert client.post("/api/agent/calls", headers=_token(runtime, "admin", "管理员")).status_code == 200


def test_a_whole_call_pasted_at_once_reads_as_its_turns(client: TestClient, agent: dict[str, str]) -> None:
    call_id = client.post("/api/agent/calls", headers=agent).json()["call_id"]
    data = _turn(client, agent, call_id, "\n".join([PROBLEM, PLACE, PHONE, QUESTION]))
    assert [t["kind"] for t in data["turns_added"]] == ["problem", "fact", "fact", "question"]
    draft = data["draft"]
    assert "烧烤" in draft["summary"] and draft["contact_phone"] == "13812345678"
    assert draft["location"]["street"] == "望京街道" and draft["intent"] == "complaint"
    [suggestion] = data["suggestions"]
    assert all(c["doc_id"] == "winter-heating" for c in suggestion["citations"][:1])
    assert "12315" not in suggestion["text"]


def test_an_emergency_turn_raises_the_alert_and_the_urgency(client: TestClient, agent: dict[str, str]) -> None:
    call_id = client.post("/api/agent/calls", headers=agent).json()["call_id"]
    data = _turn(client, agent, call_id, "楼道里闻到很浓的煤气味，邻居家好像没人")
    assert data["alert"] and data["draft"]["urgency"] == "emergency" and data["suggestions"] == []


def test_the_summary_covers_every_problem_turn_and_leaves_out_the_facts(client: TestClient,
                                                                       agent: dict[str, str]) -> None:
    call_id = client.post("/api/agent/calls", headers=agent).json()["call_id"]
    for text in ("喂你好，我想投诉一下我们小区物业", "他们把消防通道占了停车，说了好几次都不管",
                 "地址是海淀区学院路20号院", "我姓王，电话13912345678", "每天晚上都这样"):
        data = _turn(client, agent, call_id, text)
    assert [t["kind"] for t in data["turns"]] == ["problem", "problem", "fact", "fact", "fact"]
    draft = data["draft"]
    assert draft["summary"].startswith("市民反映：我想投诉") and "消防通道" in draft["summary"]
    assert "13912345678" not in draft["summary"] and "学院路" not in draft["summary"]
    assert draft["contact_name"] == "王" and draft["location"]["district"] == "海淀区"
    assert draft["occurred_at"] == "每天晚上"
