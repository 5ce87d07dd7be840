"""Admin API for the policy knowledge base: documents, upload jobs, hit testing, unanswered questions."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, UploadFile, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.admin import audit, unanswered
from bot.answer.types import RetrievedChunk
from bot.errors import FileTooLarge
from connectors.runtime import Runtime
from connectors.web.deps import AdminDep, DbDep, RuntimeDep
from knowledge_base.upload_jobs import JobView

router = APIRouter(prefix="/api/admin", tags=["admin: knowledge base"])


class DocumentOut(BaseModel):
    """A document as admins see it."""

    doc_id: str
    title: str
    file_type: str
    version: int
    content_hash: str
    chunk_count: int
    updated_at: datetime


class HitTestRequest(BaseModel):
    """A query to try against the base."""

    query: str = Field(min_length=1, max_length=2000)
    top_k: int = Field(8, ge=1, le=50)


class HitTestResponse(BaseModel):
    """Ranked chunks with their scores, and whether the bot would answer."""

    grounded: bool
    reason: str
    chunks: list[RetrievedChunk]


@router.get("/documents", response_model=list[DocumentOut])
def list_documents(runtime: RuntimeDep, _admin: AdminDep) -> list[Any]:
    """Every document with its version, hash and chunk count."""
    return runtime.knowledge_base.documents()


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """Read an upload, refusing it as soon as it passes the size limit (never buffer a huge file)."""
    data = bytearray()
    while chunk := await upload.read(1024 * 1024):
        data.extend(chunk)
        if len(data) > limit:
            raise FileTooLarge(f"{upload.filename}: 文件超过上限 {limit} 字节")
    return bytes(data)


@router.post("/documents", status_code=status.HTTP_201_CREATED)
async def upload_document(file: UploadFile, runtime: RuntimeDep, admin: AdminDep) -> dict[str, Any]:
    """Add a document, or replace the one with the same file name."""
    return await _ingest(file, Path(file.filename or "").name, runtime, admin.name)


@router.put("/documents/{doc_id}")
async def replace_document(doc_id: str, file: UploadFile, runtime: RuntimeDep, admin: AdminDep) -> dict[str, Any]:
    """Replace a document's content; the uploaded file keeps the document's id."""
    if doc_id not in {d.doc_id for d in runtime.knowledge_base.documents()}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"文档不存在：{doc_id}")
    return await _ingest(file, doc_id + Path(file.filename or "").suffix, runtime, admin.name)


async def _submit(file: UploadFile, name: str, runtime: Runtime, actor: str) -> JobView:
    """Read the upload within its size limit, check it and queue its job, off the event loop."""
    if not name or name.startswith("."):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "缺少有效的文件名")
    try:
        data = await _read_limited(file, runtime.settings.max_upload_bytes)
    except FileTooLarge as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(exc)) from exc
    return await run_in_threadpool(runtime.upload_jobs.submit, name, data, actor=actor)


async def _ingest(file: UploadFile, name: str, runtime: Runtime, actor: str) -> dict[str, Any]:
    """The upload's outcome in this request: the job runs in the upload thread and this request awaits it
    without holding the event loop, so chat and health checks keep answering."""
    job = await _submit(file, name, runtime, actor)
    future = runtime.upload_jobs.future(job.job_id)
    if future is not None:
        await asyncio.wrap_future(future)
    done = runtime.upload_jobs.get(job.job_id)
    if done.state != "done" or done.result is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, done.error or "入库失败")
    return {**done.result, "job_id": done.job_id}


@router.post("/uploads", status_code=status.HTTP_202_ACCEPTED)
async def start_upload(file: UploadFile, runtime: RuntimeDep, admin: AdminDep) -> dict[str, Any]:
    """Queue a document for ingestion and answer at once with its job (poll `GET /uploads/{job_id}`)."""
    job = await _submit(file, Path(file.filename or "").name, runtime, admin.name)
    return job.as_dict()


@router.get("/uploads")
def list_uploads(runtime: RuntimeDep, _admin: AdminDep, limit: int = Query(20, ge=1, le=200)) -> list[dict[str, Any]]:
    """The latest upload jobs, newest first."""
    return [j.as_dict() for j in runtime.upload_jobs.recent(limit)]


@router.get("/uploads/{job_id}")
def upload_status(job_id: str, runtime: RuntimeDep, _admin: AdminDep) -> dict[str, Any]:
    """A job's state, progress (chunks embedded of total) and result, with any instruction-like lines."""
    return runtime.upload_jobs.get(job_id).as_dict()


@router.delete("/documents/{doc_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(doc_id: str, runtime: RuntimeDep, db: DbDep, admin: AdminDep) -> None:
    """Remove a document and its chunks."""
    kb = runtime.knowledge_base
    before = next(({"version": d.version, "title": d.title} for d in kb.documents() if d.doc_id == doc_id), None)
    kb.delete(doc_id)
    audit.record(db, actor=admin.name, role=admin.role, action="kb.deleted", target=doc_id, before=before)


@router.post("/hit-test", response_model=HitTestResponse)
def hit_test(body: HitTestRequest, runtime: RuntimeDep, _admin: AdminDep) -> HitTestResponse:
    """Ranked chunks with their fused, dense and BM25 scores, and the grounding decision."""
    kb = runtime.knowledge_base
    chunks = kb.search(body.query, top_k=body.top_k)
    decision = runtime.answerer.ground(body.query, chunks)
    return HitTestResponse(grounded=decision.supported, reason=decision.reason, chunks=chunks)


class AnswerIn(BaseModel):
    """The admin's answer for a whole group of unanswered questions."""

    answer: str = Field(min_length=1, max_length=unanswered.MAX_ANSWER_CHARS)
    title: str | None = Field(None, max_length=100, description="the FAQ's title; the group's topic by default")


@router.get("/unanswered")
def unanswered_groups(db: DbDep, _admin: AdminDep, limit: int = Query(50, ge=1, le=500),
                      status_: Literal["open", "answered"] = Query("open", alias="status")) -> dict[str, Any]:
    """Questions the base could not answer, grouped by topic, most asked first (or the groups answered)."""
    groups = unanswered.open_groups(db, limit=limit) if status_ == "open" else unanswered.answered_groups(db, limit=limit)
    return {"status": status_, "groups": groups}


@router.post("/unanswered/{group_id}/answer")
def answer_unanswered(group_id: str, body: AnswerIn, runtime: RuntimeDep, db: DbDep, admin: AdminDep) -> dict[str, Any]:
    """The answer becomes an FAQ document in the knowledge base, searchable at once, and the group closes."""
    result = unanswered.answer_group(db, runtime.knowledge_base, group_id, answer=body.answer, actor=admin.name,
                                     title=body.title)
    audit.record(db, actor=admin.name, role=admin.role, action="faq.answer", target=result["doc_id"],
                 before={"group": group_id, "topic": result["topic"], "open_questions": result["closed"]},
                 after={"doc_id": result["doc_id"], "title": result["title"], "answer": body.answer})
    return result


@router.get("/audit")
def audit_log(db: DbDep, _admin: AdminDep, limit: int = Query(100, ge=1, le=audit.MAX_LIMIT),
              actor: str | None = Query(None, max_length=100), action: str | None = Query(None, max_length=100),
              target: str | None = Query(None, max_length=300), since: datetime | None = None,
              until: datetime | None = None, before_id: int | None = Query(None, ge=1, le=2**63 - 1)) -> dict[str, Any]:
    """Every staff action, newest first: who, what, when, on what, and the values before and after."""
    return {"entries": audit.entries(db, limit=limit, actor=actor, action=action, target=target, since=since,
                                     until=until, before_id=before_id)}
