"""One-item edits of the admin-editable data files: a routing rule, or a second-level category.

Each edit reads the file in force, changes one item, and stores the whole file through the same validation as
a full replacement (`bot.dispatch.routing.save_override`, `bot.taxonomy.save_override`), so a rule naming an
unknown unit or a category outside the taxonomy is refused with the reason and nothing is written. Editing one
item at a time means two admins changing different rules do not overwrite each other. Each edit returns the
item before and after, for the audit log.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot import taxonomy
from bot.dispatch import routing
from bot.errors import BadInput, InvalidConfig, NotFound
from bot.triage.examples import load_examples

MAX_RULES = 500
_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def _rules(overrides_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    table = routing.table_as_dict(routing.load_router(overrides_dir))
    return table, table["rules"]


def put_rule(overrides_dir: Path, rule_id: str, rule: dict[str, Any], *,
             position: int | None = None) -> tuple[dict[str, Any] | None, dict[str, Any], str]:
    """Create or replace rule `rule_id` (in place, or at `position` counting from 0: rules are tried in order);
    (before, after, new table version)."""
    if not _RULE_ID.match(rule_id):
        raise InvalidConfig(f"规则 ID“{rule_id}”只能用字母、数字和 - _ .（以字母或数字开头）")
    table, rules = _rules(overrides_dir)
    index = next((i for i, r in enumerate(rules) if r["id"] == rule_id), None)
    before = rules[index] if index is not None else None
    after = {"id": rule_id, **{k: v for k, v in rule.items() if k != "id"}}
    if index is not None:
        rules.pop(index)
    elif len(rules) >= MAX_RULES:
        raise BadInput(f"路由规则最多 {MAX_RULES} 条")
    where = index if position is None and index is not None else len(rules) if position is None else position
    rules.insert(max(0, min(where, len(rules))), after)
    router = routing.save_override(overrides_dir, table)
    stored = next(r for r in routing.table_as_dict(router)["rules"] if r["id"] == rule_id)
    return before, stored, router.version


def delete_rule(overrides_dir: Path, rule_id: str) -> tuple[dict[str, Any], str]:
    """Remove rule `rule_id`; (the rule as it was, new table version)."""
    table, rules = _rules(overrides_dir)
    before = next((r for r in rules if r["id"] == rule_id), None)
    if before is None:
        raise NotFound(f"路由表中没有规则 {rule_id}")
    table["rules"] = [r for r in rules if r["id"] != rule_id]
    return before, routing.save_override(overrides_dir, table).version


def _level1(data: dict[str, Any], level1: str) -> dict[str, Any]:
    top = next((c for c in data["categories"] if c["name"] == level1), None)
    if top is None:
        raise NotFound(f"分类路径有误：没有一级分类“{level1}”（一级分类只能是 {'、'.join(taxonomy.LEVEL1_NAMES)}）")
    return top


def save_taxonomy(overrides_dir: Path, data: dict[str, Any]) -> taxonomy.Taxonomy:
    """Store a whole taxonomy once it is valid, the routing table in force still fits it, and every labelled
    example still has its category (triage uses it from the next message and is refitted in the background,
    `Runtime.taxonomy_changed`)."""
    proposed = taxonomy.parse_taxonomy(data)
    routing.check_taxonomy_change(overrides_dir, proposed)
    try:
        load_examples(proposed)
    except InvalidConfig as exc:
        raise InvalidConfig(f"修改后的分类与分类器的训练示例不一致：{exc}") from exc
    return taxonomy.save_override(overrides_dir, data)


def put_subcategory(overrides_dir: Path, level1: str, name: str,
                    sub: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Create the second-level category `level1/name` or change the fields given in `sub`; `sub["name"]` may
    rename it (refused while a routing rule still names the old name). (before, after)."""
    data = taxonomy.load_taxonomy(overrides_dir).model_dump(mode="json")
    top = _level1(data, level1)
    children = top["children"]
    index = next((i for i, c in enumerate(children) if c["name"] == name), None)
    before = children[index] if index is not None else None
    # Fields not given keep their value (the topics that train the classifier are rarely edited by hand).
    after = {**(before or {}), "name": name, **{k: v for k, v in sub.items() if v is not None}}
    new_name = str(after["name"]).strip()
    if not new_name:
        raise InvalidConfig(f"“{level1}”下的二级分类名不能为空")
    after["name"] = new_name
    if new_name != name and any(c["name"] == new_name for c in children):
        raise InvalidConfig(f"“{level1}”下已有二级分类“{new_name}”")
    if index is None:
        children.insert(max(0, len(children) - 1 if children and children[-1]["name"] == "其他" else len(children)),
                        after)
    else:
        children[index] = after
    tax = save_taxonomy(overrides_dir, data)
    stored = next(c for c in tax.level1(level1).children if c.name == new_name)  # type: ignore[union-attr]
    return before, stored.model_dump(mode="json")


def delete_subcategory(overrides_dir: Path, level1: str, name: str) -> dict[str, Any]:
    """Remove `level1/name` (refused while a routing rule names it); the category as it was."""
    data = taxonomy.load_taxonomy(overrides_dir).model_dump(mode="json")
    top = _level1(data, level1)
    before = next((c for c in top["children"] if c["name"] == name), None)
    if before is None:
        raise NotFound(f"分类路径有误：“{level1}”下没有二级分类“{name}”")
    top["children"] = [c for c in top["children"] if c["name"] != name]
    save_taxonomy(overrides_dir, data)
    return before


def check_category_path(overrides_dir: Path | None, level1: str | None, level2: str | None) -> None:
    """BadInput unless `level1/level2` is a path of the taxonomy in force (either may be empty)."""
    tax = taxonomy.load_taxonomy(overrides_dir)
    if level1 and tax.level1(level1) is None:
        raise BadInput(f"分类路径有误：没有一级分类“{level1}”")
    if level2:
        if not level1:
            raise BadInput(f"分类路径有误：填写二级分类“{level2}”时须同时选择一级分类")
        if level2 not in tax.level2_names(level1):
            owners = [c.name for c in tax.categories if level2 in tax.level2_names(c.name)]
            hint = f"（它在“{'、'.join(owners)}”之下）" if owners else ""
            raise BadInput(f"分类路径有误：“{level1}”下没有二级分类“{level2}”{hint}")


def table_changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a whole-table replacement changed, for the audit log: the rules added, changed or removed (keyed
    by id, under "rules") and any other section that differs, whole: (before, after)."""
    old = {r["id"]: r for r in before.get("rules", [])}
    new = {r["id"]: r for r in after.get("rules", [])}
    ids = [i for i in (*old, *(k for k in new if k not in old)) if old.get(i) != new.get(i)]
    was: dict[str, Any] = {"rules": {i: old.get(i) for i in ids}}
    now: dict[str, Any] = {"rules": {i: new.get(i) for i in ids}}
    if [r["id"] for r in before.get("rules", [])] != [r["id"] for r in after.get("rules", [])]:
        was["order"], now["order"] = list(old), list(new)
    for key in sorted((set(before) | set(after)) - {"rules"}):
        if before.get(key) != after.get(key):
            was[key], now[key] = before.get(key), after.get(key)
    return was, now


def taxonomy_changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a whole-taxonomy replacement changed, for the audit log: second-level categories keyed by
    "一级/二级" (added, changed or removed), and any other part that differs, whole: (before, after)."""

    def flat(data: dict[str, Any]) -> dict[str, Any]:
        return {f"{top['name']}/{sub['name']}": sub for top in data.get("categories", []) for sub in top["children"]}

    old, new = flat(before), flat(after)
    paths = [p for p in (*old, *(k for k in new if k not in old)) if old.get(p) != new.get(p)]
    was: dict[str, Any] = {"categories": {p: old.get(p) for p in paths}}
    now: dict[str, Any] = {"categories": {p: new.get(p) for p in paths}}
    tops = [({k: v for k, v in t.items() if k != "children"}) for t in before.get("categories", [])]
    tops_new = [({k: v for k, v in t.items() if k != "children"}) for t in after.get("categories", [])]
    if tops != tops_new:
        was["level1"], now["level1"] = tops, tops_new
    for key in sorted((set(before) | set(after)) - {"categories"}):
        if before.get(key) != after.get(key):
            was[key], now[key] = before.get(key), after.get(key)
    return was, now
