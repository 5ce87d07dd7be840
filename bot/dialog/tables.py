"""Dialogue tables: emergencies the bot flagged (kept so staff can review every one) and handoffs to agents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base, utcnow


class EmergencyAlert(Base):
    """One message the bot answered with an emergency instruction (110/119/120/122)."""

    __tablename__ = "emergency_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    numbers: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)  # masked: the alert list is shown to staff, not only the citizen
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class HandoffRow(Base):
    """One request for a person: queued, then held by an agent, then handed back (or withdrawn)."""

    __tablename__ = "chat_handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), index=True)  # queued | with_agent | returned | closed | withdrawn
    reason: Mapped[str] = mapped_column(String(20))  # citizen_asked | unanswered | upset
    agent: Mapped[str | None] = mapped_column(String(100), nullable=True)
    announced: Mapped[bool] = mapped_column(Boolean, default=False)  # the citizen was told it was handed back
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
