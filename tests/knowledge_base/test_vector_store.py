"""The vector store reads every chunk back in pages (one read of 50k chunks overflows Chroma's SQLite)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge_base.index import vector_store
from knowledge_base.ingest.chunking import Chunk


def test_all_chunks_pages_through_the_collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vector_store, "PAGE", 7)
    store = vector_store.VectorStore(path=tmp_path / "chroma")
    chunks = [Chunk(chunk_id=f"d:{i}", doc_id="d", title="t", heading_path=("t",), text=f"文本{i}", ord=i)
              for i in range(21)]
    store.upsert(chunks, np.random.default_rng(0).random((21, 384), dtype=np.float32))
    assert sorted(c.chunk_id for c in store.all_chunks()) == sorted(c.chunk_id for c in chunks)
    store.close()


def test_search_asks_for_more_than_is_stored_in_one_round_trip(tmp_path: Path) -> None:
    store = vector_store.VectorStore(path=tmp_path / "chroma")
    query = np.ones(384, dtype=np.float32) / np.sqrt(384)
    assert store.search(query, k=8) == []  # an empty base answers nothing, without an error
    chunks = [Chunk(chunk_id=f"d:{i}", doc_id="d", title="t", heading_path=("t",), text=f"文本{i}", ord=i)
              for i in range(3)]
    vectors = np.random.default_rng(1).random((3, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store.upsert(chunks, vectors)
    found = store.search(query, k=40)
    assert len(found) == 3
    sims = [s for _, s in found]
    assert sims == sorted(sims, reverse=True)
    assert np.isclose(sims[0], float(max(vectors @ query)), atol=1e-4)
    store.close()
