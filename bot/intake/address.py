"""Where it happened: gazetteer districts and streets plus rule-found communities, buildings and landmarks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.intake.gazetteer import Gazetteer

_NAME = r"[\u4e00-\u9fa5A-Za-z0-9·]"
_COMMUNITY = re.compile(
    rf"({_NAME}{{2,12}}?(?:小区|社区|家园|花园|嘉园|公寓|大厦|新村|号院|胡同|名苑|雅苑|花苑|新城|大院|村|苑(?![东西南北一二三四五六七八九十\d]区)|里(?=\d+号)|[园苑城][东西南北一二三四五六七八九十\d]区))"
    rf"(?:{_NAME}{{0,6}}?\d+号楼|\d+号楼|\d+栋|\d+幢)?(?:\d+单元)?(?:\d+(?:层|楼))?(?:\d+室|\d+号)?"
)
_BUILDING = re.compile(r"\d+(?:号楼|栋|幢)(?:\d+单元)?(?:\d+(?:层|楼))?(?:\d+室|\d+号)?")
_ROAD = re.compile(rf"({_NAME}{{1,8}}?(?:大街|路|街|大道|胡同|桥|环路))(?:\d+号)?")
_SIDE = r"附近|旁边|门口|对面|东侧|西侧|南侧|北侧|西门|东门|南门|北门"
_LANDMARK = re.compile(
    rf"({_NAME}{{2,12}}?(?:地铁站|公交站|火车站|加油站|路口|十字路口|公园|医院|学校|小学|中学|幼儿园|商场|超市|广场|菜市场|农贸市场|机场))"
    rf"(?:{_SIDE})?"
)
# Words that end the lead-in before a place name: "我家住在|望京花园" → keep what follows the last one.
_LEAD_IN = re.compile(r".*(?:住在|位于|地址是|地址：|地址:|地点是|地点：|就在|是在|家在|在|住|于|到|从|的|是|了|和|与|及|我们|咱们|我家|楼下|对面|旁边|门口|附近|"
                      r"请问|咨询|请|建议|解决|开放|举报|投诉|反映|关于|加快|复查|对|有(?!限)|买|卖|致|把|让|给|向|经过)")
_GENERIC = {"小区", "社区", "我们小区", "这个小区", "本小区", "该小区", "村", "里", "苑", "我们村", "本村", "公园", "医院",
            "学校", "路口", "超市", "商场", "市场", "菜市场", "站"}
# A "place" that contains these is a clause, not a name ("上周小区", "孩子上小学", "送一次医院").
_NOT_A_NAME = re.compile(r"(上周|下周|今晚|今天|昨天|前天|明天|今年|明年|去年|每天|天天|晚上|早上|上午|下午|中午|凌晨|夜里|半夜|"
                         r"一直|经常|总是|已经|走路|上路|点半|\d+点|[一二三四五六七八九十两]点|掉进|孩子|小孩|学生|老人|有人|我们|他们|自己|"
                         r"一次|送|去|进|找|看病|带|跑|打|说|要|想|没有|不|投诉|反映|请问|希望|增设|设置|建议|哪|什么|怎么|多少|一个|一家)")
_CUT_AFTER = re.compile(r"(在|的|到|于|住|区|镇|乡|街道|地区|举报|反映|投诉|是)$")
# One address, piece by piece: named roads, lanes and estates, then numbers (号院, 号楼, 单元, 室) and a side
# ("门口"). Pieces follow each other with nothing between them; anything else ends the address.
_PIECE_NAME = re.compile(
    r"[\u4e00-\u9fa5A-Za-z·]{1,10}?(?:大街|大道|环路|路|街(?!道)|胡同|巷|条(?=\d|$)|里|桥|小区|社区|家园|花园|嘉园|公寓|大厦|"
    r"新村|村|苑|园|城|广场|中心|市场|公园|医院|学校|小学|中学|幼儿园|地铁站|公交站|火车站)"
)
_NUMBER = r"(?:[东西南北]?\d+|[一二三四五六七八九十]+)"
_HOUSE_UNIT = r"号院|号楼|号|栋|幢|单元|层|楼(?!下|上|道)|室"
_PIECE_NUMBER = re.compile(rf"{_NUMBER}(?:{_HOUSE_UNIT}|区|排|巷|条)")
_FUNCTION_CHARS = set("的在和与及是了有把被从到向往对也都还就")
# Words that make the start of a "name" a reference to some place, not its name ("这个小区", "同一个小区").
_BAD_PREFIX = ("这", "那", "该", "本", "某", "我", "你", "他", "各", "每", "一个", "一家", "附近", "周边", "哪", "过",
               "同一", "同小区", "同楼", "同村", "同时", "同样", "同等", "整个", "全", "其他", "别的", "其它", "所在", "所有",
               "个")


@dataclass(frozen=True)
class LocationFacts:
    """The place as far as the text says; None where it says nothing."""

    raw: str | None = None
    district: str | None = None
    street: str | None = None
    community: str | None = None
    landmark: str | None = None


def _trim(name: str) -> str | None:
    m = _LEAD_IN.match(name)
    if m and m.end() < len(name):
        name = name[m.end():]
    name = name.strip("，,。 ")
    if len(name) < 3 or name in _GENERIC or name.startswith(_BAD_PREFIX) or _NOT_A_NAME.search(name):
        return None
    return name


def _first(pattern: re.Pattern[str], text: str) -> tuple[str, int, int] | None:
    """The first match that is a plausible name, shortening a match from the left until it is one."""
    for m in pattern.finditer(text):
        whole = m.group(0)
        for cut in range(len(whole) - 2):
            if cut and not _CUT_AFTER.search(whole[:cut]):
                continue  # only cut where a word ends, never in the middle of one ("上周小区" → not "周小区")
            trimmed = _trim(whole[cut:])
            if trimmed and whole.endswith(trimmed):
                return trimmed, m.end() - len(trimmed), m.end()
    return None


def _without_places(found: tuple[str, int, int] | None, gazetteer: Gazetteer) -> tuple[str, int, int] | None:
    """Drop a leading district/street ("朝阳区望京街道花家地西里" → "花家地西里"); None if nothing is left."""
    if found is None:
        return None
    name, start, end = found
    cut = 0
    for place in gazetteer.find(name):
        if place.start <= cut + 1:
            cut = max(cut, place.end)
    rest = name[cut:].lstrip("的")
    if len(rest) < 2 or rest in _GENERIC or re.fullmatch(r"[\d号楼栋幢单元层室]+", rest) and not _BUILDING.match(rest):
        return None
    return rest, start + (len(name) - len(rest)), end


def _chain(text: str, pos: int) -> int:
    """Where the address that continues at `pos` ends ("中关村南大街" + "5号院" + "2单元")."""
    named = 0
    while pos < len(text):
        m = _PIECE_NUMBER.match(text, pos)
        if m is None and named < 3:
            m = _PIECE_NAME.match(text, pos)
            if m is not None and (_NOT_A_NAME.search(m.group(0)) or m.group(0).startswith(_BAD_PREFIX)
                                  or m.group(0)[0] in _FUNCTION_CHARS):
                m = None
            named += m is not None
        if m is None:
            return pos
        pos = m.end()
    return pos


def after_places(raw: str, gazetteer: Gazetteer) -> str:
    """The address after its leading district and street; a later mention of the same unit is a road's name."""
    cut, seen = 0, set()
    for place in gazetteer.find(raw):
        if place.start > cut + 1 or place.name in seen:
            break
        seen.add(place.name)
        cut = max(cut, place.end)
    return raw[cut:].lstrip("的")


def find_location(text: str, *, gazetteer: Gazetteer) -> LocationFacts:
    """District and street from the gazetteer, community/building/landmark by rules, and the raw span covering them."""
    district, street, places = gazetteer.resolve(text)
    community = _without_places(_first(_COMMUNITY, text), gazetteer)
    landmark = _without_places(_first(_LANDMARK, text), gazetteer)
    road = _first(_ROAD, text)
    building = _BUILDING.search(text)
    spans = [(p.start, p.end) for p in places if (p.kind == "district" and p.name == district)
             or (p.kind == "unit" and p.name == street)]
    for found in (community, landmark, road):
        if found:
            spans.append((found[1], found[2]))
    if building:
        spans.append(building.span())
    raw = None
    if spans:
        spans.sort()
        start, end = spans[0]
        # A rule-found piece may start inside a district's name ("北京市朝阳区…" → "京市朝阳区…"): start at the name.
        start = next((p.start for p in places if p.start < start < p.end), start)
        for s, e in spans[1:]:
            # Join pieces of one address ("朝阳区望京街道 花家地小区3号楼"); a later, distant mention is another place.
            if s - end <= 6 and not re.search(r"[。！？!?；;]", text[end:s]):
                end = max(end, e)
        # The named places found by the rules stop short ("中关村南大街5号院" is more than "中关村"): follow the
        # address from the last gazetteer place or rule-found piece to its real end.
        anchors = [e for s, e in spans if start <= s <= end]
        end = max(end, _chain(text, max(anchors)))
        raw = text[start:end].strip("，,。 ") or None
        if raw and len(raw) > 60:
            raw = raw[:60]
    rest = after_places(raw, gazetteer) if raw else None
    if rest and len(rest) >= 3 and (_PIECE_NAME.match(rest) or _PIECE_NUMBER.match(rest)):
        community = (rest, 0, 0)  # the whole estate-and-number part of the address, not a fragment of it
    return LocationFacts(
        raw=raw, district=district, street=street,
        community=community[0] if community else (building.group(0) if building else None),
        landmark=landmark[0] if landmark else None,
    )


# A place as a stable name, so that requests about one place are counted together (the analysis's places): the
# lead-in, the building number, the side ("门口") and the administrative prefix cut off — "清华东路小区3号楼楼道里"
# and "清华东路小区" are one estate. Roads are found anywhere in the text, not only in the address.
_ADMIN_PREFIX = re.compile(r"^.*(?:市|区|县|镇|乡|街道|地区)(?=[\u4e00-\u9fa5A-Za-z]{2})")
_NUMBER_TAIL = re.compile(rf"{_NUMBER}(?:{_HOUSE_UNIT}).*$")
_SIDE_TAIL = re.compile(rf"(?:{_SIDE}|楼道里|楼下|里面|内|(?<=小区|社区)里)+$")
_ROAD_KINDS = r"大街|路|大道|环路|胡同|巷"
_ROAD_NAME = re.compile(rf"([\u4e00-\u9fa5]{{1,6}}?(?:{_ROAD_KINDS}))(?!街道|口站|灯|面|边|段上)")
_ROAD_END = re.compile(rf"(?:{_ROAD_KINDS})$")
_NOT_A_ROAD = re.compile(r"(道路|马路|公路|铁路|线路|电路|网路|思路|出路|走路|门路|一路|这条路|那条路|上路|过马路|小路|路路|断头路|之路|"
                         r"套路|跑路|活路|去路|修路|封路|指路|下路)$")
# Movement before a road's name: "沿着金新北路", "途经果园大道".
_ALONG = re.compile(r"^.*(?:沿着|沿|途经|经|过|着)")


def _after(lead: re.Pattern[str], name: str, *, keep: int = 1) -> str:
    m = lead.match(name)
    return name[m.end():] if m and m.end() <= len(name) - keep else name


def place_name(name: str | None, *, gazetteer: Gazetteer | None = None) -> str | None:
    """The name a place is counted under; None for no specific place (or a district or street of the gazetteer)."""
    if not name:
        return None
    name = _after(_LEAD_IN, name.strip("，,。；;、 "), keep=2)
    name = _NUMBER_TAIL.sub("", name)
    name = _ADMIN_PREFIX.sub("", name) if len(name) > 5 else name
    name = _SIDE_TAIL.sub("", name).strip("，,。；;、 的")
    if len(name) >= 4 and name.endswith(("小区", "社区")):  # "金桂苑小区" and "金桂苑" are one estate
        name = name[:-2]
    if len(name) < 3 or _NOT_A_NAME.search(name) or name.startswith(_BAD_PREFIX):
        return None
    if gazetteer is not None and (gazetteer.district_of(name) or gazetteer.normalise_district(name)):
        return None
    return name


def is_road(name: str) -> bool:
    """A name that ends like a road ("德外大街"), whatever the rule that found it took it for."""
    return _ROAD_END.search(name) is not None


def road_names(text: str) -> Iterator[str]:
    """Every named road, street or lane in the text, in order ("学清路", "德外大街"); generic ones ("马路") left out."""
    for m in _ROAD_NAME.finditer(text):
        name = _ADMIN_PREFIX.sub("", _after(_ALONG, _after(_LEAD_IN, m.group(1))))
        if len(name) >= 3 and not _NOT_A_ROAD.search(name) and not _NOT_A_NAME.search(name):
            yield name
