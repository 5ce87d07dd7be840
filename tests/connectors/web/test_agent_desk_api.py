"""The live desk's API against the real server: the event stream pushes the handoff queue (reason, wait),
who holds a session, the watched transcript and emergency alerts; take, reply, hand back and close; and who
may use it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot import auth
from bot.store.db import session_scope
from connectors.runtime import Runtime
from tests.connectors.web.test_pages import server  # noqa: F401 - the fixture is used by name


def _bearer(runtime: Runtime, role: str, name: str) -> dict[str, str]:
    with session_scope(runtime.db_url) as db:
        return {"Authorization": f"Bearer {auth.create_token(db, role=role, name=name)}"}


class Desk:
    """One open event stream; `until` reads pushed `desk` events until one satisfies a condition."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.iter_lines()

    def next_event(self) -> tuple[str, dict[str, Any]]:
        name, data = None, []
        for line in self.lines:
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                data.append(line.split(":", 1)[1].strip())
            elif not line and name:
                return name, json.loads("\n".join(data))
        raise AssertionError("the stream ended")

    def until(self, check) -> dict[str, Any]:  # noqa: ANN001
        while True:
            name, data = self.next_event()
            if name == "desk" and check(data):
                return data


@pytest.fixture
def http(server: str) -> Iterator[httpx.Client]:  # noqa: F811
    with httpx.Client(base_url=server, timeout=120) as client:
        yield client


def _stream(http: httpx.Client, headers: dict[str, str], watch: str | None = None):  # noqa: ANN202
    return http.stream("GET", "/api/agent/events", headers=headers, params={"watch": watch} if watch else None)


def _chat(http: httpx.Client, session_id: str, text: str) -> dict[str, Any]:
    res = http.post("/api/chat", json={"session_id": session_id, "text": text})
    assert res.status_code == 200, res.text
    return res.json()


def _queued(session_id: str):  # noqa: ANN202
    return lambda d: any(q["session_id"] == session_id for q in d["handoff"])


def test_the_stream_pushes_the_queue_then_who_took_it_then_the_hand_back(http: httpx.Client,
                                                                          runtime: Runtime) -> None:
    li = _bearer(runtime, "agent", "坐席小李")
    wang = _bearer(runtime, "agent", "坐席小王")
    with _stream(http, li) as res:
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("text/event-stream")
        desk = Desk(res)
        first = desk.until(lambda d: True)
        assert first["handoff"] == [] and first["alerts"] == []

        _chat(http, "desk-1", "跟机器说不清楚，帮我找个真人客服吧")
        data = desk.until(_queued("desk-1"))
        item = next(q for q in data["handoff"] if q["session_id"] == "desk-1")
        assert item["status"] == "queued" and item["position"] == 1
        assert item["reason"] == "citizen_asked" and item["reason_label"] == "市民要求转人工"
        assert item["requested_at"].endswith("+00:00") and item["waited_seconds"] >= 0
        assert "真人客服" in item["last_citizen_message"]

        assert http.post("/api/agent/sessions/desk-1/take", headers=li).status_code == 200
        data = desk.until(lambda d: any(q["session_id"] == "desk-1" and q["status"] == "with_agent"
                                        for q in d["handoff"]))
        item = next(q for q in data["handoff"] if q["session_id"] == "desk-1")
        assert item["agent"] == "坐席小李" and item["waited_seconds"] is None
        session = next(s for s in data["sessions"] if s["session_id"] == "desk-1")
        assert session["agent"] == "坐席小李" and session["handoff_status"] == "with_agent"

        # Another agent sees who holds it and cannot take it or write into it.
        taken = http.post("/api/agent/sessions/desk-1/take", headers=wang)
        assert taken.status_code == 409 and "坐席小李" in taken.json()["detail"]
        assert http.post("/api/agent/sessions/desk-1/messages", headers=wang, json={"text": "你好"}).status_code == 409

        assert http.post("/api/agent/sessions/desk-1/release", headers=li).status_code == 200
        desk.until(lambda d: not _queued("desk-1")(d))


def test_the_watched_transcript_keeps_every_message_and_the_bot_is_quiet_while_an_agent_holds_it(
        http: httpx.Client, runtime: Runtime) -> None:
    li = _bearer(runtime, "agent", "坐席小李")
    _chat(http, "desk-2", "我要转人工")
    assert http.post("/api/agent/sessions/desk-2/take", headers=li).status_code == 200
    with _stream(http, li, watch="desk-2") as res:
        desk = Desk(res)
        desk.until(lambda d: d["conversation"] is not None)
        quiet = _chat(http, "desk-2", "你好，我家小区停车的问题")
        assert quiet["reply"] == "" and quiet["handoff"]["status"] == "with_agent"
        sent = http.post("/api/agent/sessions/desk-2/messages", headers=li, json={"text": "您好，请讲具体情况。"})
        assert sent.status_code == 200 and sent.json()["at"].endswith("+00:00")
        data = desk.until(lambda d: any(m["role"] == "agent" for m in d["conversation"]["messages"]))
        conv = data["conversation"]
        assert [m["role"] for m in conv["messages"]] == ["citizen", "bot", "bot", "citizen", "agent"]
        assert conv["messages"][-1]["author"] == "坐席小李"
        assert conv["handoff"]["status"] == "with_agent" and conv["handoff"]["agent"] == "坐席小李"
        assert all(m["created_at"].endswith("+00:00") for m in conv["messages"])

        assert http.post("/api/agent/sessions/desk-2/close", headers=li).status_code == 200
        data = desk.until(lambda d: d["conversation"]["handoff"] is None)
        assert "结束本次会话" in data["conversation"]["messages"][-1]["text"]
    back = _chat(http, "desk-2", "供暖期是什么时候？")
    assert back["handoff"]["status"] == "returned" and "11月15日" in back["reply"]
    assert http.post("/api/agent/sessions/desk-2/messages", headers=li, json={"text": "还在吗"}).status_code == 400


def test_an_emergency_in_a_chat_is_pushed_as_an_alert(http: httpx.Client, runtime: Runtime) -> None:
    li = _bearer(runtime, "agent", "坐席小李")
    with _stream(http, li) as res:
        desk = Desk(res)
        desk.until(lambda d: True)
        reply = _chat(http, "desk-3", "救命，我家厨房着火了，火越来越大")
        assert reply["intent"] == "emergency"
        data = desk.until(lambda d: bool(d["alerts"]))
        alert = data["alerts"][0]
        assert alert["session_id"] == "desk-3" and "119" in alert["numbers"]
        assert alert["kind_label"] == "火情" and alert["at"].endswith("+00:00")


def test_an_emergency_in_a_call_reaches_another_agent_as_an_alert_and_an_ordinary_turn_does_not(
        http: httpx.Client, runtime: Runtime) -> None:
    li = _bearer(runtime, "agent", "坐席小李")
    wang = _bearer(runtime, "agent", "坐席小王")
    quiet = http.post("/api/agent/calls", headers=li).json()["call_id"]
    ordinary = http.post(f"/api/agent/calls/{quiet}/turns", headers=li,
                         json={"text": "我们楼下新开的烧烤店每天晚上油烟特别大，呛得窗户都不敢开"})
    assert ordinary.status_code == 200 and ordinary.json()["alert"] is None
    assert http.get("/api/agent/alerts", headers=wang).json()["alerts"] == []

    with _stream(http, wang) as res:
        desk = Desk(res)
        assert desk.until(lambda d: True)["alerts"] == []
        call_id = http.post("/api/agent/calls", headers=li).json()["call_id"]
        turn = http.post(f"/api/agent/calls/{call_id}/turns", headers=li,
                         json={"text": "救命，我家厨房着火了，火越来越大，我电话13812345678"})
        assert turn.status_code == 200 and turn.json()["alert"]
        data = desk.until(lambda d: bool(d["alerts"]))
    [alert] = data["alerts"]
    assert alert["session_id"] == f"call:{call_id}" and alert["channel"] == "agent"
    assert alert["call_id"] == call_id and alert["agent"] == "坐席小李"
    assert alert["kind_label"] == "火情" and "119" in alert["numbers"]
    assert "着火" in alert["text"] and "13812345678" not in alert["text"]
    listed = http.get("/api/agent/alerts", headers=wang).json()["alerts"]
    assert [a["session_id"] for a in listed] == [f"call:{call_id}"]


def test_citizens_and_units_cannot_use_the_desk(http: httpx.Client, runtime: Runtime) -> None:
    unit = _bearer(runtime, "unit", "haidian.cgzf")
    admin = _bearer(runtime, "admin", "管理员")
    _chat(http, "desk-4", "我要转人工")
    calls = [("GET", "/api/agent/events", None), ("GET", "/api/agent/alerts", None),
             ("GET", "/api/agent/handoff", None), ("POST", "/api/agent/sessions/desk-4/take", None),
             ("POST", "/api/agent/sessions/desk-4/messages", {"text": "你好"}),
             ("POST", "/api/agent/sessions/desk-4/release", None), ("POST", "/api/agent/sessions/desk-4/close", None)]
    for method, url, body in calls:
        assert http.request(method, url, json=body).status_code == 401, url
        assert http.request(method, url, json=body, headers={"Authorization": "Bearer desk-4"}).status_code == 401
        assert http.request(method, url, json=body, headers=unit).status_code == 403, url
    with _stream(http, admin) as res:
        assert res.status_code == 200
