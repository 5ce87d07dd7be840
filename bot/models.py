"""The core's vocabulary: a turn goes in, a reply comes out."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.tickets.models import Attachment, Channel, Intent, Location


class Citation(BaseModel):
    """A source the answer rests on."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str
    title: str
    chunk_id: str
    heading: str | None = None
    score: float | None = None


class Turn(BaseModel):
    """One message from one session, as the channel received it."""

    model_config = ConfigDict(extra="forbid")

    session_id: str
    text: str = ""
    channel: Channel = "web"
    received_at: datetime | None = None
    location: Location | None = None
    attachments: list[Attachment] = Field(default_factory=list)


class HandoffInfo(BaseModel):
    """Where the session stands with a person: waiting (and where in the queue), with an agent, or handed back."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["queued", "with_agent", "returned"]
    position: int | None = None


class Reply(BaseModel):
    """What the bot says back, plus the structured state the channel may show."""

    model_config = ConfigDict(extra="forbid")

    reply: str
    intent: Intent | None = None
    citations: list[Citation] = Field(default_factory=list)
    ticket: dict[str, Any] | None = None
    awaiting: str | None = None
    grounded: bool | None = None
    emergency: bool = False
    handoff: HandoffInfo | None = None
    seq: int | None = None  # the transcript's sequence number of this reply (GET /api/chat/{id}/messages)
