"""The migrated schema is the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import bot.store.all_tables  # noqa: F401
from bot.store.db import Base, create_schema


def test_migrations_match_the_models(tmp_path) -> None:  # noqa: ANN001
    """Alembic finds no difference between the upgraded database and Base.metadata."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    create_schema(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diffs == []


def test_dispatch_tables_exist_after_upgrade(tmp_path) -> None:  # noqa: ANN001
    """Revision 0003 creates the outbox and its companions."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    create_schema(url)
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"outbox", "ticket_assignments", "routing_decisions", "ticket_ratings", "callback_receipts"} <= names
