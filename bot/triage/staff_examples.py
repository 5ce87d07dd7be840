"""Labelled examples from staff work: when a unit or an agent corrects a ticket's category, or the dispatch
desk re-routes a ticket, the citizen's words and the category staff settled on are kept (`staff_examples`).

They reach the classifier only through `hotline retrain` (bot/triage/retrain.py), which measures them first
and then writes the accepted set to `$HOTLINE_DATA_DIR/config/staff_examples.jsonl`; `build_triage` adds
that file to the shipped examples. So a bad label never changes triage silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import BadInput
from bot.store.tables import StaffExample, TicketRow
from bot.taxonomy import INTENT_IDS, Taxonomy
from bot.triage.examples import Example

ACCEPTED_FILE = "staff_examples.jsonl"
SOURCES = ("unit.category", "agent.category", "admin.reroute", "admin.category")


def check_category(taxonomy: Taxonomy, level1: str, level2: str) -> None:
    """BadInput unless level1/level2 is a category of the taxonomy in force."""
    if level2 not in taxonomy.level2_names(level1):
        raise BadInput(f"分类“{level1}/{level2}”不在分类体系中")


def ticket_text(row: TicketRow) -> str:
    """The citizen's own words of a ticket (what triage read), else its summary."""
    payload = row.payload or {}
    return str(payload.get("verbatim") or row.summary or "").strip()


def record(db: Session, *, text: str, level1: str, level2: str, intent: str, source: str, actor: str,
           ticket_no: str | None = None, before: dict[str, Any] | None = None) -> StaffExample | None:
    """Keep one labelled example (in the caller's transaction); None when there is no text to learn from."""
    if source not in SOURCES:
        raise ValueError(f"unknown example source {source}")
    text = text.strip()
    if not text:
        return None
    row = StaffExample(text=text[:4000], level1=level1, level2=level2,
                       intent=intent if intent in INTENT_IDS else "complaint", source=source, actor=actor,
                       ticket_no=ticket_no, before=before)
    db.add(row)
    return row


def record_from_ticket(db: Session, row: TicketRow, *, source: str, actor: str,
                       before: dict[str, Any] | None = None) -> StaffExample | None:
    """The ticket's words with the category it has now (after staff corrected it)."""
    if not row.category_l1 or not row.category_l2:
        return None
    return record(db, text=ticket_text(row), level1=row.category_l1, level2=row.category_l2, intent=row.intent,
                  source=source, actor=actor, ticket_no=row.ticket_no, before=before)


def collected(db: Session, taxonomy: Taxonomy) -> tuple[list[Example], int]:
    """Every stored staff example the taxonomy still knows (the latest label per text wins), and how many
    were skipped for labels the taxonomy no longer has."""
    latest: dict[str, StaffExample] = {}
    for row in db.scalars(select(StaffExample).order_by(StaffExample.id)):
        latest[row.text] = row
    kept, skipped = [], 0
    for row in latest.values():
        if row.level2 in taxonomy.level2_names(row.level1):
            kept.append(Example(text=row.text, level1=row.level1, level2=row.level2, intent=row.intent))
        else:
            skipped += 1
    return kept, skipped


def write_accepted(overrides_dir: Path, examples: list[Example]) -> Path:
    """Store the examples a retrain accepted, for `build_triage` (written whole, then renamed)."""
    overrides_dir.mkdir(parents=True, exist_ok=True)
    path = overrides_dir / ACCEPTED_FILE
    tmp = path.with_suffix(".part")
    tmp.write_text("".join(json.dumps({"text": e.text, "level1": e.level1, "level2": e.level2, "intent": e.intent},
                                      ensure_ascii=False) + "\n" for e in examples), encoding="utf-8")
    tmp.replace(path)
    return path


def accepted(overrides_dir: Path, taxonomy: Taxonomy) -> list[Example]:
    """The examples the last retrain accepted that the taxonomy still knows; none before the first retrain."""
    path = overrides_dir / ACCEPTED_FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("level2") in taxonomy.level2_names(row.get("level1", "")):
            out.append(Example(text=row["text"], level1=row["level1"], level2=row["level2"], intent=row["intent"]))
    return out
