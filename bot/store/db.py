"""The database: one engine per URL, one declarative base, sessions as context managers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """Base class of every table."""


def utcnow() -> datetime:
    """Timezone-aware now, the one clock for stored timestamps."""
    return datetime.now(UTC)


def _tune_sqlite(dbapi_connection, _record) -> None:  # noqa: ANN001
    # WAL lets the web process read while the worker writes; busy_timeout turns
    # lock contention into a short wait instead of an error.
    cursor = dbapi_connection.cursor()
    # The busy timeout first, so that even switching to WAL waits for a lock instead of failing;
    # WAL is a property of the file, so it is set once, not on every connection.
    cursor.execute("PRAGMA busy_timeout=30000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One engine per database URL."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Each turn holds one connection for one short transaction at a time; the pool is sized above the
        # turn slots plus the worker, so nobody waits for a connection (SQLite serialises writes anyway).
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=20, max_overflow=20, pool_timeout=10)
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=10)


@lru_cache(maxsize=8)
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = _session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def create_schema(url: str) -> None:
    """Bring the database schema to the current version (Alembic migrations)."""
    from bot.store import migrate

    migrate.upgrade(url)
