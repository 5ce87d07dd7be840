"""Status updates to WeChat followers: a customer-service message inside the 48-hour window, else a template."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import quote

from bot.config import Settings
from bot.dispatch.ports import DeliveryRejected
from bot.store.db import utcnow
from bot.textkit import TICKET_NO
from connectors.wechat import store
from connectors.wechat.handler import openid_from_session
from connectors.wechat.push import WeChatApi, WeChatRejected, WindowClosed
from connectors.wechat.split import split_reply

log = logging.getLogger(__name__)

# WeChat allows customer-service messages for 48 h after the citizen's last message. Stop early: the
# recorded time may lag by up to service.FOLLOWER_SLACK (10 min), and clocks differ a little.
WINDOW = timedelta(hours=48) - timedelta(minutes=15)
# Template fields are short; WeChat rejects long values in most templates.
TEMPLATE_VALUE_LIMIT = 200
BEIJING = timedelta(hours=8)


class _Values(dict[str, str]):
    """Format values where an unknown placeholder stays empty instead of raising."""

    def __missing__(self, key: str) -> str:
        return ""


class WeChatNotifier:
    """The `bot.notify.Notifier` for channel "wechat"; `recipient` is the ticket's session id."""

    def __init__(
        self,
        *,
        api: WeChatApi | None,
        settings: Settings,
        db_url: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.api = api
        self.settings = settings
        self.db_url = db_url
        self.clock = clock

    def send(self, channel: str, recipient: str, message: str) -> None:
        """Deliver `message`. WeChat outages raise `BackendUnavailable` (retried); refusals `DeliveryRejected`."""
        if self.api is None:
            raise DeliveryRejected("WeChat AppID/AppSecret are not configured; cannot notify WeChat followers")
        openid = openid_from_session(recipient)
        try:
            last = store.last_inbound(self.db_url, openid)
            if last is not None and self.clock() - last < WINDOW:
                try:
                    for part in split_reply(message):
                        self.api.send_text(openid, part)
                    return
                except WindowClosed:
                    log.info("wechat window closed for a follower; falling back to a template message")
            self._send_template(openid, message)
        except WeChatRejected as exc:
            raise DeliveryRejected(str(exc)) from exc

    def _send_template(self, openid: str, message: str) -> None:
        template_id = self.settings.wechat_template_id
        if not template_id:
            raise DeliveryRejected("outside the 48-hour window and HOTLINE_WECHAT_TEMPLATE_ID is not set")
        assert self.api is not None
        self.api.send_template(openid, template_id=template_id, data=self.template_data(message),
                               url=self.template_url(message))

    def template_url(self, message: str) -> str | None:
        """The template's link; {ticket_no} and {token} (the ticket's signed-link credential) are filled in,
        so the follower opens the ticket without typing phone digits."""
        url = self.settings.wechat_template_url
        if not url or "{" not in url:
            return url
        found = TICKET_NO.search(message)
        if not found:
            return url.split("?", 1)[0]  # no ticket named: the page itself, without the placeholders
        from bot.auth import sign

        ticket_no = found.group(1)
        token = sign(self.settings.secret, "ticket-link", ticket_no)
        return url.replace("{ticket_no}", quote(ticket_no)).replace("{token}", token)

    def template_data(self, message: str) -> dict[str, str]:
        """The configured template fields, filled from the message: {message} {ticket_no} {time}."""
        found = TICKET_NO.search(message)
        values = _Values(
            message=message,
            ticket_no=found.group(1) if found else "",
            time=(self.clock() + BEIJING).strftime("%Y-%m-%d %H:%M"),
        )
        data = {}
        for name, pattern in self.settings.wechat_template_fields.items():
            try:
                value = pattern.format_map(values)
            except (ValueError, IndexError, AttributeError):
                value = pattern
            data[name] = value[:TEMPLATE_VALUE_LIMIT]
        return data
