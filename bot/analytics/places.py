"""The places a request names, as stable keys: a community, a road, a landmark or a business.

The extractor's location facts are read first; roads and businesses are also found in the text, so a
street name buried in the story still counts. Each key is "kind:name" with the building number, the
side ("门口") and the administrative prefix cut off, so "清华东路小区3号楼楼道里" and "清华东路小区" are one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.intake.gazetteer import Gazetteer

KINDS = {"community": "小区/社区", "road": "道路", "landmark": "地点", "business": "商户"}

_ADMIN_PREFIX = re.compile(r"^.*(?:市|区|县|镇|乡|街道|地区)(?=[\u4e00-\u9fa5A-Za-z]{2})")
_NUMBER_TAIL = re.compile(r"(?:[东西南北]?\d+|[一二三四五六七八九十]+)(?:号院|号楼|号|栋|幢|单元|层|楼|室).*$")
_SIDE_TAIL = re.compile(r"(附近|旁边|门口|对面|东侧|西侧|南侧|北侧|西门|东门|南门|北门|楼道里|楼下|里面|内|(?<=小区|社区)里)+$")
_ROAD = re.compile(r"([\u4e00-\u9fa5]{1,6}?(?:大街|路|大道|环路|胡同|巷))(?!街道|口站|灯|面|边|段上)")
_ROAD_STOP = re.compile(r"(道路|马路|公路|铁路|线路|电路|网路|思路|出路|走路|门路|一路|这条路|那条路|上路|过马路|小路|路路)$")
_LEAD = re.compile(r"^.*(?:住在|位于|就在|在|到|从|的|对|和|与|及|是|经|沿|过|把|被|给|让|我们|我家|附近|门口|旁边)")
_BUSINESS_GENERIC = re.compile(r"^(?:[一二三四五六七八九十两几多这那该本某][家个间]?)?(?:烧烤店|饭店|餐馆|餐厅|超市|商店|小店|门店|店铺|"
                               r"公司|工厂|工地|市场|菜市场|便利店|理发店|药店|诊所|物业|物业公司|商场|酒店|宾馆|健身房|小吃店|"
                               r"幼儿园|小学|中学|学校|医院|银行|快递站|商铺|商户)$")
_NOT_A_NAME = re.compile(r"(每天|天天|晚上|凌晨|早上|一直|经常|总是|已经|没有|不能|不让|我们|他们|自己|孩子|老人|投诉|反映|请问|希望|"
                         r"今年|明年|去年|增设|设置|建议|要求|哪|什么|怎么|多少|一个|一家)")
_NAME_LEAD = re.compile(r"^.*(?:住在|位于|就在|在|到|从|的|把|被|给|让|我们|我家)")
_BAD_PREFIX = ("这", "那", "该", "本", "某", "我", "你", "他", "各", "每", "附近", "周边", "哪", "整个", "全", "其他", "所有")
_ROAD_END = re.compile(r"(?:大街|路|大道|环路|胡同|巷)$")


def _clean(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip("，,。；;、 ")
    lead = _NAME_LEAD.match(name)
    if lead and lead.end() < len(name) - 1:
        name = name[lead.end():]
    name = _NUMBER_TAIL.sub("", name)
    name = _ADMIN_PREFIX.sub("", name) if len(name) > 5 else name
    name = _SIDE_TAIL.sub("", name)
    name = name.strip("，,。；;、 的")
    if len(name) >= 4 and name.endswith(("小区", "社区")):  # "金桂苑小区" and "金桂苑" are one estate
        name = name[:-2]
    if len(name) < 3 or _NOT_A_NAME.search(name) or name.startswith(_BAD_PREFIX):
        return None
    return name


def _roads(text: str) -> Iterable[str]:
    for m in _ROAD.finditer(text):
        name = m.group(1)
        lead = _LEAD.match(name)
        if lead and lead.end() < len(name):
            name = name[lead.end():]
        name = _ADMIN_PREFIX.sub("", name)
        if len(name) >= 3 and not _ROAD_STOP.search(name) and not _NOT_A_NAME.search(name):
            yield name


def place_keys(text: str, *, community: str | None = None, landmark: str | None = None,
               businesses: Iterable[str] = (), gazetteer: Gazetteer | None = None) -> list[str]:
    """The "kind:name" keys of every specific place the request names, most specific first, no repeats."""
    keys: list[str] = []

    def add(kind: str, name: str | None) -> None:
        cleaned = _clean(name)
        if not cleaned:
            return
        if kind in ("community", "landmark") and _ROAD_END.search(cleaned):
            kind = "road"  # "德外大街" read as an estate is the road
        if gazetteer is not None and (gazetteer.district_of(cleaned) or gazetteer.normalise_district(cleaned)):
            return  # a district or street of the gazetteer is an administrative area, not a place
        key = f"{kind}:{cleaned}"
        if key not in keys:
            keys.append(key)

    add("community", community)
    if landmark and landmark != community:
        add("landmark", landmark)
    for name in businesses:
        name = re.split(r"\d+号(?:院|楼)?", name)[-1]  # "兴华大街88号金鼎超市" is the shop "金鼎超市"
        name = re.sub(r"^.*(?:名叫|叫做|名为|叫)", "", name)
        if not _BUSINESS_GENERIC.match(_clean(name) or "") and not name.endswith("物业"):
            add("business", name)
    for road in _roads(text):
        add("road", road)
    # A community whose name is a road's plus a suffix ("清华东路小区") also names that road; keep both.
    return keys[:6]


def label(key: str) -> str:
    """The place in words: its name (kind in brackets)."""
    kind, _, name = key.partition(":")
    return f"{name}（{KINDS.get(kind, kind)}）"


def name_of(key: str) -> str:
    """The bare name of a place key."""
    return key.partition(":")[2]
