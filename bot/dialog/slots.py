"""Slot filling: which required facts are missing, and how to read yes, cancel and anonymity."""

from __future__ import annotations

import re

from bot.tickets.models import Ticket

LOCATION_INTENTS = ("complaint", "help", "report")

_VAGUE = re.compile(
    r"^(你好|您好)?[，, ]*(我)?(要|想)?(投诉|举报|反映|反应|求助|报修|提建议|建议|表扬)(一下)?(个|一个)?(问题|情况|事情|事|单位)?[。！!~～]*$"
)
_YES = re.compile(r"^(确认|确定|是的?|对的?|没问题|没错|可以|好的?|行|提交|确认提交|确认无误|无误|ok|yes|嗯+|对没错)[。！!，,～~ ]*$",
                  re.IGNORECASE)
_YES_LOOSE = re.compile(r"(确认|提交|没问题|无误)")
_NO = re.compile(r"(不对|不是|错了|有误|不正确|更正|修改|改一下|改成|改为|应该是)")
# Said of the draft itself ("别提交", "不报了"); looser wordings are learnt (dialog_acts.yaml).
_CANCEL = re.compile(r"(取消|不用了|算了|不办了|不提交|别提交|撤销|撤回|不要了|不反映了|不投诉了|不告了|不报了|别报了|"
                     r"先不了)")
_ANONYMOUS = re.compile(r"(匿名|不留|不想留|不方便留|不愿意留|保密|不提供)")


def is_vague(text: str) -> bool:
    """True when the message announces a request without saying what happened."""
    return bool(_VAGUE.match(re.sub(r"\s", "", text))) or len(re.sub(r"\W", "", text)) < 4


def missing_slots(ticket: Ticket, *, described: bool) -> list[str]:
    """The required facts still missing, in the order we ask for them."""
    missing = []
    if not described:
        missing.append("description")
    if ticket.intent in LOCATION_INTENTS and ticket.location.is_empty():
        missing.append("location")
    if not ticket.contact.phone and not ticket.contact.anonymous:
        missing.append("contact_phone")
    return missing


def is_yes(text: str) -> bool:
    """The citizen confirms the read-back."""
    t = text.strip()
    return bool(_YES.match(t)) or (bool(_YES_LOOSE.search(t)) and not re.search(r"(不|别|没有?)(确认|提交)", t)
                                    and not _NO.search(t))


def is_cancel(text: str) -> bool:
    """The citizen wants to drop the draft."""
    return bool(_CANCEL.search(text)) and not re.search(r"取消(费|订单|会员|合同|资格|收费)", text)


def wants_anonymous(text: str) -> bool:
    """The citizen declines to leave a phone."""
    return bool(_ANONYMOUS.search(text))
