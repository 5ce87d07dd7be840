"""The `hotline` command line as outside checks drive it (shared/CONTRACTS.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from bot.config import get_settings
from connectors.cli import app

runner = CliRunner()


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


def test_ingest_reports_bad_files_and_keeps_going(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "reply-1.md").write_text("# 燃气报修\n燃气泄漏请立即拨打燃气热线96777。", encoding="utf-8")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 junk")
    result = runner.invoke(app, ["ingest", str(docs)])
    assert result.exit_code == 0, result.output
    assert "broken.pdf" in result.output and "新增 1" in result.output
    again = runner.invoke(app, ["ingest", str(docs), "--if-empty"])
    assert "跳过" in again.output


def test_ask_keeps_order_and_ids_and_survives_bad_lines(sample_kb_data: Path, tmp_path: Path) -> None:
    shutil.copytree(sample_kb_data, get_settings().data_dir)
    questions = _jsonl(tmp_path / "q.jsonl", [
        {"id": "q1", "question": "供暖期是什么时候？"},
        "{not json",
        {"id": "q3", "question": "护照怎么办理？"},
        {"id": "q4"},
    ])
    out = tmp_path / "a.jsonl"
    result = runner.invoke(app, ["ask", "--input", str(questions), "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["q1", None, "q3", "q4"]
    assert rows[0]["grounded"] is True and rows[0]["direct_reply"] is True
    assert rows[0]["citations"][0]["doc_id"] == "winter-heating"
    assert set(rows[0]["citations"][0]) >= {"doc_id", "title", "chunk_id"}
    assert "error" in rows[1] and "error" in rows[3]
    assert rows[2]["grounded"] is False and "12345" in rows[2]["answer"]


def test_classify_follows_the_contract(tmp_path: Path) -> None:
    messages = _jsonl(tmp_path / "m.jsonl", [
        {"id": "m1", "title": "烧烤店扰民", "text": "朝阳区望京街道楼下烧烤店每天凌晨两点还在营业，油烟噪音扰民，电话13812345678"},
        {"id": "m2", "text": "请问居住证怎么办理？"},
    ])
    out = tmp_path / "c.jsonl"
    result = runner.invoke(app, ["classify", "--input", str(messages), "--output", str(out)])
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first["id"] == "m1" and first["intent"] == "complaint"
    assert first["category"]["level1"] in {"城乡建设", "环境保护", "商贸旅游"}
    assert first["urgency"] in {"emergency", "urgent", "normal"}
    assert first["ticket"]["contact_phone"] == "13812345678"
    assert first["ticket"]["location"]["district"] == "朝阳区"
    assert second["intent"] == "consult"
    assert second["ticket"]["contact_phone"] is None and second["ticket"]["location"]["district"] is None


def test_tokens_and_users(tmp_path: Path) -> None:
    token = runner.invoke(app, ["token", "create", "--role", "admin", "--name", "ops"])
    assert token.exit_code == 0 and token.output.strip().startswith("hl_admin_")
    bad = runner.invoke(app, ["token", "create", "--role", "root", "--name", "x"])
    assert bad.exit_code == 2
    user = runner.invoke(app, ["user", "add", "alice", "--role", "agent", "--password", "s3cret-pass"])
    assert user.exit_code == 0
    short = runner.invoke(app, ["user", "add", "bob", "--role", "agent", "--password", "short"])
    assert short.exit_code == 2


def test_first_accounts_for_every_role_and_units_from_the_routing_table() -> None:
    units = runner.invoke(app, ["units", "朝阳"])
    assert units.exit_code == 0 and "chaoyang.cgzf\t" in units.output
    for name, role in [("admin", "admin"), ("agent1", "agent"), ("chaoyang.cgzf", "unit"), ("analyst1", "analyst")]:
        made = runner.invoke(app, ["user", "add", name, "--role", role, "--password", "first-pass-1"])
        assert made.exit_code == 0, made.output
    assert runner.invoke(app, ["token", "create", "--role", "analyst", "--name", "bi"]).output.startswith("hl_analyst_")
    # A unit named after no routing unit would have an empty queue forever: refused with the way out.
    wrong = runner.invoke(app, ["user", "add", "朝阳城管", "--role", "unit", "--password", "first-pass-1"])
    assert wrong.exit_code == 2 and "hotline units" in wrong.output
    assert runner.invoke(app, ["token", "create", "--role", "unit", "--name", "nowhere"]).exit_code == 2
