"""Knowledge-base fixtures: an empty base on the test's own data dir."""

from __future__ import annotations

import pytest

from bot.config import get_settings
from bot.store.db import create_schema
from knowledge_base.base import KnowledgeBase


@pytest.fixture
def kb() -> KnowledgeBase:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    create_schema(settings.sqlalchemy_url)
    return KnowledgeBase(settings=settings, db_url=settings.sqlalchemy_url)
