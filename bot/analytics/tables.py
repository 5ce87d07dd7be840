"""Imported history: past requests a city already has, kept apart from live tickets so none is ever dispatched."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base, utcnow


class ImportedRequest(Base):
    """One imported request with what triage and extraction added; `source_id` is the file's `id`.

    The table is the "imported" mark: the dispatch worker reads tickets and the outbox only, so a row
    here can never be routed to a unit.
    """

    __tablename__ = "imported_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(String(200), unique=True)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20), default="import")
    intent: Mapped[str | None] = mapped_column(String(20), nullable=True)
    category_l1: Mapped[str | None] = mapped_column(String(50), nullable=True, index=True)
    category_l2: Mapped[str | None] = mapped_column(String(100), nullable=True)
    category_given: Mapped[bool] = mapped_column(Boolean, default=False)  # the file said it; triage did not guess
    urgency: Mapped[str | None] = mapped_column(String(20), nullable=True)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    district: Mapped[str | None] = mapped_column(String(50), nullable=True, index=True)
    street: Mapped[str | None] = mapped_column(String(100), nullable=True)
    community: Mapped[str | None] = mapped_column(String(200), nullable=True)
    landmark: Mapped[str | None] = mapped_column(String(200), nullable=True)
    location_raw: Mapped[str | None] = mapped_column(String(500), nullable=True)
    places: Mapped[list[str]] = mapped_column(JSON, default=list)  # "kind:name" keys (bot.analytics.places)
    status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    votes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    vector: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # float32 × 384, L2-normalised
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # fields the contract does not name
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
