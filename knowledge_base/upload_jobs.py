"""Uploads as background jobs: the file is kept and a job row written at once, then one worker thread
chunks, embeds and indexes it with progress, while chat keeps answering.

The worker has an embedder of its own, so a citizen's query never waits behind a batch of passages. A job
that a restart interrupted (queued or running) runs again from its kept file on the next start."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.errors import BadInput, NotFound
from bot.store.db import session_scope, utcnow
from bot.store.tables import AuditEntry, UploadJob
from knowledge_base.base import KnowledgeBase
from knowledge_base.index.embedder import E5Embedder
from knowledge_base.ingest.loaders import load_bytes
from knowledge_base.ingest.screening import instruction_like_lines

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
PROGRESS_EVERY_S = 0.5  # progress rows are written at most this often


@dataclass(frozen=True)
class JobView:
    """A job as the admin page shows it."""

    job_id: str
    filename: str
    state: str
    done: int
    total: int
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        out = asdict(self)
        out["created_at"], out["updated_at"] = self.created_at.isoformat(), self.updated_at.isoformat()
        return out


def _view(row: UploadJob) -> JobView:
    return JobView(row.job_id, row.filename, row.state, row.done, row.total, row.result, row.error,
                   row.created_at, row.updated_at)


class UploadJobs:
    """Queue of knowledge-base uploads, run one at a time in a thread of their own."""

    def __init__(self, kb: KnowledgeBase, *, db_url: str, incoming_dir: Path,
                 embedder: E5Embedder | None = None) -> None:
        self.kb = kb
        self.db_url = db_url
        self.incoming_dir = incoming_dir
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload")
        self._futures: dict[str, Future[JobView]] = {}

    # -- submitting ----------------------------------------------------------------------------

    def submit(self, filename: str, data: bytes, *, actor: str) -> JobView:
        """Check the file (type, size, name, archive size, text) at once, keep it, queue its job.
        Raises a `BadInput` subclass, with the reason, for a file that cannot be ingested."""
        load_bytes(filename, data, max_bytes=self.kb.settings.max_upload_bytes)
        job_id = uuid.uuid4().hex
        self.incoming_dir.mkdir(parents=True, exist_ok=True)
        stored = self.incoming_dir / f"{job_id}{Path(filename).suffix.lower()}"
        part = stored.with_suffix(stored.suffix + ".part")
        part.write_bytes(data)
        part.replace(stored)  # the job row never points at half a file
        with session_scope(self.db_url) as db:
            row = UploadJob(job_id=job_id, filename=filename, stored_path=str(stored), actor=actor, state=QUEUED,
                            done=0, total=0)
            db.add(row)
            db.flush()
            view = _view(row)
        self._start(job_id)
        return view

    def wait(self, job_id: str, timeout_s: float | None = None) -> JobView:
        """Block until the job ends (for callers that want the upload's outcome in one request)."""
        future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout_s)
        return self.get(job_id)

    def future(self, job_id: str) -> Future[JobView] | None:
        """The running job's future, when this process runs it."""
        return self._futures.get(job_id)

    def get(self, job_id: str) -> JobView:
        """One job, or NotFound."""
        with session_scope(self.db_url) as db:
            row = db.get(UploadJob, job_id)
            if row is None:
                raise NotFound(f"上传任务不存在：{job_id}")
            return _view(row)

    def recent(self, limit: int = 20) -> list[JobView]:
        """The latest jobs, newest first."""
        with session_scope(self.db_url) as db:
            rows = db.scalars(select(UploadJob).order_by(UploadJob.created_at.desc()).limit(limit))
            return [_view(r) for r in rows]

    def resume(self) -> int:
        """Queue again every job a stop interrupted; returns how many."""
        with session_scope(self.db_url) as db:
            ids = list(db.scalars(select(UploadJob.job_id).where(UploadJob.state.in_((QUEUED, RUNNING)))
                                  .order_by(UploadJob.created_at)))
        for job_id in ids:
            if job_id not in self._futures:
                self._start(job_id)
        if ids:
            log.info("resumed %d interrupted upload job(s)", len(ids))
        return len(ids)

    def close(self) -> None:
        """Let the running job finish; queued ones stay queued for the next start."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- running -------------------------------------------------------------------------------

    def _start(self, job_id: str) -> None:
        future = self._pool.submit(self._run, job_id)
        self._futures[job_id] = future
        future.add_done_callback(lambda _f: self._futures.pop(job_id, None))

    def _passage_embedder(self) -> E5Embedder:
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = E5Embedder()
            return self._embedder

    def _run(self, job_id: str) -> JobView:
        with session_scope(self.db_url) as db:
            row = db.get(UploadJob, job_id)
            assert row is not None
            row.state, row.done, row.total = RUNNING, 0, 0
            filename, stored, actor = row.filename, Path(row.stored_path), row.actor
        try:
            data = stored.read_bytes()
            result = self.kb.ingest_upload(filename, data, embedder=self._passage_embedder(),
                                           on_progress=self._progress_writer(job_id))
            warnings = instruction_like_lines(load_bytes(filename, data,
                                                         max_bytes=self.kb.settings.max_upload_bytes).text)
        except BadInput as exc:
            return self._finish(job_id, FAILED, error=str(exc), actor=actor, filename=filename, stored=stored)
        except Exception as exc:  # the job records the failure; the admin sees it instead of a silent stop
            log.exception("upload job %s failed", job_id)
            return self._finish(job_id, FAILED, error=f"入库失败（{type(exc).__name__}），请稍后重试",
                                actor=actor, filename=filename, stored=stored)
        outcome = {"doc_id": result.doc_id, "outcome": result.outcome, "chunks": result.chunks,
                   "embedded": result.embedded, "instruction_like": warnings}
        return self._finish(job_id, DONE, result=outcome, actor=actor, filename=filename, stored=stored)

    def _progress_writer(self, job_id: str):  # noqa: ANN202
        last, last_done = 0.0, 0

        def write(done: int, total: int) -> None:
            nonlocal last, last_done
            now = time.monotonic()
            # The start, the first batch and the end are always written; between them, every half second.
            if last_done and done < total and now - last < PROGRESS_EVERY_S:
                return
            last, last_done = now, done
            with session_scope(self.db_url) as db:
                row = db.get(UploadJob, job_id)
                if row is not None:
                    row.done, row.total = done, total

        return write

    def _finish(self, job_id: str, state: str, *, actor: str, filename: str, stored: Path,
                result: dict[str, Any] | None = None, error: str | None = None) -> JobView:
        with session_scope(self.db_url) as db:
            row = db.get(UploadJob, job_id)
            assert row is not None
            row.state, row.result, row.error, row.updated_at = state, result, error, utcnow()
            if result is not None:
                row.done = row.total = max(row.total, result["embedded"])
                db.add(AuditEntry(actor=actor, action=f"kb.{result['outcome']}", target=result["doc_id"],
                                  detail={"file": filename, "chunks": result["chunks"], "job": job_id,
                                          "instruction_like": len(result["instruction_like"])}))
            else:
                db.add(AuditEntry(actor=actor, action="kb.upload_failed", target=filename,
                                  detail={"job": job_id, "error": error}))
            db.flush()
            view = _view(row)
        stored.unlink(missing_ok=True)
        if result and result["instruction_like"]:
            log.warning("document %s has %d instruction-like line(s); flagged to the admin",
                        result["doc_id"], len(result["instruction_like"]))
        return view
