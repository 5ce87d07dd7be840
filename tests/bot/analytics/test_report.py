"""`hotline report`: the contract's files and report.json shape, with every planted signal in it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.analytics.tables import ImportedRequest
from bot.config import get_settings
from bot.store.db import create_schema, session_scope
from connectors.cli import app

runner = CliRunner()

# Building the shared stream embeds ~300 messages; on a loaded machine that outlasts the default timeout.
pytestmark = pytest.mark.timeout(1200)


def _load(columns: list[dict]) -> None:
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    url = get_settings().sqlalchemy_url
    create_schema(url)
    with session_scope(url) as db:
        db.add_all(ImportedRequest(**c) for c in columns)


def test_report_writes_every_file_and_the_findings(streams, tmp_path: Path) -> None:  # noqa: ANN001
    _, _, truth, columns = streams
    _load(columns)
    out = tmp_path / "week"
    result = runner.invoke(app, ["report", "--from", "2025-03-10", "--to", "2025-03-16", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("report.html", "report.md", "report.json", "daily.png", "daily.csv", "categories.png",
                 "categories.csv", "surges.png", "surges.csv"):
        assert (out / name).is_file(), name
    for png in out.glob("*.png"):
        assert (out / f"{png.stem}.csv").is_file()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert isinstance(report["metrics"], dict) and report["metrics"]["volume"] > 0
    assert set(report["findings"]) >= {"frequent", "concentrated", "dangerous", "surging", "new_topics"}
    for items in report["findings"].values():
        for f in items:
            assert {"label", "start", "end", "count", "request_ids"} <= set(f)
            assert f["count"] == len(f["request_ids"]) and all(i in truth for i in f["request_ids"])
    labels = {k: " ".join(f["label"] for f in v) for k, v in report["findings"].items()}
    assert "金桂苑" in labels["concentrated"] and "朝阳区" in labels["surging"]
    assert "槐荫里" in labels["dangerous"] and "富力花园" in labels["dangerous"]
    assert len(report["findings"]["new_topics"]) == 1
    with (out / "daily.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "日期" and len(rows) == 8
    assert "金桂苑" in (out / "report.md").read_text(encoding="utf-8")
    assert "<img" in (out / "report.html").read_text(encoding="utf-8")


def test_report_refuses_bad_dates(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--from", "2025-03-16", "--to", "2025-03-10", "--out", str(tmp_path)])
    assert result.exit_code == 2
    result = runner.invoke(app, ["report", "--from", "三月", "--to", "2025-03-10", "--out", str(tmp_path)])
    assert result.exit_code == 2
