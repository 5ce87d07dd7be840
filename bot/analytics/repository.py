"""Every query the analysis needs: requests (imported and live), and the service facts behind the metrics.

Routes and commands call these; the analysis modules are pure functions over what they return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.analytics.records import DIM, Request, utc
from bot.analytics.tables import ImportedRequest
from bot.store.tables import TicketRow


def from_imported(row: ImportedRequest) -> Request:
    """An imported row as an analysis record."""
    vector = np.frombuffer(row.vector, dtype=np.float32) if row.vector and len(row.vector) == DIM * 4 else None
    return Request(
        id=row.source_id, time=utc(row.received_at) if row.received_at else None, text=row.text, title=row.title,
        category_l1=row.category_l1, category_l2=row.category_l2, district=row.district, street=row.street,
        places=tuple(row.places or ()), channel=row.channel or "import", status=row.status, source="import",
        vector=vector,
    )


def from_ticket(row: TicketRow) -> Request:
    """A live ticket as an analysis record (places from its extracted location; no vector yet)."""
    from bot.analytics.places import place_keys

    payload = row.payload or {}
    location = payload.get("location") or {}
    text = payload.get("verbatim") or row.summary or ""
    parties = [str(p["name"]) for p in payload.get("parties") or [] if isinstance(p, dict) and p.get("name")]
    return Request(
        id=row.ticket_no, time=utc(row.created_at), text=text, title=None, category_l1=row.category_l1,
        category_l2=row.category_l2, district=row.district, street=row.street,
        places=tuple(place_keys(text, community=location.get("community"), landmark=location.get("landmark"),
                                businesses=parties)),
        channel=row.channel, status=row.status, source="ticket",
    )


def load_requests(db: Session, *, until: datetime | None = None, since: datetime | None = None) -> list[Request]:
    """Imported history and live tickets up to `until` (exclusive), oldest first; timeless imports last."""
    q = select(ImportedRequest)
    t = select(TicketRow)
    if until is not None:
        q = q.where((ImportedRequest.received_at < until) | ImportedRequest.received_at.is_(None))
        t = t.where(TicketRow.created_at < until)
    if since is not None:
        q = q.where(ImportedRequest.received_at >= since)
        t = t.where(TicketRow.created_at >= since)
    out = [from_imported(r) for r in db.execute(q.execution_options(yield_per=2000)).scalars()]
    out += [from_ticket(r) for r in db.scalars(t)]
    out.sort(key=lambda r: (r.time is None, r.time or datetime.min))
    return out


def requests_by_id(db: Session, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The requests behind a number, for drill-down: id, time, title, text, category, place, status."""
    ids = list(dict.fromkeys(str(i) for i in ids))[:500]
    rows: dict[str, dict[str, Any]] = {}
    for r in db.scalars(select(ImportedRequest).where(ImportedRequest.source_id.in_(ids))):
        rows[r.source_id] = _brief(from_imported(r))
    missing = [i for i in ids if i not in rows]
    if missing:
        for t in db.scalars(select(TicketRow).where(TicketRow.ticket_no.in_(missing))):
            rows[t.ticket_no] = _brief(from_ticket(t))
    return [rows[i] for i in ids if i in rows]


def _brief(r: Request) -> dict[str, Any]:
    return {"id": r.id, "time": r.time.isoformat() if r.time else None, "title": r.title, "text": r.text[:500],
            "category_l1": r.category_l1, "category_l2": r.category_l2, "district": r.district,
            "street": r.street, "places": list(r.places), "status": r.status, "source": r.source}


def with_vectors(records: list[Request], embedder: Any) -> list[Request]:
    """The records, each with a vector (live tickets are embedded here; imports brought theirs)."""
    from bot.analytics.imports import embed_text

    todo = [i for i, r in enumerate(records) if r.vector is None]
    if not todo:
        return records
    out = list(records)
    for start in range(0, len(todo), 64):
        chunk = todo[start:start + 64]
        vectors = np.asarray(embedder.query([embed_text(records[i].text, records[i].title) for i in chunk]),
                             dtype=np.float32)
        for i, v in zip(chunk, vectors, strict=True):
            out[i] = replace(records[i], vector=v)
    return out


@dataclass
class ServiceFacts:
    """What the metrics read from this instance's tables for one period."""

    tickets: list[dict[str, Any]] = field(default_factory=list)  # ticket_no, channel, category, district, unit, status,
    # created_at, resolved_at, deadline_at, rating
    consult_answers: int = 0
    ungrounded: list[str] = field(default_factory=list)  # the questions the knowledge base could not answer
    unanswered_topics: list[tuple[str, str]] = field(default_factory=list)  # (topic key, a question)
    sessions: int = 0
    handoffs: int = 0
    imported: list[dict[str, Any]] = field(default_factory=list)  # id, channel, category, district, status


def service_facts(db: Session, start: datetime, end: datetime) -> ServiceFacts:
    """The tickets, answers, handoffs and imported statuses created in [start, end)."""
    from sqlalchemy import func

    from bot.dialog.tables import HandoffRow
    from bot.dispatch.tables import RatingRow, TicketAssignment
    from bot.store.tables import ChatMessage, ChatSession, TicketEvent, UnansweredQuestion

    facts = ServiceFacts()
    rows = db.execute(
        select(TicketRow, TicketAssignment).outerjoin(TicketAssignment, TicketAssignment.ticket_id == TicketRow.id)
        .where(TicketRow.created_at >= start, TicketRow.created_at < end))
    ticket_ids = {}
    for ticket, assignment in rows:
        ticket_ids[ticket.id] = ticket.ticket_no
        facts.tickets.append({
            "id": ticket.ticket_no, "channel": ticket.channel, "category_l1": ticket.category_l1,
            "district": ticket.district, "unit": assignment.unit_name if assignment else None,
            "status": ticket.status, "created_at": utc(ticket.created_at),
            "deadline_at": utc(assignment.deadline_at) if assignment and assignment.deadline_at else None,
            "merged": bool(assignment and assignment.merged_into) or ticket.status == "merged",
            "summary": ticket.summary, "resolved_at": None, "rating": None,
        })
    by_no = {t["id"]: t for t in facts.tickets}
    if ticket_ids:
        for ticket_id, created in db.execute(
                select(TicketEvent.ticket_id, func.min(TicketEvent.created_at))
                .where(TicketEvent.ticket_id.in_(list(ticket_ids)), TicketEvent.status.in_(("resolved", "closed")))
                .group_by(TicketEvent.ticket_id)):
            by_no[ticket_ids[ticket_id]]["resolved_at"] = utc(created)
        for no, rating in db.execute(select(RatingRow.ticket_no, RatingRow.rating)
                                     .where(RatingRow.ticket_no.in_(list(by_no))).order_by(RatingRow.id)):
            by_no[no]["rating"] = rating
    facts.consult_answers = db.scalar(select(func.count(ChatMessage.id)).where(
        ChatMessage.role == "bot", ChatMessage.intent == "consult", ChatMessage.created_at >= start,
        ChatMessage.created_at < end)) or 0
    for question, topic, session in db.execute(select(
            UnansweredQuestion.question, UnansweredQuestion.topic_key, UnansweredQuestion.session_id)
            .where(UnansweredQuestion.created_at >= start, UnansweredQuestion.created_at < end)):
        facts.unanswered_topics.append((topic, question))
        if session is not None:
            facts.ungrounded.append(question)
    facts.sessions = db.scalar(select(func.count(ChatSession.session_id)).where(
        ChatSession.created_at >= start, ChatSession.created_at < end)) or 0
    facts.handoffs = db.scalar(select(func.count(func.distinct(HandoffRow.session_id))).where(
        HandoffRow.requested_at >= start, HandoffRow.requested_at < end)) or 0
    for sid, channel, l1, district, status in db.execute(select(
            ImportedRequest.source_id, ImportedRequest.channel, ImportedRequest.category_l1, ImportedRequest.district,
            ImportedRequest.status).where(ImportedRequest.received_at >= start, ImportedRequest.received_at < end)):
        facts.imported.append({"id": sid, "channel": channel, "category_l1": l1, "district": district,
                               "status": status})
    return facts
