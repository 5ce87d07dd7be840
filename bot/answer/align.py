"""Align a question with a document's name, character by character, tolerant of homophone typos.

No list of question phrasings is used: the part of the question that names the item is whatever lines up
with the candidate's title; everything else is what the question asks, or context around it. Characters
are compared by their fuzzy pinyin (z/zh, c/ch, s/sh merged), so "居注证" lines up with
"居住证" and "个体工商户营业执造" with "…营业执照", as on a phone keyboard.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import jieba.posseg
from jieba.posseg.prob_emit import P as _EMISSIONS
from pypinyin import lazy_pinyin

from bot.answer.fields import is_field_word

_HAN = re.compile(r"[\u3400-\u9fff]")
_FUZZY = ((r"^zh", "z"), (r"^ch", "c"), (r"^sh", "s"))
# Tags (jieba) of words that can change which item is meant when glued to its name: nouns, names,
# distinguishing words and adjectives ("公" in "公租房", "摩托" in "摩托车上牌").
_NAMING_TAGS = ("n", "j", "b", "a", "s", "l", "i", "eng")


@lru_cache(maxsize=8192)
def _key(char: str) -> str:
    if not _HAN.match(char):
        return char.lower()
    syllable = lazy_pinyin(char)[0]
    for pattern, repl in _FUZZY:
        syllable = re.sub(pattern, repl, syllable)
    return syllable


def units(text: str) -> list[tuple[int, str, str]]:
    """(position, character, sound key) of each letter, digit or Han character."""
    return [(i, c, _key(c)) for i, c in enumerate(text) if c.isalnum()]


def lcs_pairs(a: list[tuple[int, str, str]], b: list[tuple[int, str, str]]) -> list[tuple[int, int]]:
    """Longest in-order matching of `a` and `b` by sound key: pairs of (index in a, index in b).

    Ties prefer the same character over a homophone, and contiguous matches over scattered ones."""
    n, m = len(a), len(b)
    if not n or not m:
        return []
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best = max(score[i + 1][j], score[i][j + 1])
            if a[i][2] == b[j][2]:
                same = 1.0 if a[i][1] == b[j][1] else 0.9
                run = 0.05 if i + 1 < n and j + 1 < m and a[i + 1][2] == b[j + 1][2] else 0.0
                best = max(best, score[i + 1][j + 1] + same + run)
            score[i][j] = best
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if a[i][2] == b[j][2]:
            same = 1.0 if a[i][1] == b[j][1] else 0.9
            run = 0.05 if i + 1 < n and j + 1 < m and a[i + 1][2] == b[j + 1][2] else 0.0
            if abs(score[i][j] - (score[i + 1][j + 1] + same + run)) < 1e-9:
                pairs.append((i, j))
                i, j = i + 1, j + 1
                continue
        if score[i + 1][j] >= score[i][j + 1]:
            i += 1
        else:
            j += 1
    # A homophone counts only beside a character that is the same: a lone sound-alike is chance.
    exact = {(i, j) for i, j in pairs if a[i][1] == b[j][1]}
    return [(i, j) for i, j in pairs
            if (i, j) in exact or (i - 1, j - 1) in exact or (i + 1, j + 1) in exact]


@dataclass(frozen=True)
class Alignment:
    """How a question lines up with one name (a title or heading)."""

    name: str
    matched: frozenset[int]  # positions in the question that line up with the name
    name_coverage: float  # weighted share of the name's words the question covers
    clash: float  # question characters glued to the matched name that the name does not have
    span: str  # the question's text that names the item
    exact: frozenset[int] = frozenset()  # positions of `matched` with the same character, or a typo of it
    swapped: int = 0  # question characters standing where the name has other characters, between matches


@lru_cache(maxsize=4096)
def _single_tag(char: str, fallback: str) -> str:
    """The most likely tag of `char` as a word on its own, by jieba's character model.

    jieba's dictionary keeps one tag per word, and for some single characters it is a rare use ("问" is a
    noun there); its character model knows how the character usually stands alone ("问": verb, "公": a
    distinguishing word)."""
    best, tag = -1e99, fallback
    for (state, flag), probabilities in _EMISSIONS.items():
        score = probabilities.get(char)
        if state == "S" and score is not None and score > best:
            best, tag = score, flag
    return tag


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[tuple[int, int, str, str], ...]:
    """(start, end, word, tag) for each jieba word of `text`; a one-character word gets its usual tag."""
    out = []
    pos = 0
    for pair in jieba.posseg.cut(text):
        start = text.find(pair.word, pos)
        if start < 0:
            continue
        end = start + len(pair.word)
        flag = _single_tag(pair.word, pair.flag) if len(pair.word) == 1 and _HAN.match(pair.word) else pair.flag
        out.append((start, end, pair.word, flag))
        pos = end
    return tuple(out)


def _clusters(pairs: list[tuple[int, int]], q: list[tuple[int, str, str]]) -> list[list[tuple[int, int]]]:
    """Runs of matched pairs that are close in the question (gaps of at most one unit)."""
    runs: list[list[tuple[int, int]]] = []
    for pair in pairs:
        if runs and pair[0] - runs[-1][-1][0] <= 2:
            runs[-1].append(pair)
        else:
            runs.append([pair])
    return runs


def align(question: str, name: str, weight: Callable[[str], float]) -> Alignment:
    """Line `question` up with `name`; `weight` says how distinctive a word of the name is (IDF)."""
    q, t = units(question), units(name)
    pairs = lcs_pairs(q, t)
    # Keep the densest cluster: scattered single characters ("办", "证") are not a name.
    runs = [r for r in _clusters(pairs, q) if len(r) >= 2]
    if not runs:
        return Alignment(name, frozenset(), 0.0, 0.0, "")
    name_words = _words(name)

    def covered_weight(run: list[tuple[int, int]]) -> float:
        hit = {t[j][0] for _, j in run}
        total = 0.0
        for start, end, word, _tag in name_words:
            chars = [p for p in range(start, end) if name[p].isalnum()]
            if chars:
                total += weight(word) * sum(p in hit for p in chars) / len(chars)
        return total

    best = max(runs, key=covered_weight)
    matched = frozenset(q[i][0] for i, _ in best)
    denominator = sum(weight(w) for s, e, w, _ in name_words if any(name[p].isalnum() for p in range(s, e)))
    coverage = covered_weight(best) / denominator if denominator else 0.0
    lo, hi = min(matched), max(matched)
    span = question[lo : hi + 1]
    exact = frozenset(q[i][0] for i, j in best if q[i][1] == t[j][1]) | _typos(best, q, t)
    return Alignment(name, matched, round(coverage, 4), _clash(question, matched, lo, hi), span, exact,
                     _swapped(question, pairs, q, t))


# Tags (jieba) of words that only join or place the words of a name ("的", "后", "和"): no other item's mark.
_JOINING_TAGS = ("u", "p", "c", "f", "d", "r", "y", "e", "x", "w", "m", "q")


def _swapped(question: str, pairs: list[tuple[int, int]], q: list[tuple[int, str, str]],
             t: list[tuple[int, str, str]]) -> int:
    """Question characters standing, between two matched stretches, where the name has other characters:
    "入境" for "出境" in "宠物犬猫入境检疫" against "携带宠物犬猫出境检疫指南", "生产" for "经营" in "食品生产许可证"
    against "食品经营许可证", "机动轮椅车燃油" for "两项" in "残疾人…补贴". Joining words ("医保的备案" against
    "医保异地就医备案") do not count."""
    words = _dictionary_words(question)
    joining = {p for start, end, word, tag in words if tag.startswith(_JOINING_TAGS) or is_field_word(word)
               for p in range(start, end)}
    # Both sides of the gap must be matched stretches of two or more naming characters: a lone matched
    # character is chance, and a matched field word ("办理") is what the question asks, not the name.
    pairs = [(i, j) for i, j in pairs if q[i][0] not in joining]
    stretch = [1] * len(pairs)  # length of the contiguous matched stretch each pair ends (forward) ...
    for n in range(1, len(pairs)):
        if pairs[n][0] == pairs[n - 1][0] + 1 and pairs[n][1] == pairs[n - 1][1] + 1:
            stretch[n] = stretch[n - 1] + 1
    ahead = [1] * len(pairs)  # ... and starts (backward)
    for n in range(len(pairs) - 2, -1, -1):
        if pairs[n + 1][0] == pairs[n][0] + 1 and pairs[n + 1][1] == pairs[n][1] + 1:
            ahead[n] = ahead[n + 1] + 1
    count = 0
    for n in range(len(pairs) - 1):
        (i1, j1), (i2, j2) = pairs[n], pairs[n + 1]
        if i2 - i1 > 1 and j2 - j1 > 1 and stretch[n] >= 2 and ahead[n + 1] >= 2:
            count += sum(1 for i in range(i1 + 1, i2) if q[i][0] not in joining)
    return count


def _typos(pairs: list[tuple[int, int]], q: list[tuple[int, str, str]], t: list[tuple[int, str, str]]) -> frozenset[int]:
    """Question positions of sound-alikes that read as a typo: each matched neighbour in the question is also
    the name's neighbour ("无犯罪纪录证明" for "…记录证明…"). A sound-alike whose neighbour lines up elsewhere
    in the name is another word ("公租房" against "住房公积金": "公" lines up with "公积金", "租" with "住")."""
    where = dict(pairs)
    out = set()
    for i, j in pairs:
        if q[i][1] == t[j][1]:
            continue
        if all(where.get(i + d, j + d) == j + d for d in (-1, 1)):
            out.add(q[i][0])
    return frozenset(out)


def _naming(word: str, tag: str) -> bool:
    return tag.startswith(_NAMING_TAGS) and not is_field_word(word)


def _clash(question: str, matched: frozenset[int], lo: int, hi: int) -> float:
    """Characters of naming words that are glued to the matched name but are not in it.

    A word half inside the name ("摩托车" against "自行车") or a naming character right beside it ("公" before
    "租房") means the question names another item; words around it that only ask, relay a caller or name a
    field ("问", "来电", "材料") do not count. Words come from jieba's dictionary alone (its guessed new words
    glue a relaying "问" onto the name: "问养犬"), each one-character word with its usual tag."""
    clash = 0.0
    for start, end, word, tag in _dictionary_words(question):
        inside = [p for p in range(start, end) if p in matched]
        outside = [p for p in range(start, end) if p not in matched and question[p].isalnum()]
        if not outside:
            continue
        if inside and not is_field_word(word):  # "电话号码" sharing "电" with "…充电…" names a field
            part = "".join(question[p] for p in outside)
            if any(_naming(w, t) for _s, _e, w, t in _dictionary_words(part)):
                clash += len(outside)
        elif len(word) == 1 and (end == lo or start == hi + 1) and _naming(word, tag):
            # A naming character right before or after the name changes the item outright.
            clash += 2
    return clash


@lru_cache(maxsize=4096)
def _dictionary_words(text: str) -> tuple[tuple[int, int, str, str], ...]:
    """(start, end, word, tag) for each word of jieba's dictionary in `text` (no guessed new words)."""
    out = []
    pos = 0
    for pair in jieba.posseg.cut(text, HMM=False):
        start = text.find(pair.word, pos)
        if start < 0:
            continue
        end = start + len(pair.word)
        flag = _single_tag(pair.word, pair.flag) if len(pair.word) == 1 and _HAN.match(pair.word) else pair.flag
        out.append((start, end, pair.word, flag))
        pos = end
    return tuple(out)


def rest_of(question: str, alignment: Alignment) -> str:
    """The question without the characters that name the item: what it asks, and its context."""
    return "".join(c for i, c in enumerate(question) if i not in alignment.matched)


# Tags (jieba) of words that can extend the item a question names beyond what lines up with a title: nouns,
# names, abbreviations, distinguishing words, place words, idioms, verbal nouns ("检疫"), letters.
_ITEM_TAGS = ("n", "j", "b", "s", "l", "i", "eng", "vn")


def uncovered(question: str, alignment: Alignment, names: list[str], body: str) -> int:
    """Characters of the item the question names that the document does not have.

    The item is the question's words that line up with the title ("养猫" against "养犬登记证核发"), extended by
    the naming words glued to them ("失业" + "登记证明" against "失业保险金申领"). A character of a word that
    lines up is covered when it and a neighbour of the item form a two-character piece of the title or a
    top-level heading; verbs that line up may differ ("补办" for "补发"). A glued word is covered when its
    pieces are anywhere in the document. Field words, function words and verbs that ask ("收不收钱") stop
    the extension."""
    if not alignment.matched:
        return 0
    words = _dictionary_words(question)
    inside = [n for n, (s, e, _w, _t) in enumerate(words) if any(p in alignment.matched for p in range(s, e))]
    if not inside:
        return 0

    # Characters of a field's name, however the words fall ("支持线上申请" cuts "线上" apart).
    field = {p for i in range(len(question)) for j in range(i + 2, len(question) + 1)
             if is_field_word(question[i:j]) for p in range(i, j)}

    def is_field(n: int) -> bool:
        start, end, word, _tag = words[n]
        return is_field_word(word) or any(p in field for p in range(start, end))

    def naming(n: int) -> bool:
        _s, _e, word, tag = words[n]
        # A doubled character ("问问", "看看") is a verb said lightly, whatever the dictionary's tag.
        doubled = len(word) == 2 and word[0] == word[1]
        return tag.startswith(_ITEM_TAGS) and not is_field(n) and not doubled

    def verb(n: int) -> bool:
        _s, _e, word, tag = words[n]
        return tag.startswith("v") and len(word) > 1 and not is_field(n)

    glued: set[int] = set()
    for step, n in ((-1, min(inside) - 1), (1, max(inside) + 1)):
        while 0 <= n < len(words):
            if naming(n):
                glued.add(n)
            elif verb(n) and 0 <= n + step < len(words) and naming(n + step):
                glued.add(n)  # a verb inside a compound name ("登记" in "失业登记证明")
            else:
                break
            n += step
    item = sorted(set(inside) | glued)
    chars = {p: question[p] for n in item if not is_field(n)
             for p in range(words[n][0], words[n][1]) if question[p].isalnum()}
    # A sound-alike that reads as a typo ("纪录" for "记录", see _typos) is the item; any other inside a real
    # word is another word ("租房" is not "住房").
    trusted = {p for p in alignment.matched
               if p in alignment.exact or not any(s <= p < e and e - s > 1 for s, e, _w, _t in words)}
    title_and_headings = "|".join(names)
    missing = 0
    for n in item:
        start, end, word, tag = words[n]
        if is_field(n) or (n in inside and tag.startswith("v") and tag != "vn"):
            continue
        # A word that lines up only in part ("午餐" against "就餐") names an aspect of the item; the document
        # covers it when the whole word is in its text ("社区食堂午餐供应时间").
        partial = n in inside and not all(p in alignment.matched for p in range(start, end))
        if partial and end - start > 1 and word in body:
            continue
        haystack = body if n in glued else title_and_headings
        missing += sum(1 for p in range(start, end)
                       if p in chars and p not in trusted and not _covered(p, chars, haystack))
    return missing


def _covered(pos: int, chars: dict[int, str], haystack: str) -> bool:
    pieces = [chars[a] + chars[b] for a, b in ((pos - 1, pos), (pos, pos + 1)) if a in chars and b in chars]
    return any(piece in haystack for piece in pieces or [chars[pos]])
