"""Conversational acts beside the request itself: asking for a person, being fed up with the bot, asking how far
one's own earlier request has got, dropping the draft, and a verdict on a resolved ticket.

Learnt from examples (bot/resources/dialog_acts.yaml) by two views of similarity, character n-grams and
sentence embeddings, each measured against the act's examples and against look-alikes that are not the act;
each act is told apart from its own look-alikes, the other acts' examples and the opening sentences of
ordinary requests, and its threshold is the best balanced cut of the leave-one-out margins. A message is read clause by clause, so a
request for a person inside a longer message is found. The fit is kept on disk (bot.dialog.actcache).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.dialog import actcache
from bot.triage.embedding import embed_cached
from bot.triage.examples import SHIPPED_EXAMPLES

ACTS_FILE = Path(__file__).resolve().parent.parent / "resources" / "dialog_acts.yaml"
# Ordinary requests (the triage examples), none of them an act: their opening sentences are every act's
# background look-alikes.
BACKGROUND_CHARS = 40
# Acts that may be said in one breath ("没用，我要人工"): their examples are not each other's look-alikes.
COMPATIBLE = (frozenset({"handoff", "upset"}), frozenset({"upset", "unsatisfied"}))
_CLAUSES = re.compile(r"[，,。．.！!？?；;：:、\s~～]+")
MAX_CLAUSES = 8
# A clause sharing few character n-grams with every example of the act is not worth an embedding.
NGRAM_GATE = 0.2
EMBEDDING_WEIGHT = 3.0
EMBEDDED_CLAUSES = 2


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors."""

    def query(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class ActScores:
    """Each act's margin for one message (its most telling clause); above 0 means the act."""

    handoff: float
    upset: float
    status: float = -1.0
    cancel: float = -1.0
    satisfied: float = -1.0
    unsatisfied: float = -1.0
    detail: float = -1.0
    switch: float = -1.0


def clauses(text: str) -> list[str]:
    """The message's clauses (and the message itself when it has several), longest messages cut to a few."""
    parts = [p for p in _CLAUSES.split(text.strip()) if p]
    found = parts[:MAX_CLAUSES]
    if len(parts) > 1 and len(text) <= 60:
        found.append(text.strip())
    return found or [text.strip()]


class _ActModel:
    """One act: its examples in both views, and the margin above which a clause is the act.

    A clause's margin is how much closer it is to the act's examples than to the look-alikes, in n-grams plus
    (weighted, as its differences are small but meaningful) in embeddings. The threshold is the one that best
    separates the examples from the look-alikes when each is left out in turn.
    """

    def __init__(self, yes: list[str], near: list[str], *, vectors: dict[str, np.ndarray] | None) -> None:
        near = [t for t in dict.fromkeys(near) if t not in set(yes)]
        texts = yes + near
        self.is_yes = np.array([True] * len(yes) + [False] * len(near))
        self.tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True).fit(texts)
        self.ngrams = self.tfidf.transform(texts)
        self.vectors = np.stack([vectors[t] for t in texts]) if vectors is not None else None
        ng = np.asarray((self.ngrams @ self.ngrams.T).todense(), dtype=np.float64)
        emb = (self.vectors @ self.vectors.T).astype(np.float64) if self.vectors is not None else None
        np.fill_diagonal(ng, -1.0)  # an example must not find itself
        if emb is not None:
            np.fill_diagonal(emb, -1.0)
        margins = self._margins(ng, emb)
        self.threshold = _best_threshold(margins, self.is_yes)

    def _margins(self, ng: np.ndarray, emb: np.ndarray | None) -> np.ndarray:
        yes, near = self.is_yes, ~self.is_yes
        margin = ng[:, yes].max(1) - ng[:, near].max(1)
        if emb is not None:
            margin = margin + EMBEDDING_WEIGHT * (emb[:, yes].max(1) - emb[:, near].max(1))
        return margin

    def candidates(self, parts: list[str]) -> tuple[np.ndarray, list[int]]:
        """The clauses' n-gram similarities, and the few clauses like the act enough to be worth embedding."""
        ng = np.asarray((self.tfidf.transform(parts) @ self.ngrams.T).todense(), dtype=np.float64)
        best = ng[:, self.is_yes].max(1)
        return ng, [int(i) for i in np.argsort(-best)[:EMBEDDED_CLAUSES] if best[i] >= NGRAM_GATE]

    def margin(self, ng: np.ndarray, keep: list[int], vectors: dict[int, np.ndarray]) -> float:
        """The highest margin over the kept clauses, minus the threshold (above 0: the act)."""
        if not keep:
            return -1.0
        emb = None
        if self.vectors is not None and vectors:
            emb = (np.stack([vectors[i] for i in keep]) @ self.vectors.T).astype(np.float64)
        return float(self._margins(ng[keep], emb).max() - self.threshold)


def _best_threshold(margins: np.ndarray, labels: np.ndarray) -> float:
    """The cut between sorted margins with the best balanced accuracy (the act's examples and the far more
    numerous look-alikes count alike; midpoint, ties to the higher)."""
    order = np.sort(margins)
    cuts = (order[:-1] + order[1:]) / 2 if len(order) > 1 else order
    yes, no = max(int(labels.sum()), 1), max(int((~labels).sum()), 1)
    best, best_cut = -1.0, 0.0
    for cut in cuts:
        above = margins > cut
        score = (above & labels).sum() / yes + (~above & ~labels).sum() / no
        if score >= best:
            best, best_cut = float(score), float(cut)
    return best_cut


def _background(path: Path = SHIPPED_EXAMPLES) -> list[str]:
    """The opening sentence of each ordinary request example, cut to a clause's length."""
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            first = re.split(r"[。！!？?]", json.loads(line)["text"].strip())[0]
            texts.append(first[:BACKGROUND_CHARS])
    return [t for t in dict.fromkeys(texts) if t]


class ActDetector:
    """Finds a request for a person, frustration with the bot, a status question, dropping the draft, or a verdict
    on a resolved ticket (satisfied or not), anywhere in a message."""

    def __init__(self, *, embedder: Embedder | None, path: Path = ACTS_FILE, background: Path = SHIPPED_EXAMPLES,
                 cache_dir: Path | None = None) -> None:
        self.embedder = embedder
        self.loaded = False  # whether the fit came from the disk cache
        if cache_dir is None:
            self._acts = _fit(path, background, embedder)
            return
        key = actcache.fit_key(path, background, embedder=embedder, code=[Path(__file__)])
        cached = actcache.load(cache_dir, key)
        if isinstance(cached, dict) and cached and all(isinstance(m, _ActModel) for m in cached.values()):
            self._acts, self.loaded = cached, True
            return
        self._acts = _fit(path, background, embedder)
        actcache.store(cache_dir, key, self._acts)

    def scores(self, text: str) -> ActScores:
        """Each act's margin for `text`; each clause worth it is embedded once, for all acts."""
        parts = clauses(text)
        found = {name: model.candidates(parts) for name, model in self._acts.items()}
        wanted = sorted({i for _ng, keep in found.values() for i in keep})
        vectors: dict[int, np.ndarray] = {}
        if self.embedder is not None and wanted:
            embedded = np.asarray(self.embedder.query([parts[i] for i in wanted]), dtype=np.float32)
            vectors = dict(zip(wanted, embedded, strict=True))
        margins = {name: self._acts[name].margin(ng, keep, vectors) for name, (ng, keep) in found.items()}
        return ActScores(**margins)


def _fit(path: Path, background_path: Path, embedder: Embedder | None) -> dict[str, _ActModel]:
    """Each act's model, from the acts file and the ordinary requests' openings."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples = {name: [str(t) for t in spec["examples"]] for name, spec in data.items()}
    background = _background(background_path)
    # Each act is told apart from its own look-alikes, from the other acts' examples and from ordinary requests.
    near = {name: [str(t) for t in spec["near"]]
                  + [t for other, texts in examples.items()
                     if other != name and frozenset({name, other}) not in COMPATIBLE for t in texts]
                  + background
            for name, spec in data.items()}
    vectors = None
    if embedder is not None:
        texts = list(dict.fromkeys([t for ts in examples.values() for t in ts] + [t for ts in near.values() for t in ts]))
        vectors = dict(zip(texts, embed_cached(embedder, texts, cache_dir=None), strict=True))
    return {name: _ActModel(examples[name], near[name], vectors=vectors) for name in data}
