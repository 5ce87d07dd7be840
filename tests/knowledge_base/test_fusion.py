"""Fusion keeps a clear dense winner and lets BM25 decide between chunks the embedder puts close together."""

from __future__ import annotations

from knowledge_base.index.fusion import combine


def _top(scores: dict[str, float]) -> str:
    return max(scores, key=lambda c: scores[c])


def test_bm25_cannot_overturn_a_clear_dense_lead() -> None:
    scores = combine({"a": 0.90, "b": 0.84}, {"b": 12.0, "a": 1.0}, bm25_weight=0.02)
    assert _top(scores) == "a"


def test_bm25_decides_a_near_tie() -> None:
    scores = combine({"a": 0.870, "b": 0.865}, {"b": 12.0, "a": 3.0}, bm25_weight=0.02)
    assert _top(scores) == "b"


def test_weight_zero_is_dense_alone_and_bm25_only_chunks_rank_last() -> None:
    scores = combine({"a": 0.80, "b": 0.85}, {"a": 9.0, "c": 20.0}, bm25_weight=0.0)
    assert scores["b"] > scores["a"] >= scores["c"]
