"""Call assist over the whole call (shared/CONTRACTS.md, "Agent desk"): an agent starts a call, adds the
caller's words turn by turn, uses or discards the suggested replies, and submits the edited draft as a ticket.
The work is in `bot.desk.calls`; these routes only carry it."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from bot.desk import calls
from bot.store.db import utcnow
from connectors.web.deps import AgentDep, DbDep, RuntimeDep

router = APIRouter(prefix="/api/agent", tags=["agent"])


def get_assist(runtime: RuntimeDep) -> calls.CallAssist:
    """Call assist on the runtime's triage, extractor and (lazily) answerer."""
    return calls.CallAssist(triage=runtime.triage, extractor=runtime.extractor, answerer=lambda: runtime.answerer)


AssistDep = Annotated[calls.CallAssist, Depends(get_assist)]


class TurnIn(BaseModel):
    """The caller's words of one turn."""

    text: str = Field(min_length=1, max_length=4000)


class ReplyIn(BaseModel):
    """What the agent said to the caller, and the suggestion it came from, if any."""

    text: str = Field(min_length=1, max_length=4000)
    suggestion_id: int | None = None


class SubmitIn(BaseModel):
    """The draft as the agent left it (the call-assist draft shape); fields left out keep the call's draft."""

    draft: dict[str, Any] = Field(default_factory=dict)


@router.get("/categories")
def categories(_staff: AgentDep, runtime: RuntimeDep) -> dict[str, Any]:
    """The taxonomy's first- and second-level names, for the draft editor."""
    tax = runtime.triage.taxonomy
    return {"categories": [{"level1": c.name, "level2": [s.name for s in c.children]} for c in tax.categories]}


@router.get("/suggestions/stats")
def suggestion_stats(_staff: AgentDep, db: DbDep, days: int = Query(30, ge=1, le=3650)) -> dict[str, Any]:
    """How suggested replies were used over the last `days` days: as is, edited, discarded (counts and rates)."""
    return {"days": days, **calls.suggestion_rates(db, since=utcnow() - timedelta(days=days))}


@router.post("/calls")
def start_call(staff: AgentDep, db: DbDep, assist: AssistDep) -> dict[str, Any]:
    """A new call taken by the signed-in agent."""
    call = assist.start(db, agent=staff.name)
    return calls.view(db, call)


@router.get("/calls/{call_id}")
def read_call(call_id: str, _staff: AgentDep, db: DbDep) -> dict[str, Any]:
    """One call: its turns, draft, suggestions and the caller's earlier tickets."""
    return calls.view(db, calls.find_call(db, call_id))


@router.post("/calls/{call_id}/turns")
def add_turn(call_id: str, body: TurnIn, _staff: AgentDep, db: DbDep, assist: AssistDep) -> dict[str, Any]:
    """The caller's next words: the draft from all turns so far, suggestions for this turn, earlier tickets."""
    return assist.add_turn(db, call_id, body.text)


@router.post("/calls/{call_id}/replies")
def add_reply(call_id: str, body: ReplyIn, _staff: AgentDep, db: DbDep, assist: AssistDep) -> dict[str, Any]:
    """What the agent told the caller; from a suggestion it counts as used as is or edited."""
    return assist.reply(db, call_id, body.text, suggestion_id=body.suggestion_id)


@router.post("/calls/{call_id}/suggestions/{suggestion_id}/discard")
def discard(call_id: str, suggestion_id: int, _staff: AgentDep, db: DbDep, assist: AssistDep) -> dict[str, Any]:
    """The agent sets a suggestion aside."""
    return assist.discard(db, call_id, suggestion_id)


@router.post("/calls/{call_id}/submit")
def submit(call_id: str, body: SubmitIn, staff: AgentDep, db: DbDep, assist: AssistDep) -> dict[str, Any]:
    """The edited draft as a ticket, through the same path as chat; it is routed and queued for the unit."""
    return assist.submit(db, call_id, body.draft, actor=f"agent:{staff.name}")


@router.post("/calls/{call_id}/close")
def close_call(call_id: str, _staff: AgentDep, db: DbDep, assist: AssistDep) -> dict[str, Any]:
    """End the call without a ticket."""
    return assist.close(db, call_id)
