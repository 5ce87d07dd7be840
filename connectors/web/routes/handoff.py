"""The agents' side of handoff: the queue, taking a session, writing to the citizen, handing it back or closing it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from bot.desk import live
from bot.dialog import handoff
from connectors.web.deps import AgentDep, DbDep

router = APIRouter(prefix="/api/agent", tags=["agent"])


class AgentMessageIn(BaseModel):
    """What the agent writes to the citizen."""

    text: str = Field(min_length=1, max_length=handoff.MAX_AGENT_TEXT)


def _conflict(exc: handoff.HeldByAnother) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, str(exc))


@router.get("/handoff")
def handoff_queue(_staff: AgentDep, db: DbDep) -> dict[str, Any]:
    """Sessions waiting for a person (oldest first, with their place, reason and wait) and those an agent holds (and who)."""
    items = live.queue(db)
    return {"count": len(items), "sessions": items}


@router.post("/sessions/{session_id}/take")
def take(session_id: str, staff: AgentDep, db: DbDep) -> dict[str, Any]:
    """Take the session: the bot falls silent and the citizen is told an agent has joined."""
    try:
        row = handoff.take(db, session_id, agent=staff.name)
    except handoff.HeldByAnother as exc:
        raise _conflict(exc) from exc
    return {"session_id": session_id, "status": row.status, "agent": row.agent}


@router.post("/sessions/{session_id}/messages")
def agent_message(session_id: str, body: AgentMessageIn, staff: AgentDep, db: DbDep) -> dict[str, Any]:
    """Write to the citizen of a session this agent holds; kept in the transcript, pushed on WeChat."""
    try:
        msg = handoff.agent_message(db, session_id, agent=staff.name, text=body.text)
    except handoff.HeldByAnother as exc:
        raise _conflict(exc) from exc
    return {"seq": msg.id, "role": msg.role, "text": msg.text, "author": msg.author, "at": live.iso(msg.created_at)}


@router.post("/sessions/{session_id}/release")
def release(session_id: str, staff: AgentDep, db: DbDep) -> dict[str, Any]:
    """Hand the session back to the bot, which tells the citizen so."""
    try:
        row = handoff.release(db, session_id, agent=staff.name)
    except handoff.HeldByAnother as exc:
        raise _conflict(exc) from exc
    return {"session_id": session_id, "status": row.status}


@router.post("/sessions/{session_id}/close")
def close(session_id: str, staff: AgentDep, db: DbDep) -> dict[str, Any]:
    """End the conversation: the citizen is thanked; anything they write next is answered by the bot."""
    try:
        row = handoff.close(db, session_id, agent=staff.name)
    except handoff.HeldByAnother as exc:
        raise _conflict(exc) from exc
    return {"session_id": session_id, "status": row.status}
