"""Our own labelled field set: no invented fields, every emergency caught, high precision and recall."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from bot.intake.extract import Extractor
from bot.intake.gazetteer import load_gazetteer
from bot.triage.service import Triage
from scripts.eval_fields import predicted, score

DATA = Path(__file__).resolve().parents[2] / "data" / "intake_fields.jsonl"


def test_field_set_has_no_invented_fields_and_full_emergency_recall(triage: Triage, record_property) -> None:  # noqa: ANN001
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 60
    extractor = Extractor(taxonomy=triage.taxonomy, gazetteer=load_gazetteer())
    preds = []
    for row in rows:
        result = triage.classify(row["text"])
        preds.append(predicted(extractor.extract(row["text"], now=datetime.fromisoformat(row["now"]), triage=result),
                               result))
    table, invented, errors = score(rows, preds)
    record_property("fields", "\n".join(table))
    assert invented == 0, errors
    missed = [r["id"] for r, p in zip(rows, preds, strict=True) if r["expect"]["emergency"] and not p["emergency"]]
    assert missed == []
    assert len(errors) <= 5, errors


def test_verbatim_keeps_the_words_but_masks_id_numbers(triage: Triage) -> None:
    text = "我的身份证110101199003071234丢了，楼下烧烤店太吵！！"
    ticket = Extractor(taxonomy=triage.taxonomy, gazetteer=load_gazetteer()).extract(
        text, now=datetime(2026, 3, 12), triage=triage.classify(text))
    assert "1234丢了" not in ticket.verbatim and "楼下烧烤店太吵！！" in ticket.verbatim
    assert "！" not in (ticket.summary or "")
    assert ticket.contact.phone is None and ticket.location.is_empty() and ticket.occurred_at.raw is None
