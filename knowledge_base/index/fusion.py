"""Weighted reciprocal-rank fusion of several rankings (dense queries and BM25)."""

from __future__ import annotations

from bot.answer.types import RetrievedChunk
from knowledge_base.ingest.chunking import Chunk

# The usual RRF constant: damps the head of each list so no single ranking dominates.
RRF_K = 60

Ranking = tuple[float, list[tuple[Chunk, float]]]


def fuse(rankings: list[Ranking], *, dense_sims: dict[str, float], bm25_scores: dict[str, float],
         top_k: int) -> list[RetrievedChunk]:
    """Merge weighted rankings; keep each chunk's cosine similarity and BM25 score for grounding."""
    scores: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    for weight, ranking in rankings:
        for rank, (chunk, _score) in enumerate(ranking):
            scores[chunk.chunk_id] = scores.get(chunk.chunk_id, 0.0) + weight / (RRF_K + rank + 1)
            chunks[chunk.chunk_id] = chunk
    ranked = sorted(scores, key=lambda cid: scores[cid], reverse=True)[:top_k]
    return [
        RetrievedChunk(chunk_id=cid, doc_id=chunks[cid].doc_id, title=chunks[cid].title,
                       heading_path=list(chunks[cid].heading_path), text=chunks[cid].text, score=scores[cid],
                       dense_score=dense_sims.get(cid), bm25_score=bm25_scores.get(cid))
        for cid in ranked
    ]
