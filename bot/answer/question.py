"""What a question asks (a phone, a place, materials…) and what it is about, without lists of phrasings.

The asked field is the field whose label or synonyms the question resembles most, by the embedder
(e5 query vectors) and by shared characters; the item is whatever part of the question lines up with a
retrieved document's title (bot/answer/align.py), so a question may name the item in part, with a typo,
politely, or inside an agent's relayed words, and still be understood.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from bot.answer.align import _words, units
from bot.answer.fields import FIELDS
from bot.thresholds import threshold

# A follow-up leans on the previous question ("那需要带什么材料？", "这个在哪办？").
_FOLLOW_UP_LEAD = re.compile(r"^(那|那么|那这个|这个|它|还有|另外|再问一下|还要|还需要|那要|那我|那如果)")
_NAMING_TAGS = ("n", "j", "b", "l", "eng", "nz", "vn")
CHAR_WEIGHT = 0.3  # a single shared character, against a bigram (tune split: 0.3 as in the previous measure)
BEFORE_WEIGHT = 0.5  # field words before the item's name, against those after it (set by hand, checked on tune)
ASKINGS_PATH = Path(__file__).resolve().parents[1] / "resources" / "field_askings.yaml"


@dataclass(frozen=True)
class Question:
    """A parsed question: its text, the asked field ("general" when none) and what it is about."""

    text: str
    kind: str
    entity: str
    kind_score: float = 0.0


Embed = Callable[[Sequence[str]], np.ndarray]
_embed: Embed | None = None


def use_embedder(embed: Embed | None) -> None:
    """Set the query embedder used for field similarity (the knowledge base's e5); None: characters only."""
    global _embed
    _embed = embed
    _field_vectors.cache_clear()


@lru_cache(maxsize=1)
def _askings() -> dict[str, list[str]]:
    """Everyday askings for each field (bot/resources/field_askings.yaml)."""
    data = yaml.safe_load(ASKINGS_PATH.read_text(encoding="utf-8"))
    return {kind: [str(x) for x in data.get(kind, [])] for kind in FIELDS}


@lru_cache(maxsize=1)
def _field_vectors() -> dict[str, np.ndarray]:
    """e5 vectors of each field's names and everyday askings."""
    assert _embed is not None
    names = [(kind, name) for kind, names in FIELDS.items() for name in (*names, *_askings()[kind])]
    vectors = _embed([name for _, name in names])
    out: dict[str, list[np.ndarray]] = {}
    for (kind, _name), vector in zip(names, vectors, strict=True):
        out.setdefault(kind, []).append(vector)
    return {kind: np.vstack(vs) for kind, vs in out.items()}


def _grams(text: str) -> tuple[set[str], set[str]]:
    """Characters and character bigrams by sound key (so homophone typos still share them)."""
    keys = [k for _, _, k in units(text)]
    return set(keys), {a + "|" + b for a, b in zip(keys, keys[1:], strict=False)}


@lru_cache(maxsize=1)
def _gram_fields() -> dict[str, frozenset[str]]:
    """Each character and bigram of the fields' names, with the fields whose names hold it."""
    out: dict[str, set[str]] = {}
    for kind, names in FIELDS.items():
        for name in (*names, *_askings()[kind]):
            chars, bigrams = _grams(name)
            for gram in chars | bigrams:
                out.setdefault(gram, set()).add(kind)
    return {gram: frozenset(kinds) for gram, kinds in out.items()}


def _char_evidence(rest: str, before: str = "") -> dict[str, float]:
    """Each field's share of the field words in the rest of the question, 0..1 (the shares sum to 1).

    Every character and bigram of the rest that occurs in some field's names is evidence for those fields,
    weighted by how few fields share it (an IDF over the fields' names): "电话" speaks for the phone alone,
    "申请" for three fields and so for each a little; a single character counts a third of a bigram. Words
    before the item's name (`before`, part of `rest`) count less: that is where a caller is introduced
    ("有个小伙子打电话问…"); the field asked mostly follows the name."""
    known = _gram_fields()
    scores = dict.fromkeys(FIELDS, 0.0)
    for part, factor in ((rest[len(before):], 1.0), (before, BEFORE_WEIGHT)):
        chars, bigrams = _grams(part)
        for gram in chars | bigrams:
            kinds = known.get(gram)
            if kinds:
                weight = math.log(1 + len(FIELDS) / len(kinds)) * (1.0 if "|" in gram else CHAR_WEIGHT) * factor
                for kind in kinds:
                    scores[kind] += weight
    total = sum(scores.values())
    return {kind: score / total for kind, score in scores.items()} if total else scores


def field_scores(rest: str, before: str = "") -> dict[str, float]:
    """How much the rest of a question (the item's name taken out) asks for each field, 0..1; `before` is the
    part of `rest` that came before the name."""
    if not rest.startswith(before):
        before = ""
    chars = _char_evidence(rest, before)
    if _embed is None or not rest.strip():
        return chars
    # The embedder reads what follows the name when that holds any field word, else the whole rest.
    after = rest[len(before):]
    chars_after, bigrams_after = _grams(after)
    asks_after = bool((chars_after | bigrams_after) & _gram_fields().keys())
    vector = _embed([after if asks_after else rest])[0]
    weight = threshold("answer.field_embedding_weight")
    scores = {}
    for kind, vectors in _field_vectors().items():
        # e5 cosines crowd into 0.7-0.95; stretch them onto 0..1 before mixing with characters.
        dense = float(np.max(vectors @ vector))
        stretched = min(max((dense - 0.75) / 0.2, 0.0), 1.0)
        scores[kind] = weight * stretched + (1 - weight) * chars[kind]
    return scores


def question_kind(rest: str, before: str = "") -> tuple[str, float]:
    """The field asked for, or "general" when no field is close enough; with its score."""
    scores = field_scores(rest, before)
    kind = max(scores, key=lambda k: scores[k])
    if scores[kind] < threshold("answer.field_min_score"):
        return "general", scores[kind]
    return kind, scores[kind]


def naming_part(text: str) -> str:
    """The longest run of naming words (nouns, names, abbreviations) that is not a field's own name."""
    field_chars: set[int] = set()
    for _kind, names in FIELDS.items():
        for name in names:
            if len(name) >= 2 and name in text:
                field_chars.update(range(text.find(name), text.find(name) + len(name)))
    runs: list[str] = []
    current = ""
    for start, end, word, tag in _words(text):
        naming = tag.startswith(_NAMING_TAGS) and not set(range(start, end)) & field_chars
        naming = naming and not any(word in name for names in FIELDS.values() for name in names)
        if naming:
            current += word
        else:
            if current:
                runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return max(runs, key=len, default="")


def key_entity(text: str) -> str:
    """What the question is about, before any document is seen ("来电人问：居住证要带啥？" → "居住证")."""
    return naming_part(text)


def parse(text: str, rest: str | None = None, before: str = "") -> Question:
    """Kind and entity of one question; `rest` is the question without the item's name, when known, and
    `before` its part before the name."""
    kind, score = question_kind(rest if rest is not None else text, before)
    return Question(text=text, kind=kind, entity=key_entity(text), kind_score=score)


def is_follow_up(text: str) -> bool:
    """True when the question names nothing of its own and leans on the previous one."""
    return bool(_FOLLOW_UP_LEAD.match(text.strip())) or len(key_entity(text)) <= 1


def resolve_follow_up(text: str, history: list[str]) -> str:
    """Attach the previous question's subject to a follow-up; other questions pass unchanged."""
    if not history or not is_follow_up(text):
        return text
    for previous in reversed(history):
        subject = key_entity(previous)
        if len(subject) >= 2:
            return f"{subject} {_FOLLOW_UP_LEAD.sub('', text.strip())}"
    return text


_CLAUSE = re.compile(r"[。！？!?；;\n，,]|另外|还有|同时|顺便|此外")
_ASKS = re.compile(r"[？?]|怎么|如何|怎样|哪里|哪儿|哪些|哪个|什么|多少|多久|几天|能否|能不能|可不可以|是否|吗|呢|请问|想问|咨询")


def question_part(text: str) -> str:
    """From a message that both asks and complains, the clauses that ask ("我想问公积金怎么提取，另外单位欠薪" →
    "我想问公积金怎么提取"); the whole text when no clause asks or every clause does."""
    clauses = [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]
    asking = [c for c in clauses if _ASKS.search(c)]
    if not asking or len(asking) == len(clauses):
        return text
    return "，".join(asking)
