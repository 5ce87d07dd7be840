"""Closing the knowledge loop: questions the base could not answer, grouped by topic; an admin answers a
group once, the answer becomes an FAQ document in the knowledge base (searchable at once), and the group
closes. A later question on the same topic is answered from that document.

A group is the set of open questions sharing a topic (the asked item's name, or the question itself);
its id is a hash of the topic, so it stays the same while questions keep arriving.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.errors import BadInput, NotFound
from bot.store.db import utcnow
from bot.store.tables import UnansweredQuestion
from bot.tickets.lifecycle import as_utc, local_text

MAX_QUESTIONS_SHOWN = 20
MAX_ANSWER_CHARS = 5000
FAQ_PREFIX = "faq-"


class IngestResult(Protocol):
    """What the knowledge base says about an ingested file."""

    @property
    def doc_id(self) -> str | None: ...
    @property
    def outcome(self) -> str: ...
    @property
    def chunks(self) -> int: ...
    @property
    def message(self) -> str | None: ...


class Ingests(Protocol):
    """The part of the knowledge base this loop needs."""

    def ingest_upload(self, filename: str, data: bytes, /) -> IngestResult: ...


def group_id(topic_key: str) -> str:
    """A stable, URL-safe id for the group of a topic."""
    return "g" + hashlib.sha256(topic_key.encode()).hexdigest()[:12]


def open_groups(db: Session, *, limit: int = 50) -> list[dict[str, Any]]:
    """Open groups, most asked first: id, topic, count, last asked, the latest questions."""
    open_q = UnansweredQuestion.answered_at.is_(None)
    groups = db.execute(
        select(UnansweredQuestion.topic_key, func.count().label("n"), func.max(UnansweredQuestion.created_at))
        .where(open_q).group_by(UnansweredQuestion.topic_key)
        .order_by(func.count().desc(), func.max(UnansweredQuestion.created_at).desc()).limit(limit)
    ).all()
    questions = _questions(db, [g[0] for g in groups], open_q)
    return [{"id": group_id(topic), "topic": topic, "status": "open", "count": n,
             "last_asked": as_utc(last).isoformat() if last else None,
             "questions": questions.get(topic, []), "examples": questions.get(topic, [])[:3]}
            for topic, n, last in groups]


def answered_groups(db: Session, *, limit: int = 50) -> list[dict[str, Any]]:
    """Groups already answered, newest answer first, with the FAQ document each became."""
    answered = UnansweredQuestion.answered_at.is_not(None)
    rows = db.execute(
        select(UnansweredQuestion.topic_key, UnansweredQuestion.faq_doc_id, func.count(),
               func.max(UnansweredQuestion.answered_at))
        .where(answered).group_by(UnansweredQuestion.topic_key, UnansweredQuestion.faq_doc_id)
        .order_by(func.max(UnansweredQuestion.answered_at).desc()).limit(limit)
    ).all()
    questions = _questions(db, [r[0] for r in rows], answered)
    return [{"id": group_id(topic), "topic": topic, "status": "answered", "count": n, "faq_doc_id": doc,
             "answered_at": as_utc(at).isoformat() if at else None, "questions": questions.get(topic, [])}
            for topic, doc, n, at in rows]


def _questions(db: Session, topics: list[str], condition: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    if not topics:
        return out
    rows = db.execute(select(UnansweredQuestion.topic_key, UnansweredQuestion.question)
                      .where(condition, UnansweredQuestion.topic_key.in_(topics))
                      .order_by(UnansweredQuestion.id.desc()))
    for topic, text in rows:
        if len(out[topic]) < MAX_QUESTIONS_SHOWN and text not in out[topic]:
            out[topic].append(text)
    return out


def topic_of(db: Session, gid: str) -> str:
    """The topic of an open group; NotFound if no open group has this id."""
    topics = db.scalars(select(UnansweredQuestion.topic_key).where(UnansweredQuestion.answered_at.is_(None))
                        .distinct())
    for topic in topics:
        if group_id(topic) == gid:
            return topic
    raise NotFound(f"没有待回答的问题组 {gid}（可能已被回答）")


def faq_document(*, topic: str, questions: list[str], answer: str, author: str, at: datetime) -> bytes:
    """The FAQ document for a group: titled with the topic (so the grounding step aligns later questions with
    it), the admin's answer as its body, and the citizens' wordings as a section of their own."""
    asked = "\n".join(f"- {q.strip()}" for q in questions[:MAX_QUESTIONS_SHOWN] if q.strip())
    text = (f"# {topic}\n\n> 常见问题答复：由 {author} 于 {local_text(at)} 根据市民提问整理。\n\n"
            f"## 答复\n\n{answer.strip()}\n")
    if asked:
        text += f"\n## 市民的问法\n\n{asked}\n"
    return text.encode("utf-8")


def answer_group(db: Session, kb: Ingests, gid: str, *, answer: str, actor: str,
                 title: str | None = None) -> dict[str, Any]:
    """Write the group's answer into the knowledge base as an FAQ document and close the group.

    The document is ingested before the questions are closed, so a failed ingest leaves the group open."""
    answer = (answer or "").strip()
    if not answer:
        raise BadInput("答复内容不能为空")
    if len(answer) > MAX_ANSWER_CHARS:
        raise BadInput(f"答复过长（{len(answer)} 字），请控制在 {MAX_ANSWER_CHARS} 字以内")
    topic = topic_of(db, gid)
    questions = _questions(db, [topic], UnansweredQuestion.answered_at.is_(None)).get(topic, [])
    now = utcnow()
    heading = (title or "").strip()[:100] or topic
    data = faq_document(topic=heading, questions=questions, answer=answer, author=actor, at=now)
    result = kb.ingest_upload(f"{FAQ_PREFIX}{gid}.md", data)
    if result.doc_id is None or result.outcome == "error":
        raise BadInput(result.message or "常见问题文档入库失败")
    closed = db.execute(update(UnansweredQuestion)
                        .where(UnansweredQuestion.topic_key == topic, UnansweredQuestion.answered_at.is_(None))
                        .values(answered_at=now, faq_doc_id=result.doc_id))
    return {"group_id": gid, "topic": topic, "title": heading, "doc_id": result.doc_id,
            "outcome": result.outcome, "chunks": result.chunks, "closed": int(getattr(closed, "rowcount", 0) or 0),
            "questions": questions}
