"""What the delivery worker needs from a dispatch backend, so the core never imports a connector."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bot.errors import HotlineError

MessageKind = Literal["ticket.dispatch", "ticket.info", "ticket.rating"]


class DeliveryRejected(HotlineError):
    """The backend refused the message for good (bad request, unknown service); retrying cannot help."""


class DispatchMessage(BaseModel):
    """One message to a backend; `idempotency_key` is the same on every retry of it."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: str
    kind: MessageKind
    ticket_no: str
    unit_id: str | None = None
    unit_name: str | None = None
    deadline_at: datetime | None = None
    external_id: str | None = None
    note: str | None = None
    ticket: dict[str, Any] = Field(default_factory=dict)


class DeliveryResult(BaseModel):
    """What the backend answered: its own reference for the case, if it gave one."""

    model_config = ConfigDict(extra="forbid")

    external_id: str | None = None
    duplicate: bool = False
    detail: str | None = None


class StatusUpdate(BaseModel):
    """A status the backend reports for one of our tickets."""

    model_config = ConfigDict(extra="forbid")

    external_id: str | None = None
    ticket_no: str | None = None
    status: Literal["accepted", "in_progress", "resolved", "returned"]
    note: str | None = None
    updated_at: datetime | None = None


class Dispatcher(Protocol):
    """A dispatch backend: delivers messages and, if it cannot call back, reports statuses when asked."""

    name: str
    pulls_status: bool

    def deliver(self, message: DispatchMessage) -> DeliveryResult:
        """Deliver one message; BackendUnavailable to retry later, DeliveryRejected to give up."""
        ...

    def fetch_statuses(self, external_ids: list[str]) -> list[StatusUpdate]:
        """Current statuses of cases the backend holds (for backends without callbacks)."""
        ...
