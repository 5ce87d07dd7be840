"""Slot filling: which required facts are missing, how to ask for them, and how to read answers and corrections."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.intake.address import find_location
from bot.intake.contact import find_contact, find_phones
from bot.intake.gazetteer import Gazetteer
from bot.tickets.models import Location, Ticket

LOCATION_INTENTS = ("complaint", "help", "report")

QUESTIONS = {
    "description": "请您具体说一说遇到了什么问题？（发生了什么、涉及哪个单位或设施）",
    "location": "请问问题发生在哪里？请尽量说到区、街道（乡镇）和小区或门牌号，例如“朝阳区望京街道花家地西里3号楼”。",
    "contact_phone": "请留一个手机号码，方便承办单位联系和回访您；如果不想留电话，可以回复“匿名”。",
}

_VAGUE = re.compile(
    r"^(你好|您好)?[，, ]*(我)?(要|想)?(投诉|举报|反映|反应|求助|报修|提建议|建议|表扬)(一下)?(个|一个)?(问题|情况|事情|事|单位)?[。！!~～]*$"
)
_YES = re.compile(r"^(确认|确定|是的?|对的?|没问题|没错|可以|好的?|行|提交|确认提交|确认无误|无误|ok|yes|嗯+|对没错)[。！!，,～~ ]*$",
                  re.IGNORECASE)
_YES_LOOSE = re.compile(r"(确认|提交|没问题|无误)")
_NO = re.compile(r"(不对|不是|错了|有误|不正确|更正|修改|改一下|改成|改为|应该是)")
_CANCEL = re.compile(r"(取消|不用了|算了|不办了|不提交|撤销|撤回|不要了|不反映了|不投诉了|先不了)")
_ANONYMOUS = re.compile(r"(匿名|不留|不想留|不方便留|不愿意留|保密|不提供)")
_SLOT_WORDS = (
    ("contact_phone", re.compile(r"(电话|手机|号码|联系方式)")),
    ("location", re.compile(r"(地址|地点|位置|地方|小区|街道|在哪|门牌|楼号)")),
    ("occurred_at", re.compile(r"(时间|日期|几点)")),
    ("contact_name", re.compile(r"(姓名|名字|称呼)")),
    ("description", re.compile(r"(问题|内容|描述|情况|事情)")),
)
_VALUE_AFTER = re.compile(r"(?:应该是|改成|改为|换成|是|为|在|：|:)\s*(.+)$")


@dataclass(frozen=True)
class Correction:
    """A citizen's correction of one slot, with the new value's text."""

    slot: str | None
    value: str


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


def correction(text: str) -> Correction | None:
    """A correction ("不对，地址是……"), or None when the text is not one."""
    if not _NO.search(text):
        return None
    slot = next((name for name, pattern in _SLOT_WORDS if pattern.search(text)), None)
    m = _VALUE_AFTER.search(text)
    value = m.group(1).strip("，,。 ") if m else ""
    if slot is None and find_phones(text):
        slot = "contact_phone"
    return Correction(slot=slot, value=value)


def location_answer(text: str, *, gazetteer: Gazetteer) -> Location | None:
    """The place in an answer to "where?": gazetteer facts, and the answer itself as the raw place."""
    cleaned = re.sub(r"^(不对|不是|错了)?[，, ]*(地址|地点|位置)?(应该)?(是|在|为|：|:)?", "", text.strip()).strip("，,。 ")
    if not cleaned or len(cleaned) > 120 or not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", cleaned):
        return None
    found = find_location(cleaned, gazetteer=gazetteer)
    return Location(raw=found.raw or cleaned[:60], district=found.district, street=found.street,
                    community=found.community, landmark=found.landmark)


def phone_answer(text: str) -> str | None:
    """The phone number in an answer, if any."""
    phones = find_phones(text)
    return phones[0] if phones else None


def name_answer(text: str) -> str | None:
    """A name given in an answer."""
    return find_contact(text).name
