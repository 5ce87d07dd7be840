"""jieba tokens for BM25: search-mode cut, lower-cased, stop words and punctuation dropped."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba
import jieba.posseg

jieba.setLogLevel(logging.WARNING)

_KEEP = re.compile(r"[\w\u4e00-\u9fff]")
STOP_WORDS = frozenset(
    "的 了 是 在 和 与 及 或 我 你 您 他 她 它 我们 请问 请 问 吗 呢 吧 啊 哪些 哪个 什么 怎么 怎样 如何 多少 "
    "是否 可以 能 能否 需要 要 有 没有 一下 一个 这个 那个 这 那 就 都 也 还 又 被 把 对 为 以 于 等 及其 "
    "其 之 如果 因为 所以 但是 而且 并 从 到 给 让 向 中 上 下 个 您好 你好 谢谢 什么时候 时候 几点 多久 "
    "谁 哪里 哪儿 哪 怎么办 怎样才能 应该 应当 会 得 地 着 过 啦 嘛 么 丢 丢了 一般 现在 今年 每年 具体".split()
)


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[str, ...]:
    """Content tokens of `text` for BM25 and for entity coverage checks."""
    out = []
    for token in jieba.cut_for_search(text.lower()):
        token = token.strip()
        if token and token not in STOP_WORDS and _KEEP.search(token):
            out.append(token)
    return tuple(out)


@lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    """Content words of `text` in jieba's precise mode: what a question is about, word by word."""
    out = []
    for word in jieba.cut(text.lower()):
        word = word.strip()
        if word and word not in STOP_WORDS and _KEEP.search(word):
            out.append(word)
    return tuple(out)


# jieba part-of-speech tags that name things: nouns, verbal nouns, abbreviations, idioms, foreign words.
_NAMING_TAGS = ("n", "vn", "j", "eng", "l", "i")


@lru_cache(maxsize=4096)
def naming_words(text: str) -> tuple[str, ...]:
    """The words of `text` that name things (nouns and the like): what a question is about."""
    out = []
    for pair in jieba.posseg.cut(text.lower()):
        word, tag = pair.word.strip(), pair.flag
        if word and word not in STOP_WORDS and tag.startswith(_NAMING_TAGS) and _KEEP.search(word):
            out.append(word)
    return tuple(out)
