"""Dispatch backends behind one interface; `build_connector` picks one from the settings."""

from __future__ import annotations

from bot.config import Settings
from bot.errors import InvalidConfig
from connectors.dispatch.base import DispatchConnector


def build_connector(settings: Settings) -> DispatchConnector:
    """The configured backend: builtin (default), open311 or webhook."""
    if settings.dispatch_backend == "builtin":
        from connectors.dispatch.builtin import BuiltinConnector

        return BuiltinConnector()
    if settings.dispatch_backend == "open311":
        from connectors.dispatch.open311 import Open311Connector

        return Open311Connector(base_url=settings.open311_base_url or "", api_key=settings.open311_api_key,
                                jurisdiction=settings.open311_jurisdiction, timeout_s=settings.dispatch_timeout_s)
    if settings.dispatch_backend == "webhook":
        from connectors.dispatch.webhook import WebhookConnector

        return WebhookConnector(url=settings.webhook_url or "", secret=settings.webhook_secret or "",
                                timeout_s=settings.dispatch_timeout_s)
    raise InvalidConfig(f"未知的派单后端：{settings.dispatch_backend}")
