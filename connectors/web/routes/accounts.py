"""Admins create staff page accounts; a unit account is picked from the routing table's units."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from bot import staff
from bot.admin import audit
from connectors.web.deps import AdminDep, DbDep, RuntimeDep

router = APIRouter(prefix="/api/admin/accounts", tags=["admin"])


class AccountIn(BaseModel):
    """A new page account; a unit account is named after its unit id (GET /api/admin/routing/units)."""

    name: str = Field(min_length=1, max_length=100)
    role: str = Field(min_length=1, max_length=20, description="admin | agent | unit | analyst")
    password: str = Field(min_length=1, max_length=200)


@router.get("")
def list_accounts(_admin: AdminDep, db: DbDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Every page account: name, role, the unit's name for a unit account, when it was made."""
    return {"accounts": staff.accounts(db, overrides_dir=runtime.settings.overrides_dir)}


@router.post("", status_code=status.HTTP_201_CREATED)
def create_account(body: AccountIn, admin: AdminDep, db: DbDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Create an account (400 with the reason: the name exists, a unit that is not in the routing table,
    a short password); the password is never logged."""
    made = staff.create_account(db, name=body.name, role=body.role, password=body.password,
                                overrides_dir=runtime.settings.overrides_dir)
    audit.record(db, actor=admin.name, role=admin.role, action="account.create", target=made["name"],
                 after={"name": made["name"], "role": made["role"], "unit_name": made["unit_name"]})
    return made
