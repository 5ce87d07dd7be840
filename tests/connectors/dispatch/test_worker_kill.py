"""Kill -9 the worker process in the middle of deliveries: after a restart nothing is lost or sent twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.dispatch.tables import OutboxRow
from bot.store.db import session_scope
from bot.store.tables import TicketEvent, TicketRow
from tests.connectors.dispatch.conftest import outbox_states
from tests.connectors.dispatch.test_webhook_delivery import submit_many

ROOT = Path(__file__).resolve().parents[3]


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    """`hotline worker` as a real process."""
    return subprocess.Popen(
        [sys.executable, "-c", "from connectors.commands.worker import worker_command; worker_command()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def wait_for(cond, timeout_s: float) -> None:  # noqa: ANN001
    """Poll until cond() holds."""
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_kill_mid_delivery_loses_nothing_and_sends_nothing_twice(receiver, runtime, monkeypatch) -> None:  # noqa: ANN001
    """The receiver holds the first answers; the worker dies; the restarted worker finishes the job."""
    url = runtime.db_url
    nos = submit_many(url, 10)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOTLINE_DISPATCH_TIMEOUT": "10", "HOTLINE_DISPATCH_LEASE": "2",
           "HOTLINE_WORKER_BATCH": "4", "HOTLINE_WORKER_CONCURRENCY": "4"}
    receiver.mode, receiver.slow_s = "slow", 3.0
    first = start_worker(env)
    try:
        wait_for(lambda: sum(receiver.requests.values()) >= 4, 20)  # four deliveries are in flight
        first.send_signal(signal.SIGKILL)
        first.wait(5)
    finally:
        if first.poll() is None:
            first.kill()
    in_flight = set(receiver.cases)
    assert outbox_states(url).get("delivered", 0) == 0  # the receiver got them, we never recorded it
    receiver.mode = "accept"
    second = start_worker(env)
    try:
        wait_for(lambda: outbox_states(url).get("delivered", 0) == 10, 30)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    keys = {f"{no}:dispatch:1" for no in nos}
    assert set(receiver.cases) == keys  # nothing lost, one case per ticket
    assert all(receiver.requests[k] == 2 for k in in_flight)  # resent once after the lease ran out…
    assert all(receiver.cases[k]["case_id"] for k in in_flight)  # …and de-duplicated by the key
    with session_scope(url) as db:
        assert db.scalar(select(func.count()).select_from(OutboxRow)
                         .where(OutboxRow.topic == "dispatch", OutboxRow.state == "delivered")) == 10
        dispatched = db.execute(select(TicketRow.ticket_no, func.count(TicketEvent.id))
                                .join(TicketEvent, TicketEvent.ticket_id == TicketRow.id)
                                .where(TicketEvent.status == "dispatched").group_by(TicketRow.ticket_no)).all()
    assert sorted(dispatched) == sorted((no, 1) for no in nos)  # one "dispatched" entry each
