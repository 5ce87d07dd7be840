"""Ingestion: every file type, bad files skipped with a reason, re-ingest embeds only what changed, deletes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import NotFound
from knowledge_base.base import KnowledgeBase
from tests.knowledge_base.files import write_docx, write_pdf


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "heating.md").write_text("# 供暖服务\n## 供暖期\n供暖期为每年11月15日至次年3月15日。\n## 报修\n"
                                     "暖气不热可拨打供热热线96069报修。", encoding="utf-8")
    (docs / "water.txt").write_text("停水报修\n突发停水请拨打自来水热线96116。", encoding="utf-8")
    (docs / "parking.html").write_text("<h1>居住区停车</h1><p>夜间停车每小时收费1元。</p>", encoding="utf-8")
    write_docx(docs / "pension.docx", title="养老金领取", sections={"领取条件": ["累计缴费满15年可按月领取养老金。"]})
    write_pdf(docs / "gas.pdf", ["燃气报修", "燃气泄漏请立即拨打燃气热线96777。"])
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (docs / "empty.md").write_text("", encoding="utf-8")
    (docs / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    return docs


def test_folder_ingest_reads_every_type_and_skips_bad_files(kb: KnowledgeBase, folder: Path) -> None:
    report = kb.ingest_paths([folder])
    assert report.count("added") == 5
    errors = {Path(f.source).name: f.message for f in report.files if f.outcome == "error"}
    assert set(errors) == {"broken.pdf", "empty.md", "sheet.xlsx"}
    assert all(errors.values())
    docs = {d.doc_id: d for d in kb.documents()}
    assert set(docs) == {"heating", "water", "parking", "pension", "gas"}
    assert all(d.version == 1 and d.chunk_count >= 1 and len(d.content_hash) == 64 for d in docs.values())
    for query, doc_id in [("暖气不热报修电话", "heating"), ("燃气泄漏", "gas"), ("养老金领取条件", "pension"),
                          ("夜间停车收费", "parking"), ("停水", "water")]:
        assert kb.search(query, top_k=3)[0].doc_id == doc_id


def test_reingest_embeds_only_changed_chunks_and_bumps_the_version(kb: KnowledgeBase, folder: Path) -> None:
    kb.ingest_paths([folder])
    again = kb.ingest_paths([folder])
    assert again.count("unchanged") == 5 and again.embedded == 0

    heating = folder / "heating.md"
    heating.write_text(heating.read_text(encoding="utf-8").replace("96069", "96001"), encoding="utf-8")
    changed = kb.ingest_paths([folder])
    assert changed.count("updated") == 1 and changed.count("unchanged") == 4
    assert changed.embedded == 1  # only the 报修 chunk changed; 供暖期 keeps its embedding
    doc = next(d for d in kb.documents() if d.doc_id == "heating")
    assert doc.version == 2
    assert "96001" in kb.search("暖气报修电话", top_k=1)[0].text
    assert not any("96069" in c.text for c in kb.document_chunks("heating"))


def test_removed_file_loses_its_chunks_on_the_next_folder_ingest(kb: KnowledgeBase, folder: Path) -> None:
    kb.ingest_paths([folder])
    (folder / "water.txt").unlink()
    report = kb.ingest_paths([folder])
    assert [f.doc_id for f in report.files if f.outcome == "deleted"] == ["water"]
    assert "water" not in {d.doc_id for d in kb.documents()}
    assert kb.vectors.chunk_ids("water") == set()
    assert all(c.doc_id != "water" for c in kb.search("停水报修", top_k=8))


def test_delete_and_upload_replace(kb: KnowledgeBase, folder: Path) -> None:
    kb.ingest_paths([folder])
    kb.delete("gas")
    assert kb.vectors.chunk_ids("gas") == set()
    with pytest.raises(NotFound):
        kb.delete("gas")
    first = kb.ingest_upload("notice.md", "# 通知\n社区服务站周六开放。".encode())
    second = kb.ingest_upload("notice.md", "# 通知\n社区服务站周日开放。".encode())
    assert (first.outcome, second.outcome) == ("added", "updated")
    assert "周日" in kb.document_chunks("notice")[0].text


def test_missing_path_is_reported_not_raised(kb: KnowledgeBase, tmp_path: Path) -> None:
    report = kb.ingest_paths([tmp_path / "nope"])
    assert report.files[0].outcome == "error" and "不存在" in (report.files[0].message or "")


def test_each_document_keeps_one_title_vector(kb: KnowledgeBase, folder: Path) -> None:
    kb.ingest_paths([folder])
    assert kb.vectors.stored_titles() == {d.doc_id: d.title for d in kb.documents()}
    assert kb.nearest_titles("燃气漏气了找谁修")[0][0] == "gas"
    assert kb.nearest_titles("冬天暖气什么时候开始")[0][0] == "heating"
    kb.delete("gas")
    assert "gas" not in kb.vectors.stored_titles()
    assert all(doc != "gas" for doc, _ in kb.nearest_titles("燃气漏气了找谁修", k=10))


def test_a_base_stored_without_title_vectors_gets_them_on_first_use(kb: KnowledgeBase, folder: Path) -> None:
    kb.ingest_paths([folder])
    kb.vectors._titles.delete(ids=["water", "parking"])  # as an older version left the base
    fresh = KnowledgeBase(settings=kb.settings, db_url=kb.db_url, embedder=kb.embedder)
    assert fresh.nearest_titles("停水了打什么电话")[0][0] == "water"
    assert set(fresh.vectors.stored_titles()) == {d.doc_id for d in kb.documents()}
