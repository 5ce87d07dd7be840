"""The policy knowledge base: ingestion with content hashes, and hybrid (dense + BM25) retrieval."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select

from bot.answer.types import RetrievedChunk
from bot.config import Settings
from bot.errors import BadInput, NotFound
from bot.store.db import session_scope, utcnow
from bot.store.tables import DocumentRow
from knowledge_base.index.bm25 import BM25Index, chunk_tokens
from knowledge_base.index.embedder import E5Embedder, default_embedder
from knowledge_base.index.fusion import fuse
from knowledge_base.index.vector_store import VectorStore
from knowledge_base.ingest.chunking import Chunk, chunk_document
from knowledge_base.ingest.loaders import SUPPORTED_SUFFIXES, LoadedDocument, load_bytes, load_file
from knowledge_base.ingest.progress import Progress

log = logging.getLogger(__name__)

Outcome = Literal["added", "updated", "unchanged", "deleted", "error"]
CANDIDATES = 40
OPENING_CHARS = 60
# How often a search checks whether another process changed the base (one small query, not one per search).
SYNC_INTERVAL_S = 1.0


@dataclass
class FileResult:
    """What happened to one file."""

    source: str
    doc_id: str | None
    outcome: Outcome
    chunks: int = 0
    embedded: int = 0
    message: str | None = None


@dataclass
class IngestReport:
    """What happened to every file of one ingestion."""

    files: list[FileResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        """How many files had this outcome."""
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def embedded(self) -> int:
        """Chunks embedded in this run (unchanged chunks are not re-embedded)."""
        return sum(f.embedded for f in self.files)


@dataclass
class _Pending:
    loaded: LoadedDocument
    source: str
    content_hash: str
    result: FileResult


class KnowledgeBase:
    """Ingest documents and search their chunks."""

    def __init__(self, *, settings: Settings, db_url: str, embedder: E5Embedder | None = None) -> None:
        self.settings = settings
        self.db_url = db_url
        self.embedder = embedder or default_embedder()
        self.vectors = VectorStore(path=settings.chroma_dir, host=settings.chroma_host, port=settings.chroma_port)
        self._lock = threading.RLock()
        # The BM25 index: loaded once from the tokens stored at ingest, then changed per document.
        self._bm25: BM25Index | None = None
        self._bm25_signature: tuple[int, str] | None = None
        self._bm25_checked = 0.0
        self._bm25_lock = threading.Lock()
        self.lexical_full_builds = 0  # loads of the whole index (one per process, plus explicit reloads)
        self._titles_checked = False  # title vectors backfilled for documents ingested before they were kept
        self._titles_lock = threading.Lock()  # not `_lock`: a question must never wait for an ingest

    # -- ingestion -------------------------------------------------------------------------

    def ingest_paths(self, paths: Iterable[Path], *, show_progress: bool = False) -> IngestReport:
        """Ingest files and folders. Bad files are reported and skipped; the rest go on."""
        report = IngestReport()
        pending: list[_Pending] = []
        for path in paths:
            path = Path(path)
            if path.is_dir():
                files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
                for file in files:
                    self._load_one(file, report, pending)
                self._delete_vanished(path, {f.resolve() for f in files}, report)
            elif path.is_file():
                self._load_one(path, report, pending)
            else:
                report.files.append(FileResult(str(path), None, "error", message=f"{path}: 文件或目录不存在"))
        self._index(pending, show_progress=show_progress)
        return report

    def ingest_upload(self, filename: str, data: bytes, *, embedder: E5Embedder | None = None,
                      on_progress: Callable[[int, int], None] | None = None) -> FileResult:
        """Store an uploaded file under the data dir and ingest it (replacing a same-named document).

        `embedder` embeds the passages (an upload job brings its own, so queries never wait behind it);
        `on_progress(done, total)` follows the embedding."""
        loaded = load_bytes(filename, data, max_bytes=self.settings.max_upload_bytes)
        target = self.settings.uploads_dir / "kb" / Path(filename).name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)  # atomic: a crash never leaves half a file under the real name
        report = IngestReport()
        pending: list[_Pending] = []
        self._queue(loaded, str(target.resolve()), report, pending)
        self._index(pending, show_progress=False, embedder=embedder, on_progress=on_progress)
        return report.files[0]

    def delete(self, doc_id: str) -> None:
        """Remove a document and its chunks."""
        with self._lock, session_scope(self.db_url) as db:
            row = db.get(DocumentRow, doc_id)
            if row is None:
                raise NotFound(f"文档不存在：{doc_id}")
            self.vectors.delete_document(doc_id)
            upload = Path(row.source)
            if upload.is_relative_to(self.settings.uploads_dir.resolve()) and upload.exists():
                upload.unlink()
            db.delete(row)
            if self._bm25 is not None:
                self._bm25.remove_document(doc_id)

    def documents(self) -> list[DocumentRow]:
        """Every document with its version, hash and chunk count."""
        with session_scope(self.db_url) as db:
            return list(db.scalars(select(DocumentRow).order_by(DocumentRow.doc_id)))

    def is_empty(self) -> bool:
        """True when no document has been ingested."""
        with session_scope(self.db_url) as db:
            return not db.scalar(select(func.count()).select_from(DocumentRow))

    def _load_one(self, path: Path, report: IngestReport, pending: list[_Pending]) -> None:
        try:
            loaded = load_file(path, max_bytes=self.settings.max_upload_bytes)
        except BadInput as exc:
            log.warning("skipped %s: %s", path, exc)
            report.files.append(FileResult(str(path), path.stem, "error", message=str(exc)))
            return
        self._queue(loaded, str(path.resolve()), report, pending)

    def _queue(self, loaded: LoadedDocument, source: str, report: IngestReport, pending: list[_Pending]) -> None:
        content_hash = hashlib.sha256(loaded.raw_bytes).hexdigest()
        with session_scope(self.db_url) as db:
            row = db.get(DocumentRow, loaded.doc_id)
            unchanged = row is not None and row.content_hash == content_hash
        if unchanged and row is not None:
            report.files.append(FileResult(source, loaded.doc_id, "unchanged", chunks=row.chunk_count))
            return
        result = FileResult(source, loaded.doc_id, "updated" if row else "added")
        report.files.append(result)
        pending.append(_Pending(loaded, source, content_hash, result))

    def _index(self, pending: list[_Pending], *, show_progress: bool, embedder: E5Embedder | None = None,
               on_progress: Callable[[int, int], None] | None = None) -> None:
        """Embed only chunks whose content is new, then record each document; Chroma first, so a crash
        between the two leaves a document that the next run sees as changed and finishes."""
        if not pending:
            return
        with self._lock:
            plans = []
            to_embed: list[Chunk] = []
            for item in pending:
                chunks = chunk_document(doc_id=item.loaded.doc_id, title=item.loaded.title, text=item.loaded.text)
                existing = self.vectors.chunk_ids(item.loaded.doc_id)
                new = [c for c in chunks if c.chunk_id not in existing]
                kept = [c for c in chunks if c.chunk_id in existing]
                stale = sorted(existing - {c.chunk_id for c in chunks})
                plans.append((item, chunks, new, kept, stale))
                to_embed.extend(new)
            tokens = {c.chunk_id: chunk_tokens(c) for _, chunks, *_ in plans for c in chunks}
            texts = [c.embedding_text() for c in to_embed]
            done = 0
            if on_progress:
                on_progress(0, len(texts))

            with Progress(total=len(texts), label="向量化", enabled=show_progress) as progress:
                def advance(n: int) -> None:
                    nonlocal done
                    done += n
                    progress.advance(n)
                    if on_progress:
                        on_progress(done, len(texts))

                vectors = (embedder or self.embedder).embed_passages(texts, on_progress=advance)
            titles = {item.loaded.doc_id: item.loaded.title for item in pending}
            self.vectors.upsert_titles(titles, (embedder or self.embedder).embed_passages(list(titles.values())))
            offset = 0
            for item, chunks, new, kept, stale in plans:
                self.vectors.upsert(new, vectors[offset : offset + len(new)], [tokens[c.chunk_id] for c in new])
                offset += len(new)
                self.vectors.update_order(kept, [tokens[c.chunk_id] for c in kept])
                self.vectors.delete_ids(stale)
                version = self._record(item, chunk_count=len(chunks))
                if self._bm25 is not None:  # the index changes by this one document; nothing is rebuilt
                    self._bm25.replace_document(item.loaded.doc_id, chunks, [tokens[c.chunk_id] for c in chunks],
                                                version=version)
                item.result.chunks, item.result.embedded = len(chunks), len(new)

    def _record(self, item: _Pending, *, chunk_count: int) -> int:
        with session_scope(self.db_url) as db:
            row = db.get(DocumentRow, item.loaded.doc_id)
            if row is None:
                row = DocumentRow(doc_id=item.loaded.doc_id, version=0)
                db.add(row)
            row.title, row.source, row.file_type = item.loaded.title, item.source, item.loaded.file_type
            row.content_hash, row.chunk_count = item.content_hash, chunk_count
            row.version = (row.version or 0) + 1
            row.updated_at = utcnow()
            return int(row.version)

    def _delete_vanished(self, folder: Path, present: set[Path], report: IngestReport) -> None:
        """A document that was ingested from this folder and is no longer in it is removed."""
        prefix = str(folder.resolve())
        with session_scope(self.db_url) as db:
            gone = [r.doc_id for r in db.scalars(select(DocumentRow))
                    if r.source.startswith(prefix + "/") and Path(r.source) not in present]
        for doc_id in gone:
            self.delete(doc_id)
            report.files.append(FileResult(prefix, doc_id, "deleted"))

    # -- retrieval ---------------------------------------------------------------------------

    def search(self, query: str, *, top_k: int = 8) -> list[RetrievedChunk]:
        """Hybrid search: dense (e5 in Chroma) and BM25 (jieba), fused by cosine plus a share of BM25.

        A long message gets a second dense query on its opening line, where citizens state the matter; each
        chunk keeps its best cosine over the queries. BM25 counts less on long messages, where it rewards
        incidental words (weights calibrated by cross-validation: knowledge_base/index/fusion.py).
        """
        query = query.strip()
        if not query:
            return []
        queries = [query]
        opening = opening_line(query)
        if opening != query:
            queries.append(opening)
        vectors = self.embedder.embed_queries(queries)
        chunks: dict[str, Chunk] = {}
        cosines: dict[str, float] = {}
        for vector in vectors:
            for chunk, sim in self.vectors.search(vector, k=CANDIDATES):
                chunks[chunk.chunk_id] = chunk
                cosines[chunk.chunk_id] = max(sim, cosines.get(chunk.chunk_id, -1.0))
        lexical = self._lexical().search(query, k=CANDIDATES)
        for chunk, _score in lexical:
            chunks.setdefault(chunk.chunk_id, chunk)
        missing = [c.chunk_id for c, _ in lexical if c.chunk_id not in cosines]
        for chunk_id, emb in self.vectors.embeddings(missing).items():
            cosines[chunk_id] = float(max(emb @ v for v in vectors))
        return fuse(chunks, cosines=cosines, bm25_scores={c.chunk_id: s for c, s in lexical},
                    long=len(queries) > 1, top_k=top_k)

    def warm_up(self, query: str) -> None:
        """Load what the first search would: jieba's dictionary, the BM25 index, Chroma's HNSW index and the
        embedder's weights, by running one real search."""
        self._lexical()
        self.search(query)
        self.nearest_titles(query)

    def nearest_titles(self, query: str, *, k: int = 2) -> list[tuple[str, float]]:
        """The documents whose titles alone are nearest the query: (doc_id, cosine), best first. The query's
        vector comes from the embedder's cache when the same query was just searched."""
        query = query.strip()
        if not query:
            return []
        self._backfill_titles()
        return self.vectors.nearest_titles(self.embedder.embed_query(query), k=k)

    def _backfill_titles(self) -> None:
        """Embed the titles of documents stored without a title vector (a base ingested by an older version),
        once per process (at warm-up). Ingestion writes a document's title vector before its row, so a
        document with a row and no vector is an old one, never one being ingested right now."""
        if self._titles_checked:
            return
        with self._titles_lock:
            if self._titles_checked:
                return
            with session_scope(self.db_url) as db:
                wanted = {r.doc_id: r.title for r in db.scalars(select(DocumentRow))}
            stored = self.vectors.stored_titles()
            missing = {d: t for d, t in wanted.items() if d not in stored}
            if missing:
                log.info("embedding %d document titles", len(missing))
                self.vectors.upsert_titles(missing, self.embedder.embed_passages(list(missing.values())))
            self._titles_checked = True

    def document_chunks(self, doc_id: str) -> list[RetrievedChunk]:
        """Every chunk of one document, in document order."""
        chunks = sorted(self.vectors.document(doc_id), key=lambda c: c.ord)
        return [RetrievedChunk(chunk_id=c.chunk_id, doc_id=c.doc_id, title=c.title, heading_path=list(c.heading_path),
                               text=c.text, score=0.0) for c in chunks]

    def term_weight(self, token: str) -> float:
        """How distinctive a token is in this base (IDF over chunks)."""
        return self._lexical().idf(token)

    def _lexical(self) -> BM25Index:
        """The BM25 index: loaded on first use from the stored tokens; at most once a second, brought up to
        date, document by document, with changes another process made to the base."""
        index = self._bm25
        if index is not None and time.monotonic() - self._bm25_checked < SYNC_INTERVAL_S:
            return index
        with self._bm25_lock:
            if self._bm25 is None:
                self._bm25 = self._load_lexical()
            elif time.monotonic() - self._bm25_checked >= SYNC_INTERVAL_S:
                self._sync_lexical(self._bm25)
            self._bm25_checked = time.monotonic()
            return self._bm25

    def _load_lexical(self) -> BM25Index:
        """The whole index from Chroma's chunks and their stored tokens; chunks stored before tokens were kept
        are tokenised once and their tokens written back."""
        self._bm25_signature = self._signature()
        versions = self._versions()  # read before the chunks: a document changed meanwhile is synced later
        chunks, tokens = self.vectors.all_chunks_with_tokens()
        missing = [i for i, t in enumerate(tokens) if t is None]
        if missing:
            log.info("tokenising %d chunks stored without BM25 tokens", len(missing))
            for i in missing:
                tokens[i] = chunk_tokens(chunks[i])
            self.vectors.set_tokens([chunks[i].chunk_id for i in missing], [tokens[i] or [] for i in missing])
        self.lexical_full_builds += 1
        return BM25Index(chunks, tokens=tokens, versions=versions)

    def _sync_lexical(self, index: BM25Index) -> None:
        """Apply documents added, changed or removed by another process (compared by version)."""
        signature = self._signature()
        if signature == self._bm25_signature:
            return
        versions = self._versions()
        held = index.versions()
        for doc_id, version in versions.items():
            if held.get(doc_id) != version:
                chunks, tokens = self.vectors.document_with_tokens(doc_id)
                index.replace_document(doc_id, chunks, tokens, version=version)
        for doc_id in (index.doc_ids() | set(held)) - set(versions):
            index.remove_document(doc_id)
        self._bm25_signature = signature

    def _versions(self) -> dict[str, int]:
        with session_scope(self.db_url) as db:
            return {doc_id: int(version or 0) for doc_id, version in
                    db.execute(select(DocumentRow.doc_id, DocumentRow.version))}

    def _signature(self) -> tuple[int, str]:
        with session_scope(self.db_url) as db:
            count, latest = db.execute(select(func.count(), func.max(DocumentRow.updated_at))).one()
        return int(count), str(latest)


def opening_line(text: str) -> str:
    """The first line or sentence of a long message, where the matter is usually named."""
    if len(text) <= OPENING_CHARS:
        return text
    first = re.split(r"[\n。！？!?]", text, maxsplit=1)[0].strip()
    return first[:OPENING_CHARS] or text[:OPENING_CHARS]


def supported_suffixes() -> list[str]:
    """File types the knowledge base reads."""
    return sorted(SUPPORTED_SUFFIXES)
