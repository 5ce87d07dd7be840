"""Dispatch tables: the outbox, each ticket's assignment, routing decisions, ratings, callback receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base, utcnow


class OutboxRow(Base):
    """One message that must leave exactly once: a ticket to a backend (`dispatch`) or a notice to a citizen (`notify`).

    Written in the same transaction as the change it announces; a worker claims it with a lease
    (`claimed_by`, `claimed_until`), delivers it, and marks it `delivered`, or after too many failures `dead`.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    ticket_no: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


Index("ix_outbox_due", OutboxRow.state, OutboxRow.next_attempt_at)


class TicketAssignment(Base):
    """Where a ticket is (unit, deadline, backend reference) and whether it joined another case."""

    __tablename__ = "ticket_assignments"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    ticket_no: Mapped[str] = mapped_column(String(40), unique=True)
    unit_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    unit_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    backend: Mapped[str] = mapped_column(String(20), default="builtin")
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    deadline_rule: Mapped[str | None] = mapped_column(String(200), nullable=True)
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    merged_into: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    dispatch_round: Mapped[int] = mapped_column(Integer, default=0)
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class RoutingDecisionRow(Base):
    """Why a ticket went where it went: the rule that matched, or the manual decision."""

    __tablename__ = "routing_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_no: Mapped[str] = mapped_column(String(40), index=True)
    unit_id: Mapped[str] = mapped_column(String(200))
    unit_name: Mapped[str] = mapped_column(String(200))
    rule_id: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    table_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RatingRow(Base):
    """The citizen's satisfaction with a resolved ticket."""

    __tablename__ = "ticket_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_no: Mapped[str] = mapped_column(String(40), index=True)
    rating: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CallbackReceipt(Base):
    """A verified inbound status callback, kept so a replay inside the window changes nothing."""

    __tablename__ = "callback_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    ticket_no: Mapped[str | None] = mapped_column(String(40), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
