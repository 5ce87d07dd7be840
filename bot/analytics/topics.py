"""Topic discovery: clusters of the window's requests by meaning, named by their distinctive words.

- Vectors are centred on the corpus mean (raw e5 similarities all sit near 0.9) and clustered by k-means.
- Each cluster is named by c-TF-IDF over jieba tokens: a word's frequency in the cluster, weighted by how
  rare it is across clusters.
- Representatives are the members nearest the centroid.
- Tracking: the four weeks before the window are matched to each centroid (as close as its nearer members);
  a cluster is new, growing, fading or steady by its count against its share before times the window's volume.
- New topics (四首) are conservative: requests with nothing like them in the history (no earlier request
  within a similarity bar) that are like each other, three or more together.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any

import numpy as np

from bot.analytics.records import Finding, Request, Window, matrix, span
from bot.thresholds import threshold

HISTORY_WEEKS = 4
ASSIGN_SIMILARITY = 0.35

_STOP = set("""我们 你们 他们 这个 那个 一个 没有 什么 怎么 如何 请问 希望 能够 可以 已经 还是 就是 因为 所以 但是 而且 现在 问题 情况
相关 部门 领导 您好 你好 谢谢 感谢 反映 投诉 举报 咨询 要求 解决 处理 一直 非常 每天 时候 这样 那么 这些 那些 自己 大家 进行 目前 不能
不是 一下 一些 为什么 导致 影响 严重 居民 我家 附近 小区 社区 街道 北京 北京市 市民 业主 对于 关于 以及 或者 如果 然后 还有 出现 之前
之后 通过 需要 应该 是否 多次 至今 今年 去年 已经 目前 这种 这里 那里""".split())
_TOKEN_OK = re.compile(r"^[\u4e00-\u9fa5A-Za-z]{2,}$")


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def tokens(text: str) -> list[str]:
    """The content words of a text."""
    return [t for t in _jieba().lcut(text) if _TOKEN_OK.match(t) and t not in _STOP]


def centred(vectors: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Vectors minus the corpus mean, re-normalised."""
    x = vectors - mean
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def ctfidf_names(docs_per_cluster: list[list[list[str]]], top: int = 3) -> list[list[str]]:
    """The `top` distinctive words of each cluster (class-based TF-IDF)."""
    tf = [Counter(t for doc in docs for t in set(doc)) for docs in docs_per_cluster]
    total: Counter[str] = Counter()
    for c in tf:
        total.update(c)
    avg = sum(sum(c.values()) for c in tf) / max(len(tf), 1)
    names = []
    for c, docs in zip(tf, docs_per_cluster, strict=True):
        size = max(len(docs), 1)
        scored = sorted(c, key=lambda t: (-(c[t] / size) * math.log(1 + avg / total[t]), t))
        names.append([t for t in scored if c[t] >= min(2, size)][:top] or scored[:top])
    return names


def discover(records: Sequence[Request], window: Window, *, max_topics: int = 20, min_size: int = 3,
             ) -> list[dict[str, Any]]:
    """The window's topics, largest first: name, terms, size, ids, representatives, trend."""
    from sklearn.cluster import KMeans

    vectors, idx = matrix(records)
    if not len(vectors):
        return []
    mean = vectors.mean(axis=0)
    in_window = np.array([window.holds(records[i]) for i in idx], dtype=bool)
    wv, wi = vectors[in_window], idx[in_window]
    n = len(wi)
    if n < min_size:
        return []
    k = int(min(max_topics, max(2, round(math.sqrt(n / 2)))))
    x = centred(wv, mean)
    model = KMeans(n_clusters=k, n_init=3, random_state=0).fit(x)
    labels = model.labels_
    centroids = model.cluster_centers_ / np.maximum(np.linalg.norm(model.cluster_centers_, axis=1, keepdims=True), 1e-9)
    docs = [[tokens(records[wi[j]].full_text) for j in np.nonzero(labels == c)[0]] for c in range(k)]
    names = ctfidf_names(docs)
    # History: the weeks before the window. An earlier request counts for a topic when it is as close to
    # the centroid as the nearer three quarters of the topic's own members are.
    history_start = window.start_at - timedelta(weeks=HISTORY_WEEKS)
    before = np.array([records[i].time is not None and history_start <= records[i].time < window.start_at
                       for i in idx], dtype=bool)
    member_sims = (x * centroids[labels]).sum(axis=1)
    bars = np.array([min(float(np.quantile(member_sims[labels == c], 0.25)), ASSIGN_SIMILARITY)
                     if (labels == c).any() else 1.0 for c in range(k)])
    prior: Counter[int] = Counter()
    n_before = int(before.sum())
    if n_before:
        sims_before = centred(vectors[before], mean) @ centroids.T
        for c in range(k):
            prior[c] = int((sims_before[:, c] >= bars[c]).sum())
    out = []
    for c in range(k):
        members = np.nonzero(labels == c)[0]
        if len(members) < min_size:
            continue
        sims = x[members] @ centroids[c]
        order = members[np.argsort(-sims)]
        rows = [records[wi[j]] for j in members]
        # The topic's share before, applied to the window's volume (a quiet holiday month is not a trend).
        rate_before = prior[c] / n_before * n if n_before else 0.0
        count = len(rows)
        # The same bar on both sides: the window's requests matched the way the earlier ones were.
        matched = int(((x @ centroids[c]) >= bars[c]).sum())
        if prior[c] == 0:
            trend = "new"
        elif matched >= 1.5 * rate_before + 3:
            trend = "growing"
        elif matched <= 0.5 * rate_before:
            trend = "fading"
        else:
            trend = "steady"
        first, last = span(rows)
        out.append({
            "label": "·".join(names[c]), "terms": names[c], "count": count,
            "start": first.isoformat(), "end": last.isoformat(),
            "request_ids": [r.id for r in rows],
            "representatives": [{"id": records[wi[j]].id, "text": records[wi[j]].full_text[:80]} for j in order[:3]],
            "trend": trend, "before": round(rate_before, 2),
            "categories": dict(Counter(r.category_l1 or "未分类" for r in rows).most_common(3)),
        })
    return sorted(out, key=lambda t: -t["count"])


def new_topics(records: Sequence[Request], window: Window, *, novel_below: float | None = None,
               together_above: float | None = None) -> list[Finding]:
    """First appearances (四首): window requests unlike anything before, and like each other, three or more.

    The bars come from `analytics.new_topic` in thresholds.yaml unless given (the calibration passes its own).
    """
    novel_below = threshold("analytics.new_topic.novel_below") if novel_below is None else novel_below
    together_above = threshold("analytics.new_topic.together_above") if together_above is None else together_above
    min_new = int(threshold("analytics.new_topic.min_requests"))
    min_history_days = threshold("analytics.new_topic.min_history_days")
    vectors, idx = matrix(records)
    if not len(vectors):
        return []
    times = [records[i].time for i in idx]
    in_window = np.array([t is not None and window.start_at <= t < window.end_at for t in times], dtype=bool)
    before = np.array([t is not None and t < window.start_at for t in times], dtype=bool)
    dated = [t for t in times if t is not None]
    if not in_window.any() or not dated or (window.start_at - min(dated)).days < min_history_days:
        return []  # without enough history nothing can be called new
    x = centred(vectors, vectors.mean(axis=0))
    w = np.nonzero(in_window)[0]
    h = x[before]
    nearest_before = np.zeros(len(w))
    for s in range(0, len(w), 256):  # in slices: 256 × a long history stays around 100 MB
        nearest_before[s:s + 256] = (x[w[s:s + 256]] @ h.T).max(axis=1)
    novel = w[nearest_before < novel_below]
    if len(novel) < min_new:
        return []
    sims = x[novel] @ x[novel].T
    # Connected components of the "alike" graph among the novel requests.
    parent = list(range(len(novel)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in zip(*np.nonzero(np.triu(sims >= together_above, k=1)), strict=True):
        parent[find(int(a))] = find(int(b))
    groups: dict[int, list[int]] = {}
    for a in range(len(novel)):
        groups.setdefault(find(a), []).append(a)
    background = [tokens(records[i].full_text) for i in idx[w]]
    out = []
    for members in groups.values():
        rows = [records[idx[novel[m]]] for m in members]
        if len({r.text for r in rows}) < min_new:
            continue
        if len(rows) < 2 * min_new and len({r.day for r in rows}) < 2:
            continue  # a few alike messages on one day are more often one person writing again than a new topic
        terms = ctfidf_names([[tokens(r.full_text) for r in rows], background], top=3)[0]
        first, last = span(rows)
        out.append(Finding(
            label="·".join(terms), start=first, end=last, request_ids=[r.id for r in rows],
            details={"terms": terms, "representatives": [{"id": r.id, "text": r.full_text[:80]} for r in rows[:3]],
                     "first_seen": first.isoformat()},
        ))
    return sorted(out, key=lambda f: -f.count)
