"""The scale path on a real PostgreSQL server: migrations apply, and two workers never send one ticket twice."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import inspect

from bot.config import get_settings
from bot.store.db import create_schema, get_engine
from connectors.runtime import Runtime
from tests.connectors.dispatch.conftest import outbox_states
from tests.connectors.dispatch.test_webhook_delivery import submit_many


def test_migrations_apply_on_postgres(postgres_url: str) -> None:
    create_schema(postgres_url)
    tables = set(inspect(get_engine(postgres_url)).get_table_names())
    assert {"tickets", "ticket_events", "documents", "chat_sessions", "alembic_version"} <= tables


def test_two_workers_on_postgres_never_send_one_ticket_twice(postgres_url: str, receiver,  # noqa: ANN001
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", postgres_url)
    monkeypatch.setenv("HOTLINE_WORKER_BATCH", "3")
    get_settings.cache_clear()
    runtime, other = Runtime(), Runtime()
    assert runtime.db_url.startswith("postgresql")
    receiver.mode = "slow"
    receiver.slow_s = 0.05
    nos = submit_many(runtime.db_url, 30)
    stop = threading.Event()
    threads = [threading.Thread(target=rt.worker.run, args=(stop,)) for rt in (runtime, other)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while outbox_states(runtime.db_url).get("delivered", 0) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    assert set(receiver.cases) == {f"{no}:dispatch:1" for no in nos}
    assert all(count == 1 for count in receiver.requests.values())
