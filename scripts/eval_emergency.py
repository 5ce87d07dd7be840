"""Measure emergency detection on a labelled set the detector never trained on; write a markdown report.

The set is a directory of JSONL files (tests/data/eval_emergency shape): one row per message with
`text`, `hazard` (the hazard kind it shows or resembles), `emergency` (bool) and, for emergencies,
`numbers` (the emergency numbers a correct reply may name; the first is the main one).

Figures, per detector:
- recall: emergencies flagged; a flagged emergency counts as "right number" when the reply names
  one of the accepted numbers;
- false alarms: near misses (past events, hazards to fix, questions about services, metaphors) flagged.

The learnt detector is also measured leave-one-hazard-out: for each hazard kind, the detector is built
from its training texts and prototypes with that kind removed, its flag threshold re-calibrated by the
same procedure on what remains, and it is tested on the eval rows of the held-out kind only.

Usage: python scripts/eval_emergency.py tests/data/eval_emergency [--out docs/eval/emergency.md]
       [--detector keywords|model|both]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Row = dict[str, Any]
Detect = Callable[[str], Any]


def load_rows(path: Path) -> list[Row]:
    """Every row of every JSONL file under `path` (or of the file itself)."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    rows = []
    for f in files:
        rows.extend(json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
    return rows


def run(detect: Detect, rows: list[Row]) -> list[tuple[Row, Any]]:
    """The detector's hit (or None) for every row."""
    return [(row, detect(row["text"])) for row in rows]


def tally(results: list[tuple[Row, Any]]) -> dict[str, Any]:
    """Counts for one set of results."""
    emergencies = [(r, h) for r, h in results if r["emergency"]]
    near = [(r, h) for r, h in results if not r["emergency"]]
    flagged = [(r, h) for r, h in emergencies if h is not None]
    right = [(r, h) for r, h in flagged if set(r["numbers"]) & set(h.numbers)]
    return {
        "emergencies": len(emergencies), "flagged": len(flagged), "right_number": len(right),
        "near": len(near), "false_alarms": sum(h is not None for _, h in near),
        "missed": [r["text"] for r, h in emergencies if h is None],
        "wrong_number": [f"{r['text']} → {'/'.join(h.numbers)} ({h.kind})" for r, h in flagged
                         if not set(r["numbers"]) & set(h.numbers)],
        "alarms": [f"{r['text']} ({h.kind})" for r, h in near if h is not None],
    }


def per_30(t: dict[str, Any]) -> str:
    return f"{30 * t['false_alarms'] / t['near']:.1f}" if t["near"] else "-"


def table(title: str, by_kind: dict[str, dict[str, Any]]) -> list[str]:
    """A markdown table, one line per hazard kind and a total."""
    lines = [f"### {title}", "", "| hazard | recall | right number | false alarms | per 30 near misses |",
             "| --- | ---: | ---: | ---: | ---: |"]
    keys = ("emergencies", "flagged", "right_number", "near", "false_alarms")
    total = {k: sum(t[k] for t in by_kind.values()) for k in keys}
    for kind, t in [*sorted(by_kind.items()), ("**all**", total)]:
        lines.append(f"| {kind} | {t['flagged']}/{t['emergencies']} | {t['right_number']}/{t['flagged']} "
                     f"| {t['false_alarms']}/{t['near']} | {per_30(t)} |")
    errors = [(k, t) for k, t in sorted(by_kind.items()) if t["missed"] or t["alarms"] or t["wrong_number"]]
    if errors:
        lines += ["", "Errors:", ""]
        for kind, t in errors:
            lines += [f"- {kind} missed: {m}" for m in t["missed"]]
            lines += [f"- {kind} false alarm: {a}" for a in t["alarms"]]
            lines += [f"- {kind} wrong number: {w}" for w in t["wrong_number"]]
    return [*lines, ""]


def by_hazard(results: list[tuple[Row, Any]]) -> dict[str, dict[str, Any]]:
    kinds = sorted({r["hazard"] for r, _ in results})
    return {k: tally([(r, h) for r, h in results if r["hazard"] == k]) for k in kinds}


def keywords_section(rows: list[Row]) -> list[str]:
    """The keyword detector (no training, so one pass is also its held-out figure)."""
    from bot.triage.emergency import load_keyword_detector

    detector = load_keyword_detector()
    return table("Keyword list (the previous detector)", by_hazard(run(detector.detect, rows)))


class MemoEmbedder:
    """The embedder with every text's vector remembered (each fold's detector sees the same eval texts)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.memo: dict[str, Any] = {}

    def query(self, texts: list[str]) -> Any:
        import numpy as np

        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if todo:
            for t, v in zip(todo, np.asarray(self.inner.query(todo), dtype=np.float32), strict=True):
                self.memo[t] = v
        return np.vstack([self.memo[t] for t in texts])


def model_sections(rows: list[Row]) -> list[str]:
    """The learnt detector: leave-one-hazard-out, then the shipped model on everything."""
    from bot.config import get_settings
    from bot.safety.danger import EMBED_CHARS, build_detector, calibrate, load_training
    from bot.thresholds import threshold
    from bot.triage.embedding import default_embedder, embed_cached

    embedder = MemoEmbedder(default_embedder())
    training = load_training()
    cache = get_settings().data_dir / "cache"
    vectors = embed_cached(embedder, [r.text[:EMBED_CHARS] for r in training], cache_dir=cache)
    flag = calibrate(training, vectors, recall=threshold("emergency.recall_target"), c=threshold("emergency.c"))
    sys.stderr.write(f"flag threshold calibrated on all training kinds: {flag:.3f} "
                     f"(thresholds.yaml has {threshold('emergency.flag'):.3f})\n")
    held: dict[str, dict[str, Any]] = {}
    for kind in sorted({r["hazard"] for r in rows}):
        detector = build_detector(embedder=embedder, training=training, exclude={kind}, cache_dir=cache)
        held[kind] = tally(run(detector.detect, [r for r in rows if r["hazard"] == kind]))
        sys.stderr.write(f"held out {kind}: {held[kind]['flagged']}/{held[kind]['emergencies']} flagged, "
                         f"{held[kind]['false_alarms']}/{held[kind]['near']} false alarms\n")
    shipped = build_detector(embedder=embedder, training=training, cache_dir=cache)
    return [f"Flag threshold: {threshold('emergency.flag'):.3f} shipped; {flag:.3f} calibrated now on all "
            "training kinds (leave-one-hazard-out folds re-calibrate without the held-out kind).", "",
            *table("Learnt detector, leave-one-hazard-out (the held-out kind absent from training and calibration)",
                   held),
            *table("Learnt detector as shipped (trained on all kinds of its own texts, none of them eval texts)",
                   by_hazard(run(shipped.detect, rows)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "eval" / "emergency.md")
    parser.add_argument("--detector", choices=("keywords", "model", "both"), default="both")
    args = parser.parse_args()
    rows = load_rows(args.data)
    n_e = sum(r["emergency"] for r in rows)
    out = [f"# Emergency detection on `{args.data.name}`", "",
           f"- {n_e} emergencies and {len(rows) - n_e} near misses across "
           f"{len({r['hazard'] for r in rows})} hazard kinds; written before the detector was tuned, "
           "never used for training.",
           "- Target: every emergency flagged, at most 2 false alarms per 30 near misses.", ""]
    if args.detector in ("keywords", "both"):
        out += keywords_section(rows)
    if args.detector in ("model", "both"):
        out += model_sections(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
