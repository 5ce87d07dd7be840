"""The citizen chat API beyond one turn: streaming, cited passages, session namespacing, concurrent first
turns, handoff to an agent and back (agent desk API), and ratings given in chat."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from bot import auth
from bot.store.db import session_scope
from bot.tickets.lifecycle import transition
from bot.tickets.models import TicketStatus
from bot.tickets.service import find_ticket
from connectors.app import create_app
from connectors.runtime import Runtime


def _token(runtime: Runtime, role: str, name: str) -> dict[str, str]:
    with session_scope(runtime.db_url) as db:
        return {"Authorization": f"Bearer {auth.create_token(db, role=role, name=name)}"}


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime, run_worker=False))


def _chat(client: TestClient, session_id: str, text: str) -> dict:
    res = client.post("/api/chat", json={"session_id": session_id, "text": text})
    assert res.status_code == 200, res.text
    return res.json()


def _events(body: str) -> list[tuple[str, dict]]:
    events, name = [], None
    for line in body.splitlines():
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and name:
            events.append((name, json.loads(line.split(":", 1)[1])))
            name = None
    return events


def test_stream_sends_pieces_then_the_whole_reply_and_the_cited_passage_opens(client: TestClient) -> None:
    res = client.post("/api/chat/stream", json={"session_id": "st1", "text": "居住证怎么办理？"})
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/event-stream")
    events = _events(res.text)
    deltas = [data["text"] for name, data in events if name == "delta"]
    [reply] = [data for name, data in events if name == "reply"]
    assert len(deltas) > 1, "the offline answer still arrives in pieces"
    assert "".join(deltas) == reply["reply"]
    assert events[-1][0] == "reply" and {"reply", "intent", "citations", "ticket", "awaiting", "handoff"} <= set(reply)
    assert reply["grounded"] is True and reply["citations"]

    cited = reply["citations"][0]
    passage = client.get(f"/api/passages/{cited['chunk_id']}")
    assert passage.status_code == 200
    body = passage.json()
    assert body["doc_id"] == cited["doc_id"] and body["title"] == cited["title"] and body["text"]
    assert isinstance(body["heading_path"], list)
    assert client.get("/api/passages/no-such-chunk").status_code == 404
    # The stream validates like POST /api/chat.
    assert client.post("/api/chat/stream", json={"session_id": "st1", "text": "  "}).status_code == 422


def test_a_web_client_cannot_reach_a_wechat_session(client: TestClient, runtime: Runtime) -> None:
    from bot.models import Turn

    follower = "wechat:oFollower0001"
    runtime.dialog.handle(Turn(session_id=follower, channel="wechat", text="朝阳区望京街道花家地西里3号楼楼下烧烤店油烟扰民"))
    runtime.dialog.handle(Turn(session_id=follower, channel="wechat", text="13812345678"))
    submitted = runtime.dialog.handle(Turn(session_id=follower, channel="wechat", text="确认"))
    ticket_no = submitted.ticket["ticket_no"]

    stolen = _chat(client, follower, "我的工单到哪了")
    assert ticket_no not in stolen["reply"]
    listing = client.get(f"/api/chat/{follower}/messages").json()["messages"]
    assert all(ticket_no not in m["text"] for m in listing)
    assert client.get(f"/api/chat/{follower}/tickets/{ticket_no}").status_code == 404


def test_first_turns_at_once_on_a_new_session_all_succeed(client: TestClient) -> None:
    _chat(client, "warm", "你好")
    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(lambda _: client.post("/api/chat", json={"session_id": "double-click",
                                                                    "text": "你好"}).status_code, range(4)))
    assert codes == [200] * 4
    seqs = [m["seq"] for m in client.get("/api/chat/double-click/messages").json()["messages"]]
    assert len(seqs) == 8 and seqs == sorted(seqs)


def test_handoff_queue_take_reply_release(client: TestClient, runtime: Runtime) -> None:
    agent = _token(runtime, "agent", "坐席甲")
    other = _token(runtime, "agent", "坐席乙")
    first = _chat(client, "h-first", "我要人工客服")
    assert first["handoff"] == {"status": "queued", "position": 1}
    assert "第 1 位" in first["reply"] and ("12345" in first["reply"])
    # Asking inside a longer message, in other words, also queues; the second is behind the first.
    second = _chat(client, "h-second", "楼下太吵了我已经说了很多次，麻烦转给人工处理吧")
    assert second["handoff"] == {"status": "queued", "position": 2}

    queue = client.get("/api/agent/handoff", headers=agent).json()["sessions"]
    assert [s["session_id"] for s in queue][:2] == ["h-first", "h-second"]
    assert queue[0]["position"] == 1 and queue[0]["reason"] == "citizen_asked"

    assert client.post("/api/agent/sessions/h-first/take", headers=agent).status_code == 200
    assert client.post("/api/agent/sessions/h-first/take", headers=other).status_code == 409
    held = {s["session_id"]: s for s in client.get("/api/agent/handoff", headers=other).json()["sessions"]}
    assert held["h-first"]["status"] == "with_agent" and held["h-first"]["agent"] == "坐席甲"
    assert held["h-second"]["position"] == 1

    # While the agent holds the session the bot is silent, and the agent's messages reach the transcript.
    silent = _chat(client, "h-first", "你好，我家楼下的垃圾站太臭了")
    assert silent["reply"] == "" and silent["handoff"] == {"status": "with_agent", "position": None}
    res = client.post("/api/agent/sessions/h-first/messages", json={"text": "您好，我是人工客服，请问具体位置？"},
                      headers=agent)
    assert res.status_code == 200
    assert client.post("/api/agent/sessions/h-first/messages", json={"text": "抢答"}, headers=other).status_code == 409
    seq = res.json()["seq"]
    msgs = client.get("/api/chat/h-first/messages").json()["messages"]
    assert [m["role"] for m in msgs if m["seq"] == seq] == ["agent"]
    assert any(m["role"] == "citizen" and "垃圾站" in m["text"] for m in msgs)
    assert client.get(f"/api/chat/h-first/messages?after={seq}").json()["messages"] == []

    assert client.post("/api/agent/sessions/h-first/release", headers=other).status_code == 409
    assert client.post("/api/agent/sessions/h-first/release", headers=agent).status_code == 200
    after = client.get(f"/api/chat/h-first/messages?after={seq}").json()["messages"]
    assert after and after[-1]["role"] == "bot" and "智能助手" in after[-1]["text"]
    back = _chat(client, "h-first", "供暖期是什么时候？")
    assert back["handoff"] == {"status": "returned", "position": None} and back["reply"]
    assert _chat(client, "h-first", "谢谢")["handoff"] is None
    assert client.post("/api/agent/sessions/nope/take", headers=agent).status_code == 404
    assert client.post("/api/agent/sessions/h-first/take").status_code == 401


def test_two_unanswered_questions_in_a_row_hand_off(client: TestClient, runtime: Runtime) -> None:
    one = _chat(client, "miss", "火星移民补贴政策怎么申请？")
    assert one["grounded"] is False and one["handoff"] is None
    two = _chat(client, "miss", "月球上开餐馆需要办什么许可？")
    assert two["handoff"] and two["handoff"]["status"] == "queued"
    queue = client.get("/api/agent/handoff", headers=_token(runtime, "agent", "坐席")).json()["sessions"]
    assert [s["reason"] for s in queue if s["session_id"] == "miss"] == ["unanswered"]


def test_rating_in_chat_and_from_the_card(client: TestClient, runtime: Runtime) -> None:
    _chat(client, "rate", "朝阳区望京街道花家地西里3号楼楼下烧烤店油烟扰民，电话13812345678")
    ticket_no = _chat(client, "rate", "确认")["ticket"]["ticket_no"]
    early = _chat(client, "rate", "满意")
    assert "办结后" in early["reply"]
    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, ticket_no)
        for status in (TicketStatus.DISPATCHED, TicketStatus.RESOLVED):
            transition(db, row, status, actor="test")
    rated = _chat(client, "rate", "我对处理结果很满意，给5分")
    assert "满意" in rated["reply"] and ticket_no in rated["reply"]
    view = client.get(f"/api/tickets/{ticket_no}?phone_last4=5678").json()
    assert view["rating"]["rating"] == "满意" and view["status"] == "closed"

    # The page's card rates through the session, which owns the ticket.
    _chat(client, "rate", "海淀区中关村街道中关村南大街5号院门口井盖丢了，电话13900001111")
    second = _chat(client, "rate", "确认")["ticket"]["ticket_no"]
    with session_scope(runtime.db_url) as db:
        row = find_ticket(db, second)
        assert row.payload["location"]["raw"] == "海淀区中关村街道中关村南大街5号院"
        for status in (TicketStatus.DISPATCHED, TicketStatus.RESOLVED):
            transition(db, row, status, actor="test")
    card = client.post(f"/api/chat/rate/tickets/{second}/rating", json={"rating": "不满意", "comment": "井盖还没装"})
    assert card.status_code == 200 and card.json()["status"] == "reopened"
    assert card.json()["rating"] == {"rating": "不满意", "comment": "井盖还没装"}
    assert client.post(f"/api/chat/someone/tickets/{second}/rating", json={"rating": "满意"}).status_code == 404
    info = client.post(f"/api/chat/rate/tickets/{second}/information", json={"text": "井盖在院门口东侧"})
    assert info.status_code == 200 and any("井盖在院门口东侧" in (e["note"] or "") for e in info.json()["timeline"])
