"""The BM25 index is loaded once from tokens stored at ingest and then changed per document: an upload or a
delete never makes the next search rebuild it, and a change made by another process is picked up by document."""

from __future__ import annotations

import random

import bm25s
import pytest

from bot.config import get_settings
from bot.text import tokens
from knowledge_base import base as kb_module
from knowledge_base.base import KnowledgeBase
from knowledge_base.index.bm25 import BM25Index, chunk_tokens
from knowledge_base.ingest.chunking import Chunk

WORDS = ["公积金", "提取", "材料", "社保", "医保", "报销", "小区", "电梯", "维修", "噪音", "油烟", "学校", "户口",
         "证明", "办理", "停车", "收费", "供暖"]
QUERIES = ["公积金提取需要什么材料", "电梯维修噪音", "户口证明怎么办理", "停车收费"]


def _corpus(docs: int, seed: int = 7) -> list[Chunk]:
    rng = random.Random(seed)
    chunks = []
    for d in range(docs):
        for j in range(rng.randint(1, 4)):
            text = "，".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25)))
            chunks.append(Chunk(chunk_id=f"d{d}:{j}", doc_id=f"d{d}", title=f"文档{d}", heading_path=(f"文档{d}",),
                                text=text, ord=j))
    return chunks


def _ranked(index: BM25Index, query: str) -> dict[str, float]:
    """Every matching chunk with its score (ties may come in either order)."""
    return {c.chunk_id: round(s, 4) for c, s in index.search(query, k=1000)}


def test_scores_equal_the_bm25s_reference() -> None:
    chunks = _corpus(40)
    index = BM25Index(chunks)
    reference = bm25s.BM25()
    reference.index([chunk_tokens(c) for c in chunks], show_progress=False)
    for query in QUERIES:
        expected = reference.get_scores(list(tokens(query)))
        got = {c.chunk_id: s for c, s in index.search(query, k=len(chunks))}
        want = {chunks[i].chunk_id: float(expected[i]) for i in range(len(chunks)) if expected[i] > 0}
        assert set(got) == set(want)
        assert all(abs(got[k] - want[k]) < 1e-4 for k in got)


def test_documents_replaced_and_removed_one_by_one_rank_as_a_fresh_build() -> None:
    chunks = _corpus(60)
    by_doc: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    docs = sorted(by_doc)
    index = BM25Index([c for d in docs[:20] for c in by_doc[d]])
    for d in docs[20:]:
        index.replace_document(d, by_doc[d], [None] * len(by_doc[d]))
    gone = set(docs[5:35])  # half the base: compaction runs on the way
    for d in gone:
        index.remove_document(d)
    edited = [Chunk(chunk_id="d40:new", doc_id=docs[40], title="文档40", heading_path=(), text="供暖收费标准", ord=0)]
    index.replace_document(docs[40], edited, [chunk_tokens(edited[0])])
    remaining = [c for d in docs if d not in gone and d != docs[40] for c in by_doc[d]] + edited
    fresh = BM25Index(remaining)
    assert index.compactions >= 1
    assert len(index) == len(remaining)
    for query in [*QUERIES, "供暖收费"]:
        assert _ranked(index, query) == _ranked(fresh, query)
    assert index.idf("公积金") == pytest.approx(fresh.idf("公积金"))
    assert index.search("供暖收费标准", k=1)[0][0].chunk_id == "d40:new"


def _write(folder, name: str, text: str):  # noqa: ANN001, ANN202
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_upload_or_delete_never_makes_the_next_search_rebuild(kb: KnowledgeBase, tmp_path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    _write(docs, "heating.md", "# 供暖服务\n## 报修\n暖气不热可拨打供热热线96069报修。")
    _write(docs, "water.md", "# 停水报修\n突发停水请拨打自来水热线96116。")
    kb.ingest_paths([docs])
    assert kb.search("暖气不热", top_k=3)[0].doc_id == "heating"
    assert kb.lexical_full_builds == 1

    result = kb.ingest_upload("beekeeping.md", "# 蜂箱登记\n城区饲养蜜蜂须到街道办理蜂箱登记备案。".encode())
    assert result.outcome == "added"
    hits = kb.search("蜂箱登记备案", top_k=3)
    assert hits and hits[0].doc_id == "beekeeping"
    assert hits[0].bm25_score and hits[0].bm25_score > 0  # found by its words, not only by its vector

    kb.delete("water")
    assert all(h.doc_id != "water" for h in kb.search("自来水热线停水", top_k=5))
    assert kb.lexical_full_builds == 1


def test_tokens_are_stored_so_a_restart_loads_without_retokenising(kb: KnowledgeBase, tmp_path, monkeypatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    _write(docs, "heating.md", "# 供暖服务\n## 报修\n暖气不热可拨打供热热线96069报修。")
    kb.ingest_paths([docs])
    settings = get_settings()
    restarted = KnowledgeBase(settings=settings, db_url=settings.sqlalchemy_url, embedder=kb.embedder)
    calls = []
    monkeypatch.setattr(kb_module, "chunk_tokens", lambda c: calls.append(c) or chunk_tokens(c))
    assert restarted.search("暖气不热报修", top_k=1)[0].doc_id == "heating"
    assert calls == []  # the stored tokens were used


def test_a_change_made_by_another_process_is_applied_by_document(kb: KnowledgeBase, tmp_path, monkeypatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    _write(docs, "heating.md", "# 供暖服务\n## 报修\n暖气不热可拨打供热热线96069报修。")
    kb.ingest_paths([docs])
    kb.search("暖气", top_k=1)
    settings = get_settings()
    other = KnowledgeBase(settings=settings, db_url=settings.sqlalchemy_url, embedder=kb.embedder)
    other.ingest_upload("parking.md", "# 居住区停车\n夜间停车每小时收费1元。".encode())
    other.delete("heating")
    monkeypatch.setattr(kb_module, "SYNC_INTERVAL_S", 0.0)
    hits = kb.search("夜间停车收费", top_k=3)
    assert hits[0].doc_id == "parking" and hits[0].bm25_score
    assert all(h.doc_id != "heating" for h in kb.search("暖气不热报修", top_k=3))
    assert kb.lexical_full_builds == 1


def test_a_query_is_embedded_once_however_it_is_spaced_or_who_asks(kb: KnowledgeBase) -> None:
    embedder = kb.embedder
    embedder.clear_query_cache()
    before = embedder.query_embeddings
    first = embedder.embed_queries(["公积金 提取需要什么材料？"])[0]
    again = embedder.embed_queries(["  公积金　提取需要什么材料？ "])[0]  # full-width space, padding
    via_triage = embedder.query(["公积金 提取需要什么材料？"])[0]
    assert embedder.query_embeddings == before + 1
    assert (first == again).all() and (first == via_triage).all()
    embedder.cache_size = 2
    embedder.embed_queries(["甲", "乙", "丙"])
    assert len(embedder._cache) == 2
