"""High danger: requests that describe a safety hazard, found by meaning rather than by keyword.

Each hazard kind is a handful of short descriptions. Vectors are centred on the corpus mean first (the
raw e5 similarities all sit near 0.9), then a request's margin is its similarity to the nearest hazard
description minus its similarity to the nearest description of an ordinary request that shares the
vocabulary (the gas bill, a fire-lane parking complaint). A request is a signal when the margin is large,
or when it is moderate and the text also carries one of the kind's cue words. Signals are grouped by kind
and place; a group of two or more is a finding, even when no single request was an emergency.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from bot.analytics.places import name_of
from bot.analytics.records import Finding, Request, Window, matrix, span
from bot.thresholds import threshold

HAZARDS: dict[str, tuple[str, list[str]]] = {
    "gas": ("燃气安全", [
        "闻到很浓的燃气味，怀疑燃气管道泄漏",
        "楼道里有煤气味，天然气可能漏气了",
        "燃气管道老化漏气，存在爆炸危险",
        "液化气罐违规存放，有泄漏隐患",
    ]),
    "fire": ("火灾隐患", [
        "电动车在楼道里充电，有起火危险",
        "楼道堆满杂物，一旦着火无法逃生",
        "消防栓没水、灭火器过期，发生火灾无法扑救",
        "有人在小区里焚烧垃圾，火势很大冒黑烟",
        "电线私拉乱接，老化冒火花，担心引发火灾",
    ]),
    "falling": ("高空坠物", [
        "外墙瓷砖脱落，从高处砸下来差点砸到人",
        "有人高空抛物，从楼上扔东西下来",
        "阳台上的花盆随时可能掉下来砸到行人",
        "楼顶广告牌松动摇晃，随时可能坠落",
    ]),
    "building": ("房屋安全", [
        "楼房墙体出现大裂缝，担心房子倒塌",
        "房屋承重墙被拆改，楼体结构有安全隐患",
        "老楼地基下沉，墙面开裂，属于危房",
        "楼梯扶手和楼板松动塌陷，随时会塌",
    ]),
    "food": ("食品安全", [
        "在餐馆吃饭后多人上吐下泻，怀疑食物中毒",
        "学校食堂饭菜变质，孩子吃了腹泻呕吐",
        "超市出售过期变质食品，吃了以后身体不适",
        "小作坊用地沟油做食品，卫生极差",
    ]),
}

# Ordinary requests that use the hazards' words: the bill, the fire lane, a question about rules.
ORDINARY = [
    "请问燃气费在哪里缴纳，网上可以交吗",
    "燃气公司上门安检收费是否合理",
    "天然气开户和过户需要什么材料",
    "消防通道被私家车占用，物业不管",
    "小区电梯年检什么时候进行",
    "房屋产权证办理进度查询",
    "餐馆油烟太大影响居民生活",
    "楼上邻居装修噪音太大影响休息",
    "小区停车位收费不合理",
    "暖气不热，室内温度太低",
    "路灯坏了晚上看不清路",
    "垃圾清运不及时，气味难闻",
    "外卖食品价格太贵",
    "超市排队结账时间太长",
    "请问如何办理居住证",
    "小区绿化带被占用种菜",
]

CUES = {
    "gas": re.compile(r"燃气味|煤气味|天然气味|液化气|漏气|臭鸡蛋|燃气泄漏|嘶嘶"),
    "fire": re.compile(r"起火|着火|火灾|冒烟|冒火|火花|充电|私拉|电线老化|易燃|焚烧|消防栓"),
    "falling": re.compile(r"掉下|掉落|快掉|往下掉|脱落|坠落|砸|抛物|往下扔|松动"),
    "building": re.compile(r"裂缝|开裂|裂开|倒塌|塌陷|危房|承重|下沉|沉降"),
    "food": re.compile(r"中毒|上吐下泻|腹泻|呕吐|拉肚子|变质|发霉|馊|地沟油|过期"),
}


@dataclass(frozen=True)
class Prototypes:
    """The hazard descriptions' vectors, and the ordinary requests' vectors."""

    kinds: list[str]
    hazard: list[np.ndarray]  # one matrix per kind
    ordinary: np.ndarray


def prototypes(embedder: Any) -> Prototypes:
    """Embed the descriptions once (the caller keeps the result)."""
    kinds = list(HAZARDS)
    hazard = [np.asarray(embedder.query(HAZARDS[k][1]), dtype=np.float32) for k in kinds]
    return Prototypes(kinds, hazard, np.asarray(embedder.query(ORDINARY), dtype=np.float32))


@lru_cache(maxsize=1)
def default_prototypes() -> Prototypes:
    """The descriptions embedded by the bundled model."""
    from bot.triage.embedding import default_embedder

    return prototypes(default_embedder())


def _centred(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    x = x - mean
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def scores(vectors: np.ndarray, protos: Prototypes, mean: np.ndarray | None = None,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per vector: the best hazard kind's index, its centred similarity, and its margin over ordinary requests."""
    if not len(vectors):
        empty = np.zeros(0)
        return empty.astype(int), empty, empty
    mean = vectors.mean(axis=0) if mean is None else mean
    v = _centred(vectors, mean)
    per_kind = np.stack([(v @ _centred(h, mean).T).max(axis=1) for h in protos.hazard], axis=1)
    best = per_kind.argmax(axis=1)
    sim = per_kind[np.arange(len(v)), best]
    ordinary = (v @ _centred(protos.ordinary, mean).T).max(axis=1)
    return best, sim, sim - ordinary


def signals(records: Sequence[Request], protos: Prototypes, mean: np.ndarray | None = None,
            ) -> list[tuple[Request, str, float]]:
    """(request, hazard kind, margin) for each request that reads as a hazard; `mean` is the corpus mean."""
    vectors, idx = matrix(records)
    best, _, margin = scores(vectors, protos, mean)
    # Meaning alone, or meaning plus a cue word in the text (calibration: analytics.danger in thresholds.yaml).
    alone, with_cue = threshold("analytics.danger.margin_alone"), threshold("analytics.danger.margin_with_cue")
    out = []
    for i, b, m in zip(idx, best, margin, strict=True):
        r, kind = records[int(i)], protos.kinds[int(b)]
        if m >= alone or (m >= with_cue and CUES[kind].search(r.full_text)):
            out.append((r, kind, float(m)))
    return out


def dangerous(records: Sequence[Request], window: Window, protos: Prototypes, *, limit: int = 30) -> list[Finding]:
    """Hazard signals in the window grouped by kind and place; groups of `analytics.danger.min_count` or more."""
    min_count = threshold("analytics.danger.min_count")
    inside = [r for r in records if window.holds(r)]
    vectors, _ = matrix(records)
    mean = vectors.mean(axis=0) if len(vectors) else None
    groups: dict[tuple[str, str], list[tuple[Request, float]]] = defaultdict(list)
    for r, kind, s in signals(inside, protos, mean):
        where = name_of(r.places[0]) if r.places else (r.street or r.district or "")
        groups[(kind, where)].append((r, s))
    # Signals of one kind with no place in common still count together, city-wide, when there are several.
    out = []
    for (kind, where), items in groups.items():
        if len(items) < min_count or not where:
            continue
        out.append(_finding(kind, where, items))
    by_kind: dict[str, list[tuple[Request, float]]] = defaultdict(list)
    covered = {r.id for f in out for r in f.details.pop("_rows")}
    for (kind, _), items in groups.items():
        by_kind[kind].extend((r, s) for r, s in items if r.id not in covered)
    for kind, items in by_kind.items():
        if len(items) >= max(min_count, 3):
            f = _finding(kind, "", items)
            f.details.pop("_rows")
            out.append(f)
    return sorted(out, key=lambda f: -f.count)[:limit]


def _finding(kind: str, where: str, items: list[tuple[Request, float]]) -> Finding:
    rows = [r for r, _ in items]
    first, last = span(rows)
    districts = Counter(r.district for r in rows if r.district)
    district = districts.most_common(1)[0][0] if districts else None
    name = HAZARDS[kind][0]
    place = f"{district or ''}{where}" if where else "多处"
    return Finding(
        label=f"{name} · {place}", start=first, end=last, request_ids=[r.id for r in rows],
        details={"hazard": kind, "hazard_name": name, "place": where or None, "district": district,
                 "margin": round(max(s for _, s in items), 3), "_rows": rows},
    )
