"""`hotline import-messages`: triage and extraction fill what a record lacks; resumable; never dispatched."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.analytics.imports import Importer, build_importer
from bot.analytics.tables import ImportedRequest
from bot.dispatch.tables import OutboxRow as Outbox
from bot.store.db import session_scope
from bot.store.tables import TicketRow
from connectors.cli import app

runner = CliRunner()
# Each test trains the category classifier; on a loaded machine that outlasts the default timeout.
pytestmark = pytest.mark.timeout(1200)

ROWS = [
    {"id": "h1", "time": "2025-03-03T08:15:00", "title": "小区燃气味道很重",
     "text": "海淀区学院路街道清华东路小区3号楼楼道里这两天一直有燃气味道，担心泄漏，请尽快派人检查。"},
    {"id": "h2", "time": "2025-03-04T21:40:00", "title": "烧烤店油烟扰民",
     "text": "朝阳区望京街道望京西园四区楼下的烧烤店每天营业到凌晨，油烟和噪音很大，影响休息。",
     "category": "城乡建设/其他", "status": "resolved", "votes": 12},
    {"id": "h3", "time": "2025-03-05T10:00:00", "text": "请问居住证办理需要哪些材料？", "district": "东城区",
     "likes": 3, "dislikes": 1},
    {"id": "h4", "time": None, "title": "路灯不亮", "text": "西城区德胜门外大街的路灯坏了一个多星期了。"},
]


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


def _db_url() -> str:
    from bot.config import get_settings

    return get_settings().sqlalchemy_url


def _count(model) -> int:  # noqa: ANN001
    with session_scope(_db_url()) as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def test_import_fills_what_records_lack_and_reruns_skip(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "h.jsonl", [*ROWS, "{broken", {"title": "没有编号"}, {"id": "h5"}, ROWS[0]])
    result = runner.invoke(app, ["import-messages", str(path)])
    assert result.exit_code == 0, result.output
    assert "新导入 4" in result.output and "无效 3" in result.output and "跳过 1" in result.output
    with session_scope(_db_url()) as db:
        rows = {r.source_id: r for r in db.scalars(select(ImportedRequest))}
    assert set(rows) == {"h1", "h2", "h3", "h4"}
    gas = rows["h1"]
    assert gas.district == "海淀区" and gas.category_l1 and gas.intent and gas.urgency
    assert gas.received_at is not None and gas.received_at.hour in (0, 8)  # stored in UTC (SQLite drops tz)
    vector = np.frombuffer(gas.vector, dtype=np.float32)
    assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-3
    assert (rows["h2"].category_l1, rows["h2"].category_l2, rows["h2"].category_given) == ("城乡建设", "其他", True)
    assert rows["h2"].status == "resolved" and rows["h2"].votes == 12
    assert rows["h3"].district == "东城区" and rows["h3"].votes == 3 and rows["h3"].extra == {"likes": 3, "dislikes": 1}
    assert rows["h4"].received_at is None and rows["h4"].district == "西城区"

    again = runner.invoke(app, ["import-messages", str(path)])
    assert again.exit_code == 0, again.output
    assert "新导入 0" in again.output and "跳过 5" in again.output
    assert _count(ImportedRequest) == 4
    # Imported history is analysed, never dispatched: no ticket, nothing queued for delivery.
    assert _count(TicketRow) == 0 and _count(Outbox) == 0


class _Killed(Exception):
    pass


def test_a_killed_run_loses_nothing_and_the_rerun_finishes(tmp_path: Path) -> None:
    from connectors.runtime import Runtime

    rows = [{"id": f"k{i}", "time": f"2025-04-{1 + i % 28:02d}T09:00:00", "title": "噪音扰民",
             "text": f"丰台区某小区{i}号楼旁工地夜间施工噪音很大。"} for i in range(10)]
    path = _jsonl(tmp_path / "k.jsonl", rows)
    importer = build_importer(Runtime())
    real = importer.triage.classify_many
    calls = {"n": 0}

    def dies_on_third_batch(texts, titles=None):  # noqa: ANN001, ANN202
        calls["n"] += 1
        if calls["n"] == 3:
            raise _Killed
        return real(texts, titles=titles)

    importer.triage.classify_many = dies_on_third_batch  # type: ignore[method-assign]
    with pytest.raises(_Killed):
        importer.run(path, batch=4)
    assert _count(ImportedRequest) == 8  # two whole batches committed, the third rolled back

    importer.triage.classify_many = real  # type: ignore[method-assign]
    report = Importer.run(importer, path, batch=4)
    assert (report.imported, report.skipped) == (2, 8)
    with session_scope(_db_url()) as db:
        ids = sorted(db.scalars(select(ImportedRequest.source_id)))
    assert ids == sorted(r["id"] for r in rows)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import-messages", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2 and "找不到文件" in result.output
