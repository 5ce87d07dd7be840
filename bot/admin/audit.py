"""The audit log of staff actions: who did what to which thing, when, with the values before and after.

Routes that change something record their own entry (with before/after); every other successful staff
write is recorded by `connectors.web.audit_trail` from the request alone, so no staff action goes unlogged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.db import utcnow
from bot.store.tables import AuditEntry
from bot.tickets.lifecycle import as_utc

MAX_LIMIT = 1000


def record(db: Session, *, actor: str, action: str, target: str | None = None, before: Any = None,
           after: Any = None, role: str | None = None, **detail: Any) -> AuditEntry:
    """Add one entry in the caller's transaction; `before`/`after` are the changed values (JSON-able)."""
    body: dict[str, Any] = dict(detail)
    if role is not None:
        body["role"] = role
    if before is not None:
        body["before"] = before
    if after is not None:
        body["after"] = after
    entry = AuditEntry(actor=actor, action=action, target=(target or "")[:300] or None, detail=body or None,
                       created_at=utcnow())
    db.add(entry)
    db.info["audited"] = True  # the request's own entry: connectors.web.audit_trail adds no generic one
    return entry


def entries(db: Session, *, limit: int = 100, actor: str | None = None, action: str | None = None,
            target: str | None = None, since: datetime | None = None, until: datetime | None = None,
            before_id: int | None = None) -> list[dict[str, Any]]:
    """The newest entries first, filtered: actor exactly, action by prefix (`ticket.` for every ticket move),
    target by substring, a time range, and `before_id` to page back."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(limit, MAX_LIMIT)))
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if target:
        query = query.where(AuditEntry.target.contains(target, autoescape=True))
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if until is not None:
        query = query.where(AuditEntry.created_at < until)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return [view(e) for e in db.scalars(query)]


def view(entry: AuditEntry) -> dict[str, Any]:
    """One entry as the API shows it (shared/CONTRACTS.md, "Admin")."""
    detail = dict(entry.detail or {})
    return {"id": entry.id, "at": as_utc(entry.created_at).isoformat(), "actor": entry.actor,
            "role": detail.pop("role", None), "action": entry.action, "target": entry.target,
            "before": detail.pop("before", None), "after": detail.pop("after", None), "detail": detail}
