"""A citizen's own tickets within their session: status replies and attachments added later.

Small functions on purpose, so the dispatch side can call or extend them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import BadInput, NotFound
from bot.store.tables import TicketRow
from bot.textkit import TICKET_NO
from bot.tickets import service
from bot.tickets.lifecycle import OPEN, add_note
from bot.tickets.models import Attachment, TicketStatus


def session_tickets(db: Session, session_id: str, *, limit: int = 5) -> list[TicketRow]:
    """The session's tickets, newest first."""
    return list(db.scalars(select(TicketRow).where(TicketRow.session_id == session_id)
                           .order_by(TicketRow.id.desc()).limit(limit)))


def status_reply(db: Session, session_id: str, text: str) -> str:
    """What the session's tickets are doing; another person's ticket number gets no details."""
    own = session_tickets(db, session_id)
    asked = [m.group(0) for m in TICKET_NO.finditer(text)]
    foreign = [n for n in asked if n not in {r.ticket_no for r in own}]
    if foreign and not own:
        return ("为保护个人信息，我只能在本次会话中查询您自己提交的工单。"
                "如需查询其他工单，请在“工单查询”页面输入工单号和登记手机号后四位。")
    if not own:
        return "本次会话中还没有您提交的工单。如果您想反映问题，请直接描述情况；如需查询以前的工单，请在“工单查询”页面输入工单号和手机号后四位。"
    lines = ["您在本次会话中提交的工单："]
    for row in own:
        view = service.ticket_view(db, row)
        line = f"· 工单 {row.ticket_no}：{view['status_label']}"
        if view.get("unit"):
            line += f"，承办单位：{view['unit']['name']}"
        if view.get("deadline_text"):
            line += f"，办理时限：{view['deadline_text']}"
        if row.summary:
            line += f"（{row.summary[:40]}）"
        lines.append(line)
    if foreign:
        lines.append("您提到的其他工单号不属于本次会话，为保护个人信息无法在此查询。")
    return "\n".join(lines)


def attach_to_latest(db: Session, session_id: str, attachments: list[Attachment]) -> str | None:
    """Add attachments to the session's most recent open ticket; its number, or None if there is none."""
    row = next((r for r in session_tickets(db, session_id) if TicketStatus(r.status) in OPEN), None)
    if row is None:
        return None
    payload = dict(row.payload or {})
    payload["attachments"] = [*payload.get("attachments", []), *(a.model_dump(mode="json") for a in attachments)]
    row.payload = payload  # reassigned: SQLAlchemy does not see in-place JSON changes
    kinds = "、".join(sorted({_KIND_LABEL.get(a.kind, "文件") for a in attachments}))
    try:
        service.add_information(db, row.ticket_no, row.phone_last4, f"补充了 {len(attachments)} 个附件（{kinds}）")
    except (BadInput, NotFound):
        # Anonymous tickets have no phone to prove ownership with; the session itself is the proof here.
        add_note(db, row, f"市民补充信息：补充了 {len(attachments)} 个附件（{kinds}）", actor="citizen")
    return row.ticket_no


_KIND_LABEL = {"image": "图片", "voice": "语音", "file": "文件", "link": "链接"}
