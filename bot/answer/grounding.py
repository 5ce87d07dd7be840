"""Does the knowledge base support an answer? The question must name one of the retrieved items.

The nearest neighbour of a question about a service that is not in the base is usually a similar
service with a high cosine similarity, so similarity alone cannot refuse. Each retrieved document's
title is aligned with the question (bot/answer/align.py): the item the question is about is the title
it lines up with best. A document is an answer when the question covers enough of its name and glues
nothing onto it that the name lacks ("公租房" against "租房提取住房公积金"), or, for a question naming the
item in other words, when the embedder puts it very close. Whatever the question says around the name
(greetings, an agent relaying a caller, the asked field) does not count against it.

Short questions are decided by a learnt model (bot/resources/grounding_model.json, fitted by
scripts/tune_grounding.py): a logistic regression over each candidate's evidence, the alignment above plus
how close the question is to the title in meaning (e5, both read as queries) and how far ahead of the
other candidates it is. An item named in everyday words ("办狗证" for 养犬登记证核发) has no characters in
common with its title, but it is nearer to its own title than to any other; an item the base lacks is near
several. The model gives the probability that a candidate is the item asked about; the most probable one is
the answer when it reaches `answer.min_grounded_probability`, unless the item the question names has
characters that document lacks (a near neighbour: "入境" against "出境检疫"), which refuses outright.

Thresholds live in bot/resources/thresholds.yaml (section `answer`), calibrated on the tune split of
tests/data/eval_answers only.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.answer.align import Alignment, align, rest_of, uncovered
from bot.answer.question import Question
from bot.answer.types import RetrievedChunk
from bot.thresholds import threshold

MODEL_PATH = Path(__file__).resolve().parents[1] / "resources" / "grounding_model.json"
# Cosines of the question to each title, read as queries (e5); None where no embedder is at hand.
TitleSimilarity = Callable[[str, Sequence[str]], Sequence[float]]
TITLE_GAP_CAP = 0.05  # a lone candidate, or one far ahead of the rest, counts as this far ahead

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
           title_similarity: TitleSimilarity | None = None) -> Grounding:
    """Pick the retrieved document the question is about, or refuse.

    `document` gives all of a document's chunks (not only the retrieved ones), against which the item the
    question names is checked (bot/answer/align.py `uncovered`); `title_similarity` gives the question's
    cosine to each candidate title (without it the passage cosine stands in)."""
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

    candidates = _candidates(text, by_doc, weight, document, title_similarity)
    probabilities = grounded_probabilities(candidates)
    best_n = int(np.argmax(probabilities))
    best, p = candidates[best_n], float(probabilities[best_n])
    a = best.alignment
    # Hard evidence outranks the model: the item the question names has characters the document lacks
    # ("入境" against "出境检疫"), so it is another item, however probable.
    supported = (p >= threshold("answer.min_grounded_probability") and best.missing <= threshold("answer.max_uncovered")
                 and not math.isnan(best.dense))
    best_chunks = sorted(by_doc[best.doc_id], key=lambda c: c.score, reverse=True)
    return Grounding(supported, best.doc_id, best_chunks, a.name_coverage, best.dense,
                     _reason(a, best.dense, supported, best.missing, p),
                     rest=rest_of(text, a), item=a.span, before=text[: min(a.matched)] if a.matched else "")


@dataclass(frozen=True)
class Candidate:
    """One retrieved document as the possible item of a question, with the evidence for it."""

    doc_id: str
    alignment: Alignment
    dense: float
    missing: int  # characters of the item the question names that the document lacks
    features: dict[str, float]


def _candidates(text: str, by_doc: dict[str, list[RetrievedChunk]], weight: Callable[[str], float],
                document: Callable[[str], list[RetrievedChunk]] | None,
                title_similarity: TitleSimilarity | None) -> list[Candidate]:
    docs = list(by_doc)[:CANDIDATE_DOCS]
    dense = {doc: max((c.dense_score or 0.0) for c in by_doc[doc]) for doc in docs}
    titles = [by_doc[doc][0].title for doc in docs]
    title_cos = list(title_similarity(text, titles)) if title_similarity else [dense[d] for d in docs]
    top_dense = max(docs, key=lambda d: dense[d])
    grams = _bigrams(text)
    out = []
    for n, doc in enumerate(docs):
        a = align(text, titles[n], weight)
        whole = (document(doc) if document else []) or by_doc[doc]
        names = [titles[n], *dict.fromkeys(h for c in whole for h in c.heading_path[:2])]
        body = "|".join(names + [c.text for c in whole])
        missing = uncovered(text, a, names, body)
        others = [c for m, c in enumerate(title_cos) if m != n]
        gap = min(title_cos[n] - max(others), TITLE_GAP_CAP) if others else TITLE_GAP_CAP
        features = {
            "dense": dense[doc],
            "coverage": a.name_coverage,
            "clash": min(a.clash, 4) / 4,
            "uncovered": min(missing, 6) / 6,
            "body_bigrams": sum(g in body for g in grams) / max(len(grams), 1),
            "title_bigrams": sum(g in "|".join(names) for g in grams) / max(len(grams), 1),
            "rule": float(_supported(a, dense[doc]) and missing <= threshold("answer.max_uncovered")),
            "top_fused": float(n == 0),
            "top_dense": float(doc == top_dense),
            "span_share": len(a.span) / max(len(text), 1),
            "title_cosine": float(title_cos[n]),
            "title_gap": float(gap),
            "top_title": float(gap >= 0),
        }
        out.append(Candidate(doc, a, dense[doc], missing, features))
    return out


def candidate_features(question: str, chunks: list[RetrievedChunk], *,
                       weight: Callable[[str], float] = lambda _w: 1.0,
                       document: Callable[[str], list[RetrievedChunk]] | None = None,
                       title_similarity: TitleSimilarity | None = None) -> list[dict]:
    """Each retrieved document's evidence (for fitting the model: scripts/tune_grounding.py)."""
    by_doc: dict[str, list[RetrievedChunk]] = defaultdict(list)
    for chunk in chunks:
        by_doc[chunk.doc_id].append(chunk)
    return [{"doc_id": c.doc_id, **c.features}
            for c in _candidates(question, by_doc, weight, document, title_similarity)]


@lru_cache(maxsize=1)
def _model() -> dict:
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))


def grounded_probabilities(candidates: list[Candidate]) -> np.ndarray:
    """The model's probability, per candidate, that it is the item the question asks about."""
    model = _model()
    x = np.array([[c.features[name] for name in model["features"]] for c in candidates], dtype=float)
    z = (x - np.array(model["mean"])) / np.array(model["scale"])
    return 1.0 / (1.0 + np.exp(-(z @ np.array(model["coef"]) + model["intercept"])))


def _bigrams(text: str) -> list[str]:
    chars = "".join(c for c in text if c.isalnum())
    return list(dict.fromkeys(chars[i : i + 2] for i in range(len(chars) - 1)))


def _supported(a: Alignment, sim: float) -> bool:
    if math.isnan(sim) or sim < min_dense() or a.clash > threshold("answer.max_clash"):
        return False
    named = a.name_coverage >= threshold("answer.min_name_coverage")
    # The item named in part ("供暖期" for "冬季供暖服务…"): some of the name, and close in meaning.
    partly = a.name_coverage >= threshold("answer.min_part_coverage") and sim >= threshold("answer.min_dense_part")
    paraphrase = sim >= threshold("answer.min_dense_paraphrase")
    return named or partly or paraphrase


def _reason(a: Alignment, sim: float, supported: bool, missing: int = 0, probability: float | None = None) -> str:
    """The decision in words an administrator reads (hit testing)."""
    named = f"问题中的“{a.span}”对应文档名称的 {a.name_coverage:.0%}" if a.span else "问题与文档名称没有对应的字词"
    clash = f"，另有文档名称中没有的限定词（{a.clash:.0f} 字）" if a.clash else ""
    gap = f"，问题所问事项有 {missing} 字不在文档标题和小标题中" if missing else ""
    verdict = "可以据此回答" if supported else "不足以据此回答"
    judged = f"；判断为所问事项的把握 {probability:.0%}" if probability is not None else ""
    return f"{named}{clash}{gap}；语义相似度 {sim:.2f}{judged}；{verdict}"
