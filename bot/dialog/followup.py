"""After the ticket, in chat: progress with the timeline, added information, and the citizen's rating."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.dialog import tracking
from bot.dialog.acts import ActScores
from bot.dialog.replies import R
from bot.errors import BadInput
from bot.store.tables import TicketRow
from bot.textkit import TICKET_NO
from bot.tickets import service
from bot.tickets.lifecycle import OPEN, STATUS_LABELS, local_text
from bot.tickets.models import TicketStatus

# Ratings are a closed vocabulary: the three levels, their everyday variants, or a score out of five.
_UNHAPPY = re.compile(r"(不满意|不太满意|不怎么满意|很不满意|非常不满意|差评|不认可|不行|很差|太差|没解决|没有解决|没处理|敷衍)")
_MIDDLE = re.compile(r"(基本满意|比较满意|还算满意|一般|还行|还可以|凑合|马马虎虎)")
_HAPPY = re.compile(r"(非常满意|很满意|挺满意|满意|好评|认可|很好|点赞|解决了|处理得很好)")
_SCORE = re.compile(r"(?<!\d)([1-5一二三四五])\s*(?:分|星|颗星)|^(?:打|评|给)?\s*([1-5])\s*$")
_RATE_WORD = re.compile(r"(评价|评分|打分|打个分|给.{0,4}分|满意度)")
_INFO_CUE = re.compile(r"^(我想|我要|我再|再|想)?(补充|追加|再说一下|再提供|补一下|还要补充|另外补充)")
_SCORE_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}

# Asking after one's own earlier matter: a ticket number (TICKET_NO) with anything asking after it, or the matter
# told again ("我之前投诉噪音那个事", "上次报的路灯") with a question about what became of it. The question form
# matters: "之前反映过的噪音又出现了" tells a new problem, "解决了，谢谢" is a verdict.
_TICKET_ASK = re.compile(
    r"(查|进度|进展|状态|情况|结果|怎么样|咋样|如何|到哪|哪一步|哪个(部门|单位)|处理|办|回复|答复|回音|消息|动静|反馈|"
    r"跟进|催|看|瞅|问|了吗|了没|没有|吗|呢|么|[？?])")
_WHEN = r"(之前|以前|早先|上次|上回|前天|昨天|前几天|前些天|前两天|上周|上礼拜|上星期|上个月|前阵子|那天)"
_TOLD = r"(报|报修|反映|反应|投诉|举报|提交|登记|提|申请|留|说|打电话说|打电话反映)"
_OWN_MATTER = re.compile(
    rf"((我|俺|咱|我们|我家){_WHEN}?(给你们|跟你们|向你们|在这里?|在你们这)?{_TOLD}(过)?的"
    rf"|{_WHEN}(我)?{_TOLD}(过)?|{_WHEN}(那个|那件|的)(事|事情|问题|投诉|诉求|单子|工单)"
    r"|我(的|那个|那件|那桩)(事|事情|问题|投诉|诉求|单子|工单|申请)(?!是)|我那(个|件)?(事|问题|投诉|诉求|单子))")
_OUTCOME_ASK = re.compile(
    r"(了吗|了么|了没|完没|好没|没有[啊呀呢吧]?$|没[啊呀呢吧]?$|怎么样|咋样|如何了|啥情况|什么情况|到哪|哪一步|什么程度|"
    r"什么时候|啥时候|几时|进度|进展|有结果|结果呢|回复|答复|回音|动静|下文|眉目|消息|有人来?(管|处理|跟进|看|修|联系|问)|"
    r"谁在?(管|负责|办|处理)|哪个(部门|单位))")
# Words that ask for a person outright; with them the message is a handoff, whatever it asks after.
PERSON = re.compile(r"(人工|真人|客服|坐席|接线员|活人|负责人|领导)")


@dataclass(frozen=True)
class Rating:
    """A rating read from a message, with whatever else the citizen said as the comment."""

    level: str  # 满意 | 基本满意 | 不满意
    comment: str | None


def read_rating(text: str) -> Rating | None:
    """满意 / 基本满意 / 不满意 or a 1-5 score, and the rest of the message as a comment; None if no rating."""
    t = text.strip()
    level: str | None = None
    m = _SCORE.search(t)
    if m:
        raw = m.group(1) or m.group(2)
        score = _SCORE_WORDS.get(raw, 0) or int(raw)
        level = "满意" if score >= 4 else ("基本满意" if score == 3 else "不满意")
    elif _UNHAPPY.search(t):
        level = "不满意"
    elif _MIDDLE.search(t):
        level = "基本满意"
    elif _HAPPY.search(t):
        level = "满意"
    if level is None:
        return None
    comment = _SCORE.sub("", t)
    for pattern in (_UNHAPPY, _MIDDLE, _HAPPY, _RATE_WORD):
        comment = pattern.sub("", comment)
    comment = re.sub(r"^(我对|对)?(处理结果|办理结果|结果|这次处理)?(很|非常|比较|挺)?", "", comment)
    return Rating(level=level, comment=_comment(comment.strip("，,。！!、 ：:")))


def learnt_rating(text: str, acts: ActScores) -> Rating | None:
    """The verdict the act models read where the closed vocabulary found none (不满意 wins a tie)."""
    if max(acts.satisfied, acts.unsatisfied) <= 0:
        return None
    level = "不满意" if acts.unsatisfied >= acts.satisfied else "满意"
    return Rating(level=level, comment=_comment(text.strip().strip("，,。！!、 ")))


def _comment(text: str) -> str | None:
    """What the citizen said beside the rating, kept when it has at least two word characters."""
    return text if len(re.sub(r"\W", "", text)) >= 2 else None


def asks_progress(text: str) -> bool:
    """The citizen asks after an earlier request of theirs, by its number or by the matter ("工单…现在怎么样了",
    "我之前投诉噪音那个事有人管了吗"); a message telling a problem without asking after it is not this."""
    t = text.strip()
    if TICKET_NO.search(t):
        rest = TICKET_NO.sub("", t)
        return not re.sub(r"[\W_]", "", rest) or bool(_TICKET_ASK.search(rest))
    return bool(_OWN_MATTER.search(t)) and bool(_OUTCOME_ASK.search(t))


def wants_to_rate(text: str) -> bool:
    """The citizen asks to rate ("评价", "我要打分")."""
    return bool(_RATE_WORD.search(text))


def wants_to_add(text: str) -> bool:
    """The citizen adds information to a submitted ticket ("补充一下：……")."""
    return bool(_INFO_CUE.match(text.strip()))


def _own(db: Session, session_id: str, text: str) -> list[TicketRow]:
    rows = tracking.session_tickets(db, session_id, limit=10)
    asked = {m.group(0) for m in TICKET_NO.finditer(text)}
    named = [r for r in rows if r.ticket_no in asked]
    return named or rows


def rateable(db: Session, session_id: str, text: str = "") -> TicketRow | None:
    """The session's resolved ticket waiting for a rating (the one named, else the newest)."""
    return next((r for r in _own(db, session_id, text) if r.status == TicketStatus.RESOLVED), None)


def rate_reply(db: Session, session_id: str, text: str, rating: Rating | None) -> str:
    """Record the rating on the session's resolved ticket, or ask for one; the citizen-facing reply."""
    row = rateable(db, session_id, text)
    if row is None:
        own = _own(db, session_id, text)
        if own:
            return R.text("rating_not_resolved", ticket_no=own[0].ticket_no,
                          status=STATUS_LABELS[TicketStatus(own[0].status)])
        return R.text("rating_none")
    if rating is None:
        return R.text("rating_ask", ticket_no=row.ticket_no)
    service.rate_row(db, row, rating.level, rating.comment, actor="citizen")
    comment = f"（{rating.comment}）" if rating.comment else ""
    if rating.level == "不满意":
        return R.text("rating_unhappy", ticket_no=row.ticket_no, comment=comment)
    return R.text("rating_thanks", ticket_no=row.ticket_no, rating=rating.level, comment=comment)


def add_info_reply(db: Session, session_id: str, text: str) -> str:
    """Add the message to the session's newest open ticket (or the one named); the citizen-facing reply."""
    rows = _own(db, session_id, text)
    if not rows:
        return R.text("info_no_ticket")
    row = next((r for r in rows if TicketStatus(r.status) in OPEN), rows[0])
    body = _INFO_CUE.sub("", text.strip(), count=1).lstrip("：:，, 一下")
    body = TICKET_NO.sub("", body).strip("：:，, ") or text.strip()
    try:
        service.add_information_row(db, row, body, actor="citizen")
    except BadInput:
        return R.text("info_closed", ticket_no=row.ticket_no, status=STATUS_LABELS[TicketStatus(row.status)])
    return R.text("info_added", ticket_no=row.ticket_no)


def progress_reply(db: Session, session_id: str, text: str) -> str:
    """The session's tickets and the timeline of the one asked about (else the newest)."""
    summary = tracking.status_reply(db, session_id, text)
    rows = _own(db, session_id, text)
    if not rows or not any(r.session_id == session_id for r in rows):
        return summary
    view = service.ticket_view(db, rows[0])
    lines = [summary, "", R.text("progress_header", ticket_no=rows[0].ticket_no)]
    for step in view["timeline"]:
        note = f"：{step['note']}" if step.get("note") and step["note"] != step["label"] else ""
        lines.append(f"· {local_text(_parse(step['at']))} {step['label']}{note}")
    if view["can_rate"]:
        lines.append(R.text("rating_ask", ticket_no=rows[0].ticket_no))
    return "\n".join(lines)


def _parse(iso: str):  # noqa: ANN202
    from datetime import datetime

    return datetime.fromisoformat(iso)
