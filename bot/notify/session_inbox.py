"""The web channel's notifier: the message becomes a bot message in the citizen's chat session."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import BackendUnavailable
from bot.store.db import session_scope
from bot.store.tables import ChatMessage, ChatSession


class SessionInboxNotifier:
    """Stores notices as ChatMessage(role="bot") so the web chat (and the session history) shows them."""

    def __init__(self, *, db_url: str) -> None:
        self.db_url = db_url

    def send(self, channel: str, recipient: str, message: str) -> None:
        """Append the message to session `recipient`; a session that no longer exists is skipped."""
        try:
            with session_scope(self.db_url) as db:
                if db.get(ChatSession, recipient) is None:
                    return
                db.add(ChatMessage(session_id=recipient, role="bot", text=message, intent="status_query"))
        except SQLAlchemyError as exc:
            raise BackendUnavailable(f"could not store notice: {exc.__class__.__name__}") from exc
