"""BM25 over jieba tokens, kept up to date document by document.

The tokens of every chunk are computed once, at ingest, and stored beside the chunk (Chroma metadata), so
the index is loaded at start-up without re-tokenising and then changed per document on ingest and delete:
an upload never makes a citizen's query rebuild the index.

Scoring is bm25s's "lucene" BM25 (k1=1.5, b=0.75, idf = ln(1 + (N - df + .5) / (df + .5)), the tf part without
the (k1 + 1) factor), so scores equal those of bm25s, which this replaces. Readers never lock: every change builds a new immutable `_State` from the old one (copying only
what changes) and swaps it in with one assignment; writers are serialised among themselves.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.text import tokens as _tokens
from knowledge_base.ingest.chunking import Chunk

K1 = 1.5
B = 0.75
EMPTY = "\x00"  # a chunk without content words still counts, with length 1
COMPACT_DEAD_SHARE = 0.25  # tombstones are squeezed out once they are a quarter of the slots


def chunk_tokens(chunk: Chunk) -> list[str]:
    """The tokens BM25 indexes for one chunk: its headings and text (jieba search mode)."""
    return list(_tokens(" ".join((*chunk.heading_path, chunk.text)))) or [EMPTY]


@dataclass(frozen=True)
class _State:
    """One immutable generation of the index."""

    postings: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # term -> (slots, tf)
    df: dict[str, int] = field(default_factory=dict)
    lens: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))  # inf for a dead slot
    chunks: tuple[Chunk | None, ...] = ()
    terms: tuple[tuple[str, ...], ...] = ()  # distinct terms of each slot (for df on removal)
    by_doc: dict[str, tuple[int, ...]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    alive: int = 0
    total_len: float = 0.0

    @property
    def dead(self) -> int:
        return len(self.chunks) - self.alive


class BM25Index:
    """A lexical index over chunk texts with their titles and headings, changed one document at a time."""

    def __init__(self, chunks: Iterable[Chunk] = (), *, tokens: Sequence[Sequence[str] | None] | None = None,
                 versions: dict[str, int] | None = None) -> None:
        self._state = _State()
        self._write = threading.Lock()
        self.compactions = 0
        chunk_list = list(chunks)
        if chunk_list:
            toks: list[Sequence[str] | None] = list(tokens) if tokens is not None else [None] * len(chunk_list)
            self._state = _build(chunk_list, toks)
        if versions:
            self._state = _replace(self._state, versions=dict(versions))

    # -- reading -------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._state.alive

    @property
    def chunks(self) -> list[Chunk]:
        """The live chunks."""
        return [c for c in self._state.chunks if c is not None]

    def versions(self) -> dict[str, int]:
        """The document versions this index holds (for syncing with a base changed elsewhere)."""
        return dict(self._state.versions)

    def doc_ids(self) -> set[str]:
        """Documents with chunks in the index."""
        return set(self._state.by_doc)

    def idf(self, token: str) -> float:
        """Inverse document frequency of a token over chunks; a token the base never uses gets the most."""
        state = self._state
        n = max(state.alive, 1)
        return math.log((n + 1) / (state.df.get(token, 0) + 0.5))

    def search(self, query: str, *, k: int) -> list[tuple[Chunk, float]]:
        """Top-k chunks by BM25 score (only those with a positive score)."""
        state = self._state
        query_tokens = list(_tokens(query))
        if not state.alive or not query_tokens:
            return []
        n, avg = state.alive, state.total_len / state.alive
        scores = np.zeros(len(state.chunks), dtype=np.float32)
        for term, count in Counter(query_tokens).items():
            posting = state.postings.get(term)
            df = state.df.get(term, 0)
            if posting is None or df == 0:
                continue
            slots, tf = posting
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            scores[slots] += count * idf * tf / (tf + K1 * (1 - B + B * state.lens[slots] / avg))
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        out = []
        for i in top:
            chunk = state.chunks[i]
            if scores[i] > 0 and chunk is not None:
                out.append((chunk, float(scores[i])))
        return out

    # -- writing -------------------------------------------------------------------------------------

    def replace_document(self, doc_id: str, chunks: Sequence[Chunk], tokens: Sequence[Sequence[str] | None],
                         *, version: int | None = None) -> None:
        """The document's chunks become `chunks` (tokens from ingest; None: tokenise here)."""
        with self._write:
            self._remove(doc_id)
            self._add(doc_id, list(chunks), list(tokens), version=version)
            self._maybe_compact()

    def remove_document(self, doc_id: str) -> None:
        """Forget a document."""
        with self._write:
            self._remove(doc_id)
            self._maybe_compact()

    def _add(self, doc_id: str, chunks: list[Chunk], tokens: list[Sequence[str] | None], *,
             version: int | None) -> None:
        """Append a document's chunks: the posting lists they touch are extended copy-on-write."""
        old = self._state
        start = len(old.chunks)
        tfs = [Counter(t if t is not None else chunk_tokens(c)) for c, t in zip(chunks, tokens, strict=True)]
        new_lens = np.array([sum(tf.values()) for tf in tfs], dtype=np.float32)
        postings = dict(old.postings)
        df = dict(old.df)
        for term, (slots, counts) in _group(tfs, start).items():
            df[term] = df.get(term, 0) + len(slots)
            s = np.asarray(slots, dtype=np.int32)
            c = np.asarray(counts, dtype=np.float32)
            prev = postings.get(term)
            postings[term] = (s, c) if prev is None else (np.concatenate([prev[0], s]), np.concatenate([prev[1], c]))
        by_doc = dict(old.by_doc)
        versions = dict(old.versions)
        if chunks:
            by_doc[doc_id] = tuple(range(start, start + len(chunks)))
        if version is not None:
            versions[doc_id] = version
        self._state = _State(
            postings=postings, df=df, lens=np.concatenate([old.lens, new_lens]),
            chunks=old.chunks + tuple(chunks), terms=old.terms + tuple(tuple(tf) for tf in tfs),
            by_doc=by_doc, versions=versions,
            alive=old.alive + len(chunks), total_len=old.total_len + float(new_lens.sum()),
        )

    def _remove(self, doc_id: str) -> None:
        old = self._state
        slots = old.by_doc.get(doc_id)
        versions = dict(old.versions)
        versions.pop(doc_id, None)
        if not slots:
            if doc_id in old.versions:
                self._state = _replace(old, versions=versions)
            return
        df = dict(old.df)
        for i in slots:
            for term in old.terms[i]:
                left = df[term] - 1
                if left:
                    df[term] = left
                else:
                    del df[term]
        lens = old.lens.copy()
        removed_len = float(lens[list(slots)].sum())
        lens[list(slots)] = np.inf  # a dead slot scores 0 for every term
        chunks = list(old.chunks)
        for i in slots:
            chunks[i] = None
        by_doc = dict(old.by_doc)
        del by_doc[doc_id]
        self._state = _replace(old, df=df, lens=lens, chunks=tuple(chunks), by_doc=by_doc, versions=versions,
                               alive=old.alive - len(slots), total_len=old.total_len - removed_len)

    def _maybe_compact(self) -> None:
        state = self._state
        if state.dead and state.dead >= COMPACT_DEAD_SHARE * len(state.chunks):
            self._state = _compact(state)
            self.compactions += 1


def _group(tfs: list[Counter[str]], start: int) -> dict[str, tuple[list[int], list[int]]]:
    """term -> (slots, counts) for chunks numbered from `start`."""
    grouped: dict[str, tuple[list[int], list[int]]] = {}
    for offset, tf in enumerate(tfs):
        for term, count in tf.items():
            slots, counts = grouped.setdefault(term, ([], []))
            slots.append(start + offset)
            counts.append(count)
    return grouped


def _build(chunks: list[Chunk], tokens: list[Sequence[str] | None]) -> _State:
    """The whole index at once (start-up), from stored tokens where there are any."""
    tfs = [Counter(t if t is not None else chunk_tokens(c)) for c, t in zip(chunks, tokens, strict=True)]
    lens = np.array([sum(tf.values()) for tf in tfs], dtype=np.float32)
    postings = {t: (np.asarray(s, dtype=np.int32), np.asarray(c, dtype=np.float32))
                for t, (s, c) in _group(tfs, 0).items()}
    by_doc: dict[str, list[int]] = {}
    for i, chunk in enumerate(chunks):
        by_doc.setdefault(chunk.doc_id, []).append(i)
    return _State(postings=postings, df={t: len(s) for t, (s, _) in postings.items()}, lens=lens,
                  chunks=tuple(chunks), terms=tuple(tuple(tf) for tf in tfs),
                  by_doc={d: tuple(ix) for d, ix in by_doc.items()}, alive=len(chunks),
                  total_len=float(lens.sum()))


def _compact(state: _State) -> _State:
    """Drop dead slots and renumber the rest."""
    keep = np.array([c is not None for c in state.chunks], dtype=bool)
    renumber = np.cumsum(keep, dtype=np.int64) - 1
    postings = {}
    for term, (slots, tf) in state.postings.items():
        live = keep[slots]
        if live.any():
            postings[term] = (renumber[slots[live]].astype(np.int32), tf[live])
    kept = np.flatnonzero(keep)
    by_doc = {doc: tuple(int(renumber[i]) for i in slots) for doc, slots in state.by_doc.items()}
    return _replace(state, postings=postings, lens=state.lens[kept].copy(),
                    chunks=tuple(state.chunks[i] for i in kept), terms=tuple(state.terms[i] for i in kept),
                    by_doc=by_doc)


def _replace(state: _State, **changes: object) -> _State:
    from dataclasses import replace

    return replace(state, **changes)  # type: ignore[arg-type]
