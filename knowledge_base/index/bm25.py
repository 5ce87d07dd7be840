"""BM25 over jieba tokens (bm25s), rebuilt from the stored chunks when the base changes."""

from __future__ import annotations

import math
from collections import Counter

import bm25s
import numpy as np

from bot.text import tokens
from knowledge_base.ingest.chunking import Chunk


class BM25Index:
    """A lexical index over chunk texts with their titles and headings."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self._model: bm25s.BM25 | None = None
        self._doc_freq: Counter[str] = Counter()
        if chunks:
            corpus = [list(tokens(_indexed_text(c))) or ["\x00"] for c in chunks]
            for chunk_tokens in corpus:
                self._doc_freq.update(set(chunk_tokens))
            self._model = bm25s.BM25()
            self._model.index(corpus, show_progress=False)

    def idf(self, token: str) -> float:
        """Inverse document frequency of a token over chunks; a token the base never uses gets the most."""
        n = max(len(self.chunks), 1)
        return math.log((n + 1) / (self._doc_freq.get(token, 0) + 0.5))

    def search(self, query: str, *, k: int) -> list[tuple[Chunk, float]]:
        """Top-k chunks by BM25 score (only those with a positive score)."""
        query_tokens = list(tokens(query))
        if self._model is None or not query_tokens:
            return []
        scores = self._model.get_scores(query_tokens)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.chunks[i], float(scores[i])) for i in top if scores[i] > 0]


def _indexed_text(chunk: Chunk) -> str:
    return " ".join((*chunk.heading_path, chunk.text))
