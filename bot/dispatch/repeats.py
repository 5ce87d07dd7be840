"""Repeat requests: a new ticket about the same matter at the same place joins the open case.

Beijing's hotline calls these 重复诉求. Linking them keeps one unit working one case and lets every
caller follow it. The test is deliberately conservative (a wrong link hides a different problem):
same first-level category, same district, a near-identical place with no conflicting house numbers,
and overlapping wording of the matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session

from bot.store.tables import TicketRow

OPEN_STATUSES = ("submitted", "dispatched", "accepted", "in_progress", "returned", "reopened")
PLACE_THRESHOLD = 0.5
MATTER_THRESHOLD = 0.3
# Citizens describe one problem in many words (吵 / 噪音 / 扰民); these groups let two descriptions that
# share no characters still count as the same matter. Each group is one kind of problem.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "noise": ("噪音", "噪声", "吵", "扰民", "声音", "音响", "叫", "唱", "打桩"),
    "fumes": ("油烟", "烟", "异味", "臭", "气味", "味道"),
    "light": ("路灯", "灯", "不亮", "黑"),
    "heat": ("暖气", "供暖", "不热", "室温", "温度"),
    "water": ("水压", "没水", "没有水", "停水", "自来水"),
    "power": ("停电", "来电", "没电", "断电"),
    "gas": ("燃气", "煤气", "漏气", "天然气"),
    "garbage": ("垃圾", "清运", "堆满"),
    "parking": ("违停", "停车", "车位", "乱停"),
    "tree": ("树", "倾斜", "歪", "倒"),
    "road": ("坑", "坑洼", "路面"),
    "sewer": ("下水道", "污水", "返水", "外溢", "溢"),
    "vendor": ("摊贩", "摆摊", "占道"),
    "lift": ("电梯",),
    "wage": ("工资", "欠薪", "拖欠"),
    "school": ("学位", "入学"),
    "licence": ("资质", "无证", "行医"),
    "expired": ("过期", "变质"),
    "dust": ("扬尘", "粉尘", "苫盖"),
    "fee": ("收费", "服务费", "乱收费"),
    "prepaid": ("预付卡", "退卡", "跑路"),
}
_NUMBERED = re.compile(r"(\d+|[一二三四五六七八九十]+)\s*(号楼|号院|栋|单元|号|区|期|排)")
_NOISE = re.compile(r"[\s，。、！？,.!?：:；;（）()“”\"'…~～-]")
_FILLER = ("北京市", "北京", "附近", "门口", "旁边", "对面", "这边", "那边", "小区", "我家", "我们")


@dataclass(frozen=True)
class RepeatFacts:
    """What repeat detection compares."""

    category_l1: str | None
    category_l2: str | None
    district: str | None
    street: str | None
    place: str
    matter: str


@dataclass(frozen=True)
class RepeatMatch:
    """An open ticket the new one repeats, with the scores that decided it."""

    ticket_no: str
    place_similarity: float
    matter_similarity: float


def _bigrams(text: str) -> set[str]:
    text = _NOISE.sub("", text)
    return {text[i:i + 2] for i in range(len(text) - 1)} if len(text) > 1 else {text} - {""}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def _concepts(text: str) -> set[str]:
    return {name for name, words in CONCEPTS.items() if any(w in text for w in words)}


def matter_similarity(a: str, b: str) -> float:
    """How alike two descriptions of a problem are: shared wording or shared kinds of problem."""
    return max(_overlap(_bigrams(a), _bigrams(b)), _overlap(_concepts(a), _concepts(b)))


def _norm_district(name: str | None) -> str | None:
    return name.strip().removeprefix("北京市").removesuffix("区") if name else None


def _district_spellings(name: str) -> list[str]:
    core = _norm_district(name) or name
    return [core, f"{core}区", f"北京市{core}", f"北京市{core}区"]


def _place_core(facts: RepeatFacts) -> str:
    place = facts.place
    for shared in (facts.district, _norm_district(facts.district), facts.street, *_FILLER):
        if shared:
            place = place.replace(shared, "")
    return place


def _numbers(place: str) -> dict[str, str]:
    return {unit: num for num, unit in _NUMBERED.findall(place)}


def similarity(a: RepeatFacts, b: RepeatFacts) -> tuple[float, float] | None:
    """(place, matter) similarity, or None when hard facts differ (category, district, street, house numbers)."""
    if not a.category_l1 or a.category_l1 != b.category_l1:
        return None
    if a.category_l2 and b.category_l2 and a.category_l2 != b.category_l2:
        return None
    if _norm_district(a.district) != _norm_district(b.district) or a.district is None:
        return None
    if a.street and b.street and a.street != b.street:
        return None
    pa, pb = _place_core(a), _place_core(b)
    na, nb = _numbers(pa), _numbers(pb)
    if any(na[k] != nb[k] for k in na.keys() & nb.keys()):
        return None  # 3号楼 and 5号楼 are different places, however similar the rest
    place = _jaccard(_bigrams(pa), _bigrams(pb))
    if pa and pb and (pa in pb or pb in pa) and min(len(pa), len(pb)) >= 3:
        place = max(place, 0.8)
    return place, matter_similarity(a.matter, b.matter)


def is_repeat(a: RepeatFacts, b: RepeatFacts) -> bool:
    """True when `b` is the same matter at the same place as `a`."""
    sims = similarity(a, b)
    return sims is not None and sims[0] >= PLACE_THRESHOLD and sims[1] >= MATTER_THRESHOLD


def facts_of_row(row: TicketRow) -> RepeatFacts:
    """Repeat facts of a stored ticket."""
    payload = row.payload or {}
    loc = payload.get("location") or {}
    place = " ".join(str(loc.get(k) or "") for k in ("raw", "community", "landmark")).strip()
    matter = row.summary or payload.get("verbatim") or ""
    return RepeatFacts(row.category_l1, row.category_l2, row.district, row.street, place, matter)


def find_repeat(db: Session, row: TicketRow, *, window: timedelta, now: datetime) -> RepeatMatch | None:
    """The open ticket within the window that `row` repeats (best match), if any."""
    if window <= timedelta(0) or not row.category_l1 or not row.district:
        return None
    new = facts_of_row(row)
    if not new.place:
        return None  # without a place there is nothing to be "the same place" as
    candidates = db.scalars(
        select(TicketRow).where(
            TicketRow.category_l1 == row.category_l1,
            TicketRow.status.in_(OPEN_STATUSES),
            TicketRow.created_at >= now - window,
            TicketRow.id != row.id,
            # Same district (as written any way) and, when both are known, the same street: the hard
            # conditions of `similarity`, applied in SQL so only plausible candidates are loaded.
            TicketRow.district.in_(_district_spellings(row.district)),
            or_(TicketRow.street.is_(None), TicketRow.street == row.street) if row.street else true(),
        ).order_by(TicketRow.created_at.desc()).limit(200)
    )
    best: RepeatMatch | None = None
    for cand in candidates:
        sims = similarity(facts_of_row(cand), new)
        if sims is None or sims[0] < PLACE_THRESHOLD or sims[1] < MATTER_THRESHOLD:
            continue
        if best is None or sum(sims) > best.place_similarity + best.matter_similarity:
            best = RepeatMatch(cand.ticket_no, *sims)
    return best
