"""The places a request names, as stable keys: a community, a road, a landmark or a business.

The extractor's location facts are read first; roads and businesses are also found in the text, so a
street name buried in the story still counts. Each key is "kind:name"; the name is the intake address parser's
(`bot.intake.address.place_name`), so "清华东路小区3号楼楼道里" and "清华东路小区" are one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.intake.address import is_road, place_name, road_names
from bot.intake.gazetteer import Gazetteer

KINDS = {"community": "小区/社区", "road": "道路", "landmark": "地点", "business": "商户"}

_BUSINESS_GENERIC = re.compile(r"^(?:[一二三四五六七八九十两几多这那该本某][家个间]?)?(?:烧烤店|饭店|餐馆|餐厅|超市|商店|小店|门店|店铺|"
                               r"公司|工厂|工地|市场|菜市场|便利店|理发店|药店|诊所|物业|物业公司|商场|酒店|宾馆|健身房|小吃店|"
                               r"幼儿园|小学|中学|学校|医院|银行|快递站|商铺|商户)$")


def place_keys(text: str, *, community: str | None = None, landmark: str | None = None,
               businesses: Iterable[str] = (), gazetteer: Gazetteer | None = None) -> list[str]:
    """The "kind:name" keys of every specific place the request names, most specific first, no repeats."""
    keys: list[str] = []

    def add(kind: str, name: str | None) -> None:
        cleaned = place_name(name, gazetteer=gazetteer)
        if not cleaned:
            return
        if kind in ("community", "landmark") and is_road(cleaned):
            kind = "road"  # "德外大街" read as an estate is the road
        key = f"{kind}:{cleaned}"
        if key not in keys:
            keys.append(key)

    add("community", community)
    if landmark and landmark != community:
        add("landmark", landmark)
    for name in businesses:
        name = re.split(r"\d+号(?:院|楼)?", name)[-1]  # "兴华大街88号金鼎超市" is the shop "金鼎超市"
        name = re.sub(r"^.*(?:名叫|叫做|名为|叫)", "", name)
        if not _BUSINESS_GENERIC.match(place_name(name) or "") and not name.endswith("物业"):
            add("business", name)
    for road in road_names(text):
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
