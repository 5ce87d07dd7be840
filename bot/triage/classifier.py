"""Category triage: an ensemble of an embedding classifier, character n-gram TF-IDF and keyword evidence.

The three are calibrated together by a stacking model fitted on out-of-fold predictions over the
project's own labelled examples, so no component's scale dominates by accident.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold

from bot.taxonomy import Taxonomy
from bot.triage.embedding import Embedder, embed_batched, embed_cached
from bot.triage.examples import Example
from bot.triage.text import focus_text

log = logging.getLogger(__name__)

TITLE_WEIGHT = 2.0  # a keyword in the subject line says more than one deep in the story
# The embedder costs ~1 ms per token on a small CPU; the opening carries the topic, so it embeds less text
# than the n-gram and keyword components read.
EMBED_CHARS = 72
FOCUS_CHARS = 200


@dataclass(frozen=True)
class CategoryPrediction:
    """The chosen first- and second-level category, with the ensemble's confidence."""

    level1: str
    level2: str
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()


class KeywordEvidence:
    """Counts the taxonomy's keywords per category in a text."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.level1 = [c.name for c in taxonomy.categories]
        self._by_l1: dict[str, list[tuple[str, str]]] = {
            c.name: [(k, s.name) for s in c.children for k in s.keywords] for c in taxonomy.categories
        }

    def hits(self, text: str, *, title: str | None = None) -> dict[str, list[tuple[str, str, float]]]:
        """Per first-level name: (keyword, second-level name, weight) for each keyword found."""
        found: dict[str, list[tuple[str, str, float]]] = {}
        for l1, pairs in self._by_l1.items():
            for kw, l2 in pairs:
                weight = 0.0
                if title and kw in title:
                    weight += TITLE_WEIGHT
                if kw in text:
                    weight += 1.0
                if weight:
                    found.setdefault(l1, []).append((kw, l2, weight))
        return found

    def features(self, text: str, *, title: str | None = None) -> np.ndarray:
        """A dense vector: log(1 + weighted hits) per first-level category."""
        hits = self.hits(text, title=title)
        return np.array([np.log1p(sum(w for _, _, w in hits.get(l1, []))) for l1 in self.level1])


def _lr(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000)


class _Knn:
    """Similarity-weighted nearest neighbours over normalised embeddings (no fitting, so folds are free)."""

    def __init__(self, vectors: np.ndarray, y: np.ndarray, n_classes: int, *, k: int = 7, temperature: float = 20.0):
        self.vectors, self.y, self.n_classes, self.k, self.temperature = vectors, y, n_classes, k, temperature

    def predict_proba(self, queries: np.ndarray) -> np.ndarray:
        sims = queries @ self.vectors.T
        top = np.argsort(-sims, axis=1)[:, : self.k]
        out = np.zeros((len(queries), self.n_classes))
        for i, row in enumerate(top):
            np.add.at(out[i], self.y[row], np.exp(self.temperature * (sims[i, row] - sims[i, row[0]])))
        return out / out.sum(axis=1, keepdims=True)


class _Sgd:
    """Logistic loss by SGD over sparse n-grams: lbfgs on ~20k features x 15 classes takes far too long."""

    def __init__(self, x, y: np.ndarray, n_classes: int) -> None:  # noqa: ANN001
        self.model = SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=50, tol=None, random_state=0).fit(x, y)
        self.n_classes = n_classes

    def predict_proba(self, x) -> np.ndarray:  # noqa: ANN001
        out = np.zeros((x.shape[0], self.n_classes))
        out[:, self.model.classes_] = self.model.predict_proba(x)
        return out


class CategoryClassifier:
    """Trained at start-up on the shipped examples; predicts category for any message."""

    def __init__(self, *, taxonomy: Taxonomy, examples: list[Example], embedder: Embedder,
                 cache_dir: Path | None = None) -> None:
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.keywords = KeywordEvidence(taxonomy)
        self.examples = examples
        self.labels = [c.name for c in taxonomy.categories]
        texts = [focus_text(e.text, limit=FOCUS_CHARS) for e in examples]
        y = np.array([self.labels.index(e.level1) for e in examples])
        short = [focus_text(e.text, limit=EMBED_CHARS) for e in examples]
        self._emb = embed_cached(embedder, short, cache_dir=cache_dir)
        self._tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1)
        x_tfidf = self._tfidf.fit_transform(texts)
        x_kw = np.vstack([self.keywords.features(t) for t in texts])
        n_classes = len(self.labels)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            oof = self._out_of_fold(y, x_tfidf)
            self._stack = _lr(1.0).fit(np.hstack([oof, x_kw]), y)
            self._knn = _Knn(self._emb, y, n_classes)
            self._sgd = _Sgd(x_tfidf, y, n_classes)

    def _out_of_fold(self, y: np.ndarray, x_tfidf) -> np.ndarray:  # noqa: ANN001
        """Component probabilities for each example from models that never saw it (for honest stacking)."""
        n_classes = len(self.labels)
        oof = np.zeros((len(y), 2 * n_classes))
        folds = min(5, int(np.bincount(y).min()))
        for train, test in StratifiedKFold(n_splits=max(folds, 2), shuffle=True, random_state=7).split(self._emb, y):
            oof[test, :n_classes] = _Knn(self._emb[train], y[train], n_classes).predict_proba(self._emb[test])
            oof[test, n_classes:] = _Sgd(x_tfidf[train], y[train], n_classes).predict_proba(x_tfidf[test])
        return oof

    def _features(self, focus: list[str], short: list[str], titles: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
        emb = embed_batched(self.embedder, short)
        p_emb = self._knn.predict_proba(emb)
        p_tfi = self._sgd.predict_proba(self._tfidf.transform(focus))
        kw = np.vstack([self.keywords.features(f, title=t) for f, t in zip(focus, titles, strict=True)])
        return np.hstack([p_emb, p_tfi, kw]), emb

    def predict(self, text: str, *, title: str | None = None) -> CategoryPrediction:
        """The category of one message."""
        return self.predict_many([text], titles=[title])[0]

    def predict_many(self, texts: list[str], *, titles: list[str | None] | None = None) -> list[CategoryPrediction]:
        """Categories for many messages (batched embedding)."""
        titles = titles or [None] * len(texts)
        focus = [focus_text(t, title=ti, limit=FOCUS_CHARS) for t, ti in zip(texts, titles, strict=True)]
        short = [focus_text(t, title=ti, limit=EMBED_CHARS) for t, ti in zip(texts, titles, strict=True)]
        feats, emb = self._features(focus, short, titles)
        probs = np.zeros((len(texts), len(self.labels)))
        probs[:, self._stack.classes_] = self._stack.predict_proba(feats)
        out = []
        for i, f in enumerate(focus):
            best = int(probs[i].argmax())
            level1 = self.labels[best]
            level2, kws = self._level2(level1, f, titles[i], emb[i])
            scores = {self.labels[j]: round(float(probs[i, j]), 4) for j in np.argsort(-probs[i])[:3]}
            out.append(CategoryPrediction(level1, level2, float(probs[i, best]), scores, kws))
        return out

    def _level2(self, level1: str, focus: str, title: str | None, vector: np.ndarray) -> tuple[str, tuple[str, ...]]:
        """Second level: the best keyword evidence within the first level, else the nearest example's."""
        hits = self.keywords.hits(focus, title=title).get(level1, [])
        if hits:
            totals: dict[str, float] = {}
            for _, l2, w in hits:
                totals[l2] = totals.get(l2, 0.0) + w
            best = max(totals, key=lambda k: totals[k])
            return best, tuple(k for k, l2, _ in hits if l2 == best)
        idx = [i for i, e in enumerate(self.examples) if e.level1 == level1]
        if idx:
            sims = self._emb[idx] @ vector
            j = int(sims.argmax())
            if sims[j] >= 0.85:  # only a close neighbour is evidence enough for a second level
                return self.examples[idx[j]].level2, ()
        names = self.taxonomy.level2_names(level1)
        return ("其他" if "其他" in names else names[-1]), ()
