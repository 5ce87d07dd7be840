"""Cross-validate the category ensemble on the project's own examples (the only data it tunes on).

    python scripts/tune_classify.py [--grid] [--out docs/eval/classify_cv.md]

Outer 5-fold stratified CV over `bot/resources/intake_examples.jsonl`: each fold fits the whole ensemble
(its own inner out-of-fold stacking) on four fifths and scores the fifth, so no figure comes from an
example the fit saw. Reports macro-F1 and top-1/top-3 of each view alone and of the stack, and, for the
embedding skip (the cheap n-gram + keyword stack answers alone when it is sure), the accuracy of the
messages it would answer and the share it would skip at each threshold.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore")


def macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    """Macro-F1 over the classes present in `gold`."""
    scores = []
    for c in np.unique(gold):
        tp = np.sum((gold == c) & (pred == c))
        prec = tp / max(np.sum(pred == c), 1)
        rec = tp / np.sum(gold == c)
        scores.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return float(np.mean(scores))


def top3(gold: np.ndarray, probs: np.ndarray) -> float:
    """Share of rows whose gold class is among the three most probable."""
    top = np.argsort(-probs, axis=1)[:, :3]
    return float(np.mean([g in t for g, t in zip(gold, top, strict=True)]))


def cross_validate(params, taxonomy, examples, vectors, proto, folds: int = 5) -> dict[str, np.ndarray]:  # noqa: ANN001
    """Out-of-fold probabilities of every view and of the two stacks."""
    from sklearn.model_selection import StratifiedKFold

    from bot.triage.classifier import CategoryClassifier, read_view

    labels = [c.name for c in taxonomy.categories]
    y = np.array([labels.index(e.level1) for e in examples])
    n = len(labels)
    views = {k: np.zeros((len(y), n)) for k in ("knn", "ngram", "prototypes", "stack", "cheap")}
    for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=11).split(vectors, y):
        clf = CategoryClassifier(taxonomy=taxonomy, examples=[examples[i] for i in train], embedder=None,  # type: ignore[arg-type]
                                 example_vectors=vectors[train], prototype_vectors=proto, params=params)
        focus = [read_view(examples[i].text) for i in test]
        titles: list[str | None] = [None] * len(test)
        emb = vectors[test]
        views["knn"][test] = clf._knn.predict_proba(emb)
        views["ngram"][test] = clf._sgd.predict_proba(clf._tfidf.transform(focus))
        if proto is not None:
            views["prototypes"][test] = clf.prototypes.similarities(emb)
        views["stack"][test] = clf.probabilities(focus, emb, titles)
        views["cheap"][test] = clf.cheap_probabilities(focus, titles)
    views["y"] = y
    return views


def main() -> None:
    """Print (and optionally write) the CV table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", action="store_true", help="also try a small grid of ensemble settings")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from bot.taxonomy import load_taxonomy
    from bot.triage.classifier import Params, Prototypes, embed_view
    from bot.triage.embedding import default_embedder, embed_cached
    from bot.triage.examples import load_examples

    taxonomy = load_taxonomy()
    examples = load_examples(taxonomy)
    cache = Path(__import__("os").environ.get("HOTLINE_DATA_DIR", "data")) / "cache"
    embedder = default_embedder()
    vectors = embed_cached(embedder, [embed_view(e.text) for e in examples], cache_dir=cache)
    labels = [c.name for c in taxonomy.categories]
    proto = embed_cached(embedder, Prototypes(taxonomy, labels).texts, cache_dir=cache)

    lines = ["# Category triage: cross-validation on the project's own examples", "",
             f"- examples: {len(examples)}, outer folds: 5 (stratified), first-level classes: {len(labels)}", "",
             "| setting | view | macro-F1 | top-1 | top-3 |", "| --- | --- | ---: | ---: | ---: |"]
    base = Params()
    settings = [("default", base), ("no prototypes", replace(base, use_prototypes=False)),
                ("proto_T=20", replace(base, proto_temperature=20.0))]
    settings += [("unbalanced stack", replace(base, stack_balanced=False)),
                 ("log-probabilities into stack", replace(base, stack_log=True))]
    if args.grid:
        settings += [(f"knn_k={k}", replace(base, knn_k=k)) for k in (5, 11)]
        settings += [(f"proto_T={t:g}", replace(base, proto_temperature=t)) for t in (10.0, 40.0)]
        settings += [(f"stack_C={c:g}", replace(base, stack_c=c)) for c in (0.3, 3.0)]
        settings += [(f"sgd_alpha={a:g}", replace(base, sgd_alpha=a)) for a in (3e-5, 3e-4)]
    default_views = None
    for name, params in settings:
        views = cross_validate(params, taxonomy, examples, vectors, proto if params.use_prototypes else None)
        y = views["y"]
        shown = ("knn", "ngram", "prototypes", "cheap", "stack") if name == "default" else ("stack",)
        for view in shown:
            probs = views[view]
            pred = probs.argmax(axis=1)
            lines.append(f"| {name} | {view} | {macro_f1(y, pred):.3f} | {np.mean(pred == y):.3f} | "
                         f"{top3(y, probs):.3f} |")
        if name == "default":
            default_views = views
        sys.stdout.write("\n".join(lines[-len(shown):]) + "\n")
        sys.stdout.flush()
    assert default_views is not None
    y, cheap, stack = default_views["y"], default_views["cheap"], default_views["stack"]
    lines += ["", "Embedding skip: the cheap stack answers alone when its probability is at least the threshold.", "",
              "| threshold | skipped | cheap accuracy on skipped | stack accuracy on skipped | overall top-1 | overall macro-F1 |",
              "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for t in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01):
        skip = cheap.max(axis=1) >= t
        mixed = np.where(skip[:, None], cheap, stack).argmax(axis=1)
        acc_c = np.mean(cheap[skip].argmax(axis=1) == y[skip]) if skip.any() else float("nan")
        acc_s = np.mean(stack[skip].argmax(axis=1) == y[skip]) if skip.any() else float("nan")
        lines.append(f"| {t:.2f} | {skip.mean():.2f} | {acc_c:.3f} | {acc_s:.3f} | {np.mean(mixed == y):.3f} | "
                     f"{macro_f1(y, mixed):.3f} |")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
