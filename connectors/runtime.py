"""The assembled product: every long-lived collaborator, built once and lazily."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from bot.config import Settings, get_settings
from bot.store.db import create_schema

if TYPE_CHECKING:
    from bot.answer.service import Answerer
    from bot.dialog.engine import Dialog
    from bot.llm.gateway import Gateway
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

        return Dialog(runtime=self)
