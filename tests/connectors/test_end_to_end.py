"""The whole loop on the embedded defaults, over HTTP, with the delivery worker running in-process:
a chat complaint becomes a ticket, reaches the built-in unit queue, the unit's moves reach the
citizen's lookup and chat, and a rating closes it."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from bot import auth
from bot.store.db import session_scope
from connectors.app import create_app
from connectors.runtime import Runtime


def _wait_for(predicate, timeout_s: float = 20.0):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_chat_ticket_to_unit_queue_to_citizen_rating(runtime: Runtime) -> None:
    with TestClient(create_app(runtime, run_worker=True)) as client:
        def say(text: str) -> dict:
            response = client.post("/api/chat", json={"session_id": "e2e", "text": text})
            assert response.status_code == 200, response.text
            return response.json()

        assert say("请问暖气不热怎么报修？")["intent"] == "consult"
        first = say("海淀区中关村街道中关村南大街5号院，暖气一直不热，家里只有十四度")
        assert first["awaiting"] in {"contact_phone", "confirmation"}
        if first["awaiting"] == "contact_phone":
            assert say("13900001111")["awaiting"] == "confirmation"
        ticket_no = say("确认")["ticket"]["ticket_no"]
        assert ticket_no

        lookup = client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": "1111"}).json()
        unit_id = lookup["unit"]["id"] if isinstance(lookup.get("unit"), dict) else lookup.get("unit_id")
        assert unit_id, lookup
        with session_scope(runtime.db_url) as db:
            unit_auth = {"Authorization": f"Bearer {auth.create_token(db, role='unit', name=unit_id)}"}

        queue = _wait_for(lambda: [t for t in client.get("/api/unit/tickets", headers=unit_auth).json()["tickets"]
                                   if t["ticket_no"] == ticket_no])
        assert queue[0]["ticket_no"] == ticket_no

        for action, note in [("accept", None), ("start", None), ("resolve", "已派维修人员排气，室温恢复到20度")]:
            moved = client.post(f"/api/unit/tickets/{ticket_no}/actions", headers=unit_auth,
                                json={"action": action, "note": note})
            assert moved.status_code == 200, moved.text

        view = client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": "1111"}).json()
        assert view["status"] == "resolved"
        statuses = [entry["status"] for entry in view["timeline"]]
        assert statuses[:1] == ["submitted"] and {"dispatched", "accepted", "in_progress", "resolved"} <= set(statuses)

        # The status change reached the citizen's own channel (the web session) too.
        progress = say("我的工单到哪了")["reply"]
        assert ticket_no in progress

        rated = client.post(f"/api/tickets/{ticket_no}/rating", params={"phone_last4": "1111"},
                            json={"rating": "满意", "comment": "修得很快"})
        assert rated.status_code == 200, rated.text
        assert client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": "1111"}).json()["status"] == "closed"
        assert client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": "9999"}).status_code == 404
