"""Signed-webhook delivery through the outbox against a real receiver that misbehaves."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.config import get_settings
from bot.dispatch.tables import OutboxRow, TicketAssignment
from bot.store.db import session_scope
from bot.tickets.service import submit_ticket
from connectors.dispatch.signing import sign
from connectors.runtime import Runtime
from tests.bot.dispatch.factories import make_ticket, open_session
from tests.connectors.dispatch.conftest import SECRET, drain, outbox_states

PLACES = [("海淀区", "学院路街道"), ("朝阳区", "望京街道"), ("西城区", "展览路街道"), ("丰台区", "方庄地区"),
          ("通州区", "玉桥街道")]


def submit_many(url: str, n: int) -> list[str]:
    """n distinct tickets (different buildings, so none is a repeat of another)."""
    nos = []
    with session_scope(url) as db:
        for i in range(n):
            district, street = PLACES[i % len(PLACES)]
            t = make_ticket(district=district, street=street, raw=f"某小区{i + 1}号楼", summary=f"楼前路灯不亮第{i}处")
            nos.append(submit_ticket(db, t, session_id=None).ticket_no)
    return nos


def test_ticket_and_outbox_row_are_written_together(receiver, runtime) -> None:  # noqa: ANN001
    """A failed submit leaves neither the ticket nor its outbox row."""
    url = runtime.db_url
    try:
        with session_scope(url) as db:
            submit_ticket(db, make_ticket(), session_id=None)
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    with session_scope(url) as db:
        assert db.scalar(select(OutboxRow.id)) is None
    [no] = submit_many(url, 1)
    with session_scope(url) as db:
        row = db.scalar(select(OutboxRow).where(OutboxRow.ticket_no == no))
        assert row.state == "pending" and row.idempotency_key == f"{no}:dispatch:1"


def test_every_ticket_delivered_exactly_once_through_failures(receiver, runtime) -> None:  # noqa: ANN001
    """500s, timeouts, lost answers and an outage: after recovery each ticket is one case at the receiver."""
    receiver.slow_s = 0.8  # longer than the client's 0.5 s timeout
    receiver.script = ["fail", "fail", "timeout", "twice", "accept", "fail", "twice", "timeout", "fail"]
    nos = submit_many(runtime.db_url, 12)
    runtime.worker.run_once()
    receiver.down_for(1.0)
    drain(runtime, lambda: outbox_states(runtime.db_url).get("delivered", 0) == 12)
    keys = {f"{no}:dispatch:1" for no in nos}
    assert set(receiver.cases) == keys  # one case per ticket
    assert all(receiver.requests[k] >= 1 for k in keys)
    assert any(receiver.requests[k] > 1 for k in keys)  # some were sent again and de-duplicated
    assert receiver.bad_signatures == 0
    with session_scope(runtime.db_url) as db:
        rows = list(db.scalars(select(OutboxRow).where(OutboxRow.topic == "dispatch")))
        assert all(r.state == "delivered" and r.delivered_at is not None for r in rows)
        ext = {a.ticket_no: a.external_id for a in db.scalars(select(TicketAssignment))}
    assert {receiver.cases[f"{no}:dispatch:1"]["case_id"] for no in nos} == set(ext.values())


def test_payload_carries_key_unit_and_deadline(receiver, runtime) -> None:  # noqa: ANN001
    """The receiver gets the idempotency key in the body too, plus unit, deadline and the ticket."""
    open_session(runtime.db_url, "s-pay")
    with session_scope(runtime.db_url) as db:
        no = submit_ticket(db, make_ticket(summary="楼下烧烤店油烟扰民", district="海淀区", street="学院路街道"),
                           session_id="s-pay").ticket_no
    drain(runtime, lambda: bool(receiver.cases))
    body = receiver.cases[f"{no}:dispatch:1"]["body"]
    assert body["idempotency_key"] == f"{no}:dispatch:1" and body["event"] == "ticket.dispatch"
    assert body["unit_id"] == "haidian.cgzf" and body["deadline_at"]
    assert body["ticket"]["summary"] == "楼下烧烤店油烟扰民"


def test_dead_letter_then_admin_retry(receiver, runtime, monkeypatch) -> None:  # noqa: ANN001
    """After N failures the row is dead and visible to admins; a retry from there delivers it once."""
    from fastapi.testclient import TestClient

    from bot.auth import create_token
    from bot.config import get_settings
    from connectors.app import create_app

    monkeypatch.setenv("HOTLINE_DISPATCH_MAX_ATTEMPTS", "3")
    get_settings.cache_clear()
    runtime = type(runtime)()
    receiver.mode = "fail"
    [no] = submit_many(runtime.db_url, 1)
    drain(runtime, lambda: outbox_states(runtime.db_url).get("dead", 0) == 1)
    with session_scope(runtime.db_url) as db:
        admin = create_token(db, role="admin", name="ops")
        unit = create_token(db, role="unit", name="haidian.cgzf")
    client = TestClient(create_app(runtime))
    assert client.get("/api/admin/dead-letters").status_code == 401
    assert client.get("/api/admin/dead-letters", headers={"Authorization": f"Bearer {unit}"}).status_code == 403
    listing = client.get("/api/admin/dead-letters", headers={"Authorization": f"Bearer {admin}"}).json()
    assert listing["count"] == 1 and listing["items"][0]["attempts"] == 3
    assert "500" in listing["items"][0]["last_error"]
    receiver.mode = "accept"
    row_id = listing["items"][0]["id"]
    r = client.post(f"/api/admin/dead-letters/{row_id}/retry", headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 200 and r.json()["state"] == "pending"
    again = client.post(f"/api/admin/dead-letters/{row_id}/retry", headers={"Authorization": f"Bearer {admin}"})
    assert again.status_code == 400
    drain(runtime, lambda: outbox_states(runtime.db_url).get("delivered", 0) == 1)
    assert list(receiver.cases) == [f"{no}:dispatch:1"]


def test_permanent_refusal_goes_straight_to_dead_letters(receiver, runtime, monkeypatch) -> None:  # noqa: ANN001
    """A 4xx (here: our signature refused) is not retried forever."""
    receiver.secret = "another-secret"
    submit_many(runtime.db_url, 1)
    drain(runtime, lambda: outbox_states(runtime.db_url).get("dead", 0) == 1)
    assert receiver.bad_signatures == 1


def race_two_workers(receiver, monkeypatch, *, tickets: int = 30) -> tuple[list[str], Runtime, Runtime]:  # noqa: ANN001
    """Two workers on one database (from the environment), a slow receiver, small batches, until all are sent."""
    import threading

    monkeypatch.setenv("HOTLINE_WORKER_BATCH", "3")
    get_settings.cache_clear()
    runtime, other = Runtime(), Runtime()
    receiver.mode = "slow"
    receiver.slow_s = 0.05
    nos = submit_many(runtime.db_url, tickets)
    stop = threading.Event()
    threads = [threading.Thread(target=rt.worker.run, args=(stop,)) for rt in (runtime, other)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while outbox_states(runtime.db_url).get("delivered", 0) < tickets and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()
    return nos, runtime, other


def test_two_workers_never_send_one_ticket_twice(receiver, monkeypatch) -> None:  # noqa: ANN001
    """Every key arrives exactly once."""
    nos, runtime, other = race_two_workers(receiver, monkeypatch)
    assert set(receiver.cases) == {f"{no}:dispatch:1" for no in nos}
    assert all(count == 1 for count in receiver.requests.values())  # not even a de-duplicated resend
    assert runtime.worker.stats.delivered > 0 and other.worker.stats.delivered > 0


def test_signature_scheme_matches_the_receiver(receiver) -> None:  # noqa: ANN001
    """The documented scheme: sha256=HMAC(secret, "<ts>." + body)."""
    import hashlib
    import hmac

    body = b'{"a":1}'
    assert sign(SECRET, 1700000000, body) == "sha256=" + hmac.new(
        SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
