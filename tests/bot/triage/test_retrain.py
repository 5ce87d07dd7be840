"""`hotline retrain`: staff corrections reach triage only after a held-out measure says they help."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.admin import config_edits
from bot.config import Settings, get_settings
from bot.store.db import create_schema, session_scope
from bot.triage import staff_examples
from bot.triage.embedding import default_embedder
from bot.triage.retrain import retrain
from bot.triage.service import build_triage
from connectors.cli import app

# A category an admin adds, and how citizens describe it; the shipped examples know nothing of it.
LIFT = [
    "小区3号楼电梯又坏了，把人关在里面半个小时", "电梯年检过期了还在用，物业不管", "电梯运行时抖得厉害，还有怪声",
    "楼里电梯停了一个星期没人修，老人上不了楼", "电梯门夹人，按钮也失灵了", "电梯里的应急电话打不通",
    "电梯经常突然下坠一截，吓死人了", "物业说电梯维保没钱，一直停着", "电梯按了不停层，直接冲到顶楼",
    "加装的电梯验收没通过就投入使用了",
]


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    config_edits.put_subcategory(tmp_path / "config", "城乡建设",
                                 "电梯安全", {"description": "电梯故障、困人、年检", "keywords": []})
    settings = Settings(HOTLINE_DATA_DIR=tmp_path)
    create_schema(settings.sqlalchemy_url)
    return settings


def _store(settings: Settings, texts: list[str]) -> None:
    with session_scope(settings.sqlalchemy_url) as db:
        for text in texts:
            staff_examples.record(db, text=text, level1="城乡建设", level2="电梯安全", intent="complaint",
                                  source="unit.category", actor="unit-1")


def test_too_few_corrections_change_nothing(settings: Settings) -> None:
    _store(settings, LIFT[:3])
    with session_scope(settings.sqlalchemy_url) as db:
        result = retrain(settings, db, embedder=default_embedder())
    assert not result.accepted and result.collected == 3
    assert not (settings.overrides_dir / staff_examples.ACCEPTED_FILE).exists()


def test_corrections_that_help_are_measured_stored_and_used(settings: Settings) -> None:
    _store(settings, LIFT)
    with session_scope(settings.sqlalchemy_url) as db:
        result = retrain(settings, db, embedder=default_embedder())
    assert result.accepted, result.reason
    assert result.accuracy_with_staff is not None and result.accuracy_shipped is not None
    assert result.accuracy_with_staff > result.accuracy_shipped  # the new category is learnt from held-out folds
    assert result.path is not None and result.path.exists()
    triage = build_triage(settings, cache_dir=settings.data_dir / "cache")
    prediction = triage.classifier.predict("我们楼的电梯卡在两层中间不动了，里面还有小孩")
    assert (prediction.level1, prediction.level2) == ("城乡建设", "电梯安全")


def test_cli_dry_run_measures_without_storing(settings: Settings) -> None:
    _store(settings, LIFT)
    result = CliRunner().invoke(app, ["retrain", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "予以采用" in result.output
    assert not (settings.overrides_dir / staff_examples.ACCEPTED_FILE).exists()
