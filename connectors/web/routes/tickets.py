"""The citizen's view of their own ticket."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, status

from bot.tickets.service import citizen_view
from connectors.web.deps import DbDep

router = APIRouter(prefix="/api/tickets", tags=["tickets"])


@router.get("/{ticket_no}")
def read_ticket(ticket_no: str, db: DbDep, phone_last4: str = Query(..., pattern=r"^\d{4}$")) -> dict[str, Any]:
    """One ticket, only for the caller who knows the contact phone's last four digits."""
    view = citizen_view(db, ticket_no, phone_last4)
    if view is None:
        # The same answer for "no such ticket" and "wrong digits", so numbers cannot be probed.
        raise HTTPException(status.HTTP_404_NOT_FOUND, "未找到该工单，请核对工单号和手机号后四位。")
    return view
