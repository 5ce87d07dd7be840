"""Chunk vectors in Chroma: the embedded PersistentClient by default, a Chroma server by configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base.ingest.chunking import Chunk

COLLECTION = "policy_chunks"
TITLES = "document_titles"  # one vector per document: its title alone (grounding asks which title is nearest)
PAGE = 5000
TOKENS_KEY = "bm25_tokens"  # the chunk's BM25 tokens, computed once at ingest, joined by TOKEN_SEP
TOKEN_SEP = "\x1f"


def _client(*, path: Path | None, host: str | None, port: int) -> Any:
    import chromadb

    settings = chromadb.Settings(anonymized_telemetry=False)
    if host:
        return chromadb.HttpClient(host=host, port=port, settings=settings)
    assert path is not None
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


class VectorStore:
    """Add, delete and search chunk embeddings; embeddings are always computed by us, never by Chroma."""

    def __init__(self, *, path: Path | None = None, host: str | None = None, port: int = 8000) -> None:
        self._client = _client(path=path, host=host, port=port)
        self._collection = self._client.get_or_create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        self._titles = self._client.get_or_create_collection(
            TITLES, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    def close(self) -> None:
        """Release the embedded store's files (so its folder can be copied or removed)."""
        closer = getattr(self._client, "close", None)
        if callable(closer):
            closer()

    def upsert(self, chunks: list[Chunk], embeddings: np.ndarray,
               tokens: list[list[str]] | None = None) -> None:
        """Store chunks with their embeddings and BM25 tokens (in slices, Chroma caps a batch)."""
        for start in range(0, len(chunks), 1000):
            part = chunks[start : start + 1000]
            part_tokens = tokens[start : start + len(part)] if tokens is not None else [None] * len(part)
            self._collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=embeddings[start : start + len(part)],
                documents=[c.text for c in part],
                metadatas=[_metadata(c, t) for c, t in zip(part, part_tokens, strict=True)],
            )

    def update_order(self, chunks: list[Chunk], tokens: list[list[str]] | None = None) -> None:
        """Refresh metadata of chunks whose text did not change (their position may have)."""
        if chunks:
            toks: list[list[str] | None] = list(tokens) if tokens is not None else [None] * len(chunks)
            self._collection.update(ids=[c.chunk_id for c in chunks],
                                    metadatas=[_metadata(c, t) for c, t in zip(chunks, toks, strict=True)])

    def set_tokens(self, chunk_ids: list[str], tokens: list[list[str]]) -> None:
        """Store BM25 tokens for chunks stored without them (written before tokens were kept)."""
        for start in range(0, len(chunk_ids), 1000):
            ids = chunk_ids[start : start + 1000]
            current = self._collection.get(ids=ids, include=["metadatas"])
            by_id = dict(zip(current["ids"], current["metadatas"], strict=True))
            present = [i for i in ids if i in by_id]
            toks = dict(zip(ids, tokens[start : start + len(ids)], strict=True))
            if present:
                self._collection.update(ids=present, metadatas=[
                    {**by_id[i], TOKENS_KEY: TOKEN_SEP.join(toks[i])} for i in present])

    def chunk_ids(self, doc_id: str) -> set[str]:
        """Ids of the chunks stored for one document."""
        return set(self._collection.get(where={"doc_id": doc_id}, include=[])["ids"])

    def document(self, doc_id: str) -> list[Chunk]:
        """Every stored chunk of one document."""
        result = self._collection.get(where={"doc_id": doc_id}, include=["documents", "metadatas"])
        return [_stored(i, d, m) for i, d, m in zip(result["ids"], result["documents"], result["metadatas"],
                                                     strict=True)]

    def delete_ids(self, ids: list[str]) -> None:
        """Remove chunks by id."""
        if ids:
            self._collection.delete(ids=ids)

    def delete_document(self, doc_id: str) -> None:
        """Remove every chunk of one document, and its title vector."""
        self._collection.delete(where={"doc_id": doc_id})
        self._titles.delete(ids=[doc_id])

    def upsert_titles(self, titles: dict[str, str], embeddings: np.ndarray) -> None:
        """Store each document's title vector (`titles`: doc_id -> title, in the embeddings' order)."""
        items = list(titles.items())
        for start in range(0, len(items), 1000):
            part = items[start : start + 1000]
            self._titles.upsert(ids=[d for d, _ in part], embeddings=embeddings[start : start + len(part)],
                                documents=[t for _, t in part])

    def stored_titles(self) -> dict[str, str]:
        """doc_id -> the title its stored vector was made from."""
        stored: dict[str, str] = {}
        while True:
            page = self._titles.get(include=["documents"], limit=PAGE, offset=len(stored))
            stored.update(zip(page["ids"], page["documents"], strict=True))
            if len(page["ids"]) < PAGE:
                return stored

    def nearest_titles(self, vector: np.ndarray, *, k: int) -> list[tuple[str, float]]:
        """The documents whose titles are nearest the vector: (doc_id, cosine similarity), best first."""
        result = self._titles.query(query_embeddings=[vector], n_results=k, include=["distances"])
        return [(i, 1.0 - dist) for i, dist in zip(result["ids"][0], result["distances"][0], strict=True)]

    def all_chunks(self) -> list[Chunk]:
        """Every stored chunk, read in pages: one huge read exceeds SQLite's limit on bound variables inside
        Chroma (seen at 50k chunks)."""
        return self.all_chunks_with_tokens()[0]

    def all_chunks_with_tokens(self) -> tuple[list[Chunk], list[list[str] | None]]:
        """Every stored chunk and its stored BM25 tokens (None where none were stored), read in pages."""
        chunks: list[Chunk] = []
        tokens: list[list[str] | None] = []
        while True:
            page = self._collection.get(include=["documents", "metadatas"], limit=PAGE, offset=len(chunks))
            for i, d, m in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                chunks.append(_stored(i, d, m))
                tokens.append(_tokens(m))
            if len(page["ids"]) < PAGE:
                return chunks, tokens

    def document_with_tokens(self, doc_id: str) -> tuple[list[Chunk], list[list[str] | None]]:
        """One document's stored chunks and their BM25 tokens."""
        result = self._collection.get(where={"doc_id": doc_id}, include=["documents", "metadatas"])
        chunks = [_stored(i, d, m) for i, d, m in zip(result["ids"], result["documents"], result["metadatas"],
                                                       strict=True)]
        return chunks, [_tokens(m) for m in result["metadatas"]]

    def get(self, ids: list[str]) -> list[Chunk]:
        """Chunks by id, in the order asked."""
        result = self._collection.get(ids=ids, include=["documents", "metadatas"])
        by_id = {i: _stored(i, d, m) for i, d, m in zip(result["ids"], result["documents"], result["metadatas"],
                                                         strict=True)}
        return [by_id[i] for i in ids if i in by_id]

    def embeddings(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Stored embeddings by chunk id."""
        if not ids:
            return {}
        result = self._collection.get(ids=ids, include=["embeddings"])
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(result["ids"], result["embeddings"], strict=True)}

    def search(self, vector: np.ndarray, *, k: int) -> list[tuple[Chunk, float]]:
        """Nearest chunks with cosine similarity, best first. One round trip: Chroma returns fewer than `k`
        when fewer are stored (none from an empty collection), so the count is not asked first."""
        result = self._collection.query(query_embeddings=[vector], n_results=k,
                                        include=["documents", "metadatas", "distances"])
        return [(_stored(i, d, m), 1.0 - dist) for i, d, m, dist in zip(
            result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True)]

    def count(self) -> int:
        """How many chunks are stored."""
        return self._collection.count()


def _metadata(chunk: Chunk, tokens: list[str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"doc_id": chunk.doc_id, "title": chunk.title, "heading": "\x1f".join(chunk.heading_path),
                            "ord": chunk.ord}
    if tokens is not None:
        meta[TOKENS_KEY] = TOKEN_SEP.join(tokens)
    return meta


def _tokens(meta: dict[str, Any] | None) -> list[str] | None:
    raw = (meta or {}).get(TOKENS_KEY)
    return str(raw).split(TOKEN_SEP) if isinstance(raw, str) and raw else None


def _stored(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    heading = str(meta.get("heading") or "")
    return Chunk(chunk_id=chunk_id, doc_id=str(meta["doc_id"]), title=str(meta["title"]),
                       heading_path=tuple(heading.split("\x1f")) if heading else (), text=text,
                       ord=int(meta.get("ord", 0)))
