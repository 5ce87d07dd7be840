"""Real-looking tickets and a migrated database for dispatch tests."""

from __future__ import annotations

from typing import Any

from bot.store.db import create_schema, session_scope
from bot.store.tables import ChatSession
from bot.tickets.models import Category, Contact, Location, Ticket


def make_ticket(*, l1: str | None = "城乡建设", l2: str | None = "城市建设和市政管理", district: str | None = "朝阳区",
                street: str | None = "望京街道", raw: str | None = "望京西园三区", summary: str = "小区垃圾无人清运",
                verbatim: str | None = None, intent: str = "complaint", urgency: str = "normal",
                phone: str = "13912345678", channel: str = "web", **extra: Any) -> Ticket:
    """A confirmed citizen ticket as the intake dialogue produces it."""
    return Ticket(
        channel=channel, intent=intent, urgency=urgency, summary=summary, verbatim=verbatim or summary,
        category=Category(level1=l1, level2=l2) if l1 else None,
        location=Location(raw=raw, district=district, street=street),
        contact=Contact(phone=phone), **extra,
    )


def fresh_db(tmp_path) -> str:  # noqa: ANN001
    """A migrated SQLite database under tmp_path."""
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    create_schema(url)
    return url


def open_session(url: str, session_id: str, channel: str = "web") -> None:
    """A chat session row, so web notices have somewhere to go."""
    with session_scope(url) as db:
        if db.get(ChatSession, session_id) is None:
            db.add(ChatSession(session_id=session_id, channel=channel, state={}))
