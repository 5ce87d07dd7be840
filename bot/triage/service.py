"""Triage of every message: intent, category, urgency and the emergency check, in one call."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from bot.config import Settings, get_settings
from bot.safety.danger import DangerDetector
from bot.taxonomy import Taxonomy, load_taxonomy
from bot.triage import staff_examples
from bot.triage.classifier import CategoryClassifier, CategoryPrediction
from bot.triage.embedding import Embedder, default_embedder
from bot.triage.emergency import EmergencyHit, load_detector
from bot.triage.examples import load_examples
from bot.triage.fitcache import fit_classifier
from bot.triage.intent import IntentResult, detect_intent
from bot.triage.urgency import assess_urgency


@dataclass(frozen=True)
class TriageResult:
    """Everything triage decides about one message."""

    intent: str
    asks_question: bool
    wants_intake: bool
    category: CategoryPrediction
    urgency: str
    emergency: EmergencyHit | None
    injection: bool = False


class Triage:
    """Classifies messages; built once at start-up (training takes a few seconds), changed in place when an
    admin edits the taxonomy (`use_taxonomy` at once, then `use_classifier` after the background refit,
    bot/triage/refit.py), so every holder of it sees the edit."""

    def __init__(self, *, taxonomy: Taxonomy, classifier: CategoryClassifier, detector: DangerDetector) -> None:
        self.taxonomy = taxonomy
        self.classifier = classifier
        self.detector = detector

    def use_taxonomy(self, taxonomy: Taxonomy) -> None:
        """Classify into another taxonomy from the next message on; until a classifier fitted to it comes, the
        current classifier's picks are mapped onto it (`_in_force`)."""
        self.taxonomy = taxonomy

    def use_classifier(self, classifier: CategoryClassifier) -> None:
        """A classifier fitted to the taxonomy in force (the refit's result)."""
        self.classifier = classifier

    def _in_force(self, prediction: CategoryPrediction) -> CategoryPrediction:
        """A pick of a classifier fitted to an earlier taxonomy, within the taxonomy in force: a second level
        that is gone becomes its first level's catch-all (`Taxonomy.catch_all`)."""
        names = self.taxonomy.level2_names(prediction.level1)
        if not names or prediction.level2 in names:
            return prediction
        return replace(prediction, level2=self.taxonomy.catch_all(prediction.level1))

    def warm_up(self) -> None:
        """Make the first real message as fast as the hundredth: load the embedder's model and run every
        component once (the fit itself is done, or loaded from its cache, when the Triage is built)."""
        self.classifier.predict_many(["小区楼下的路灯坏了一个月没人修"], skip=1.01)
        self.classifier.predict_many(["公司拖欠工资三个月，老板一直躲着不见"])
        self.detector.detect("楼道里有烟味")

    def emergency(self, text: str) -> EmergencyHit | None:
        """The emergency check alone: cheap, run on every turn before anything else."""
        return self.detector.detect(text)

    def classify(self, text: str, *, title: str | None = None) -> TriageResult:
        """Intent, category, urgency and emergency for one message."""
        return self.classify_many([text], titles=[title])[0]

    def classify_many(self, texts: list[str], *, titles: list[str | None] | None = None,
                      skip: float | None = None) -> list[TriageResult]:
        """Triage many messages, batched: the category model makes one embedder call for the batch (only for
        the messages its cheap components are unsure of), and the emergency check one more for every part of
        every message (`DangerDetector.detect_many`, the same hits as `detect` one by one)."""
        titles = titles or [None] * len(texts)
        classifier = self.classifier
        categories = classifier.predict_many(texts, titles=titles, skip=skip)
        if classifier.taxonomy is not self.taxonomy:
            categories = [self._in_force(c) for c in categories]
        fulls = [f"{title}。{text}" if title else text for text, title in zip(texts, titles, strict=True)]
        hits = self.detector.detect_many(fulls)
        out = []
        for text, title, full, category, hit in zip(texts, titles, fulls, categories, hits, strict=True):
            intent: IntentResult = detect_intent(text, title=title)
            out.append(TriageResult(
                intent="emergency" if hit else intent.intent,
                asks_question=intent.asks_question,
                wants_intake=intent.wants_intake or hit is not None,
                category=category,
                urgency=assess_urgency(full, emergency=hit is not None),
                emergency=hit,
                injection=intent.injection,
            ))
        return out


def build_triage(settings: Settings | None = None, *, embedder: Embedder | None = None,
                 cache_dir: Path | None = None) -> Triage:
    """Load and validate the taxonomy, examples and emergency keywords; fit the classifier or load its cached fit."""
    settings = settings or get_settings()
    taxonomy = load_taxonomy(settings.overrides_dir)
    classifier = _fit(taxonomy, embedder=embedder or default_embedder(), cache_dir=cache_dir or settings.data_dir / "cache",
                      overrides_dir=settings.overrides_dir)
    detector = load_detector(embedder=classifier.embedder, cache_dir=cache_dir or settings.data_dir / "cache")
    return Triage(taxonomy=taxonomy, classifier=classifier, detector=detector)


def fit_for(taxonomy: Taxonomy, triage: Triage, settings: Settings) -> CategoryClassifier:
    """A classifier fitted to `taxonomy` with triage's embedder (the examples' vectors are cached, so only the
    changed categories are embedded)."""
    return _fit(taxonomy, embedder=triage.classifier.embedder, cache_dir=settings.data_dir / "cache",
                overrides_dir=settings.overrides_dir)


def _fit(taxonomy: Taxonomy, *, embedder: Embedder, cache_dir: Path, overrides_dir: Path) -> CategoryClassifier:
    """The shipped examples plus the staff examples the last `hotline retrain` accepted (bot/triage/retrain.py)."""
    examples = load_examples(taxonomy) + staff_examples.accepted(overrides_dir, taxonomy)
    return fit_classifier(taxonomy=taxonomy, examples=examples, embedder=embedder, cache_dir=cache_dir)
