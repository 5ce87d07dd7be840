"""What a responsible unit does beyond moving a ticket on: its history (every ticket ever routed to it,
whatever became of it), progress notes without a status change, and correcting a ticket's category."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.dispatch.tables import RoutingDecisionRow, TicketAssignment
from bot.errors import BadInput, NotFound
from bot.store.db import utcnow
from bot.store.tables import TicketRow
from bot.tickets.lifecycle import OPEN, STATUS_LABELS, add_note, as_utc, assignment_of, notify_citizen
from bot.tickets.models import TicketStatus
from bot.tickets.service import find_ticket

MAX_NOTE_CHARS = 2000
HISTORY_LIMIT = 500


def history(db: Session, *, unit_id: str | None, statuses: tuple[str, ...] | None = None, q: str | None = None,
            since: datetime | None = None, until: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Every ticket ever routed to the unit (all units' for `unit_id` None), newest first, including those it
    resolved, returned or that moved on to another unit; filtered by status, text (ticket number, summary,
    place) and the registration time."""
    query = select(TicketRow, TicketAssignment).join(TicketAssignment, TicketAssignment.ticket_id == TicketRow.id)
    if unit_id is not None:
        routed = select(RoutingDecisionRow.ticket_no).where(RoutingDecisionRow.unit_id == unit_id)
        query = query.where(or_(TicketAssignment.unit_id == unit_id, TicketRow.ticket_no.in_(routed)))
    if statuses:
        query = query.where(TicketRow.status.in_(statuses))
    if q and q.strip():
        like = q.strip()
        query = query.where(or_(TicketRow.ticket_no.contains(like, autoescape=True),
                                TicketRow.summary.contains(like, autoescape=True),
                                TicketRow.street.contains(like, autoescape=True),
                                TicketRow.district.contains(like, autoescape=True)))
    if since is not None:
        query = query.where(TicketRow.created_at >= since)
    if until is not None:
        query = query.where(TicketRow.created_at < until)
    query = query.order_by(TicketRow.created_at.desc(), TicketRow.id.desc()).limit(max(1, min(limit, HISTORY_LIMIT)))
    now = utcnow()
    out = []
    for row, assignment in db.execute(query):
        deadline = as_utc(assignment.deadline_at)
        status = TicketStatus(row.status)
        out.append({
            "ticket_no": row.ticket_no, "status": row.status, "status_label": STATUS_LABELS[status],
            "summary": row.summary, "category": {"level1": row.category_l1, "level2": row.category_l2},
            "urgency": row.urgency, "district": row.district, "street": row.street,
            "location": (row.payload or {}).get("location"),
            "unit_id": assignment.unit_id, "unit_name": assignment.unit_name,
            # The ticket moved on to another unit (returned and re-routed): still in this unit's history.
            "with_other_unit": unit_id is not None and assignment.unit_id != unit_id,
            "deadline": deadline.isoformat() if deadline else None,
            "overdue": bool(deadline and status in OPEN and now > deadline),
            "created_at": as_utc(row.created_at).isoformat(), "updated_at": as_utc(row.updated_at).isoformat(),
        })
    return out


def _assigned(db: Session, ticket_no: str, unit_id: str | None) -> TicketRow:
    row = find_ticket(db, ticket_no)
    assignment = assignment_of(db, row) if row else None
    if row is None or assignment is None or (unit_id is not None and assignment.unit_id != unit_id):
        raise NotFound(f"本单位队列中没有工单 {ticket_no}")
    return row


def add_progress(db: Session, ticket_no: str, *, unit_id: str | None, text: str, actor: str,
                 notify: bool = True) -> TicketRow:
    """A progress note on an open ticket of the unit; the status stays, the citizen is told."""
    text = (text or "").strip()
    if not text:
        raise BadInput("进展内容不能为空")
    if len(text) > MAX_NOTE_CHARS:
        raise BadInput(f"进展内容过长（{len(text)} 字），请控制在 {MAX_NOTE_CHARS} 字以内")
    row = _assigned(db, ticket_no, unit_id)
    if TicketStatus(row.status) not in OPEN:
        raise BadInput(f"工单 {ticket_no} 已{STATUS_LABELS[TicketStatus(row.status)]}，不能再添加办理进展")
    event = add_note(db, row, f"办理进展：{text}", actor=actor)
    if notify:
        notify_citizen(db, row, f"您的工单 {row.ticket_no} 有新的办理进展：{text}", event_id=f"progress:{event.id}")
    return row


def set_category(db: Session, row: TicketRow, *, level1: str, level2: str, actor: str, note: str | None) -> dict[str, str | None]:
    """Correct a ticket's category (columns and payload) with a history entry; returns the category before."""
    before = {"level1": row.category_l1, "level2": row.category_l2}
    if before == {"level1": level1, "level2": level2}:
        raise BadInput("分类没有变化")
    row.category_l1, row.category_l2 = level1, level2
    payload = dict(row.payload or {})
    payload["category"] = {**(payload.get("category") or {}), "level1": level1, "level2": level2}
    row.payload = payload
    tail = f"（{note.strip()}）" if note and note.strip() else ""
    add_note(db, row, f"分类更正：{before['level1'] or '未分类'}/{before['level2'] or '-'} → {level1}/{level2}{tail}",
             actor=actor)
    return before


def correct_category(db: Session, ticket_no: str, *, unit_id: str | None, level1: str, level2: str,
                     actor: str, note: str | None = None) -> tuple[TicketRow, dict[str, str | None]]:
    """A unit corrects the category of a ticket it holds."""
    row = _assigned(db, ticket_no, unit_id)
    return row, set_category(db, row, level1=level1, level2=level2, actor=actor, note=note)
