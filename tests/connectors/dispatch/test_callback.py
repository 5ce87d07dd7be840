"""Inbound status callbacks: verified like outbound webhooks; bad or stale ones change nothing."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from bot.store.db import session_scope
from bot.tickets.service import citizen_view
from connectors.app import create_app
from connectors.dispatch.signing import signed_headers
from tests.connectors.dispatch.conftest import SECRET, drain, outbox_states
from tests.connectors.dispatch.test_webhook_delivery import submit_many


@pytest.fixture
def dispatched(receiver, runtime):  # noqa: ANN001, ANN201
    """A ticket delivered to the webhook backend, and an HTTP client to the app."""
    [no] = submit_many(runtime.db_url, 1)
    drain(runtime, lambda: outbox_states(runtime.db_url).get("delivered", 0) == 1)
    return no, TestClient(create_app(runtime)), runtime


def post(client: TestClient, doc: dict, *, secret: str = SECRET, now: float | None = None,
         tamper: bool = False) -> object:
    """POST a callback signed with `secret` at time `now`."""
    body = json.dumps(doc, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", **signed_headers(secret, body, now=now)}
    if tamper:
        body = body.replace(b"resolved", b"accepted")
    return client.post("/api/dispatch/callback", content=body, headers=headers)


def status_of(runtime, no: str) -> str:  # noqa: ANN001
    """The ticket's status."""
    with session_scope(runtime.db_url) as db:
        return citizen_view(db, no, "5678")["status"]


def test_bad_signature_stale_timestamp_and_replay_change_nothing(dispatched) -> None:  # noqa: ANN001
    """Wrong secret, tampered body, missing headers, old or future timestamps: 401 and no change."""
    no, client, runtime = dispatched
    doc = {"event_id": "e1", "ticket_no": no, "status": "resolved", "note": "已修复"}
    assert post(client, doc, secret="wrong-secret").status_code == 401
    assert post(client, doc, tamper=True).status_code == 401
    assert post(client, doc, now=time.time() - 3600).status_code == 401
    assert post(client, doc, now=time.time() + 3600).status_code == 401
    assert client.post("/api/dispatch/callback", json=doc).status_code == 401
    assert status_of(runtime, no) == "dispatched"

    ok = post(client, {**doc, "status": "accepted", "event_id": "e0"})
    assert ok.status_code == 200 and ok.json()["changed"] is True
    good = post(client, doc)
    assert good.status_code == 200 and good.json()["status"] == "resolved"
    replay = post(client, doc)
    assert replay.status_code == 200 and replay.json() == {"ok": True, "duplicate": True}
    assert status_of(runtime, no) == "resolved"


def test_invalid_transition_and_unknown_ticket_are_refused(dispatched) -> None:  # noqa: ANN001
    """A callback cannot skip the lifecycle backwards or touch a ticket we do not have."""
    no, client, runtime = dispatched
    post(client, {"event_id": "a", "ticket_no": no, "status": "resolved", "note": "办结"})
    back = post(client, {"event_id": "b", "ticket_no": no, "status": "accepted"})
    assert back.status_code == 409
    assert post(client, {"event_id": "c", "ticket_no": "nope", "status": "accepted"}).status_code == 404
    assert status_of(runtime, no) == "resolved"
