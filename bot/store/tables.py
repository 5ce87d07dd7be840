"""Core tables: knowledge-base documents, sessions, tickets and their history, staff credentials, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.store.db import Base, utcnow


class DocumentRow(Base):
    """One knowledge-base document; its chunks live in the vector store."""

    __tablename__ = "documents"

    doc_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(1000))
    file_type: Mapped[str] = mapped_column(String(20))
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class UploadJob(Base):
    """One uploaded file on its way into the knowledge base: queued, running (with progress), done or failed.
    The file is kept under the data dir until the job ends, so a job a restart interrupted runs again."""

    __tablename__ = "upload_jobs"

    job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    filename: Mapped[str] = mapped_column(String(300))
    stored_path: Mapped[str] = mapped_column(String(1000))
    actor: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(10), index=True)  # queued | running | done | failed
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class UnansweredQuestion(Base):
    """A question the knowledge base could not support, kept so admins see what to add."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    topic_key: Mapped[str] = mapped_column(String(200), index=True)
    session_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    best_doc_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    best_score: Mapped[float | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set when an admin answers the question's group (bot/admin/unanswered.py); the FAQ it became.
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    faq_doc_id: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ChatSession(Base):
    """A conversation on one channel; `state` holds the dialogue's working memory."""

    __tablename__ = "chat_sessions"

    session_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), default="web")
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ChatMessage(Base):
    """One message of a session: the citizen's, the bot's or an agent's; `id` is its sequence number."""

    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.session_id"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # citizen | bot | agent
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(20), nullable=True)
    author: Mapped[str | None] = mapped_column(String(100), nullable=True)  # the agent who wrote it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TicketRow(Base):
    """A confirmed ticket. `payload` is the full `Ticket` model; hot fields are columns for queries."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_no: Mapped[str] = mapped_column(String(40), unique=True)
    session_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    intent: Mapped[str] = mapped_column(String(20))
    category_l1: Mapped[str | None] = mapped_column(String(50), nullable=True)
    category_l2: Mapped[str | None] = mapped_column(String(100), nullable=True)
    urgency: Mapped[str] = mapped_column(String(20), default="normal")
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    district: Mapped[str | None] = mapped_column(String(50), nullable=True)
    street: Mapped[str | None] = mapped_column(String(100), nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )


class TicketEvent(Base):
    """One entry in a ticket's history: a status change, a note, added information."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    ticket: Mapped[TicketRow] = relationship(back_populates="events")


class ApiToken(Base):
    """A bearer token for staff APIs; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffUser(Base):
    """A staff account for the pages."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """Who changed what, for admins; `detail` holds `role`, `before`, `after` and the action's facts."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str | None] = mapped_column(String(300), nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class StaffExample(Base):
    """A labelled example from staff work: a unit's or agent's category correction, or a re-route.
    `hotline retrain` adds these to the shipped examples and refits triage (bot/triage/retrain.py)."""

    __tablename__ = "staff_examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    level1: Mapped[str] = mapped_column(String(50))
    level2: Mapped[str] = mapped_column(String(100))
    intent: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(30))  # unit.category | agent.category | admin.reroute | ...
    actor: Mapped[str] = mapped_column(String(100))
    ticket_no: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


Index("ix_tickets_category_district", TicketRow.category_l1, TicketRow.district)
