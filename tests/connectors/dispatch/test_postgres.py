"""The scale path on a real PostgreSQL server: migrations apply, and two workers never send one ticket twice."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, select

from bot.config import get_settings
from bot.models import Reply, Turn
from bot.store.db import create_schema, get_engine, session_scope
from bot.store.tables import ChatMessage
from connectors.runtime import Runtime
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


def test_one_sessions_turns_are_serialised_across_processes(postgres_url: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Two server processes (two runtimes, each with its own in-process locks) share one PostgreSQL: a
    second turn of the same session waits for the first to commit, so neither overwrites the other."""
    monkeypatch.setenv("HOTLINE_DATABASE_URL", postgres_url)
    get_settings.cache_clear()
    first, second = Runtime(), Runtime()
    inside, release = threading.Event(), threading.Event()

    def held_turn(db, turn, text, now, state):  # noqa: ANN001, ANN202
        inside.set()
        assert release.wait(60)
        state.awaiting = "phone"
        return Reply(reply="第一轮", intent="other")

    def quick_turn(db, turn, text, now, state):  # noqa: ANN001, ANN202
        # It sees what the first turn committed: the state it left behind.
        return Reply(reply=f"第二轮，等待{state.awaiting}", intent="other")

    monkeypatch.setattr(first.dialog, "_turn", held_turn)
    monkeypatch.setattr(second.dialog, "_turn", quick_turn)
    session = "web:pg-two-processes"
    replies: dict[str, Reply] = {}
    a = threading.Thread(target=lambda: replies.update(a=first.dialog.handle(Turn(session_id=session, text="甲"))))
    a.start()
    assert inside.wait(60)
    b = threading.Thread(target=lambda: replies.update(b=second.dialog.handle(Turn(session_id=session, text="乙"))))
    b.start()
    b.join(1.5)
    assert b.is_alive(), "the second process's turn ran while the first held the session"
    release.set()
    a.join(60)
    b.join(60)
    assert replies["a"].reply == "第一轮" and replies["b"].reply == "第二轮，等待phone"
    with session_scope(first.db_url) as db:
        texts = list(db.scalars(select(ChatMessage.text).where(ChatMessage.session_id == session)
                                .order_by(ChatMessage.id)))
    assert texts == ["甲", "第一轮", "乙", "第二轮，等待phone"]
