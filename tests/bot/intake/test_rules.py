"""Offline extraction rules: phones (never an ID number), time expressions, places from the gazetteer."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidConfig
from bot.intake.address import find_location, place_name, road_names
from bot.intake.contact import find_contact, find_phones
from bot.intake.gazetteer import load_gazetteer
from bot.intake.timex import find_time

NOW = datetime(2026, 3, 12, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Thursday


@pytest.fixture(scope="module")
def gazetteer():  # noqa: ANN201
    return load_gazetteer("北京市")


def test_gazetteer_covers_beijing(gazetteer) -> None:  # noqa: ANN001
    assert len(gazetteer.districts) == 16
    assert sum(len(gazetteer.units_of(d)) for d in gazetteer.districts) >= 330
    assert "望京街道" in gazetteer.units_of("朝阳区") and "宋庄镇" in gazetteer.units_of("通州区")


def test_unknown_city_is_refused() -> None:
    with pytest.raises(InvalidConfig):
        load_gazetteer("上海市")


@pytest.mark.parametrize(("text", "phones"), [
    ("我的电话13812345678", ["13812345678"]),
    ("手机 139-1234-5678 身份证110101199003071234", ["13912345678"]),
    ("身份证号110101199003071234", []),
    ("订单号2013812345678901", []),
    ("座机010-62345678", ["01062345678"]),
    ("共有 12345678 人", []),
])
def test_phones(text: str, phones: list[str]) -> None:
    assert find_phones(text) == phones


def test_contact_wishes() -> None:
    facts = find_contact("我姓李，匿名反映，不需要回电")
    assert facts.name == "李" and facts.anonymous and facts.callback_wanted is False
    assert find_contact("楼下很吵").name is None


@pytest.mark.parametrize(("text", "raw", "start", "recurrence"), [
    ("昨天晚上8点有人在楼道吸烟", "昨天晚上8点", datetime(2026, 3, 11, 20, 0), None),
    ("上周三开始停电", "上周三", datetime(2026, 3, 4), None),
    ("两个小时前闻到焦味", "两个小时前", datetime(2026, 3, 12, 8, 30), None),
    ("3月5日下午停水", "3月5日", datetime(2026, 3, 5), None),
    ("每天晚上十点以后还在施工", "每天晚上十点", None, "每天晚上十点"),
    ("小区停水了", None, None, None),
    ("上个月交的物业费", "上个月", None, None),
])
def test_time(text: str, raw, start, recurrence) -> None:  # noqa: ANN001
    facts = find_time(text, now=NOW)
    assert facts.raw == raw and facts.recurrence == recurrence
    assert (facts.start.replace(tzinfo=None) if facts.start else None) == start


@pytest.mark.parametrize(("text", "district", "street", "raw"), [
    ("我住朝阳区望京街道花家地西里3号楼", "朝阳区", "望京街道", "朝阳区望京街道花家地西里3号楼"),
    ("回龙观龙泽苑东区门口垃圾成山", "昌平区", "回龙观街道", "回龙观龙泽苑东区"),
    ("朝阳门附近有人摆摊", None, None, None),
    ("海淀八里庄街道", "海淀区", "八里庄街道", "海淀八里庄街道"),
    ("八里庄街道的路灯坏了", None, "八里庄街道", "八里庄街道"),  # in two districts: district stays unknown
    ("我们小区停水三天了", None, None, None),
    ("上周小区着火的事", None, None, None),
    ("今年幼儿园报名什么时候开始", None, None, None),  # a clause, not a kindergarten's name
    ("希望在建国路增设一个公交站", None, None, "建国路"),
    ("我们住在同鑫家园3栋，楼顶漏水", None, None, "同鑫家园3栋"),  # "同…" is a name, "同小区" is not
    ("同小区的邻居天天装修", None, None, None),
])
def test_location(gazetteer, text: str, district, street, raw) -> None:  # noqa: ANN001
    facts = find_location(text, gazetteer=gazetteer)
    assert (facts.district, facts.street, facts.raw) == (district, street, raw)


@pytest.mark.parametrize(("name", "counted_as"), [
    ("海淀区中关村街道金桂苑小区3号楼楼道里", "金桂苑"),  # district, street, number, side and "小区" cut off
    ("我住金桂苑小区5号楼", "金桂苑"),
    ("富力花园8号楼外墙", "富力花园"),
    ("A市A1区万国城moma", "万国城moma"),
    ("西地省悦华星城置业有限公司", "西地省悦华星城置业有限公司"),  # "有限" is no lead-in "有"
    ("同一个小区", None),
    ("今年幼儿园", None),
    ("望京街道", None),  # a street of the gazetteer is an area, not a place
])
def test_place_names_for_counting(gazetteer, name: str, counted_as) -> None:  # noqa: ANN001
    assert place_name(name, gazetteer=gazetteer) == counted_as


def test_road_names_anywhere_in_the_text() -> None:
    assert list(road_names("沿着金新北路走到德外大街路口，这条断头路什么时候修通")) == ["金新北路", "德外大街"]
    assert list(road_names("途经果园大道的公交")) == ["果园大道"]
    assert list(road_names("共享单车把消防通道都占了，过马路很危险")) == []
