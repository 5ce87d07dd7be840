"""WeChat tables: inbound-message claims (dedup across retries and processes), followers, the token cache."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base, utcnow


class WeChatInbound(Base):
    """One inbound message, claimed by the first delivery; WeChat's retries find it and never run it again.

    `state` is the delivery protocol: processing -> replied (passive reply given, replayed to retries)
    or processing -> deferred -> pushing -> pushed | failed (answered "success", reply pushed later).
    """

    __tablename__ = "wechat_inbound"

    dedup_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    msg_type: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(12))
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class WeChatFollower(Base):
    """A citizen on the official account: when they last wrote (the 48-hour window) and whether they follow."""

    __tablename__ = "wechat_followers"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_inbound_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class WeChatToken(Base):
    """A cached API credential (the access token), shared by every process that talks to WeChat."""

    __tablename__ = "wechat_tokens"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
