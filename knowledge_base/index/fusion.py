"""Fusion of dense and BM25 retrieval: the cosine similarity, plus a calibrated share of the BM25 score.

Reciprocal-rank fusion ignores how far apart the scores are: a dense first hit that is clearly ahead and
one that barely is both count as rank 1, so BM25 overturned clear dense winners on long messages. Here each
chunk scores its best cosine with the query plus `bm25_weight` times its BM25 score over the best BM25 score
of the query: BM25 decides between chunks the embedder puts close together and cannot overturn a clear
dense lead. The weights (short and long queries) are calibrated by k-fold cross-validation on the project's
own sets (scripts/tune_fusion.py; `retrieval.*` in bot/resources/thresholds.yaml).
"""

from __future__ import annotations

from bot.answer.types import RetrievedChunk
from bot.thresholds import threshold
from knowledge_base.ingest.chunking import Chunk


def bm25_weight(*, long: bool) -> float:
    """How many cosine points the query's best BM25 score is worth (long messages: less)."""
    return threshold("retrieval.bm25_weight_long" if long else "retrieval.bm25_weight_short")


def combine(cosines: dict[str, float], bm25: dict[str, float], *, bm25_weight: float) -> dict[str, float]:
    """Each chunk's fused score; a chunk with no cosine gets the lowest one seen."""
    floor = min(cosines.values(), default=0.0)
    top = max(bm25.values(), default=0.0)
    return {cid: cosines.get(cid, floor) + (bm25_weight * bm25.get(cid, 0.0) / top if top > 0 else 0.0)
            for cid in set(cosines) | set(bm25)}


def fuse(chunks: dict[str, Chunk], *, cosines: dict[str, float], bm25_scores: dict[str, float], long: bool,
         top_k: int) -> list[RetrievedChunk]:
    """The best `top_k` chunks by fused score, each keeping its cosine and BM25 score for grounding."""
    scores = combine(cosines, bm25_scores, bm25_weight=bm25_weight(long=long))
    ranked = sorted(scores, key=lambda cid: scores[cid], reverse=True)[:top_k]
    return [
        RetrievedChunk(chunk_id=cid, doc_id=chunks[cid].doc_id, title=chunks[cid].title,
                       heading_path=list(chunks[cid].heading_path), text=chunks[cid].text, score=scores[cid],
                       dense_score=cosines.get(cid), bm25_score=bm25_scores.get(cid))
        for cid in ranked
    ]
