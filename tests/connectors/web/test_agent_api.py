"""The agent API: sessions, one conversation, the handoff queue and call assist."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot import auth
from bot.store.db import session_scope
from connectors.app import create_app
from connectors.runtime import Runtime


def _token(runtime: Runtime, role: str, name: str) -> dict[str, str]:
    with session_scope(runtime.db_url) as db:
        return {"Authorization": f"Bearer {auth.create_token(db, role=role, name=name)}"}


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime, run_worker=False))


@pytest.fixture
def agent(runtime: Runtime) -> dict[str, str]:
    return _token(runtime, "agent", "坐席一号")


def _chat(client: TestClient, session_id: str, text: str) -> dict:
    res = client.post("/api/chat", json={"session_id": session_id, "text": text})
    assert res.status_code == 200, res.text
    return res.json()


def test_agent_routes_need_an_agent_or_admin(client: TestClient, runtime: Runtime) -> None:
    unit = _token(runtime, "unit", "haidian.cgzf")
    admin = _token(runtime, "admin", "管理员")
    for method, url, body in (("GET", "/api/agent/sessions", None), ("GET", "/api/agent/sessions/x", None),
                              ("GET", "/api/agent/handoff", None), ("POST", "/api/agent/assist", {"text": "你好"})):
        assert client.request(method, url, json=body).status_code == 401
        assert client.request(method, url, json=body, headers=unit).status_code == 403
    assert client.get("/api/agent/sessions", headers=admin).status_code == 200


def test_sessions_conversation_and_handoff(client: TestClient, agent: dict[str, str]) -> None:
    _chat(client, "s-consult", "供暖期是什么时候？")
    _chat(client, "s-draft", "楼下烧烤店每天凌晨两点还在营业，油烟噪音扰民，我电话13812345678")
    _chat(client, "s-human", "你好")
    _chat(client, "s-human", "我要转人工")

    res = client.get("/api/agent/sessions", headers=agent)
    assert res.status_code == 200
    items = {s["session_id"]: s for s in res.json()["sessions"]}
    assert {"s-consult", "s-draft", "s-human"} <= set(items)
    draft = items["s-draft"]
    assert draft["draft_open"] is True and draft["awaiting"] == "location"
    assert "13812345678" not in draft["last_citizen_message"] and "5678" in draft["last_citizen_message"]
    assert items["s-consult"]["draft_open"] is False and items["s-consult"]["ungrounded"] is False
    assert client.get("/api/agent/sessions?limit=1", headers=agent).json()["count"] == 1

    conv = client.get("/api/agent/sessions/s-human", headers=agent).json()
    assert [m["role"] for m in conv["messages"]] == ["citizen", "bot", "citizen", "bot"]
    assert conv["messages"][0]["text"] == "你好" and conv["messages"][2]["text"] == "我要转人工"
    assert client.get("/api/agent/sessions/nope", headers=agent).status_code == 404

    queue = client.get("/api/agent/handoff", headers=agent).json()
    ids = [s["session_id"] for s in queue["sessions"]]
    assert "s-human" in ids and "s-consult" not in ids and "s-draft" not in ids
    assert queue["sessions"][ids.index("s-human")]["reason"] == "citizen_asked"


def test_two_ungrounded_answers_in_a_row_put_the_session_in_the_handoff_queue(client: TestClient,
                                                                             agent: dict[str, str]) -> None:
    reply = _chat(client, "s-unknown", "火星移民补贴政策怎么申请？")
    assert reply["grounded"] is False and reply["handoff"] is None
    reply = _chat(client, "s-unknown", "那金星上建房子要审批吗？")
    assert reply["handoff"]["status"] == "queued"
    queue = client.get("/api/agent/handoff", headers=agent).json()
    found = [s for s in queue["sessions"] if s["session_id"] == "s-unknown"]
    assert found and found[0]["reason"] == "unanswered"


def test_assist_answers_a_policy_question_with_citations_and_invents_nothing(client: TestClient,
                                                                             agent: dict[str, str]) -> None:
    res = client.post("/api/agent/assist", json={"text": "供暖期是什么时候？"}, headers=agent)
    assert res.status_code == 200, res.text
    data = res.json()
    reply = data["suggested_reply"]
    assert reply["grounded"] is True
    assert "11月15日" in reply["answer"]
    assert reply["citations"][0]["doc_id"] == "winter-heating"
    draft = data["ticket_draft"]
    assert draft["intent"] == "consult"
    assert draft["location"] is None and draft["phone"] is None and draft["time"] is None


def test_assist_drafts_a_ticket_from_a_complaint(client: TestClient, agent: dict[str, str]) -> None:
    res = client.post("/api/agent/assist", headers=agent,
                      json={"text": "朝阳区望京街道楼下烧烤店天天半夜扰民，我电话13812345678", "history": []})
    assert res.status_code == 200, res.text
    data = res.json()
    draft = data["ticket_draft"]
    assert draft["intent"] == "complaint"
    assert draft["location"]["district"] == "朝阳区"
    assert draft["location"]["street"] == "望京街道"
    assert draft["phone"] == "13812345678"
    assert draft["category"]["level1"]
    assert draft["urgency"] in ("normal", "urgent", "emergency")
    assert draft["summary"]
    assert isinstance(data["suggested_reply"]["answer"], str) and data["suggested_reply"]["answer"]


def test_assist_rejects_empty_text(client: TestClient, agent: dict[str, str]) -> None:
    assert client.post("/api/agent/assist", json={"text": "  "}, headers=agent).status_code == 422
    assert client.post("/api/agent/assist", json={}, headers=agent).status_code == 422


def test_an_emergency_turn_is_flagged_on_the_console(client: TestClient, agent: dict[str, str]) -> None:
    reply = _chat(client, "s-emergency", "电梯卡在半路不动了，门打不开，我妈在里面喊")
    assert reply["emergency"] is True and "119" in reply["reply"]
    _chat(client, "s-calm", "供暖期是什么时候？")
    items = {s["session_id"]: s for s in client.get("/api/agent/sessions", headers=agent).json()["sessions"]}
    assert items["s-emergency"]["emergencies"] == 1 and items["s-calm"]["emergencies"] == 0
    listed = client.get("/api/agent/alerts", headers=agent).json()["alerts"]
    assert [a["session_id"] for a in listed] == ["s-emergency"]
    assert listed[0]["kind"] == "trapped" and "119" in listed[0]["numbers"]
    assert client.get("/api/agent/alerts").status_code == 401
