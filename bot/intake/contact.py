"""Contact facts from Chinese text: phones (never an ID number), names, call-back and anonymity wishes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.textkit import MOBILE, mask_id_numbers, phone_digits

_LANDLINE = re.compile(r"(?<![\d])(?:\(?0(10)\)?[-\s]?)?([2-9]\d{3})[-\s]?(\d{4})(?!\d)")
_PHONE_CONTEXT = re.compile(r"(电话|手机|座机|联系|号码|打|拨)")
_NAME_PATTERNS = (
    re.compile(r"(?:我叫|本人叫|我的名字是|联系人[:：]?\s*|姓名[:：]?\s*)([\u4e00-\u9fa5]{2,3})(?=[，,。！!；;\s]|$|电话|手机)"),
    re.compile(r"(?:我姓|本人姓|免贵姓)([\u4e00-\u9fa5])(?:[，,。\s]|$)?(先生|女士)?"),
    re.compile(r"(?<![\u4e00-\u9fa5])([\u4e00-\u9fa5](?:先生|女士))"),
)
_NOT_SURNAMES = set("这那某该本贵他她您你我各每此老小")
_CALLBACK_NO = re.compile(r"(不需要|不用|无需|不必|别)(回电|回电话|回访|联系我|回复|打电话)")
_CALLBACK_YES = re.compile(r"(请|麻烦|希望|务必)?(给我)?(回电|回个电话|回电话|电话联系我|回复我|给我回复|联系我|回访)")
_ANONYMOUS = re.compile(r"(匿名|不愿(意)?透露(姓名|身份|个人信息)|不想留(电话|姓名|名字|联系方式)|不留(电话|姓名|名字)|替我保密|信息保密)")


@dataclass(frozen=True)
class ContactFacts:
    """What the text says about reaching the citizen; None where it says nothing."""

    name: str | None = None
    phone: str | None = None
    callback_wanted: bool | None = None
    anonymous: bool | None = None


def find_phones(text: str) -> list[str]:
    """Mobile numbers first, then Beijing landlines said as phones; ID numbers are masked out first."""
    clean = mask_id_numbers(text)
    phones = [phone_digits(m) for m in MOBILE.finditer(clean)]
    for m in _LANDLINE.finditer(clean):
        window = clean[max(0, m.start() - 8): m.start()]
        if m.group(1) or _PHONE_CONTEXT.search(window):
            number = ("010" if m.group(1) else "") + m.group(2) + m.group(3)
            if not any(number in p or p in number for p in phones):
                phones.append(number)
    return phones


def find_name(text: str) -> str | None:
    """The name the citizen gives for themselves, as they gave it (张三, 王, 李女士)."""
    for pattern in _NAME_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        name = "".join(g for g in m.groups() if g)
        if name[0] in _NOT_SURNAMES:
            continue
        return name
    return None


def find_contact(text: str) -> ContactFacts:
    """Phone, name, call-back wish and anonymity, each only if the text says so."""
    phones = find_phones(text)
    callback: bool | None = None
    if _CALLBACK_NO.search(text):
        callback = False
    elif _CALLBACK_YES.search(text):
        callback = True
    return ContactFacts(name=find_name(text), phone=phones[0] if phones else None, callback_wanted=callback,
                        anonymous=True if _ANONYMOUS.search(text) else None)
