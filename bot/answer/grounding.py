"""Does the knowledge base support an answer? The question must name one of the retrieved items.

The nearest neighbour of a question about a service that is not in the base is usually a similar
service with a high cosine similarity, so similarity alone cannot refuse. Each retrieved document's
title is aligned with the question (bot/answer/align.py): the item the question is about is the title
it lines up with best. A document is an answer when the question covers enough of its name and glues
nothing onto it that the name lacks ("公租房" against "租房提取住房公积金"), or, for a question naming the
item in other words, when the embedder puts it very close. Whatever the question says around the name
(greetings, an agent relaying a caller, the asked field) does not count against it.

Thresholds live in bot/resources/thresholds.yaml (section `answer`), calibrated on the tune split of
tests/data/eval_answers only.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from bot.answer.align import Alignment, align, rest_of, uncovered
from bot.answer.question import Question
from bot.answer.types import RetrievedChunk
from bot.thresholds import threshold

# Long narratives (a citizen's whole story) carry no single item name; they rest on similarity.
NARRATIVE_CHARS = 60
CANDIDATE_DOCS = 6


@dataclass(frozen=True)
class Grounding:
    """The decision, with the document it rests on and the evidence."""

    supported: bool
    doc_id: str | None
    chunks: list[RetrievedChunk]
    coverage: float
    dense: float
    reason: str
    rest: str | None = None  # the question without the item's name: what it asks
    before: str = ""  # the part of the question before the item's name (a greeting, a relayed caller)
    item: str = ""  # the question's words that name the item


def min_dense() -> float:
    """Below this cosine similarity (e5-small, query vs passage) nothing is close enough to answer."""
    return threshold("answer.min_dense")


def decide(question: Question | str, chunks: list[RetrievedChunk], *,
           weight: Callable[[str], float] = lambda _w: 1.0,
           document: Callable[[str], list[RetrievedChunk]] | None = None,
           titles: Callable[[str], list[tuple[str, float]]] | None = None) -> Grounding:
    """Pick the retrieved document the question is about, or refuse.

    `document` gives all of a document's chunks (not only the retrieved ones); the item the question names
    must be covered by the chosen document's title and headings (bot/answer/align.py `uncovered`).
    `titles` gives the base's documents whose titles alone are nearest the question, (doc_id, cosine)."""
    text = question.text if isinstance(question, Question) else question
    if not chunks:
        return Grounding(False, None, [], 0.0, 0.0, "知识库为空或没有检索到内容")
    by_doc: dict[str, list[RetrievedChunk]] = defaultdict(list)
    for chunk in chunks:
        by_doc[chunk.doc_id].append(chunk)

    if len(text) > NARRATIVE_CHARS:
        best = chunks[0].doc_id
        best_chunks = sorted(by_doc[best], key=lambda c: c.score, reverse=True)
        dense = max((c.dense_score or 0.0) for c in best_chunks)
        supported = dense >= threshold("answer.min_dense_narrative") and not math.isnan(dense)
        return Grounding(supported, best, best_chunks, 0.0, dense,
                         f"长文本按语义相似度判断：相似度 {dense:.2f}", rest=text)

    candidates = list(by_doc)[:CANDIDATE_DOCS]
    alignments = {doc: align(text, by_doc[doc][0].title, weight) for doc in candidates}
    dense_by_doc = {doc: max((c.dense_score or 0.0) for c in by_doc[doc]) for doc in candidates}
    clash_penalty = threshold("answer.clash_penalty")

    def score(doc: str) -> float:
        a = alignments[doc]
        return a.name_coverage - clash_penalty * a.clash + threshold("answer.rank_dense_weight") * dense_by_doc[doc]

    best = max(candidates, key=score)
    a, sim = alignments[best], dense_by_doc[best]
    best_chunks = sorted(by_doc[best], key=lambda c: c.score, reverse=True)
    whole = (document(best) if document else []) or by_doc[best]
    names = [best_chunks[0].title, *dict.fromkeys(h for c in whole for h in c.heading_path[:2])]
    missing = uncovered(text, a, names, "|".join(names + [c.text for c in whole]))
    named = _supported(a, sim) and missing <= threshold("answer.max_uncovered")
    # The nearest titles are asked only when the name did not settle it (one Chroma query fewer per answer).
    lead = None if named or not titles else _title_lead(best, chunks[0].doc_id, titles(text))
    supported = named or (lead is not None and _distinct(a, sim, lead))
    reason = _reason(a, sim, supported, missing, lead)
    return Grounding(supported, best, best_chunks, a.name_coverage, sim, reason,
                     rest=rest_of(text, a), item=a.span, before=text[: min(a.matched)] if a.matched else "")


def _supported(a: Alignment, sim: float) -> bool:
    if math.isnan(sim) or sim < min_dense() or a.clash > threshold("answer.max_clash"):
        return False
    named = a.name_coverage >= threshold("answer.min_name_coverage")
    # The item named in part ("供暖期" for "冬季供暖服务…"): some of the name, and close in meaning.
    partly = a.name_coverage >= threshold("answer.min_part_coverage") and sim >= threshold("answer.min_dense_part")
    paraphrase = sim >= threshold("answer.min_dense_paraphrase")
    return named or partly or paraphrase


def _title_lead(best: str, top: str, nearest: list[tuple[str, float]]) -> tuple[float, float] | None:
    """(cosine, lead over the runner-up) when the chosen document is also the top retrieved one and, of all the
    base's titles, its title is the one nearest the question; else None."""
    if len(nearest) < 2 or not best == top == nearest[0][0]:
        return None
    return nearest[0][1], nearest[0][1] - nearest[1][1]


def _distinct(a: Alignment, sim: float, lead: tuple[float, float]) -> bool:
    """The item named in everyday words ("办狗证" for "养犬登记证核发"): no title of the base is nearer the
    question, this one leads the runner-up clearly, and nothing that names another item is glued onto the name
    or put in place of a part of it ("入境" for "出境"). The lead is relative to the base's other titles, so a
    base with many look-alike items asks for the same clear lead."""
    cosine, margin = lead
    if math.isnan(sim) or sim < min_dense() or a.clash or a.swapped:
        return False
    return cosine >= threshold("answer.min_title_cosine") and margin >= threshold("answer.min_title_lead")


def _reason(a: Alignment, sim: float, supported: bool, missing: int = 0,
            lead: tuple[float, float] | None = None) -> str:
    """The decision in words an administrator reads (hit testing)."""
    named = f"问题中的“{a.span}”对应文档名称的 {a.name_coverage:.0%}" if a.span else "问题与文档名称没有对应的字词"
    clash = f"，另有文档名称中没有的限定词（{a.clash:.0f} 字）" if a.clash else ""
    gap = f"，问题所问事项有 {missing} 字不在文档标题和小标题中" if missing else ""
    nearest = (f"；知识库中与问题最接近的文档名称就是本文（相似度 {lead[0]:.2f}，领先第二名 {lead[1]:.3f}）"
               if lead else "")
    verdict = "可以据此回答" if supported else "不足以据此回答"
    return f"{named}{clash}{gap}；语义相似度 {sim:.2f}{nearest}；{verdict}"
