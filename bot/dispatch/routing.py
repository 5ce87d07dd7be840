"""Routing as data: a validated table maps category x district x street to the responsible unit.

The shipped table is `bot/resources/routing.yaml`; an admin's edit is stored under the overrides dir
and wins. Every decision names the rule that matched and why, so dispatch can be audited.

Categories in rules must be the taxonomy's own names (`bot/taxonomy.py`, the admin's override when there is
one): a rule naming a category triage never produces would silently never fire, so such a table is refused,
both when it is loaded and when an admin submits it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.datafiles import file_key, write_yaml_atomic
from bot.errors import InvalidConfig
from bot.names import name_problem
from bot.taxonomy import Taxonomy, load_taxonomy

SHIPPED_PATH = Path(__file__).resolve().parent.parent / "resources" / "routing.yaml"
OVERRIDE_NAME = "routing.yaml"

STREET_OFFICE = "street_office"
_ID = re.compile(r"^[a-z][a-z0-9_-]*$")


class District(BaseModel):
    """A district: its code (ASCII, used in unit ids), official name and the short forms citizens use."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    aliases: list[str] = Field(default_factory=list)


class Unit(BaseModel):
    """A city-wide responsible unit."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    kind: Literal["dispatch_desk", "utility", "department", "street_office"] = "department"


class DistrictUnit(BaseModel):
    """A unit that every district has; `name` may use {district}."""

    model_config = ConfigDict(extra="forbid")

    key: str
    name: str
    kind: Literal["dispatch_desk", "utility", "department", "street_office"] = "department"


class Match(BaseModel):
    """Conditions of a rule: all given fields must hold; within a field any value may match."""

    model_config = ConfigDict(extra="forbid")

    category_l1: list[str] = Field(default_factory=list)
    category_l2: list[str] = Field(default_factory=list)
    districts: list[str] = Field(default_factory=list)
    streets: list[str] = Field(default_factory=list)
    intents: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)

    def is_empty(self) -> bool:
        """True when the rule would match every ticket."""
        return not any(getattr(self, name) for name in type(self).model_fields)


class Rule(BaseModel):
    """One routing rule."""

    model_config = ConfigDict(extra="forbid")

    id: str
    description: str = ""
    match: Match
    unit: str


class RoutingTable(BaseModel):
    """The whole table as stored in YAML."""

    model_config = ConfigDict(extra="forbid")

    version: str
    districts: list[District]
    units: list[Unit]
    district_units: list[DistrictUnit]
    rules: list[Rule]

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_text(cls, value: Any) -> str:
        return str(value)


@dataclass(frozen=True)
class RouteInput:
    """The facts routing looks at."""

    category_l1: str | None = None
    category_l2: str | None = None
    district: str | None = None
    street: str | None = None
    intent: str | None = None
    text: str = ""


@dataclass(frozen=True)
class RoutingDecision:
    """Where a ticket goes and why."""

    unit_id: str
    unit_name: str
    rule_id: str
    reason: str
    table_version: str
    manual: bool = False


class Router:
    """Routes tickets with one validated table."""

    def __init__(self, table: RoutingTable, taxonomy: Taxonomy | None = None) -> None:
        validate_table(table, taxonomy)
        self.table = table
        self.version = f"{table.version}:{table_hash(table)}"
        self._units: dict[str, Unit] = {u.id: u for u in table.units}
        self._district_by_name: dict[str, District] = {}
        for d in table.districts:
            for name in (d.name, d.code, *d.aliases):
                self._district_by_name[name] = d
        self._district_units = {u.key: u for u in table.district_units}

    # --- units -------------------------------------------------------------------------
    def district(self, name: str | None) -> District | None:
        """The district a name or alias refers to."""
        if not name:
            return None
        name = name.strip().removeprefix("北京市")
        return self._district_by_name.get(name) or self._district_by_name.get(name.removesuffix("区"))

    def unit_name(self, unit_id: str) -> str | None:
        """The display name of a unit id (city, district or street office), or None if unknown."""
        if unit_id in self._units:
            return self._units[unit_id].name
        parts = unit_id.split(".", 2)
        district = next((d for d in self.table.districts if d.code == parts[0]), None)
        if district is None or len(parts) < 2:
            return None
        if parts[1] == "street" and len(parts) == 3:
            return street_office_name(district.name, parts[2])
        template = self._district_units.get(parts[1])
        return template.name.format(district=district.name) if template else None

    def all_units(self) -> list[dict[str, str]]:
        """Every city and district unit (street offices are made on demand)."""
        units = [{"id": u.id, "name": u.name, "kind": u.kind} for u in self.table.units]
        for d in self.table.districts:
            units += [{"id": f"{d.code}.{t.key}", "name": t.name.format(district=d.name), "kind": t.kind}
                      for t in self.table.district_units]
        return units

    def _resolve(self, ref: str, district: District | None, street: str | None) -> tuple[str, str] | None:
        if ref == STREET_OFFICE:
            if district is None or not street:
                return None
            return f"{district.code}.street.{street}", street_office_name(district.name, street)
        if ref.startswith("district:"):
            if district is None:
                return None
            key = ref.removeprefix("district:")
            return f"{district.code}.{key}", self._district_units[key].name.format(district=district.name)
        return ref, self._units[ref].name

    # --- routing -----------------------------------------------------------------------
    def route(self, facts: RouteInput) -> RoutingDecision:
        """The first rule that matches and can be resolved; else the district's (or city's) dispatch desk."""
        district = self.district(facts.district)
        street = (facts.street or "").strip() or None
        skipped: list[str] = []
        for rule in self.table.rules:
            why = _matches(rule.match, facts, district, street)
            if why is None:
                continue
            target = self._resolve(rule.unit, district, street)
            if target is None:
                skipped.append(rule.id)
                continue
            reason = f"规则 {rule.id}（{rule.description or '无说明'}）：{'；'.join(why)}"
            if skipped:
                reason += f"。已跳过缺少区或街道信息的规则：{', '.join(skipped)}"
            return RoutingDecision(target[0], target[1], rule.id, reason, self.version)
        if district is not None:
            desk = f"{district.code}.dispatch"
            reason = f"没有规则匹配，转{district.name}派单中心人工派单"
            return RoutingDecision(desk, self.unit_name(desk) or desk, "fallback-district", reason + _skipped(skipped),
                                   self.version, manual=True)
        reason = "没有规则匹配且区不明，转市级派单中心人工派单"
        return RoutingDecision("city.dispatch", self._units["city.dispatch"].name, "fallback-city",
                               reason + _skipped(skipped), self.version, manual=True)


def _skipped(ids: list[str]) -> str:
    return f"（已跳过缺少区或街道信息的规则：{', '.join(ids)}）" if ids else ""


def street_office_name(district: str, street: str) -> str:
    """The official name of a street office or town government."""
    if street.endswith(("镇", "乡", "地区")):
        return f"{district}{street}人民政府" if not street.endswith("地区") else f"{district}{street}办事处"
    if not street.endswith("街道"):
        street += "街道"
    return f"{district}人民政府{street}办事处"


def _matches(match: Match, facts: RouteInput, district: District | None, street: str | None) -> list[str] | None:
    """The reasons the rule matches, or None when a condition fails."""
    why: list[str] = []
    if match.category_l1:
        if facts.category_l1 not in match.category_l1:
            return None
        why.append(f"一级分类为“{facts.category_l1}”")
    if match.category_l2:
        if facts.category_l2 not in match.category_l2:
            return None
        why.append(f"二级分类为“{facts.category_l2}”")
    if match.districts:
        if district is None or not ({district.name, district.code} & set(match.districts)):
            return None
        why.append(f"位于{district.name}")
    if match.streets:
        if street not in match.streets:
            return None
        why.append(f"位于{street}")
    if match.intents:
        if facts.intent not in match.intents:
            return None
        why.append(f"诉求类型为 {facts.intent}")
    if match.keywords:
        hit = next((k for k in match.keywords if k in facts.text), None)
        if hit is None:
            return None
        why.append(f"问题描述含“{hit}”")
    return why


def table_hash(table: RoutingTable) -> str:
    """A short content hash, so each decision names the exact table it used."""
    canonical = json.dumps(table.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def validate_table(table: RoutingTable, taxonomy: Taxonomy | None = None) -> None:
    """Refuse a table that would misroute: unknown units, categories or districts, duplicates, empty rules.

    Categories are checked against `taxonomy` (the shipped one when not given): every category_l1 must be one
    of its first-level names, and every category_l2 a second-level name under one of the rule's category_l1
    (under any first level when the rule names none).
    """
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
    problems: list[str] = []
    _dupes("区", [d.code for d in table.districts], problems)
    _dupes("区名", [n for d in table.districts for n in (d.name, *d.aliases)], problems)
    _dupes("单位", [u.id for u in table.units], problems)
    _dupes("区属单位", [u.key for u in table.district_units], problems)
    _dupes("规则", [r.id for r in table.rules], problems)
    for d in table.districts:
        if not _ID.match(d.code):
            problems.append(f"区代码 {d.code!r} 只能用小写字母、数字、- 和 _")
    for t in table.district_units:
        if not _ID.match(t.key):
            problems.append(f"区属单位代码 {t.key!r} 只能用小写字母、数字、- 和 _")
        try:
            t.name.format(district="某区")
        except (KeyError, IndexError, ValueError):
            problems.append(f"区属单位 {t.key} 的名称模板只能使用 {{district}}")
    named = [(d.code, d.name) for d in table.districts] + [(d.code, a) for d in table.districts for a in d.aliases]
    named += [(u.id, u.name) for u in table.units] + [(t.key, t.name) for t in table.district_units]
    for ident, name in named:
        problem = name_problem(ident) or name_problem(name)
        if problem:
            problems.append(f"{ident!r} 的名称 {name!r} {problem}")
    unit_ids = {u.id for u in table.units}
    keys = {t.key for t in table.district_units}
    if "city.dispatch" not in unit_ids:
        problems.append("缺少市级派单中心 city.dispatch（兜底人工派单需要它）")
    if "dispatch" not in keys:
        problems.append("缺少区派单中心 district_units.dispatch（兜底人工派单需要它）")
    district_names = {n for d in table.districts for n in (d.code, d.name, *d.aliases)}
    for rule in table.rules:
        where = f"规则 {rule.id}"
        if rule.match.is_empty():
            problems.append(f"{where} 没有任何匹配条件，会吞掉所有工单")
        if rule.unit == STREET_OFFICE:
            pass
        elif rule.unit.startswith("district:"):
            if rule.unit.removeprefix("district:") not in keys:
                problems.append(f"{where} 指向不存在的区属单位 {rule.unit}")
        elif rule.unit not in unit_ids:
            problems.append(f"{where} 指向不存在的单位 {rule.unit}")
        _check_categories(where, rule.match, taxonomy, problems)
        bad_d = [d for d in rule.match.districts if d not in district_names]
        if bad_d:
            problems.append(f"{where} 引用了未知的区：{', '.join(bad_d)}")
        if any(not k.strip() for k in rule.match.keywords):
            problems.append(f"{where} 含空关键词，会匹配所有工单")
    if problems:
        raise InvalidConfig("路由表有误：" + "；".join(problems))


def _check_categories(where: str, match: Match, taxonomy: Taxonomy, problems: list[str]) -> None:
    """Every category the rule names must exist in the taxonomy, and each second level under its first level."""
    level1_names = [c.name for c in taxonomy.categories]
    bad_l1 = [c for c in match.category_l1 if c not in level1_names]
    if bad_l1:
        problems.append(f"{where} 的一级分类不在 15 个一级分类中：{', '.join(bad_l1)}")
    scope = [c for c in match.category_l1 if c in level1_names] or ([] if match.category_l1 else level1_names)
    allowed = {sub for l1 in scope for sub in taxonomy.level2_names(l1)}
    for name in match.category_l2:
        if name in allowed:
            continue
        owners = [l1 for l1 in level1_names if name in taxonomy.level2_names(l1)]
        if not owners:
            problems.append(f"{where} 的二级分类“{name}”不在分类体系（版本 {taxonomy.version}）中，"
                            "分类结果永远不会是它，规则不会生效")
        elif scope:
            problems.append(f"{where} 的二级分类“{name}”不属于一级分类“{'、'.join(scope)}”"
                            f"（它在“{'、'.join(owners)}”之下）")


def _dupes(what: str, values: list[str], problems: list[str]) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            problems.append(f"{what} {v} 重复")
        seen.add(v)


def parse_table(data: Any, taxonomy: Taxonomy | None = None) -> RoutingTable:
    """A table from parsed YAML/JSON checked against `taxonomy` (default: shipped), or InvalidConfig with the reason."""
    if not isinstance(data, dict):
        raise InvalidConfig("路由表必须是一个对象（version、districts、units、district_units、rules）")
    try:
        table = RoutingTable.model_validate(data)
    except ValidationError as exc:
        details = "；".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:8])
        raise InvalidConfig(f"路由表格式不正确：{details}") from exc
    validate_table(table, taxonomy)
    return table


def load_table(path: Path, taxonomy: Taxonomy | None = None) -> RoutingTable:
    """Read and validate a routing table file (categories against `taxonomy`, default: shipped)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidConfig(f"路由表 {path.name} 不是有效的 YAML：{exc}") from exc
    return parse_table(data, taxonomy)


_cache: dict[Path, tuple[tuple[int, ...], Taxonomy, Router]] = {}


def load_router(overrides_dir: Path | None = None) -> Router:
    """The router from the admin's override if there is one, else the shipped table; reloaded when the file changes
    or this process saved an admin data file (`bot.datafiles.file_key`: also another process's atomic save), so the next ticket uses an admin's edit.

    The table is checked against the taxonomy in force for the same overrides dir, and re-checked when that
    taxonomy changes; a table naming a category it does not have is refused (InvalidConfig with the reason).
    """
    taxonomy = load_taxonomy(overrides_dir)
    path = SHIPPED_PATH
    if overrides_dir is not None and (overrides_dir / OVERRIDE_NAME).exists():
        path = overrides_dir / OVERRIDE_NAME
    key = file_key(path)
    cached = _cache.get(path)
    if cached and cached[0] == key and cached[1] is taxonomy:
        return cached[2]
    table = load_table(path, taxonomy)
    router = Router(table, taxonomy)
    _cache[path] = (key, taxonomy, router)
    return router


def check_taxonomy_change(overrides_dir: Path, proposed: Taxonomy) -> None:
    """Refuse a taxonomy edit that would leave the routing table in force naming categories it drops."""
    path = overrides_dir / OVERRIDE_NAME if (overrides_dir / OVERRIDE_NAME).exists() else SHIPPED_PATH
    try:
        load_table(path, proposed)
    except InvalidConfig as exc:
        raise InvalidConfig(f"修改后的分类与路由表不一致，请先修改路由表：{exc}") from exc


def save_override(overrides_dir: Path, data: dict[str, Any]) -> Router:
    """Validate an admin's table and store it as the override; a bad table is refused and nothing changes.

    Categories are checked against the taxonomy in force for `overrides_dir` (the admin's, else the shipped one).
    """
    taxonomy = load_taxonomy(overrides_dir)
    table = parse_table(data, taxonomy)
    router = Router(table, taxonomy)
    write_yaml_atomic(overrides_dir / OVERRIDE_NAME, table.model_dump(mode="json"))
    return router


def table_as_dict(router: Router) -> dict[str, Any]:
    """The table in its stored shape, for the admin API."""
    return router.table.model_dump(mode="json")
