"""Call assist over the whole call: an agent adds the caller's words turn by turn; each turn updates the ticket
draft from every turn so far (through the chat's extractor and draft editor), suggests grounded replies for
what the caller just asked, and looks up the caller's earlier tickets by phone. The agent edits the draft and
submits it through `bot.tickets.service.submit_ticket`, the same path as chat, so it reaches the unit.

How a caller turn is read decides what it may change (`kind`):
- `problem`: what happened. The problem turns so far, together, give the summary, category and intent, so an
  address or a phone said later never becomes the summary, and is never classified alone.
- `fact`: a place, a phone, a name or a time and little else; it fills those fields only.
- `question`: a question to answer; its facts are kept, the description is not touched.
- `correction`: "不对，是5号楼"; the draft editor changes only the part it names.
- `other`: greetings and the like; facts only.
Pasted caller lines are staff input: an unanswerable question is not put on the admins' unanswered list.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.answer.question import question_part
from bot.answer.types import AnswerResult
from bot.desk.tables import AgentCall, CallSuggestion, CallTurn
from bot.dialog import slots
from bot.dialog.alerts import call_session_id, record_alert
from bot.dialog.draft import DraftEditor, has_field, read_edit
from bot.dialog.render import BEIJING
from bot.errors import BadInput, Conflict, NotFound
from bot.intake.address import find_location
from bot.intake.contact import find_phones
from bot.intake.extract import Extractor
from bot.intake.text_facts import neutral_summary
from bot.intake.timex import find_time
from bot.pii import mask_id_numbers
from bot.store.db import utcnow
from bot.store.tables import TicketRow
from bot.tickets.lifecycle import STATUS_LABELS, as_utc, assignment_of
from bot.tickets.models import Category, Location, OccurredAt, Ticket
from bot.tickets.service import submit_ticket
from bot.triage.emergency import emergency_reply
from bot.triage.intent import states_problem
from bot.triage.service import Triage, TriageResult

MAX_TURNS = 60
MAX_CALLER_TICKETS = 10
OUTCOMES = ("used", "edited", "discarded")
# Words around a fact that say nothing about the problem ("我的电话是…", "地址在…", "我姓王").
_FILLER = re.compile(r"(你好|您好|喂|嗯|啊|哦|呃|那个|就是|我的|我们|我|的|是|在|住在|住|位于|地址|地点|位置|具体|电话|手机号?|"
                     r"号码|联系方式|联系|座机|姓名|名字|姓|叫|先生|女士|免贵|对|好|吧|呢|这边|那边|就|号)")
_GREETING = re.compile(r"^((喂|你好|您好|哎|嗯|那个|是这样)[，,、。！!\s]*)+")
_PLACE_LEAD = re.compile(r"^(就在|在|地址是|地址在|地点是|地点在|位置是|位置在|住在|是在)")
_INTAKE_INTENTS = ("complaint", "report", "help", "suggestion", "praise")
_URGENCY_ORDER = ("normal", "urgent", "emergency")


class AnswererLike(Protocol):
    """The answering service's seam (bot.answer.service.Answerer)."""

    def answer(self, question: str, *, history: list[str] | None = None, session_id: str | None = None,
               remember: bool = True) -> AnswerResult: ...


def iso(value: datetime | None) -> str | None:
    """A stored time as ISO 8601 with its UTC offset."""
    value = as_utc(value)
    return value.isoformat() if value is not None else None


class CallAssist:
    """Reads each caller turn into the call's draft and suggestions; every collaborator is passed in."""

    def __init__(self, *, triage: Triage, extractor: Extractor,
                 answerer: AnswererLike | Callable[[], AnswererLike]) -> None:
        self.triage = triage
        self.editor = DraftEditor(extractor=extractor)
        self.gazetteer = extractor.gazetteer
        self._answerer = answerer

    @property
    def answerer(self) -> AnswererLike:
        """The answerer, built on first use when a factory was given (the knowledge base is heavy)."""
        if not hasattr(self._answerer, "answer"):
            self._answerer = self._answerer()  # type: ignore[operator]
        return self._answerer  # type: ignore[return-value]

    # --- the call ------------------------------------------------------------------------------
    def start(self, db: Session, *, agent: str) -> AgentCall:
        """A new, empty call taken by `agent`."""
        call = AgentCall(call_id=secrets.token_hex(8), agent=agent, status="open")
        db.add(call)
        db.flush()
        return call

    def add_turn(self, db: Session, call_id: str, text: str, *, now: datetime | None = None) -> dict[str, Any]:
        """Read the caller's words: update the draft from all turns so far, suggest replies, find earlier tickets.
        Several lines pasted at once (a whole call) are read as one turn each, in order."""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not lines:
            raise BadInput("请输入来电人所说的内容。")
        read: list[dict[str, Any]] = [self._turn(db, call_id, line, now=now) for line in lines]
        call = open_call(db, call_id)
        out = view(db, call)
        made = {i for r in read for i in r["suggestions"]}
        out.update(turn=read[-1]["turn"], turns_added=[r["turn"] for r in read],
                   note=next((r["note"] for r in reversed(read) if r["note"]), None) if not made else None,
                   alert=next((r["alert"] for r in read if r["alert"]), None),
                   suggestions=[s for s in out["suggestions"] if s["id"] in made])
        return out

    def _turn(self, db: Session, call_id: str, text: str, *, now: datetime | None) -> dict[str, Any]:
        """One caller turn read into the call."""
        call = open_call(db, call_id)
        text = mask_id_numbers(text)
        turns = caller_turns(db, call_id)
        if len(turns) >= MAX_TURNS:
            raise BadInput(f"一通电话最多记录 {MAX_TURNS} 段来电内容。")
        now = (now or utcnow()).astimezone(BEIJING)
        hit = self.triage.emergency(text)
        result = self.triage.classify(text)
        draft = Ticket.model_validate(call.draft) if call.draft else None
        kind, draft = self._read(draft, text, turns, now=now, result=result)
        if hit is not None:
            draft = draft.model_copy(update={"urgency": "emergency"})
            record_alert(db, session_id=call_session_id(call_id), channel="agent", hit=hit, text=text)
        turn = CallTurn(call_id=call_id, role="caller", kind=kind, text=text[:4000])
        db.add(turn)
        db.flush()
        call.draft = draft.model_dump(mode="json")
        call.caller_phone = draft.contact.phone
        suggestions: list[int] = []
        note: str | None = None
        if kind == "question" or (result.asks_question and kind == "problem"):
            db.commit()  # the answerer may open its own transaction; give this connection back first
            questions = [t.text for t in turns if t.kind == "question"]
            suggestions, note = self._suggest(db, call_id, turn.id, text, questions)
        return {"turn": {"id": turn.id, "kind": kind, "text": turn.text}, "suggestions": suggestions, "note": note,
                "alert": emergency_reply(hit) if hit is not None else None}

    def _read(self, draft: Ticket | None, text: str, turns: list[CallTurn], *, now: datetime,
              result: TriageResult) -> tuple[str, Ticket]:
        """How the turn reads, and the draft with it merged in."""
        facts = self.editor.facts(text, now=now, result=result, channel="agent").model_copy(
            update={"attachments": []})
        base = draft or Ticket(channel="agent", intent="consult", verbatim="")
        verbatim = "\n".join([*(t.text for t in turns), text])
        edit = read_edit(text)
        if draft is not None and edit is not None and (edit.marked or has_field(draft, edit.field)):
            changed = self.editor.apply(draft, edit, now=now, result=result)
            return "correction", changed.model_copy(update={"verbatim": verbatim})
        if self._is_fact(text, facts, result):
            return "fact", self.editor.merge(base, facts).model_copy(update={"verbatim": verbatim})
        problems = [t.text for t in turns if t.kind == "problem"]
        if (result.wants_intake or states_problem(text)) and not slots.is_vague(text):
            return "problem", self._describe(base, [*problems, text], facts, verbatim=verbatim)
        place = self._place_answer(base, text, result)
        if place is not None:
            facts = facts.model_copy(update={"location": place})
            return "fact", self.editor.merge(base, facts).model_copy(update={"verbatim": verbatim})
        kind = "question" if result.asks_question or result.intent == "consult" else "other"
        return kind, self.editor.merge(base, facts).model_copy(update={"verbatim": verbatim})

    def _describe(self, draft: Ticket, problems: list[str], facts: Ticket, *, verbatim: str) -> Ticket:
        """The description from every problem turn together: one classification of all of them."""
        joined = "。".join(p.rstrip("。！!，, ") for p in problems)
        whole = self.triage.classify(joined)
        merged = self.editor.merge(draft, facts)
        intent = whole.intent if whole.intent in _INTAKE_INTENTS else (
            "complaint" if merged.intent in ("consult", "other") else merged.intent)
        urgency = max(merged.urgency, whole.urgency, key=_URGENCY_ORDER.index)
        return merged.model_copy(update={
            "intent": intent, "urgency": urgency, "verbatim": verbatim,
            "summary": _whole_summary(problems) or merged.summary,
            "category": Category(level1=whole.category.level1, level2=whole.category.level2),
        })

    def _is_fact(self, text: str, facts: Ticket, result: TriageResult) -> bool:
        """A turn that gives a place, a phone, a name or a time and says nothing else about the problem."""
        if result.asks_question or states_problem(text):
            return False
        pieces = [facts.location.raw, facts.occurred_at.raw, facts.contact.name, *find_phones(text)]
        if not any(pieces) and not facts.contact.anonymous:
            return False
        rest = text
        for piece in sorted((p for p in pieces if p), key=len, reverse=True):
            rest = rest.replace(piece, "")
        rest = re.sub(r"[\d\-\s]+", "", rest)
        rest = _FILLER.sub("", rest)
        if facts.contact.anonymous:
            rest = re.sub(r"(匿名|不留|保密|不想|不愿意?|透露|电话|姓名|名字|信息|个人)", "", rest)
        return len(re.sub(r"\W", "", rest)) <= 3

    def _place_answer(self, draft: Ticket, text: str, result: TriageResult) -> Location | None:
        """A short "在学校后门" after the problem was told, which the gazetteer does not know, is still the place."""
        if not draft.summary or not draft.location.is_empty() or result.asks_question:
            return None
        if not _PLACE_LEAD.match(text.strip()):
            return None
        cleaned = _PLACE_LEAD.sub("", text.strip()).strip("，,。 ")
        if not cleaned or len(cleaned) > 30:
            return None
        return Location(raw=cleaned)

    def _suggest(self, db: Session, call_id: str, turn_id: int, text: str,
                 questions: list[str]) -> tuple[list[int], str | None]:
        """Grounded replies for the question in `text`; none (and a note for the agent) when the base has none."""
        asked = question_part(text) or text
        answer = self.answerer.answer(asked, history=questions[-3:] or None, remember=False)
        if not answer.grounded or not answer.citations:
            return [], "知识库中没有可靠依据回答这个问题，请勿凭猜测答复；可登记工单，或请来电人咨询相关部门。"
        row = CallSuggestion(call_id=call_id, turn_id=turn_id, text=answer.answer,
                             citations=[c.model_dump(mode="json") for c in answer.citations])
        db.add(row)
        db.flush()
        return [row.id], None

    # --- the agent's actions -------------------------------------------------------------------
    def reply(self, db: Session, call_id: str, text: str, *, suggestion_id: int | None) -> dict[str, Any]:
        """What the agent said to the caller; from a suggestion, it is used as is or edited."""
        open_call(db, call_id)
        text = text.strip()
        if not text:
            raise BadInput("请输入答复内容。")
        if suggestion_id is not None:
            row = _suggestion(db, call_id, suggestion_id)
            outcome = "used" if _same(text, row.text) else "edited"
            row.outcome, row.final_text, row.decided_at = outcome, text[:4000], utcnow()
        db.add(CallTurn(call_id=call_id, role="agent", text=text[:4000], suggestion_id=suggestion_id))
        db.flush()
        return view(db, open_call(db, call_id))

    def discard(self, db: Session, call_id: str, suggestion_id: int) -> dict[str, Any]:
        """The agent does not use a suggestion."""
        call = open_call(db, call_id)
        row = _suggestion(db, call_id, suggestion_id)
        row.outcome, row.decided_at = "discarded", utcnow()
        db.flush()
        return view(db, call)

    def submit(self, db: Session, call_id: str, edited: dict[str, Any], *, actor: str) -> dict[str, Any]:
        """The agent's edited draft as a ticket, through the same path as chat; the call ends with it."""
        call = open_call(db, call_id)
        if not call.draft:
            raise BadInput("还没有记录来电内容，无法提交工单。")
        ticket = self._edited(Ticket.model_validate(call.draft), edited)
        row = submit_ticket(db, ticket, session_id=None, actor=actor)
        call.status, call.ticket_no = "submitted", row.ticket_no
        call.draft = ticket.model_dump(mode="json")
        call.caller_phone = ticket.contact.phone
        _settle(db, call_id)
        assignment = assignment_of(db, row)
        return {"ticket_no": row.ticket_no, "status": row.status,
                "unit": assignment.unit_name if assignment else None}

    def close(self, db: Session, call_id: str) -> dict[str, Any]:
        """End the call without a ticket; suggestions not decided count as discarded."""
        call = open_call(db, call_id)
        call.status = "closed"
        _settle(db, call_id)
        return view(db, call)

    def _edited(self, draft: Ticket, edited: dict[str, Any]) -> Ticket:
        """The stored draft with the agent's edits (in the call-assist draft shape), checked."""
        taxonomy = self.triage.taxonomy
        update: dict[str, Any] = {"channel": "agent"}
        if "summary" in edited:
            summary = str(edited.get("summary") or "").strip()
            update["summary"] = summary[:200] or None
        if "intent" in edited and edited["intent"]:
            if edited["intent"] not in ("help", "complaint", "report", "suggestion", "praise", "consult", "other"):
                raise BadInput("诉求类型不正确。")
            update["intent"] = edited["intent"]
        if "urgency" in edited and edited["urgency"]:
            if edited["urgency"] not in _URGENCY_ORDER:
                raise BadInput("紧急程度不正确。")
            update["urgency"] = edited["urgency"]
        category = edited.get("category")
        if isinstance(category, dict) and category.get("level1"):
            level1, level2 = category["level1"], category.get("level2") or None
            if taxonomy.level1(level1) is None:
                raise BadInput(f"没有这个一级分类：{level1}")
            if level2 is not None and level2 not in taxonomy.level2_names(level1):
                raise BadInput(f"“{level1}”下没有二级分类：{level2}")
            update["category"] = Category(level1=level1, level2=level2)
        location = edited.get("location")
        if isinstance(location, dict):
            update["location"] = self._edited_place(draft.location, location)
        if "occurred_at" in edited:
            raw = str(edited.get("occurred_at") or "").strip()[:60]
            if raw != (draft.occurred_at.raw or ""):
                when = find_time(raw, now=utcnow().astimezone(BEIJING)) if raw else None
                update["occurred_at"] = OccurredAt(raw=raw or None, start=when.start if when else None,
                                                   recurrence=when.recurrence if when else None)
        contact = draft.contact
        if "contact_phone" in edited:
            phone = str(edited.get("contact_phone") or "").strip()
            if phone:
                found = find_phones(phone)
                if not found:
                    raise BadInput("联系电话格式不正确。")
                contact = contact.model_copy(update={"phone": found[0], "anonymous": False})
            else:
                contact = contact.model_copy(update={"phone": None})
        if "contact_name" in edited:
            contact = contact.model_copy(update={"name": str(edited.get("contact_name") or "").strip()[:20] or None})
        update["contact"] = contact
        ticket = draft.model_copy(update=update)
        if not ticket.summary:
            raise BadInput("请填写诉求摘要。")
        if ticket.category is None:
            raise BadInput("请选择诉求分类。")
        return ticket

    def _edited_place(self, old: Location, new: dict[str, Any]) -> Location:
        """The place as the agent left it: a changed address line is read again for its district and street."""
        raw = str(new.get("raw") or "").strip()[:100] or None
        district = str(new.get("district") or "").strip() or None
        street = str(new.get("street") or "").strip() or None
        if raw == old.raw and district == old.district and street == old.street:
            return old
        found = find_location(raw, gazetteer=self.gazetteer) if raw else None
        if raw != old.raw and found is not None:
            district = district if district != old.district else (found.district or district)
            street = street if street != old.street else (found.street or street)
        if district is not None and self.gazetteer.normalise_district(district) is None:
            raise BadInput(f"没有这个区：{district}")
        return Location(raw=raw, district=self.gazetteer.normalise_district(district) if district else None,
                        street=street, community=found.community if found else old.community,
                        landmark=found.landmark if found else old.landmark)


# --- reading calls ---------------------------------------------------------------------------------
def open_call(db: Session, call_id: str) -> AgentCall:
    """The call, locked for this turn; 404 when unknown, 409 once it has ended."""
    call = db.get(AgentCall, call_id, with_for_update=True)
    if call is None:
        raise NotFound("没有这通电话的记录。")
    if call.status != "open":
        raise Conflict("这通电话已结束" + (f"，已登记工单 {call.ticket_no}。" if call.ticket_no else "。"))
    return call


def find_call(db: Session, call_id: str) -> AgentCall:
    """The call, open or ended; 404 when unknown."""
    call = db.get(AgentCall, call_id)
    if call is None:
        raise NotFound("没有这通电话的记录。")
    return call


def caller_turns(db: Session, call_id: str) -> list[CallTurn]:
    """The caller's turns so far, in order."""
    return list(db.scalars(select(CallTurn).where(CallTurn.call_id == call_id, CallTurn.role == "caller")
                           .order_by(CallTurn.id)))


def draft_view(draft: Ticket | None) -> dict[str, Any] | None:
    """The draft in the call-assist shape (shared/CONTRACTS.md, "Agent desk")."""
    if draft is None:
        return None
    loc = draft.location
    start = draft.occurred_at.start
    return {
        "intent": draft.intent,
        "category": draft.category.model_dump() if draft.category else None,
        "urgency": draft.urgency,
        "location": {"raw": loc.raw, "district": loc.district, "street": loc.street},
        "occurred_at": draft.occurred_at.raw,
        "occurred_start": start.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if start else None,
        "contact_phone": draft.contact.phone,
        "contact_name": draft.contact.name,
        "anonymous": draft.contact.anonymous,
        "summary": draft.summary,
        "missing": slots.missing_slots(draft, described=bool(draft.summary)),
    }


def caller_tickets(db: Session, phone: str | None, *, limit: int = MAX_CALLER_TICKETS) -> list[dict[str, Any]]:
    """The caller's earlier tickets, newest first: the same phone number on the ticket."""
    if not phone or len(phone) < 4:
        return []
    rows = db.scalars(select(TicketRow).where(TicketRow.phone_last4 == phone[-4:])
                      .order_by(TicketRow.created_at.desc(), TicketRow.id.desc()).limit(200))
    out = []
    for row in rows:
        if ((row.payload or {}).get("contact") or {}).get("phone") != phone:
            continue
        assignment = assignment_of(db, row)
        out.append({"ticket_no": row.ticket_no, "status": row.status,
                    "status_label": STATUS_LABELS.get(row.status, row.status), "summary": row.summary,
                    "category": {"level1": row.category_l1, "level2": row.category_l2},
                    "unit": assignment.unit_name if assignment else None, "created_at": iso(row.created_at)})
        if len(out) >= limit:
            break
    return out


def view(db: Session, call: AgentCall) -> dict[str, Any]:
    """Everything the page shows of a call: turns, draft, suggestions with outcomes, earlier tickets."""
    draft = Ticket.model_validate(call.draft) if call.draft else None
    turns = db.scalars(select(CallTurn).where(CallTurn.call_id == call.call_id).order_by(CallTurn.id))
    suggestions = db.scalars(select(CallSuggestion).where(CallSuggestion.call_id == call.call_id)
                             .order_by(CallSuggestion.id))
    return {
        "call_id": call.call_id, "status": call.status, "agent": call.agent, "ticket_no": call.ticket_no,
        "created_at": iso(call.created_at),
        "turns": [{"id": t.id, "role": t.role, "kind": t.kind, "text": t.text, "created_at": iso(t.created_at)}
                  for t in turns],
        "draft": draft_view(draft),
        "suggestions": [{"id": s.id, "turn_id": s.turn_id, "text": s.text, "citations": s.citations,
                         "outcome": s.outcome} for s in suggestions],
        "caller_tickets": caller_tickets(db, call.caller_phone) if call.status == "open" else [],
    }


def suggestion_rates(db: Session, *, since: datetime | None = None) -> dict[str, Any]:
    """How agents used the suggestions: counts and shares of used as is, edited and discarded."""
    query = select(CallSuggestion.outcome, func.count()).group_by(CallSuggestion.outcome)
    if since is not None:
        query = query.where(CallSuggestion.created_at >= since)
    counts = {outcome or "pending": n for outcome, n in db.execute(query)}
    decided = sum(counts.get(o, 0) for o in OUTCOMES)
    return {
        "total": decided + counts.get("pending", 0), "decided": decided, "pending": counts.get("pending", 0),
        **{o: counts.get(o, 0) for o in OUTCOMES},
        "rates": {o: round(counts.get(o, 0) / decided, 4) if decided else None for o in OUTCOMES},
    }


def _whole_summary(problems: list[str], *, limit: int = 100) -> str | None:
    """One neutral summary of every problem turn: each turn's own summary sentence, joined in order ("我想投诉
    小区物业" and then "他们把消防通道占了" are both the case), without repeats."""
    parts: list[str] = []
    for text in problems:
        one = neutral_summary(_GREETING.sub("", text.strip()) or text)
        part = one.removeprefix("市民反映：").rstrip("。") if one else ""
        if part and not any(part in p for p in parts):
            parts.append(part)
    if not parts:
        return None
    body = "，".join(parts)
    if len(body) > limit:
        body = body[:limit].rstrip("，,、；; ") + "等问题"
    return f"市民反映：{body}。"


def _suggestion(db: Session, call_id: str, suggestion_id: int) -> CallSuggestion:
    row = db.get(CallSuggestion, suggestion_id)
    if row is None or row.call_id != call_id:
        raise NotFound("没有这条建议。")
    return row


def _settle(db: Session, call_id: str) -> None:
    """At the end of a call, suggestions the agent never used are discarded."""
    now = utcnow()
    for row in db.scalars(select(CallSuggestion).where(CallSuggestion.call_id == call_id,
                                                       CallSuggestion.outcome.is_(None))):
        row.outcome, row.decided_at = "discarded", now


def _same(said: str, suggested: str) -> bool:
    """The agent's reply is the suggestion as is (whitespace aside)."""
    return re.sub(r"\s", "", said) == re.sub(r"\s", "", suggested)
