"""Offline facts from free text that are not places, times or contacts: summary, sentiment, parties."""

from __future__ import annotations

import re

from bot.pii import mask_contact_numbers
from bot.textkit import sentences
from bot.tickets.models import Party
from bot.triage.text import strip_pleasantries

_EMOTION = re.compile(
    r"(简直|实在是?|真的是?|太气人了|气死了?|太过分了?|无法忍受|忍无可忍|苦不堪言|令人发指|触目惊心|岂有此理|天理何在|"
    r"强烈|严正|痛心|寒心|愤怒|气愤|无奈|可恶|恶心|垃圾东西)"
)
_QUESTION = re.compile(r"(^(请问|咨询|想问|问一下)|[吗呢][？?]?$|[？?]$)")
# Who is calling and how to reach them is not part of what happened; the summary leaves it out.
_CONTACT_CLAUSE = re.compile(
    r"[，,]?\s*((我的|本人)?(联系)?(电话|手机|手机号|联系方式|座机)(号码)?(是|为)?[:：]?\s*[\d\-\s]{7,}|"
    r"(我叫|我姓|本人姓|联系人[:：]?)[\u4e00-\u9fa5]{1,3}(先生|女士)?)"
)
_PUNCT_RUN = re.compile(r"[！!？?]{1,}|[。.]{2,}|…+|~+")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200d]")
_NEGATIVE = re.compile(r"(投诉|不满|气愤|愤怒|无奈|受不了|太差|恶劣|扰民|拖欠|欺骗|被骗|坑|失望|寒心|忍无可忍|严重|没人管|不作为|乱)")
_POSITIVE = re.compile(r"(感谢|表扬|点赞|满意|辛苦了|负责|热情|及时|锦旗)")
_BUSINESS = re.compile(
    r"([\u4e00-\u9fa5A-Za-z0-9（）()]{2,16}?(?:有限公司|集团|公司|超市|饭店|餐厅|饭馆|酒店|宾馆|医院|诊所|药店|药房|"
    r"学校|小学|中学|幼儿园|驾校|培训机构|健身房|美容院|理发店|KTV|酒吧|网吧|工厂|厂|物业|4S店|店))"
)
_COMPANY_TAIL = re.compile(r"^[\u4e00-\u9fa5]{0,6}?(有限责任公司|有限公司|股份公司|公司|集团)")
_LEAD = re.compile(r".*(?:住在|位于|在|对|向|和|跟|与|被|给|是|的|了|把|从|家|到|那|这|楼下|旁边|隔壁|附近|门口|对面)")
_GENERIC_PARTY = re.compile(r"^(一家|这家|那家|该|某|本|一个|新开|附近|旁边|小区|我们|我家|他们|有的|有些|很多|所有|各|每)")
_GENERIC_NAMES = {"物业", "物业公司", "公司", "医院", "学校", "超市", "饭店", "工厂", "店", "小区物业", "开发商公司", "培训机构"}


def neutral_summary(text: str, *, title: str | None = None, limit: int = 60) -> str | None:
    """One neutral sentence: the title or the first substantive sentence, without emotion or personal data."""
    body = strip_pleasantries(text)
    candidates = [title] if title and title.strip() else []
    found = [s for s in sentences(body) if len(re.sub(r"\W", "", s)) >= 6]
    # In a message that both asks and complains, the complaint is what the ticket is about.
    statements = [s for s in found if not _QUESTION.search(s)]
    candidates += statements or found
    if not candidates:
        stripped = re.sub(r"\W", "", body)
        if len(stripped) < 4:
            return None
        candidates = [body]
    sentence = _EMOJI.sub("", candidates[0])
    sentence = _EMOTION.sub("", sentence)
    sentence = _PUNCT_RUN.sub("", sentence)
    sentence = _CONTACT_CLAUSE.sub("", sentence)
    sentence = mask_contact_numbers(sentence).strip("，,。；; ")
    if len(sentence) > limit:
        sentence = sentence[:limit].rstrip("，,、；; ") + "等问题"
    return f"市民反映：{sentence}。" if sentence else None


def sentiment(text: str) -> str:
    """negative, positive or neutral, by evidence words."""
    neg = len(_NEGATIVE.findall(text))
    pos = len(_POSITIVE.findall(text))
    if neg > pos:
        return "negative"
    if pos > neg:
        return "positive"
    return "neutral"


def find_parties(text: str, *, limit: int = 3) -> list[Party]:
    """Named businesses or organisations the message is about; unnamed ones ("楼下一家店") are left out."""
    parties: list[Party] = []
    consumed = 0
    for m in _BUSINESS.finditer(text):
        if m.start() < consumed:
            continue
        name = m.group(1)
        tail = _COMPANY_TAIL.match(text[m.end():])
        if tail:  # "鑫源物业" + "管理有限公司" is one name
            name += tail.group(0)
        consumed = m.end() + (len(tail.group(0)) if tail else 0)
        lead = _LEAD.match(name)
        if lead and lead.end() < len(name):
            name = name[lead.end():]
        if len(name) < 3 or name in _GENERIC_NAMES or _GENERIC_PARTY.match(name):
            continue
        kind = "organisation" if name.endswith(("医院", "学校", "小学", "中学", "幼儿园")) else "business"
        if all(p.name != name for p in parties):
            parties.append(Party(name=name, kind=kind))
        if len(parties) >= limit:
            break
    return parties
