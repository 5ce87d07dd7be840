"""Citizen notifications: the `Notifier` interface, a registry by channel, and the web session inbox."""

from bot.notify.base import Notifier, NotifierRegistry
from bot.notify.session_inbox import SessionInboxNotifier


def default_registry(*, db_url: str) -> NotifierRegistry:
    """Web messages go to the session inbox; so do other channels until their notifier is registered."""
    inbox = SessionInboxNotifier(db_url=db_url)
    registry = NotifierRegistry(default=inbox)
    registry.register("web", inbox)
    return registry


__all__ = ["Notifier", "NotifierRegistry", "SessionInboxNotifier", "default_registry"]
