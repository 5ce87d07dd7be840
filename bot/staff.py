"""Staff accounts and tokens as admins and the command line create them: a unit's account or token is
named after a unit of the routing table, so its queue is the tickets routed to that unit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import auth
from bot.dispatch.routing import load_router
from bot.errors import BadInput
from bot.store.tables import StaffUser


def check_unit_name(name: str, *, overrides_dir: Path | None) -> str:
    """The unit's display name; BadInput unless `name` is a unit id of the routing table in force."""
    unit = load_router(overrides_dir).unit_name(name)
    if unit is None:
        raise BadInput(f"承办单位账号须以路由表中的单位 ID 命名（如 chaoyang.cgzf），“{name}”不是有效的单位 ID；"
                       "可用 `hotline units` 或管理后台的路由表查看")
    return unit


def add_account(db: Session, *, name: str, role: str, password: str, overrides_dir: Path | None) -> StaffUser:
    """Create or reset a page account; unit accounts must name a routing unit."""
    name = name.strip()
    if not name:
        raise BadInput("账号名不能为空")
    if role == "unit":
        check_unit_name(name, overrides_dir=overrides_dir)
    return auth.add_user(db, name=name, role=role, password=password)


def add_token(db: Session, *, name: str, role: str, overrides_dir: Path | None) -> str:
    """Create an API token; a unit token must name a routing unit."""
    if role == "unit":
        check_unit_name(name, overrides_dir=overrides_dir)
    return auth.create_token(db, role=role, name=name)


def accounts(db: Session) -> list[dict[str, str]]:
    """Every page account (name, role, created), oldest first; never a password hash."""
    rows = db.scalars(select(StaffUser).order_by(StaffUser.id))
    return [{"name": u.name, "role": u.role, "created_at": u.created_at.isoformat()} for u in rows]
