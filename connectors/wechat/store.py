"""Database access for the WeChat channel: message claims, follower windows, the shared token cache.

Claims are the cross-process guard against WeChat's retries: the first delivery INSERTs the
message's key and owns it; every later delivery fails that INSERT and only reads the outcome.
State changes are conditional UPDATEs, so exactly one path (passive reply or push) answers.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from bot.store.db import session_scope, utcnow
from connectors.wechat.tables import WeChatFollower, WeChatInbound, WeChatToken

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

PROCESSING = "processing"
REPLIED = "replied"
DEFERRED = "deferred"
PUSHING = "pushing"
PUSHED = "pushed"
FAILED = "failed"


class _WriteSlot:
    """One writer at a time, handed over in order; short writes go ahead of whole dialogue turns."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._short: deque[threading.Event] = deque()
        self._long: deque[threading.Event] = deque()

    @contextmanager
    def hold(self, *, short: bool) -> Iterator[None]:
        with self._mutex:
            turn: threading.Event | None = None
            if self._held:
                turn = threading.Event()
                (self._short if short else self._long).append(turn)
            else:
                self._held = True
        if turn is not None:
            turn.wait()  # the releasing holder hands the slot straight to us
        try:
            yield
        finally:
            with self._mutex:
                if self._short:
                    self._short.popleft().set()
                elif self._long:
                    self._long.popleft().set()
                else:
                    self._held = False


# SQLite lets one writer in at a time and makes the others sleep-poll (naps of up to 100 ms), which
# under many concurrent messages turns into seconds of tail latency. The dialogue holds SQLite's
# write lock for most of its turn, so this process queues its turns and our own writes on one slot
# instead: it is handed over at once, in order, and a claim or a reply's state change (a few ms,
# and on the path to an answer) goes ahead of the next turn. Other processes still meet SQLite's
# busy handler; PostgreSQL locks rows, not the file, and needs none of this.
_sqlite_slot = _WriteSlot()


@contextmanager
def writing(db_url: str, *, short: bool = True) -> Iterator[None]:
    """Hold this process's SQLite write slot (`short=False` for a whole dialogue turn)."""
    if db_url.startswith("sqlite"):
        with _sqlite_slot.hold(short=short):
            yield
    else:
        yield


@dataclass(frozen=True)
class Claim:
    """A claimed message's current delivery state and the reply, once known."""

    state: str
    reply: str | None


def claim(db_url: str, *, key: str, openid: str, msg_type: str) -> bool:
    """Insert the message's claim; False when another delivery of the same message got there first."""
    try:
        with writing(db_url), session_scope(db_url) as db:
            db.add(WeChatInbound(dedup_key=key, openid=openid, msg_type=msg_type[:40], state=PROCESSING))
    except IntegrityError:
        return False
    return True


def read_claim(db_url: str, key: str) -> Claim | None:
    """The claim's state, or None if the message was never claimed."""
    with session_scope(db_url) as db:
        row = db.get(WeChatInbound, key)
        return None if row is None else Claim(state=row.state, reply=row.reply)


def transition(db_url: str, key: str, *, from_states: Iterable[str], to_state: str, reply: str | None = None) -> bool:
    """Move the claim to `to_state` only if it is in one of `from_states`; True when this call moved it."""
    values: dict[str, object] = {"state": to_state, "updated_at": utcnow()}
    if reply is not None:
        values["reply"] = reply
    with writing(db_url), session_scope(db_url) as db:
        result: CursorResult[Any] = db.execute(  # type: ignore[assignment]
            update(WeChatInbound)
            .where(WeChatInbound.dedup_key == key, WeChatInbound.state.in_(list(from_states)))
            .values(**values)
        )
        return result.rowcount == 1


def prune_claims(db_url: str, *, older_than: timedelta) -> int:
    """Forget claims older than WeChat could still retry (it gives up after about 15 s)."""
    with writing(db_url), session_scope(db_url) as db:
        result: CursorResult[Any] = db.execute(  # type: ignore[assignment]
            delete(WeChatInbound).where(WeChatInbound.created_at < utcnow() - older_than))
        return result.rowcount or 0


def record_follower(db_url: str, *, openid: str, at: datetime | None, subscribed: bool | None) -> None:
    """Note the citizen's latest interaction (`at`, None for events that do not count) and follow state."""
    values: dict[str, object] = {"openid": openid, "last_inbound_at": at or EPOCH,
                                 "subscribed": True if subscribed is None else subscribed, "updated_at": utcnow()}
    changes: dict[str, object] = {"updated_at": values["updated_at"]}
    if at is not None:
        # Never move the window backwards: a late retry of an old message must not shorten it.
        changes["last_inbound_at"] = case(
            (WeChatFollower.last_inbound_at < at, at), else_=WeChatFollower.last_inbound_at)
    if subscribed is not None:
        changes["subscribed"] = subscribed
    with writing(db_url), session_scope(db_url) as db:
        dialect = db.get_bind().dialect.name
        if dialect in ("sqlite", "postgresql"):
            insert = sqlite_insert if dialect == "sqlite" else pg_insert
            statement = insert(WeChatFollower).values(**values)
            db.execute(statement.on_conflict_do_update(index_elements=[WeChatFollower.openid], set_=changes))
            return
        if db.get(WeChatFollower, openid) is None:
            db.add(WeChatFollower(**values))
        else:
            db.execute(update(WeChatFollower).where(WeChatFollower.openid == openid).values(**changes))


def last_inbound(db_url: str, openid: str) -> datetime | None:
    """When the citizen last wrote to the account, or None if never."""
    with session_scope(db_url) as db:
        value = db.scalar(select(WeChatFollower.last_inbound_at).where(WeChatFollower.openid == openid))
        return _aware(value) if value is not None else None


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone=True columns; they were stored as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def get_token(db_url: str, key: str) -> tuple[str, datetime | None] | None:
    """A cached credential and its expiry, or None."""
    with session_scope(db_url) as db:
        row = db.get(WeChatToken, key)
        if row is None:
            return None
        return row.value, _aware(row.expires_at) if row.expires_at else None


def put_token(db_url: str, key: str, value: str, expires_at: datetime | None) -> None:
    """Store (or replace) a cached credential."""
    with session_scope(db_url) as db:
        row = db.get(WeChatToken, key)
        if row is None:
            db.add(WeChatToken(key=key, value=value, expires_at=expires_at))
        else:
            row.value, row.expires_at = value, expires_at
        try:
            db.flush()
        except IntegrityError:
            db.rollback()
            db.execute(update(WeChatToken).where(WeChatToken.key == key).values(value=value, expires_at=expires_at))


def delete_token(db_url: str, key: str) -> None:
    """Drop a cached credential."""
    with session_scope(db_url) as db:
        db.execute(delete(WeChatToken).where(WeChatToken.key == key))
