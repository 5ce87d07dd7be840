"""The offline engine's answer: the lines of the best document that carry what was asked, not the passage."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answer.question import Question
from bot.answer.types import RetrievedChunk
from bot.text import tokens

FOCUSED_CHARS = 150

# Words that mark the line carrying each kind of fact; earlier words are stronger evidence.
CUES: dict[str, tuple[str, ...]] = {
    "phone": ("咨询电话", "联系电话", "服务热线", "热线", "电话"),
    "materials": ("申请材料", "办理材料", "所需材料", "提交材料", "携带", "材料", "证件", "证明"),
    "time": ("承诺办结时限", "办结时限", "办理时限", "法定办结时限", "工作日", "时限", "办结", "日内", "天内"),
    "fee": ("收费标准", "收费", "费用", "免费", "不收费", "元"),
    "location": ("办理地点", "办理地址", "受理地点", "地点", "地址", "窗口", "大厅", "服务中心", "线下"),
    "dept": ("实施主体", "主管部门", "受理单位", "办理部门", "负责部门", "责任部门", "负责", "部门"),
    "online": ("网上办理", "网上预约", "办理平台", "快递", "在线", "网上", "平台", "小程序", "APP"),
    "eligibility": ("受理条件", "申请条件", "办理条件", "适用对象", "服务对象", "条件", "符合", "对象"),
    "procedure": ("办理流程", "办理程序", "办理步骤", "流程", "步骤", "程序", "办理方式"),
    "when": ("时间", "日期", "期间", "月", "日"),
}
# Kinds whose answer is a list when the document gives the fact a section of its own.
LISTED_KINDS = ("materials", "procedure", "when")
LEADS: dict[str, str] = {
    "when": "的时间安排",
    "phone": "的咨询电话", "materials": "需要准备的材料", "time": "的办理时限", "fee": "的收费情况",
    "location": "的办理地点", "dept": "的负责单位", "online": "的办理方式", "eligibility": "的办理条件",
    "procedure": "的办理流程",
}
_PHONE = re.compile(r"(?<!\d)(0\d{2,3}-?\d{7,8}|1[3-9]\d{9}|\d{5,6}|400-?\d{3}-?\d{4})(?!\d)")
_SENTENCE = re.compile(r"(?<=[。！？；;])")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.、)]|[（(]\d+[)）])\s*")


@dataclass(frozen=True)
class Line:
    """One line or sentence of a document, with the headings above it."""

    text: str
    heading: str
    chunk: RetrievedChunk
    quoted: bool = False  # a quoted note ("> 本文为示例内容…"): about the document, not a fact of the item


def document_lines(chunks: list[RetrievedChunk]) -> list[Line]:
    """The document's lines in order; overlapping chunks repeat lines, so duplicates are dropped."""
    seen: set[str] = set()
    lines: list[Line] = []
    for chunk in chunks:
        heading = " > ".join(chunk.heading_path[1:])
        for raw in chunk.text.splitlines():
            parts = [raw] if len(raw) <= FOCUSED_CHARS else [s for s in _SENTENCE.split(raw) if s.strip()]
            quoted = raw.lstrip().startswith(">")
            for part in parts:
                text = _BULLET.sub("", part.lstrip().lstrip(">")).replace("**", "").strip()
                if text and text not in seen:
                    seen.add(text)
                    lines.append(Line(text, heading, chunk, quoted))
    return lines


def answer(question: Question, chunks: list[RetrievedChunk]) -> tuple[str, list[RetrievedChunk]]:
    """A focused answer from one document's chunks, and the chunks it came from."""
    lines = document_lines(chunks)
    title = chunks[0].title
    if question.kind in CUES:
        picked = _by_cue(question, lines)
        if picked:
            return _compose(question.kind, title, picked), _sources(picked)
    picked = _by_overlap(question, lines)
    body = "".join(_sentence(line.text) for line in picked)
    return f"关于“{title}”：{body}", _sources(picked)


def _by_cue(question: Question, lines: list[Line]) -> list[Line]:
    cues = CUES[question.kind]

    def strength(line: Line) -> float:
        # 3: the line is labelled with the cue ("办理地点：…"); 2: it sits under a heading naming it;
        # 1: it mentions it. Earlier cues win ties within a level.
        for rank, cue in enumerate(cues):
            head = line.text.split("：", 1)[0] if "：" in line.text[:12] else ""
            for level, where in ((3, head), (2, line.heading), (1, line.text)):
                if cue in where:
                    return level - rank * 0.01
        return 0.0

    scored = [(strength(line), i, line) for i, line in enumerate(lines) if not line.quoted]
    if question.kind == "phone":
        scored = [(s, i, line) for s, i, line in scored if _PHONE.search(line.text)]
    scored = [x for x in scored if x[0] > 0]
    if not scored:
        return []
    best_strength = max(s for s, _, _ in scored)
    first = min((x for x in scored if x[0] == best_strength), key=lambda x: x[1])
    if question.kind in LISTED_KINDS and int(first[0] + 0.5) == 2:
        # A section of its own ("## 办理材料"): take its list, in order.
        return [line for _, _, line in scored if line.heading == first[2].heading][:10]
    if question.kind == "time":
        # The promised limit first, the statutory one beside it when the document labels both.
        labelled = [line for _, _, line in sorted((x for x in scored if x[0] > 2.5), key=lambda x: -x[0])]
        return labelled[:2] or [first[2]]
    return [first[2]]


def _by_overlap(question: Question, lines: list[Line]) -> list[Line]:
    """The one to three lines sharing the most question words (title words excluded: they are everywhere)."""
    title_words = set(tokens(lines[0].chunk.title)) if lines else set()
    asked = [t for t in tokens(question.text) if t not in title_words] or list(tokens(question.text))
    scored = []
    for i, line in enumerate(lines):
        words = set(tokens(line.heading + " " + line.text))
        overlap = sum(1 for t in asked if t in words)
        scored.append((overlap, -i, line))
    scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
    picked: list[tuple[int, Line]] = []
    size = 0
    for _overlap, neg_i, line in scored:
        if size and size + len(line.text) > FOCUSED_CHARS:
            continue
        picked.append((-neg_i, line))
        size += len(line.text)
        if len(picked) == 3 or size >= FOCUSED_CHARS * 0.6:
            break
    return [line for _, line in sorted(picked, key=lambda x: x[0])]


def _compose(kind: str, title: str, picked: list[Line]) -> str:
    lead = f"“{title}”{LEADS[kind]}"
    if kind == "materials" and len(picked) > 1:
        items = "\n".join(f"{n}. {line.text.rstrip('；;。')}" for n, line in enumerate(picked, 1))
        return f"{lead}如下：\n{items}"
    cues = CUES[kind]
    parts = [_field(line.text, cues=cues if len(picked) == 1 else ()) for line in picked]
    text = "；".join(p for p in parts if p)
    if kind == "time":
        text = text.replace("(工作日)", "个工作日").replace("（工作日）", "个工作日")
    body = f"{lead}：{text}"
    return _clip(body) if kind != "materials" else body


def _field(text: str, *, cues: tuple[str, ...]) -> str:
    """'办理地点：XX' drops its label when the lead already says it."""
    label, sep, value = text.partition("：")
    if sep and len(label) <= 8 and value.strip() and any(cue in label for cue in cues):
        text = value.strip()
    return text.rstrip("；;")


def _sentence(text: str) -> str:
    return text if text.endswith(("。", "！", "？", "；", "：")) else text + "。"


def _clip(text: str) -> str:
    return text if len(text) <= FOCUSED_CHARS else text[: FOCUSED_CHARS - 1] + "…"


def _sources(picked: list[Line]) -> list[RetrievedChunk]:
    out: list[RetrievedChunk] = []
    for line in picked:
        if line.chunk.chunk_id not in {c.chunk_id for c in out}:
            out.append(line.chunk)
    return out
