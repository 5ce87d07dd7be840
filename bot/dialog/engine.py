"""One turn of one session, for every channel: triage once, then answer, edit the draft, follow up a ticket,
or hand the session to a person; emergencies first, and silence while an agent holds the session."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import metrics
from bot.answer.question import question_part
from bot.answer.types import AnswerResult
from bot.dialog import followup, handoff, render, slots
from bot.dialog.acts import ActDetector, ActScores
from bot.dialog.alerts import record_alert
from bot.dialog.draft import DraftEditor, has_field, is_detail, is_firm_place, read_edit, refers_back
from bot.dialog.replies import R
from bot.dialog.sessions import SessionLocks, ensure_session
from bot.dialog.state import SessionState
from bot.dialog.tracking import attach_to_latest
from bot.intake.contact import find_phones
from bot.intake.extract import Extractor
from bot.models import Reply, Turn
from bot.pii import mask, mask_id_numbers
from bot.store.db import session_scope, utcnow
from bot.store.tables import ChatMessage, ChatSession
from bot.textkit import CJK, has_cjk, is_emoji_only
from bot.thresholds import threshold
from bot.tickets.models import Location, Ticket
from bot.tickets.service import submit_ticket
from bot.triage.emergency import emergency_reply
from bot.triage.intent import states_problem
from bot.triage.service import Triage, TriageResult

log = logging.getLogger(__name__)

WELCOME = R.text("welcome")
MAX_PARKED = 3
MISSES_BEFORE_HANDOFF = 2
# A new matter is named in a few characters ("房东不退押金"); fewer is an answer or a fragment.
SWITCH_MIN_CHARS = 5


class AnswererLike(Protocol):
    """The answering service's seam."""

    def answer(self, question: str, *, history: list[str] | None = None,
               session_id: str | None = None) -> AnswerResult: ...


class Dialog:
    """The conversation engine; every collaborator is passed in."""

    def __init__(self, *, db_url: str, triage: Triage, extractor: Extractor,
                 answerer: AnswererLike | Callable[[], AnswererLike] | None = None,
                 max_message_chars: int = 5000, acts: ActDetector | None = None,
                 acts_cache_dir: Path | None = None) -> None:
        self.db_url = db_url
        self.triage = triage
        self.extractor = extractor
        self.editor = DraftEditor(extractor=extractor)
        self._answerer = answerer
        self._acts = acts
        self.acts_cache_dir = acts_cache_dir
        self.max_message_chars = max_message_chars
        self.locks = SessionLocks()

    @property
    def answerer(self) -> AnswererLike | None:
        """The answerer, built on first use when a factory was given (the knowledge base is heavy)."""
        if self._answerer is not None and not hasattr(self._answerer, "answer"):
            self._answerer = self._answerer()  # type: ignore[operator]
        return self._answerer  # type: ignore[return-value]

    @property
    def acts(self) -> ActDetector:
        """Handoff and frustration detection, on the triage's embedder (built on first use, or loaded from the
        fit cache in `acts_cache_dir`)."""
        if self._acts is None:
            self._acts = ActDetector(embedder=self.triage.classifier.embedder, cache_dir=self.acts_cache_dir)
        return self._acts

    # --- the turn ------------------------------------------------------------------------------
    def handle(self, turn: Turn) -> Reply:
        """Process one citizen turn and say what comes next; one session's turns run one at a time."""
        with metrics.observe_turn(turn.channel or "unknown") as outcome:
            reply = self._handle(turn)
            outcome.update(intent=reply.intent or "none", emergency=reply.emergency)
        return reply

    def _handle(self, turn: Turn) -> Reply:
        """One turn, holding the session's lock in this process and its row lock in the database."""
        text = mask_id_numbers((turn.text or "").strip())
        now = (turn.received_at or utcnow()).astimezone(render.BEIJING)
        with self.locks.hold(turn.session_id):
            ensure_session(self.db_url, turn.session_id, channel=turn.channel)
            with session_scope(self.db_url) as db:
                # The row lock serialises the session's turns across server processes too (PostgreSQL; SQLite
                # has one writer, and the lock above covers this process).
                chat = db.get(ChatSession, turn.session_id, with_for_update=True)
                assert chat is not None
                state = SessionState.load(chat.state)
                held = handoff.open_request(db, turn.session_id)
                if held is not None and held.status == "with_agent":
                    reply = self._with_agent(db, turn, text, state)
                else:
                    reply = self._turn(db, turn, text, now, state)
                if text:
                    db.add(ChatMessage(session_id=turn.session_id, role="citizen",
                                       text=text[:self.max_message_chars]))
                chat.state = state.dump()
                if reply.reply:
                    db.add(ChatMessage(session_id=turn.session_id, role="bot", text=reply.reply, intent=reply.intent))
                db.flush()
                last = db.scalar(select(func.max(ChatMessage.id)).where(ChatMessage.session_id == turn.session_id))
                return reply.model_copy(update={"handoff": handoff.info(db, turn.session_id), "seq": last})

    def _with_agent(self, db: Session, turn: Turn, text: str, state: SessionState) -> Reply:
        """An agent holds the session: the bot stays silent (only an emergency still gets its instruction)."""
        hit = self.triage.emergency(text) if text else None
        if hit is not None:
            return self._emergency(db, turn, text, state, hit)
        self._channel_facts(db, turn, state)
        return Reply(reply="", awaiting=state.awaiting)

    def _turn(self, db: Session, turn: Turn, text: str, now: datetime, state: SessionState) -> Reply:
        extra = self._channel_facts(db, turn, state)
        if not text:
            return extra if extra is not None else Reply(reply=R.text("empty"), awaiting=state.awaiting)
        if len(text) > self.max_message_chars:
            return Reply(reply=R.text("too_long", length=len(text), limit=self.max_message_chars),
                         awaiting=state.awaiting)
        hit = self.triage.emergency(text)
        if hit is not None and len(text) < threshold("emergency.letter_chars"):
            return self._emergency(db, turn, text, state, hit)
        if hit is None:
            return self._understood(db, turn, text, now, state)
        # A long letter: a citizen in danger rarely writes one, so a false alarm must not swallow it. The
        # instruction leads, and the letter is still taken as a request.
        alarm = self._emergency(db, turn, text, state, hit, draft_note=False)
        rest = self._understood(db, turn, text, now, state)
        return rest.model_copy(update={"reply": f"{alarm.reply}\n\n{R.text('emergency_letter_taken')}\n{rest.reply}",
                                       "emergency": True})

    def _understood(self, db: Session, turn: Turn, text: str, now: datetime, state: SessionState) -> Reply:
        """The turn once safety is settled: a side step, a draft's next fact, a new request or a question."""
        if is_emoji_only(text):
            return Reply(reply=R.text("emoji"), awaiting=state.awaiting)
        if not has_cjk(text) and re.search(r"[A-Za-z]{2,}", text):
            return Reply(reply=R.text("not_chinese"), intent="other", awaiting=state.awaiting)
        result = self.triage.classify(text)  # the one classification of this turn
        if result.injection:
            return Reply(reply=R.text("injection") + (f"\n{self._ask_text(state)}" if state.awaiting else ""),
                         intent="other", awaiting=state.awaiting)
        sid = turn.session_id
        if slots.is_cancel(text) and state.draft is None and handoff.withdraw(db, sid):
            return Reply(reply=R.text("handoff_withdrawn"), intent="other")
        # Asking after an earlier request by its number or its matter ("我之前投诉噪音那个事有人管了吗") is a status
        # question, never a verdict ("解决了没有") nor a new request, whatever the learnt acts make of it.
        progress = followup.asks_progress(text)
        # A rating of a resolved ticket ("很满意，给5分") is read before anything else the words might suggest.
        waiting = followup.rateable(db, sid, text) if state.draft is None and not progress else None
        if waiting is not None and (early := followup.read_rating(text)) is not None:
            return Reply(reply=followup.rate_reply(db, sid, text, early), intent="other")
        acts = self.acts.scores(text)
        # A correction of the draft ("电话改一下，186…") is never taken for a learnt act that resembles it.
        correcting = state.draft is not None and (read_edit(text) is not None or bool(find_phones(text)))
        # A status question or, mid-draft, a plain cancel ("不要了") outranks the learnt handoff unless a person is named.
        side_step = progress or (state.draft is not None and slots.is_cancel(text))
        if acts.handoff > 0 and not correcting and not (side_step and not followup.PERSON.search(text)):
            return self._hand_off(db, turn, state, now, reason="citizen_asked")
        # A verdict in other words ("这也叫办结？", "办得漂亮") while a resolved ticket waits for its rating.
        if waiting is not None and (verdict := followup.learnt_rating(text, acts)) is not None:
            return Reply(reply=followup.rate_reply(db, sid, text, verdict), intent="other")
        if acts.upset > 0 and not result.wants_intake and not self._answers_the_slot(state, text, result):
            return self._hand_off(db, turn, state, now, reason="upset")
        confirming = state.awaiting == "confirmation" and slots.is_yes(text)
        rating = followup.read_rating(text)
        # A rating is meant when a ticket waits for one, or when a short "满意" follows a ticket of this session.
        rating_meant = rating is not None and not progress and (followup.rateable(db, sid, text) is not None or (
            bool(state.tickets) and state.draft is None and len(text) <= 12))
        if not confirming and (rating_meant or (followup.wants_to_rate(text) and state.draft is None and not progress)):
            return self._after_side_step(state, followup.rate_reply(db, sid, text, rating), intent="other")
        # A status question in words the triage rules do not know ("我之前反映的那个问题现在处理到哪一步了");
        # a message that states a problem ("路灯坏了一个星期") is a new request, whatever it resembles.
        status = progress or result.intent == "status_query" or (
            acts.status > 0 and result.intent != "praise" and not states_problem(text))
        if state.draft is not None:
            if slots.is_cancel(text) or (acts.cancel > max(acts.status, 0) and not correcting and not progress
                                         and not self._answers_the_slot(state, text, result)):
                return self._cancel(state)
            # The triage's status rule is explicit; the learnt act yields to a reply that fills the slot.
            if status and (result.intent == "status_query" or progress
                           or not self._answers_the_slot(state, text, result)):
                return self._after_side_step(state, followup.progress_reply(db, sid, text), intent="status_query")
            return self._continue_draft(db, turn, text, now, state, result, acts)
        if status:
            return Reply(reply=followup.progress_reply(db, sid, text), intent="status_query")
        if followup.wants_to_add(text) and state.tickets:
            return Reply(reply=followup.add_info_reply(db, sid, text), intent="other")
        if result.intent == "other":
            return Reply(reply=WELCOME, intent="other")
        if result.wants_intake:
            answer = self._answer(db, question_part(text), state, turn) if result.asks_question else None
            return self._start_draft(turn, text, now, state, result, answer=answer)
        if slots.is_cancel(text):
            return Reply(reply=R.text("no_draft_to_cancel"), intent="other")
        return self._consult(db, text, state, turn, now)

    def _answers_the_slot(self, state: SessionState, text: str, result: TriageResult) -> bool:
        """Whether the text is plainly the awaited fact (an address, a phone), whatever its tone."""
        if state.draft is None or state.awaiting is None:
            return False
        return read_edit(text) is not None or bool(self._fill(state.draft, state.awaiting, text, utcnow(), result))

    def _after_side_step(self, state: SessionState, body: str, *, intent: str) -> Reply:
        """A reply to something beside the draft, followed by the draft's pending question."""
        if state.draft is None:
            return Reply(reply=body, intent=intent)  # type: ignore[arg-type]
        return Reply(reply=f"{body}\n\n{self._ask_text(state)}", intent=intent, awaiting=state.awaiting,  # type: ignore[arg-type]
                     ticket=render.public_ticket(state.draft, status="draft"))

    # --- a person ------------------------------------------------------------------------------
    def _hand_off(self, db: Session, turn: Turn, state: SessionState, now: datetime, *, reason: str,
                  lead: str = "") -> Reply:
        row, new = handoff.request(db, turn.session_id, channel=turn.channel, reason=reason)
        state.misses = 0
        opening = {"upset": R.text("handoff_auto_upset"), "unanswered": R.text("handoff_auto_unanswered")}.get(
            reason if new else "", "")
        body = lead + opening + handoff.queued_text(db, row, now=now, new=new)
        if state.draft is not None:
            body += "\n" + R.text("handoff_draft_kept")
        return Reply(reply=body, intent="other", awaiting=state.awaiting,
                     ticket=render.public_ticket(state.draft, status="draft") if state.draft else None)

    # --- consult -------------------------------------------------------------------------------
    def _answer(self, db: Session, text: str, state: SessionState, turn: Turn) -> AnswerResult | None:
        answerer = self.answerer
        if answerer is None:
            return None
        # The answerer opens its own transaction; give this one's connection back first, so concurrent
        # turns never hold one pooled connection each while waiting for a second.
        db.commit()
        result = answerer.answer(text, history=list(state.questions), session_id=turn.session_id)
        state.remember_question(text)
        return result

    def _consult(self, db: Session, text: str, state: SessionState, turn: Turn, now: datetime) -> Reply:
        answer = self._answer(db, text, state, turn)
        if answer is None:
            return Reply(reply=R.text("consult_unavailable"), intent="consult", grounded=False)
        state.misses = 0 if answer.grounded else state.misses + 1
        reply = Reply(reply=answer.answer, intent="consult", citations=answer.citations, grounded=answer.grounded)
        if state.misses >= MISSES_BEFORE_HANDOFF:
            queued = self._hand_off(db, turn, state, now, reason="unanswered", lead=f"{answer.answer}\n\n")
            reply = reply.model_copy(update={"reply": queued.reply})
        return reply

    # --- intake --------------------------------------------------------------------------------
    def _start_draft(self, turn: Turn, text: str, now: datetime, state: SessionState, result: TriageResult, *,
                     answer: AnswerResult | None, prefix: str = "") -> Reply:
        draft = self.extractor.extract(text, now=now, triage=result, channel=turn.channel)
        if slots.is_vague(text):
            draft = draft.model_copy(update={"summary": None, "verbatim": ""})
        if state.pending_location is not None:
            draft = draft.model_copy(update={"location": _merge_location(draft.location, state.pending_location)})
            state.pending_location = None
        state.draft = draft
        lead = prefix + (R.text("urgent_prefix") if draft.urgency == "urgent" else "")
        reply = self._next_step(state, prefix=lead)
        if answer is not None:
            reply = reply.model_copy(update={
                "reply": R.text("intake_after_answer", answer=answer.answer, next=reply.reply),
                "citations": answer.citations, "grounded": answer.grounded})
        return reply

    def _continue_draft(self, db: Session, turn: Turn, text: str, now: datetime, state: SessionState,
                        result: TriageResult, acts: ActScores) -> Reply:
        draft = state.draft
        assert draft is not None
        if state.awaiting == "confirmation" and slots.is_yes(text):
            return self._submit(db, turn, state)
        edit = read_edit(text)
        if edit is not None and (edit.marked or has_field(draft, edit.field)):
            state.draft = self.editor.apply(draft, edit, now=now, result=result)
            return self._next_step(state, prefix=R.text("updated_prefix"))
        if (is_detail(text) or acts.detail > 0) and draft.summary:
            state.draft = self._add_detail(draft, text, now=now, result=result)
            return self._next_step(state, prefix=R.text("detail_added"))
        if result.asks_question and not result.wants_intake:
            return self._side_question(db, text, state, turn)
        filled = self._fill(draft, state.awaiting, text, now, result)
        # A new matter may carry a time of its own ("停水两天了"); only a new place or contact makes it a correction.
        if (filled is None or not _changed_contact_or_place(draft, filled)) and self._switches_topic(
                draft, text, result, acts):
            state.parked = [*state.parked, draft][-MAX_PARKED:]
            state.draft, state.awaiting = None, None
            return self._start_draft(turn, text, now, state, result, answer=None,
                                     prefix=R.text("parked", summary=_short(draft)) + "\n")
        if filled is None:
            if (result.wants_intake or refers_back(text)) and draft.summary and not slots.is_vague(text):
                state.draft = self._add_detail(draft, text, now=now, result=result)
                return self._next_step(state, prefix=R.text("detail_added"))
            return Reply(reply=R.text("not_understood") + self._ask_text(state), intent=draft.intent,
                         awaiting=state.awaiting, ticket=render.public_ticket(draft, status="draft"))
        # At the read-back every fact given again corrects what was read back: say so.
        corrected = state.awaiting == "confirmation"
        state.draft = filled
        return self._next_step(state, prefix=R.text("updated_prefix") if corrected else "")

    def _add_detail(self, draft: Ticket, text: str, *, now: datetime, result: TriageResult) -> Ticket:
        facts = self.editor.facts(text, now=now, result=result, channel=draft.channel)
        return self.editor.merge(self.editor.describe(draft, text, result=result), facts)

    def _switches_topic(self, draft: Ticket, text: str, result: TriageResult, acts: ActScores) -> bool:
        """A new, different request in the middle of a draft (not an answer, not a detail of this one): said so
        ("先不说这个了，……"), or a problem of another category that does not point back at this one."""
        if not result.wants_intake or not draft.summary or slots.is_vague(text):
            return False
        if acts.switch > 0:
            return True
        # (A learnt detail never gets here: `_continue_draft` took it as a detail already.)
        if refers_back(text) or len(CJK.findall(text)) < SWITCH_MIN_CHARS:
            return False
        same = draft.category is not None and draft.category.level1 == result.category.level1
        return not same and result.category.confidence >= threshold("dialog.switch_confidence")

    def _side_question(self, db: Session, text: str, state: SessionState, turn: Turn) -> Reply:
        """A question asked mid-intake: answer it, then ask for the awaited slot again."""
        answer = self._answer(db, text, state, turn)
        body = answer.answer if answer else R.text("side_unanswered")
        return Reply(reply=f"{body}\n\n{self._ask_text(state)}", intent="consult", awaiting=state.awaiting,
                     citations=answer.citations if answer else [], grounded=answer.grounded if answer else None,
                     ticket=render.public_ticket(state.draft, status="draft") if state.draft else None)

    def _fill(self, draft: Ticket, slot: str | None, text: str, now: datetime, result: TriageResult) -> Ticket | None:
        """The draft with the awaited slot filled from `text`, plus any other facts it mentions; None if nothing."""
        facts = self.editor.facts(text, now=now, result=result, channel=draft.channel)
        merged = draft
        if slot == "description" and not slots.is_vague(text):
            merged = self.editor.describe(draft, text, result=result)
        elif slot == "location" and facts.location.is_empty() and (loc := self._place_answer(text, result)):
            facts = facts.model_copy(update={"location": loc})
        elif slot == "contact_phone" and not facts.contact.phone and slots.wants_anonymous(text):
            facts = facts.model_copy(update={"contact": facts.contact.model_copy(update={"anonymous": True})})
        elif slot == "confirmation" and not is_firm_place(facts.location):
            # "他们的排风扇对着小区" names no place of its own: it must not overwrite the address read back.
            facts = facts.model_copy(update={"location": Location()})
        # At the read-back, facts the citizen gives again are corrections of what was read back.
        replace = frozenset({"location", "contact_phone", "occurred_at"}) if slot == "confirmation" else frozenset()
        merged = self.editor.merge(merged, facts.model_copy(update={"attachments": []}), replace=replace)
        return None if merged == draft else merged

    def _place_answer(self, text: str, result: TriageResult) -> Location | None:
        """A short answer to "where?" that the gazetteer does not know ("学校后门") is still the place."""
        cleaned = re.sub(r"^(在|就在|是|地址是|地点是)", "", text.strip()).strip("，,。 ")
        if not cleaned or len(cleaned) > 30 or result.wants_intake or result.asks_question:
            return None
        if not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", cleaned):
            return None
        return Location(raw=cleaned)

    def _next_step(self, state: SessionState, *, prefix: str = "") -> Reply:
        """Ask for the next missing slot, or read the draft back for confirmation."""
        draft = state.draft
        assert draft is not None
        missing = slots.missing_slots(draft, described=bool(draft.summary))
        state.awaiting = missing[0] if missing else "confirmation"
        return Reply(reply=f"{prefix}{self._ask_text(state)}", intent=draft.intent, awaiting=state.awaiting,
                     ticket=render.public_ticket(draft, status="draft"))

    def _ask_text(self, state: SessionState) -> str:
        if state.awaiting == "confirmation" and state.draft is not None:
            return render.read_back(state.draft, taxonomy=self.triage.taxonomy)
        return R.get(f"ask.{state.awaiting}") if state.awaiting else ""

    def _cancel(self, state: SessionState) -> Reply:
        state.draft, state.awaiting = None, None
        reply = Reply(reply=R.text("cancelled"), intent="other")
        return self._resume(state, reply)

    def _resume(self, state: SessionState, reply: Reply) -> Reply:
        """After one draft ends, carry on with a draft set aside earlier, if any."""
        if not state.parked:
            return reply
        state.draft, state.parked = state.parked[-1], state.parked[:-1]
        follow = self._next_step(state, prefix=R.text("resumed", summary=_short(state.draft)) + "\n")
        return follow.model_copy(update={"reply": f"{reply.reply}\n\n{follow.reply}",
                                         "ticket": reply.ticket or follow.ticket})

    def _submit(self, db: Session, turn: Turn, state: SessionState) -> Reply:
        draft = state.draft
        assert draft is not None
        row = submit_ticket(db, draft, session_id=turn.session_id)
        state.tickets = [*state.tickets, row.ticket_no]
        state.draft, state.awaiting = None, None
        log.info("ticket %s submitted for session %s", row.ticket_no, mask(turn.session_id))
        ticket = draft.model_copy(update={"ticket_no": row.ticket_no})
        follow = R.text("submitted_follow_anonymous" if draft.contact.anonymous else "submitted_follow_contact")
        reply = Reply(reply=R.text("submitted", ticket_no=row.ticket_no, follow=follow), intent=draft.intent,
                      ticket=render.public_ticket(ticket, status=row.status))
        resumed = self._resume(state, reply)
        # The submitted ticket stays the reply's ticket, so the page shows its card.
        return resumed.model_copy(update={"ticket": reply.ticket})

    # --- emergencies and channel facts ---------------------------------------------------------
    def _emergency(self, db: Session, turn: Turn, text: str, state: SessionState, hit,  # noqa: ANN001
                   *, draft_note: bool = True) -> Reply:
        record_alert(db, session_id=turn.session_id, channel=turn.channel, hit=hit, text=text)
        state.emergencies += 1
        reply = emergency_reply(hit)
        if state.draft is not None and draft_note:
            reply += R.text("emergency_draft_kept")
        return Reply(reply=reply, intent="emergency", emergency=True, awaiting=None)

    def _channel_facts(self, db: Session, turn: Turn, state: SessionState) -> Reply | None:
        """WeChat locations fill the place; attachments go on the draft or the latest open ticket."""
        notes: list[str] = []
        if turn.location is not None and not turn.location.is_empty():
            if state.draft is not None:
                state.draft = state.draft.model_copy(update={"location": _merge_location(state.draft.location,
                                                                                         turn.location)})
                notes.append(R.text("location_received"))
            else:
                state.pending_location = turn.location
                notes.append(R.text("location_received_no_draft"))
        if turn.attachments:
            if state.draft is not None:
                state.draft = state.draft.model_copy(update={"attachments": [*state.draft.attachments,
                                                                             *turn.attachments]})
                notes.append(R.text("attachments_added", count=len(turn.attachments)))
            else:
                ticket_no = attach_to_latest(db, turn.session_id, turn.attachments)
                notes.append(R.text("attachments_to_ticket", ticket_no=ticket_no) if ticket_no
                             else R.text("attachments_no_ticket"))
        if not notes:
            return None
        if state.draft is not None and state.awaiting in ("location", "confirmation", None):
            follow = self._next_step(state)
            return follow.model_copy(update={"reply": "".join(notes) + follow.reply})
        return Reply(reply="".join(notes) + (self._ask_text(state) if state.awaiting else ""), awaiting=state.awaiting)


def _merge_location(current: Location, shared: Location) -> Location:
    """The channel's coordinates and label on top of whatever the citizen typed."""
    return current.model_copy(update={k: v for k, v in shared.model_dump().items() if v is not None})


def _changed_contact_or_place(draft: Ticket, filled: Ticket) -> bool:
    return filled.location != draft.location or filled.contact != draft.contact


def _short(draft: Ticket) -> str:
    text = (draft.summary or draft.verbatim or "").removeprefix("市民反映：").rstrip("。")
    return text[:24] + ("…" if len(text) > 24 else "")
