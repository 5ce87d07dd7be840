"""Routing speaks the taxonomy's language: every category a rule names is one triage can produce.

A rule naming a category the taxonomy does not have never fires, and the ticket silently falls to a dispatch
desk; so the loader refuses such a table (at start and on an admin's edit), and real-looking citizen
messages triaged by the real classifier (the `hotline classify` path) reach the right kind of unit.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

import pytest
import yaml
from fastapi.testclient import TestClient

from bot import taxonomy as taxonomy_mod
from bot.auth import create_token
from bot.config import get_settings
from bot.dispatch.routing import (
    SHIPPED_PATH,
    RouteInput,
    Router,
    load_router,
    load_table,
    save_override,
)
from bot.errors import InvalidConfig
from bot.store.db import session_scope
from bot.taxonomy import Taxonomy, load_taxonomy


def shipped() -> dict:
    """The shipped routing table as plain data."""
    return yaml.safe_load(SHIPPED_PATH.read_text(encoding="utf-8"))


def shipped_taxonomy() -> dict:
    """The shipped taxonomy as plain data."""
    return yaml.safe_load(taxonomy_mod.SHIPPED_PATH.read_text(encoding="utf-8"))


def level1s_with_rules(table: dict, tax: Taxonomy) -> set[str]:
    """The first-level categories some rule is about (by category_l1, or by a category_l2 under it)."""
    out: set[str] = set()
    for rule in table["rules"]:
        match = rule["match"]
        out.update(match.get("category_l1", []))
        for name in match.get("category_l2", []):
            if not match.get("category_l1"):
                out.update(c.name for c in tax.categories if name in tax.level2_names(c.name))
    return out


# --- the shipped table against the shipped taxonomy ---------------------------------------------------------


def test_every_rule_category_exists_in_the_taxonomy() -> None:
    """Each category_l1 is a taxonomy first level; each category_l2 sits under one of the rule's first levels."""
    tax = load_taxonomy()
    level1 = {c.name for c in tax.categories}
    problems = []
    for rule in shipped()["rules"]:
        match = rule["match"]
        l1s = match.get("category_l1", [])
        problems += [f"{rule['id']}: 一级 {name}" for name in l1s if name not in level1]
        scope = l1s or sorted(level1)
        for name in match.get("category_l2", []):
            if not any(name in tax.level2_names(top) for top in scope):
                problems.append(f"{rule['id']}: 二级 {name}（应在 {'/'.join(scope)} 下）")
    assert problems == []


def test_category_rules_cover_the_main_first_levels() -> None:
    """The table routes by category, not only by keywords, for the categories citizens call about most."""
    covered = level1s_with_rules(shipped(), load_taxonomy())
    assert {"城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生",
            "政法", "民政"} <= covered


@pytest.mark.parametrize(("l1", "l2", "district", "street", "unit", "rule"), [
    ("城乡建设", "燃气供应", "朝阳区", "望京街道", "city.gas", "gas-category"),
    ("城乡建设", "违法建设", "丰台区", "新村街道", "fengtai.cgzf", "enforcement-illegal-building"),
    ("环境保护", "餐饮油烟", "西城区", "什刹海街道", "xicheng.cgzf", "enforcement-fumes"),
    ("城乡建设", "城乡规划", "海淀区", "清河街道", "haidian.ghzrw", "planning"),
    ("卫生计生", "食品药品监管", "海淀区", "中关村街道", "haidian.scjgj", "food-drug-category"),
    ("城乡建设", "群租与房屋使用", "昌平区", "天通苑北街道", "changping.street.天通苑北街道", "street-group-rental"),
    ("城乡建设", "群租与房屋使用", "昌平区", None, "changping.zjw", "housing-category"),
    ("城乡建设", "房屋征收拆迁", "丰台区", "卢沟桥街道", "fengtai.zjw", "housing-category"),
    ("城乡建设", "工程建设管理", "通州区", "潞城镇", "tongzhou.zjw", "housing-category"),
    ("城乡建设", "园林绿化", "东城区", "和平里街道", "dongcheng.street.和平里街道", "street-city-services"),
    ("城乡建设", "园林绿化", "东城区", None, "dongcheng.cgw", "street-district-cgw"),
    ("交通运输", "出租车与网约车", "朝阳区", "三里屯街道", "chaoyang.jtw", "transport"),
    ("教育文体", "校外培训", "海淀区", "海淀街道", "haidian.jw", "education"),
    ("政法", "诈骗", "西城区", "金融街街道", "xicheng.gaj", "public-security"),
])
def test_category_rules_fire_on_taxonomy_names(l1, l2, district, street, unit, rule) -> None:  # noqa: ANN001
    """With nothing but the category (no keyword in the text), the category rule decides."""
    d = load_router().route(RouteInput(l1, l2, district, street, "complaint", "请尽快处理"))
    assert (d.unit_id, d.rule_id) == (unit, rule)
    assert f"二级分类为“{l2}”" in d.reason and not d.manual


# --- refusing tables that name unknown categories ----------------------------------------------------------


BAD_CATEGORY_EDITS = [
    # (what the admin did, edit, words the reason must contain)
    ("old second-level name", lambda t: _rule(t, "street-city-services")["match"].update(
        category_l2=["城市建设和市政管理"]), ["street-city-services", "城市建设和市政管理", "不在分类体系"]),
    ("made-up second level without first level", lambda t: _rule(t, "gas-category")["match"].update(
        category_l1=[], category_l2=["燃气安全"]), ["gas-category", "燃气安全", "不在分类体系"]),
    ("second level under the wrong first level", lambda t: _rule(t, "education")["match"].update(
        category_l2=["入学与学位", "工资拖欠"]), ["education", "工资拖欠", "不属于一级分类", "劳动和社会保障"]),
    ("unknown first level", lambda t: _rule(t, "environment")["match"].update(
        category_l1=["环境保护与治理"]), ["environment", "环境保护与治理", "不在 15 个一级分类"]),
]


def _rule(table: dict, rule_id: str) -> dict:
    return next(r for r in table["rules"] if r["id"] == rule_id)


@pytest.mark.parametrize(("what", "edit", "words"), BAD_CATEGORY_EDITS, ids=[e[0] for e in BAD_CATEGORY_EDITS])
def test_edit_naming_unknown_category_is_refused_and_nothing_changes(tmp_path, what, edit, words) -> None:  # noqa: ANN001
    """An admin's earlier good edit stays in force, byte for byte, and routing is unchanged."""
    good = shipped()
    good["rules"].insert(0, {"id": "wangjing-garbage", "description": "望京垃圾问题由朝阳区城管委督办",
                             "match": {"streets": ["望京街道"], "keywords": ["垃圾"]}, "unit": "district:cgw"})
    save_override(tmp_path, good)
    stored = (tmp_path / "routing.yaml").read_bytes()
    before = load_router(tmp_path).version

    bad = shipped()
    edit(bad)
    with pytest.raises(InvalidConfig) as refused:
        save_override(tmp_path, bad)
    reason = str(refused.value)
    assert reason.startswith("路由表有误：")
    for word in words:
        assert word in reason, (what, reason)
    assert (tmp_path / "routing.yaml").read_bytes() == stored
    assert not list(tmp_path.glob("*.tmp"))
    assert load_router(tmp_path).version == before
    d = load_router(tmp_path).route(RouteInput("城乡建设", "环境卫生", "朝阳区", "望京街道", None, "垃圾没人清运"))
    assert d.rule_id == "wangjing-garbage"


def test_admin_api_refuses_unknown_category_with_the_reason() -> None:
    """PUT /api/admin/routing answers 400 with the Chinese reason; the table in force is unchanged."""
    from connectors.app import create_app
    from connectors.runtime import Runtime

    runtime = Runtime()
    with session_scope(runtime.db_url) as db:
        admin = {"Authorization": f"Bearer {create_token(db, role='admin', name='ops')}"}
    client = TestClient(create_app(runtime))
    before = client.get("/api/admin/routing", headers=admin).json()
    table = copy.deepcopy(before["table"])
    _rule(table, "housing-category")["match"]["category_l2"].append("住房保障与房地产")
    bad = client.put("/api/admin/routing", headers=admin, json=table)
    assert bad.status_code == 400
    assert "housing-category" in bad.json()["detail"] and "住房保障与房地产" in bad.json()["detail"]
    assert "不在分类体系" in bad.json()["detail"]
    assert client.get("/api/admin/routing", headers=admin).json() == before
    assert not (runtime.settings.overrides_dir / "routing.yaml").exists()


def test_the_taxonomy_in_force_is_the_one_checked(tmp_path) -> None:  # noqa: ANN001
    """After an admin renames 冬季采暖 to 集中供热, the old table is refused at load, and the new name is accepted."""
    tax = shipped_taxonomy()
    top = next(c for c in tax["categories"] if c["name"] == "城乡建设")
    next(s for s in top["children"] if s["name"] == "冬季采暖")["name"] = "集中供热"
    taxonomy_mod.save_override(tmp_path, tax)

    with pytest.raises(InvalidConfig, match="heat-category.*冬季采暖.*不在分类体系"):
        load_router(tmp_path)
    assert load_router().version  # the shipped taxonomy and table still agree

    table = shipped()
    with pytest.raises(InvalidConfig, match="冬季采暖"):
        save_override(tmp_path, table)
    assert not (tmp_path / "routing.yaml").exists()
    _rule(table, "heat-category")["match"]["category_l2"] = ["集中供热"]
    save_override(tmp_path, table)
    d = load_router(tmp_path).route(RouteInput("城乡建设", "集中供热", "西城区", "展览路街道", None, "家里太冷了"))
    assert (d.unit_id, d.rule_id) == ("city.heat", "heat-category")
    # ...and the renamed table is not valid against the shipped taxonomy.
    with pytest.raises(InvalidConfig, match="集中供热"):
        Router(load_table(tmp_path / "routing.yaml"))


# --- real-looking messages through the real triage (the `hotline classify` path) ---------------------------


@dataclass(frozen=True)
class Case:
    """A citizen's message, the first level triage should give it (None: not asserted), acceptable units."""

    id: str
    text: str
    level1: str | None
    units: frozenset[str]


def case(id: str, text: str, level1: str | None, *units: str) -> Case:  # noqa: A002
    return Case(id, text, level1, frozenset(units))


CASES = [
    case("gas-leak", "朝阳区望京街道望京西园三区12号楼楼道里一股燃气泄漏的味道，闻着很呛，电话13912345678",
         "城乡建设", "city.gas"),
    case("heating", "西城区展览路街道百万庄大街甲2号院5号楼暖气不热，室温只有十四度", "城乡建设", "city.heat"),
    case("water", "大兴区黄村镇康庄小区8号楼高层水压低，六楼以上没有水", "城乡建设", "city.water"),
    case("power", "密云区鼓楼街道宾阳里小区突然停电已经三个小时了", "城乡建设", "city.power"),
    case("property", "石景山区八角街道八角北里25号楼小区物业不作为，楼道灯坏了一个月也不修，物业费照收",
         "城乡建设", "district:zjw", "street_office"),
    case("garbage", "昌平区回龙观街道龙泽苑东区12号楼北侧垃圾站垃圾满了好几天没人清运", "城乡建设", "street_office"),
    case("group-rental", "昌平区天通苑北街道楼里有群租房，一套房子住了二十多人", "城乡建设", "street_office"),
    case("planning", "海淀区清河街道我们小区旁边地块的控规调整了，容积率提高了，规划公示在哪能看到",
         "城乡建设", "district:ghzrw"),
    # The classifier calls this 交通运输/道路与交通规划; the keywords still send it to city management.
    case("street-vending", "海淀区学院路街道成府路路口每天晚上流动摊贩占道经营，把人行道都堵了", None, "district:cgzf"),
    case("night-works", "丰台区卢沟桥街道小区旁边工地夜间施工，凌晨两点还在打桩，噪音扰民睡不着",
         "环境保护", "district:cgzf", "district:sthjj"),
    case("dust", "房山区长阳镇稻田村南侧搅拌站扬尘严重，车辆不苫盖", "环境保护", "district:sthjj"),
    case("wages", "通州区永顺镇某装饰公司拖欠我们三个月工资不发，老板电话打不通", "劳动和社会保障", "district:rsj"),
    # Triage may file illegal parking under 交通运输 or 政法; either way it is the traffic police's.
    case("illegal-parking", "东城区东四街道东四十条地铁站B口每天大量车辆违章停车，堵住路口", None, "district:jiaojing"),
    case("taxi", "朝阳区三里屯街道出租车司机拒载还绕路，车牌京B12345", "交通运输", "district:jtw"),
    case("school-fees", "朝阳区双井街道双井第二小学违规收取课后服务费和资料费", "教育文体", "district:jw"),
    case("hospital", "丰台区方庄街道某医院门诊医生服务态度很差，排队三个小时才看上病", "卫生计生", "district:wjw"),
    case("food-safety", "海淀区中关村街道一家餐馆卖的熟食变质了，吃完拉肚子，怀疑食品安全有问题",
         "卫生计生", "district:scjgj"),
    case("prepaid-card", "海淀区某健身房办了预付卡，现在老板跑路了，要求退费", "商贸旅游", "district:scjgj"),
    case("village-accounts", "怀柔区渤海镇村委会账目一直不公开，村集体收入去向不明", "农村农业", "street_office"),
    case("farmland", "平谷区兴谷街道旁边村里有人非法占用耕地盖房", "国土资源", "street_office"),
    case("fraud", "西城区金融街街道我被网上刷单诈骗了两万块钱", "政法", "district:gaj"),
    case("elderly-allowance", "顺义区胜利街道我家老人80岁了，想申请高龄津贴怎么办理", "民政", "district:mzj"),
]


@pytest.fixture(scope="module")
def classified(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Every case run once through `hotline classify` (real triage, extraction, routing), in a private data dir."""
    from connectors.commands.classify import classify_command

    work = tmp_path_factory.mktemp("classify")
    src, out = work / "in.jsonl", work / "out.jsonl"
    src.write_text("".join(json.dumps({"id": c.id, "text": c.text}, ensure_ascii=False) + "\n" for c in CASES),
                   encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOTLINE_DATA_DIR", str(work / "data"))
        for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "HOTLINE_DATABASE_URL", "HOTLINE_CHROMA_HOST"):
            mp.delenv(var, raising=False)
        get_settings.cache_clear()
        try:
            assert classify_command(src, out) == len(CASES)
        finally:
            get_settings.cache_clear()
    return {row["id"]: row for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


def unit_kind(router: Router, unit_id: str) -> str:
    """A unit id as its rule reference: city.gas, district:cgzf or street_office."""
    if unit_id in {u.id for u in router.table.units}:
        return unit_id
    parts = unit_id.split(".", 2)
    return "street_office" if parts[1] == "street" else f"district:{parts[1]}"


def test_cases_cover_every_first_level_that_has_a_rule() -> None:
    """Each first level some rule routes has at least one real-looking case asserting triage reaches it."""
    covered = {c.level1 for c in CASES if c.level1}
    assert level1s_with_rules(shipped(), load_taxonomy()) <= covered


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_triaged_message_reaches_the_expected_unit(classified, c: Case) -> None:  # noqa: ANN001
    """The classify output names the routed unit (not the taxonomy's fallback department), of the expected kind."""
    row = classified[c.id]
    level1, level2 = row["category"]["level1"], row["category"]["level2"]
    if c.level1 is not None:
        assert level1 == c.level1, f"{c.id}: 分类为 {level1}/{level2}"
    tax = load_taxonomy()
    assert level2 in tax.level2_names(level1), f"{c.id}: {level1}/{level2} 不在分类体系中"

    router = load_router()
    location = row["ticket"]["location"]
    decision = router.route(RouteInput(level1, level2, location["district"], location["street"], row["intent"],
                                       c.text))
    assert not decision.manual, f"{c.id}: {level1}/{level2} 没有规则匹配：{decision.reason}"
    assert row["department"] == decision.unit_name, f"{c.id}: {decision.reason}"
    kind = unit_kind(router, decision.unit_id)
    assert kind in c.units, f"{c.id}: {level1}/{level2} → {decision.unit_name}（{decision.reason}）"
