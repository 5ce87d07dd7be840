"""The one draft editor: facts from a message go into the draft by a single merge, and corrections change
only the part of the one field they name ("门牌号是5号楼", "不是望京是酒仙桥", "地址改成花家地西里5号楼")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.dialog.render import place_text
from bot.intake.address import after_places, find_location
from bot.intake.contact import find_contact, find_phones
from bot.intake.extract import Extractor
from bot.intake.gazetteer import Gazetteer
from bot.intake.text_facts import neutral_summary
from bot.intake.timex import find_time
from bot.tickets.models import Category, Location, OccurredAt, Ticket
from bot.triage.service import TriageResult

# What a correction names, first match wins ("门牌号" is an address, not a phone number).
_FIELD_WORDS = (
    ("location", re.compile(r"(地址|地点|位置|门牌|楼号|楼栋|几号楼|小区|街道|在哪|地方)")),
    ("contact_phone", re.compile(r"(电话|手机|号码|联系方式)")),
    ("occurred_at", re.compile(r"(时间|日期|几点|哪天)")),
    ("contact_name", re.compile(r"(姓名|名字|称呼)")),
    ("description", re.compile(r"(问题描述|描述|内容|情况是)")),
)
_MARKER = r"(?:不对|错了|有误|不正确|说错了|写错了|搞错了|更正一下|更正|纠正一下)"
_SET_VERB = r"(?:应该是|应该为|改成|改为|换成|更正为|是|为|在|：|:)"
# "不是X是Y", "不是X，而是Y", "X不对，是Y", "把X改成Y", "X改为Y".
_SUBSTITUTE = (
    re.compile(r"不是(?P<old>[^，,。是]{1,20}?)[，, ]*(?:而|应该|应当)?是(?P<new>[^，,。]{1,40})"),
    re.compile(r"把(?P<old>[^，,。]{1,20}?)(?:改成|改为|换成|更正为)(?P<new>[^，,。]{1,40})"),
    re.compile(r"^(?P<old>[^，,。]{1,12}?)(?:不对|错了)[，, ]*(?:应该|应当)?是(?P<new>[^，,。]{1,40})"),
)
_SET = re.compile(rf"^(?:{_MARKER}[，, ]*)?(?P<field>[^，,。]{{0,8}}?){_SET_VERB}\s*(?P<value>.+)$")
_NUMBER_KINDS = (
    ("building", re.compile(r"\d+(?:号楼|栋|幢)")),
    ("unit", re.compile(r"\d+单元")),
    ("floor", re.compile(r"\d+(?:层|楼)(?!下|上)")),
    ("room", re.compile(r"\d+室")),
    ("yard", re.compile(r"\d+号院")),
    ("number", re.compile(r"\d+号(?![楼院])")),
)
_ONLY_NUMBERS = re.compile(r"(?:\d+(?:号楼|栋|幢|单元|层|楼|室|号院|号))+")
# Pronouns and demonstratives pointing back at the matter being told ("他们还卖酒", "这个情况持续半年了").
_BACK_REFERENCE = re.compile(r"(他们|她们|他家|她家|人家|这家|那家|该店|店里|店家|对方|这种情况|这个情况|这事|这件事|此事)")
_DETAIL_CUE = re.compile(r"^(还有|另外|补充|再补充|补充一下|而且|对了|顺便说一下|再说一下|还要说一下)")


@dataclass(frozen=True)
class Edit:
    """What a message asks to change: a named field set anew, or one text replaced by another."""

    field: str | None
    value: str
    old: str | None = None  # for "不是X是Y": the X
    marked: bool = True  # said as a correction ("不对", "改成"); "门牌号是5号楼" alone only corrects a filled field


def read_edit(text: str) -> Edit | None:
    """The correction in `text`, or None when the text corrects nothing."""
    t = text.strip().rstrip("。！!")
    for pattern in _SUBSTITUTE:
        m = pattern.search(t)
        if m:
            old, value = m.group("old").strip("，, "), m.group("new").strip()
            if re.fullmatch(rf"({_MARKER}|[，, ])+", old):
                return Edit(field=_field_of(t), value=value)
            named = _field_of(old) if len(old) <= 5 else None
            if named is not None:  # "电话错了，应该是…": the field is named, not a wrong value
                return Edit(field=named, value=value)
            return Edit(field=_field_of(t[:m.start("new")]), value=value, old=old)
    marked = re.search(_MARKER, t) is not None or re.search(r"(改成|改为|换成|应该是|更正)", t) is not None
    m = _SET.match(t)
    if m:
        named = _field_of(m.group("field"))
        if named is not None:
            return Edit(field=named, value=m.group("value").strip("，,。 "), marked=marked)
        if marked:
            return Edit(field=None, value=m.group("value").strip("，,。 "))
    if marked and (phones := find_phones(t)):
        return Edit(field="contact_phone", value=phones[0])
    return None


def has_field(draft: Ticket, field: str | None) -> bool:
    """Whether the draft already holds a value for `field`."""
    match field:
        case "location":
            return not draft.location.is_empty()
        case "contact_phone":
            return bool(draft.contact.phone)
        case "contact_name":
            return bool(draft.contact.name)
        case "occurred_at":
            return bool(draft.occurred_at.raw)
        case "description":
            return bool(draft.summary)
    return False


def _field_of(text: str) -> str | None:
    return next((name for name, pattern in _FIELD_WORDS if pattern.search(text)), None)


def is_detail(text: str) -> bool:
    """The citizen adds to what they said ("还有，……", "补充一下……")."""
    return bool(_DETAIL_CUE.match(text.strip()))


def refers_back(text: str) -> bool:
    """The message points back at the matter already told, so it continues it rather than starting another."""
    return bool(_BACK_REFERENCE.search(text))


def is_firm_place(location: Location) -> bool:
    """A place that can stand as a correction: it names a district or street, or a building, unit or room number."""
    if location.district or location.street:
        return True
    return any(pattern.search(location.raw or "") for _kind, pattern in _NUMBER_KINDS)


def compose_place(district: str | None, street: str | None, rest: str | None) -> str | None:
    """One line for the place: district, street and the rest, without repeating a part."""
    text = ""
    for part in (district, street):
        if part and part not in (rest or ""):
            text += part
    text += rest or ""
    return text or None


def replace_numbers(rest: str, numbers: str) -> str:
    """Put the building, unit, room… numbers of `numbers` in place of the same kinds in `rest` (else append)."""
    for _kind, pattern in _NUMBER_KINDS:
        for piece in pattern.findall(numbers):
            if pattern.search(rest):
                rest = pattern.sub(piece, rest, count=1)
            else:
                rest += piece
    return rest


def merge_location(old: Location, new: Location, *, replace: bool, gazetteer: Gazetteer) -> Location:
    """The single place merge: fill an empty place; with `replace`, change only the parts `new` says."""
    if new.is_empty():
        return old
    if old.is_empty() or not replace:
        if not old.is_empty():
            return old
        return new.model_copy(update={"latitude": old.latitude or new.latitude,
                                      "longitude": old.longitude or new.longitude})
    coords = {"latitude": old.latitude, "longitude": old.longitude}
    if new.district and old.district and new.district != old.district:
        return new.model_copy(update=coords)  # another district: a different place altogether
    new_rest = after_places(new.raw or "", gazetteer) if new.raw else ""
    old_rest = after_places(old.raw or "", gazetteer) if old.raw else ""
    if new_rest and _ONLY_NUMBERS.fullmatch(new_rest):
        rest = replace_numbers(old_rest, new_rest)
    else:
        rest = new_rest or old_rest
    district = new.district or old.district
    street = new.street or old.street
    return Location(raw=compose_place(district, street, rest), district=district, street=street,
                    community=rest or None, landmark=new.landmark or (old.landmark if not new_rest else None),
                    **coords)


class DraftEditor:
    """Reads facts from messages and merges them into the draft; every change to a draft goes through here."""

    def __init__(self, *, extractor: Extractor) -> None:
        self.extractor = extractor
        self.gazetteer = extractor.gazetteer

    def facts(self, text: str, *, now: datetime, result: TriageResult, channel: str) -> Ticket:
        """Everything the rules find in one message, as a ticket-shaped bag of facts."""
        return self.extractor.offline(text, now=now, triage=result, channel=channel)

    def merge(self, draft: Ticket, facts: Ticket, *, replace: frozenset[str] = frozenset()) -> Ticket:
        """The single merge: facts fill empty fields; fields named in `replace` take the new facts' parts."""
        update: dict[str, object] = {}
        location = merge_location(draft.location, facts.location, replace="location" in replace,
                                  gazetteer=self.gazetteer)
        if location != draft.location:
            update["location"] = location
        contact = draft.contact
        if facts.contact.phone and (not contact.phone or "contact_phone" in replace):
            contact = contact.model_copy(update={"phone": facts.contact.phone, "anonymous": False})
        elif facts.contact.anonymous and not contact.phone:
            contact = contact.model_copy(update={"anonymous": True, "callback_wanted": False})
        if facts.contact.name and (not contact.name or "contact_name" in replace):
            contact = contact.model_copy(update={"name": facts.contact.name})
        if contact != draft.contact:
            update["contact"] = contact
        if facts.occurred_at.raw and (not draft.occurred_at.raw or "occurred_at" in replace):
            update["occurred_at"] = facts.occurred_at
        if facts.attachments:
            update["attachments"] = [*draft.attachments, *facts.attachments]
        return draft.model_copy(update=update) if update else draft

    def describe(self, draft: Ticket, text: str, *, result: TriageResult, replace: bool = False) -> Ticket:
        """Add `text` to the description (or replace it), with the category and urgency it implies."""
        verbatim = text if replace or not draft.verbatim else f"{draft.verbatim}\n{text}"
        update: dict[str, object] = {"verbatim": verbatim}
        if replace or not draft.summary:
            update["summary"] = neutral_summary(text)
        if replace or not draft.summary or draft.category is None:
            update["category"] = Category(level1=result.category.level1, level2=result.category.level2)
        if draft.urgency == "normal" and result.urgency != "normal":
            update["urgency"] = result.urgency
        if draft.intent == "other" or result.intent in ("complaint", "report", "help"):
            if result.intent not in ("consult", "other", "status_query", "emergency"):
                update["intent"] = result.intent
        return draft.model_copy(update=update)

    def apply(self, draft: Ticket, edit: Edit, *, now: datetime, result: TriageResult) -> Ticket:
        """The draft with the correction made, and nothing else changed."""
        if edit.old:
            changed = self._substitute(draft, edit.old, edit.value, now=now)
            if changed is not None:
                return changed
        field = edit.field
        value = edit.value
        if field == "location":
            place = find_location(value, gazetteer=self.gazetteer)
            new = Location(raw=place.raw or value[:60], district=place.district, street=place.street,
                           community=place.community, landmark=place.landmark)
            return self.merge(draft, draft.model_copy(update={"location": new, "contact": draft.contact,
                                                              "attachments": []}),
                              replace=frozenset({"location"}))
        if field == "contact_phone":
            phones = find_phones(value)
            if not phones:
                return draft
            return draft.model_copy(update={"contact": draft.contact.model_copy(
                update={"phone": phones[0], "anonymous": False})})
        if field == "contact_name":
            name = find_contact(value).name or find_contact("我叫" + value).name or value[:10]
            return draft.model_copy(update={"contact": draft.contact.model_copy(update={"name": name})})
        if field == "occurred_at":
            when = find_time(value, now=now)
            occurred = (OccurredAt(raw=when.raw, start=when.start, recurrence=when.recurrence) if when.raw
                        else OccurredAt(raw=value[:40]))
            return draft.model_copy(update={"occurred_at": occurred})
        if field == "description":
            return self.describe(draft, value, result=result, replace=True)
        facts = self.facts(value, now=now, result=result, channel=draft.channel)
        named = {n for n, present in (("location", not facts.location.is_empty()),
                                      ("contact_phone", bool(facts.contact.phone)),
                                      ("contact_name", bool(facts.contact.name)),
                                      ("occurred_at", bool(facts.occurred_at.raw))) if present}
        return self.merge(draft, facts.model_copy(update={"attachments": []}), replace=frozenset(named))

    def _substitute(self, draft: Ticket, old: str, new: str, *, now: datetime) -> Ticket | None:
        """Replace `old` by `new` in the field that contains it; None when no field does."""
        place = place_text(draft) or ""
        if old in place:
            found = find_location(place.replace(old, new, 1), gazetteer=self.gazetteer)
            location = Location(raw=found.raw or place.replace(old, new, 1), district=found.district,
                                street=found.street, community=found.community, landmark=found.landmark,
                                latitude=draft.location.latitude, longitude=draft.location.longitude)
            return draft.model_copy(update={"location": location})
        phone = draft.contact.phone or ""
        if old.isdigit() and old in phone:
            return draft.model_copy(update={"contact": draft.contact.model_copy(
                update={"phone": phone.replace(old, new, 1)})})
        if draft.occurred_at.raw and old in draft.occurred_at.raw:
            raw = draft.occurred_at.raw.replace(old, new, 1)
            when = find_time(raw, now=now)
            return draft.model_copy(update={"occurred_at": OccurredAt(raw=raw, start=when.start,
                                                                      recurrence=when.recurrence)})
        if draft.contact.name and old in draft.contact.name:
            return draft.model_copy(update={"contact": draft.contact.model_copy(
                update={"name": draft.contact.name.replace(old, new, 1)})})
        if old in draft.verbatim or old in (draft.summary or ""):
            return draft.model_copy(update={"verbatim": draft.verbatim.replace(old, new),
                                            "summary": (draft.summary or "").replace(old, new) or None})
        return None
