"""The call-assist tables: one phone call an agent is taking, the caller's words turn by turn, and each
suggested reply with what the agent did with it (used as is, edited, or discarded)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base, utcnow


class AgentCall(Base):
    """One call: who takes it, the ticket draft built from every caller turn so far, and the ticket it became."""

    __tablename__ = "agent_calls"

    call_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agent: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # open | submitted | closed
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # a `Ticket` without a number
    caller_phone: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    ticket_no: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class CallTurn(Base):
    """One turn of a call: the caller's words (with how they were read) or what the agent answered."""

    __tablename__ = "call_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("agent_calls.call_id"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # caller | agent
    # How a caller turn was read: problem | fact | question | correction | other.
    kind: Mapped[str | None] = mapped_column(String(12), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    suggestion_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the suggestion an answer came from
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CallSuggestion(Base):
    """A grounded reply suggested for one caller turn, and its outcome once the agent decides."""

    __tablename__ = "call_suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("agent_calls.call_id"), index=True)
    turn_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    outcome: Mapped[str | None] = mapped_column(String(10), nullable=True, index=True)  # used | edited | discarded
    final_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
