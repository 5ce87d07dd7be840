"""Category triage: a stacked ensemble of four views of a message, each with calibrated probabilities.

1. char n-gram TF-IDF logistic regression (reads the title and the opening of the body);
2. embedding nearest neighbours over the project's labelled examples;
3. embedding similarity to the taxonomy's own text: each second level's name and description and the
   real government taxonomy's second/third-level entries it covers (`topics`), so a category is known
   by what it is, not only by the examples someone happened to write;
4. keyword evidence from the taxonomy.

A multinomial logistic regression stacks them, fitted on out-of-fold predictions over the examples, so
each view is weighted by how reliable it proved on examples it never saw (its calibrated confidence),
not by its raw scale. The whole fit is deterministic and can be cached (see `bot.triage.fitcache`).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold

from bot.taxonomy import Taxonomy
from bot.thresholds import threshold
from bot.triage.embedding import Embedder, embed_batched
from bot.triage.examples import Example
from bot.triage.text import focus_text

log = logging.getLogger(__name__)

TITLE_WEIGHT = 2.0  # a keyword in the subject line says more than one deep in the story
# The embedder's cost grows with the tokens it reads; the opening (title + first sentence) carries the
# topic, so it embeds less text than the n-gram and keyword components read. Other modules (the history
# import) embed the same opening to reuse the classifier's vector.
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


@dataclass(frozen=True)
class Params:
    """The ensemble's settings; chosen by cross-validation on the project's examples (scripts/tune_classify.py)."""

    knn_k: int = 7
    knn_temperature: float = 20.0
    proto_temperature: float = 60.0
    sgd_alpha: float = 1e-4
    stack_c: float = 1.0
    folds: int = 5
    use_prototypes: bool = True
    stack_balanced: bool = True  # weigh classes equally in the stack: macro-F1 counts the small ones too
    stack_log: bool = False  # feed the stack log-probabilities (CV: probabilities do far better)


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


def _softmax(x: np.ndarray, temperature: float) -> np.ndarray:
    z = temperature * (x - x.max(axis=1, keepdims=True))
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class _Knn:
    """Similarity-weighted nearest neighbours over normalised embeddings (no fitting, so folds are free)."""

    def __init__(self, vectors: np.ndarray, y: np.ndarray, n_classes: int, *, k: int = 7, temperature: float = 20.0):
        self.vectors, self.y, self.n_classes, self.k, self.temperature = vectors, y, n_classes, k, temperature

    def predict_proba(self, queries: np.ndarray) -> np.ndarray:
        sims = queries @ self.vectors.T
        k = min(self.k, sims.shape[1])
        top = np.argsort(-sims, axis=1)[:, :k]
        out = np.zeros((len(queries), self.n_classes))
        for i, row in enumerate(top):
            np.add.at(out[i], self.y[row], np.exp(self.temperature * (sims[i, row] - sims[i, row[0]])))
        return out / out.sum(axis=1, keepdims=True)


class Prototypes:
    """The taxonomy's own text, embedded: per first level, its best-matching prototype's similarity."""

    def __init__(self, taxonomy: Taxonomy, labels: list[str]) -> None:
        self.texts: list[str] = []
        self.owner: list[tuple[int, str]] = []  # (first-level index, second-level name)
        for top in taxonomy.categories:
            li = labels.index(top.name)
            if top.description:
                self.texts.append(f"{top.name}：{top.description}")
                self.owner.append((li, ""))
            for sub in top.children:
                for text in sub.prototypes():
                    self.texts.append(f"{top.name}：{text}")
                    self.owner.append((li, sub.name))
        self.l1 = np.array([o[0] for o in self.owner])
        self.n_classes = len(labels)
        self.vectors = np.zeros((0, 384), dtype=np.float32)

    def similarities(self, queries: np.ndarray) -> np.ndarray:
        """(n, n_classes): the best prototype cosine per first level."""
        sims = queries @ self.vectors.T
        out = np.full((len(queries), self.n_classes), -1.0)
        for c in range(self.n_classes):
            cols = self.l1 == c
            if cols.any():
                out[:, c] = sims[:, cols].max(axis=1)
        return out

    def best_level2(self, vector: np.ndarray, level1_index: int) -> tuple[str, float]:
        """The second level under `level1_index` whose prototype is closest, with its similarity."""
        cols = [i for i, (li, l2) in enumerate(self.owner) if li == level1_index and l2]
        if not cols:
            return "", 0.0
        sims = self.vectors[cols] @ vector
        j = int(sims.argmax())
        return self.owner[cols[j]][1], float(sims[j])


class _Sgd:
    """Logistic loss by SGD over sparse n-grams: lbfgs on ~20k features x 15 classes takes far too long."""

    def __init__(self, x, y: np.ndarray, n_classes: int, *, alpha: float = 1e-4) -> None:  # noqa: ANN001
        self.model = SGDClassifier(loss="log_loss", alpha=alpha, max_iter=50, tol=None, random_state=0).fit(x, y)
        self.n_classes = n_classes

    def predict_proba(self, x) -> np.ndarray:  # noqa: ANN001
        out = np.zeros((x.shape[0], self.n_classes))
        out[:, self.model.classes_] = self.model.predict_proba(x)
        return out


def embed_view(text: str, title: str | None = None) -> str:
    """What the embedding components read of a message (the opening; shared with the history import)."""
    return focus_text(text, title=title, limit=EMBED_CHARS)


def read_view(text: str, title: str | None = None) -> str:
    """What the n-gram and keyword components read of a message."""
    return focus_text(text, title=title, limit=FOCUS_CHARS)


class CategoryClassifier:
    """Fitted once (at start-up, or loaded from the fit cache); predicts the category of any message."""

    def __init__(self, *, taxonomy: Taxonomy, examples: list[Example], embedder: Embedder,
                 example_vectors: np.ndarray, prototype_vectors: np.ndarray | None = None,
                 params: Params | None = None) -> None:
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.params = params or Params()
        self.keywords = KeywordEvidence(taxonomy)
        self.examples = examples
        self.labels = [c.name for c in taxonomy.categories]
        self.prototypes = Prototypes(taxonomy, self.labels)
        if prototype_vectors is not None:
            self.prototypes.vectors = prototype_vectors
        texts = [read_view(e.text) for e in examples]
        y = np.array([self.labels.index(e.level1) for e in examples])
        self._emb = example_vectors
        self._tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1)
        x_tfidf = self._tfidf.fit_transform(texts)
        x_kw = np.vstack([self.keywords.features(t) for t in texts])
        n_classes = len(self.labels)
        p = self.params
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            oof = self.out_of_fold(y, x_tfidf)
            weight = "balanced" if p.stack_balanced else None
            self._stack = LogisticRegression(C=p.stack_c, max_iter=3000, class_weight=weight).fit(
                self._stack_input(oof, x_kw), y)
            # The cheap stack reads no embedding: when it is sure, the message need not be embedded at all.
            cheap = oof[:, n_classes:2 * n_classes]
            self._cheap = LogisticRegression(C=p.stack_c, max_iter=3000, class_weight=weight).fit(
                self._stack_input(cheap, x_kw), y)
            self._knn = _Knn(self._emb, y, n_classes, k=p.knn_k, temperature=p.knn_temperature)
            self._sgd = _Sgd(x_tfidf, y, n_classes, alpha=p.sgd_alpha)

    def _proto_proba(self, emb: np.ndarray) -> np.ndarray:
        if not self.params.use_prototypes or not len(self.prototypes.vectors):
            return np.zeros((len(emb), 0))
        return _softmax(self.prototypes.similarities(emb), self.params.proto_temperature)

    def _stack_input(self, parts: np.ndarray, kw: np.ndarray) -> np.ndarray:
        """Component probabilities as log-odds-like features (a stacker weighs confidence, not scale)."""
        if not self.params.stack_log:
            return np.hstack([parts, kw])
        return np.hstack([np.log(np.clip(parts, 1e-4, 1.0)), kw])

    def out_of_fold(self, y: np.ndarray, x_tfidf) -> np.ndarray:  # noqa: ANN001
        """Component probabilities for each example from models that never saw it (for honest stacking)."""
        n_classes = len(self.labels)
        p = self.params
        proto = self._proto_proba(self._emb)  # the taxonomy's text is not fitted on examples: no folds needed
        oof = np.zeros((len(y), 2 * n_classes))
        folds = max(2, min(p.folds, int(np.bincount(y, minlength=n_classes)[np.unique(y)].min())))
        for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=7).split(self._emb, y):
            knn = _Knn(self._emb[train], y[train], n_classes, k=p.knn_k, temperature=p.knn_temperature)
            oof[test, :n_classes] = knn.predict_proba(self._emb[test])
            oof[test, n_classes:] = _Sgd(x_tfidf[train], y[train], n_classes, alpha=p.sgd_alpha).predict_proba(
                x_tfidf[test])
        return np.hstack([oof, proto])

    def cheap_probabilities(self, focus: list[str], titles: list[str | None]) -> np.ndarray:
        """Calibrated first-level probabilities from the n-grams and keywords alone (no embedding)."""
        p_tfi = self._sgd.predict_proba(self._tfidf.transform(focus))
        kw = np.vstack([self.keywords.features(f, title=t) for f, t in zip(focus, titles, strict=True)])
        probs = np.zeros((len(focus), len(self.labels)))
        probs[:, self._cheap.classes_] = self._cheap.predict_proba(self._stack_input(p_tfi, kw))
        return probs

    def probabilities(self, focus: list[str], emb: np.ndarray, titles: list[str | None]) -> np.ndarray:
        """Calibrated first-level probabilities (n, n_classes) from the read views and embeddings."""
        p_emb = self._knn.predict_proba(emb)
        p_tfi = self._sgd.predict_proba(self._tfidf.transform(focus))
        kw = np.vstack([self.keywords.features(f, title=t) for f, t in zip(focus, titles, strict=True)])
        feats = self._stack_input(np.hstack([p_emb, p_tfi, self._proto_proba(emb)]), kw)
        probs = np.zeros((len(focus), len(self.labels)))
        probs[:, self._stack.classes_] = self._stack.predict_proba(feats)
        return probs

    def predict(self, text: str, *, title: str | None = None) -> CategoryPrediction:
        """The category of one message."""
        return self.predict_many([text], titles=[title])[0]

    def predict_many(self, texts: list[str], *, titles: list[str | None] | None = None,
                     vectors: np.ndarray | None = None, skip: float | None = None) -> list[CategoryPrediction]:
        """Categories for many messages, with one embedder call for the whole batch.

        Only the messages the cheap stack is unsure of (probability below `skip`, by default the calibrated
        `triage.skip_embedding`) are embedded; pass `vectors` (one per text) to use vectors already computed,
        or `skip=1.01` to embed every message.
        """
        titles = titles or [None] * len(texts)
        focus = [read_view(t, ti) for t, ti in zip(texts, titles, strict=True)]
        if not texts:
            return []
        probs = self.cheap_probabilities(focus, titles)
        rows: list[np.ndarray | None] = [None] * len(texts)
        if vectors is not None:
            need = list(range(len(texts)))
            emb = np.asarray(vectors, dtype=np.float32)
        else:
            limit = threshold("triage.skip_embedding") if skip is None else skip
            need = [i for i in range(len(texts)) if probs[i].max() < limit]
            emb = embed_batched(self.embedder, [embed_view(texts[i], titles[i]) for i in need], batch=len(need) or 1)
            emb = emb if len(need) else np.zeros((0, 384), dtype=np.float32)
        if need:
            sub = emb if vectors is None else emb[need]
            probs[need] = self.probabilities([focus[i] for i in need], sub, [titles[i] for i in need])
            for j, i in enumerate(need):
                rows[i] = sub[j]
        out = []
        for i, f in enumerate(focus):
            best = int(probs[i].argmax())
            level1 = self.labels[best]
            level2, kws = self._level2(level1, f, titles[i], rows[i])
            scores = {self.labels[j]: round(float(probs[i, j]), 4) for j in np.argsort(-probs[i])[:3]}
            out.append(CategoryPrediction(level1, level2, float(probs[i, best]), scores, kws))
        return out

    def _level2(self, level1: str, focus: str, title: str | None,
                vector: np.ndarray | None) -> tuple[str, tuple[str, ...]]:
        """Second level: the best keyword evidence within the first level, else the nearest example's or prototype's."""
        hits = self.keywords.hits(focus, title=title).get(level1, [])
        if hits:
            totals: dict[str, float] = {}
            for _, l2, w in hits:
                totals[l2] = totals.get(l2, 0.0) + w
            best = max(totals, key=lambda k: totals[k])
            return best, tuple(k for k, l2, _ in hits if l2 == best)
        names = self.taxonomy.level2_names(level1)
        if vector is None:  # answered without an embedding
            return self.taxonomy.catch_all(level1), ()
        close = threshold("triage.level2_similarity")  # only a close neighbour is evidence for a second level
        idx = [i for i, e in enumerate(self.examples) if e.level1 == level1]
        if idx:
            sims = self._emb[idx] @ vector
            j = int(sims.argmax())
            if sims[j] >= close:
                return self.examples[idx[j]].level2, ()
        if len(self.prototypes.vectors):
            l2, sim = self.prototypes.best_level2(vector, self.labels.index(level1))
            if l2 in names and sim >= close:
                return l2, ()
        return self.taxonomy.catch_all(level1), ()
