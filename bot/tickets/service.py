"""Persisting confirmed tickets and showing a citizen their own ticket."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.db import utcnow
from bot.store.tables import TicketEvent, TicketRow
from bot.tickets.models import Ticket, TicketStatus


def new_ticket_no(now: datetime | None = None) -> str:
    """A ticket number citizens can read out on the phone: date plus six random digits."""
    now = now or utcnow()
    return f"{now:%Y%m%d}{secrets.randbelow(10**6):06d}"


def submit_ticket(db: Session, ticket: Ticket, *, session_id: str | None, actor: str = "citizen") -> TicketRow:
    """Store a confirmed ticket with its first history entry, in the caller's transaction."""
    ticket_no = ticket.ticket_no or new_ticket_no()
    while db.scalar(select(TicketRow.id).where(TicketRow.ticket_no == ticket_no)) is not None:
        ticket_no = new_ticket_no()
    ticket = ticket.model_copy(update={"ticket_no": ticket_no, "status": TicketStatus.SUBMITTED})
    phone = ticket.contact.phone
    row = TicketRow(
        ticket_no=ticket_no,
        session_id=session_id,
        channel=ticket.channel,
        intent=ticket.intent,
        category_l1=ticket.category.level1 if ticket.category else None,
        category_l2=ticket.category.level2 if ticket.category else None,
        urgency=ticket.urgency,
        status=TicketStatus.SUBMITTED,
        district=ticket.location.district,
        street=ticket.location.street,
        summary=ticket.summary,
        phone_last4=phone[-4:] if phone and len(phone) >= 4 else None,
        payload=ticket.model_dump(mode="json"),
    )
    row.events.append(TicketEvent(status=TicketStatus.SUBMITTED, note="工单已提交", actor=actor))
    db.add(row)
    db.flush()
    return row


def find_ticket(db: Session, ticket_no: str) -> TicketRow | None:
    """The ticket with this number, if any."""
    return db.scalar(select(TicketRow).where(TicketRow.ticket_no == ticket_no))


def citizen_view(db: Session, ticket_no: str, phone_last4: str) -> dict[str, Any] | None:
    """The citizen's view of their ticket, or None unless the phone's last four digits match."""
    row = find_ticket(db, ticket_no)
    if row is None or not row.phone_last4 or not secrets.compare_digest(row.phone_last4, phone_last4 or ""):
        return None
    return {
        "ticket_no": row.ticket_no,
        "status": row.status,
        "summary": row.summary,
        "category": {"level1": row.category_l1, "level2": row.category_l2},
        "created_at": row.created_at.isoformat(),
        "timeline": [
            {"status": e.status, "note": e.note, "at": e.created_at.isoformat()} for e in row.events
        ],
    }
