"""Intake tables: emergencies the bot flagged, kept so staff can review every one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
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
