"""Storing an emergency the bot flagged, so every agent sees it on the live desk (`bot.desk.live.alerts`, pushed
by the desk's event stream). One place for chat turns and call-assist turns alike."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from bot.dialog.tables import EmergencyAlert
from bot.pii import mask
from bot.triage.emergency import EmergencyHit

log = logging.getLogger(__name__)

CALL_PREFIX = "call:"


def call_session_id(call_id: str) -> str:
    """The alert's session id for an emergency heard in a call (call assist), not a chat session."""
    return f"{CALL_PREFIX}{call_id}"


def call_of(session_id: str) -> str | None:
    """The call id of an alert heard in a call, else None (a chat session)."""
    return session_id.removeprefix(CALL_PREFIX) if session_id.startswith(CALL_PREFIX) else None


def record_alert(db: Session, *, session_id: str, channel: str, hit: EmergencyHit, text: str) -> EmergencyAlert:
    """One alert row for the flagged `text`, stored masked (the alert list is shown to every agent)."""
    row = EmergencyAlert(session_id=session_id, channel=channel, kind=hit.kind, numbers=",".join(hit.numbers),
                         text=mask(text)[:2000])
    db.add(row)
    log.warning("emergency (%s) in session %s", hit.kind, mask(session_id))
    return row
