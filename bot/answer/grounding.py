"""Does the knowledge base support an answer? Ground on the question's entity, not only on similarity.

The nearest neighbour of a question about a service that is not in the base is usually a similar
service with a high cosine similarity, so similarity alone cannot refuse. We also require the
question's key entity to be covered by the chosen document (title, headings and text).

Thresholds were calibrated on the 800-item service base with its 200 dev questions and 39
questions of our own about services not in it (scripts/eval_answers.py); see docs/evaluation.md.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from bot.answer.question import Question
from bot.answer.types import RetrievedChunk
from bot.text import naming_words, words

# Share of the entity's characters (bigrams) that must appear in the document: the exact-name route.
MIN_ENTITY_COVERAGE = 0.80
# The paraphrase route ("暖气不热怎么办"): nearly all naming words and most words covered, and close.
MIN_NAMING_COVERAGE = 0.85
MIN_WORD_COVERAGE = 0.55
MIN_DENSE_PARAPHRASE = 0.90
# Below this cosine similarity (e5-small, query vs passage) nothing is close enough to answer.
MIN_DENSE = 0.80
# Long narratives (a citizen's whole story) carry no single entity; they need a closer match.
MIN_DENSE_NARRATIVE = 0.83
NARRATIVE_CHARS = 60


@dataclass(frozen=True)
class Grounding:
    """The decision, with the document it rests on and the evidence."""

    supported: bool
    doc_id: str | None
    chunks: list[RetrievedChunk]
    coverage: float
    dense: float
    reason: str


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if c.isalnum()]
    if len(chars) == 1:
        return set(chars)
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


def coverage(entity: str, text: str) -> float:
    """Share of the entity's character bigrams found in `text` (1.0 for an empty entity)."""
    grams = _bigrams(entity.lower())
    if not grams:
        return 1.0
    found = _bigrams(text.lower())
    return sum(1 for g in grams if g in found) / len(grams)


_QUALIFIER = re.compile(r"[（(]([^（）()]{2,})[)）]")


def word_coverage(asked: tuple[str, ...], text: str, weight: Callable[[str], float]) -> float:
    """IDF-weighted share of the asked words found in `text`; words the base never uses weigh most."""
    unique = set(asked)
    if not unique:
        return 1.0
    text = text.lower()
    total = sum(weight(w) for w in unique)
    return sum(weight(w) for w in unique if w in text) / total if total else 1.0


def qualifiers_covered(question: str, text: str) -> bool:
    """A bracketed qualifier ("（初始注册）") tells sibling services apart, so the title must cover each."""
    return all(coverage(q, text) >= MIN_ENTITY_COVERAGE for q in _QUALIFIER.findall(question))


def decide(question: Question, chunks: list[RetrievedChunk], *,
           weight: Callable[[str], float] = lambda _w: 1.0) -> Grounding:
    """Pick the best-supported document among the retrieved chunks, or refuse."""
    if not chunks:
        return Grounding(False, None, [], 0.0, 0.0, "empty knowledge base or no match")
    by_doc: dict[str, list[RetrievedChunk]] = defaultdict(list)
    for chunk in chunks:
        by_doc[chunk.doc_id].append(chunk)

    def doc_score(doc_id: str) -> tuple[float, float, float]:
        doc_chunks = by_doc[doc_id]
        title = doc_chunks[0].title
        text = title + " " + " ".join(" ".join(c.heading_path) + " " + c.text for c in doc_chunks)
        title_cov = coverage(question.entity, title)
        text_cov = coverage(question.entity, text)
        fused = max(c.score for c in doc_chunks)
        # Title coverage first (the service named in the question), then text coverage, then rank.
        return (round(max(title_cov, text_cov * 0.98), 3), round(title_cov, 3), fused)

    narrative = len(question.text) > NARRATIVE_CHARS
    # A story carries no single entity to check: the best-ranked document is the candidate.
    best = chunks[0].doc_id if narrative else max(by_doc, key=doc_score)
    best_chunks = sorted(by_doc[best], key=lambda c: c.score, reverse=True)
    entity_cov = doc_score(best)[0]
    dense = max((c.dense_score or 0.0) for c in best_chunks)
    if narrative:
        # A story, not a question: rely on similarity, and on the document's distinctive terms overlapping.
        supported = dense >= MIN_DENSE_NARRATIVE
        reason = f"narrative dense={dense:.3f}"
    else:
        title = best_chunks[0].title
        doc_text = " ".join(f"{c.title} {' '.join(c.heading_path)} {c.text}" for c in best_chunks)
        naming = word_coverage(naming_words(question.entity), doc_text, weight)
        wording = word_coverage(words(question.entity), doc_text, weight)
        exact_name = entity_cov >= MIN_ENTITY_COVERAGE
        paraphrase = naming >= MIN_NAMING_COVERAGE and wording >= MIN_WORD_COVERAGE and dense >= MIN_DENSE_PARAPHRASE
        supported = dense >= MIN_DENSE and (exact_name or paraphrase) and qualifiers_covered(question.text, title)
        reason = (f"entity '{question.entity}' coverage={entity_cov:.2f} naming={naming:.2f} "
                  f"words={wording:.2f} dense={dense:.3f}")
    if math.isnan(dense):
        supported = False
    return Grounding(supported, best, best_chunks, entity_cov, dense, reason)
