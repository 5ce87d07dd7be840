"""The status lifecycle: allowed transitions, a history entry for each, and a notice to the citizen.

submitted → dispatched → accepted → in_progress → resolved → closed, plus returned (a unit hands a
ticket back), reopened (the citizen is not satisfied) and merged (a repeat joins an open case).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.dispatch import outbox
from bot.dispatch.deadlines import BEIJING
from bot.dispatch.tables import TicketAssignment
from bot.errors import BadInput
from bot.store.tables import TicketEvent, TicketRow
from bot.tickets.models import TicketStatus as S

ALLOWED: dict[S, frozenset[S]] = {
    S.SUBMITTED: frozenset({S.DISPATCHED, S.MERGED, S.CLOSED}),
    S.DISPATCHED: frozenset({S.ACCEPTED, S.IN_PROGRESS, S.RESOLVED, S.RETURNED, S.MERGED}),
    S.ACCEPTED: frozenset({S.IN_PROGRESS, S.RESOLVED, S.RETURNED}),
    S.IN_PROGRESS: frozenset({S.RESOLVED, S.RETURNED}),
    S.RETURNED: frozenset({S.DISPATCHED, S.CLOSED, S.MERGED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.REOPENED: frozenset({S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.RESOLVED, S.RETURNED}),
    S.CLOSED: frozenset(),
    S.MERGED: frozenset(),
}
OPEN = frozenset({S.SUBMITTED, S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS, S.RETURNED, S.REOPENED})

STATUS_LABELS: dict[str, str] = {
    S.SUBMITTED: "已提交", S.DISPATCHED: "已派发", S.ACCEPTED: "已受理", S.IN_PROGRESS: "办理中",
    S.RESOLVED: "已办结", S.CLOSED: "已关闭", S.RETURNED: "已退回", S.REOPENED: "已重新办理", S.MERGED: "已合并",
}


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """Stored timestamps come back naive on SQLite; they are UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def local_text(value: datetime | None) -> str:
    """A timestamp as Beijing local time for citizens, e.g. 2026年3月2日 18:00."""
    value = as_utc(value)
    if value is None:
        return "未定"
    t = value.astimezone(BEIJING)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"


def assignment_of(db: Session, row: TicketRow) -> TicketAssignment | None:
    """The ticket's assignment (unit, deadline, backend reference)."""
    return db.get(TicketAssignment, row.id)


def citizen_message(row: TicketRow, status: S, *, note: str | None, assignment: TicketAssignment | None) -> str:
    """The notice a citizen gets for a status change, in plain Chinese."""
    no = row.ticket_no
    unit = assignment.unit_name if assignment and assignment.unit_name else "承办单位"
    tail = f"（{note}）" if note else ""
    match status:
        case S.DISPATCHED:
            deadline = local_text(assignment.deadline_at) if assignment else "未定"
            return f"您的工单 {no} 已派发至{unit}，办理时限为 {deadline} 前。"
        case S.ACCEPTED:
            return f"{unit}已受理您的工单 {no}，正在安排处理。{tail}"
        case S.IN_PROGRESS:
            return f"您的工单 {no} 正在由{unit}办理中。{tail}"
        case S.RESOLVED:
            return (f"您的工单 {no} 已由{unit}办结{tail}。请您对办理结果进行评价：满意、基本满意或不满意。"
                    "您可以直接回复评价，或在工单查询页面评价。")
        case S.CLOSED:
            return f"您的工单 {no} 已关闭。感谢您对 12345 热线工作的支持。"
        case S.RETURNED:
            return f"您的工单 {no} 已退回派单中心重新派发{tail}，我们会尽快转交有权处理的单位。"
        case S.REOPENED:
            return f"您的工单 {no} 已重新启动办理，我们会督促承办单位再次处理。"
        case S.MERGED:
            return f"您的工单 {no} 与同一事项的工单合并办理{tail}。"
        case _:
            return f"您的工单 {no} 状态已更新为：{STATUS_LABELS.get(status, status)}。{tail}"


def notify_citizen(db: Session, row: TicketRow, message: str, *, event_id: int | str) -> None:
    """Queue a notice to the ticket's citizen on their channel, in the caller's transaction."""
    if not row.session_id:
        return
    outbox.enqueue(db, topic="notify", kind="citizen.notice", ticket_no=row.ticket_no,
                   payload={"channel": row.channel, "recipient": row.session_id, "message": message},
                   idempotency_key=f"{row.ticket_no}:notify:{event_id}")


def transition(db: Session, row: TicketRow, to: S | str, *, actor: str, note: str | None = None,
               notify: bool = True) -> TicketEvent:
    """Move a ticket to `to` if the lifecycle allows it, record the history entry and notify the citizen."""
    to = S(to)
    current = S(row.status)
    if to not in ALLOWED[current]:
        raise BadInput(f"工单 {row.ticket_no} 当前为“{STATUS_LABELS[current]}”，不能变为“{STATUS_LABELS[to]}”")
    row.status = to
    event = _append_event(db, row, TicketEvent(status=to, note=note or STATUS_LABELS[to], actor=actor))
    if notify:
        message = citizen_message(row, to, note=note, assignment=assignment_of(db, row))
        notify_citizen(db, row, message, event_id=event.id)
        # Citizens whose repeat tickets joined this case follow it too.
        told = {row.session_id}
        assignment = assignment_of(db, row)
        children = tickets_merged_into(db, row.ticket_no) if assignment and assignment.repeat_count else []
        for child in children:
            if child.session_id in told:
                continue  # one notice per conversation is enough
            told.add(child.session_id)
            notify_citizen(db, child, f"（您的工单 {child.ticket_no} 已并入此工单）{message}",
                           event_id=f"{event.id}:{child.ticket_no}")
    return event


def add_note(db: Session, row: TicketRow, note: str, *, actor: str) -> TicketEvent:
    """A history entry that does not change the status (added information, overdue flag, repeat callers)."""
    return _append_event(db, row, TicketEvent(status=row.status, note=note, actor=actor))


def _append_event(db: Session, row: TicketRow, event: TicketEvent) -> TicketEvent:
    # Appending to an unloaded `events` collection would load the whole history first; the worker
    # does this for every delivery, so add the row directly unless the collection is already in memory.
    if "events" in row.__dict__:
        row.events.append(event)
    else:
        event.ticket_id = row.id
        db.add(event)
    db.flush()
    return event


def tickets_merged_into(db: Session, ticket_no: str) -> list[TicketRow]:
    """Repeat tickets that joined this case."""
    nos = db.scalars(select(TicketAssignment.ticket_no).where(TicketAssignment.merged_into == ticket_no))
    return list(db.scalars(select(TicketRow).where(TicketRow.ticket_no.in_(list(nos)))))
