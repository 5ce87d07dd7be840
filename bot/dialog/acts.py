"""Conversational acts beside the request itself: asking for a person, being fed up with the bot, asking how far
one's own earlier request has got.

Learnt from examples (bot/resources/dialog_acts.yaml) by two views of similarity, character n-grams and
sentence embeddings, each measured against the act's examples and against look-alikes that are not the act;
the threshold is fitted on leave-one-out margins of the examples. A message is read clause by clause, so a
request for a person inside a longer message is found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer

ACTS_FILE = Path(__file__).resolve().parent.parent / "resources" / "dialog_acts.yaml"
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

    def __init__(self, yes: list[str], near: list[str], *, embedder: Embedder | None) -> None:
        self.embedder = embedder
        texts = yes + near
        self.is_yes = np.array([True] * len(yes) + [False] * len(near))
        self.tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True).fit(texts)
        self.ngrams = self.tfidf.transform(texts)
        self.vectors = np.asarray(embedder.query(texts), dtype=np.float32) if embedder is not None else None
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

    def margin(self, parts: list[str]) -> float:
        """The highest margin over the clauses, minus the threshold (above 0: the act)."""
        ng = np.asarray((self.tfidf.transform(parts) @ self.ngrams.T).todense(), dtype=np.float64)
        best = ng[:, self.is_yes].max(1)
        # Only the few clauses most like the act are embedded: embedding is the expensive step.
        keep = [int(i) for i in np.argsort(-best)[:EMBEDDED_CLAUSES] if best[i] >= NGRAM_GATE]
        if not keep:
            return -1.0
        ng = ng[keep]
        emb = None
        if self.embedder is not None and self.vectors is not None:
            emb = (np.asarray(self.embedder.query([parts[i] for i in keep]), dtype=np.float32)
                   @ self.vectors.T).astype(np.float64)
        return float(self._margins(ng, emb).max() - self.threshold)


def _best_threshold(margins: np.ndarray, labels: np.ndarray) -> float:
    """The cut between sorted margins that classifies the most examples right (midpoint, ties to the higher)."""
    order = np.sort(margins)
    cuts = (order[:-1] + order[1:]) / 2 if len(order) > 1 else order
    best, best_cut = -1, 0.0
    for cut in cuts:
        right = int(((margins > cut) == labels).sum())
        if right >= best:
            best, best_cut = right, float(cut)
    return best_cut


class ActDetector:
    """Finds a request for a person, plain frustration with the bot, or a status question, anywhere in a message."""

    def __init__(self, *, embedder: Embedder | None, path: Path = ACTS_FILE) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self._acts = {name: _ActModel([str(t) for t in spec["examples"]], [str(t) for t in spec["near"]], embedder=embedder)
                      for name, spec in data.items()}

    def scores(self, text: str) -> ActScores:
        """Each act's margin for `text`."""
        parts = clauses(text)
        return ActScores(handoff=self._acts["handoff"].margin(parts), upset=self._acts["upset"].margin(parts),
                         status=self._acts["status"].margin(parts))

    def wants_person(self, text: str) -> bool:
        """The citizen asks to talk to a person (in any wording, also inside a longer message)."""
        return self.scores(text).handoff > 0

    def is_upset(self, text: str) -> bool:
        """The citizen is clearly fed up with the conversation."""
        return self.scores(text).upset > 0

    def asks_status(self, text: str) -> bool:
        """The citizen asks how far their own earlier request has got (in any wording)."""
        return self.scores(text).status > 0
