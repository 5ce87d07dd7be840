"""Telling citizens what happens to their tickets: one interface, one notifier per channel."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.pii import mask

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """Sends one message to one citizen on one channel; raises BackendUnavailable when it cannot (retried)."""

    def send(self, channel: str, recipient: str, message: str) -> None:
        """Deliver `message` to `recipient` (the ticket's session id) on `channel`."""
        ...


class NotifierRegistry:
    """Notifiers by channel name; channels without their own notifier fall back to the default."""

    def __init__(self, *, default: Notifier | None = None) -> None:
        self._by_channel: dict[str, Notifier] = {}
        self.default = default

    def register(self, channel: str, notifier: Notifier) -> None:
        """Use `notifier` for `channel` (e.g. the WeChat engineer registers "wechat")."""
        self._by_channel[channel] = notifier

    def channels(self) -> list[str]:
        """Channels with a notifier of their own."""
        return sorted(self._by_channel)

    def send(self, channel: str, recipient: str, message: str) -> None:
        """Route to the channel's notifier, else the default; raises what the notifier raises."""
        notifier = self._by_channel.get(channel) or self.default
        if notifier is None:
            log.warning("no notifier for channel %s; dropped message to %s", channel, mask(recipient))
            return
        notifier.send(channel, recipient, message)
