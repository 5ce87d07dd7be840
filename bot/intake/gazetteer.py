"""The city's gazetteer as data: districts and their street/town units, matched in free text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import InvalidConfig

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
# Cities we ship a gazetteer for; another city is configuration plus one data file.
SHIPPED = {"北京市": RESOURCES / "gazetteer_beijing.yaml", "北京": RESOURCES / "gazetteer_beijing.yaml"}
_UNIT_SUFFIXES = ("街道", "地区", "镇", "乡")
# A bare district alias followed by these is part of another name (朝阳门 is in 东城区, 大兴庄 in 平谷区).
_ALIAS_BLOCKERS = re.compile(r"^(门|路|街|大街|桥|里|庄|北路|南路|东路|西路|公园)")


class DistrictEntry(BaseModel):
    """A district and its units."""

    model_config = ConfigDict(extra="forbid")

    name: str
    aliases: list[str] = Field(default_factory=list)
    units: list[str]


class GazetteerFile(BaseModel):
    """The gazetteer file's shape."""

    model_config = ConfigDict(extra="forbid")

    city: str
    city_aliases: list[str] = Field(default_factory=list)
    districts: list[DistrictEntry]
    aliases: dict[str, str] = Field(default_factory=dict)


@dataclass(frozen=True)
class PlaceMatch:
    """A district or unit found in a text, with its span."""

    kind: str  # "district" | "unit"
    name: str
    districts: tuple[str, ...]
    start: int
    end: int


class Gazetteer:
    """Finds districts and street/town units in text."""

    def __init__(self, data: GazetteerFile) -> None:
        self.city = data.city
        self.districts = [d.name for d in data.districts]
        self._district_names: dict[str, str] = {}
        for d in data.districts:
            self._district_names[d.name] = d.name
            for a in d.aliases:
                self._district_names[a] = d.name
        self._units: dict[str, set[str]] = {}
        for d in data.districts:
            for u in d.units:
                self._units.setdefault(u, set()).add(d.name)
        self._aliases = dict(data.aliases)
        # Longest names first, so 天通苑北街道 wins over a shorter overlapping name.
        self._unit_pattern = re.compile("|".join(sorted(map(re.escape, [*self._units, *self._aliases]),
                                                        key=len, reverse=True)))
        self._district_pattern = re.compile("|".join(sorted(map(re.escape, self._district_names), key=len,
                                                            reverse=True)))

    def units_of(self, district: str) -> list[str]:
        """Every unit in a district."""
        return sorted(u for u, ds in self._units.items() if district in ds)

    def district_of(self, unit: str) -> tuple[str, ...]:
        """The districts that have a unit of this name."""
        return tuple(sorted(self._units.get(self._aliases.get(unit, unit), set())))

    def normalise_district(self, name: str | None) -> str | None:
        """The official district name for a name or alias, else None."""
        if not name:
            return None
        return self._district_names.get(name.strip().removeprefix(self.city))

    def find(self, text: str) -> list[PlaceMatch]:
        """Every district and unit mentioned, in text order."""
        found: list[PlaceMatch] = []
        taken: list[tuple[int, int]] = []
        for m in self._unit_pattern.finditer(text):
            name = self._aliases.get(m.group(0), m.group(0))
            found.append(PlaceMatch("unit", name, self.district_of(name), m.start(), m.end()))
            taken.append((m.start(), m.end()))
        for m in self._district_pattern.finditer(text):
            if any(s <= m.start() < e for s, e in taken):
                continue  # 丰台 inside 丰台街道 is the unit's name, already counted
            alias = m.group(0)
            official = self._district_names[alias]
            if alias != official and _ALIAS_BLOCKERS.match(text[m.end():]):
                continue
            found.append(PlaceMatch("district", official, (official,), m.start(), m.end()))
        return sorted(found, key=lambda p: p.start)

    def resolve(self, text: str) -> tuple[str | None, str | None, list[PlaceMatch]]:
        """The district and unit the text names; a unit shared by several districts needs its district said."""
        matches = self.find(text)
        said = [m.name for m in matches if m.kind == "district"]
        district = said[0] if said else None
        street = None
        for m in matches:
            if m.kind != "unit":
                continue
            if district is None and len(m.districts) == 1:
                street, district = m.name, m.districts[0]
                break
            if district is None or district in m.districts:
                street = m.name
                break
        return district, street, matches


def load_gazetteer(city: str = "北京市", *, path: Path | None = None) -> Gazetteer:
    """The gazetteer of the configured city, validated."""
    path = path or SHIPPED.get(city)
    if path is None:
        raise InvalidConfig(f"没有城市“{city}”的地名数据，请提供 gazetteer 文件")
    try:
        data = GazetteerFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise InvalidConfig(f"地名数据 {path.name} 格式不正确：{exc}") from exc
    problems = [f"{u} 不以街道/地区/镇/乡结尾" for d in data.districts for u in d.units
                if not u.endswith(_UNIT_SUFFIXES)]
    known = {u for d in data.districts for u in d.units}
    problems += [f"别名 {a} 指向未知的 {u}" for a, u in data.aliases.items() if u not in known]
    if problems:
        raise InvalidConfig("地名数据有误：" + "；".join(problems[:10]))
    return Gazetteer(data)
