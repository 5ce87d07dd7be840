"""Admins read and replace the category taxonomy; a bad edit is refused with the reason (400)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from bot import taxonomy
from bot.admin import audit
from bot.dispatch import routing
from connectors.web.deps import AdminDep, DbDep, RuntimeDep

router = APIRouter(prefix="/api/admin/taxonomy", tags=["admin"])


@router.get("")
def read_taxonomy(runtime: RuntimeDep, _admin: AdminDep) -> dict[str, Any]:
    """The taxonomy in force (the admin's override, else the shipped file)."""
    return taxonomy.load_taxonomy(runtime.settings.overrides_dir).model_dump(mode="json")


@router.put("")
def replace_taxonomy(runtime: RuntimeDep, admin: AdminDep, db: DbDep,
                     data: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Validate and store a new taxonomy; triage picks it up on the next start."""
    overrides = runtime.settings.overrides_dir
    old = taxonomy.load_taxonomy(overrides).version
    # Both checks raise InvalidConfig → 400 with the reason, and nothing is written.
    routing.check_taxonomy_change(overrides, taxonomy.parse_taxonomy(data))
    tax = taxonomy.save_override(overrides, data)
    audit.record(db, actor=admin.name, role=admin.role, action="taxonomy.replace", target=tax.version,
                 before={"version": old}, after={"version": tax.version,
                                                 "level2": sum(len(c.children) for c in tax.categories)})
    return tax.model_dump(mode="json")
