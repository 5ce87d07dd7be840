"""The citizen's side of a ticket: view it, add information, rate it."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from bot.tickets.service import add_information, citizen_view, rate
from connectors.web.deps import DbDep

router = APIRouter(prefix="/api/tickets", tags=["tickets"])

Last4 = Query(..., pattern=r"^[0-9]{4}$", description="登记手机号的后四位")


class InformationIn(BaseModel):
    """More facts for an open ticket."""

    text: str = Field(min_length=1, max_length=2000)


class RatingIn(BaseModel):
    """The citizen's satisfaction with the result."""

    rating: Literal["满意", "基本满意", "不满意"]
    comment: str | None = Field(None, max_length=2000)


@router.get("/{ticket_no}")
def read_ticket(ticket_no: str, db: DbDep, phone_last4: str = Last4) -> dict[str, Any]:
    """One ticket (timeline, unit, deadline), only for the caller who knows the phone's last four digits."""
    view = citizen_view(db, ticket_no, phone_last4)
    if view is None:
        # The same answer for "no such ticket" and "wrong digits", so numbers cannot be probed.
        raise HTTPException(status.HTTP_404_NOT_FOUND, "未找到该工单，请核对工单号和手机号后四位。")
    return view


@router.post("/{ticket_no}/information")
def add_ticket_information(ticket_no: str, body: InformationIn, db: DbDep, phone_last4: str = Last4) -> dict[str, Any]:
    """Add information to an open ticket; the responsible unit sees it."""
    return add_information(db, ticket_no, phone_last4, body.text)


@router.post("/{ticket_no}/rating")
def rate_ticket(ticket_no: str, body: RatingIn, db: DbDep, phone_last4: str = Last4) -> dict[str, Any]:
    """Rate a resolved ticket: 满意 / 基本满意 close it, 不满意 reopens it."""
    return rate(db, ticket_no, phone_last4, body.rating, body.comment)
