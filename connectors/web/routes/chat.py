"""The citizen chat API: one turn of one session per call, streamed or whole; the session's transcript;
the cited passages; and the session's own tickets (add information, rate) for the page's ticket card."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, Field
from sse_starlette.sse import EventSourceResponse

from bot.dialog import handoff
from bot.dialog.sessions import web_session_id
from bot.errors import NotFound
from bot.models import Reply, Turn
from bot.store.tables import TicketRow
from bot.tickets.service import add_information_row, find_ticket, rate_row, ticket_view
from connectors.web.deps import DbDep, RuntimeDep
from connectors.web.routes.tickets import guarded, ticket_link

router = APIRouter(prefix="/api", tags=["chat"])

# Pieces end after a sentence or a clause; long runs without punctuation are cut every few characters.
_PIECE = re.compile(r".*?(?:[。！？!?；;\n]|[，,、：:](?=.{6,})|$)|.{1,24}", re.S)
PIECE_PAUSE_S = 0.02  # lets the page show the answer growing; the whole reply is ready by then


class ChatRequest(BaseModel):
    """A citizen's message."""

    session_id: str = Field(min_length=1, max_length=200)
    text: str


def _turn(body: ChatRequest, runtime: RuntimeDep) -> Turn:
    text = body.text.strip()
    if not text:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "消息内容为空，请输入您要咨询或反映的问题。")
    limit = runtime.settings.max_message_chars
    if len(text) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                            f"消息过长（{len(text)} 字），请精简到 {limit} 字以内，或分几次发送。")
    return Turn(session_id=web_session_id(body.session_id), text=text, channel="web")


@router.post("/chat", response_model=Reply, responses={503: {"description": "too many turns in flight"}})
async def chat(request: Request, body: ChatRequest, runtime: RuntimeDep) -> Reply:
    """Answer, ask for a missing fact, read back a ticket, or submit it; 503 with Retry-After when busy."""
    turn = _turn(body, runtime)
    return await request.app.state.turn_gate.run(lambda: runtime.dialog.handle(turn))


def pieces(text: str) -> list[str]:
    """The reply in sentence and clause pieces that join back to exactly the reply."""
    out = [m.group(0) for m in _PIECE.finditer(text) if m.group(0)]
    return out if "".join(out) == text else [text]


@router.post("/chat/stream")
async def chat_stream(request: Request, body: ChatRequest, runtime: RuntimeDep) -> EventSourceResponse:
    """The same turn as POST /api/chat, as server-sent events: `delta` pieces of the reply, then `reply`."""
    turn = _turn(body, runtime)
    # The turn runs before the stream opens, so a busy server still answers 503 rather than an empty stream.
    reply: Reply = await request.app.state.turn_gate.run(lambda: runtime.dialog.handle(turn))

    async def events() -> AsyncIterator[dict[str, str]]:
        for piece in pieces(reply.reply):
            yield {"event": "delta", "data": json.dumps({"text": piece}, ensure_ascii=False)}
            await asyncio.sleep(PIECE_PAUSE_S)
        yield {"event": "reply", "data": reply.model_dump_json()}

    return EventSourceResponse(events(), ping=15)


@router.get("/chat/{session_id}/messages")
def messages(session_id: str, db: DbDep, after: int = Query(0, ge=0, le=2**62)) -> dict[str, Any]:
    """The session's messages after sequence number `after` (citizen, bot and agent), oldest first."""
    sid = web_session_id(session_id)
    return {"messages": handoff.messages_after(db, sid, after), "handoff": _handoff(db, sid)}


def _handoff(db: DbDep, sid: str) -> dict[str, Any] | None:
    found = handoff.info(db, sid, consume_return=False)
    return found.model_dump() if found else None


@router.get("/passages/{chunk_id}")
def passage(chunk_id: str, runtime: RuntimeDep) -> dict[str, Any]:
    """One cited passage of the knowledge base, for the citizen to read in place."""
    if len(chunk_id) > 300:
        raise NotFound("未找到该段落")
    found = runtime.knowledge_base.vectors.get([chunk_id])
    if not found:
        raise NotFound("未找到该段落")
    chunk = found[0]
    return {"chunk_id": chunk.chunk_id, "doc_id": chunk.doc_id, "title": chunk.title,
            "heading_path": list(chunk.heading_path), "text": chunk.text}


# --- the session's own tickets: the session id is the credential ------------------------------------

def _own_ticket(request: Request, db: DbDep, session_id: str, ticket_no: str) -> TicketRow:
    def check() -> TicketRow | None:
        row = find_ticket(db, ticket_no[:40])
        return row if row is not None and row.session_id == web_session_id(session_id) else None

    return guarded(request, ticket_no[:40], check)


class InformationIn(BaseModel):
    """More facts for an open ticket."""

    text: str = Field(min_length=1, max_length=2000)


class RatingIn(BaseModel):
    """The citizen's satisfaction with the result."""

    rating: Literal["满意", "基本满意", "不满意"]
    comment: str | None = Field(None, max_length=2000)


@router.get("/chat/{session_id}/tickets/{ticket_no}")
def session_ticket(request: Request, session_id: str, ticket_no: str, db: DbDep,
                   runtime: RuntimeDep) -> dict[str, Any]:
    """A ticket of this session (status, timeline, whether it can be rated), with its signed link."""
    row = _own_ticket(request, db, session_id, ticket_no)
    return {**ticket_view(db, row), "link": ticket_link(runtime.settings, row.ticket_no)}


@router.post("/chat/{session_id}/tickets/{ticket_no}/information")
def session_ticket_information(request: Request, session_id: str, ticket_no: str, body: InformationIn,
                               db: DbDep) -> dict[str, Any]:
    """Add information to a ticket of this session."""
    return add_information_row(db, _own_ticket(request, db, session_id, ticket_no), body.text)


@router.post("/chat/{session_id}/tickets/{ticket_no}/rating")
def session_ticket_rating(request: Request, session_id: str, ticket_no: str, body: RatingIn,
                          db: DbDep) -> dict[str, Any]:
    """Rate a resolved ticket of this session: 满意 / 基本满意 close it, 不满意 reopens it."""
    return rate_row(db, _own_ticket(request, db, session_id, ticket_no), body.rating, body.comment)
