"""Staff accounts and tokens as admins and the command line create them: a unit's account or token is
named after a unit of the routing table, so its queue is the tickets routed to that unit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import auth
from bot.dispatch.routing import load_router
from bot.errors import BadInput
from bot.names import name_problem
from bot.store.tables import StaffUser
from bot.tickets.lifecycle import as_utc


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
    if len(name) > 100:
        raise BadInput("账号名最多 100 个字符")
    problem = name_problem(name)
    if problem:
        raise BadInput(f"账号名{problem}")
    if role == "unit":
        check_unit_name(name, overrides_dir=overrides_dir)
    return auth.add_user(db, name=name, role=role, password=password)


def add_token(db: Session, *, name: str, role: str, overrides_dir: Path | None) -> str:
    """Create an API token; a unit token must name a routing unit."""
    if role == "unit":
        check_unit_name(name, overrides_dir=overrides_dir)
    return auth.create_token(db, role=role, name=name)


def create_account(db: Session, *, name: str, role: str, password: str,
                   overrides_dir: Path | None) -> dict[str, str | None]:
    """A new page account, as the admin page makes it: an existing name is refused (resetting a password is
    the command line's `hotline user add`), a unit account must name a routing unit."""
    if db.scalar(select(StaffUser).where(StaffUser.name == name.strip())) is not None:
        raise BadInput(f"账号“{name.strip()}”已存在")
    return account_view(add_account(db, name=name, role=role, password=password, overrides_dir=overrides_dir),
                        overrides_dir=overrides_dir)


def account_view(user: StaffUser, *, overrides_dir: Path | None) -> dict[str, str | None]:
    """An account as admins see it (a unit's with its unit's name); never a password hash."""
    unit = load_router(overrides_dir).unit_name(user.name) if user.role == "unit" else None
    created = as_utc(user.created_at)
    return {"name": user.name, "role": user.role, "unit_name": unit,
            "created_at": created.isoformat() if created else None}


def accounts(db: Session, *, overrides_dir: Path | None = None) -> list[dict[str, str | None]]:
    """Every page account (name, role, the unit's name for a unit, created), oldest first."""
    rows = db.scalars(select(StaffUser).order_by(StaffUser.id))
    return [account_view(u, overrides_dir=overrides_dir) for u in rows]
