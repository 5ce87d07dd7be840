"""Inbound status callbacks from a webhook backend, signed like our outbound webhooks.

A bad signature, a stale timestamp or a replayed event is refused and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.dispatch.tables import CallbackReceipt, TicketAssignment
from bot.errors import BadInput
from bot.store.db import session_scope
from bot.store.tables import TicketRow
from bot.tickets.service import apply_backend_status
from connectors.dispatch.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, BadSignature, verify
from connectors.web.deps import RuntimeDep

router = APIRouter(prefix="/api/dispatch", tags=["dispatch"])


class StatusCallback(BaseModel):
    """A backend's report about one ticket."""

    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(min_length=1, max_length=200)
    ticket_no: str | None = None
    external_id: str | None = None
    status: Literal["accepted", "in_progress", "resolved", "returned"]
    note: str | None = Field(None, max_length=2000)
    unit: str | None = None


@router.post("/callback")
async def status_callback(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Verify the signature and window, then apply the status once."""
    body = await request.body()
    try:
        verify(runtime.settings.webhook_secret or "", timestamp=request.headers.get(TIMESTAMP_HEADER),
               signature=request.headers.get(SIGNATURE_HEADER), body=body,
               window_s=runtime.settings.callback_window_s)
    except BadSignature as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"回调验证失败：{exc}") from exc
    try:
        cb = StatusCallback.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"回调内容不正确：{exc}") from exc
    try:
        with session_scope(runtime.db_url) as db:
            row = None
            if cb.ticket_no:
                row = db.scalar(select(TicketRow).where(TicketRow.ticket_no == cb.ticket_no))
            elif cb.external_id:
                row = db.scalar(select(TicketRow).join(TicketAssignment, TicketAssignment.ticket_id == TicketRow.id)
                                .where(TicketAssignment.external_id == cb.external_id))
            if row is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, "回调中的工单不存在")
            # The receipt is written in the same transaction as the change: a replay hits the unique key.
            db.add(CallbackReceipt(event_id=cb.event_id, ticket_no=row.ticket_no))
            db.flush()
            try:
                changed = apply_backend_status(db, row, cb.status, note=cb.note,
                                               actor=f"backend:{cb.unit or 'webhook'}")
            except BadInput as exc:
                raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
            return {"ok": True, "ticket_no": row.ticket_no, "status": row.status, "changed": changed}
    except IntegrityError:
        return {"ok": True, "duplicate": True}
