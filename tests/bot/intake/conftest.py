"""One trained triage per test module: training is deterministic, and embedding the examples is the slow part."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.triage.service import Triage, build_triage


@pytest.fixture(scope="module")
def triage(tmp_path_factory: pytest.TempPathFactory) -> Triage:
    """The shipped taxonomy, examples and emergency keywords, trained once for the module."""
    data = tmp_path_factory.mktemp("triage-data")
    return build_triage(Settings(HOTLINE_DATA_DIR=data), cache_dir=data / "cache")
