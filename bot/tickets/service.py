"""Persisting confirmed tickets and everything that happens to them after: routing, deadline, repeat
linking and the outbox row (all in the submitting transaction), the citizen's view, added information,
ratings, and the units' and dispatch desk's actions.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings, get_settings
from bot.dispatch import outbox
from bot.dispatch.deadlines import load_deadlines
from bot.dispatch.ports import DispatchMessage
from bot.dispatch.repeats import find_repeat
from bot.dispatch.routing import RouteInput, RoutingDecision, load_router
from bot.dispatch.tables import RatingRow, RoutingDecisionRow, TicketAssignment
from bot.errors import BadInput, NotFound
from bot.store.db import utcnow
from bot.store.tables import TicketEvent, TicketRow
from bot.tickets.lifecycle import (
    OPEN,
    STATUS_LABELS,
    add_note,
    as_utc,
    assignment_of,
    local_text,
    transition,
)
from bot.tickets.models import Ticket, TicketStatus

RATINGS = ("满意", "基本满意", "不满意")
MAX_INFO_CHARS = 2000


def new_ticket_no(now: datetime | None = None) -> str:
    """A ticket number citizens can read out on the phone: date plus six random digits."""
    now = now or utcnow()
    return f"{now:%Y%m%d}{secrets.randbelow(10**6):06d}"


def submit_ticket(db: Session, ticket: Ticket, *, session_id: str | None, actor: str = "citizen") -> TicketRow:
    """Store a confirmed ticket in the caller's transaction: history, repeat link or routing, deadline, outbox row."""
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
    _place(db, row, settings=get_settings(), now=utcnow())
    return row


def _place(db: Session, row: TicketRow, *, settings: Settings, now: datetime) -> None:
    """Link a repeat to its open case, or route the ticket and queue its delivery."""
    assignment = TicketAssignment(ticket_id=row.id, ticket_no=row.ticket_no, backend=settings.dispatch_backend,
                                  repeat_count=0, dispatch_round=0)
    db.add(assignment)
    repeat = find_repeat(db, row, window=timedelta(hours=settings.repeat_window_hours), now=now)
    if repeat is not None:
        parent = find_ticket(db, repeat.ticket_no)
        parent_assignment = assignment_of(db, parent) if parent else None
        if parent is not None and parent_assignment is not None:
            assignment.merged_into = parent.ticket_no
            assignment.unit_id, assignment.unit_name = parent_assignment.unit_id, parent_assignment.unit_name
            assignment.deadline_at = parent_assignment.deadline_at
            parent_assignment.repeat_count += 1
            transition(db, row, TicketStatus.MERGED, actor="system", notify=False,
                       note=f"与工单 {parent.ticket_no} 为同一地点的同一事项，已并入该工单合并办理")
            add_note(db, parent, f"又有市民反映同一事项（工单 {row.ticket_no}），已合并办理", actor="system")
            return
    deadline = load_deadlines(deadlines_file=settings.deadlines_file, holidays_file=settings.holidays_file,
                              overrides_dir=settings.overrides_dir).compute(
        submitted_at=now, urgency=row.urgency, intent=row.intent,
        category_l1=row.category_l1, category_l2=row.category_l2)
    assignment.deadline_at, assignment.deadline_rule = deadline.due_at, f"{deadline.rule_id}：{deadline.description}"
    decision = load_router(settings.overrides_dir).route(route_input(row))
    assign_and_enqueue(db, row, assignment, decision, actor="system")


def route_input(row: TicketRow) -> RouteInput:
    """The routing facts of a stored ticket."""
    payload = row.payload or {}
    text = " ".join(x for x in (row.summary, payload.get("verbatim")) if x)
    return RouteInput(category_l1=row.category_l1, category_l2=row.category_l2, district=row.district,
                      street=row.street, intent=row.intent, text=text)


def assign_and_enqueue(db: Session, row: TicketRow, assignment: TicketAssignment, decision: RoutingDecision,
                       *, actor: str, note: str | None = None) -> None:
    """Record the routing decision, point the ticket at the unit and queue its delivery (caller's transaction)."""
    db.add(RoutingDecisionRow(ticket_no=row.ticket_no, unit_id=decision.unit_id, unit_name=decision.unit_name,
                              rule_id=decision.rule_id, reason=decision.reason,
                              table_version=decision.table_version, actor=actor))
    assignment.unit_id, assignment.unit_name = decision.unit_id, decision.unit_name
    assignment.dispatch_round = (assignment.dispatch_round or 0) + 1
    enqueue_message(db, row, assignment, kind="ticket.dispatch", note=note,
                    key=f"{row.ticket_no}:dispatch:{assignment.dispatch_round}")


def enqueue_message(db: Session, row: TicketRow, assignment: TicketAssignment, *, kind: str, key: str,
                    note: str | None = None) -> None:
    """Queue one message about this ticket to its backend."""
    ticket = dict(row.payload or {})
    if (ticket.get("contact") or {}).get("anonymous"):
        ticket["contact"] = {"anonymous": True}
    ticket["status"] = row.status
    message = DispatchMessage(idempotency_key=key, kind=kind, ticket_no=row.ticket_no,  # type: ignore[arg-type]
                              unit_id=assignment.unit_id, unit_name=assignment.unit_name,
                              deadline_at=as_utc(assignment.deadline_at), external_id=assignment.external_id,
                              note=note, ticket=ticket)
    outbox.enqueue(db, topic="dispatch", kind=kind, ticket_no=row.ticket_no,
                   payload={"backend": assignment.backend, "message": message.model_dump(mode="json")},
                   idempotency_key=key)


def find_ticket(db: Session, ticket_no: str) -> TicketRow | None:
    """The ticket with this number, if any."""
    return db.scalar(select(TicketRow).where(TicketRow.ticket_no == ticket_no))


def _owned(db: Session, ticket_no: str, phone_last4: str | None) -> TicketRow:
    row = find_ticket(db, ticket_no)
    if row is None or not row.phone_last4 or not secrets.compare_digest(row.phone_last4, phone_last4 or ""):
        # One answer for "no such ticket" and "wrong digits", so numbers cannot be probed.
        raise NotFound("未找到该工单，请核对工单号和手机号后四位。")
    return row


def citizen_view(db: Session, ticket_no: str, phone_last4: str) -> dict[str, Any] | None:
    """The citizen's view of their ticket, or None unless the phone's last four digits match."""
    try:
        row = _owned(db, ticket_no, phone_last4)
    except NotFound:
        return None
    return ticket_view(db, row)


def ticket_view(db: Session, row: TicketRow, *, now: datetime | None = None) -> dict[str, Any]:
    """Status, timeline, responsible unit and deadline of one ticket (no ownership check: callers do that)."""
    now = now or utcnow()
    assignment = assignment_of(db, row)
    rating = db.scalar(select(RatingRow).where(RatingRow.ticket_no == row.ticket_no).order_by(RatingRow.id.desc()))
    deadline = as_utc(assignment.deadline_at) if assignment else None
    status = TicketStatus(row.status)
    view: dict[str, Any] = {
        "ticket_no": row.ticket_no,
        "status": row.status,
        "status_label": STATUS_LABELS[status],
        "summary": row.summary,
        "category": {"level1": row.category_l1, "level2": row.category_l2},
        "created_at": as_utc(row.created_at).isoformat(),
        "unit": {"id": assignment.unit_id, "name": assignment.unit_name}
        if assignment and assignment.unit_id else None,
        "deadline": deadline.isoformat() if deadline else None,
        "deadline_text": local_text(deadline) if deadline else None,
        "overdue": bool(deadline and status in OPEN and now > deadline),
        "merged_into": assignment.merged_into if assignment else None,
        "repeat_count": assignment.repeat_count if assignment else 0,
        "rating": {"rating": rating.rating, "comment": rating.comment} if rating else None,
        "can_rate": status == TicketStatus.RESOLVED,
        "can_add_information": status in OPEN,
        "timeline": [
            {"status": e.status, "label": STATUS_LABELS.get(TicketStatus(e.status), e.status), "note": e.note,
             "at": as_utc(e.created_at).isoformat()}
            for e in row.events
        ],
    }
    if assignment and assignment.merged_into:
        parent = find_ticket(db, assignment.merged_into)
        if parent is not None:
            case = ticket_view(db, parent, now=now)
            view["case"] = {k: case[k] for k in ("ticket_no", "status", "status_label", "unit", "deadline",
                                                  "deadline_text", "overdue", "timeline")}
            view["can_add_information"] = case["status"] in OPEN
    return view


def add_information(db: Session, ticket_no: str, phone_last4: str | None, text: str, *,
                    actor: str = "citizen") -> dict[str, Any]:
    """The citizen adds information to an open ticket; the unit sees it (and an outside backend gets it)."""
    return add_information_row(db, _owned(db, ticket_no, phone_last4), text, actor=actor)


def add_information_row(db: Session, row: TicketRow, text: str, *, actor: str = "citizen") -> dict[str, Any]:
    """`add_information` for a ticket whose ownership the caller has checked (e.g. the citizen's own session)."""
    ticket_no = row.ticket_no
    text = (text or "").strip()
    if not text:
        raise BadInput("补充内容为空，请写明需要补充的情况。")
    if len(text) > MAX_INFO_CHARS:
        raise BadInput(f"补充内容过长（{len(text)} 字），请精简到 {MAX_INFO_CHARS} 字以内。")
    target = row
    assignment = assignment_of(db, row)
    if assignment and assignment.merged_into:
        target = find_ticket(db, assignment.merged_into) or row
    if TicketStatus(target.status) not in OPEN:
        raise BadInput(f"工单 {ticket_no} 已{STATUS_LABELS[TicketStatus(target.status)]}，不能再补充信息；"
                       "如对结果不满意，请进行评价，或重新反映。")
    note = f"市民补充信息：{text}"
    event = add_note(db, row, note, actor=actor)
    if target is not row:
        add_note(db, target, f"（来自合并工单 {row.ticket_no}）{note}", actor=actor)
    target_assignment = assignment_of(db, target)
    if target_assignment and target_assignment.dispatch_round and target_assignment.backend != "builtin":
        enqueue_message(db, target, target_assignment, kind="ticket.info", note=note,
                        key=f"{target.ticket_no}:info:{event.id}")
    return ticket_view(db, row)


def rate(db: Session, ticket_no: str, phone_last4: str | None, rating: str, comment: str | None = None, *,
         actor: str = "citizen") -> dict[str, Any]:
    """The citizen rates a resolved ticket: 满意 or 基本满意 closes it, 不满意 reopens it for the unit."""
    if rating not in RATINGS:
        raise BadInput(f"评价只能是：{'、'.join(RATINGS)}")
    return rate_row(db, _owned(db, ticket_no, phone_last4), rating, comment, actor=actor)


def rate_row(db: Session, row: TicketRow, rating: str, comment: str | None = None, *,
             actor: str = "citizen") -> dict[str, Any]:
    """`rate` for a ticket whose ownership the caller has checked (e.g. the citizen's own session)."""
    ticket_no = row.ticket_no
    if rating not in RATINGS:
        raise BadInput(f"评价只能是：{'、'.join(RATINGS)}")
    comment = (comment or "").strip()[:MAX_INFO_CHARS] or None
    if row.status != TicketStatus.RESOLVED:
        raise BadInput(f"工单 {ticket_no} 当前为“{STATUS_LABELS[TicketStatus(row.status)]}”，办结后才能评价。")
    db.add(RatingRow(ticket_no=row.ticket_no, rating=rating, comment=comment))
    note = f"市民评价：{rating}" + (f"（{comment}）" if comment else "")
    if rating == "不满意":
        reopen(db, row, actor=actor, note=note)
    else:
        transition(db, row, TicketStatus.CLOSED, actor=actor, note=note)
    return ticket_view(db, row)


def reopen(db: Session, row: TicketRow, *, actor: str, note: str) -> None:
    """Reopen a resolved ticket and send it back to the same unit with a fresh deadline."""
    transition(db, row, TicketStatus.REOPENED, actor=actor, note=note)
    settings = get_settings()
    assignment = assignment_of(db, row)
    if assignment is None or not assignment.unit_id:
        return
    deadline = load_deadlines(deadlines_file=settings.deadlines_file, holidays_file=settings.holidays_file,
                              overrides_dir=settings.overrides_dir).compute(
        submitted_at=utcnow(), urgency=row.urgency, intent=row.intent,
        category_l1=row.category_l1, category_l2=row.category_l2)
    assignment.deadline_at, assignment.overdue_at = deadline.due_at, None
    assignment.dispatch_round += 1
    enqueue_message(db, row, assignment, kind="ticket.dispatch", note=note,
                    key=f"{row.ticket_no}:dispatch:{assignment.dispatch_round}")


def reroute(db: Session, ticket_no: str, *, unit_id: str, actor: str, reason: str) -> dict[str, Any]:
    """The dispatch desk sends a ticket to a chosen unit (after a return, or from manual routing)."""
    settings = get_settings()
    router = load_router(settings.overrides_dir)
    name = router.unit_name(unit_id)
    if name is None:
        raise BadInput(f"未知单位：{unit_id}")
    if not reason.strip():
        raise BadInput("改派需要填写原因")
    row = find_ticket(db, ticket_no)
    if row is None:
        raise NotFound(f"没有工单 {ticket_no}")
    assignment = assignment_of(db, row)
    if assignment is None or assignment.merged_into:
        raise BadInput(f"工单 {ticket_no} 已合并到其他工单，请改派主工单")
    status = TicketStatus(row.status)
    if status in (TicketStatus.DISPATCHED, TicketStatus.ACCEPTED, TicketStatus.IN_PROGRESS):
        transition(db, row, TicketStatus.RETURNED, actor=actor, note=f"派单中心改派：{reason}", notify=False)
    elif status not in (TicketStatus.SUBMITTED, TicketStatus.RETURNED, TicketStatus.REOPENED):
        raise BadInput(f"工单 {ticket_no} 当前为“{STATUS_LABELS[status]}”，不能改派")
    decision = RoutingDecision(unit_id, name, "manual", f"人工派单（{actor}）：{reason}", router.version, manual=True)
    assign_and_enqueue(db, row, assignment, decision, actor=actor, note=reason)
    return ticket_view(db, row)


UNIT_ACTIONS: dict[str, TicketStatus] = {
    "accept": TicketStatus.ACCEPTED,
    "start": TicketStatus.IN_PROGRESS,
    "resolve": TicketStatus.RESOLVED,
    "return": TicketStatus.RETURNED,
}


def unit_action(db: Session, ticket_no: str, *, unit_id: str | None, action: str, note: str | None,
                actor: str) -> dict[str, Any]:
    """A unit moves its ticket on (accept, start, resolve) or returns it with a reason; `unit_id` None = admin."""
    if action not in UNIT_ACTIONS:
        raise BadInput(f"未知操作：{action}（可选 {', '.join(UNIT_ACTIONS)}）")
    row = find_ticket(db, ticket_no)
    assignment = assignment_of(db, row) if row else None
    if row is None or assignment is None or (unit_id is not None and assignment.unit_id != unit_id):
        raise NotFound(f"本单位队列中没有工单 {ticket_no}")
    if action == "return" and not (note or "").strip():
        raise BadInput("退回工单必须说明原因")
    if action == "resolve" and not (note or "").strip():
        raise BadInput("办结工单需要填写办理结果")
    transition(db, row, UNIT_ACTIONS[action], actor=actor, note=note)
    return ticket_view(db, row)


def apply_backend_status(db: Session, row: TicketRow, status: str, *, note: str | None, actor: str) -> bool:
    """Apply a status reported by a backend; False when it is already there (callbacks can repeat)."""
    target = TicketStatus(status)
    if row.status == target:
        return False
    transition(db, row, target, actor=actor, note=note)
    return True


def unit_queue(db: Session, *, unit_id: str | None, statuses: tuple[str, ...] | None = None,
               limit: int = 200) -> list[dict[str, Any]]:
    """A unit's tickets (all units' for admins), most urgent deadline first."""
    statuses = statuses or (TicketStatus.DISPATCHED, TicketStatus.ACCEPTED, TicketStatus.IN_PROGRESS,
                            TicketStatus.REOPENED)
    query = (select(TicketRow, TicketAssignment)
             .join(TicketAssignment, TicketAssignment.ticket_id == TicketRow.id)
             .where(TicketRow.status.in_(statuses), TicketAssignment.merged_into.is_(None))
             .order_by(TicketAssignment.deadline_at, TicketRow.id).limit(limit))
    if unit_id is not None:
        query = query.where(TicketAssignment.unit_id == unit_id)
    now = utcnow()
    out = []
    for row, assignment in db.execute(query):
        deadline = as_utc(assignment.deadline_at)
        out.append({
            "ticket_no": row.ticket_no, "status": row.status, "status_label": STATUS_LABELS[TicketStatus(row.status)],
            "summary": row.summary, "category": {"level1": row.category_l1, "level2": row.category_l2},
            "urgency": row.urgency, "district": row.district, "street": row.street,
            "location": (row.payload or {}).get("location"), "unit_id": assignment.unit_id,
            "unit_name": assignment.unit_name, "deadline": deadline.isoformat() if deadline else None,
            "overdue": bool(deadline and now > deadline), "repeat_count": assignment.repeat_count,
            "created_at": as_utc(row.created_at).isoformat(),
        })
    return out


def unit_ticket_detail(db: Session, ticket_no: str, *, unit_id: str | None) -> dict[str, Any]:
    """One ticket as its unit sees it: the citizen's words, contact (unless anonymous), history, routing reason."""
    row = find_ticket(db, ticket_no)
    assignment = assignment_of(db, row) if row else None
    if row is None or assignment is None or (unit_id is not None and assignment.unit_id != unit_id):
        raise NotFound(f"本单位队列中没有工单 {ticket_no}")
    view = ticket_view(db, row)
    payload = dict(row.payload or {})
    if (payload.get("contact") or {}).get("anonymous"):
        payload["contact"] = {"anonymous": True}
    view["ticket"] = payload
    view["routing"] = [
        {"unit_id": d.unit_id, "unit_name": d.unit_name, "rule_id": d.rule_id, "reason": d.reason,
         "actor": d.actor, "at": as_utc(d.created_at).isoformat()}
        for d in db.scalars(select(RoutingDecisionRow).where(RoutingDecisionRow.ticket_no == ticket_no)
                            .order_by(RoutingDecisionRow.id))
    ]
    return view
