"""One turn of one session: triage, answer, slot filling, read-back, confirm/cancel, emergencies."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from bot.answer.question import question_part
from bot.answer.types import AnswerResult
from bot.dialog import render, slots, tracking
from bot.dialog.state import SessionState
from bot.dialog.tables import EmergencyAlert
from bot.intake.extract import Extractor
from bot.intake.text_facts import neutral_summary
from bot.models import Reply, Turn
from bot.pii import mask, mask_id_numbers
from bot.store.db import session_scope, utcnow
from bot.store.tables import ChatMessage, ChatSession
from bot.tickets.models import Category, Location, OccurredAt, Ticket
from bot.tickets.service import submit_ticket
from bot.triage.emergency import emergency_reply
from bot.triage.service import Triage, TriageResult
from bot.triage.text import has_cjk, is_emoji_only

log = logging.getLogger(__name__)

WELCOME = ("您好，这里是12345市民服务热线智能助手。您可以直接咨询政策和办事流程，"
           "也可以反映问题、提出投诉建议，我会帮您登记成工单并转交承办单位。")
NOT_CHINESE = ("目前智能助手仅支持中文。请用中文描述您的问题；如需外语服务，请拨打 12345 热线转外语坐席。"
               "Sorry, this assistant currently works in Chinese only; for help in other languages please call 12345.")
INJECTION = ("我只能为您解答政策问题、登记您本人的诉求，分类由系统按问题内容确定，"
             "也无法提供其他市民的工单或个人信息。请直接描述您遇到的问题。")


class AnswererLike(Protocol):
    """The answering service's seam."""

    def answer(self, question: str, *, history: list[str] | None = None,
               session_id: str | None = None) -> AnswerResult: ...


class Dialog:
    """The conversation engine; every collaborator is passed in."""

    def __init__(self, *, db_url: str, triage: Triage, extractor: Extractor,
                 answerer: AnswererLike | Callable[[], AnswererLike] | None = None,
                 max_message_chars: int = 5000) -> None:
        self.db_url = db_url
        self.triage = triage
        self.extractor = extractor
        self._answerer = answerer
        self.max_message_chars = max_message_chars

    @property
    def answerer(self) -> AnswererLike | None:
        """The answerer, built on first use when a factory was given (the knowledge base is heavy)."""
        if self._answerer is not None and not hasattr(self._answerer, "answer"):
            self._answerer = self._answerer()  # type: ignore[operator]
        return self._answerer  # type: ignore[return-value]

    # --- the turn ------------------------------------------------------------------------------
    def handle(self, turn: Turn) -> Reply:
        """Process one citizen turn and say what comes next."""
        text = mask_id_numbers((turn.text or "").strip())
        now = (turn.received_at or utcnow()).astimezone(render.BEIJING)
        with session_scope(self.db_url) as db:
            chat = db.get(ChatSession, turn.session_id)
            state = SessionState.load(chat.state if chat is not None else {})
            # The turn runs before this transaction writes anything: SQLite has one writer, and the
            # answerer records unanswered questions in a transaction of its own.
            reply = self._turn(db, turn, text, now, state)
            if chat is None:
                chat = ChatSession(session_id=turn.session_id, channel=turn.channel, state={})
                db.add(chat)
                db.flush()  # the messages below reference the session row
            if text:
                db.add(ChatMessage(session_id=turn.session_id, role="citizen", text=text[:self.max_message_chars]))
            chat.state = state.dump()
            db.add(ChatMessage(session_id=turn.session_id, role="bot", text=reply.reply, intent=reply.intent))
        return reply

    def _turn(self, db: Session, turn: Turn, text: str, now: datetime, state: SessionState) -> Reply:
        extra = self._channel_facts(db, turn, state)
        if not text:
            if extra is not None:
                return extra
            return Reply(reply="请输入您要咨询或反映的问题。", awaiting=state.awaiting)
        if len(text) > self.max_message_chars:
            return Reply(reply=f"您的消息过长（{len(text)} 字），请精简到 {self.max_message_chars} 字以内，或分几次发送。",
                         awaiting=state.awaiting)
        hit = self.triage.emergency(text)
        if hit is not None:
            return self._emergency(db, turn, text, state, hit)
        if is_emoji_only(text):
            return Reply(reply="收到您的表情。请用文字描述您要咨询或反映的问题，我来帮您处理。", awaiting=state.awaiting)
        if not has_cjk(text) and re.search(r"[A-Za-z]{2,}", text):
            return Reply(reply=NOT_CHINESE, intent="other", awaiting=state.awaiting)
        result = self.triage.classify(text)
        if result.injection:
            return Reply(reply=INJECTION + (f"\n{self._ask_text(state)}" if state.awaiting else ""),
                         intent="other", awaiting=state.awaiting)
        if state.draft is not None:
            if slots.is_cancel(text):
                state.draft, state.awaiting = None, None
                return Reply(reply="好的，已取消本次登记，没有提交工单。如有其他问题，欢迎随时告诉我。", intent="other")
            return self._continue_draft(db, turn, text, now, state, result)
        if result.intent == "status_query":
            return Reply(reply=tracking.status_reply(db, turn.session_id, text), intent="status_query")
        if result.intent == "other":
            return Reply(reply=WELCOME, intent="other")
        if result.wants_intake:
            answer = self._answer(question_part(text), state, turn) if result.asks_question else None
            return self._start_draft(db, turn, text, now, state, result, answer=answer)
        if slots.is_cancel(text):
            return Reply(reply="好的。当前没有正在登记的诉求，如有需要随时告诉我。", intent="other")
        return self._consult(text, state, turn, result)

    # --- consult -------------------------------------------------------------------------------
    def _answer(self, text: str, state: SessionState, turn: Turn) -> AnswerResult | None:
        answerer = self.answerer
        if answerer is None:
            return None
        result = answerer.answer(text, history=list(state.questions), session_id=turn.session_id)
        state.remember_question(text)
        return result

    def _consult(self, text: str, state: SessionState, turn: Turn, result: TriageResult) -> Reply:
        answer = self._answer(text, state, turn)
        if answer is None:
            return Reply(reply="抱歉，政策咨询服务暂时不可用。您可以拨打 12345 热线咨询，或直接描述需要反映的问题，我帮您登记。",
                         intent="consult", grounded=False)
        return Reply(reply=answer.answer, intent="consult", citations=answer.citations, grounded=answer.grounded)

    # --- intake --------------------------------------------------------------------------------
    def _start_draft(self, db: Session, turn: Turn, text: str, now: datetime, state: SessionState,
                     result: TriageResult, *, answer: AnswerResult | None) -> Reply:
        draft = self.extractor.extract(text, now=now, triage=result, channel=turn.channel)
        if slots.is_vague(text):
            draft = draft.model_copy(update={"summary": None, "verbatim": ""})
        if state.pending_location is not None:
            draft = draft.model_copy(update={"location": _merge_location(draft.location, state.pending_location)})
            state.pending_location = None
        state.draft = draft
        reply = self._next_step(state, prefix="您反映的情况比较紧急，已标注为加急。" if draft.urgency == "urgent" else "")
        if answer is not None:
            reply = reply.model_copy(update={
                "reply": f"{answer.answer}\n\n另外，您反映的问题我来帮您登记。{reply.reply}",
                "citations": answer.citations, "grounded": answer.grounded})
        return reply

    def _continue_draft(self, db: Session, turn: Turn, text: str, now: datetime, state: SessionState,
                        result: TriageResult) -> Reply:
        draft = state.draft
        assert draft is not None
        if state.awaiting == "confirmation":
            if slots.is_yes(text):
                return self._submit(db, turn, state)
            fix = slots.correction(text)
            if fix is None and result.asks_question and not result.wants_intake:
                return self._side_question(text, state, turn)
            if fix is not None or not slots.is_yes(text):
                draft = self._apply_correction(draft, fix, text, now)
                state.draft = draft
                return self._next_step(state, prefix="已为您更新。")
        fix = slots.correction(text)
        if fix is not None and fix.slot is not None and fix.slot != state.awaiting:
            state.draft = self._apply_correction(draft, fix, text, now)
            return self._next_step(state, prefix="已为您更新。")
        filled = self._fill(draft, state.awaiting, text, now)
        if filled is None:
            if result.asks_question and not result.wants_intake:
                return self._side_question(text, state, turn)
            return Reply(reply=f"抱歉，我没有识别出来。{self._ask_text(state)}", intent=draft.intent,
                         awaiting=state.awaiting, ticket=render.public_ticket(draft, status="draft"))
        state.draft = filled
        return self._next_step(state)

    def _side_question(self, text: str, state: SessionState, turn: Turn) -> Reply:
        """A question asked mid-intake: answer it, then ask for the awaited slot again."""
        answer = self._answer(text, state, turn)
        body = answer.answer if answer else "这个问题我暂时无法解答。"
        return Reply(reply=f"{body}\n\n{self._ask_text(state)}", intent="consult", awaiting=state.awaiting,
                     citations=answer.citations if answer else [], grounded=answer.grounded if answer else None)

    def _fill(self, draft: Ticket, slot: str | None, text: str, now: datetime) -> Ticket | None:
        """The draft with the awaited slot filled from `text`, plus any other facts it mentions; None if nothing."""
        gaz = self.extractor.gazetteer
        update: dict[str, object] = {}
        if slot == "description" and not slots.is_vague(text):
            verbatim = f"{draft.verbatim}\n{text}".strip()
            result = self.triage.classify(verbatim)
            update.update(verbatim=verbatim, summary=neutral_summary(text),
                          category=Category(level1=result.category.level1, level2=result.category.level2),
                          urgency=result.urgency if draft.urgency == "normal" else draft.urgency)
            if draft.intent == "other" or result.intent in ("complaint", "report", "help"):
                update["intent"] = result.intent if result.intent != "consult" else draft.intent
        elif slot == "location" and (loc := slots.location_answer(text, gazetteer=gaz)) is not None:
            update["location"] = loc.model_copy(update={"latitude": draft.location.latitude,
                                                        "longitude": draft.location.longitude})
        elif slot == "contact_phone":
            phone = slots.phone_answer(text)
            if phone:
                update["contact"] = draft.contact.model_copy(update={"phone": phone, "anonymous": False,
                                                                     "callback_wanted": True})
            elif slots.wants_anonymous(text):
                update["contact"] = draft.contact.model_copy(update={"anonymous": True, "callback_wanted": False})
        # Facts given out of order fill empty slots too ("在朝阳区望京，电话13800000000").
        other = self.extractor.offline(text, now=now, triage=self.triage.classify(text), channel=draft.channel)
        merged = draft.model_copy(update=update)
        extra: dict[str, object] = {}
        if "location" not in update and merged.location.is_empty() and not other.location.is_empty():
            extra["location"] = other.location
        if "contact" not in update and not merged.contact.phone and other.contact.phone:
            extra["contact"] = merged.contact.model_copy(update={"phone": other.contact.phone, "anonymous": False})
        if not merged.contact.phone and other.contact.anonymous and "contact" not in extra:
            extra["contact"] = merged.contact.model_copy(update={"anonymous": True, "callback_wanted": False})
        if merged.contact.name is None and other.contact.name:
            contact = extra.get("contact", merged.contact)
            extra["contact"] = contact.model_copy(update={"name": other.contact.name})  # type: ignore[union-attr]
        if merged.occurred_at.raw is None and other.occurred_at.raw:
            extra["occurred_at"] = other.occurred_at
        if not update and not extra:
            return None
        return merged.model_copy(update=extra)

    def _apply_correction(self, draft: Ticket, fix: slots.Correction | None, text: str, now: datetime) -> Ticket:
        """Replace the corrected slot; an unlabelled correction is read for whatever facts it carries."""
        value = fix.value if fix and fix.value else text
        slot = fix.slot if fix else None
        if slot == "location":
            loc = slots.location_answer(value, gazetteer=self.extractor.gazetteer)
            return draft.model_copy(update={"location": loc}) if loc else draft
        if slot == "contact_phone":
            phone = slots.phone_answer(value)
            if phone:
                return draft.model_copy(update={"contact": draft.contact.model_copy(
                    update={"phone": phone, "anonymous": False})})
            return draft
        if slot == "contact_name":
            name = slots.name_answer(text) or value[:10]
            return draft.model_copy(update={"contact": draft.contact.model_copy(update={"name": name})})
        if slot == "occurred_at":
            other = self.extractor.offline(value, now=now, triage=self.triage.classify(value), channel=draft.channel)
            occ = other.occurred_at if other.occurred_at.raw else OccurredAt(raw=value[:40])
            return draft.model_copy(update={"occurred_at": occ})
        if slot == "description":
            return self._fill(draft, "description", value, now) or draft
        # No slot named: take any facts the message carries, overriding what they correct.
        other = self.extractor.offline(value, now=now, triage=self.triage.classify(value), channel=draft.channel)
        update: dict[str, object] = {}
        if not other.location.is_empty():
            update["location"] = other.location
        if other.contact.phone:
            update["contact"] = draft.contact.model_copy(update={"phone": other.contact.phone, "anonymous": False})
        if other.occurred_at.raw:
            update["occurred_at"] = other.occurred_at
        return draft.model_copy(update=update)

    def _next_step(self, state: SessionState, *, prefix: str = "") -> Reply:
        """Ask for the next missing slot, or read the draft back for confirmation."""
        draft = state.draft
        assert draft is not None
        missing = slots.missing_slots(draft, described=bool(draft.summary))
        state.awaiting = missing[0] if missing else "confirmation"
        body = self._ask_text(state)
        return Reply(reply=f"{prefix}{body}", intent=draft.intent, awaiting=state.awaiting,
                     ticket=render.public_ticket(draft, status="draft"))

    def _ask_text(self, state: SessionState) -> str:
        if state.awaiting == "confirmation" and state.draft is not None:
            return render.read_back(state.draft, taxonomy=self.triage.taxonomy)
        return slots.QUESTIONS.get(state.awaiting or "", "")

    def _submit(self, db: Session, turn: Turn, state: SessionState) -> Reply:
        draft = state.draft
        assert draft is not None
        row = submit_ticket(db, draft, session_id=turn.session_id)
        state.tickets = [*state.tickets, row.ticket_no]
        state.draft, state.awaiting = None, None
        log.info("ticket %s submitted for session %s", row.ticket_no, mask(turn.session_id))
        ticket = draft.model_copy(update={"ticket_no": row.ticket_no})
        follow = "承办单位会在规定时限内办理" + ("并联系您。" if not draft.contact.anonymous else "。")
        return Reply(reply=f"已为您提交工单，工单号 {row.ticket_no}。{follow}"
                           "您可以随时发送“我的工单到哪了”查询进度。",
                     intent=draft.intent, ticket=render.public_ticket(ticket, status=row.status))

    # --- emergencies and channel facts ---------------------------------------------------------
    def _emergency(self, db: Session, turn: Turn, text: str, state: SessionState, hit) -> Reply:  # noqa: ANN001
        db.add(EmergencyAlert(session_id=turn.session_id, channel=turn.channel, kind=hit.kind,
                              numbers=",".join(hit.numbers), text=mask(text)[:2000]))
        state.emergencies += 1
        log.warning("emergency (%s) in session %s", hit.kind, mask(turn.session_id))
        reply = emergency_reply(hit)
        if state.draft is not None:
            reply += "您之前正在登记的诉求已为您保留，脱险后可继续。"
        return Reply(reply=reply, intent="emergency", emergency=True, awaiting=None)

    def _channel_facts(self, db: Session, turn: Turn, state: SessionState) -> Reply | None:
        """WeChat locations fill the place; attachments go on the draft or the latest open ticket."""
        notes: list[str] = []
        if turn.location is not None and not turn.location.is_empty():
            if state.draft is not None:
                state.draft = state.draft.model_copy(update={"location": _merge_location(state.draft.location,
                                                                                         turn.location)})
                notes.append("已收到您的位置。")
            else:
                state.pending_location = turn.location
                notes.append("已收到您的位置。请描述在这里遇到的问题，我帮您登记。")
        if turn.attachments:
            if state.draft is not None:
                state.draft = state.draft.model_copy(update={"attachments": [*state.draft.attachments,
                                                                             *turn.attachments]})
                notes.append(f"已将 {len(turn.attachments)} 个附件加入本次诉求。")
            else:
                ticket_no = tracking.attach_to_latest(db, turn.session_id, turn.attachments)
                notes.append(f"已将附件补充到工单 {ticket_no}。" if ticket_no
                             else "已收到附件。请用文字描述您要反映的问题，我帮您登记。")
        if not notes:
            return None
        if state.draft is not None and state.awaiting in ("location", "confirmation", None):
            follow = self._next_step(state)
            return follow.model_copy(update={"reply": "".join(notes) + follow.reply})
        return Reply(reply="".join(notes) + (self._ask_text(state) if state.awaiting else ""), awaiting=state.awaiting)


def _merge_location(current: Location, shared: Location) -> Location:
    """The channel's coordinates and label on top of whatever the citizen typed."""
    return current.model_copy(update={k: v for k, v in shared.model_dump().items() if v is not None})
