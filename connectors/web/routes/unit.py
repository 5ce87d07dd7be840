"""The built-in backend's API for responsible units: their queue and the moves they make on a ticket.

A unit token's name is the unit id (`hotline token create --role unit --name haidian.cgzf`); admins
may act for any unit by passing `unit_id`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from bot import taxonomy
from bot.admin import audit
from bot.tickets import unit_desk
from bot.tickets.service import find_ticket, ticket_view, unit_action, unit_queue, unit_ticket_detail
from bot.triage import staff_examples
from connectors.web.deps import DbDep, RuntimeDep, Staff, UnitDep

router = APIRouter(prefix="/api/unit", tags=["unit"])


class ActionIn(BaseModel):
    """A unit's move on a ticket; returning needs a reason, resolving needs the result."""

    action: Literal["accept", "start", "resolve", "return"]
    note: str | None = Field(None, max_length=2000)


class ProgressIn(BaseModel):
    """A progress note; the status does not change."""

    text: str = Field(min_length=1, max_length=unit_desk.MAX_NOTE_CHARS)


class CategoryIn(BaseModel):
    """The category the unit finds right for a ticket."""

    level1: str = Field(min_length=1, max_length=50)
    level2: str = Field(min_length=1, max_length=100)
    note: str | None = Field(None, max_length=500)


def _unit_of(staff: Staff, unit_id: str | None) -> str | None:
    if staff.role == "admin":
        return unit_id
    if unit_id and unit_id != staff.name:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "只能查看和处理本单位的工单")
    return staff.name


@router.get("/tickets")
def queue(staff: UnitDep, db: DbDep, unit_id: str | None = Query(None),
          status_: list[str] | None = Query(None, alias="status")) -> dict[str, Any]:
    """The unit's open tickets, earliest deadline first."""
    unit = _unit_of(staff, unit_id)
    items = unit_queue(db, unit_id=unit, statuses=tuple(status_) if status_ else None)
    return {"unit_id": unit, "count": len(items), "tickets": items}


@router.get("/tickets/{ticket_no}")
def detail(ticket_no: str, staff: UnitDep, db: DbDep, unit_id: str | None = Query(None)) -> dict[str, Any]:
    """One ticket with the citizen's words, contact, history and routing reason."""
    return unit_ticket_detail(db, ticket_no, unit_id=_unit_of(staff, unit_id))


@router.post("/tickets/{ticket_no}/actions")
def act(ticket_no: str, body: ActionIn, staff: UnitDep, db: DbDep, unit_id: str | None = Query(None)) -> dict[str, Any]:
    """Accept, start, resolve, or return a ticket with a reason."""
    row = find_ticket(db, ticket_no)
    before = row.status if row else None
    view = unit_action(db, ticket_no, unit_id=_unit_of(staff, unit_id), action=body.action, note=body.note,
                       actor=f"unit:{staff.name}")
    audit.record(db, actor=staff.name, role=staff.role, action=f"ticket.{body.action}", target=ticket_no,
                 before={"status": before}, after={"status": view["status"]}, note=body.note)
    return view


@router.get("/history")
def history(staff: UnitDep, db: DbDep, unit_id: str | None = Query(None),
            status_: list[str] | None = Query(None, alias="status"), q: str | None = Query(None, max_length=100),
            since: datetime | None = None, until: datetime | None = None,
            limit: int = Query(100, ge=1, le=unit_desk.HISTORY_LIMIT)) -> dict[str, Any]:
    """Every ticket ever routed to the unit, newest first, whatever became of it (resolved, returned, closed)."""
    unit = _unit_of(staff, unit_id)
    items = unit_desk.history(db, unit_id=unit, statuses=tuple(status_) if status_ else None, q=q, since=since,
                              until=until, limit=limit)
    return {"unit_id": unit, "count": len(items), "tickets": items}


@router.post("/tickets/{ticket_no}/progress")
def add_progress(ticket_no: str, body: ProgressIn, staff: UnitDep, db: DbDep,
                 unit_id: str | None = Query(None)) -> dict[str, Any]:
    """A progress note without a status change; the citizen is told."""
    row = unit_desk.add_progress(db, ticket_no, unit_id=_unit_of(staff, unit_id), text=body.text,
                                 actor=f"unit:{staff.name}")
    audit.record(db, actor=staff.name, role=staff.role, action="ticket.progress", target=ticket_no,
                 after={"note": body.text})
    return ticket_view(db, row)


@router.post("/tickets/{ticket_no}/category")
def correct_category(ticket_no: str, body: CategoryIn, staff: UnitDep, db: DbDep, runtime: RuntimeDep,
                     unit_id: str | None = Query(None)) -> dict[str, Any]:
    """Correct a ticket's category; the correction becomes a labelled example for `hotline retrain`."""
    staff_examples.check_category(taxonomy.load_taxonomy(runtime.settings.overrides_dir), body.level1, body.level2)
    row, before = unit_desk.correct_category(db, ticket_no, unit_id=_unit_of(staff, unit_id), level1=body.level1,
                                             level2=body.level2, actor=f"unit:{staff.name}", note=body.note)
    staff_examples.record_from_ticket(db, row, source="unit.category", actor=staff.name, before=before)
    audit.record(db, actor=staff.name, role=staff.role, action="ticket.category", target=ticket_no, before=before,
                 after={"level1": body.level1, "level2": body.level2})
    return ticket_view(db, row)
