"""One trained triage per test module (training is deterministic, and embedding the examples is the slow part),
and a dialogue engine on the test's own database with an answerer that records what it was asked."""

from __future__ import annotations

import pytest

from bot.answer.types import AnswerResult
from bot.config import Settings, get_settings
from bot.dialog.engine import Dialog
from bot.intake.extract import Extractor
from bot.intake.gazetteer import load_gazetteer
from bot.store.db import create_schema
from bot.triage.service import Triage, build_triage


class RecordingAnswerer:
    """Stands in for the answering service in unit tests; records the history it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def answer(self, question: str, *, history: list[str] | None = None, session_id: str | None = None) -> AnswerResult:
        self.calls.append((question, list(history or [])))
        return AnswerResult(answer="【政策解答】可到社区服务中心办理。", grounded=True, direct_reply=True)


@pytest.fixture(scope="module")
def triage(tmp_path_factory: pytest.TempPathFactory) -> Triage:
    """The shipped taxonomy, examples and emergency keywords, trained once for the module."""
    data = tmp_path_factory.mktemp("triage-data")
    return build_triage(Settings(HOTLINE_DATA_DIR=data), cache_dir=data / "cache")


@pytest.fixture
def answerer() -> RecordingAnswerer:
    return RecordingAnswerer()


@pytest.fixture
def dialog(triage: Triage, answerer: RecordingAnswerer) -> Dialog:
    url = get_settings().sqlalchemy_url
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    create_schema(url)
    return Dialog(db_url=url, triage=triage, extractor=Extractor(taxonomy=triage.taxonomy, gazetteer=load_gazetteer()),
                  answerer=answerer)
