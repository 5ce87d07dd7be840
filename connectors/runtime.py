"""The assembled product: every long-lived collaborator, built once and lazily."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
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
    from bot.triage.refit import Refitter
    from bot.triage.service import Triage
    from connectors.dispatch.base import DispatchConnector
    from connectors.wechat.notifier import WeChatNotifier
    from connectors.wechat.service import WeChatChannel
    from knowledge_base.base import KnowledgeBase
    from knowledge_base.upload_jobs import UploadJobs

log = logging.getLogger(__name__)

# One warm-up turn's texts: a question (retrieval, grounding) and a complaint (triage, extraction, acts).
WARMUP_QUESTION = "公积金提取需要哪些材料？"
WARMUP_COMPLAINT = "朝阳区某小区楼下餐馆油烟太大，晚上十点后还很吵，希望有关部门处理。"


class Readiness:
    """Whether the service can answer a turn at full speed yet (see shared/CONTRACTS.md, "Readiness")."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self.error: str | None = None
        self.seconds: dict[str, float] = {}

    @property
    def ready(self) -> bool:
        """True once every model is loaded and a warm-up turn has run."""
        return self._ready.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until ready (or the timeout); True when ready."""
        return self._ready.wait(timeout)

    def mark_ready(self) -> None:
        """Every part is warm."""
        self._ready.set()


class Runtime:
    """Holds the settings and builds each collaborator on first use."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db_url = self.settings.sqlalchemy_url
        create_schema(self.db_url)
        self.readiness = Readiness()

    def warm_up(self) -> dict[str, float]:
        """Load every model a turn needs and run one real turn's work, so the first citizen waits no longer
        than the hundredth: embedder, Chroma client and its HNSW index, the BM25 index and jieba's dictionary,
        the triage classifier (fitted, or its cached fit loaded), dialogue acts, extraction rules and the
        grounding path. Nothing is written (the warm-up answer has no database). Returns seconds per part and
        marks the runtime ready."""
        from bot.answer.service import Answerer

        seconds: dict[str, float] = {}

        def timed(name: str, work: object) -> None:
            t0 = time.perf_counter()
            if callable(work):
                work()
            seconds[name] = round(time.perf_counter() - t0, 3)

        timed("knowledge_base", lambda: self.knowledge_base.warm_up(WARMUP_QUESTION))
        timed("triage", self._warm_triage)
        timed("dialog", lambda: self.dialog.acts.scores(WARMUP_COMPLAINT))
        timed("extractor", lambda: self.extractor.offline(
            WARMUP_COMPLAINT, now=datetime.now(UTC), triage=self.triage.classify(WARMUP_COMPLAINT)))
        # The grounding path on the real retriever, without a database: the warm-up question is not logged.
        timed("answer", lambda: Answerer(retriever=self.knowledge_base, gateway=None, db_url=None)
              .answer(WARMUP_QUESTION))
        _ = self.answerer, self.dialog.answerer
        self.upload_jobs.resume()  # uploads a stop interrupted run again from their kept files
        seconds["total"] = round(sum(seconds.values()), 3)
        self.readiness.seconds = seconds
        self.readiness.mark_ready()
        log.info("warm-up done in %.1f s: %s", seconds["total"], seconds)
        return seconds

    def _warm_triage(self) -> None:
        triage = self.triage  # builds (fits) the classifier
        warm = getattr(triage, "warm_up", None)
        if callable(warm):
            warm()
        triage.classify(WARMUP_COMPLAINT)
        triage.classify(WARMUP_QUESTION)

    def start_warm_up(self) -> threading.Thread:
        """Warm up in a background thread (liveness answers meanwhile); a failure is kept on `readiness`."""
        def run() -> None:
            try:
                self.warm_up()
            except Exception as exc:  # the service stays "not ready" and says why
                log.exception("warm-up failed")
                self.readiness.error = f"{type(exc).__name__}: {exc}"

        thread = threading.Thread(target=run, name="warm-up", daemon=True)
        thread.start()
        return thread

    def taxonomy_changed(self) -> None:
        """An admin saved the taxonomy: triage and the extractor use it from the next turn, without a restart;
        the classifier is refitted to it in the background (`taxonomy_refit`), so the save answers at once.
        Parts not built yet need nothing: they are built from the file in force. (Routing needs no hook: the
        router reloads on the next ticket, `bot.dispatch.routing.load_router`.)"""
        if "triage" not in self.__dict__:
            return
        from bot.taxonomy import load_taxonomy

        self.triage.use_taxonomy(load_taxonomy(self.settings.overrides_dir))
        if "extractor" in self.__dict__:
            self.extractor.taxonomy = self.triage.taxonomy
        self.taxonomy_refit.request()

    @cached_property
    def taxonomy_refit(self) -> Refitter:
        """The background refit of the category classifier after taxonomy edits."""
        from bot.triage.refit import Refitter

        return Refitter(self.triage, self.settings)

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
    def upload_jobs(self) -> UploadJobs:
        """Knowledge-base uploads as background jobs (one at a time, with their own embedder)."""
        from knowledge_base.upload_jobs import UploadJobs

        return UploadJobs(self.knowledge_base, db_url=self.db_url,
                          incoming_dir=self.settings.uploads_dir / "incoming")

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
                      answerer=lambda: self.answerer, max_message_chars=self.settings.max_message_chars,
                      acts_cache_dir=self.settings.data_dir / "cache")

    @cached_property
    def triage(self) -> Triage:
        """Intent, category, urgency and emergencies; trains the category ensemble on first use."""
        from bot.triage.service import build_triage
        from knowledge_base.index.embedder import default_embedder

        # The knowledge base's embedder and its query cache: a message triage and retrieval both embed is
        # embedded once.
        return build_triage(self.settings, embedder=default_embedder())

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
