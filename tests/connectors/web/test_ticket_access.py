"""Ticket lookups cannot be brute-forced: wrong phone digits are throttled per ticket and per client
(429 for a while, whatever the digits, also for adding information and rating); the signed link from the
ticket card and the WeChat push opens the ticket without digits."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from bot.store.db import session_scope
from bot.tickets.service import submit_ticket
from connectors.runtime import Runtime
from tests.bot.dispatch.factories import make_ticket, open_session
from tests.connectors.empty_app import client, runtime  # noqa: F401 (fixtures)


def _ticket(runtime: Runtime, session_id: str | None = None, phone: str = "13912345678") -> str:
    if session_id:
        open_session(runtime.db_url, session_id)
    with session_scope(runtime.db_url) as db:
        return submit_ticket(db, make_ticket(phone=phone), session_id=session_id).ticket_no


def test_wrong_digits_lock_the_ticket_whatever_the_digits(client: TestClient, runtime: Runtime) -> None:
    ticket_no = _ticket(runtime)
    codes = [client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": f"{n:04d}"}).status_code
             for n in range(5)]
    assert codes == [404] * 5
    locked = client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": "5678"})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 60
    assert "次数过多" in locked.json()["detail"]
    assert client.post(f"/api/tickets/{ticket_no}/information", params={"phone_last4": "5678"},
                       json={"text": "补充"}).status_code == 429
    assert client.post(f"/api/tickets/{ticket_no}/rating", params={"phone_last4": "5678"},
                       json={"rating": "满意"}).status_code == 429


def test_information_and_rating_guesses_count_too(client: TestClient, runtime: Runtime) -> None:
    ticket_no = _ticket(runtime)
    for n in range(3):
        client.post(f"/api/tickets/{ticket_no}/information", params={"phone_last4": f"{n:04d}"}, json={"text": "x"})
    for n in range(2):
        client.post(f"/api/tickets/{ticket_no}/rating", params={"phone_last4": f"{n:04d}"}, json={"rating": "满意"})
    assert client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": "5678"}).status_code == 429


def test_spreading_guesses_over_tickets_locks_the_client(client: TestClient, runtime: Runtime) -> None:
    tickets = [_ticket(runtime) for _ in range(4)]
    for ticket_no in tickets:
        for n in range(4):
            client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": f"{n:04d}"})
    fresh = _ticket(runtime)
    assert client.get(f"/api/tickets/{fresh}", params={"phone_last4": "5678"}).status_code == 429


def test_the_right_digits_open_the_ticket_before_any_lockout(client: TestClient, runtime: Runtime) -> None:
    ticket_no = _ticket(runtime)
    assert client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": "0000"}).status_code == 404
    assert client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": "5678"}).status_code == 200
    assert client.get(f"/api/tickets/{ticket_no}").status_code == 422


def test_the_ticket_cards_signed_link_opens_the_ticket(client: TestClient, runtime: Runtime) -> None:
    ticket_no = _ticket(runtime, session_id="card-owner")
    card = client.get(f"/api/chat/card-owner/tickets/{ticket_no}")
    assert card.status_code == 200
    link = card.json()["link"]
    query = parse_qs(urlsplit(link).query)
    assert query["ticket"] == [ticket_no]
    token = query["token"][0]
    assert client.get(f"/api/tickets/{ticket_no}", params={"token": token}).json()["ticket_no"] == ticket_no
    assert client.post(f"/api/tickets/{ticket_no}/information", params={"token": token},
                       json={"text": "楼下又开始了"}).status_code == 200
    other = _ticket(runtime)
    assert client.get(f"/api/tickets/{other}", params={"token": token}).status_code == 404, "bound to one ticket"
    assert client.get(f"/api/tickets/{ticket_no}", params={"token": "0" * 32}).status_code == 404


def test_session_ticket_guesses_are_throttled(client: TestClient, runtime: Runtime) -> None:
    ticket_no = _ticket(runtime, session_id="owner-1")
    for i in range(5):
        assert client.get(f"/api/chat/guess-{i}/tickets/{ticket_no}").status_code == 404
    assert client.get(f"/api/chat/owner-1/tickets/{ticket_no}").status_code == 429


def test_the_wechat_push_carries_the_signed_link(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.web.routes.tickets import link_token
    from connectors.wechat.notifier import WeChatNotifier

    settings = runtime.settings.model_copy(update={"wechat_template_url": "https://h.example/?ticket={ticket_no}&token={token}"})
    notifier = WeChatNotifier(api=None, settings=settings, db_url=runtime.db_url)
    url = notifier.template_url("您的工单 20261202000123 已办结")
    assert url == f"https://h.example/?ticket=20261202000123&token={link_token(settings, '20261202000123')}"
