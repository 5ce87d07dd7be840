"""What the bot says: the read-back of a draft ticket and its public shape in a reply."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.dialog.replies import R
from bot.taxonomy import Taxonomy
from bot.tickets.models import Ticket

BEIJING = ZoneInfo("Asia/Shanghai")


def masked_phone(phone: str | None) -> str | None:
    """138****5678: enough for the citizen to recognise, not enough to leak."""
    if not phone:
        return None
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else phone


def place_text(ticket: Ticket) -> str | None:
    """The place as one line."""
    loc = ticket.location
    parts = [p for p in (loc.district, loc.street) if p and (not loc.raw or p not in loc.raw)]
    text = "".join(parts) + (loc.raw or "")
    if not text and loc.latitude is not None and loc.longitude is not None:
        text = f"定位（{loc.latitude:.5f}, {loc.longitude:.5f}）"
    return text or None


def time_text(ticket: Ticket) -> str | None:
    """When, as the citizen said it, with the normalised date when there is one."""
    occ = ticket.occurred_at
    if occ.start is not None:
        start = occ.start if occ.start.tzinfo else occ.start.replace(tzinfo=BEIJING)
        stamp = start.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        return f"{occ.raw}（{stamp}）" if occ.raw else stamp
    return occ.raw or occ.recurrence


def read_back(ticket: Ticket, *, taxonomy: Taxonomy) -> str:
    """The draft ticket, line by line, with how to confirm, correct or cancel."""
    lines = ["请核对您的诉求信息："]
    lines.append(f"· 诉求类型：{taxonomy.intent_label(ticket.intent)}")
    if ticket.category:
        lines.append(f"· 问题分类：{ticket.category.level1} / {ticket.category.level2 or '其他'}")
    lines.append(f"· 问题描述：{ticket.summary or ticket.verbatim[:80]}")
    if place := place_text(ticket):
        lines.append(f"· 发生地点：{place}")
    if when := time_text(ticket):
        lines.append(f"· 发生时间：{when}")
    if ticket.occurred_at.recurrence and ticket.occurred_at.recurrence != time_text(ticket):
        lines.append(f"· 发生频次：{ticket.occurred_at.recurrence}")
    if ticket.contact.anonymous:
        lines.append("· 联系方式：匿名反映（不回访）")
    else:
        if ticket.contact.name:
            lines.append(f"· 联系人：{ticket.contact.name}")
        lines.append(f"· 联系电话：{masked_phone(ticket.contact.phone)}")
    if ticket.attachments:
        lines.append(f"· 附件：{len(ticket.attachments)} 个")
    if ticket.urgency != "normal":
        lines.append(f"· 紧急程度：{'加急' if ticket.urgency == 'urgent' else '紧急'}")
    lines.append(R.text("read_back_footer"))
    return "\n".join(lines)


def public_ticket(ticket: Ticket, *, status: str) -> dict[str, Any]:
    """The ticket as the citizen may see it in a reply (the phone masked)."""
    data = ticket.model_dump(mode="json")
    data["status"] = status
    data["contact"]["phone"] = masked_phone(ticket.contact.phone)
    return data
