"""Staff credentials: API tokens (hashed), page accounts (scrypt-hashed passwords), server-side page
sessions that logout and a password change revoke, and the install's own random secret."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import DateTime, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.errors import BadInput
from bot.store.db import Base, utcnow
from bot.store.tables import ApiToken, StaffUser

Role = Literal["admin", "agent", "unit", "analyst"]
ROLES: tuple[Role, ...] = ("admin", "agent", "unit", "analyst")

# Who may use each staff surface: its page and every API under it admit exactly these roles, so a page
# and the APIs it calls can never disagree (tests/connectors/web/test_authorization.py checks each route).
SURFACES: dict[str, tuple[Role, ...]] = {
    "admin": ("admin",),
    "agent": ("agent", "admin"),
    "unit": ("unit", "admin"),
    "analytics": ("analyst", "admin"),
}


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
        revoke_sessions(db, name)  # a new password (or role) signs every browser out
    db.flush()
    return user


def authenticate(db: Session, *, name: str, password: str) -> StaffUser | None:
    """The user when the password matches, else None."""
    user = db.scalar(select(StaffUser).where(StaffUser.name == name))
    stored = user.password_hash if user else _DUMMY_HASH
    _, salt_hex, _ = stored.split("$")
    ok = hmac.compare_digest(_hash_password(password, bytes.fromhex(salt_hex)), stored)
    return user if (user and ok) else None


# --- server-side page sessions ------------------------------------------------------------------

SESSION_HOURS = 12.0


class StaffSession(Base):
    """One signed-in browser; the cookie holds only the random id, the row holds who it is."""

    __tablename__ = "staff_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(100), index=True)
    role: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


def open_session(db: Session, user: StaffUser, *, hours: float = SESSION_HOURS) -> str:
    """A new session for `user`; the returned id goes into the cookie and is stored only hashed."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    db.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    db.add(StaffSession(id_hash=_hash_token(sid), user_name=user.name, role=user.role, created_at=now,
                        expires_at=now + timedelta(hours=hours)))
    db.flush()
    return sid


def session_user(db: Session, sid: str) -> tuple[str, str] | None:
    """(name, role) of a live session, else None (unknown, expired, revoked)."""
    if not isinstance(sid, str) or not sid or len(sid) > 100:
        return None
    row = db.get(StaffSession, _hash_token(sid))
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=utcnow().tzinfo)
    if expires <= utcnow():
        return None
    return row.user_name, row.role


def close_session(db: Session, sid: str) -> None:
    """Sign one browser out."""
    if isinstance(sid, str) and sid:
        db.execute(delete(StaffSession).where(StaffSession.id_hash == _hash_token(sid)))


def revoke_sessions(db: Session, name: str) -> int:
    """Sign every browser of `name` out; the number of sessions ended."""
    result = db.execute(delete(StaffSession).where(StaffSession.user_name == name))
    return int(getattr(result, "rowcount", 0) or 0)


# --- the install's secret ---------------------------------------------------------------------------

SECRET_FILE = "secret_key"


def install_secret(data_dir: Path) -> str:
    """The random secret of this install, generated into the data dir on first start (mode 0600).

    Two processes starting at once agree: the file is written under a temporary name and linked into
    place, so exactly one secret wins and both read it.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SECRET_FILE
    if not path.exists():
        tmp = data_dir / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise RuntimeError(f"{path} holds no usable secret; delete it to generate a new one")
    return secret


def sign(secret: str, purpose: str, message: str) -> str:
    """An HMAC-SHA256 over `message`, keyed per purpose, URL-safe."""
    key = hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:32]


def verify(secret: str, purpose: str, message: str, signature: str) -> bool:
    """Whether `signature` is sign(secret, purpose, message)."""
    return isinstance(signature, str) and hmac.compare_digest(sign(secret, purpose, message), signature)
