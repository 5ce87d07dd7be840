"""The hotline agents' API: the live desk (sessions, alerts, and a server-sent event stream of them), one
conversation, and the single-message call assist. The queries live in `bot.desk.live`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from bot.desk import live
from bot.errors import NotFound
from bot.store.db import session_scope, utcnow
from bot.thresholds import threshold
from connectors.commands.classify import _department_lookup, to_line
from connectors.web.deps import AgentDep, DbDep, RuntimeDep

router = APIRouter(prefix="/api/agent", tags=["agent"])


@router.get("/sessions")
def sessions(_staff: AgentDep, db: DbDep, limit: int = Query(50, ge=1, le=200)) -> dict[str, Any]:
    """Recently active chat sessions, newest activity first, with who holds each."""
    items = live.sessions(db, limit=limit)
    return {"count": len(items), "sessions": items}


@router.get("/sessions/{session_id}")
def session_detail(session_id: str, _staff: AgentDep, db: DbDep) -> dict[str, Any]:
    """One conversation, every message in order, with its handoff state and the dialogue's current draft."""
    return live.conversation(db, session_id)


@router.get("/alerts")
def alerts(_staff: AgentDep, db: DbDep) -> dict[str, Any]:
    """Emergencies flagged in the last day, newest first."""
    items = live.alerts(db)
    return {"count": len(items), "alerts": items}


def _desk_update(db_url: str, watch: str | None, last: tuple[Any, ...] | None) -> tuple[tuple[Any, ...], Any]:
    """The desk's fingerprint, and a fresh snapshot when it differs from `last` (else None)."""
    with session_scope(db_url) as db:
        mark = live.fingerprint(db, watch=watch)
        if mark == last:
            return mark, None
        snap = live.snapshot(db)
        if watch:
            try:
                snap["conversation"] = live.conversation(db, watch)
            except NotFound:
                snap["conversation"] = None
        return mark, snap


@router.get("/events")
async def events(_staff: AgentDep, runtime: RuntimeDep,
                 watch: str | None = Query(None, max_length=200, description="a session whose transcript to include"),
                 ) -> EventSourceResponse:
    """The live desk as server-sent events: a `desk` event (queue, sessions, alerts, and the watched
    conversation) at once and again whenever any of it changes."""
    pause = threshold("desk.event_check_seconds")

    async def stream() -> AsyncIterator[dict[str, str]]:
        last: tuple[Any, ...] | None = None
        while True:
            last, snap = await run_in_threadpool(_desk_update, runtime.db_url, watch, last)
            if snap is not None:
                yield {"event": "desk", "data": json.dumps(snap, ensure_ascii=False, default=str)}
            await asyncio.sleep(pause)

    return EventSourceResponse(stream(), ping=15, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


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
    answer = runtime.answerer.answer(text, history=history or None, remember=False)
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
