"""Admins: the routing table (read, test, edit with validation), dead letters, overdue tickets, manual routing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, Field

from bot.admin import audit, config_edits
from bot.dispatch import outbox
from bot.dispatch.routing import RouteInput, load_router, save_override, table_as_dict
from bot.dispatch.tables import OutboxRow
from bot.tickets import dispatch_desk
from bot.tickets.lifecycle import as_utc, assignment_of
from bot.tickets.service import find_ticket, reroute
from connectors.web.deps import AdminDep, DbDep, RuntimeDep
from connectors.web.hardening import INT64

router = APIRouter(prefix="/api/admin", tags=["admin-dispatch"])


class RouteProbe(BaseModel):
    """A ticket-like question for the routing table."""

    category_l1: str | None = None
    category_l2: str | None = None
    district: str | None = None
    street: str | None = None
    intent: str | None = None
    text: str = ""


class RuleIn(BaseModel):
    """One routing rule as an admin edits it; the table's validation decides whether it stands."""

    description: str = Field("", max_length=200)
    match: dict[str, list[str]] = Field(description="category_l1, category_l2, districts, streets, intents, keywords")
    unit: str = Field(min_length=1, max_length=100,
                      description="a city unit id, `district:<key>` (that district's unit) or `street_office`")
    position: int | None = Field(None, ge=0, le=config_edits.MAX_RULES,
                                 description="where the rule goes (from 0; rules are tried in order)")


class RerouteIn(BaseModel):
    """A manual routing decision."""

    unit_id: str = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=500)


@router.get("/routing")
def read_routing(_admin: AdminDep, runtime: RuntimeDep) -> dict[str, Any]:
    """The routing table in force and its version."""
    r = load_router(runtime.settings.overrides_dir)
    return {"version": r.version, "table": table_as_dict(r)}


@router.get("/routing/units")
def list_units(_admin: AdminDep, runtime: RuntimeDep) -> list[dict[str, str]]:
    """Every city and district unit (street offices are derived from the ticket's street)."""
    return load_router(runtime.settings.overrides_dir).all_units()


@router.put("/routing")
def replace_routing(admin: AdminDep, runtime: RuntimeDep, db: DbDep,
                    table: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Replace the table; a bad table is refused with the reason (400) and nothing changes."""
    old = load_router(runtime.settings.overrides_dir)
    new = save_override(runtime.settings.overrides_dir, table)
    before, after = config_edits.table_changes(table_as_dict(old), table_as_dict(new))
    audit.record(db, actor=admin.name, role=admin.role, action="routing.update", target="routing.yaml",
                 before={"version": old.version, **before}, after={"version": new.version, **after})
    return {"version": new.version, "rules": len(new.table.rules)}


@router.put("/routing/rules/{rule_id}")
def put_rule(rule_id: Annotated[str, Path(min_length=1, max_length=100)], body: RuleIn, admin: AdminDep,
             runtime: RuntimeDep, db: DbDep) -> dict[str, Any]:
    """Create or replace one rule; a rule naming an unknown unit or category is refused (400) and nothing changes."""
    before, after, version = config_edits.put_rule(runtime.settings.overrides_dir, rule_id,
                                                   body.model_dump(exclude={"position"}), position=body.position)
    audit.record(db, actor=admin.name, role=admin.role, action="routing.rule.create" if before is None
                 else "routing.rule.update", target=rule_id, before=before, after=after, version=version)
    return {"version": version, "rule": after}


@router.delete("/routing/rules/{rule_id}")
def delete_rule(rule_id: Annotated[str, Path(min_length=1, max_length=100)], admin: AdminDep,
                runtime: RuntimeDep, db: DbDep) -> dict[str, Any]:
    """Remove one rule (its tickets then go to the next rule that matches, or to a dispatch desk)."""
    before, version = config_edits.delete_rule(runtime.settings.overrides_dir, rule_id)
    audit.record(db, actor=admin.name, role=admin.role, action="routing.rule.delete", target=rule_id,
                 before=before, version=version)
    return {"version": version, "deleted": rule_id}


@router.post("/routing/test")
def test_routing(probe: RouteProbe, _admin: AdminDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Where a ticket with these facts would go, and why (nothing is stored); a category path the taxonomy
    does not have is refused (400), since no ticket could carry it."""
    config_edits.check_category_path(runtime.settings.overrides_dir, probe.category_l1, probe.category_l2)
    d = load_router(runtime.settings.overrides_dir).route(RouteInput(**probe.model_dump()))
    return {"unit_id": d.unit_id, "unit_name": d.unit_name, "rule_id": d.rule_id, "reason": d.reason,
            "manual": d.manual, "table_version": d.table_version}


def _outbox_item(row: OutboxRow) -> dict[str, Any]:
    return {"id": row.id, "topic": row.topic, "kind": row.kind, "ticket_no": row.ticket_no,
            "idempotency_key": row.idempotency_key, "state": row.state, "attempts": row.attempts,
            "last_error": row.last_error, "created_at": as_utc(row.created_at).isoformat(),
            "updated_at": as_utc(row.updated_at).isoformat()}


@router.get("/dead-letters")
def list_dead_letters(_admin: AdminDep, db: DbDep) -> dict[str, Any]:
    """Messages that gave up after too many failures, with the last error."""
    rows = outbox.dead_letters(db)
    return {"count": len(rows), "items": [_outbox_item(r) for r in rows], "outbox": outbox.stats(db)}


@router.post("/dead-letters/{row_id}/retry")
def retry_dead_letter(row_id: Annotated[int, Path(**INT64)], admin: AdminDep, db: DbDep) -> dict[str, Any]:
    """Send a dead letter again (same idempotency key, so the receiver will not see it twice)."""
    found = db.get(OutboxRow, row_id)
    before = {"state": found.state, "attempts": found.attempts, "last_error": found.last_error} if found else None
    row = outbox.retry_dead(db, row_id)
    audit.record(db, actor=admin.name, role=admin.role, action="outbox.retry", target=str(row_id),
                 before=before, after={"state": row.state, "attempts": row.attempts}, key=row.idempotency_key,
                 topic=row.topic, kind=row.kind, ticket_no=row.ticket_no)
    db.flush()
    return _outbox_item(row)


@router.get("/overdue")
def overdue(_admin: AdminDep, db: DbDep, limit: int = Query(200, ge=1, le=1000)) -> dict[str, Any]:
    """Open tickets past their deadline, oldest deadline first."""
    items = dispatch_desk.overdue(db, limit=limit)
    return {"count": len(items), "items": items}


@router.get("/tickets/attention")
def needs_attention(_admin: AdminDep, db: DbDep, limit: int = Query(200, ge=1, le=dispatch_desk.LIMIT)) -> dict[str, Any]:
    """Tickets a unit returned (with its reason) and open tickets past their deadline: the ones to re-route."""
    items = dispatch_desk.needs_attention(db, limit=limit)
    return {"count": len(items), "returned": sum(t["returned"] for t in items),
            "overdue": sum(t["overdue"] for t in items), "items": items}


@router.post("/tickets/{ticket_no}/route")
def route_manually(ticket_no: str, body: RerouteIn, admin: AdminDep, db: DbDep) -> dict[str, Any]:
    """Send a ticket to a chosen unit (after a return, or from the dispatch desk)."""
    row = find_ticket(db, ticket_no)
    was = assignment_of(db, row) if row else None
    before = {"status": row.status, "unit_id": was.unit_id if was else None,
              "unit_name": was.unit_name if was else None} if row else None
    view = reroute(db, ticket_no, unit_id=body.unit_id, actor=f"admin:{admin.name}", reason=body.reason)
    audit.record(db, actor=admin.name, role=admin.role, action="ticket.route", target=ticket_no, before=before,
                 after={"unit_id": body.unit_id, "unit_name": (view.get("unit") or {}).get("name")},
                 reason=body.reason)
    return view
