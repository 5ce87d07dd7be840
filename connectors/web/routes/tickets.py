"""The citizen's side of a ticket: view it, add information, rate it.

Two credentials open a ticket: the registered phone's last four digits, throttled per ticket and per
client (a few wrong tries, then 429 for a while, whatever the digits), or the signed link the ticket card
and the WeChat push carry (an HMAC over the ticket number with the install's secret)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot import auth
from bot.config import Settings
from bot.store.tables import TicketRow
from bot.tickets.service import add_information_row, find_ticket, rate_row, ticket_view
from connectors.web.deps import DbDep, get_runtime
from connectors.web.throttle import FailureThrottle, client_key

router = APIRouter(prefix="/api/tickets", tags=["tickets"])

LINK_PURPOSE = "ticket-link"
NOT_FOUND = "未找到该工单，请核对工单号和手机号后四位。"
LOCKED = "查询失败次数过多，请 {minutes} 分钟后再试，或使用工单通知中的链接查看。"

TicketNo = Annotated[str, Path(min_length=1, max_length=40)]
Last4 = Query(None, pattern=r"^[0-9]{4}$", description="登记手机号的后四位")
Token = Query(None, max_length=64, description="工单卡片或微信通知中链接所带的凭证")


def link_token(settings: Settings, ticket_no: str) -> str:
    """The credential of a ticket's signed link."""
    return auth.sign(settings.secret, LINK_PURPOSE, ticket_no)


def ticket_link(settings: Settings, ticket_no: str) -> str:
    """The citizen's link to a ticket on the chat page (no phone digits needed)."""
    return f"/?ticket={ticket_no}&token={link_token(settings, ticket_no)}"


def guarded(request: Request, ticket_no: str, check: Any) -> Any:
    """Run `check()` (None or raising 404 means a wrong credential) under the lookup throttle."""
    throttle: FailureThrottle = request.app.state.lookup_throttle
    client = client_key(request)
    throttle.check(ticket_no, client, LOCKED)
    try:
        found = check()
    except HTTPException as exc:
        if exc.status_code == status.HTTP_404_NOT_FOUND:
            throttle.failed(ticket_no, client)
        raise
    if found is None:
        throttle.failed(ticket_no, client)
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return found


def _owned(request: Request, db: Session, ticket_no: str, phone_last4: str | None, token: str | None) -> TicketRow:
    if not phone_last4 and not token:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "请提供登记手机号的后四位，或使用工单通知中的链接。")
    settings = get_runtime(request).settings

    def check() -> TicketRow | None:
        row = find_ticket(db, ticket_no)
        if row is None:
            return None
        if token:
            return row if auth.verify(settings.secret, LINK_PURPOSE, ticket_no, token) else None
        if not row.phone_last4 or not secrets.compare_digest(row.phone_last4, phone_last4 or ""):
            return None
        return row

    return guarded(request, ticket_no, check)


class InformationIn(BaseModel):
    """More facts for an open ticket."""

    text: str = Field(min_length=1, max_length=2000)


class RatingIn(BaseModel):
    """The citizen's satisfaction with the result."""

    rating: Literal["满意", "基本满意", "不满意"]
    comment: str | None = Field(None, max_length=2000)


@router.get("/{ticket_no}")
def read_ticket(request: Request, ticket_no: TicketNo, db: DbDep, phone_last4: str | None = Last4,
                token: str | None = Token) -> dict[str, Any]:
    """One ticket (timeline, unit, deadline), for the caller with the phone's last four digits or the link."""
    # The same answer for "no such ticket" and "wrong digits", so numbers cannot be probed.
    return ticket_view(db, _owned(request, db, ticket_no, phone_last4, token))


@router.post("/{ticket_no}/information")
def add_ticket_information(request: Request, ticket_no: TicketNo, body: InformationIn, db: DbDep,
                           phone_last4: str | None = Last4, token: str | None = Token) -> dict[str, Any]:
    """Add information to an open ticket; the responsible unit sees it."""
    return add_information_row(db, _owned(request, db, ticket_no, phone_last4, token), body.text)


@router.post("/{ticket_no}/rating")
def rate_ticket(request: Request, ticket_no: TicketNo, body: RatingIn, db: DbDep,
                phone_last4: str | None = Last4, token: str | None = Token) -> dict[str, Any]:
    """Rate a resolved ticket: 满意 / 基本满意 close it, 不满意 reopens it."""
    return rate_row(db, _owned(request, db, ticket_no, phone_last4, token), body.rating, body.comment)
