"""Hostile input gets a clear 4xx, never a 500: non-finite numbers, lone surrogates, full-width digits,
integers past 64 bits, and many first turns of one new session at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from bot import auth
from bot.store.db import session_scope
from bot.tickets.service import submit_ticket
from connectors.app import create_app
from connectors.runtime import Runtime
from tests.bot.dispatch.factories import make_ticket
from tests.connectors.empty_app import runtime  # noqa: F401 (fixture: an empty base is enough here)


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime, run_worker=False), raise_server_exceptions=False)


@pytest.fixture
def admin(runtime: Runtime) -> dict[str, str]:
    with session_scope(runtime.db_url) as db:
        return {"Authorization": f"Bearer {auth.create_token(db, role='admin', name='管理员')}"}


def _raw(client: TestClient, method: str, url: str, body: str, headers: dict[str, str] | None = None):
    return client.request(method, url, content=body.encode("utf-8", "surrogatepass"),
                          headers={"content-type": "application/json", **(headers or {})})


NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400"]


@pytest.mark.parametrize("number", NON_FINITE)
@pytest.mark.parametrize("url", ["/api/chat", "/api/chat/stream", "/api/tickets/T1/information?phone_last4=1234",
                                 "/api/tickets/T1/rating?phone_last4=1234",
                                 "/api/chat/s1/tickets/T1/information", "/api/chat/s1/tickets/T1/rating"])
def test_non_finite_numbers_in_a_json_body_are_a_422(client: TestClient, url: str, number: str) -> None:
    body = f'{{"session_id": "s1", "text": {number}, "rating": {number}, "comment": {number}}}'
    res = _raw(client, "POST", url, body)
    assert res.status_code == 422, res.text
    assert res.json()["detail"]


def test_non_finite_numbers_in_admin_bodies_are_a_4xx(client: TestClient, admin: dict[str, str]) -> None:
    for url in ["/api/admin/hit-test", "/api/admin/routing/test", "/api/agent/assist"]:
        res = _raw(client, "POST", url, '{"query": NaN, "top_k": Infinity, "text": 1e400}', admin)
        assert 400 <= res.status_code < 500, (url, res.status_code, res.text)


@pytest.mark.parametrize("body", [
    '{"session_id": "s1", "text": "\\ud800"}',
    '{"session_id": "\\udfff", "text": "你好"}',
    '{"session_id": "s1", "text": "路灯坏了\\ud83d"}',
])
def test_lone_surrogates_in_strings_are_a_422(client: TestClient, body: str) -> None:
    res = _raw(client, "POST", "/api/chat", body)
    assert res.status_code == 422, res.text


def test_a_proper_surrogate_pair_is_still_an_emoji(client: TestClient) -> None:
    res = _raw(client, "POST", "/api/chat", '{"session_id": "s-emoji", "text": "\\ud83d\\ude00"}')
    assert res.status_code == 200, res.text


def test_full_width_digits_in_phone_last4_are_a_422(client: TestClient, runtime: Runtime) -> None:
    with session_scope(runtime.db_url) as db:
        ticket_no = submit_ticket(db, make_ticket(phone="13912345678"), session_id=None).ticket_no
    for digits in ["５６７８", "٥٦٧٨", "5６78"]:
        assert client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": digits}).status_code == 422
        assert client.post(f"/api/tickets/{ticket_no}/information", params={"phone_last4": digits},
                           json={"text": "补充"}).status_code == 422
    assert client.get(f"/api/tickets/{ticket_no}", params={"phone_last4": "5678"}).status_code == 200


def test_integers_beyond_64_bits_are_a_422(client: TestClient, admin: dict[str, str]) -> None:
    huge = str(2**64 + 1)
    for url in [f"/api/admin/unanswered?limit={huge}", f"/api/admin/overdue?limit={huge}",
                f"/api/admin/overdue?limit=-{huge}", f"/api/admin/unanswered?limit=-{huge}",
                f"/api/agent/sessions?limit={huge}", f"/api/chat/s1/messages?after={huge}"]:
        res = client.get(url, headers=admin)
        assert res.status_code == 422, (url, res.status_code, res.text)
    res = client.post(f"/api/admin/dead-letters/{huge}/retry", headers=admin)
    assert res.status_code in (404, 422), res.text
    res = client.post(f"/api/admin/dead-letters/-{huge}/retry", headers=admin)
    assert res.status_code in (404, 422), res.text


def test_many_first_turns_of_one_new_session_at_once_all_succeed(client: TestClient) -> None:
    client.post("/api/chat", json={"session_id": "warm-up", "text": "你好"})
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: client.post("/api/chat", json={"session_id": "double-click-8",
                                                                    "text": "你好"}).status_code, range(8)))
    assert codes == [200] * 8
