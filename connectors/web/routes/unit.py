"""The built-in backend's API for responsible units: their queue and the moves they make on a ticket.

A unit token's name is the unit id (`hotline token create --role unit --name haidian.cgzf`); admins
may act for any unit by passing `unit_id`.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from bot.tickets.service import unit_action, unit_queue, unit_ticket_detail
from connectors.web.deps import DbDep, Staff, UnitDep

router = APIRouter(prefix="/api/unit", tags=["unit"])


class ActionIn(BaseModel):
    """A unit's move on a ticket; returning needs a reason, resolving needs the result."""

    action: Literal["accept", "start", "resolve", "return"]
    note: str | None = Field(None, max_length=2000)


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
    return unit_action(db, ticket_no, unit_id=_unit_of(staff, unit_id), action=body.action, note=body.note,
                       actor=f"unit:{staff.name}")
