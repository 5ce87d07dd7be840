"""The routing table against real-looking tickets, and admins' edits (bad ones refused with a reason)."""

from __future__ import annotations

import copy

import pytest
import yaml

from bot.dispatch.routing import SHIPPED_PATH, RouteInput, Router, load_router, load_table, save_override
from bot.errors import InvalidConfig

CASES = [
    # (l1, l2, district, street, text, expected unit id, expected rule)
    # Categories are the taxonomy's own names (bot/resources/taxonomy.yaml), as triage produces them.
    ("城乡建设", "环境卫生", "朝阳区", "望京街道", "望京西园三区12号楼北侧垃圾站垃圾满了三天没人清运，臭味很大",
     "chaoyang.street.望京街道", "street-city-services"),
    ("城乡建设", "物业管理", "西城区", "展览路街道", "百万庄大街甲2号院5号楼暖气不热，室温只有十四度",
     "city.heat", "heat-keywords"),
    ("城乡建设", "环境卫生", "平谷区", "兴谷街道", "兴谷园小区6号楼楼道里燃气味很重，担心漏气",
     "city.gas", "gas-keywords"),
    ("城乡建设", "市政设施", "大兴区", "黄村镇", "康庄小区8号楼高层水压低，六楼以上没有水",
     "city.water", "water-keywords"),
    ("城乡建设", "市政设施", "密云区", "鼓楼街道", "宾阳里小区突然停电已经三个小时了",
     "city.power", "power-keywords"),
    ("政法", "交通管理", "东城区", "东四街道", "东四十条地铁站B口每天大量车辆违停堵路",
     "dongcheng.jiaojing", "traffic-category"),
    ("环境保护", "餐饮油烟", "海淀区", "学院路街道", "楼下烧烤店每天凌晨两点还在营业，油烟噪音扰民",
     "haidian.cgzf", "enforcement-keywords"),
    ("环境保护", "大气污染", "房山区", "长阳镇", "稻田村南侧搅拌站扬尘严重，车辆不苫盖",
     "fangshan.sthjj", "environment"),
    ("劳动和社会保障", "工资拖欠", "通州区", "永顺镇", "装饰公司拖欠我们三个月工资不发",
     "tongzhou.rsj", "labour-keywords"),
    ("商贸旅游", "市场监管", "海淀区", "中关村街道", "在便利店买到过期面包，要求退款",
     "haidian.scjgj", "market-keywords"),
    ("城乡建设", "物业管理", "石景山区", "八角街道", "物业收了费不干活，楼道灯坏了一个月",
     "shijingshan.zjw", "housing-keywords"),
    ("教育文体", "入学与学位", "朝阳区", "双井街道", "户口满三年孩子却没分到学位",
     "chaoyang.jw", "education"),
    ("卫生计生", "非法行医", "丰台区", "卢沟桥街道", "口腔诊所没有医疗资质还在看牙",
     "fengtai.wjw", "health"),
    ("城乡建设", "市政设施", "朝阳", None, "小区门口路灯坏了", "chaoyang.cgw", "street-district-cgw"),
    ("农村农业", "村务管理", "怀柔区", "渤海镇", "村里账目不公开", "huairou.street.渤海镇", "street-local"),
    ("党务政务", "工作作风", "丰台区", None, "办事人员态度恶劣", "fengtai.dispatch", "fallback-district"),
    ("党务政务", "工作作风", None, None, "办事人员态度恶劣", "city.dispatch", "fallback-city"),
]


@pytest.mark.parametrize(("l1", "l2", "district", "street", "text", "unit", "rule"), CASES)
def test_real_looking_tickets_reach_the_right_unit(l1, l2, district, street, text, unit, rule) -> None:  # noqa: ANN001
    """Each ticket lands at its unit, and the decision names the rule and the evidence."""
    d = load_router().route(RouteInput(l1, l2, district, street, "complaint", text))
    assert (d.unit_id, d.rule_id) == (unit, rule)
    assert d.reason and d.table_version.startswith("2026.1:")
    if rule.startswith("fallback"):
        assert d.manual and "人工派单" in d.reason
    else:
        assert rule in d.reason


def test_unit_names_are_official_style() -> None:
    """Street offices, towns and district bureaus get their full names."""
    r = load_router()
    assert r.unit_name("chaoyang.street.望京街道") == "朝阳区人民政府望京街道办事处"
    assert r.unit_name("huairou.street.渤海镇") == "怀柔区渤海镇人民政府"
    assert r.unit_name("haidian.cgzf") == "海淀区城市管理综合行政执法局"
    assert r.unit_name("dongcheng.jiaojing") == "北京市公安局公安交通管理局东城区交通支队"
    assert r.unit_name("nowhere.cgzf") is None


def shipped() -> dict:
    """The shipped table as plain data."""
    return yaml.safe_load(SHIPPED_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("edit", "reason"), [
    (lambda t: t["rules"][0].update(unit="city.nowhere"), "不存在的单位"),
    (lambda t: t["rules"][0].update(unit="district:nope"), "不存在的区属单位"),
    (lambda t: t["rules"].append(copy.deepcopy(t["rules"][0])), "重复"),
    (lambda t: t["rules"][0].update(match={}), "没有任何匹配条件"),
    (lambda t: t["rules"][0]["match"].update(category_l1=["城建"]), "不在 15 个一级分类"),
    (lambda t: t["rules"][0]["match"].update(districts=["火星区"]), "未知的区"),
    (lambda t: t["rules"][0]["match"].update(keywords=[" "]), "空关键词"),
    (lambda t: t["units"].pop(0), "city.dispatch"),
    (lambda t: t["rules"][0].update(colour="red"), "格式不正确"),
    (lambda t: t["district_units"][0].update(name="{city}派单"), "模板"),
    (lambda t: t["units"][1].update(name="<img src=x onerror=alert(1)>"), "HTML"),
    (lambda t: t["districts"][0]["aliases"].append("朝\u202e阳"), "方向字符"),
])
def test_bad_edits_are_refused_with_a_reason(tmp_path, edit, reason: str) -> None:  # noqa: ANN001
    """Nothing is written when the table is bad, and the message says what is wrong."""
    table = shipped()
    edit(table)
    with pytest.raises(InvalidConfig, match=reason):
        save_override(tmp_path, table)
    assert not (tmp_path / "routing.yaml").exists()


def test_good_edit_takes_effect_and_is_versioned(tmp_path) -> None:  # noqa: ANN001
    """An admin adds a street-specific rule: it wins and the version changes."""
    before = load_router(tmp_path)
    table = shipped()
    table["rules"].insert(0, {"id": "wangjing-garbage", "description": "望京垃圾问题由朝阳区城管委督办",
                              "match": {"streets": ["望京街道"], "keywords": ["垃圾"]}, "unit": "district:cgw"})
    save_override(tmp_path, table)
    after = load_router(tmp_path)
    assert after.version != before.version
    d = after.route(RouteInput("城乡建设", None, "朝阳区", "望京街道", None, "垃圾没人清运"))
    assert (d.unit_id, d.rule_id) == ("chaoyang.cgw", "wangjing-garbage")


def test_shipped_table_is_valid_and_covers_every_district() -> None:
    """16 districts, 14 units each plus 5 city units."""
    table = load_table(SHIPPED_PATH)
    assert len(table.districts) == 16
    assert len(table.district_units) == 14
    assert len(Router(table).all_units()) == 5 + 16 * len(table.district_units)
