"""The ticket: what a confirmed citizen request becomes. Unknown facts stay None, never invented."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Intent = Literal[
    "consult", "help", "complaint", "report", "suggestion", "praise", "status_query", "emergency", "other"
]
Urgency = Literal["emergency", "urgent", "normal"]
Sentiment = Literal["negative", "neutral", "positive"]
Channel = Literal["web", "wechat", "agent", "api", "cli"]


class TicketStatus(StrEnum):
    """The lifecycle: submitted → dispatched → accepted → in_progress → resolved → closed, plus side states."""

    SUBMITTED = "submitted"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    RETURNED = "returned"
    REOPENED = "reopened"
    MERGED = "merged"


class Category(BaseModel):
    """First- and second-level category from the project's taxonomy."""

    model_config = ConfigDict(extra="forbid")

    level1: str
    level2: str | None = None


class Location(BaseModel):
    """Where it happened, as far as the citizen said."""

    model_config = ConfigDict(extra="forbid")

    raw: str | None = None
    district: str | None = None
    street: str | None = None
    community: str | None = None
    landmark: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def is_empty(self) -> bool:
        """True when nothing at all is known about the place."""
        return not any(v is not None for v in self.model_dump().values())


class OccurredAt(BaseModel):
    """When it happened: the phrase, its normalised time, and any recurrence."""

    model_config = ConfigDict(extra="forbid")

    raw: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    recurrence: str | None = None


class Contact(BaseModel):
    """How to reach the citizen."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    phone: str | None = None
    callback_wanted: bool | None = None
    anonymous: bool = False


class Attachment(BaseModel):
    """A file or image the citizen sent."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["image", "voice", "file", "link"] = "image"
    url: str | None = None
    media_id: str | None = None
    title: str | None = None


class Party(BaseModel):
    """A person or business the request is about."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["person", "business", "organisation", "unknown"] = "unknown"


class Ticket(BaseModel):
    """A structured citizen request. `ticket_no` is set only once the citizen confirms."""

    model_config = ConfigDict(extra="forbid")

    ticket_no: str | None = None
    channel: Channel = "web"
    intent: Intent = "complaint"
    category: Category | None = None
    summary: str | None = None
    verbatim: str = ""
    location: Location = Field(default_factory=Location)
    occurred_at: OccurredAt = Field(default_factory=OccurredAt)
    contact: Contact = Field(default_factory=Contact)
    urgency: Urgency = "normal"
    sentiment: Sentiment | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    parties: list[Party] = Field(default_factory=list)
    status: TicketStatus = TicketStatus.SUBMITTED
