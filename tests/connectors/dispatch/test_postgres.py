"""The scale path on a real PostgreSQL server: migrations apply, and two workers never send one ticket twice."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from bot.store.db import create_schema, get_engine
from tests.connectors.dispatch.test_webhook_delivery import race_two_workers


def test_migrations_apply_on_postgres(postgres_url: str) -> None:
    create_schema(postgres_url)
    tables = set(inspect(get_engine(postgres_url)).get_table_names())
    assert {"tickets", "ticket_events", "documents", "chat_sessions", "alembic_version"} <= tables


def test_two_workers_on_postgres_never_send_one_ticket_twice(postgres_url: str, receiver,  # noqa: ANN001
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", postgres_url)
    nos, runtime, _other = race_two_workers(receiver, monkeypatch)
    assert runtime.db_url.startswith("postgresql")
    assert set(receiver.cases) == {f"{no}:dispatch:1" for no in nos}
    assert all(count == 1 for count in receiver.requests.values())
