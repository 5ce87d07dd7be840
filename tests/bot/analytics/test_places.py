"""A request's place keys: one estate however its address is written; kinds of place are no place."""

from __future__ import annotations

from bot.analytics.places import label, place_keys
from bot.intake.gazetteer import load_gazetteer


def test_one_estate_however_written_and_roads_from_the_text() -> None:
    gazetteer = load_gazetteer()
    keys = place_keys("海淀区中关村街道金桂苑小区3号楼的电梯坏了，学清路也堵", community="中关村街道金桂苑小区3号楼",
                      gazetteer=gazetteer)
    assert keys == ["community:金桂苑", "road:学清路"]
    assert place_keys("我住金桂苑小区5号楼", community="金桂苑小区5号楼") == ["community:金桂苑"]
    assert label(keys[1]) == "学清路（道路）"


def test_unnamed_businesses_and_bare_kinds_are_no_place() -> None:
    assert place_keys("小区配套幼儿园迟迟不开，旁边加油站也吵", landmark="加油站", businesses=["配套幼儿园"]) == []
    assert place_keys("金鼎超市卖过期食品", businesses=["兴华大街88号金鼎超市"]) == ["business:金鼎超市"]  # the shop, not its address
