"""Handing a session to a person and back: the queue, who holds a session, and what the citizen is told.

One `HandoffRow` per request: queued → with_agent → returned or closed (or withdrawn by the citizen). A session has
at most one open request (queued or with_agent). Agents' messages are kept in the transcript like everyone
else's; on channels that cannot poll (WeChat) they also go out through the notify outbox.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.dialog.replies import R
from bot.dialog.tables import HandoffRow
from bot.dispatch import outbox
from bot.errors import BadInput, NotFound
from bot.models import HandoffInfo
from bot.pii import mask
from bot.store.db import utcnow
from bot.store.tables import ChatMessage, ChatSession

log = logging.getLogger(__name__)

OPEN = ("queued", "with_agent")
# Handed back to the bot, or the conversation ended by the agent: the bot answers anything new either way.
ENDED = ("returned", "closed")
REASON_LABELS = {"citizen_asked": "市民要求转人工", "unanswered": "连续未能回答", "upset": "市民情绪不满"}
# Channels whose citizens only see what is pushed to them; the web page reads the transcript itself.
PUSH_CHANNELS = ("wechat",)
MAX_AGENT_TEXT = 2000


class HeldByAnother(BadInput):
    """Another agent holds the session."""


def open_request(db: Session, session_id: str) -> HandoffRow | None:
    """The session's queued or held request, if any."""
    return db.scalar(select(HandoffRow).where(HandoffRow.session_id == session_id, HandoffRow.status.in_(OPEN))
                     .order_by(HandoffRow.id.desc()).limit(1))


def position(db: Session, row: HandoffRow) -> int | None:
    """1 for the first in the queue; None once an agent holds it."""
    if row.status != "queued":
        return None
    return int(db.scalar(select(func.count(HandoffRow.id)).where(HandoffRow.status == "queued",
                                                                HandoffRow.id <= row.id)) or 0)


def info(db: Session, session_id: str, *, consume_return: bool = True) -> HandoffInfo | None:
    """The handoff field of a reply: open request, or a hand-back not yet shown to the citizen."""
    row = open_request(db, session_id)
    if row is not None:
        return HandoffInfo(status=row.status, position=position(db, row))  # type: ignore[arg-type]
    back = db.scalar(select(HandoffRow).where(HandoffRow.session_id == session_id, HandoffRow.status.in_(ENDED),
                                              HandoffRow.announced.is_(False)).order_by(HandoffRow.id.desc()).limit(1))
    if back is None:
        return None
    if consume_return:
        back.announced = True
    return HandoffInfo(status="returned", position=None)


def request(db: Session, session_id: str, *, channel: str, reason: str) -> tuple[HandoffRow, bool]:
    """Queue the session for a person (once); returns the request and whether it is new."""
    row = open_request(db, session_id)
    if row is not None:
        return row, False
    row = HandoffRow(session_id=session_id, channel=channel, status="queued", reason=reason, announced=False,
                     requested_at=utcnow())
    db.add(row)
    db.flush()
    log.info("handoff requested for session %s (%s)", mask(session_id), reason)
    return row, True


def withdraw(db: Session, session_id: str) -> bool:
    """The citizen no longer wants to wait; True if a queued request was withdrawn."""
    row = open_request(db, session_id)
    if row is None or row.status != "queued":
        return False
    row.status, row.released_at, row.announced = "withdrawn", utcnow(), True
    return True


def next_step_text(now: datetime, *, hours: dict[str, str] | None = None) -> str:
    """What happens next: an agent soon (working hours) or after opening; 12345 for anything urgent."""
    spec = hours or {"open": R.text("handoff.open"), "close": R.text("handoff.close")}
    opens, closes = time.fromisoformat(spec["open"]), time.fromisoformat(spec["close"])
    key = "handoff_next_open" if opens <= now.time() < closes else "handoff_next_closed"
    return R.text(key, hours=R.text("handoff.hours"))


def queued_text(db: Session, row: HandoffRow, *, now: datetime, new: bool) -> str:
    """The acknowledgement: place in the queue and what happens next."""
    pos = position(db, row) or 1
    if row.status == "with_agent":
        return R.text("handoff_taken", agent="")
    if new:
        return R.text("handoff_queued", ahead=pos - 1, position=pos, next=next_step_text(now))
    return R.text("handoff_queued_again", position=pos, next=next_step_text(now))


# --- the agents' side -----------------------------------------------------------------------------

def queue(db: Session) -> list[dict[str, Any]]:
    """Open requests, queued first in arrival order, then those held by an agent (so others see who holds them)."""
    rows = list(db.scalars(select(HandoffRow).where(HandoffRow.status.in_(OPEN)).order_by(HandoffRow.id)))
    queued = [r for r in rows if r.status == "queued"]
    out = []
    for r in [*queued, *(r for r in rows if r.status == "with_agent")]:
        out.append({
            "session_id": r.session_id, "channel": r.channel, "status": r.status,
            "position": queued.index(r) + 1 if r.status == "queued" else None,
            "reason": r.reason, "reason_label": REASON_LABELS.get(r.reason, r.reason),
            "agent": r.agent, "requested_at": r.requested_at.isoformat(),
            "taken_at": r.taken_at.isoformat() if r.taken_at else None,
        })
    return out


def _session(db: Session, session_id: str) -> ChatSession:
    chat = db.get(ChatSession, session_id)
    if chat is None:
        raise NotFound("未找到该会话")
    return chat


def take(db: Session, session_id: str, *, agent: str) -> HandoffRow:
    """An agent takes the session (from the queue, or unasked); refused while another agent holds it."""
    chat = _session(db, session_id)
    row = open_request(db, session_id)
    if row is not None and row.status == "with_agent" and row.agent != agent:
        raise HeldByAnother(f"该会话正由坐席“{row.agent}”处理")
    if row is None:
        row = HandoffRow(session_id=session_id, channel=chat.channel, status="queued", reason="agent_joined",
                         announced=False, requested_at=utcnow())
        db.add(row)
    if row.status != "with_agent":
        row.status, row.agent, row.taken_at = "with_agent", agent, utcnow()
        _say(db, chat, R.text("handoff_taken", agent=f"（{agent}）"), role="bot")
    db.flush()
    return row


def _held(db: Session, session_id: str, agent: str) -> tuple[ChatSession, HandoffRow]:
    chat = _session(db, session_id)
    row = open_request(db, session_id)
    if row is None or row.status != "with_agent":
        raise BadInput("请先接入该会话")
    if row.agent != agent:
        raise HeldByAnother(f"该会话正由坐席“{row.agent}”处理")
    return chat, row


def agent_message(db: Session, session_id: str, *, agent: str, text: str) -> ChatMessage:
    """The holding agent writes to the citizen; kept in the transcript and pushed where the channel needs it."""
    text = (text or "").strip()
    if not text:
        raise BadInput("消息内容为空")
    if len(text) > MAX_AGENT_TEXT:
        raise BadInput(f"消息过长（{len(text)} 字），请精简到 {MAX_AGENT_TEXT} 字以内")
    chat, _row = _held(db, session_id, agent)
    return _say(db, chat, text, role="agent", author=agent)


def release(db: Session, session_id: str, *, agent: str) -> HandoffRow:
    """The agent hands the session back to the bot, which tells the citizen so."""
    chat, row = _held(db, session_id, agent)
    row.status, row.released_at, row.announced = "returned", utcnow(), False
    _say(db, chat, R.text("handoff_returned"), role="bot")
    return row


def close(db: Session, session_id: str, *, agent: str) -> HandoffRow:
    """The agent ends the conversation: the citizen is thanked, and the bot answers anything they write next."""
    chat, row = _held(db, session_id, agent)
    row.status, row.released_at, row.announced = "closed", utcnow(), False
    _say(db, chat, R.text("handoff_closed"), role="bot")
    return row


def _say(db: Session, chat: ChatSession, text: str, *, role: str, author: str | None = None) -> ChatMessage:
    """A message to the citizen outside a turn: in the transcript, and queued for push on push-only channels."""
    msg = ChatMessage(session_id=chat.session_id, role=role, text=text, author=author,
                      intent="handoff" if role == "bot" else None)
    db.add(msg)
    db.flush()
    if chat.channel in PUSH_CHANNELS:
        pushed = R.text("agent_prefix", text=text) if role == "agent" else text
        outbox.enqueue(db, topic="notify", kind="chat.message", ticket_no=None,
                       payload={"channel": chat.channel, "recipient": chat.session_id, "message": pushed},
                       idempotency_key=f"chat-message:{msg.id}")
    return msg


def messages_after(db: Session, session_id: str, after: int, *, limit: int = 200) -> list[dict[str, Any]]:
    """The session's messages with a sequence number above `after`, oldest first."""
    rows = db.scalars(select(ChatMessage).where(ChatMessage.session_id == session_id, ChatMessage.id > after)
                      .order_by(ChatMessage.id).limit(limit))
    return [{"seq": m.id, "role": m.role, "text": m.text, "at": m.created_at.isoformat(),
             **({"author": m.author} if m.author else {})} for m in rows]


def last_citizen_messages(db: Session, session_ids: list[str]) -> dict[str, str]:
    """Each session's latest citizen message."""
    if not session_ids:
        return {}
    latest = (select(ChatMessage.session_id, func.max(ChatMessage.id).label("id"))
              .where(ChatMessage.session_id.in_(session_ids), ChatMessage.role == "citizen")
              .group_by(ChatMessage.session_id).subquery())
    rows = db.execute(select(ChatMessage.session_id, ChatMessage.text).join(latest, ChatMessage.id == latest.c.id))
    return {str(sid): str(text) for sid, text in rows.tuples()}
