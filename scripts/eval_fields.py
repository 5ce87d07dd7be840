"""Measure field extraction on a labelled file (tests/data/intake_fields.jsonl shape); write a markdown report.

Per field: precision and recall; "invented" counts values produced where the label says the text has none.
Usage: python scripts/eval_fields.py tests/data/intake_fields.jsonl [--out docs/eval/fields.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIELDS = ("district", "street", "location_raw", "time_raw", "time_start", "recurrence", "phone", "intent",
          "emergency")
# Fields where a value the text does not contain would be invented (intent and the emergency flag are judgements).
FACT_FIELDS = ("district", "street", "location_raw", "time_raw", "time_start", "recurrence", "phone")


def predicted(ticket: Any, result: Any) -> dict[str, Any]:
    """The fields of one extraction, in the label file's vocabulary."""
    start = ticket.occurred_at.start
    return {
        "district": ticket.location.district, "street": ticket.location.street, "location_raw": ticket.location.raw,
        "time_raw": ticket.occurred_at.raw, "time_start": start.strftime("%Y-%m-%dT%H:%M") if start else None,
        "recurrence": ticket.occurred_at.recurrence, "phone": ticket.contact.phone,
        "intent": result.intent, "emergency": result.emergency is not None,
    }


def correct(field: str, gold: Any, pred: Any) -> bool:
    """Exact match, except free-text spans, which must contain the labelled text."""
    if field in ("location_raw", "time_raw", "recurrence"):
        return bool(pred) and gold in pred
    return pred == gold


def score(rows: list[dict[str, Any]], preds: list[dict[str, Any]]) -> tuple[list[str], int, list[str]]:
    """Markdown table lines, the invented count, and the list of errors."""
    lines = ["| field | labelled | predicted | correct | precision | recall |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    invented = 0
    errors = []
    for field in FIELDS:
        tp = n_gold = n_pred = 0
        for row, pred in zip(rows, preds, strict=True):
            gold = row["expect"][field]
            value = pred[field]
            if field == "emergency":
                gold, value = bool(gold) or None, bool(value) or None
            n_gold += gold is not None
            n_pred += value is not None
            if gold is not None and value is not None and correct(field, gold, value):
                tp += 1
            elif gold is not None or value is not None:
                errors.append(f"{row['id']} {field}: expected {gold!r}, got {value!r}")
            if field in FACT_FIELDS and gold is None and value is not None:
                invented += 1
        p = tp / n_pred if n_pred else 1.0
        r = tp / n_gold if n_gold else 1.0
        lines.append(f"| {field} | {n_gold} | {n_pred} | {tp} | {p:.3f} | {r:.3f} |")
    return lines, invented, errors


def main() -> None:
    """Extract every labelled message offline and score the fields."""
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "eval" / "fields.md")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]

    from bot.intake.extract import Extractor
    from bot.intake.gazetteer import load_gazetteer
    from bot.triage.service import build_triage

    triage = build_triage()
    extractor = Extractor(taxonomy=triage.taxonomy, gazetteer=load_gazetteer())
    preds = []
    for row in rows:
        now = datetime.fromisoformat(row["now"])
        result = triage.classify(row["text"])
        ticket = extractor.extract(row["text"], now=now, triage=result)
        preds.append(predicted(ticket, result))
    table, invented, errors = score(rows, preds)
    intents = Counter(r["expect"]["intent"] for r in rows)
    emergencies = [(r, p) for r, p in zip(rows, preds, strict=True) if r["expect"]["emergency"]]
    caught = sum(p["emergency"] for _, p in emergencies)
    false_alarms = sum(p["emergency"] and not r["expect"]["emergency"] for r, p in zip(rows, preds, strict=True))
    out = [f"# Field extraction on `{args.data.name}`", "", f"- messages: {len(rows)}",
           f"- intents labelled: {dict(intents)}",
           f"- emergency recall: {caught}/{len(emergencies)}; false alarms: {false_alarms}",
           f"- invented fields (a fact produced where the text has none): **{invented}**", "", *table, "",
           "## Mismatches", "", *(f"- {e}" for e in errors)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
