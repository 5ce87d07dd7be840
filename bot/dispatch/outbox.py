"""The transactional outbox: rows written with the change they announce, claimed with a lease, delivered once.

Claiming is one atomic UPDATE guarded by `claimed_until < now`, so two workers on SQLite or PostgreSQL
never hold the same row: on SQLite writers are serialised, on PostgreSQL the guard is re-checked after
the row lock is granted. A worker that dies simply lets its lease run out; the next claim retries the
row with the same idempotency key, and the receiver's de-duplication makes the retry harmless.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.dispatch.tables import OutboxRow
from bot.errors import BadInput, NotFound
from bot.store.db import utcnow

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


@dataclass(frozen=True)
class Claimed:
    """A row this worker holds until `claimed_until`."""

    id: int
    topic: str
    kind: str
    ticket_no: str | None
    idempotency_key: str
    payload: dict[str, Any]
    attempts: int
    claim: str


def enqueue(db: Session, *, topic: str, kind: str, ticket_no: str | None, payload: dict[str, Any],
            idempotency_key: str, delay_s: float = 0.0) -> OutboxRow:
    """Add a message to the outbox in the caller's transaction."""
    row = OutboxRow(topic=topic, kind=kind, ticket_no=ticket_no, payload=payload,
                    idempotency_key=idempotency_key, state=PENDING, attempts=0,
                    next_attempt_at=utcnow() + timedelta(seconds=delay_s))
    db.add(row)
    return row


def claim_due(db: Session, *, worker_id: str, limit: int, lease_s: float, now: datetime | None = None,
              topics: tuple[str, ...] | None = None) -> list[Claimed]:
    """Claim up to `limit` due rows for this worker; commits so the claim is visible to other workers."""
    now = now or utcnow()
    claim = f"{worker_id}:{uuid.uuid4().hex[:12]}"
    free = or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now)
    due = select(OutboxRow.id).where(OutboxRow.state == PENDING, OutboxRow.next_attempt_at <= now, free)
    if topics:
        due = due.where(OutboxRow.topic.in_(topics))
    ids = list(db.scalars(due.order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(limit)))
    if not ids:
        return []
    # The guard is repeated in the UPDATE: whoever loses a race for a row updates nothing for it.
    db.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(ids), OutboxRow.state == PENDING, free)
        .values(claimed_by=claim, claimed_until=now + timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    )
    db.commit()
    rows = db.scalars(select(OutboxRow).where(OutboxRow.claimed_by == claim).order_by(OutboxRow.id))
    return [Claimed(r.id, r.topic, r.kind, r.ticket_no, r.idempotency_key, dict(r.payload), r.attempts, claim)
            for r in rows]


def finish(db: Session, claimed: Claimed, *, result: dict[str, Any] | None = None,
           now: datetime | None = None) -> bool:
    """Mark a claimed row delivered; False if the claim was lost (then someone else owns the outcome)."""
    now = now or utcnow()
    res = db.execute(
        update(OutboxRow)
        .where(OutboxRow.id == claimed.id, OutboxRow.claimed_by == claimed.claim, OutboxRow.state == PENDING)
        .values(state=DELIVERED, delivered_at=now, attempts=OutboxRow.attempts + 1, result=result,
                claimed_by=None, claimed_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return getattr(res, "rowcount", 0) == 1


def backoff_s(attempts: int, *, base_s: float, max_s: float) -> float:
    """Exponential backoff with full jitter in its upper half, so retries of many rows spread out."""
    delay = min(max_s, base_s * (2 ** max(0, attempts - 1)))
    return delay * (0.5 + random.random() / 2)


def fail(db: Session, claimed: Claimed, *, error: str, permanent: bool, max_attempts: int, base_s: float,
         max_s: float, now: datetime | None = None) -> str:
    """Record a failed attempt: schedule the retry, or move the row to the dead letters. Returns the new state."""
    now = now or utcnow()
    attempts = claimed.attempts + 1
    dead = permanent or attempts >= max_attempts
    values: dict[str, Any] = {"attempts": attempts, "last_error": error[:2000], "claimed_by": None,
                              "claimed_until": None}
    if dead:
        values["state"] = DEAD
    else:
        values["next_attempt_at"] = now + timedelta(seconds=backoff_s(attempts, base_s=base_s, max_s=max_s))
    db.execute(
        update(OutboxRow)
        .where(OutboxRow.id == claimed.id, OutboxRow.claimed_by == claimed.claim, OutboxRow.state == PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return DEAD if dead else PENDING


def dead_letters(db: Session, *, limit: int = 200) -> list[OutboxRow]:
    """Rows that gave up, newest first, for admins."""
    return list(db.scalars(select(OutboxRow).where(OutboxRow.state == DEAD)
                           .order_by(OutboxRow.updated_at.desc()).limit(limit)))


def retry_dead(db: Session, row_id: int) -> OutboxRow:
    """Send a dead letter again from scratch (same idempotency key, attempts reset)."""
    row = db.get(OutboxRow, row_id)
    if row is None:
        raise NotFound(f"没有编号为 {row_id} 的投递记录")
    if row.state != DEAD:
        raise BadInput(f"投递记录 {row_id} 当前状态为 {row.state}，只有死信可以重试")
    row.state, row.attempts, row.next_attempt_at = PENDING, 0, utcnow()
    row.claimed_by = row.claimed_until = None
    return row


def stats(db: Session) -> dict[str, int]:
    """Row counts by topic and state, for admins and the benchmark."""
    out: dict[str, int] = {}
    for topic, state, n in db.execute(select(OutboxRow.topic, OutboxRow.state, func.count())
                                      .group_by(OutboxRow.topic, OutboxRow.state)):
        out[f"{topic}.{state}"] = n
    return out



def depth(db: Session) -> dict[str, int]:
    """How many outbox rows are in each state (pending ones are the delivery backlog)."""
    counts = dict.fromkeys((PENDING, DELIVERED, DEAD), 0)
    for state, n in db.execute(select(OutboxRow.state, func.count()).group_by(OutboxRow.state)):
        counts[state] = n
    return counts
