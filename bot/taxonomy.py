"""The category taxonomy as data: load, validate, and let admins replace it with an override file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.datafiles import file_key, write_yaml_atomic
from bot.errors import InvalidConfig
from bot.names import name_problem
from bot.tickets.models import Intent, Urgency

SHIPPED_PATH = Path(__file__).resolve().parent / "resources" / "taxonomy.yaml"
OVERRIDE_NAME = "taxonomy.yaml"

# Fixed by shared/CONTRACTS.md: outside checks compare against exactly these names.
LEVEL1_NAMES: tuple[str, ...] = (
    "城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生",
    "农村农业", "政法", "民政", "党务政务", "经济管理", "纪检监察", "国土资源", "科技与信息产业",
)
INTENT_IDS: tuple[str, ...] = get_args(Intent)
URGENCY_IDS: tuple[str, ...] = get_args(Urgency)


class Label(BaseModel):
    """An intent or urgency level with its Chinese label."""

    model_config = ConfigDict(extra="forbid")

    id: str
    label: str
    description: str = ""


class SubCategory(BaseModel):
    """A second-level category with its keyword evidence."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    keywords: list[str] = Field(default_factory=list)
    # The real government message taxonomy's "second/third level" entries this category covers.
    topics: list[str] = Field(default_factory=list)
    department: str | None = None

    def prototypes(self) -> list[str]:
        """Texts that say what belongs here: the name, its description and its covered topics."""
        texts = [self.name] + ([self.description] if self.description else [])
        texts += [t.replace("/", "：") for t in self.topics if not t.endswith("/其他")]
        return texts


class TopCategory(BaseModel):
    """A first-level category, its usual department and its second level."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    department: str
    children: list[SubCategory]


class Taxonomy(BaseModel):
    """The whole taxonomy file."""

    model_config = ConfigDict(extra="forbid")

    version: str
    intents: list[Label]
    urgency: list[Label]
    categories: list[TopCategory]

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_text(cls, value: Any) -> str:
        return str(value)

    def level1(self, name: str) -> TopCategory | None:
        """The first-level category called `name`."""
        return next((c for c in self.categories if c.name == name), None)

    def level2_names(self, level1: str) -> list[str]:
        """The second-level names under `level1`."""
        top = self.level1(level1)
        return [c.name for c in top.children] if top else []

    def catch_all(self, level1: str) -> str:
        """The second level a message under `level1` gets when nothing points to a specific one: "其他", else
        the last child."""
        names = self.level2_names(level1)
        return "其他" if "其他" in names else names[-1]

    def department(self, level1: str, level2: str | None = None, *, district: str | None = None) -> str | None:
        """The usual responsible department for a category, with the district filled in when known."""
        top = self.level1(level1)
        if top is None:
            return None
        template = top.department
        sub = next((c for c in top.children if c.name == level2), None)
        if sub is not None and sub.department:
            template = sub.department
        # Without a district the department is still named, as the citizen's district's ("所在区").
        return template.format(district=district or "所在区") or None

    def intent_label(self, intent: str) -> str:
        """The Chinese label of an intent id."""
        return next((i.label for i in self.intents if i.id == intent), intent)

    def prompt_listing(self) -> str:
        """The categories as compact text for LLM prompts."""
        return "\n".join(f"{c.name}：{'、'.join(s.name for s in c.children)}" for c in self.categories)


def validate_taxonomy(tax: Taxonomy) -> None:
    """Refuse a taxonomy that would break triage or the contract; the message lists every problem."""
    problems: list[str] = []
    names = [c.name for c in tax.categories]
    missing = [n for n in LEVEL1_NAMES if n not in names]
    extra = [n for n in names if n not in LEVEL1_NAMES]
    if missing:
        problems.append(f"缺少一级分类：{'、'.join(missing)}")
    if extra:
        problems.append(f"一级分类只能是规定的 15 个，不认识：{'、'.join(extra)}")
    _dupes("一级分类", names, problems)
    for top in tax.categories:
        if not top.children:
            problems.append(f"一级分类“{top.name}”下没有二级分类")
        _dupes(f"“{top.name}”下的二级分类", [c.name for c in top.children], problems)
        _dupes(f"“{top.name}”下的参考分类", [t for c in top.children for t in c.topics], problems)
        _check_template(top.department, f"“{top.name}”的部门", problems)
        for sub in top.children:
            if not sub.name.strip():
                problems.append(f"“{top.name}”下有空的二级分类名")
            if any(not k.strip() for k in sub.keywords):
                problems.append(f"“{top.name}/{sub.name}”含空关键词，会匹配所有消息")
            if sub.department:
                _check_template(sub.department, f"“{top.name}/{sub.name}”的部门", problems)
    _check_names(tax, problems)
    intent_ids = [i.id for i in tax.intents]
    if sorted(intent_ids) != sorted(INTENT_IDS):
        problems.append(f"诉求类型必须恰好是：{', '.join(INTENT_IDS)}")
    urgency_ids = [u.id for u in tax.urgency]
    if sorted(urgency_ids) != sorted(URGENCY_IDS):
        problems.append(f"紧急程度必须恰好是：{', '.join(URGENCY_IDS)}")
    if problems:
        raise InvalidConfig("分类体系有误：" + "；".join(problems))


def _check_names(tax: Taxonomy, problems: list[str]) -> None:
    """Names, keywords and departments show on staff pages and in dispatched tickets: no hidden characters
    and no markup."""
    for top in tax.categories:
        values = [("一级分类", top.name), (f"“{top.name}”的部门", top.department)]
        for sub in top.children:
            where = f"“{top.name}/{sub.name}”"
            values += [("二级分类", sub.name), (f"{where}的部门", sub.department or "")]
            values += [(f"{where}的关键词", k) for k in sub.keywords]
            values += [(f"{where}的参考分类", t) for t in sub.topics]
        for what, value in values:
            problem = name_problem(value)
            if problem:
                problems.append(f"{what}“{value!r}”{problem}")
    for item in (*tax.intents, *tax.urgency):
        problem = name_problem(item.label)
        if problem:
            problems.append(f"“{item.id}”的名称{problem}")


def _check_template(template: str, where: str, problems: list[str]) -> None:
    try:
        template.format(district="某区")
    except (KeyError, IndexError, ValueError):
        problems.append(f"{where}模板只能使用 {{district}}")


def _dupes(what: str, values: list[str], problems: list[str]) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            problems.append(f"{what}“{v}”重复")
        seen.add(v)


def parse_taxonomy(data: Any) -> Taxonomy:
    """A validated taxonomy from parsed YAML/JSON, or InvalidConfig with the reason."""
    if not isinstance(data, dict):
        raise InvalidConfig("分类体系必须是一个对象（version、intents、urgency、categories）")
    try:
        tax = Taxonomy.model_validate(data)
    except ValidationError as exc:
        details = "；".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:8])
        raise InvalidConfig(f"分类体系格式不正确：{details}") from exc
    validate_taxonomy(tax)
    return tax


def load_file(path: Path) -> Taxonomy:
    """Read and validate a taxonomy file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidConfig(f"分类体系文件 {path.name} 不是有效的 YAML：{exc}") from exc
    return parse_taxonomy(data)


_cache: dict[Path, tuple[tuple[int, ...], Taxonomy]] = {}


def load_taxonomy(overrides_dir: Path | None = None) -> Taxonomy:
    """The admin's override if there is one, else the shipped taxonomy; re-read when the file changes or this
    process saved an admin data file (`bot.datafiles.file_key`: also another process's atomic save)."""
    path = SHIPPED_PATH
    if overrides_dir is not None and (overrides_dir / OVERRIDE_NAME).exists():
        path = overrides_dir / OVERRIDE_NAME
    key = file_key(path)
    cached = _cache.get(path)
    if cached and cached[0] == key:
        return cached[1]
    tax = load_file(path)
    _cache[path] = (key, tax)
    return tax


def save_override(overrides_dir: Path, data: Any) -> Taxonomy:
    """Validate an admin's taxonomy and store it as the override; a bad one is refused and nothing changes."""
    tax = parse_taxonomy(data)
    write_yaml_atomic(overrides_dir / OVERRIDE_NAME, tax.model_dump(mode="json"))
    return tax
