"""The hotline agents' API: live chat sessions, the handoff queue, and call assist during a phone call.

Citizen text shown in lists is masked (`bot.pii.mask`); a single conversation is shown as stored
(ID numbers are already masked on the way in) because the agent has to act on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.dialog.state import SessionState
from bot.dialog.tables import EmergencyAlert
from bot.errors import NotFound
from bot.pii import mask
from bot.store.db import utcnow
from bot.store.tables import ChatMessage, ChatSession, UnansweredQuestion
from connectors.commands.classify import _department_lookup, to_line
from connectors.web.deps import AgentDep, DbDep, RuntimeDep

router = APIRouter(prefix="/api/agent", tags=["agent"])

HANDOFF_PHRASES = ("转人工", "人工客服", "找人工", "人工服务", "真人客服")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _last_messages(db: Session, session_ids: list[str]) -> dict[str, dict[str, list[ChatMessage]]]:
    """For each session its messages, newest first, split by role (only what the lists need)."""
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


def _asks_for_human(text: str | None) -> bool:
    return text is not None and any(p in text for p in HANDOFF_PHRASES)


def _alert(row: EmergencyAlert) -> dict[str, Any]:
    return {"session_id": row.session_id, "channel": row.channel, "kind": row.kind,
            "numbers": row.numbers.split(",") if row.numbers else [], "text": row.text, "at": _iso(row.created_at)}


def _latest_alerts(db: Session, session_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each session's latest emergency alert (an emergency is always flagged on the console)."""
    out: dict[str, dict[str, Any]] = {}
    if session_ids:
        for row in db.scalars(select(EmergencyAlert).where(EmergencyAlert.session_id.in_(session_ids))
                              .order_by(EmergencyAlert.id.desc())):
            out.setdefault(row.session_id, _alert(row))
    return out


def _summary(db: Session, chat: ChatSession, msgs: dict[str, list[ChatMessage]]) -> dict[str, Any]:
    state = SessionState.load(chat.state)
    citizen = msgs.get("citizen") or []
    bots = msgs.get("bot") or []
    last_citizen = citizen[0].text if citizen else None
    draft = state.draft
    return {
        "session_id": chat.session_id,
        "channel": chat.channel,
        "last_activity": _iso(chat.updated_at),
        "created_at": _iso(chat.created_at),
        "last_citizen_message": mask(last_citizen) if last_citizen else None,
        "last_intent": bots[0].intent if bots else None,
        "draft_open": draft is not None,
        "awaiting": state.awaiting,
        "draft_category": draft.category.level1 if draft is not None and draft.category else None,
        "tickets": list(state.tickets),
        "wants_human": _asks_for_human(last_citizen),
        "ungrounded": _last_answer_ungrounded(db, chat.session_id, bots),
    }


@router.get("/sessions")
def sessions(_staff: AgentDep, db: DbDep, limit: int = Query(50, ge=1, le=200)) -> dict[str, Any]:
    """Recently active chat sessions, newest activity first."""
    chats = list(db.scalars(select(ChatSession).order_by(ChatSession.updated_at.desc()).limit(limit)))
    msgs = _last_messages(db, [c.session_id for c in chats])
    alerts = _latest_alerts(db, [c.session_id for c in chats])
    items = [{**_summary(db, c, msgs[c.session_id]), "emergency": alerts.get(c.session_id)} for c in chats]
    return {"count": len(items), "sessions": items}


@router.get("/alerts")
def alerts(_staff: AgentDep, db: DbDep, limit: int = Query(50, ge=1, le=200)) -> dict[str, Any]:
    """Emergency alerts, newest first: every message the bot answered with an emergency instruction."""
    rows = list(db.scalars(select(EmergencyAlert).order_by(EmergencyAlert.id.desc()).limit(limit)))
    return {"count": len(rows), "alerts": [_alert(r) for r in rows]}


@router.get("/sessions/{session_id}")
def session_detail(session_id: str, _staff: AgentDep, db: DbDep) -> dict[str, Any]:
    """One conversation, messages in order, with the dialogue's current draft."""
    chat = db.get(ChatSession, session_id)
    if chat is None:
        raise NotFound("未找到该会话")
    state = SessionState.load(chat.state)
    messages = db.scalars(select(ChatMessage).where(ChatMessage.session_id == session_id).order_by(ChatMessage.id))
    draft = state.draft
    return {
        "session_id": chat.session_id,
        "channel": chat.channel,
        "created_at": _iso(chat.created_at),
        "last_activity": _iso(chat.updated_at),
        "awaiting": state.awaiting,
        "tickets": list(state.tickets),
        "draft": draft.model_dump(mode="json", include={"intent", "category", "summary", "location", "urgency"})
        if draft is not None else None,
        "messages": [{"role": m.role, "text": m.text, "intent": m.intent, "created_at": _iso(m.created_at)}
                     for m in messages],
    }


class AssistIn(BaseModel):
    """What the caller said, and optionally earlier questions of the same call."""

    text: str = Field(max_length=4000)
    history: list[str] = Field(default_factory=list, max_length=20)


@router.post("/assist")
def assist(body: AssistIn, _staff: AgentDep, runtime: RuntimeDep) -> dict[str, Any]:
    """A suggested reply (grounded answer with citations, or the honest refusal) and a ticket draft."""
    text = body.text.strip()
    if not text:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "请输入来电人所说的内容。")
    history = [h.strip()[:300] for h in body.history if isinstance(h, str) and h.strip()]
    answer = runtime.answerer.answer(text, history=history or None)
    result = runtime.triage.classify(text)
    ticket = runtime.extractor.extract(text, now=utcnow(), triage=result, channel="agent")
    line = to_line(None, ticket, result, _department_lookup(runtime))
    info = line["ticket"]
    return {
        "suggested_reply": {
            "answer": answer.answer,
            "grounded": answer.grounded,
            "direct_reply": answer.direct_reply,
            "citations": [c.model_dump(mode="json") for c in answer.citations],
        },
        "ticket_draft": {
            "intent": line["intent"],
            "category": line["category"],
            "department": line["department"],
            "urgency": line["urgency"],
            "location": info["location"] if any(info["location"].values()) else None,
            "time": info["occurred_at"],
            "phone": info["contact_phone"],
            "summary": info["summary"],
        },
    }
