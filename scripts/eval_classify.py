"""Measure category triage on a labelled file (id, title, text, label_l1); write a markdown report.

Usage: python scripts/eval_classify.py DATA.jsonl [--out docs/eval/classify.md] [--llm-plumbing]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def metrics(gold: list[str], pred: list[str]) -> tuple[float, float, list[tuple[str, int, float, float, float]]]:
    """Accuracy, macro-F1 over the gold classes present, and per-class (name, support, P, R, F1)."""
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / max(len(gold), 1)
    rows = []
    for cls, support in Counter(gold).most_common():
        tp = sum(g == cls and p == cls for g, p in zip(gold, pred, strict=True))
        npred = sum(p == cls for p in pred)
        prec = tp / npred if npred else 0.0
        rec = tp / support
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        rows.append((cls, support, prec, rec, f1))
    macro = sum(r[4] for r in rows) / max(len(rows), 1)
    return acc, macro, rows


def report(title: str, gold: list[str], pred: list[str], seconds: float) -> str:
    """A markdown section for one run."""
    acc, macro, rows = metrics(gold, pred)
    lines = [f"## {title}", "", f"- messages: {len(gold)}", f"- accuracy: {acc:.3f}",
             f"- macro-F1 (classes present): {macro:.3f}", f"- time: {seconds:.1f} s", "",
             "| class | support | precision | recall | F1 |", "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {c} | {n} | {p:.3f} | {r:.3f} | {f:.3f} |" for c, n, p, r, f in rows]
    confusions = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p).most_common(10)
    if confusions:
        lines += ["", "Most frequent confusions (gold → predicted):", ""]
        lines += [f"- {g} → {p}: {n}" for (g, p), n in confusions]
    return "\n".join(lines) + "\n"


def _llm_section(rows: list[dict], gold: list[str], triage) -> str:  # noqa: ANN001
    """The same messages through gateway → tool call → validation (one repair) → merge, on a local fake server."""
    from datetime import UTC, datetime

    from bot.intake.extract import Extractor
    from bot.intake.gazetteer import load_gazetteer
    from scripts.llm_plumbing import extract_via_llm, llm_extractor

    offline = Extractor(taxonomy=triage.taxonomy, gazetteer=load_gazetteer())
    now = datetime.now(UTC)
    start = time.perf_counter()
    results = triage.classify_many([r["text"] for r in rows], titles=[r.get("title") for r in rows])
    preds = []
    with llm_extractor(offline) as (extractor, server):
        for i, (row, result) in enumerate(zip(rows, results, strict=True)):
            base = offline.offline(row["text"], now=now, triage=result, title=row.get("title"))
            ticket = extract_via_llm(extractor, server, base, row["text"], now=now, triage=result, index=i,
                                     title=row.get("title"))
            preds.append(ticket.category.level1 if ticket.category else "")
        requests = server.request_count
    section = report("Through the LLM path's plumbing (local fake endpoint)", gold, preds, time.perf_counter() - start)
    return section + f"\n- LLM requests: {requests} for {len(rows)} messages (every 10th repaired once)\n"


def main() -> None:
    """Run the offline classifier (and optionally the LLM path's plumbing) over the data."""
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "eval" / "classify.md")
    parser.add_argument("--llm-plumbing", action="store_true",
                        help="also run through the LLM path against a local fake endpoint that always fails over")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = [r["label_l1"] for r in rows]

    from bot.triage.service import build_triage

    triage = build_triage()
    start = time.perf_counter()
    preds = triage.classifier.predict_many([r["text"] for r in rows], titles=[r.get("title") for r in rows])
    offline = report("Offline ensemble", gold, [p.level1 for p in preds], time.perf_counter() - start)
    sections = [f"# Category triage on `{args.data.name}`\n", offline]
    if args.llm_plumbing:
        sections.append(_llm_section(rows, gold, triage))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(sections), encoding="utf-8")
    sys.stdout.write("\n".join(sections))


if __name__ == "__main__":
    main()
