"""What the dispatch desk (admins) must act on: tickets a unit returned, and open tickets past their deadline.

Re-routing one goes through `bot.tickets.service.reroute`, so the new unit gets it like any dispatch.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.dispatch.tables import RoutingDecisionRow, TicketAssignment
from bot.store.db import utcnow
from bot.store.tables import TicketEvent, TicketRow
from bot.tickets.lifecycle import OPEN, STATUS_LABELS, as_utc
from bot.tickets.models import TicketStatus

LIMIT = 500


def _open_assigned(limit: int):  # noqa: ANN202 - a select
    return (select(TicketRow, TicketAssignment)
            .join(TicketAssignment, TicketAssignment.ticket_id == TicketRow.id)
            .where(TicketAssignment.merged_into.is_(None), TicketRow.status.in_([s.value for s in OPEN]))
            .limit(max(1, min(limit, LIMIT))))


def overdue(db: Session, *, limit: int = 200, now: datetime | None = None) -> list[dict[str, Any]]:
    """Open tickets past their deadline, oldest deadline first (the shape of GET /api/admin/overdue)."""
    now = now or utcnow()
    rows = db.execute(_open_assigned(limit).where(TicketAssignment.deadline_at < now)
                      .order_by(TicketAssignment.deadline_at)).all()
    return [{"ticket_no": t.ticket_no, "status": t.status, "unit_id": a.unit_id, "unit_name": a.unit_name,
             "deadline": a.deadline_at and as_utc(a.deadline_at).isoformat(), "summary": t.summary} for t, a in rows]


def _last(db: Session, ticket_id: int, status: str) -> TicketEvent | None:
    return db.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.status == status)
                     .order_by(TicketEvent.id.desc()).limit(1))


def needs_attention(db: Session, *, limit: int = 200, now: datetime | None = None) -> list[dict[str, Any]]:
    """Returned tickets (with the unit's reason) and overdue open tickets, returned first, then by deadline.
    A returned ticket already re-routed, whose delivery to the new unit is under way, says so."""
    now = now or utcnow()
    query = _open_assigned(limit).where(or_(TicketRow.status == TicketStatus.RETURNED.value,
                                            TicketAssignment.deadline_at < now))
    out = []
    for row, assignment in db.execute(query):
        deadline = as_utc(assignment.deadline_at)
        returned = row.status == TicketStatus.RETURNED.value
        event = _last(db, row.id, TicketStatus.RETURNED.value) if returned else None
        routed = db.scalar(select(RoutingDecisionRow).where(RoutingDecisionRow.ticket_no == row.ticket_no)
                           .order_by(RoutingDecisionRow.id.desc()).limit(1))
        rerouted = bool(event and routed and as_utc(routed.created_at) > as_utc(event.created_at))
        out.append({
            "ticket_no": row.ticket_no, "status": row.status, "status_label": STATUS_LABELS[TicketStatus(row.status)],
            "summary": row.summary, "category": {"level1": row.category_l1, "level2": row.category_l2},
            "district": row.district, "street": row.street, "urgency": row.urgency,
            "unit_id": assignment.unit_id, "unit_name": assignment.unit_name,
            "deadline": deadline.isoformat() if deadline else None,
            "overdue": bool(deadline and now > deadline), "returned": returned,
            "return_reason": event.note if event else None, "returned_by": event.actor if event else None,
            "returned_at": as_utc(event.created_at).isoformat() if event else None,
            # Re-routed, and the delivery to the new unit is still on its way.
            "rerouted_to": {"unit_id": routed.unit_id, "unit_name": routed.unit_name} if rerouted and routed else None,
        })
    out.sort(key=lambda t: (not t["returned"], t["deadline"] or "9999"))
    return out
