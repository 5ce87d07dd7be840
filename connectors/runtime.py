"""The assembled product: every long-lived collaborator, built once and lazily."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from bot.config import Settings, get_settings
from bot.store.db import create_schema

if TYPE_CHECKING:
    from bot.answer.service import Answerer
    from bot.dialog.engine import Dialog
    from bot.dispatch.worker import Worker
    from bot.intake.extract import Extractor
    from bot.llm.gateway import Gateway
    from bot.notify.base import NotifierRegistry
    from bot.triage.service import Triage
    from connectors.dispatch.base import DispatchConnector
    from connectors.wechat.notifier import WeChatNotifier
    from connectors.wechat.service import WeChatChannel
    from knowledge_base.base import KnowledgeBase


class Runtime:
    """Holds the settings and builds each collaborator on first use."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db_url = self.settings.sqlalchemy_url
        create_schema(self.db_url)

    @cached_property
    def gateway(self) -> Gateway:
        """The one door to language models."""
        from bot.llm.gateway import build_gateway

        return build_gateway(self.settings)

    @cached_property
    def knowledge_base(self) -> KnowledgeBase:
        """Policy documents: ingestion and hybrid retrieval."""
        from knowledge_base.base import KnowledgeBase

        return KnowledgeBase(settings=self.settings, db_url=self.db_url)

    @cached_property
    def answerer(self) -> Answerer:
        """Grounded answers with citations."""
        from bot.answer.service import Answerer

        return Answerer(retriever=self.knowledge_base, gateway=self.gateway, db_url=self.db_url)

    @cached_property
    def dialog(self) -> Dialog:
        """One turn of one session."""
        from bot.dialog.engine import Dialog

        return Dialog(db_url=self.db_url, triage=self.triage, extractor=self.extractor,
                      answerer=lambda: self.answerer, max_message_chars=self.settings.max_message_chars)

    @cached_property
    def triage(self) -> Triage:
        """Intent, category, urgency and emergencies; trains the category ensemble on first use."""
        from bot.triage.service import build_triage

        return build_triage(self.settings)

    @cached_property
    def extractor(self) -> Extractor:
        """Ticket extraction: the LLM path through the gateway, else rules and the gazetteer."""
        from bot.intake.extract import Extractor
        from bot.intake.gazetteer import load_gazetteer

        return Extractor(taxonomy=self.triage.taxonomy, gazetteer=load_gazetteer(self.settings.city),
                         gateway=self.gateway)

    @cached_property
    def wechat(self) -> WeChatChannel:
        """The WeChat official account channel (needs HOTLINE_WECHAT_TOKEN)."""
        from connectors.wechat.service import build_channel

        _ = self.wechat_notifier  # status updates reach followers through the same account
        return build_channel(runtime=self)

    @cached_property
    def wechat_notifier(self) -> WeChatNotifier:
        """The WeChat notifier, registered on `self.notifier` for channel "wechat" when first built."""
        from connectors.wechat.service import build_notifier

        notifier = build_notifier(runtime=self)
        self.notifier.register("wechat", notifier)
        return notifier

    @cached_property
    def dispatcher(self) -> DispatchConnector:
        """The configured dispatch backend (builtin, open311 or webhook)."""
        from connectors.dispatch import build_connector

        return build_connector(self.settings)

    @cached_property
    def notifier(self) -> NotifierRegistry:
        """Citizen notifiers by channel; channel adapters register theirs here."""
        from bot.notify import default_registry

        return default_registry(db_url=self.db_url)

    @cached_property
    def worker(self) -> Worker:
        """The outbox delivery worker; with an official account configured, WeChat notices go through it."""
        from bot.dispatch.worker import Worker

        if self.settings.wechat_appid and self.settings.wechat_secret:
            _ = self.wechat_notifier  # registers itself for channel "wechat"
        return Worker(db_url=self.db_url, dispatcher=self.dispatcher, notifiers=self.notifier,
                      settings=self.settings)
