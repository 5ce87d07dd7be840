"""`hotline retrain`: staff corrections become triage examples once a measure says they help.

Staff settle a ticket's category when they correct or re-route it (bot/triage/staff_examples.py). A retrain
measures those examples before triage uses them: each fold of them is predicted by a classifier fitted on the
shipped examples alone and by one fitted on the shipped examples plus the other folds. The set is accepted
when the second is at least as accurate (level 1 and level 2 both right) on the folds it did not see; it is
then written to `$HOTLINE_DATA_DIR/config/staff_examples.jsonl`, which triage's fit adds to the shipped
examples at the next start, or when an admin next changes the taxonomy (the background refit, bot/triage/refit.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.taxonomy import load_taxonomy
from bot.triage import staff_examples
from bot.triage.classifier import CategoryPrediction
from bot.triage.embedding import Embedder
from bot.triage.examples import Example, load_examples
from bot.triage.fitcache import fit_classifier

MIN_EXAMPLES = 5  # fewer staff examples than folds say nothing
FOLDS = 5


@dataclass(frozen=True)
class RetrainReport:
    """What a retrain measured and decided."""

    collected: int  # staff examples whose category the taxonomy still has
    skipped: int  # staff examples whose category the taxonomy no longer has
    accuracy_shipped: float | None  # on the held-out staff folds, shipped examples only
    accuracy_with_staff: float | None  # on the same folds, shipped plus the other folds
    accepted: bool
    reason: str
    path: Path | None = None


def retrain(settings: Settings, db: Session, *, embedder: Embedder, write: bool = True) -> RetrainReport:
    """Measure the stored staff examples and, when they help, store them for `build_triage`."""
    taxonomy = load_taxonomy(settings.overrides_dir)
    staff, skipped = staff_examples.collected(db, taxonomy)
    if len(staff) < MIN_EXAMPLES:
        return RetrainReport(len(staff), skipped, None, None, False,
                             f"员工纠正的样例只有 {len(staff)} 条，少于 {MIN_EXAMPLES} 条，暂不重新训练")
    shipped = load_examples(taxonomy)
    cache_dir = settings.data_dir / "cache"
    folds = [staff[i::FOLDS] for i in range(FOLDS)]
    baseline = fit_classifier(taxonomy=taxonomy, examples=shipped, embedder=embedder, cache_dir=cache_dir)
    right_shipped = right_with = 0
    for n, fold in enumerate(f for f in folds if f):
        others = [e for m, f in enumerate(folds) if m != n for e in f]
        with_staff = fit_classifier(taxonomy=taxonomy, examples=shipped + others, embedder=embedder,
                                    cache_dir=cache_dir)
        right_shipped += _right(baseline.predict_many([e.text for e in fold]), fold)
        right_with += _right(with_staff.predict_many([e.text for e in fold]), fold)
    before, after = right_shipped / len(staff), right_with / len(staff)
    accepted = after >= before
    reason = (f"加入员工样例后，未参与训练的员工样例分类正确率 {before:.0%} → {after:.0%}，"
              + ("予以采用" if accepted else "反而下降，不予采用"))
    path = staff_examples.write_accepted(settings.overrides_dir, staff) if accepted and write else None
    return RetrainReport(len(staff), skipped, before, after, accepted, reason, path)


def _right(predictions: list[CategoryPrediction], examples: list[Example]) -> int:
    return sum(p.level1 == e.level1 and p.level2 == e.level2 for p, e in zip(predictions, examples, strict=True))
