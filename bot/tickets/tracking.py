"""Progress for the chat ("我的工单到哪了"): the session's tickets and a plain-Chinese description."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.tables import TicketRow
from bot.tickets.service import ticket_view


def progress_for_session(db: Session, session_id: str, *, limit: int = 5) -> list[dict[str, Any]]:
    """Views of the tickets submitted in this session, newest first (the session is the citizen's own)."""
    rows = db.scalars(select(TicketRow).where(TicketRow.session_id == session_id)
                      .order_by(TicketRow.created_at.desc(), TicketRow.id.desc()).limit(limit))
    return [ticket_view(db, row) for row in rows]


def describe_progress(view: dict[str, Any]) -> str:
    """One ticket's progress as a short Chinese paragraph for the chat."""
    case = view.get("case") or view
    parts = [f"工单 {view['ticket_no']}（{view.get('summary') or '您反映的问题'}）"]
    if view.get("merged_into"):
        parts.append(f"已并入同一事项的工单 {view['merged_into']} 合并办理，该工单目前{case['status_label']}")
    else:
        parts.append(f"目前{case['status_label']}")
    unit = case.get("unit")
    if unit:
        parts.append(f"承办单位：{unit['name']}")
    if case.get("deadline_text") and case["status"] not in ("resolved", "closed", "merged"):
        parts.append(f"办理时限：{case['deadline_text']}" + ("（已超期，我们正在督办）" if case.get("overdue") else ""))
    timeline = case.get("timeline") or []
    if timeline:
        last = timeline[-1]
        parts.append(f"最新进展：{last['note'] or last['label']}")
    text = "，".join(parts) + "。"
    if view.get("can_rate"):
        text += "问题已办结，请您评价：满意、基本满意或不满意。"
    elif view.get("can_add_information"):
        text += "如需补充情况，可以直接告诉我。"
    return text


def describe_all(views: list[dict[str, Any]]) -> str:
    """All of a session's tickets, or a hint when there are none."""
    if not views:
        return "没有查到您在本次会话中提交的工单。如有工单号，请提供工单号和登记手机号后四位，我帮您查询。"
    return "\n".join(describe_progress(v) for v in views)
