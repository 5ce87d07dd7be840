"""What the live desk shows: the handoff queue with reasons and wait times, recent sessions with who holds
them, and emergency alerts; plus a cheap fingerprint so the event stream pushes only when something changed.

Times are UTC with their offset (SQLite hands them back naive); pages show them in Beijing time.
Citizen text in lists is masked (`bot.pii.mask`); one conversation is shown as stored, because the agent has
to act on it (ID numbers are already masked on the way in).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.desk.tables import AgentCall
from bot.dialog import handoff
from bot.dialog.alerts import call_of
from bot.dialog.state import SessionState
from bot.dialog.tables import EmergencyAlert, HandoffRow
from bot.errors import NotFound
from bot.pii import mask
from bot.safety.danger import load_hazards
from bot.store.db import utcnow
from bot.store.tables import ChatMessage, ChatSession, UnansweredQuestion
from bot.tickets.lifecycle import as_utc

ALERT_WINDOW = timedelta(hours=24)
MAX_ALERTS = 20


def iso(value: datetime | None) -> str | None:
    """A stored timestamp as ISO 8601 with its UTC offset (never a naive value a browser would misread)."""
    value = as_utc(value)
    return value.isoformat() if value is not None else None


def fingerprint(db: Session, *, watch: str | None = None) -> tuple[Any, ...]:
    """Changes whenever anything the desk shows changes: a message, a handoff move, an alert."""
    open_moves = db.execute(select(func.count(HandoffRow.id), func.max(HandoffRow.taken_at), func.max(HandoffRow.id))
                            .where(HandoffRow.status.in_(handoff.OPEN))).one()
    parts: tuple[Any, ...] = (
        db.scalar(select(func.max(ChatMessage.id))),
        db.scalar(select(func.max(HandoffRow.id))),
        db.scalar(select(func.max(HandoffRow.released_at))),
        tuple(open_moves),
        db.scalar(select(func.max(EmergencyAlert.id))),
        db.scalar(select(func.max(ChatSession.updated_at))),
    )
    if watch:
        parts += (db.scalar(select(func.max(ChatMessage.id)).where(ChatMessage.session_id == watch)),)
    return parts


def snapshot(db: Session, *, now: datetime | None = None, limit: int = 30) -> dict[str, Any]:
    """Everything the live desk shows at once."""
    now = now or utcnow()
    return {"at": iso(now), "handoff": queue(db, now=now), "sessions": sessions(db, limit=limit),
            "alerts": alerts(db, now=now)}


def queue(db: Session, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Open handoff requests (queued first, then held and by whom), with wait times and the last citizen line."""
    now = now or utcnow()
    items = handoff.queue(db)
    last = handoff.last_citizen_messages(db, [i["session_id"] for i in items])
    for item in items:
        text = last.get(item["session_id"])
        item["last_citizen_message"] = mask(text) if text else None
        requested = as_utc(datetime.fromisoformat(item["requested_at"]))
        item["requested_at"] = iso(requested)
        item["taken_at"] = iso(datetime.fromisoformat(item["taken_at"])) if item["taken_at"] else None
        item["waited_seconds"] = max(0, int((now - requested).total_seconds())) if item["status"] == "queued" else None
    return items


@cache
def _kind_labels() -> dict[str, str]:
    return {h.id: h.label for h in load_hazards()}


def alerts(db: Session, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Emergencies the bot flagged in the last day, newest first (text already masked when stored). One heard in
    a call (call assist) carries its call id and the agent taking the call."""
    since = (now or utcnow()) - ALERT_WINDOW
    rows = list(db.scalars(select(EmergencyAlert).where(EmergencyAlert.created_at >= since)
                           .order_by(EmergencyAlert.id.desc()).limit(MAX_ALERTS)))
    calls = {r.id: call_of(r.session_id) for r in rows}
    call_ids = {c for c in calls.values() if c}
    agents = dict(db.execute(select(AgentCall.call_id, AgentCall.agent).where(AgentCall.call_id.in_(call_ids)))
                  .tuples().all()) if call_ids else {}
    out = []
    for r in rows:
        call_id = calls[r.id]
        out.append({"id": r.id, "session_id": r.session_id, "channel": r.channel, "kind": r.kind,
                    "kind_label": _kind_labels().get(r.kind, r.kind),
                    "numbers": [n for n in r.numbers.split(",") if n], "text": r.text, "at": iso(r.created_at),
                    "call_id": call_id, "agent": agents.get(call_id) if call_id else None})
    return out


def _last_messages(db: Session, session_ids: list[str]) -> dict[str, dict[str, list[ChatMessage]]]:
    """For each session its latest two messages of each role, newest first (only what the lists need)."""
    out: dict[str, dict[str, list[ChatMessage]]] = {sid: {"citizen": [], "bot": []} for sid in session_ids}
    if not session_ids:
        return out
    rows = db.scalars(select(ChatMessage).where(ChatMessage.session_id.in_(session_ids))
                      .order_by(ChatMessage.id.desc()))
    for msg in rows:
        bucket = out[msg.session_id].setdefault(msg.role, [])
        if len(bucket) < 2:
            bucket.append(msg)
    return out


def _last_answer_ungrounded(db: Session, session_id: str, bots: list[ChatMessage]) -> bool:
    """Whether the latest bot reply was a consult the knowledge base could not support.

    The answerer records an unanswered question (with the session id) during the turn, so one
    stored after the previous bot reply and no later than the latest one belongs to the last turn.
    """
    if not bots or bots[0].intent != "consult":
        return False
    query = select(func.count(UnansweredQuestion.id)).where(UnansweredQuestion.session_id == session_id,
                                                          UnansweredQuestion.created_at <= bots[0].created_at)
    if len(bots) > 1:
        query = query.where(UnansweredQuestion.created_at >= bots[1].created_at)
    return bool(db.scalar(query))


def _holders(db: Session, session_ids: list[str]) -> dict[str, HandoffRow]:
    if not session_ids:
        return {}
    rows = db.scalars(select(HandoffRow).where(HandoffRow.session_id.in_(session_ids),
                                               HandoffRow.status.in_(handoff.OPEN)).order_by(HandoffRow.id))
    return {r.session_id: r for r in rows}


def sessions(db: Session, *, limit: int = 50) -> list[dict[str, Any]]:
    """Recently active sessions, newest activity first, each with its handoff state and last citizen line."""
    chats = list(db.scalars(select(ChatSession).order_by(ChatSession.updated_at.desc()).limit(limit)))
    ids = [c.session_id for c in chats]
    msgs = _last_messages(db, ids)
    held = _holders(db, ids)
    last_seq = dict(db.execute(select(ChatMessage.session_id, func.max(ChatMessage.id))
                               .where(ChatMessage.session_id.in_(ids)).group_by(ChatMessage.session_id)).tuples().all())
    return [_summary(db, c, msgs[c.session_id], held.get(c.session_id), last_seq.get(c.session_id)) for c in chats]


def _summary(db: Session, chat: ChatSession, msgs: dict[str, list[ChatMessage]], row: HandoffRow | None,
             seq: int | None) -> dict[str, Any]:
    state = SessionState.load(chat.state)
    citizen = msgs.get("citizen") or []
    bots = msgs.get("bot") or []
    last_citizen = citizen[0].text if citizen else None
    draft = state.draft
    return {
        "session_id": chat.session_id,
        "channel": chat.channel,
        "last_activity": iso(chat.updated_at),
        "created_at": iso(chat.created_at),
        "last_seq": seq,
        "last_citizen_message": mask(last_citizen) if last_citizen else None,
        "last_intent": bots[0].intent if bots else None,
        "draft_open": draft is not None,
        "awaiting": state.awaiting,
        "draft_category": draft.category.level1 if draft is not None and draft.category else None,
        "tickets": list(state.tickets),
        "wants_human": row is not None and row.status == "queued",
        "handoff_status": row.status if row is not None else None,
        "agent": row.agent if row is not None and row.status == "with_agent" else None,
        "emergencies": state.emergencies,
        "ungrounded": _last_answer_ungrounded(db, chat.session_id, bots),
    }


def conversation(db: Session, session_id: str) -> dict[str, Any]:
    """One conversation, every message in order (citizen, bot, agent with the agent's name), with its draft."""
    chat = db.get(ChatSession, session_id)
    if chat is None:
        raise NotFound("未找到该会话")
    state = SessionState.load(chat.state)
    messages = db.scalars(select(ChatMessage).where(ChatMessage.session_id == session_id).order_by(ChatMessage.id))
    draft = state.draft
    row = handoff.open_request(db, session_id)
    return {
        "session_id": chat.session_id,
        "channel": chat.channel,
        "created_at": iso(chat.created_at),
        "last_activity": iso(chat.updated_at),
        "awaiting": state.awaiting,
        "tickets": list(state.tickets),
        "handoff": {"status": row.status, "agent": row.agent, "reason": row.reason,
                    "reason_label": handoff.REASON_LABELS.get(row.reason, row.reason),
                    "requested_at": iso(row.requested_at)} if row is not None else None,
        "draft": draft.model_dump(mode="json", include={"intent", "category", "summary", "location", "urgency"})
        if draft is not None else None,
        "messages": [{"seq": m.id, "role": m.role, "text": m.text, "intent": m.intent, "author": m.author,
                      "created_at": iso(m.created_at)} for m in messages],
    }
