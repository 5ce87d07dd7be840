"""A session's working memory, stored as JSON in ChatSession.state."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.tickets.models import Location, Ticket

MAX_QUESTIONS = 5


class SessionState(BaseModel):
    """The draft ticket, the slot being asked for, recent questions and the session's submitted tickets."""

    model_config = ConfigDict(extra="ignore")

    draft: Ticket | None = None
    awaiting: str | None = None
    questions: list[str] = Field(default_factory=list)
    tickets: list[str] = Field(default_factory=list)
    emergencies: int = 0
    pending_location: Location | None = None  # a shared location that arrived before the description
    misses: int = 0  # consult answers in a row the knowledge base could not support
    parked: list[Ticket] = Field(default_factory=list)  # drafts set aside when the citizen switched topic

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> SessionState:
        """The state from stored JSON; a corrupt state starts afresh rather than failing every turn."""
        try:
            return cls.model_validate(data or {})
        except ValidationError:
            return cls()

    def dump(self) -> dict[str, Any]:
        """JSON for ChatSession.state (a new dict each time, so SQLAlchemy sees the change)."""
        return self.model_dump(mode="json")

    def remember_question(self, question: str) -> None:
        """Keep the last few questions for follow-up answers."""
        self.questions = [*self.questions, question[:300]][-MAX_QUESTIONS:]
