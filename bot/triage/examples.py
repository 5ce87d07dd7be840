"""The labelled examples the classifiers learn from: shipped data, validated against the taxonomy."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InvalidConfig
from bot.taxonomy import INTENT_IDS, Taxonomy

SHIPPED_EXAMPLES = Path(__file__).resolve().parent.parent / "resources" / "intake_examples.jsonl"


@dataclass(frozen=True)
class Example:
    """One labelled citizen message written by the project."""

    text: str
    level1: str
    level2: str
    intent: str


def file_hash(path: Path) -> str:
    """A short content hash of a file, used to key caches."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def load_examples(taxonomy: Taxonomy, *, path: Path = SHIPPED_EXAMPLES) -> list[Example]:
    """Read the examples; refuse labels the taxonomy does not know, so a taxonomy edit cannot silently orphan them."""
    examples: list[Example] = []
    problems: list[str] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            ex = Example(text=row["text"], level1=row["level1"], level2=row["level2"], intent=row["intent"])
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"第 {n} 行格式不正确：{exc}")
            continue
        if ex.level2 not in taxonomy.level2_names(ex.level1):
            problems.append(f"第 {n} 行的分类“{ex.level1}/{ex.level2}”不在分类体系中")
        if ex.intent not in INTENT_IDS:
            problems.append(f"第 {n} 行的诉求类型“{ex.intent}”无效")
        examples.append(ex)
    if problems:
        raise InvalidConfig("示例数据有误：" + "；".join(problems[:10]))
    return examples
