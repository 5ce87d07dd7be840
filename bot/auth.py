"""Staff credentials: API tokens (hashed) and page accounts (scrypt-hashed passwords)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import BadInput
from bot.store.tables import ApiToken, StaffUser

Role = Literal["admin", "agent", "unit"]
ROLES: tuple[Role, ...] = ("admin", "agent", "unit")


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Session, *, role: str, name: str) -> str:
    """Create and store a bearer token; the plain token is returned once and never stored."""
    if role not in ROLES:
        raise BadInput(f"未知角色：{role}（可选 {', '.join(ROLES)}）")
    token = f"hl_{role}_{secrets.token_urlsafe(24)}"
    db.add(ApiToken(token_hash=_hash_token(token), role=role, name=name))
    db.flush()
    return token


def role_for_token(db: Session, token: str) -> tuple[str, str] | None:
    """(role, name) for a valid token, else None."""
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(token)))
    return (row.role, row.name) if row else None


def _hash_password(password: str, salt: bytes) -> str:
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


# Verifying against a dummy hash for unknown users keeps the response time the same,
# so sign-in timing does not reveal which user names exist.
_DUMMY_HASH = _hash_password("dummy-password", b"0123456789abcdef")


def add_user(db: Session, *, name: str, role: str, password: str) -> StaffUser:
    """Create (or reset) a staff account for the pages."""
    if role not in ROLES:
        raise BadInput(f"未知角色：{role}（可选 {', '.join(ROLES)}）")
    if len(password) < 8:
        raise BadInput("密码至少需要 8 个字符")
    user = db.scalar(select(StaffUser).where(StaffUser.name == name))
    hashed = _hash_password(password, secrets.token_bytes(16))
    if user is None:
        user = StaffUser(name=name, role=role, password_hash=hashed)
        db.add(user)
    else:
        user.role, user.password_hash = role, hashed
    db.flush()
    return user


def authenticate(db: Session, *, name: str, password: str) -> StaffUser | None:
    """The user when the password matches, else None."""
    user = db.scalar(select(StaffUser).where(StaffUser.name == name))
    stored = user.password_hash if user else _DUMMY_HASH
    _, salt_hex, _ = stored.split("$")
    ok = hmac.compare_digest(_hash_password(password, bytes.fromhex(salt_hex)), stored)
    return user if (user and ok) else None
