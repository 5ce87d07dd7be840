"""Calibrate the fusion of dense and BM25 retrieval by k-fold cross-validation on the project's own data.

    .venv/bin/python scripts/tune_fusion.py [--folds 5]

Queries: every service question and story of tests/data/eval_answers (short), plus two long variants of
each story (after two sentences of unrelated context, and first with context after, as citizens write long
messages), over the sample
base plus the evaluation fixture base. Each query's dense rankings (full text, and opening line for a long
one) and BM25 ranking are computed once; each candidate fusion is then scored from them. Per fold the
constants that give the best recall@1 on the other folds are applied to the held-out fold; the figures
below are those held-out hits. The constants written to bot/resources/thresholds.yaml (`retrieval.*`) are
the ones chosen on all folds together. No shared/eval file is read.
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import random
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_answers import OWN, _jsonl, own_base_answerer  # noqa: E402

# Context sentences for the long variants: background and courtesy that name no service.
CONTEXT = (
    "您好，我是一名普通市民，今天打电话是想咨询一件事情。",
    "我今年五十多岁了，平时不太会用手机，很多事情都不太明白。",
    "这件事已经困扰我们家好几个月了，家里人都很着急。",
    "之前也问过身边的朋友和邻居，大家说法都不一样。",
    "我在网上也查过一些资料，但是看得不是很明白。",
    "希望你们能给一个准确的答复，谢谢工作人员了。",
    "麻烦你们帮忙看一下，最好能告诉我具体该怎么做。",
    "如果需要我提供什么信息，我随时可以配合。",
)


@dataclass
class Query:
    text: str
    gold: str
    long: bool
    dense: list[list[tuple[str, str, float]]]  # per dense query: (chunk id, doc id, cosine)
    bm25: list[tuple[str, str, float]]
    cosines: dict[str, float]  # full-query cosine of every candidate chunk (BM25-only ones: best over queries)


def long_variants(story: str, rng: random.Random) -> list[str]:
    """The story after two context sentences, and the story first (as in a message with a title)."""
    story = story.rstrip("。") + "。"
    return ["".join(rng.sample(CONTEXT, 2)) + story + rng.choice(CONTEXT),
            story + "".join(rng.sample(CONTEXT, 3))]


def build_queries(data_dir: Path) -> list[Query]:
    from knowledge_base.base import CANDIDATES, opening_line

    kb = own_base_answerer(data_dir).retriever
    rng = random.Random(8)
    items = [(r["question"], r["doc_id"]) for r in _jsonl(OWN / "services.jsonl") + _jsonl(OWN / "stories.jsonl")]
    items += [(text, r["doc_id"]) for r in _jsonl(OWN / "stories.jsonl") for text in long_variants(r["question"], rng)]
    queries = []
    for text, gold in items:
        texts = [text] + ([opening_line(text)] if opening_line(text) != text else [])
        vectors = kb.embedder.embed_queries(texts)
        dense = [[(c.chunk_id, c.doc_id, float(s)) for c, s in kb.vectors.search(v, k=CANDIDATES)] for v in vectors]
        lexical = [(c.chunk_id, c.doc_id, float(s)) for c, s in kb._lexical().search(text, k=CANDIDATES)]
        cosines = {c: s for c, _d, s in dense[0]}
        missing = [c for c, _d, _s in lexical if c not in cosines]
        cosines.update({c: float(max(e @ v for v in vectors)) for c, e in kb.vectors.embeddings(missing).items()})
        queries.append(Query(text, gold, len(texts) > 1, dense, lexical, cosines))
    return queries


def _docs(scores: dict[str, float], doc_of: dict[str, str]) -> list[str]:
    out: list[str] = []
    for chunk in sorted(scores, key=lambda c: -scores[c]):
        if doc_of[chunk] not in out:
            out.append(doc_of[chunk])
    return out


def dense_only(q: Query, _p: dict) -> list[str]:
    return _docs({c: s for c, _d, s in q.dense[0]}, {c: d for c, d, _s in q.dense[0]})


def rrf(q: Query, p: dict) -> list[str]:
    """Weighted reciprocal-rank fusion (the previous method), constants k and BM25 weight."""
    scores: dict[str, float] = {}
    doc_of: dict[str, str] = {}
    weight = p["w_long"] if q.long else p["w_short"]
    for w, ranking in [(1.0, r) for r in q.dense] + [(weight, q.bm25)]:
        for rank, (c, d, _s) in enumerate(ranking):
            scores[c] = scores.get(c, 0.0) + w / (p["k"] + rank + 1)
            doc_of[c] = d
    return _docs(scores, doc_of)


def scored(q: Query, p: dict) -> list[str]:
    """The shipped fusion (knowledge_base/index/fusion.py): cosine plus a share of the BM25 score."""
    from knowledge_base.index.fusion import combine

    doc_of = {c: d for ranking in q.dense for c, d, _s in ranking} | {c: d for c, d, _s in q.bm25}
    cosine = dict(q.cosines)  # the best cosine over the queries, as KnowledgeBase.search keeps it
    for ranking in q.dense[1:]:
        for c, _d, s in ranking:
            cosine[c] = max(cosine.get(c, -1.0), s)
    weight = p["w_long"] if q.long else p["w_short"]
    return _docs(combine(cosine, {c: s for c, _d, s in q.bm25}, bm25_weight=weight), doc_of)


GRIDS = {
    "rrf": [{"k": k, "w_short": ws, "w_long": wl}
            for k, ws, wl in itertools.product((5, 10, 20, 60), (0.25, 0.5, 1.0), (0.0, 0.25, 0.5, 1.0))],
    "scored": [{"w_short": ws, "w_long": wl}
               for ws, wl in itertools.product((0.0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04),
                                               (0.0, 0.0025, 0.005, 0.01, 0.02))],
    # The same with BM25 off for long messages (dense alone there, with the opening line's cosine).
    "scored, dense alone on long": [{"w_short": ws, "w_long": 0.0} for ws in (0.0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04)],
}
METHODS = {"rrf": rrf, "scored": scored, "scored, dense alone on long": scored}


def hits(queries: list[Query], fn, p: dict) -> tuple[int, int]:  # noqa: ANN001
    at1 = at5 = 0
    for q in queries:
        ranked = fn(q, p)
        at1 += ranked[:1] == [q.gold]
        at5 += q.gold in ranked[:5]
    return at1, at5


def best(queries: list[Query], method: str) -> dict:
    """Constants with the most hits@1, then @5, then the smallest BM25 weights (ties favour dense)."""
    def key(p: dict) -> tuple:
        at1, at5 = hits(queries, METHODS[method], p)
        return (at1, at5, -p["w_short"], -p["w_long"])
    return max(GRIDS[method], key=key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/hotline-eval-own"))
    parser.add_argument("--cache", type=Path, help="pickle of the rankings, written once and then reused")
    args = parser.parse_args()
    if args.cache is not None and args.cache.exists():
        queries = pickle.loads(args.cache.read_bytes())
    else:
        queries = build_queries(args.data_dir)
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps(queries))
    order = list(range(len(queries)))
    random.Random(0).shuffle(order)
    folds = [[queries[i] for i in order[f :: args.folds]] for f in range(args.folds)]
    n = len(queries)
    n_long = sum(q.long for q in queries)
    print(f"## Fusion calibration, {args.folds}-fold CV over {n} own queries ({n_long} long)\n")
    print("| method | recall@1 | recall@5 | long only @1 / @5 | constants chosen on all folds |")
    print("| --- | --- | --- | --- | --- |")
    longs = [q for q in queries if q.long]
    d1, d5 = hits(queries, dense_only, {})
    l1, l5 = hits(longs, dense_only, {})
    print(f"| dense only | {d1 / n:.3f} | {d5 / n:.3f} | {l1 / n_long:.3f} / {l5 / n_long:.3f} | |")
    previous = {"k": 60, "w_short": 1.0, "w_long": 0.5}
    r1, r5 = hits(queries, rrf, previous)
    l1, l5 = hits(longs, rrf, previous)
    print(f"| previous RRF (k 60, BM25 1 / 0.5) | {r1 / n:.3f} | {r5 / n:.3f} | {l1 / n_long:.3f} / {l5 / n_long:.3f} |"
          " not tuned |")
    for method in METHODS:
        at1 = at5 = la1 = la5 = 0
        for f, held in enumerate(folds):
            train = [q for g, fold in enumerate(folds) if g != f for q in fold]
            chosen = best(train, method)
            h1, h5 = hits(held, METHODS[method], chosen)
            at1, at5 = at1 + h1, at5 + h5
            g1, g5 = hits([q for q in held if q.long], METHODS[method], chosen)
            la1, la5 = la1 + g1, la5 + g5
        final = best(queries, method)
        print(f"| {method} (CV) | {at1 / n:.3f} | {at5 / n:.3f} | {la1 / n_long:.3f} / {la5 / n_long:.3f} | {final} |")


if __name__ == "__main__":
    main()
