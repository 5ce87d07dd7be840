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
